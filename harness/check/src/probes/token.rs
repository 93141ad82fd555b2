//! How the token endpoint refuses what it must refuse.

use oauth2::{CsrfToken, PkceCodeChallenge};
use serde_json::json;

use super::Findings;
use crate::verdict::Effect;
use mcp_oauth_engine::checks::{self, CheckDef};
use mcp_oauth_engine::diagnosis;
use mcp_oauth_engine::flow::FlowContext;
use mcp_oauth_engine::flow::registration::RegisteredClient;
use mcp_oauth_engine::flow::token_request::{self, ErrorAnswer};

/// Whether the probes may authenticate as the client they were given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Authenticates {
    Yes,
    /// Its secret came from a file: only the flows after consent send it.
    Withheld,
}

/// Why the probes that authenticate as the client did not run.
const SECRET_WITHHELD: &str = "the Client ID's secret comes from the targets file (client-secret-env), and the probes, which run before consent, send only a secret given on the command line (--client-secret)";

/// Step 6: how the token endpoint refuses what it must refuse.
pub(super) async fn token_endpoint_errors(
    ctx: &mut FlowContext,
    endpoint: &str,
    client: &RegisteredClient,
    authenticates: Authenticates,
    redirect_uri: &str,
    findings: &mut Findings,
) {
    let withheld = authenticates == Authenticates::Withheld;
    if withheld {
        ctx.recorder
            .skip(&checks::TOKEN_UNKNOWN_CODE, SECRET_WITHHELD);
    } else {
        unknown_code(ctx, endpoint, client, redirect_uri, findings).await;
    }
    // A client_id nobody registered needs no secret.
    unknown_client(ctx, endpoint, redirect_uri, findings).await;
    if withheld {
        ctx.recorder
            .skip(&checks::TOKEN_UNKNOWN_REFRESH_TOKEN, SECRET_WITHHELD);
        ctx.recorder
            .skip(&checks::TOKEN_UNSUPPORTED_GRANT, SECRET_WITHHELD);
        return;
    }
    unknown_refresh_token(ctx, endpoint, client, findings).await;
    unsupported_grant(ctx, endpoint, client).await;
}

fn unknown(prefix: &str) -> String {
    format!("{prefix}{}", CsrfToken::new_random().secret())
}

/// An unknown code: 400 invalid_grant, as JSON.
async fn unknown_code(
    ctx: &mut FlowContext,
    endpoint: &str,
    client: &RegisteredClient,
    redirect_uri: &str,
    findings: &mut Findings,
) {
    let (_, verifier) = PkceCodeChallenge::new_random_sha256();
    let params = vec![
        ("grant_type".to_owned(), "authorization_code".to_owned()),
        ("code".to_owned(), unknown("harness-unknown-code-")),
        ("redirect_uri".to_owned(), redirect_uri.to_owned()),
        ("code_verifier".to_owned(), verifier.secret().clone()),
    ];
    if let Some(answer) =
        token_error(ctx, &checks::TOKEN_UNKNOWN_CODE, endpoint, client, params).await
    {
        if answer.is(400, "invalid_grant") && answer.json {
            ctx.recorder.pass(
                &checks::TOKEN_UNKNOWN_CODE,
                json!({ "status": 400, "error": "invalid_grant" }),
            );
        } else {
            ctx.recorder.fail(
                &checks::TOKEN_UNKNOWN_CODE,
                json!({ "expected": "400 invalid_grant (JSON)", "actualStatus": answer.status, "error": answer.error, "json": answer.json }),
                format!("an unknown authorization code was answered {}", answer.summary()),
            );
            findings.problem(
                &checks::TOKEN_UNKNOWN_CODE,
                diagnosis::TOKEN_ERROR_NONCONFORMANT,
                format!(
                    "The token endpoint answers an unknown authorization code with {}, not 400 invalid_grant.",
                    answer.summary()
                ),
                checks::TOKEN_UNKNOWN_CODE.remedy,
                Effect::Caveat,
            );
        }
    }
}

/// A code exchange by a client_id nobody registered: `invalid_client` (RFC 6749 §5.2), the
/// answer clients re-register on, not `invalid_grant` (better-auth#11035) or a 422 without an
/// OAuth error (supabase/mcp#355).
async fn unknown_client(
    ctx: &mut FlowContext,
    endpoint: &str,
    redirect_uri: &str,
    findings: &mut Findings,
) {
    let stranger = RegisteredClient {
        client_id: unknown("harness-unknown-client-"),
        client_secret: None,
        auth_method: mcp_oauth_engine::flow::registration::AuthMethod::None,
        source: "brought",
        management: None,
    };
    let (_, verifier) = PkceCodeChallenge::new_random_sha256();
    let params = vec![
        ("grant_type".to_owned(), "authorization_code".to_owned()),
        ("code".to_owned(), unknown("harness-unknown-code-")),
        ("redirect_uri".to_owned(), redirect_uri.to_owned()),
        ("code_verifier".to_owned(), verifier.secret().clone()),
    ];
    let check = &checks::UNKNOWN_CLIENT_ERROR;
    let Some(answer) = token_error(ctx, check, endpoint, &stranger, params).await else {
        return;
    };
    if answer.error.as_deref() == Some("invalid_client") && matches!(answer.status, 400 | 401) {
        ctx.recorder.pass(
            check,
            json!({ "status": answer.status, "error": "invalid_client" }),
        );
        return;
    }
    ctx.recorder.fail(
        check,
        json!({ "expected": "401 invalid_client", "actualStatus": answer.status, "error": answer.error }),
        format!("an unknown client was answered {}", answer.summary()),
    );
    findings.problem(
        check,
        diagnosis::TOKEN_ERROR_NONCONFORMANT,
        format!(
            "The token endpoint answers a client_id it does not know with {}, not invalid_client: clients whose registration was lost cannot tell that they must register again.",
            answer.summary()
        ),
        check.remedy,
        Effect::Caveat,
    );
}

/// An unknown refresh token: 400 invalid_grant, never 401 or 5xx.
async fn unknown_refresh_token(
    ctx: &mut FlowContext,
    endpoint: &str,
    client: &RegisteredClient,
    findings: &mut Findings,
) {
    let params = vec![
        ("grant_type".to_owned(), "refresh_token".to_owned()),
        (
            "refresh_token".to_owned(),
            unknown("harness-unknown-refresh-"),
        ),
    ];
    if let Some(answer) = token_error(
        ctx,
        &checks::TOKEN_UNKNOWN_REFRESH_TOKEN,
        endpoint,
        client,
        params,
    )
    .await
    {
        if answer.is(400, "invalid_grant") {
            ctx.recorder.pass(
                &checks::TOKEN_UNKNOWN_REFRESH_TOKEN,
                json!({ "status": 400, "error": "invalid_grant" }),
            );
        } else {
            ctx.recorder.fail(
                &checks::TOKEN_UNKNOWN_REFRESH_TOKEN,
                json!({ "expected": "400 invalid_grant", "actualStatus": answer.status, "error": answer.error }),
                format!("an unknown refresh token was answered {}", answer.summary()),
            );
            let (code, message) = if answer.status >= 500 {
                (
                    diagnosis::TRANSIENT_REFRESH_FAILURE,
                    format!(
                        "The token endpoint answers an unknown refresh token with {}: a revoked token looks like an outage, so clients show Intermittent Unhealthy and retry instead of asking the user to reconnect.",
                        answer.summary()
                    ),
                )
            } else {
                (
                    diagnosis::TOKEN_ERROR_NONCONFORMANT,
                    format!(
                        "The token endpoint answers an unknown refresh token with {}, not 400 invalid_grant: clients cannot tell a revoked token from a client-authentication problem.",
                        answer.summary()
                    ),
                )
            };
            findings.problem(
                &checks::TOKEN_UNKNOWN_REFRESH_TOKEN,
                code,
                message,
                checks::TOKEN_UNKNOWN_REFRESH_TOKEN.remedy,
                Effect::Caveat,
            );
        }
    }
}

/// A grant type nobody supports: unsupported_grant_type.
async fn unsupported_grant(ctx: &mut FlowContext, endpoint: &str, client: &RegisteredClient) {
    let params = vec![(
        "grant_type".to_owned(),
        "urn:mcp-oauth-harness:unsupported-grant".to_owned(),
    )];
    if let Some(answer) = token_error(
        ctx,
        &checks::TOKEN_UNSUPPORTED_GRANT,
        endpoint,
        client,
        params,
    )
    .await
    {
        if answer.is(400, "unsupported_grant_type") {
            ctx.recorder.pass(
                &checks::TOKEN_UNSUPPORTED_GRANT,
                json!({ "status": 400, "error": "unsupported_grant_type" }),
            );
        } else {
            ctx.recorder.fail(
                &checks::TOKEN_UNSUPPORTED_GRANT,
                json!({ "expected": "400 unsupported_grant_type", "actualStatus": answer.status, "error": answer.error }),
                format!("an unsupported grant type was answered {}", answer.summary()),
            );
        }
    }
}

/// Sends a token request that must fail; None (recorded) when it could not be sent or when
/// the server issued tokens.
pub(super) async fn token_error(
    ctx: &mut FlowContext,
    check: &'static CheckDef,
    endpoint: &str,
    client: &RegisteredClient,
    params: Vec<(String, String)>,
) -> Option<ErrorAnswer> {
    match token_request::post(ctx, "token", endpoint, client, params).await {
        Ok(response) => match token_request::read_tokens(ctx, &response) {
            Ok(_) => {
                ctx.recorder.fail(
                    check,
                    json!({ "expected": "an error", "actualStatus": 200 }),
                    "the token endpoint issued tokens for a request it must refuse",
                );
                None
            }
            Err(answer) => Some(answer),
        },
        Err(e) => {
            ctx.recorder.fail(
                check,
                json!({ "error": e.to_string() }),
                format!("the token request failed: {e}"),
            );
            None
        }
    }
}
