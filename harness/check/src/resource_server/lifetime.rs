//! Token lifetime: an access token revoked at the RFC 7009 endpoint (still accepted is INFO:
//! normal for self-contained JWTs), and an expired one, waited out when it lives at most two
//! minutes, through the flow's clock (a simulated clock moves instead of sleeping).

use std::time::{Duration, SystemTime};

use serde_json::json;

use super::tokens::Held;
use super::{Credential, ResourceServerOptions, STEP, present, secret};
use mcp_oauth_engine::checks;
use mcp_oauth_engine::flow::token_request::{self, ErrorAnswer};
use mcp_oauth_engine::flow::{FlowContext, mcp};

/// Tokens living longer are not waited for: the answer is "not observed", never a guess.
pub const MAX_WAITED_LIFETIME: Duration = Duration::from_secs(120);
/// Waited past `exp` before the first try, for the two clocks' rounding.
const PAST_EXPIRY: Duration = Duration::from_secs(5);
/// The clock-skew leeway many JWT libraries allow by default: a token still accepted just
/// after expiry is tried again this much later before the server is blamed.
const LEEWAY: Duration = Duration::from_secs(60);

pub(super) async fn revocation(ctx: &mut FlowContext, mcp_url: &str, held: &mut Held) {
    let check = &checks::REVOKED_TOKEN_REFUSED;
    let Some(endpoint) = held.server.metadata.revocation_endpoint.clone() else {
        ctx.recorder.info(
            check,
            json!({}),
            "not observed: the metadata advertises no revocation_endpoint",
        );
        return;
    };
    // A token of its own, so the connection's token (and, on servers that revoke the whole
    // grant, nothing the later steps need more than the refresh token) is left alone.
    let token = match held.request(ctx, None, None).await {
        Ok(tokens) => secret(ctx, tokens.access_token.secret()),
        Err(_) => held.access.clone(),
    };
    let params = vec![
        ("token".to_owned(), token.secret().clone()),
        ("token_type_hint".to_owned(), "access_token".to_owned()),
    ];
    match token_request::post(ctx, STEP, &endpoint, &held.client, params).await {
        Ok(response) if response.status.as_u16() == 200 => held.effects.revoked_access_tokens += 1,
        Ok(response) => {
            let answer = ErrorAnswer::read(&response);
            ctx.recorder.info(
                check,
                json!({ "revocationEndpoint": endpoint, "status": answer.status, "error": answer.error }),
                format!(
                    "not observed: the revocation of the access token was answered {}",
                    answer.summary()
                ),
            );
            return;
        }
        Err(e) => {
            ctx.recorder.info(
                check,
                json!({ "revocationEndpoint": endpoint, "error": e.to_string() }),
                format!("not observed: the revocation request failed: {e}"),
            );
            return;
        }
    }
    let bearer = format!("Bearer {}", token.secret());
    match present(ctx, mcp_url, Credential::Header(&bearer)).await {
        Ok(answer) if answer.status == 401 => ctx.recorder.pass(check, answer.details()),
        Ok(answer) if answer.accepted() => ctx.recorder.info(
            check,
            answer.details(),
            "the access token is still accepted after the authorization server accepted its revocation: normal for self-contained JWTs, which stay valid until they expire; introspection (RFC 7662) or short lifetimes make revocation take",
        ),
        Ok(answer) => ctx.recorder.info(
            check,
            answer.details(),
            format!("the revoked access token was answered {}, neither accepted nor 401", answer.status),
        ),
        Err(e) => ctx.recorder.info(
            check,
            json!({ "error": e.to_string() }),
            format!("not observed: the request with the revoked token failed: {e}"),
        ),
    }
}

pub(super) async fn expiry(
    ctx: &mut FlowContext,
    mcp_url: &str,
    held: &Held,
    options: &ResourceServerOptions,
) {
    let check = &checks::EXPIRED_TOKEN_REFUSED;
    let Some(expires_at) = held.expires_at else {
        ctx.recorder.info(
            check,
            json!({}),
            "not observed: the token response gave no expires_in",
        );
        return;
    };
    let remaining = expires_at
        .duration_since(ctx.clock.now())
        .unwrap_or(Duration::ZERO);
    if remaining > MAX_WAITED_LIFETIME {
        ctx.recorder.info(
            check,
            json!({ "expiresInSeconds": remaining.as_secs(), "waitedAtMostSeconds": MAX_WAITED_LIFETIME.as_secs() }),
            format!(
                "not observed: the access token lives {} s more, longer than the {} s the check waits",
                remaining.as_secs(),
                MAX_WAITED_LIFETIME.as_secs()
            ),
        );
        return;
    }
    let first_wait = remaining + PAST_EXPIRY;
    if first_wait > options.timeout {
        ctx.recorder.info(
            check,
            json!({ "expiresInSeconds": remaining.as_secs(), "timeoutSeconds": options.timeout.as_secs() }),
            format!(
                "not observed: waiting {} s for the token to expire exceeds --timeout ({} s)",
                first_wait.as_secs(),
                options.timeout.as_secs()
            ),
        );
        return;
    }
    let bearer = format!("Bearer {}", held.access.secret());
    match present(ctx, mcp_url, Credential::Header(&bearer)).await {
        Ok(answer) if answer.accepted() => {}
        Ok(answer) => {
            ctx.recorder.info(
                check,
                answer.details(),
                format!(
                    "not observed: the token was already refused ({}) before it expired",
                    answer.status
                ),
            );
            return;
        }
        Err(e) => {
            ctx.recorder.info(
                check,
                json!({ "error": e.to_string() }),
                format!("not observed: the request before expiry failed: {e}"),
            );
            return;
        }
    }
    wait(ctx, options, first_wait).await;
    let mut waited = first_wait;
    loop {
        let answer = match present(ctx, mcp_url, Credential::Header(&bearer)).await {
            Ok(answer) => answer,
            Err(e) => {
                ctx.recorder.fail(
                    check,
                    json!({ "error": e.to_string() }),
                    format!("the request with the expired token failed: {e}"),
                );
                return;
            }
        };
        let past = past_expiry(ctx.clock.now(), expires_at);
        let mut details = answer.details();
        details["secondsPastExpiry"] = json!(past.as_secs());
        if answer.status == 401 {
            ctx.recorder.pass(check, details);
            return;
        }
        if !answer.accepted() {
            details["expected"] = json!(401);
            ctx.recorder.fail(
                check,
                details,
                format!(
                    "the expired token was answered {}, not 401: clients read it as another problem than expiry",
                    answer.status
                ),
            );
            return;
        }
        if past >= LEEWAY {
            details["expected"] = json!(401);
            let message = match tool_error_with(ctx, mcp_url, &held.access).await {
                Some(tool_error) => {
                    details["toolError"] = json!(tool_error);
                    format!(
                        "the access token is let through with HTTP 200 {} s after it expired, and a tool call with it answered 200 with a tool error ({tool_error}) instead of 401 error=\"invalid_token\": a client never learns that its token expired, so it never refreshes",
                        past.as_secs()
                    )
                }
                None => format!(
                    "the access token is still accepted {} s after it expired",
                    past.as_secs()
                ),
            };
            ctx.recorder.fail(check, details, message);
            return;
        }
        if waited + LEEWAY > options.timeout {
            ctx.recorder.info(
                check,
                details,
                format!(
                    "accepted {} s after expiry, within the clock-skew leeway many servers allow; a --timeout of {} s waits that out",
                    past.as_secs(),
                    (waited + LEEWAY).as_secs()
                ),
            );
            return;
        }
        wait(ctx, options, LEEWAY).await;
        waited += LEEWAY;
    }
}

/// A tool call with the expired token, the first tool the server lists that needs no
/// arguments: what the tool answered when that is a tool error (quoted, redacted), as servers
/// that pass the token on to another API answer expiry (ms-365-mcp-server#406). Run on a
/// branch of the flow's context, so its exchanges are evidence and its checks, which would
/// judge the tool rather than the token, are dropped.
async fn tool_error_with(
    ctx: &mut FlowContext,
    mcp_url: &str,
    token: &oauth2::AccessToken,
) -> Option<String> {
    let mut branch = ctx.branch();
    let answer = async {
        let listed = mcp::run(&mut branch, mcp_url, token, mcp::Action::ListTools)
            .await
            .ok()?;
        let call = mcp::tool_call::choose(&listed)?;
        let action = mcp::Action::CallTool {
            name: call.name,
            arguments: call.arguments,
        };
        mcp::run(&mut branch, mcp_url, token, action).await.ok()
    }
    .await;
    ctx.http.rejoin(&branch.http);
    let tool_error = answer?.get("toolError")?.clone();
    Some(ctx.http.redactor().text(&tool_error.to_string()))
}

fn past_expiry(now: SystemTime, expires_at: SystemTime) -> Duration {
    now.duration_since(expires_at).unwrap_or(Duration::ZERO)
}

/// Announced on stderr, since a real wait looks like a hang.
async fn wait(ctx: &FlowContext, options: &ResourceServerOptions, by: Duration) {
    if options.announce {
        eprintln!(
            "{}: waiting {} s for the access token to expire (bounded by --timeout, {} s)",
            mcp_oauth_reports::render::text::one_line(&options.name),
            by.as_secs(),
            options.timeout.as_secs()
        );
    }
    ctx.clock.wait(by).await;
}
