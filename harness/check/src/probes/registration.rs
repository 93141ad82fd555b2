//! RFC 7591 dynamic client registration of the harness's callback.

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use super::{Findings, ProbeInputs};
use crate::verdict::Effect;
use mcp_oauth_engine::checks::{self};
use mcp_oauth_engine::diagnosis;
use mcp_oauth_engine::flow::discovery::AuthServerMetadata;
use mcp_oauth_engine::flow::registration::{
    self as flow_registration, AuthMethod, RegisteredClient,
};
use mcp_oauth_engine::flow::token_request::ErrorAnswer;
use mcp_oauth_engine::flow::{ClientOptions, FlowContext};
use mcp_oauth_engine::http::Body;

/// Step 4: register the harness's callback, then check that a fragment is refused.
pub(super) async fn registration(
    ctx: &mut FlowContext,
    inputs: &ProbeInputs,
    metadata: &AuthServerMetadata,
    client: &mut Option<RegisteredClient>,
    findings: &mut Findings,
) {
    let Some(endpoint) = metadata.registration_endpoint.clone() else {
        ctx.recorder.skip(
            &checks::DCR_REGISTRATION,
            "the metadata advertises no registration_endpoint",
        );
        ctx.recorder.skip(
            &checks::DCR_REJECTS_FRAGMENT,
            "the metadata advertises no registration_endpoint",
        );
        return;
    };
    register_callback(ctx, inputs, &endpoint, client, findings).await;
    fragment_refused(ctx, inputs, &endpoint, findings).await;
}

/// The registration request the fragment probe sends for `redirect_uri`.
fn registration_request(inputs: &ProbeInputs, redirect_uri: &str) -> Value {
    json!({
        "client_name": inputs.client_name,
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    })
}

/// Registers the harness's callback with the client flow's own registration step, so the
/// registration is the one this profile's consent step then uses instead of registering again.
/// The client it gets is the probes' unless one was brought.
async fn register_callback(
    ctx: &mut FlowContext,
    inputs: &ProbeInputs,
    endpoint: &str,
    client: &mut Option<RegisteredClient>,
    findings: &mut Findings,
) {
    let mut options = ClientOptions::new(&inputs.mcp_url);
    options.redirect_uri = inputs.redirect_uri.clone();
    options.client_name = inputs.client_name.clone();
    match flow_registration::register(ctx, &options, endpoint).await {
        Ok(registered) => {
            flow_registration::offer_for_reuse(ctx, &registered.client_id);
            if client.is_none() {
                *client = Some(registered);
            }
        }
        Err(refused) => findings.problem(
            &checks::DCR_REGISTRATION,
            diagnosis::DCR_REJECTED,
            refused.message,
            refused.remedy,
            Effect::NeedsClientId,
        ),
    }
}

/// A redirect URI with a fragment must be refused (RFC 6749 §3.1.2).
async fn fragment_refused(
    ctx: &mut FlowContext,
    inputs: &ProbeInputs,
    endpoint: &str,
    findings: &mut Findings,
) {
    let fragment_uri = format!("{}#fragment", inputs.redirect_uri);
    let response = ctx
        .http
        .send(
            "registration",
            Method::POST,
            endpoint,
            &HeaderMap::new(),
            Body::Json(registration_request(inputs, &fragment_uri)),
        )
        .await;
    match response {
        Ok(response) if response.status.is_client_error() => {
            let answer = ErrorAnswer::read(&response);
            let details = json!({ "redirectUri": fragment_uri, "status": answer.status, "error": answer.error });
            // Only a registration error answer says the fragment was the reason; a 401, 429 or
            // another error code is some other refusal.
            let registration_error = answer.status == 400
                && matches!(
                    answer.error.as_deref(),
                    Some("invalid_redirect_uri" | "invalid_client_metadata")
                );
            if registration_error {
                ctx.recorder.pass(&checks::DCR_REJECTS_FRAGMENT, details);
            } else {
                ctx.recorder.info(
                    &checks::DCR_REJECTS_FRAGMENT,
                    details,
                    format!(
                        "inconclusive: the registration was answered {}, not 400 invalid_redirect_uri or invalid_client_metadata",
                        answer.summary()
                    ),
                );
            }
        }
        Ok(response) => {
            let status = response.status.as_u16();
            let body = serde_json::from_slice::<Value>(&response.body).unwrap_or(Value::Null);
            // Registered although it should not have been: a leftover to delete afterwards.
            if let Some(client_id) = body.get("client_id").and_then(Value::as_str) {
                let leftover = flow_registration::read_registered_client(ctx, client_id, &body);
                flow_registration::remember(ctx, &leftover, endpoint, &fragment_uri, "probes");
            } else if let Some(secret) = body.get("client_secret").and_then(Value::as_str) {
                ctx.http.redactor().register(secret);
            }
            ctx.recorder.fail(
                &checks::DCR_REJECTS_FRAGMENT,
                json!({ "redirectUri": fragment_uri, "expected": "400 invalid_redirect_uri", "actualStatus": status }),
                format!("a redirect URI with a fragment was answered {status}, not refused"),
            );
            if response.status.is_success() {
                findings.problem(
                    &checks::DCR_REJECTS_FRAGMENT,
                    diagnosis::FRAGMENT_REDIRECT_ACCEPTED,
                    "The registration endpoint accepts redirect URIs with a fragment.",
                    checks::DCR_REJECTS_FRAGMENT.remedy,
                    Effect::Caveat,
                );
            }
        }
        Err(e) => {
            ctx.recorder.fail(
                &checks::DCR_REJECTS_FRAGMENT,
                json!({ "error": e.to_string() }),
                format!("the registration request failed: {e}"),
            );
        }
    }
}

/// A brought confidential client uses Basic unless only post is advertised (RFC 8414 makes
/// client_secret_basic the default).
pub(super) fn brought_auth_method(has_secret: bool, metadata: &AuthServerMetadata) -> AuthMethod {
    if !has_secret {
        return AuthMethod::None;
    }
    let advertised = metadata
        .token_endpoint_auth_methods_supported
        .clone()
        .unwrap_or_default();
    if !advertised.iter().any(|m| m == "client_secret_basic")
        && advertised.iter().any(|m| m == "client_secret_post")
    {
        AuthMethod::ClientSecretPost
    } else {
        AuthMethod::ClientSecretBasic
    }
}
