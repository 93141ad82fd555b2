//! A refresh on demand, whatever the access token's expiry, and the reuse of a refresh token
//! after rotation: what a live check asks of the token endpoint once it holds real tokens.

use std::time::Duration;

use oauth2::RefreshToken;
use serde_json::json;

use super::discovery::DiscoveredServer;
use super::refresh_failure::{self, RefreshKind};
use super::registration::{AuthMethod, RegisteredClient};
use super::token::TokenSet;
use super::token_request;
use super::{FlowContext, StepResult};
use crate::checks;
use crate::diagnosis::Diagnosis;

/// Refreshes now. Records `refresh-token-grant` and, for public clients,
/// `refresh-token-rotation`. A refresh that keeps the refresh token keeps the old one. A
/// server error is tried once more at once: a second one is a refresh grant that does not
/// work (`refresh-grant-broken`), not an outage.
pub async fn refresh_now(
    ctx: &mut FlowContext,
    server: &DiscoveredServer,
    client: &RegisteredClient,
    refresh_token: &RefreshToken,
) -> StepResult<TokenSet> {
    match refresh_once(ctx, server, client, refresh_token, 1).await {
        Err(Attempt::Retry(_)) => refresh_once(ctx, server, client, refresh_token, 2)
            .await
            .map_err(Attempt::into_diagnosis),
        other => other.map_err(Attempt::into_diagnosis),
    }
}

/// How a refresh attempt failed: with a server error worth one more try, or for good; each
/// with the diagnosis of what was answered.
enum Attempt {
    Retry(Diagnosis),
    Failed(Diagnosis),
}

impl Attempt {
    fn into_diagnosis(self) -> Diagnosis {
        match self {
            Attempt::Retry(diagnosis) | Attempt::Failed(diagnosis) => diagnosis,
        }
    }
}

async fn refresh_once(
    ctx: &mut FlowContext,
    server: &DiscoveredServer,
    client: &RegisteredClient,
    refresh_token: &RefreshToken,
    attempt: u32,
) -> Result<TokenSet, Attempt> {
    let mut params = vec![
        ("grant_type".to_owned(), "refresh_token".to_owned()),
        ("refresh_token".to_owned(), refresh_token.secret().clone()),
    ];
    if super::sends_resource(ctx.profile, server) {
        let resource = ctx.profile.resource_written.apply(&server.resource);
        params.push(("resource".to_owned(), resource));
    }
    let response = token_request::post(ctx, "refresh", &server.endpoints.token, client, params)
        .await
        .map_err(|e| {
            ctx.recorder.fail(
                &checks::REFRESH_GRANT,
                json!({ "error": e.to_string() }),
                format!("the refresh request failed: {e}"),
            );
            Attempt::Failed(refresh_failure::from_error(&e))
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
        Err(answer) if answer.status >= 500 && attempt == 1 => {
            ctx.recorder.info(
                &checks::REFRESH_GRANT,
                json!({ "actualStatus": answer.status, "error": answer.error, "attempt": 1 }),
                format!(
                    "the refresh answered {}; tried once more at once, to tell an outage from a grant that does not work",
                    answer.summary()
                ),
            );
            Err(Attempt::Retry(refresh_failure::from_answer(
                RefreshKind::FreshToken,
                &answer,
            )))
        }
        Err(answer) => {
            ctx.recorder.fail(
                &checks::REFRESH_GRANT,
                json!({ "expected": 200, "actualStatus": answer.status, "error": answer.error, "errorDescription": answer.description, "attempt": attempt }),
                format!(
                    "the refresh of a fresh refresh token answered {}",
                    answer.summary()
                ),
            );
            if let Some(unknown) = super::unknown_client::at_refresh(ctx, client, &answer) {
                return Err(Attempt::Failed(unknown));
            }
            if answer.status >= 500 {
                return Err(Attempt::Failed(refresh_failure::grant_broken(
                    &answer.summary(),
                    attempt,
                )));
            }
            Err(Attempt::Failed(refresh_failure::from_answer(
                RefreshKind::FreshToken,
                &answer,
            )))
        }
    }
}

/// The longest reuse grace window a known provider lets a rotated-away refresh token live for,
/// so that requests racing one refresh do not revoke the grant (Okta's grace period: 0 to
/// 60 s; better-auth's `refreshTokenReuseInterval`): a reuse accepted within it may be that
/// window, past it nothing excuses it.
pub const LONGEST_KNOWN_GRACE: Duration = Duration::from_secs(60);

/// Presents a refresh token that a refresh has rotated away `since_rotation` ago. Records
/// `refresh-token-reuse-refused`; `after_revocation` says whether the token family was revoked
/// in between (then a refusal proves less, and an acceptance more).
pub async fn reuse(
    ctx: &mut FlowContext,
    server: &DiscoveredServer,
    client: &RegisteredClient,
    old: &RefreshToken,
    after_revocation: bool,
    since_rotation: Duration,
) {
    let seconds = since_rotation.as_secs();
    let mut params = vec![
        ("grant_type".to_owned(), "refresh_token".to_owned()),
        ("refresh_token".to_owned(), old.secret().clone()),
    ];
    if super::sends_resource(ctx.profile, server) {
        let resource = ctx.profile.resource_written.apply(&server.resource);
        params.push(("resource".to_owned(), resource));
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
        Ok(_) if !after_revocation && since_rotation <= LONGEST_KNOWN_GRACE => {
            ctx.recorder.warn(
                &checks::REFRESH_TOKEN_REUSE_REFUSED,
                json!({ "expected": "400 invalid_grant", "actualStatus": 200, "afterRevocation": false, "secondsSinceRotation": seconds, "graceWindow": format!("at least {seconds} s, or no reuse detection (inferred)") }),
                format!(
                    "a refresh token rotated away {seconds} s earlier was accepted again: observed, the server honours a rotated-away token for at least {seconds} s; inferred, that is a reuse grace window (one lets calls racing a refresh keep the grant) or no reuse detection at all. Either way a stolen refresh token works for that long"
                ),
            );
        }
        Ok(_) => {
            let why = if after_revocation {
                "after its grant was revoked".to_owned()
            } else {
                format!("{seconds} s after its rotation, longer than any known grace window ({} s)", LONGEST_KNOWN_GRACE.as_secs())
            };
            ctx.recorder.fail(
                &checks::REFRESH_TOKEN_REUSE_REFUSED,
                json!({ "expected": "400 invalid_grant", "actualStatus": 200, "afterRevocation": after_revocation, "secondsSinceRotation": seconds }),
                format!("a refresh token that was rotated away still works {why}: a stolen one would too"),
            );
        }
        Err(answer) if answer.is(400, "invalid_grant") => ctx.recorder.pass(
            &checks::REFRESH_TOKEN_REUSE_REFUSED,
            json!({ "status": 400, "error": "invalid_grant", "afterRevocation": after_revocation, "secondsSinceRotation": seconds, "graceWindow": "none" }),
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
