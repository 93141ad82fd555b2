//! A refresh on demand, whatever the access token's expiry, and the reuse of a refresh token
//! after rotation: what a live check asks of the token endpoint once it holds real tokens.

use oauth2::RefreshToken;
use serde_json::json;

use super::discovery::DiscoveredServer;
use super::refresh_failure::{self, RefreshKind};
use super::registration::{AuthMethod, RegisteredClient};
use super::token::TokenSet;
use super::token_request;
use super::{FlowContext, StepResult};
use crate::checks;

/// Refreshes now. Records `refresh-token-grant` and, for public clients,
/// `refresh-token-rotation`. A refresh that keeps the refresh token keeps the old one.
pub async fn refresh_now(
    ctx: &mut FlowContext,
    server: &DiscoveredServer,
    client: &RegisteredClient,
    refresh_token: &RefreshToken,
) -> StepResult<TokenSet> {
    let mut params = vec![
        ("grant_type".to_owned(), "refresh_token".to_owned()),
        ("refresh_token".to_owned(), refresh_token.secret().clone()),
    ];
    if super::sends_resource(ctx.profile, server) {
        params.push(("resource".to_owned(), server.resource.clone()));
    }
    let response = token_request::post(ctx, "refresh", &server.endpoints.token, client, params)
        .await
        .map_err(|e| {
            ctx.recorder.fail(
                &checks::REFRESH_GRANT,
                json!({ "error": e.to_string() }),
                format!("the refresh request failed: {e}"),
            );
            refresh_failure::from_error(&e)
        })?;
    match token_request::read_tokens(ctx, &response) {
        Ok(mut tokens) => {
            let rotated = tokens
                .refresh_token
                .as_ref()
                .is_some_and(|new| new.secret() != refresh_token.secret());
            ctx.recorder.pass(
                &checks::REFRESH_GRANT,
                json!({ "status": 200, "newRefreshToken": rotated }),
            );
            if client.auth_method == AuthMethod::None {
                if rotated {
                    ctx.recorder
                        .pass(&checks::REFRESH_TOKEN_ROTATION, json!({ "rotated": true }));
                } else {
                    ctx.recorder.fail(
                        &checks::REFRESH_TOKEN_ROTATION,
                        json!({ "expected": "a new refresh token", "actual": if tokens.refresh_token.is_some() { "the same refresh token" } else { "no refresh token" } }),
                        "the refresh of a public client's token did not rotate the refresh token",
                    );
                }
            } else {
                ctx.recorder.skip(
                    &checks::REFRESH_TOKEN_ROTATION,
                    "the client is confidential: rotation is optional for it",
                );
            }
            if tokens.refresh_token.is_none() {
                tokens.refresh_token = Some(refresh_token.clone());
            }
            Ok(tokens)
        }
        Err(answer) => {
            ctx.recorder.fail(
                &checks::REFRESH_GRANT,
                json!({ "expected": 200, "actualStatus": answer.status, "error": answer.error, "errorDescription": answer.description }),
                format!(
                    "the refresh of a fresh refresh token answered {}",
                    answer.summary()
                ),
            );
            if let Some(unknown) = super::unknown_client::at_refresh(ctx, client, &answer) {
                return Err(unknown);
            }
            Err(refresh_failure::from_answer(
                RefreshKind::FreshToken,
                &answer,
            ))
        }
    }
}

/// Presents a refresh token that a refresh has rotated away. Records
/// `refresh-token-reuse-refused`; `after_revocation` says whether the token family was revoked
/// in between (then a refusal proves less).
pub async fn reuse(
    ctx: &mut FlowContext,
    server: &DiscoveredServer,
    client: &RegisteredClient,
    old: &RefreshToken,
    after_revocation: bool,
) {
    let mut params = vec![
        ("grant_type".to_owned(), "refresh_token".to_owned()),
        ("refresh_token".to_owned(), old.secret().clone()),
    ];
    if super::sends_resource(ctx.profile, server) {
        params.push(("resource".to_owned(), server.resource.clone()));
    }
    let response =
        match token_request::post(ctx, "refresh", &server.endpoints.token, client, params).await {
            Ok(response) => response,
            Err(e) => {
                ctx.recorder.fail(
                    &checks::REFRESH_TOKEN_REUSE_REFUSED,
                    json!({ "error": e.to_string() }),
                    format!("the reuse request failed: {e}"),
                );
                return;
            }
        };
    match token_request::read_tokens(ctx, &response) {
        Ok(_) => {
            ctx.recorder.fail(
                &checks::REFRESH_TOKEN_REUSE_REFUSED,
                json!({ "expected": "400 invalid_grant", "actualStatus": 200, "afterRevocation": after_revocation }),
                "a refresh token that was rotated away still works: a stolen one would too",
            );
        }
        Err(answer) if answer.is(400, "invalid_grant") => ctx.recorder.pass(
            &checks::REFRESH_TOKEN_REUSE_REFUSED,
            json!({ "status": 400, "error": "invalid_grant", "afterRevocation": after_revocation }),
        ),
        Err(answer) => {
            ctx.recorder.fail(
                &checks::REFRESH_TOKEN_REUSE_REFUSED,
                json!({ "expected": "400 invalid_grant", "actualStatus": answer.status, "error": answer.error, "afterRevocation": after_revocation }),
                format!(
                    "the reused refresh token was answered {}, not 400 invalid_grant",
                    answer.summary()
                ),
            );
        }
    }
}
