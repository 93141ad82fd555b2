//! Where and how the token is presented: malformed `Authorization` headers are refused, the
//! scheme is case-insensitive, and a token in the query string is refused.

use oauth2::AccessToken;
use serde_json::json;

use super::{Credential, expect_refused, present};
use mcp_oauth_engine::checks;
use mcp_oauth_engine::flow::FlowContext;

pub(super) async fn probe(ctx: &mut FlowContext, mcp_url: &str, token: &AccessToken) {
    let token = token.secret();
    expect_refused(
        ctx,
        mcp_url,
        &checks::BEARER_WITHOUT_TOKEN_REFUSED,
        Credential::Header("Bearer"),
        "`Authorization: Bearer` and no token",
    )
    .await;
    expect_refused(
        ctx,
        mcp_url,
        &checks::BEARER_TWO_TOKENS_REFUSED,
        Credential::Header(&format!("Bearer {token} {token}")),
        "`Authorization: Bearer <token> <token>`",
    )
    .await;
    expect_refused(
        ctx,
        mcp_url,
        &checks::OTHER_SCHEME_REFUSED,
        Credential::Header(&format!("Token {token}")),
        "the real token under the scheme `Token`",
    )
    .await;
    lower_case_scheme(ctx, mcp_url, token).await;
    expect_refused(
        ctx,
        mcp_url,
        &checks::QUERY_TOKEN_REFUSED,
        Credential::Query(token),
        "the real token in ?access_token= and no Authorization header",
    )
    .await;
}

/// `bearer` must work as `Bearer` does (RFC 9110 §11.1); refusing it is a warning.
async fn lower_case_scheme(ctx: &mut FlowContext, mcp_url: &str, token: &str) {
    let check = &checks::BEARER_SCHEME_CASE_INSENSITIVE;
    match present(ctx, mcp_url, Credential::Header(&format!("bearer {token}"))).await {
        Ok(answer) if answer.accepted() => ctx.recorder.pass(check, answer.details()),
        Ok(answer) => {
            let mut details = answer.details();
            details["expected"] = json!("2xx, as for `Bearer`");
            ctx.recorder.fail(
                check,
                details,
                format!(
                    "the MCP server answered {} to the real token under `bearer`: clients that copy the token response's token_type into the header (LiteLLM's MCP bridge before BerriAI/litellm#34743, agent-swarm before desplega-ai/agent-swarm#368) are refused",
                    answer.status
                ),
            );
        }
        Err(e) => {
            ctx.recorder.fail(
                check,
                json!({ "error": e.to_string() }),
                format!("the request with `bearer` failed: {e}"),
            );
        }
    }
}
