//! The authorization requests: PKCE challenge and method, state, redirect URI, scope.

use std::collections::BTreeSet;

use serde_json::json;

use super::facts::{AuthServerFacts, View};
use mcp_oauth_engine::checks;
use mcp_oauth_engine::recorder::Recorder;

const NEVER_AUTHORIZED: &str = "the client sent no authorization request";

pub fn judge(view: &View, recorder: &mut Recorder) {
    let requests: Vec<_> = view.authorization_requests().collect();
    if requests.is_empty() {
        for check in [
            &checks::CLIENT_PKCE_CHALLENGE,
            &checks::CLIENT_PKCE_S256,
            &checks::CLIENT_STATE_ROUND_TRIP,
            &checks::CLIENT_REDIRECT_URI_SAFE,
            &checks::CLIENT_SCOPE_SELECTION,
        ] {
            recorder.skip(check, NEVER_AUTHORIZED);
        }
        return;
    }
    let total = requests.len();

    let without_challenge = requests
        .iter()
        .filter(|(_, r, _)| r.query_param("code_challenge").is_none_or(str::is_empty))
        .count();
    if without_challenge == 0 {
        recorder.pass(
            &checks::CLIENT_PKCE_CHALLENGE,
            json!({ "authorizationRequests": total }),
        );
    } else {
        recorder.fail(
            &checks::CLIENT_PKCE_CHALLENGE,
            json!({ "expected": "code_challenge on every authorization request", "authorizationRequests": total, "withoutChallenge": without_challenge }),
            format!("{without_challenge} of {total} authorization requests had no code_challenge"),
        );
    }

    let methods: BTreeSet<String> = requests
        .iter()
        .map(|(_, r, _)| {
            r.query_param("code_challenge_method")
                .unwrap_or("(absent)")
                .to_owned()
        })
        .collect();
    if methods.len() == 1 && methods.contains("S256") {
        recorder.pass(&checks::CLIENT_PKCE_S256, json!({ "method": "S256" }));
    } else {
        recorder.fail(
            &checks::CLIENT_PKCE_S256,
            json!({ "expected": "S256", "actual": methods }),
            format!(
                "code_challenge_method was {} (S256 required)",
                methods.into_iter().collect::<Vec<_>>().join(", ")
            ),
        );
    }

    state_round_trip(view, &requests, recorder);

    let unsafe_uris: BTreeSet<String> = requests
        .iter()
        .filter_map(|(_, r, _)| r.query_param("redirect_uri"))
        .filter(|uri| !is_loopback_or_https(uri))
        .map(str::to_owned)
        .collect();
    let missing_uri = requests
        .iter()
        .filter(|(_, r, _)| r.query_param("redirect_uri").is_none())
        .count();
    if unsafe_uris.is_empty() && missing_uri == 0 {
        let uris: BTreeSet<&str> = requests
            .iter()
            .filter_map(|(_, r, _)| r.query_param("redirect_uri"))
            .collect();
        recorder.pass(
            &checks::CLIENT_REDIRECT_URI_SAFE,
            json!({ "redirectUris": uris }),
        );
    } else {
        recorder.fail(
            &checks::CLIENT_REDIRECT_URI_SAFE,
            json!({ "expected": "https, or http on a loopback host", "actual": unsafe_uris, "withoutRedirectUri": missing_uri }),
            if missing_uri > 0 {
                format!("{missing_uri} authorization requests had no redirect_uri")
            } else {
                "a redirect_uri is neither https nor loopback http".to_owned()
            },
        );
    }

    scope_selection(view, requests[0].1, recorder);
}

/// A fresh `state` on every authorization request, and no code redeemed from a callback whose
/// `state` is not the one sent (the mocks forge one with `callback-state = "wrong"`): the
/// code exchange is the evidence that the client did not compare it.
fn state_round_trip(
    view: &View,
    requests: &[(usize, &mcp_oauth_mocks::RecordedRequest, &AuthServerFacts)],
    recorder: &mut Recorder,
) {
    let total = requests.len();
    let states: Vec<Option<&str>> = requests
        .iter()
        .map(|(_, r, _)| r.query_param("state").filter(|s| !s.is_empty()))
        .collect();
    let missing = states.iter().filter(|s| s.is_none()).count();
    let distinct: BTreeSet<&str> = states.iter().flatten().copied().collect();
    let repeated = total - missing - distinct.len();
    if missing > 0 || repeated > 0 {
        recorder.fail(
            &checks::CLIENT_STATE_ROUND_TRIP,
            json!({ "expected": "a fresh state on every authorization request", "authorizationRequests": total, "withoutState": missing, "reusedStates": repeated }),
            if missing > 0 {
                format!("{missing} of {total} authorization requests had no state")
            } else {
                format!("{repeated} authorization requests reused an earlier state value")
            },
        );
        return;
    }
    // The callbacks that carried a code with another state than the one sent.
    let forged: Vec<(usize, String)> = requests
        .iter()
        .filter(|(_, r, _)| {
            r.response_location.is_some()
                && r.location_param("state").as_deref() != r.query_param("state")
        })
        .filter_map(|(i, r, _)| Some((*i, r.location_param("code")?)))
        .collect();
    let redeemed: Vec<usize> = view
        .code_exchanges()
        .filter(|(_, r, _)| {
            r.form_field("code")
                .is_some_and(|code| forged.iter().any(|(_, c)| c == code))
        })
        .map(|(i, _, _)| i)
        .collect();
    let verified = if forged.is_empty() {
        "not tested: no callback carried another state than the one sent"
    } else if redeemed.is_empty() {
        "refused every callback whose state was not the one sent"
    } else {
        "redeemed a code from a callback whose state was not the one sent"
    };
    let details = json!({
        "authorizationRequests": total,
        "distinctStates": distinct.len(),
        "callbacksWithAnotherState": forged.len(),
        "codesRedeemedFromThem": redeemed.len(),
        "stateChecked": verified,
    });
    if redeemed.is_empty() {
        recorder.pass(&checks::CLIENT_STATE_ROUND_TRIP, details);
    } else {
        recorder.fail(
            &checks::CLIENT_STATE_ROUND_TRIP,
            details,
            format!(
                "the client redeemed the code of a callback whose state was not the one it sent (token request #{}): it does not compare state",
                redeemed[0]
            ),
        );
    }
}

fn scope_selection(view: &View, first: &mcp_oauth_mocks::RecordedRequest, recorder: &mut Recorder) {
    let facts = view.facts;
    let (expected, source) = match (&facts.challenge_scope, facts.protected_resource_metadata) {
        (Some(scope), _) => (Some(scope.clone()), "challenge"),
        (None, true) if !facts.auth_servers[0].scopes_supported.is_empty() => (
            Some(facts.auth_servers[0].scopes_supported.join(" ")),
            "protected-resource metadata scopes_supported",
        ),
        _ => (None, "none offered: omitted"),
    };
    let requested = first.query_param("scope").filter(|s| !s.is_empty());
    let set = |s: Option<&str>| -> BTreeSet<String> {
        s.unwrap_or("")
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    // offline_access is the client's to add or drop (the 2026-07-28 revision adds it when the
    // authorization server lists it and leaves it out otherwise), so it does not count here.
    let without_offline = |mut scopes: BTreeSet<String>| {
        scopes.remove("offline_access");
        scopes
    };
    let wanted = without_offline(set(expected.as_deref()));
    let got = without_offline(set(requested));
    let details = json!({ "expected": expected, "source": source, "actual": requested });
    if got == wanted {
        recorder.pass(&checks::CLIENT_SCOPE_SELECTION, details);
    } else {
        recorder.fail(
            &checks::CLIENT_SCOPE_SELECTION,
            details,
            format!(
                "the first authorization request asked for {} instead of {} ({source})",
                requested.map_or("no scope".to_owned(), |s| format!("{s:?}")),
                expected.map_or("no scope".to_owned(), |s| format!("{s:?}")),
            ),
        );
    }
}

/// https anywhere; http only to 127.0.0.1, [::1] or localhost.
pub fn is_loopback_or_https(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    match url.scheme() {
        "https" => true,
        "http" => match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            None => false,
        },
        _ => false,
    }
}
