//! A client-authenticated form POST to the token or revocation endpoint, and the reading of
//! its answer as RFC 6749 §5.1 / §5.2 describe, for the steps after the code exchange.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderValue};

use serde_json::json;

use super::registration::{AuthMethod, RegisteredClient};
use super::token_response::ParsedTokenResponse;
use super::token_set::TokenSet;
use super::{FlowContext, dpop};
use crate::checks;
use crate::http::{Body, HttpError, HttpResponse};

/// Adds the client's authentication, as registered, to a request (RFC 6749 §2.3).
pub fn authenticate(
    client: &RegisteredClient,
    headers: &mut HeaderMap,
    params: &mut Vec<(String, String)>,
) {
    match (client.auth_method, &client.client_secret) {
        (AuthMethod::ClientSecretBasic, Some(secret)) => {
            // RFC 6749 §2.3.1: each part form-urlencoded before base64.
            let encode =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let credentials = STANDARD.encode(format!(
                "{}:{}",
                encode(&client.client_id),
                encode(secret.secret())
            ));
            if let Ok(value) = HeaderValue::from_str(&format!("Basic {credentials}")) {
                headers.insert("authorization", value);
            }
        }
        (AuthMethod::ClientSecretPost, Some(secret)) => {
            params.push(("client_id".to_owned(), client.client_id.clone()));
            params.push(("client_secret".to_owned(), secret.secret().clone()));
        }
        _ => params.push(("client_id".to_owned(), client.client_id.clone())),
    }
}

/// POSTs `params` with the client's authentication to `endpoint`, recorded under `step`.
/// A flow that uses DPoP adds a proof to token requests (not revocations) and answers one
/// `use_dpop_nonce` demand by sending the request again with the new nonce (RFC 9449 §8).
pub async fn post(
    ctx: &mut FlowContext,
    step: &str,
    endpoint: &str,
    client: &RegisteredClient,
    params: Vec<(String, String)>,
) -> Result<HttpResponse, HttpError> {
    let key = ctx.dpop.clone().filter(|_| step != "revocation");
    let response = post_once(ctx, step, endpoint, client, params.clone()).await?;
    let Some(key) = key else {
        return Ok(response);
    };
    let fresh_nonce = key.keep_nonce(dpop::Server::Authorization, &response);
    if !dpop::token_endpoint_wants_nonce(&response) {
        return Ok(response);
    }
    if !fresh_nonce {
        ctx.recorder.fail(
            &checks::DPOP_NONCE,
            json!({ "server": "authorization", "endpoint": endpoint, "newNonce": false }),
            "the token endpoint answered use_dpop_nonce without a new DPoP-Nonce header to use, so the client does not send the request again",
        );
        return Ok(response);
    }
    let retried = post_once(ctx, step, endpoint, client, params).await?;
    key.keep_nonce(dpop::Server::Authorization, &retried);
    if dpop::token_endpoint_wants_nonce(&retried) {
        ctx.recorder.fail(
            &checks::DPOP_NONCE,
            json!({ "server": "authorization", "endpoint": endpoint, "retried": true }),
            "the token endpoint demanded a DPoP nonce again after the client sent the one it issued; the client retries once only",
        );
    } else {
        ctx.recorder.pass(
            &checks::DPOP_NONCE,
            json!({ "server": "authorization", "endpoint": endpoint, "retried": true }),
        );
    }
    Ok(retried)
}

async fn post_once(
    ctx: &FlowContext,
    step: &str,
    endpoint: &str,
    client: &RegisteredClient,
    mut params: Vec<(String, String)>,
) -> Result<HttpResponse, HttpError> {
    let mut headers = HeaderMap::new();
    if ctx.profile.token_accept_json {
        headers.insert("accept", HeaderValue::from_static("application/json"));
    }
    if let Some(key) = ctx.dpop.as_ref().filter(|_| step != "revocation") {
        let proof = key.proof(
            dpop::Server::Authorization,
            "POST",
            endpoint,
            None,
            ctx.clock.now(),
        );
        ctx.http.redactor().register(&proof);
        if let Ok(value) = HeaderValue::from_str(&proof) {
            headers.insert("dpop", value);
        }
    }
    authenticate(client, &mut headers, &mut params);
    let body_id_too = client.auth_method == AuthMethod::ClientSecretBasic
        && (ctx.profile.client_id_with_basic || ctx.client_id_in_body.contains(&client.client_id))
        && !params.iter().any(|(name, _)| name == "client_id");
    if body_id_too {
        params.push(("client_id".to_owned(), client.client_id.clone()));
    }
    ctx.http
        .send(step, Method::POST, endpoint, &headers, Body::Form(params))
        .await
}

/// An error answer: status, `error` and `error_description` (placeholders when absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorAnswer {
    pub status: u16,
    pub error: Option<String>,
    pub description: Option<String>,
    pub json: bool,
}

impl ErrorAnswer {
    /// A JSON body, or a form-encoded one whose `Content-Type` says so (its fields are
    /// structured all the same; `token-response-json` reports the form).
    pub fn read(response: &HttpResponse) -> Self {
        let parsed = ParsedTokenResponse::read(response);
        Self {
            status: response.status.as_u16(),
            error: parsed.text("error"),
            // Some frameworks answer `{"message": ...}` without an OAuth error.
            description: parsed
                .text("error_description")
                .or_else(|| parsed.text("message")),
            json: parsed.body.is_object(),
        }
    }

    /// `400 invalid_grant`, `503 (no error code)`, ... for messages.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "{} {}",
            self.status,
            self.error.as_deref().unwrap_or("(no error code)")
        );
        if let Some(description) = &self.description {
            out.push_str(": ");
            out.push_str(description);
        }
        if !self.json {
            out.push_str(" (the body is not JSON)");
        }
        out
    }

    pub fn is(&self, status: u16, error: &str) -> bool {
        self.status == status && self.error.as_deref() == Some(error)
    }
}

/// A token response read as RFC 6749 §5.1: tokens on a 200 Bearer answer, else the error.
/// The tokens are registered with the redactor before anything else sees them, and an
/// implausible `expires_in` is recorded (`token-lifetime-plausible`).
pub fn read_tokens(
    ctx: &mut FlowContext,
    response: &HttpResponse,
) -> Result<TokenSet, ErrorAnswer> {
    let parsed = ParsedTokenResponse::read(response);
    super::token_quirks::observe_answer(ctx, &parsed);
    dpop::observe_token_type(ctx, &parsed);
    if super::token_quirks::refused(ctx, &parsed).is_some() {
        return Err(ErrorAnswer::read(response));
    }
    parsed
        .tokens(ctx.clock.now())
        .ok_or_else(|| ErrorAnswer::read(response))
}
