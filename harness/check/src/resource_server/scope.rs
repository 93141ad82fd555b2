//! Insufficient scope (RFC 6750 §3.1, the MCP 2025-11-25 step-up contract): a valid token with
//! fewer scopes than a request needs gets 403 `insufficient_scope` naming the scope needed.
//!
//! Which request needs which scope is the server's secret, so the probe drops one granted
//! scope at a time (a refresh with a narrower `scope`) and presents each narrower token with
//! an `initialize`, until one is answered with something other than acceptance.

use serde_json::json;

use super::tokens::Held;
use super::{Answer, Credential, present, secret};
use mcp_oauth_engine::checks;
use mcp_oauth_engine::flow::FlowContext;

/// Narrower tokens tried at most (one refresh each).
const MAX_ATTEMPTS: usize = 4;

pub(super) async fn probe(ctx: &mut FlowContext, mcp_url: &str, held: &mut Held) {
    let check = &checks::INSUFFICIENT_SCOPE_CHALLENGED;
    let granted: Vec<String> = held
        .scope
        .as_deref()
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if held.server.scopes_supported.is_empty() && granted.is_empty() {
        ctx.recorder.info(
            check,
            json!({}),
            "not observed: neither the protected-resource metadata nor the challenge names scopes",
        );
        return;
    }
    if granted.len() < 2 {
        ctx.recorder.info(
            check,
            json!({ "grantedScope": held.scope }),
            "not observed: the token carries fewer than two scopes, so no narrower token can be requested",
        );
        return;
    }
    let mut tried = Vec::new();
    for dropped in granted.iter().take(MAX_ATTEMPTS) {
        let narrower: Vec<&str> = granted
            .iter()
            .filter(|s| *s != dropped)
            .map(String::as_str)
            .collect();
        let narrower = narrower.join(" ");
        let tokens = match held.request(ctx, None, Some(&narrower)).await {
            Ok(tokens) => tokens,
            Err(why) => {
                tried.push(json!({ "scope": narrower, "issued": false }));
                ctx.recorder.info(
                    check,
                    json!({ "grantedScope": held.scope, "tried": tried }),
                    format!(
                        "not observed: no token for the narrower scope \"{narrower}\" was issued ({})",
                        why.reason()
                    ),
                );
                return;
            }
        };
        let token = secret(ctx, tokens.access_token.secret());
        let answer = match present(
            ctx,
            mcp_url,
            Credential::Header(&format!("Bearer {}", token.secret())),
        )
        .await
        {
            Ok(answer) => answer,
            Err(e) => {
                ctx.recorder.fail(
                    check,
                    json!({ "scope": narrower, "error": e.to_string() }),
                    format!("the request with a narrower token failed: {e}"),
                );
                return;
            }
        };
        tried.push(json!({ "scope": narrower, "status": answer.status }));
        if !answer.accepted() {
            judge(ctx, &narrower, &answer, tried);
            return;
        }
    }
    ctx.recorder.info(
        check,
        json!({ "grantedScope": held.scope, "tried": tried }),
        "not observed: every narrower token was accepted for initialize, so no request needing more scope was found",
    );
}

fn judge(ctx: &mut FlowContext, narrower: &str, answer: &Answer, tried: Vec<serde_json::Value>) {
    let check = &checks::INSUFFICIENT_SCOPE_CHALLENGED;
    let named = answer.challenge.as_ref().and_then(|c| c.param("scope"));
    let details = json!({
        "presentedScope": narrower,
        "status": answer.status,
        "error": answer.error(),
        "scope": named,
        "tried": tried,
        "expected": "403 with error=\"insufficient_scope\" and scope",
    });
    if answer.status == 403 && answer.error() == Some("insufficient_scope") && named.is_some() {
        ctx.recorder.pass(check, details);
        return;
    }
    let missing = if answer.status != 403 {
        format!(
            "{} (a status clients read as another problem)",
            answer.status
        )
    } else if answer.error() != Some("insufficient_scope") {
        "403 without error=\"insufficient_scope\"".to_owned()
    } else {
        "403 insufficient_scope without the scope needed".to_owned()
    };
    ctx.recorder.fail(
        check,
        details,
        format!(
            "a valid token with the narrower scope \"{narrower}\" was answered {missing}: clients cannot tell which scope to step up to"
        ),
    );
}
