//! Requests to the MCP server: the bearer token in the Authorization header, never in the URL.

use serde_json::{Value, json};

use mcp_oauth_mocks::RecordedRequest;

use super::facts::View;
use mcp_oauth_engine::checks;
use mcp_oauth_engine::recorder::Recorder;

pub fn judge(view: &View, recorder: &mut Recorder) {
    let issued: Vec<String> = view
        .token_requests()
        .filter_map(|(_, r, _)| r.response_json.as_ref())
        .filter_map(|json| json.get("access_token").and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    let first_token = view
        .token_requests()
        .find(|(_, r, _)| r.status == 200)
        .map(|(i, _, _)| i);

    match first_token {
        None => recorder.skip(
            &checks::CLIENT_BEARER_HEADER,
            "the client never obtained an access token",
        ),
        Some(first) => {
            let after: Vec<_> = view.mcp_requests().filter(|(i, _)| *i > first).collect();
            let without: Vec<Value> = after
                .iter()
                .filter(|(i, r)| {
                    !r.authorization
                        .as_ref()
                        .is_some_and(|c| c.scheme.eq_ignore_ascii_case("bearer") && !c.value.is_empty())
                        && !opens_a_new_sign_in(view, *i, r)
                })
                .map(|(i, r)| json!({ "request": i, "method": r.method, "scheme": r.authorization.as_ref().map(|c| c.scheme.clone()) }))
                .collect();
            if after.is_empty() {
                recorder.skip(
                    &checks::CLIENT_BEARER_HEADER,
                    "the client made no MCP request after obtaining a token",
                );
            } else if without.is_empty() {
                recorder.pass(
                    &checks::CLIENT_BEARER_HEADER,
                    json!({ "mcpRequests": after.len() }),
                );
            } else {
                recorder.fail(
                    &checks::CLIENT_BEARER_HEADER,
                    json!({ "expected": "Authorization: Bearer <token>", "mcpRequests": after.len(), "without": without }),
                    format!(
                        "{} of {} MCP requests after the token was issued carried no Bearer authorization",
                        without.len(),
                        after.len()
                    ),
                );
            }
        }
    }

    let requests: Vec<_> = view.mcp_requests().collect();
    if requests.is_empty() {
        recorder.skip(
            &checks::CLIENT_TOKEN_NOT_IN_QUERY,
            "the client made no MCP request",
        );
        return;
    }
    let in_url: Vec<Value> = requests
        .iter()
        .filter(|(_, r)| {
            r.query
                .iter()
                .any(|(name, value)| name == "access_token" || issued.iter().any(|t| t == value))
                || r.form.iter().any(|(name, _)| name == "access_token")
        })
        .map(|(i, r)| json!({ "request": i, "method": r.method }))
        .collect();
    if in_url.is_empty() {
        recorder.pass(
            &checks::CLIENT_TOKEN_NOT_IN_QUERY,
            json!({ "mcpRequests": requests.len() }),
        );
    } else {
        recorder.fail(
            &checks::CLIENT_TOKEN_NOT_IN_QUERY,
            json!({ "requests": in_url }),
            format!(
                "{} MCP requests carried an access token in the URL or body",
                in_url.len()
            ),
        );
    }
}

/// Whether a request without any Authorization header is the first request of a new sign-in:
/// the server refused the client's token last (a 401 to a request that carried one, with no
/// token issued since), and the client went back to the authorization server afterwards. A
/// client that dropped refused tokens asks without one to get the challenge that starts the
/// flow again (the MCP authorization flow's first step); that is no missing bearer.
fn opens_a_new_sign_in(view: &View, index: usize, request: &RecordedRequest) -> bool {
    if request.authorization.is_some() {
        return false;
    }
    let last_refusal = view
        .mcp_requests()
        .filter(|(i, r)| *i < index && r.status == 401 && r.authorization.is_some())
        .map(|(i, _)| i)
        .last();
    let last_token = view
        .token_requests()
        .filter(|(i, r, _)| *i < index && r.status == 200)
        .map(|(i, _, _)| i)
        .last();
    let refused_since_last_token = match (last_refusal, last_token) {
        (Some(refusal), Some(token)) => refusal > token,
        (Some(_), None) => true,
        (None, _) => false,
    };
    let signs_in_again = view.authorization_requests().any(|(i, _, _)| i > index)
        || view
            .token_requests()
            .any(|(i, r, _)| i > index && r.grant_type.as_deref() != Some("refresh_token"));
    refused_since_last_token && signs_in_again
}
