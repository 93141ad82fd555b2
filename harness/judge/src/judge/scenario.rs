//! The scenario's own questions (a bad `iss`, mismatched metadata, expiry, a refused refresh
//! token, re-authorization loops, a new authorization server) and its conformant outcome.

use std::collections::BTreeSet;

use mcp_oauth_mocks::request_log::Server;
use serde_json::{Value, json};

use mcp_oauth_mocks::RecordedRequest;

use super::facts::{MetadataDocument, View};
use mcp_oauth_catalog::scenario::{ClientOutcome, Requirement};
use mcp_oauth_engine::checks;
use mcp_oauth_engine::profile::IssPolicy;
use mcp_oauth_engine::recorder::Recorder;

/// The judge checks a scenario may ask in `questions`.
pub use checks::SCENARIO_QUESTIONS as QUESTIONS;

pub fn judge(view: &View, recorder: &mut Recorder) {
    let Some(conformant) = &view.input.conformant else {
        recorder.skip(
            &checks::CLIENT_SCENARIO_OUTCOME,
            "this scenario does not say what a conformant client does (docs/scenarios.md lists why)",
        );
        return;
    };
    for question in &conformant.questions {
        match question.as_str() {
            "client-iss-refused" => iss_refused(view, recorder),
            "client-metadata-mismatch-refused" => metadata_refused(view, recorder),
            "client-refresh-before-expiry" => refresh_before_expiry(view, recorder),
            "client-no-refresh-after-invalid-grant" => {
                no_refresh_after_invalid_grant(view, recorder)
            }
            "client-reauthorization-bounded" => reauthorization_bounded(view, recorder),
            "client-reregisters-after-as-change" => reregisters(view, recorder),
            // The loader refuses other ids.
            _ => {}
        }
    }
    outcome(
        view,
        conformant.outcome_for(view.input.profile.name),
        conformant.outcome_requirement,
        recorder,
    );
}

fn iss_refused(view: &View, recorder: &mut Recorder) {
    let required = view.input.profile.iss == IssPolicy::RequireWhenAdvertised;
    let bad_codes: Vec<(String, Option<String>)> = view
        .authorization_requests()
        .filter_map(|(_, r, server)| {
            let code = r.location_param("code")?;
            let iss = r.location_param("iss");
            let bad = match &iss {
                Some(iss) => *iss != server.issuer,
                None => required && server.iss_advertised,
            };
            bad.then_some((code, iss))
        })
        .collect();
    if bad_codes.is_empty() {
        recorder.skip(
            &checks::CLIENT_ISS_REFUSED,
            "no authorization response with a wrong (or required but missing) iss reached the client",
        );
        return;
    }
    let redeemed = view
        .code_exchanges()
        .filter(|(_, r, _)| {
            r.form_field("code")
                .is_some_and(|code| bad_codes.iter().any(|(c, _)| c == code))
        })
        .count();
    let details = json!({ "badAuthorizationResponses": bad_codes.len(), "iss": bad_codes[0].1, "codesRedeemed": redeemed });
    if redeemed == 0 {
        recorder.pass(&checks::CLIENT_ISS_REFUSED, details);
    } else {
        recorder.fail(
            &checks::CLIENT_ISS_REFUSED,
            details,
            format!(
                "the client redeemed {redeemed} code(s) from a response whose iss was {}",
                bad_codes[0]
                    .1
                    .as_deref()
                    .map_or("missing".to_owned(), |i| format!("{i:?}"))
            ),
        );
    }
}

fn metadata_refused(view: &View, recorder: &mut Recorder) {
    let Some(document) = view.facts.metadata_mismatch else {
        recorder.skip(
            &checks::CLIENT_METADATA_MISMATCH_REFUSED,
            "the mocks' metadata matches: there is no mismatch to refuse",
        );
        return;
    };
    let Some((fetched, served)) = view
        .log()
        .find(|(_, r)| document.fetched_by(r) && r.status == 200)
    else {
        recorder.skip(
            &checks::CLIENT_METADATA_MISMATCH_REFUSED,
            format!(
                "the client never fetched {}, the document that does not match",
                document.name()
            ),
        );
        return;
    };
    let authorizations = view
        .authorization_requests()
        .filter(|(i, _, _)| *i > fetched)
        .count();
    let details = json!({
        "expected": 0,
        "mismatchedDocument": document.name(),
        "fetchedAtRequest": fetched,
        "authorizationRequestsAfter": authorizations,
        "compared": compared_values(view, document, served),
        "resourceAnnounced": view.facts.resource,
        "mcpUrl": view.facts.mcp_url,
    });
    if authorizations == 0 {
        recorder.pass(&checks::CLIENT_METADATA_MISMATCH_REFUSED, details);
    } else {
        recorder.fail(
            &checks::CLIENT_METADATA_MISMATCH_REFUSED,
            details,
            format!(
                "the client went on to authorization after fetching {}, which does not match",
                document.name()
            ),
        );
    }
}

/// The two values that do not match, as the mocks served them: the protected-resource
/// metadata's `resource` and the MCP server's URL; or the authorization-server metadata's
/// `issuer` and the `authorization_servers` entry the client looked it up by.
fn compared_values(view: &View, document: MetadataDocument, served: &RecordedRequest) -> Value {
    let field = |r: &RecordedRequest, name: &str| -> Value {
        r.response_json
            .as_ref()
            .and_then(|json| json.get(name))
            .cloned()
            .unwrap_or(Value::Null)
    };
    match document {
        MetadataDocument::ProtectedResource => json!({
            "field": "resource",
            "served": field(served, "resource"),
            "mustEqual": view.facts.mcp_url,
            "mustEqualSource": "the MCP server URL the client was given (RFC 9728 §3.3)",
        }),
        MetadataDocument::AuthorizationServer => {
            let announced = view
                .log()
                .find(|(_, r)| MetadataDocument::ProtectedResource.fetched_by(r) && r.status == 200)
                .and_then(|(_, r)| {
                    field(r, "authorization_servers")
                        .as_array()
                        .and_then(|servers| servers.first().cloned())
                });
            json!({
                "field": "issuer",
                "served": field(served, "issuer"),
                "mustEqual": announced,
                "mustEqualSource": "the protected-resource metadata's authorization_servers entry the metadata was looked up by (RFC 8414 §3.3)",
            })
        }
    }
}

fn refresh_before_expiry(view: &View, recorder: &mut Recorder) {
    // Each access token the client got, with its expiry on the mocks' clock.
    let expiries: Vec<(String, u64)> = view
        .token_requests()
        .filter_map(|(_, r, _)| {
            let json = r.response_json.as_ref()?;
            let token = json.get("access_token")?.as_str()?;
            let lifetime = json.get("expires_in").and_then(Value::as_u64)?;
            Some((token.to_owned(), r.at + lifetime))
        })
        .collect();
    let mut expired_presented = Vec::new();
    let mut after_expiry = 0;
    for (i, r) in view.mcp_requests() {
        let Some(credential) = &r.authorization else {
            continue;
        };
        if let Some((_, expiry)) = expiries.iter().find(|(t, _)| *t == credential.value) {
            if r.at >= *expiry {
                expired_presented.push(json!({ "request": i, "expiredSecondsAgo": r.at - expiry }));
            }
            if expiries.iter().any(|(_, e)| r.at >= *e) {
                after_expiry += 1;
            }
        }
    }
    let refreshes = view.refreshes().count();
    let details = json!({ "refreshes": refreshes, "expiredTokensPresented": expired_presented });
    if !expired_presented.is_empty() {
        recorder.fail(
            &checks::CLIENT_REFRESH_BEFORE_EXPIRY,
            details,
            format!(
                "the client presented an expired access token {} time(s) instead of refreshing first",
                expired_presented.len()
            ),
        );
    } else if refreshes > 0 || after_expiry > 0 {
        recorder.pass(&checks::CLIENT_REFRESH_BEFORE_EXPIRY, details);
    } else {
        recorder.skip(
            &checks::CLIENT_REFRESH_BEFORE_EXPIRY,
            "the client's session ended before its access token expired",
        );
    }
}

fn no_refresh_after_invalid_grant(view: &View, recorder: &mut Recorder) {
    let refreshes: Vec<_> = view.refreshes().collect();
    let refused: BTreeSet<&str> = refreshes
        .iter()
        .filter(|(_, r, _)| invalid_grant(r))
        .filter_map(|(_, r, _)| r.form_field("refresh_token"))
        .collect();
    if refused.is_empty() {
        recorder.skip(
            &checks::CLIENT_NO_REFRESH_AFTER_INVALID_GRANT,
            "no refresh of the client was answered with invalid_grant",
        );
        return;
    }
    // A retry is a request sent after a refusal of its token was answered; one that raced
    // the refused request (arrived before its answer) could not have known, and is
    // `client-refresh-single-flight`'s to judge.
    let refusals: Vec<(usize, &RecordedRequest)> = refreshes
        .iter()
        .filter(|(_, r, _)| invalid_grant(r))
        .map(|&(i, r, _)| (i, r))
        .collect();
    let retries = refreshes
        .iter()
        .filter(|&&(i, r, _)| {
            let token = r.form_field("refresh_token");
            refusals.iter().any(|&(j, refusal)| {
                j < i && refusal.form_field("refresh_token") == token && !r.overlapped(refusal)
            })
        })
        .count();
    let details = json!({ "refusedRefreshTokens": refused.len(), "retriesOfARefusedToken": retries, "refreshes": refreshes.len() });
    if retries == 0 {
        recorder.pass(&checks::CLIENT_NO_REFRESH_AFTER_INVALID_GRANT, details);
    } else {
        recorder.fail(
            &checks::CLIENT_NO_REFRESH_AFTER_INVALID_GRANT,
            details,
            format!("the client sent a refresh token again {retries} time(s) after invalid_grant"),
        );
    }
}

fn invalid_grant(refresh: &RecordedRequest) -> bool {
    refresh
        .response_json
        .as_ref()
        .and_then(|j| j.get("error"))
        .and_then(Value::as_str)
        == Some("invalid_grant")
}

fn reauthorization_bounded(view: &View, recorder: &mut Recorder) {
    let refused = view
        .mcp_requests()
        .filter(|(_, r)| r.authorization.is_some() && matches!(r.status, 401 | 403))
        .count();
    if refused == 0 {
        recorder.skip(
            &checks::CLIENT_REAUTHORIZATION_BOUNDED,
            "no token of the client was refused",
        );
        return;
    }
    // One authorization, plus the profile's re-authorizations, at each authorization server.
    let servers = view.facts.auth_servers.len();
    let per_server = 1 + usize::from(view.input.profile.max_reauthorizations.max(2));
    let allowed_authorizations = per_server * servers;
    let allowed_refusals = 2 * allowed_authorizations + 2;
    let authorizations = view.authorization_requests().count();
    let details = json!({
        "authorizationRequests": authorizations,
        "allowedAuthorizationRequests": allowed_authorizations,
        "refusedTokenRequests": refused,
        "allowedRefusals": allowed_refusals,
    });
    if authorizations <= allowed_authorizations && refused <= allowed_refusals {
        recorder.pass(&checks::CLIENT_REAUTHORIZATION_BOUNDED, details);
    } else {
        recorder.fail(
            &checks::CLIENT_REAUTHORIZATION_BOUNDED,
            details,
            format!(
                "{authorizations} authorization requests and {refused} refused MCP requests: the client loops instead of giving up"
            ),
        );
    }
}

fn reregisters(view: &View, recorder: &mut Recorder) {
    let Some(switched_at) = view.fired("switch-authorization-server") else {
        recorder.skip(
            &checks::CLIENT_REREGISTERS_AFTER_AS_CHANGE,
            "the authorization server was never switched (the client did not get that far)",
        );
        return;
    };
    let alternate = Server::AlternateAuthorizationServer;
    let at_alternate: Vec<_> = view
        .authorization_requests()
        .filter(|(i, _, s)| *i > switched_at && s.role == alternate)
        .collect();
    if at_alternate.is_empty() {
        recorder.skip(
            &checks::CLIENT_REREGISTERS_AFTER_AS_CHANGE,
            "the client never went to the new authorization server",
        );
        return;
    }
    let registered_there: BTreeSet<String> = view
        .registrations()
        .filter(|(_, _, s)| s.role == alternate)
        .filter_map(|(_, r, _)| {
            r.response_json
                .as_ref()?
                .get("client_id")?
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    let unknown: Vec<&str> = at_alternate
        .iter()
        .filter_map(|(_, r, _)| r.query_param("client_id"))
        .filter(|id| !registered_there.contains(*id) && !id.starts_with("http"))
        .collect();
    let details = json!({ "registrationsAtNewServer": registered_there.len(), "authorizationRequestsAtNewServer": at_alternate.len() });
    if unknown.is_empty() {
        recorder.pass(&checks::CLIENT_REREGISTERS_AFTER_AS_CHANGE, details);
    } else {
        recorder.fail(
            &checks::CLIENT_REREGISTERS_AFTER_AS_CHANGE,
            details,
            "the client sent the new authorization server a Client ID it never registered there",
        );
    }
}

fn outcome(
    view: &View,
    expected: ClientOutcome,
    requirement: Requirement,
    recorder: &mut Recorder,
) {
    let last_trigger = view.input.fired.iter().map(|f| f.request_index).max();
    let tool_calls = view
        .log()
        .filter(|(i, r)| r.is_successful_tool_call() && last_trigger.is_none_or(|t| *i > t))
        .count();
    let any_tool_call = view.log().any(|(_, r)| r.is_successful_tool_call());
    let authorizations = view.authorization_requests().count();
    let exchanges = view.code_exchanges().count();
    let actual = if tool_calls > 0 {
        "connects"
    } else if any_tool_call {
        "connected, but not after the server-side triggers"
    } else if authorizations == 0 {
        "never went to authorization"
    } else if exchanges == 0 {
        "never redeemed a code"
    } else {
        "no successful tools/call"
    };
    // Where a client that stops must have been when it stopped: the answer it had to refuse.
    let question = decision_point(view, expected);
    let met = match expected {
        ClientOutcome::Connects => tool_calls > 0,
        ClientOutcome::RefusesBeforeAuthorization => authorizations == 0,
        ClientOutcome::RefusesBeforeTokenRequest => authorizations > 0 && exchanges == 0,
        ClientOutcome::DoesNotConnect => !any_tool_call,
    };
    let mut details = json!({
        "expected": expected.as_str(),
        "actual": actual,
        "authorizationRequests": authorizations,
        "codeExchanges": exchanges,
        "triggersFired": view.input.fired,
    });
    if let Some((what, reached)) = &question {
        details["question"] = json!(what);
        details["questionReachedAt"] = json!(reached);
    }
    if view.input.log.is_empty() {
        recorder.skip(
            &checks::CLIENT_SCENARIO_OUTCOME,
            "the client made no request at all",
        );
    } else if let (true, Some((what, None))) = (met, question) {
        let last = view.input.log.last().map_or(String::new(), |r| {
            format!("{} {} (answered {})", r.method, r.path, r.status)
        });
        details["actual"] = json!("did not reach the question");
        details["lastRequest"] = json!(last);
        recorder.fail(
            &checks::CLIENT_SCENARIO_OUTCOME,
            details,
            format!(
                "did not reach the question: a conformant client {} once it has {what}; this one stopped before that, its last request {last}",
                describe(expected)
            ),
        );
    } else if met {
        recorder.pass(&checks::CLIENT_SCENARIO_OUTCOME, details);
    } else if requirement == Requirement::Should {
        recorder.warn(
            &checks::CLIENT_SCENARIO_OUTCOME,
            details,
            format!(
                "a conformant client {}; this one: {actual} (the revisions ask for it with SHOULD, so this is a warning)",
                describe(expected)
            ),
        );
    } else {
        recorder.fail(
            &checks::CLIENT_SCENARIO_OUTCOME,
            details,
            format!(
                "a conformant client {}; this one: {actual}",
                describe(expected)
            ),
        );
    }
}

/// For an outcome that stops short: what the client must have received to decide (named for
/// the report), and the index of the request that shows it did, `None` when none does. A
/// client that crashed before the decision is not credited with making it.
fn decision_point(view: &View, expected: ClientOutcome) -> Option<(&'static str, Option<usize>)> {
    let registrations: BTreeSet<usize> = view.registrations().map(|(i, _, _)| i).collect();
    let authorizations: BTreeSet<usize> =
        view.authorization_requests().map(|(i, _, _)| i).collect();
    let token_requests: BTreeSet<usize> = view.token_requests().map(|(i, _, _)| i).collect();
    let first = |what: &'static str, found: &dyn Fn(usize, &RecordedRequest) -> bool| {
        Some((what, view.log().find(|(i, r)| found(*i, r)).map(|(i, _)| i)))
    };
    let protected_resource = MetadataDocument::ProtectedResource;
    let authorization_server = MetadataDocument::AuthorizationServer;
    match expected {
        ClientOutcome::Connects => None,
        ClientOutcome::RefusesBeforeAuthorization => match view.facts.metadata_mismatch {
            // A challenge that points an https endpoint at plain-http metadata is itself an
            // answer a client may refuse, before fetching anything in the clear.
            Some(MetadataDocument::ProtectedResource) if view.facts.pointer_downgraded => first(
                "got the 401 pointing at plain-http metadata, or fetched that metadata, which does not match",
                &|_, r| {
                    (protected_resource.fetched_by(r) && r.status == 200)
                        || (r.server == Server::ResourceServer
                            && r.status == 401
                            && !protected_resource.fetched_by(r))
                },
            ),
            Some(MetadataDocument::ProtectedResource) => first(
                "fetched the protected-resource metadata that does not match",
                &|_, r| protected_resource.fetched_by(r) && r.status == 200,
            ),
            Some(MetadataDocument::AuthorizationServer) => first(
                "fetched the authorization-server metadata that does not match",
                &|_, r| authorization_server.fetched_by(r) && r.status == 200,
            ),
            // The last step before authorization: the authorization server's metadata (or
            // its absence, or that of any metadata), a registration answer, or an MCP answer
            // that is a redirect rather than a challenge.
            None => first(
                "looked for the authorization server's metadata, or got an answer to its registration",
                &|i, r| {
                    authorization_server.fetched_by(r)
                        || (!view.facts.protected_resource_metadata
                            && protected_resource.fetched_by(r))
                        || (!view.facts.as_metadata_findable
                            && protected_resource.fetched_by(r)
                            && r.status == 200)
                        || registrations.contains(&i)
                        || (r.server == Server::ResourceServer
                            && !r.path.starts_with("/.well-known/")
                            && (300..400).contains(&r.status))
                },
            ),
        },
        ClientOutcome::RefusesBeforeTokenRequest => {
            first("got an answer from the authorization endpoint", &|i, _| {
                authorizations.contains(&i)
            })
        }
        // A refusal after the start: a token or registration request refused, an
        // authorization answered with an error, an access token refused by the MCP server.
        ClientOutcome::DoesNotConnect => first(
            "been refused a token request, an authorization, a registration or its access token",
            &|i, r| {
                ((token_requests.contains(&i) || registrations.contains(&i)) && r.status >= 400)
                    || (authorizations.contains(&i)
                        && (r.location_param("error").is_some() || r.status >= 400))
                    || (r.server == Server::ResourceServer
                        && r.authorization.is_some()
                        && matches!(r.status, 401 | 403))
            },
        ),
    }
}

fn describe(outcome: ClientOutcome) -> &'static str {
    match outcome {
        ClientOutcome::Connects => {
            "reaches a successful tools/call (after the scenario's server-side changes)"
        }
        ClientOutcome::RefusesBeforeAuthorization => {
            "stops before sending anyone to the authorization endpoint"
        }
        ClientOutcome::RefusesBeforeTokenRequest => {
            "refuses the authorization response and never redeems the code"
        }
        ClientOutcome::DoesNotConnect => "cannot connect here and stops",
    }
}
