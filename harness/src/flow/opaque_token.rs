//! A refused opaque token: the MCP server answered 401 to an access token that was not a JWT,
//! right after it was issued. Authorization servers that issue JWTs for the APIs they know issue
//! an opaque token when no API was named: Auth0 without `audience` (and without a tenant
//! default audience) issues one only its own `/userinfo` accepts, and ignores RFC 8707
//! `resource` (vscode#274226). The diagnosis names that cause instead of a generic refusal.

use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::Connection;
use crate::diagnosis::{self, Diagnosis};

/// Whether `token` has the shape of a JWS compact serialization (RFC 7515 §7.1): three
/// base64url parts, the first a JSON object. Anything else is opaque to the client.
pub fn is_jwt(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 3
        && URL_SAFE_NO_PAD
            .decode(parts[0])
            .ok()
            .and_then(|header| serde_json::from_slice::<serde_json::Value>(&header).ok())
            .is_some_and(|header| header.is_object())
}

/// `diagnosis` reworded when it is a refusal of the connection's access token (`token-rejected`,
/// `fresh-token-refused`) while that token is opaque and not yet expired.
pub(super) fn explain(
    diagnosis: Diagnosis,
    connection: Option<&Connection>,
    now: SystemTime,
    audience: Option<&str>,
) -> Diagnosis {
    let refused = [diagnosis::TOKEN_REJECTED, diagnosis::FRESH_TOKEN_REFUSED];
    let Some(connection) = connection else {
        return diagnosis;
    };
    let tokens = &connection.tokens;
    let fresh = tokens.expires_at.is_none_or(|at| at > now);
    if !refused.contains(&diagnosis.code.as_str()) || !fresh || is_jwt(tokens.access_token.secret())
    {
        return diagnosis;
    }
    let resource = &connection.server.resource;
    let sent = match audience {
        Some(audience) => format!("the authorization request carried `audience` = {audience}"),
        None => "the authorization request carried no `audience`".to_owned(),
    };
    let remedy = match audience {
        Some(audience) => format!(
            "The authorization server does not issue tokens for the audience {audience}: register the MCP server as an API there (Auth0: APIs, identifier {resource}) and send that identifier as `audience`, or set it as the default audience."
        ),
        None => format!(
            "Configure the authorization server to issue tokens for the MCP server without being asked: set its default audience to the MCP server's API (Auth0: Tenant Settings > API Authorization Settings > Default Audience, an API whose identifier is {resource}); or send `audience` (`--audience {resource}`) from a client that can."
        ),
    };
    diagnosis::new(
        diagnosis::OPAQUE_TOKEN_REFUSED,
        format!(
            "The authorization server issued an opaque access token (not a JWT) and the MCP server refused it right after issue; {sent}. Authorization servers such as Auth0 issue such a token, meant for their own userinfo endpoint, when no audience names the API. Refusal: {}",
            diagnosis.message
        ),
        remedy,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_three_part_tokens_with_a_json_header_are_jwts() {
        assert!(is_jwt("eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln"));
        assert!(!is_jwt("8f3kQ2xv0aZ"));
        assert!(!is_jwt("a.b.c"));
        assert!(!is_jwt("eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0"));
        assert!(!is_jwt(""));
    }
}
