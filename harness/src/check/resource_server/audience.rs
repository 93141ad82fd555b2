//! Audience binding (RFC 8707, the MCP authorization spec's token audience binding): a token
//! the same authorization server issued for a sibling resource must be refused here.

use serde_json::{Value, json};

use super::jwt::Jwt;
use super::tokens::Held;
use super::{Credential, expect_refused, present, secret};
use crate::checks;
use crate::flow::FlowContext;

/// The last path segment of the sibling resource: a name no real resource is likely to have.
const SIBLING_SEGMENT: &str = "mcp-oauth-harness-sibling";

pub(super) async fn probe(ctx: &mut FlowContext, mcp_url: &str, held: &mut Held) {
    let check = &checks::SIBLING_AUDIENCE_REFUSED;
    let Some(sibling) = sibling_of(&held.server.resource) else {
        ctx.recorder.info(
            check,
            json!({ "resource": held.server.resource }),
            "not observed: the resource identifier is not a URL a sibling can be named from",
        );
        return;
    };
    let tokens = match held.request(ctx, Some(&sibling), None).await {
        Ok(tokens) => tokens,
        Err(why) => {
            ctx.recorder.info(
                check,
                json!({ "siblingResource": sibling }),
                format!(
                    "not observed: no token for the sibling resource {sibling} was issued ({})",
                    why.reason()
                ),
            );
            return;
        }
    };
    let token = secret(ctx, tokens.access_token.secret());
    let bearer = format!("Bearer {}", token.secret());
    let what = format!("a token issued for the sibling resource {sibling}");
    match Jwt::parse(token.secret()) {
        Some(jwt) if !names(&jwt.payload, &sibling) => {
            ctx.recorder.info(
                check,
                json!({ "siblingResource": sibling, "aud": jwt.payload.get("aud") }),
                "not observed: the authorization server ignored the sibling resource (the token's aud does not name it), so this server's audience check cannot be told apart",
            );
        }
        Some(_) => expect_refused(ctx, mcp_url, check, Credential::Header(&bearer), &what).await,
        None => opaque(ctx, mcp_url, &bearer, &sibling, &what).await,
    }
}

/// An opaque token cannot show whom it was issued for: refusal passes; acceptance may mean
/// the authorization server ignored `resource`, so it is reported, not failed.
async fn opaque(ctx: &mut FlowContext, mcp_url: &str, bearer: &str, sibling: &str, what: &str) {
    let check = &checks::SIBLING_AUDIENCE_REFUSED;
    match present(ctx, mcp_url, Credential::Header(bearer)).await {
        Ok(answer) if answer.accepted() => {
            let mut details = answer.details();
            details["siblingResource"] = json!(sibling);
            ctx.recorder.info(
                check,
                details,
                format!(
                    "{what} was accepted; the token is opaque, so whether the authorization server bound it to the sibling cannot be seen"
                ),
            );
        }
        _ => expect_refused(ctx, mcp_url, check, Credential::Header(bearer), what).await,
    }
}

/// Whether `aud` (a string or an array of them) names `resource`.
fn names(payload: &Value, resource: &str) -> bool {
    match payload.get("aud") {
        Some(Value::String(aud)) => aud == resource,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(resource)),
        _ => false,
    }
}

/// The resource URL with its last path segment replaced (`https://h/mcp` →
/// `https://h/mcp-oauth-harness-sibling`): the same origin, another resource.
pub(super) fn sibling_of(resource: &str) -> Option<String> {
    let mut url = url::Url::parse(resource).ok()?;
    if url.cannot_be_a_base() {
        return None;
    }
    let path = url.path().trim_end_matches('/').to_owned();
    let parent = path.rsplit_once('/').map_or("", |(parent, _)| parent);
    url.set_path(&format!("{parent}/{SIBLING_SEGMENT}"));
    url.set_query(None);
    url.set_fragment(None);
    Some(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sibling_shares_the_origin_and_the_parent_path() {
        assert_eq!(
            sibling_of("https://h.example/mcp").as_deref(),
            Some("https://h.example/mcp-oauth-harness-sibling")
        );
        assert_eq!(
            sibling_of("https://h.example/a/mcp/").as_deref(),
            Some("https://h.example/a/mcp-oauth-harness-sibling")
        );
        assert_eq!(
            sibling_of("https://h.example").as_deref(),
            Some("https://h.example/mcp-oauth-harness-sibling")
        );
        assert_eq!(sibling_of("urn:x:y"), None);
    }

    #[test]
    fn aud_may_be_a_string_or_an_array() {
        assert!(names(&json!({ "aud": "r" }), "r"));
        assert!(names(&json!({ "aud": ["q", "r"] }), "r"));
        assert!(!names(&json!({ "aud": "q" }), "r"));
        assert!(!names(&json!({}), "r"));
    }
}
