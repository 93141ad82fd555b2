//! The dynamic registration request: redirect URIs, grant types, application type and the
//! token endpoint auth method.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::facts::View;
use mcp_oauth_engine::checks;
use mcp_oauth_engine::recorder::Recorder;

const ALL: [&mcp_oauth_engine::checks::CheckDef; 4] = [
    &checks::CLIENT_DCR_REDIRECT_URIS,
    &checks::CLIENT_DCR_GRANT_TYPES,
    &checks::CLIENT_DCR_APPLICATION_TYPE,
    &checks::CLIENT_DCR_AUTH_METHOD,
];

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

pub fn judge(view: &View, recorder: &mut Recorder) {
    let requests: Vec<_> = view.registrations().collect();
    if requests.is_empty() {
        for check in ALL {
            recorder.skip(check, "the client sent no dynamic registration request");
        }
        return;
    }
    let Some(body) = requests.iter().find_map(|(_, r, _)| r.json.as_ref()) else {
        for check in ALL {
            recorder.fail(
                check,
                json!({ "expected": "a JSON registration request" }),
                "the registration request had no JSON body",
            );
        }
        return;
    };

    let registered: BTreeSet<String> = strings(body.get("redirect_uris")).into_iter().collect();
    let used: BTreeSet<String> = view
        .authorization_requests()
        .filter_map(|(_, r, _)| r.query_param("redirect_uri").map(str::to_owned))
        .collect();
    let unregistered: Vec<&String> = used.difference(&registered).collect();
    let details = json!({ "registered": registered, "used": used });
    if registered.is_empty() {
        recorder.fail(
            &checks::CLIENT_DCR_REDIRECT_URIS,
            details,
            "the registration request lists no redirect_uris",
        );
    } else if !unregistered.is_empty() {
        recorder.fail(
            &checks::CLIENT_DCR_REDIRECT_URIS,
            details,
            format!(
                "the client then used the unregistered redirect_uri {:?}",
                unregistered[0]
            ),
        );
    } else {
        recorder.pass(&checks::CLIENT_DCR_REDIRECT_URIS, details);
    }

    let grants = strings(body.get("grant_types"));
    let has = |g: &str| grants.iter().any(|x| x == g);
    let details = json!({ "expected": ["authorization_code", "refresh_token"], "actual": body.get("grant_types") });
    if has("authorization_code") && has("refresh_token") {
        recorder.pass(&checks::CLIENT_DCR_GRANT_TYPES, details);
    } else {
        recorder.fail(
            &checks::CLIENT_DCR_GRANT_TYPES,
            details,
            if grants.is_empty() {
                "grant_types is missing (RFC 7591 then means authorization_code only)".to_owned()
            } else {
                format!("grant_types is {grants:?}")
            },
        );
    }

    // Loopback http and private-use schemes are native apps; https redirect URIs are web.
    let native = registered.iter().all(|uri| !uri.starts_with("https://"));
    let expected = if native { "native" } else { "web" };
    let actual = body.get("application_type").and_then(Value::as_str);
    let details = json!({ "expected": expected, "actual": actual });
    match actual {
        Some(a) if a == expected => recorder.pass(&checks::CLIENT_DCR_APPLICATION_TYPE, details),
        Some(a) => {
            recorder.fail(
                &checks::CLIENT_DCR_APPLICATION_TYPE,
                details,
                format!("application_type is {a:?} for these redirect URIs ({expected} expected)"),
            );
        }
        None => {
            recorder.fail(
                &checks::CLIENT_DCR_APPLICATION_TYPE,
                details,
                "the registration request has no application_type",
            );
        }
    }

    let method = body
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str);
    match method {
        Some(m) => recorder.pass(
            &checks::CLIENT_DCR_AUTH_METHOD,
            json!({ "tokenEndpointAuthMethod": m }),
        ),
        None => {
            recorder.fail(
                &checks::CLIENT_DCR_AUTH_METHOD,
                json!({ "expected": "token_endpoint_auth_method", "actual": null }),
                "the registration request names no token_endpoint_auth_method",
            );
        }
    }
}
