//! The token requests: PKCE verifier, redirect URI consistency, the resource indicator across
//! authorization, token and refresh requests, and client authentication.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use serde_json::json;
use sha2::{Digest, Sha256};

use super::facts::View;
use mcp_oauth_engine::checks;
use mcp_oauth_engine::recorder::Recorder;

const NO_EXCHANGE: &str = "the client redeemed no authorization code";

pub fn judge(view: &View, recorder: &mut Recorder) {
    verifier_and_redirect(view, recorder);
    resource(view, recorder);
    auth_method(view, recorder);
}

fn verifier_and_redirect(view: &View, recorder: &mut Recorder) {
    let exchanges: Vec<_> = view.code_exchanges().collect();
    if exchanges.is_empty() {
        recorder.skip(&checks::CLIENT_PKCE_VERIFIER, NO_EXCHANGE);
        recorder.skip(&checks::CLIENT_REDIRECT_URI_CONSISTENT, NO_EXCHANGE);
        return;
    }
    let (mut verifier_bad, mut redirect_bad, mut unmatched) = (Vec::new(), Vec::new(), 0);
    for (index, exchange, _) in &exchanges {
        let Some((_, authorization, _)) = exchange
            .form_field("code")
            .and_then(|code| view.authorization_that_issued(code))
        else {
            unmatched += 1;
            continue;
        };
        let challenge = authorization.query_param("code_challenge");
        let hashed = exchange
            .form_field("code_verifier")
            .map(|v| URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes())));
        if challenge.is_none() || hashed.as_deref() != challenge {
            verifier_bad.push(json!({
                "request": index,
                "verifierSent": exchange.form_field("code_verifier").is_some(),
            }));
        }
        let sent = exchange.form_field("redirect_uri");
        let authorized = authorization.query_param("redirect_uri");
        if sent != authorized {
            redirect_bad.push(json!({ "request": index, "expected": authorized, "actual": sent }));
        }
    }
    let judged = exchanges.len() - unmatched;
    if judged == 0 {
        let why = "no code exchange sent a code this server issued";
        recorder.skip(&checks::CLIENT_PKCE_VERIFIER, why);
        recorder.skip(&checks::CLIENT_REDIRECT_URI_CONSISTENT, why);
        return;
    }
    if verifier_bad.is_empty() {
        recorder.pass(
            &checks::CLIENT_PKCE_VERIFIER,
            json!({ "codeExchanges": judged }),
        );
    } else {
        recorder.fail(
            &checks::CLIENT_PKCE_VERIFIER,
            json!({ "expected": "BASE64URL(SHA-256(code_verifier)) = code_challenge", "mismatches": verifier_bad }),
            format!(
                "{} of {judged} code exchanges sent no code_verifier or one that does not match the challenge",
                verifier_bad.len()
            ),
        );
    }
    if redirect_bad.is_empty() {
        recorder.pass(
            &checks::CLIENT_REDIRECT_URI_CONSISTENT,
            json!({ "codeExchanges": judged }),
        );
    } else {
        recorder.fail(
            &checks::CLIENT_REDIRECT_URI_CONSISTENT,
            json!({ "mismatches": redirect_bad }),
            format!(
                "{} code exchanges sent another redirect_uri than their authorization request",
                redirect_bad.len()
            ),
        );
    }
}

fn resource(view: &View, recorder: &mut Recorder) {
    let mut sent: Vec<(&str, Option<&str>)> = Vec::new();
    for (_, r, _) in view.authorization_requests() {
        sent.push(("authorization", r.query_param("resource")));
    }
    for (_, r, _) in view.code_exchanges() {
        sent.push(("token", r.form_field("resource")));
    }
    for (_, r, _) in view.refreshes() {
        sent.push(("refresh", r.form_field("resource")));
    }
    if sent.is_empty() {
        recorder.skip(
            &checks::CLIENT_RESOURCE_INDICATOR,
            "the client sent no authorization, token or refresh request",
        );
        return;
    }
    let expected = view.facts.resource.as_str();
    let details = json!({
        "expected": expected,
        "requests": sent.iter().map(|(request, resource)| json!({ "request": request, "resource": resource })).collect::<Vec<_>>(),
    });
    let missing: Vec<&str> = sent
        .iter()
        .filter(|(_, r)| r.is_none())
        .map(|(request, _)| *request)
        .collect();
    let wrong: Vec<&str> = sent
        .iter()
        .filter(|(_, r)| r.is_some_and(|r| r != expected))
        .filter_map(|(_, r)| *r)
        .collect();
    if missing.is_empty() && wrong.is_empty() {
        recorder.pass(&checks::CLIENT_RESOURCE_INDICATOR, details);
    } else if !wrong.is_empty() {
        recorder.fail(
            &checks::CLIENT_RESOURCE_INDICATOR,
            details,
            format!("resource {:?} is not the canonical {expected:?}", wrong[0]),
        );
    } else {
        recorder.fail(
            &checks::CLIENT_RESOURCE_INDICATOR,
            details,
            format!("no resource on the {} request(s)", missing.join(", ")),
        );
    }
}

fn auth_method(view: &View, recorder: &mut Recorder) {
    let mut judged = Vec::new();
    let mut wrong = Vec::new();
    // As the token endpoint read the request, and the method it holds for the client: the
    // judge and the mock cannot disagree on either.
    for (index, request, _) in view.token_requests() {
        let Some(authentication) = &request.client_authentication else {
            continue;
        };
        let Some(registered) = authentication.registered.clone() else {
            continue;
        };
        let method = authentication.method.clone();
        judged.push(json!({ "request": index, "registered": registered, "used": method }));
        if registered != method {
            wrong.push((registered, method));
        }
    }
    if judged.is_empty() {
        recorder.skip(
            &checks::CLIENT_TOKEN_AUTH_METHOD,
            "the client sent no token request as a client the authorization server knows",
        );
    } else if wrong.is_empty() {
        recorder.pass(
            &checks::CLIENT_TOKEN_AUTH_METHOD,
            json!({ "tokenRequests": judged }),
        );
    } else {
        let (registered, used) = &wrong[0];
        recorder.fail(
            &checks::CLIENT_TOKEN_AUTH_METHOD,
            json!({ "expected": registered, "actual": used, "tokenRequests": judged }),
            format!(
                "{} token requests authenticated with {used} although the client is registered for {registered}",
                wrong.len()
            ),
        );
    }
}
