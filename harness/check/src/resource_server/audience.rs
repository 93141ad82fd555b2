//! Audience binding (RFC 8707, the MCP authorization spec's token audience binding): a token
//! requested from the same authorization server for a sibling resource must be refused here.
//! Accepted, the deployment does not bind tokens to their audience, whichever half is at
//! fault: a JWT's `aud` says which (the authorization server ignored `resource`, or the MCP
//! server ignores `aud`); an opaque token leaves both. The profile decides how much it
//! matters (INFO for Pipelines, which sends no `resource` and so relies on no binding).

use serde_json::{Value, json};

use super::jwt::Jwt;
use super::tokens::Held;
use super::{Credential, judge_refusal, present, secret};
use mcp_oauth_engine::checks;
use mcp_oauth_engine::flow::FlowContext;

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
    let what = format!("a token requested for the sibling resource {sibling}");
    let answer = match present(ctx, mcp_url, Credential::Header(&bearer)).await {
        Ok(answer) if answer.accepted() => answer,
        // Refused (or not answered): the question, and its judgement, are the common ones.
        other => return judge_refusal(ctx, check, other, &what),
    };
    // Accepted: tokens are not bound to their audience in this deployment. Which half lets it
    // through shows in a JWT's `aud`; an opaque token leaves both candidates.
    let aud = Jwt::parse(token.secret()).map(|jwt| jwt.payload.get("aud").cloned());
    let (cause, party) = match &aud {
        Some(aud) if names_value(aud.as_ref(), &sibling) => (
            format!(
                "the token's aud names the sibling resource ({}), so the MCP server does not check that a token's audience is itself",
                json_text(aud.as_ref())
            ),
            "mcp-server",
        ),
        Some(aud) => (
            format!(
                "the token's aud ({}) does not name the sibling resource that was requested, so the authorization server ignores RFC 8707 resource",
                json_text(aud.as_ref())
            ),
            "authorization-server",
        ),
        None => (
            "the token is opaque, so either the authorization server ignores RFC 8707 resource, or the MCP server does not check the audience (or both); introspection would tell which".to_owned(),
            "deployment",
        ),
    };
    let mut details = answer.details();
    details["presented"] = json!(what);
    details["siblingResource"] = json!(sibling);
    details["expected"] = json!("401 with error=\"invalid_token\"");
    details["cause"] = json!(cause);
    details["party"] = json!(party);
    if let Some(aud) = &aud {
        details["aud"] = aud.clone().unwrap_or(Value::Null);
    }
    ctx.recorder.fail_with_remedy(
        check,
        details,
        format!(
            "tokens are not bound to their audience in this deployment: {what} was accepted (answered {}); {cause}",
            answer.status
        ),
        Some(match party {
            "mcp-server" => check.remedy.to_owned(),
            "authorization-server" => "Issue each access token for the resource the client names in RFC 8707 resource (aud, or the introspected resource), and refuse resources you do not serve with invalid_target; the MCP server then refuses tokens for other resources.".to_owned(),
            _ => format!("{} If the authorization server ignores RFC 8707 resource, issue each token for the resource the client names.", check.remedy),
        }),
    );
}

fn json_text(value: Option<&Value>) -> String {
    value.map_or_else(|| "none".to_owned(), Value::to_string)
}

/// Whether `aud` (a string or an array of them) names `resource`.
fn names_value(aud: Option<&Value>, resource: &str) -> bool {
    match aud {
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
        assert!(names_value(json!({ "aud": "r" }).get("aud"), "r"));
        assert!(names_value(json!({ "aud": ["q", "r"] }).get("aud"), "r"));
        assert!(!names_value(json!({ "aud": "q" }).get("aud"), "r"));
        assert!(!names_value(json!({}).get("aud"), "r"));
    }
}
