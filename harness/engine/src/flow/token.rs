//! Step 5: the token endpoint, for the code exchange and for reactive refresh.
//!
//! Requests are built by hand rather than with oauth2's typed client: a conformance client must
//! see the raw status and body of every answer to judge it, including answers that a typed
//! client would reject before anyone could look.

use std::time::Duration;

use serde_json::json;

use super::authorization::AuthorizationGrant;
use super::discovery::DiscoveredServer;
use super::refresh_failure::{self, RefreshKind};
use super::registration::{AuthMethod, RegisteredClient};
use super::token_request::ErrorAnswer;
use super::token_response::ParsedTokenResponse;
pub use super::token_set::TokenSet;
use super::{ClientOptions, Connection, FlowContext, StepResult, resource_parameter};
use crate::checks;
use crate::diagnosis;
use crate::http::HttpResponse;
use crate::timestamp::{Precision, rfc3339};

/// What the token endpoint said, read as RFC 6749 §5.1 / §5.2 describe.
enum TokenAnswer {
    Issued(TokenSet),
    /// A 200 answer with no OAuth error that still carries no usable token (RFC 6749 §5.1
    /// fields missing or of the wrong kind); `problem` names the field.
    Unusable {
        problem: String,
    },
    Error {
        status: u16,
        error: String,
        description: String,
        answer: ErrorAnswer,
    },
}

pub async fn exchange_code(
    ctx: &mut FlowContext,
    options: &ClientOptions,
    server: &DiscoveredServer,
    client: &RegisteredClient,
    grant: AuthorizationGrant,
) -> StepResult<TokenSet> {
    let mut params = vec![
        ("grant_type".to_owned(), "authorization_code".to_owned()),
        ("code".to_owned(), grant.code.secret().clone()),
        ("redirect_uri".to_owned(), options.redirect_uri.clone()),
        ("code_verifier".to_owned(), grant.verifier.secret().clone()),
    ];
    let resource = resource_parameter(ctx, "token", server);
    let sent_resource = resource.is_some();
    if let Some((name, resource)) = resource {
        params.push((name.to_owned(), resource));
    }
    let waited = ctx
        .clock
        .now()
        .duration_since(grant.received_at)
        .unwrap_or_default();
    let answer = request(ctx, server, client, params).await.map_err(|e| {
        diagnosis::new(
            diagnosis::TOKEN_EXCHANGE_FAILED,
            format!("The token endpoint could not be reached: {e}"),
            "Check that the token_endpoint in the metadata is reachable.",
        )
    })?;
    match answer {
        TokenAnswer::Issued(tokens) => {
            ctx.recorder.pass(
                &checks::TOKEN_EXCHANGE,
                json!({ "tokenType": if ctx.dpop.is_some() { "DPoP" } else { "Bearer" }, "expiresAt": tokens.expires_at.map(|t| rfc3339(t, Precision::Seconds)), "scope": tokens.scope }),
            );
            match &tokens.refresh_token {
                Some(_) => ctx.recorder.pass(
                    &checks::REFRESH_TOKEN_ISSUED,
                    json!({ "refreshToken": "issued" }),
                ),
                None => {
                    ctx.recorder.fail(
                        &checks::REFRESH_TOKEN_ISSUED,
                        json!({ "refreshToken": null }),
                        "the token response has no refresh token",
                    );
                }
            }
            Ok(tokens)
        }
        TokenAnswer::Unusable { problem } => {
            ctx.recorder.fail(
                &checks::TOKEN_EXCHANGE,
                json!({ "expected": "access_token and token_type Bearer", "actualStatus": 200, "problem": problem }),
                format!("the code exchange answered 200 without a usable token: {problem}"),
            );
            Err(unusable(&problem, "code exchange"))
        }
        TokenAnswer::Error {
            status,
            error,
            description,
            ..
        } => {
            ctx.recorder.fail(
                &checks::TOKEN_EXCHANGE,
                json!({ "expected": 200, "actualStatus": status, "error": error, "errorDescription": description }),
                format!("the code exchange answered {status} {error}: {description}"),
            );
            if let Some(unknown) =
                super::unknown_client::at_token(ctx, client, status, &error, &description)
            {
                return Err(unknown);
            }
            let expired = description.to_ascii_lowercase().contains("expire");
            Err(match error.as_str() {
                "invalid_grant" if expired || waited >= Duration::from_secs(60) => diagnosis::new(
                    diagnosis::CODE_EXPIRED,
                    format!(
                        "The authorization code was refused as expired (invalid_grant: {description}); it was redeemed {} s after the callback.",
                        waited.as_secs()
                    ),
                    "Connect again: codes live about a minute, so the exchange must follow the callback at once.",
                ),
                "invalid_grant" => diagnosis::new(
                    diagnosis::CODE_REJECTED,
                    format!("The authorization code was refused (invalid_grant: {description})."),
                    "Connect again; if it repeats, the server rejects the PKCE verifier or the redirect_uri of a valid exchange.",
                ),
                "invalid_target" => resource_refusal(sent_resource, status, &description),
                "use_dpop_nonce" => diagnosis::new(
                    diagnosis::DPOP_NONCE_UNSATISFIED,
                    format!(
                        "The token endpoint demanded a DPoP nonce again after the client sent the one it issued ({status} use_dpop_nonce: {description})."
                    ),
                    "Accept a proof carrying the nonce the token endpoint issued last in DPoP-Nonce (RFC 9449 §8); the client retries once, so a nonce that changes on every request can never be met.",
                ),
                "invalid_dpop_proof" => diagnosis::new(
                    diagnosis::DPOP_PROOF_REFUSED,
                    format!(
                        "The token endpoint refused the client's DPoP proof ({status} invalid_dpop_proof: {description})."
                    ),
                    "Check the proof as RFC 9449 §4.3 says: htu is the token endpoint's URL without query and fragment, iat within a window of the server's clock, a new jti.",
                ),
                _ => exchange_refusal(sent_resource, status, &error, &description),
            })
        }
    }
}

/// A 200 token answer without a usable token: the field it lacks is the fix.
fn unusable(problem: &str, request: &str) -> diagnosis::Diagnosis {
    diagnosis::new(
        diagnosis::TOKEN_EXCHANGE_FAILED,
        format!(
            "The token endpoint answered the {request} with 200 but no usable token: {problem}."
        ),
        "Answer token requests as RFC 6749 §5.1 says: a JSON object with a string access_token, token_type \"Bearer\" and, if any, expires_in as a non-negative number of seconds.",
    )
}

/// `invalid_target` at the token endpoint (RFC 8707 §2): the audience is required when none
/// was sent; a `resource` that was sent was refused.
fn resource_refusal(sent_resource: bool, status: u16, description: &str) -> diagnosis::Diagnosis {
    if sent_resource {
        diagnosis::new(
            diagnosis::RESOURCE_REJECTED,
            format!(
                "The token endpoint refused the RFC 8707 resource this client sent ({status} invalid_target: {description})."
            ),
            "Accept the MCP server's canonical URL as RFC 8707 `resource` at the token endpoint; clients that send no `resource` (such as Pipelines) connect meanwhile.",
        )
    } else {
        diagnosis::new(
            diagnosis::AUDIENCE_REQUIRED,
            format!(
                "The token endpoint requires an audience / resource parameter ({status} invalid_target: {description}), and this client sends none."
            ),
            "Make the audience optional, defaulting to the MCP server; a client that sends RFC 8707 `resource` (a spec profile) connects meanwhile.",
        )
    }
}

/// Any other refusal of the code exchange. The remedy follows what was answered; a guess about
/// the cause is worded as one.
fn exchange_refusal(
    sent_resource: bool,
    status: u16,
    error: &str,
    description: &str,
) -> diagnosis::Diagnosis {
    let message =
        format!("The token endpoint refused the code exchange ({status} {error}: {description}).");
    let remedy = match error {
        "invalid_client" | "unauthorized_client" => {
            "Check the client's authentication method and credentials at the provider.".to_owned()
        }
        _ if !sent_resource => format!(
            "The server answered {status} {error}; this client sent no RFC 8707 `resource`. If the server requires an audience (inferred, not observed: `check` compares flows with and without `resource`), make it optional; otherwise read the provider's token endpoint logs."
        ),
        _ if status >= 500 => {
            "The token endpoint failed on its side: read the provider's logs, then connect again.".to_owned()
        }
        _ => "Read the error above; check the client's registration and the parameters the provider requires.".to_owned(),
    };
    diagnosis::new(diagnosis::TOKEN_EXCHANGE_FAILED, message, remedy)
}

/// Reactive refresh: only when a call is about to run and the token is inside the window.
pub async fn refresh_if_due(ctx: &mut FlowContext, connection: &mut Connection) -> StepResult<()> {
    let now = ctx.clock.now();
    let Some(expires_at) = connection.tokens.expires_at else {
        return Ok(());
    };
    let remaining = expires_at.duration_since(now).unwrap_or_default();
    if remaining > ctx.profile.refresh_window {
        return Ok(());
    }
    if connection.tokens.refresh_token.is_none() {
        if remaining.is_zero() {
            return Err(diagnosis::new(
                diagnosis::TOKEN_EXPIRED,
                "The access token expired and the server issued no refresh token.",
                "Re-run the OAuth flow (Connect) to get a new token; ask the provider to issue refresh tokens.",
            ));
        }
        return Ok(());
    }
    let details = json!({ "secondsLeft": remaining.as_secs(), "windowSeconds": ctx.profile.refresh_window.as_secs() });
    refresh(ctx, connection, details).await
}

/// Refreshes because the MCP server refused the access token with a 401 (RFC 6750 §3.1
/// `invalid_token`), whatever its expiry said: what real clients do before they authorize
/// again. Does nothing without a refresh token.
pub async fn refresh_after_refusal(
    ctx: &mut FlowContext,
    connection: &mut Connection,
) -> StepResult<()> {
    if connection.tokens.refresh_token.is_none() {
        return Ok(());
    }
    refresh(ctx, connection, json!({ "after": "401" })).await
}

/// The refresh grant with the connection's refresh token; `details` say why it ran.
async fn refresh(
    ctx: &mut FlowContext,
    connection: &mut Connection,
    mut details: serde_json::Value,
) -> StepResult<()> {
    let Some(refresh_token) = connection.tokens.refresh_token.clone() else {
        return Ok(());
    };
    let mut params = vec![
        ("grant_type".to_owned(), "refresh_token".to_owned()),
        ("refresh_token".to_owned(), refresh_token.secret().clone()),
    ];
    if let Some((name, resource)) = resource_parameter(ctx, "refresh", &connection.server) {
        params.push((name.to_owned(), resource));
    }
    let answer = request(ctx, &connection.server, &connection.client, params).await;
    match answer {
        Ok(TokenAnswer::Issued(mut tokens)) => {
            // Without a new refresh token the old one stays valid (RFC 6749 §6); with one, only
            // the newest is. The details say which, so a scenario can tell.
            details["refreshToken"] = json!(if tokens.refresh_token.is_some() {
                "replaced"
            } else {
                "kept"
            });
            if tokens.refresh_token.is_none() {
                tokens.refresh_token = Some(refresh_token);
            }
            ctx.recorder.pass(&checks::TOKEN_REFRESH, details);
            connection.tokens = tokens;
            connection.refresh_server_errors = 0;
            Ok(())
        }
        Ok(TokenAnswer::Unusable { problem }) => {
            ctx.recorder.fail(
                &checks::TOKEN_REFRESH,
                json!({ "expected": "access_token and token_type Bearer", "actualStatus": 200, "problem": problem }),
                format!("the refresh answered 200 without a usable token: {problem}"),
            );
            Err(unusable(&problem, "refresh"))
        }
        Ok(TokenAnswer::Error {
            status,
            error,
            description,
            answer,
        }) => {
            ctx.recorder.fail(
                &checks::TOKEN_REFRESH,
                json!({ "expected": 200, "actualStatus": status, "error": error, "errorDescription": description }),
                format!("the refresh answered {status} {error}: {description}"),
            );
            if let Some(unknown) =
                super::unknown_client::at_refresh(ctx, &connection.client, &answer)
            {
                return Err(unknown);
            }
            if answer.status >= 500 {
                connection.refresh_server_errors += 1;
                if connection.refresh_server_errors >= 2 {
                    return Err(refresh_failure::grant_broken(
                        &answer.summary(),
                        connection.refresh_server_errors,
                    ));
                }
            }
            Err(refresh_failure::from_answer(
                RefreshKind::BeforeCall,
                &answer,
            ))
        }
        Err(e) => {
            ctx.recorder.fail(
                &checks::TOKEN_REFRESH,
                details,
                format!("the refresh request failed: {e}"),
            );
            Err(refresh_failure::from_error(&e))
        }
    }
}

/// One token request with client authentication as registered. A Basic-authenticated client
/// refused with `invalid_client` tries once more with `client_id` also in the body (RFC 6749
/// §3.2.1 allows it), for servers that read the client ID only from there (fastmcp#4600); if
/// that works, the client keeps sending both and the quirk is recorded.
async fn request(
    ctx: &mut FlowContext,
    server: &DiscoveredServer,
    client: &RegisteredClient,
    params: Vec<(String, String)>,
) -> Result<TokenAnswer, crate::http::HttpError> {
    let endpoint = &server.endpoints.token;
    let response =
        super::token_request::post(ctx, "token", endpoint, client, params.clone()).await?;
    let answer = read_answer(ctx, &response);
    let header_alone = ctx.profile.tolerates(&checks::TOKEN_BASIC_CLIENT_ID)
        && client.auth_method == AuthMethod::ClientSecretBasic
        && client.client_secret.is_some()
        && !ctx.client_id_in_body.contains(&client.client_id);
    let refused = matches!(&answer, TokenAnswer::Error { error, .. } if error == "invalid_client");
    if !(header_alone && refused) {
        return Ok(answer);
    }
    ctx.client_id_in_body.push(client.client_id.clone());
    let retried = super::token_request::post(ctx, "token", endpoint, client, params).await;
    let retried = retried.map(|response| read_answer(ctx, &response));
    match &retried {
        Ok(TokenAnswer::Issued(_)) => {
            ctx.recorder.fail(
                &checks::TOKEN_BASIC_CLIENT_ID,
                json!({ "expected": "client_id read from the Basic header", "clientIdInBody": true }),
                "the token endpoint refused the HTTP Basic credentials alone (invalid_client) and accepted them with client_id also in the body; this client sends both from now on, which servers that refuse both (python-sdk#3138) would not accept",
            );
        }
        _ => ctx.client_id_in_body.retain(|id| id != &client.client_id),
    }
    retried
}

fn read_answer(ctx: &mut FlowContext, response: &HttpResponse) -> TokenAnswer {
    let parsed = ParsedTokenResponse::read(response);
    super::token_quirks::observe_answer(ctx, &parsed);
    super::dpop::observe_token_type(ctx, &parsed);
    if let Some(problem) = super::token_quirks::refused(ctx, &parsed) {
        return TokenAnswer::Unusable { problem };
    }
    if let Some(tokens) = parsed.tokens(ctx.clock.now()) {
        check_no_store(ctx, response);
        return TokenAnswer::Issued(tokens);
    }
    if let Some(problem) = parsed.unusable() {
        return TokenAnswer::Unusable { problem };
    }
    TokenAnswer::Error {
        status: parsed.status,
        error: parsed
            .text("error")
            .unwrap_or_else(|| "(no error code)".to_owned()),
        // Some frameworks answer `{"message": ...}` without an OAuth error (supabase/mcp#355).
        description: parsed
            .text("error_description")
            .or_else(|| parsed.text("message"))
            .unwrap_or_else(|| {
                if parsed.body.is_null() {
                    "the body is not JSON".to_owned()
                } else {
                    "(no description)".to_owned()
                }
            }),
        answer: ErrorAnswer::read(response),
    }
}

fn check_no_store(ctx: &mut FlowContext, response: &HttpResponse) {
    let cache_control = response.header("cache-control").unwrap_or("");
    if cache_control.to_ascii_lowercase().contains("no-store") {
        ctx.recorder.pass(
            &checks::TOKEN_NO_STORE,
            json!({ "cacheControl": cache_control }),
        );
    } else {
        ctx.recorder.fail(
            &checks::TOKEN_NO_STORE,
            json!({ "expected": "no-store", "actual": cache_control }),
            "the token response lacks Cache-Control: no-store",
        );
    }
}
