//! What an MCP request's failure means: the check it fails and the diagnosis, from the
//! server's own answer (a DPoP refusal, a 403 `insufficient_scope`, a refused token) when
//! there is one, else from rmcp's error.

use super::super::FlowContext;
use super::super::dpop;
use crate::checks;
use crate::diagnosis::{self, Diagnosis};
use crate::www_authenticate;
use serde_json::json;

pub(super) fn fail(
    ctx: &mut FlowContext,
    check: &checks::CheckDef,
    error: &str,
    refusal: Option<(u16, String)>,
) -> Diagnosis {
    // With the server's own answer at hand, rmcp's wording ("Auth required", wrapped in its
    // transport's type names) adds nothing.
    let error = match &refusal {
        Some((status, challenge)) => format!(
            "the server answered HTTP {status} with WWW-Authenticate: {}",
            ctx.http.redactor().text(challenge)
        ),
        None => ctx.http.redactor().text(error),
    };
    // The status as the HTTP path words it ("HTTP 401"), not any "401" (a port number).
    let lower = error.to_ascii_lowercase();
    let auth = refusal.is_some()
        || error.contains("HTTP 401")
        || lower.contains("authorization required")
        || lower.contains("auth required")
        || error.contains("invalid_token");
    ctx.recorder.fail(
        check,
        json!({ "error": error }),
        format!("MCP request failed: {error}"),
    );
    if let Some(diagnosis) = refusal.as_ref().and_then(|(status, challenge)| {
        dpop::refusal(ctx.dpop.is_some(), *status, challenge, &error)
    }) {
        return diagnosis;
    }
    if let Some(needed) = refusal.as_ref().and_then(insufficient_scope) {
        return diagnosis::new(
            diagnosis::INSUFFICIENT_SCOPE,
            format!("The MCP server refused the request for lack of scope: {error}"),
            format!(
                "Connect again asking for the scope the server names ({needed}); the MCP server should name the scopes its tools need in its 401 challenge or scopes_supported, so that clients that do not step up ask for them at once."
            ),
        );
    }
    if auth {
        diagnosis::new(
            diagnosis::TOKEN_REJECTED,
            format!("The MCP server refused the access token: {error}"),
            "The MCP server must accept access tokens from the authorization server it advertises (check the audience and issuer it expects); reconnecting gets a new token.",
        )
    } else {
        diagnosis::new(
            diagnosis::MCP_ERROR,
            format!("The MCP request failed: {error}"),
            "Check the MCP server's logs; the OAuth part of the connection worked.",
        )
    }
}

/// The scope a 403 `insufficient_scope` refusal names (RFC 6750 §3.1), `(unnamed)` when it
/// names none; nothing for any other refusal.
fn insufficient_scope((status, challenge): &(u16, String)) -> Option<String> {
    if *status != 403 {
        return None;
    }
    let challenge = www_authenticate::bearer(challenge).ok().flatten()?;
    if challenge.param("error") != Some("insufficient_scope") {
        return None;
    }
    Some(challenge.param("scope").unwrap_or("(unnamed)").to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_403_insufficient_scope_names_a_missing_scope() {
        let refusal = |status: u16, header: &str| (status, header.to_owned());
        let scope = r#"Bearer error="insufficient_scope", scope="mcp:admin""#;
        assert_eq!(
            insufficient_scope(&refusal(403, scope)).as_deref(),
            Some("mcp:admin")
        );
        assert_eq!(
            insufficient_scope(&refusal(403, r#"Bearer error="insufficient_scope""#)).as_deref(),
            Some("(unnamed)")
        );
        assert_eq!(insufficient_scope(&refusal(401, scope)), None);
        assert_eq!(
            insufficient_scope(&refusal(403, r#"Bearer error="invalid_token""#)),
            None
        );
    }
}
