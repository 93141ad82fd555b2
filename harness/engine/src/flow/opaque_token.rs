//! A refused opaque token: the MCP server answered 401 to an access token that was not a JWT,
//! right after it was issued. Authorization servers that issue JWTs for the APIs they know issue
//! an opaque token when no API was named: Auth0 without `audience` (and without a tenant
//! default audience) issues one only its own `/userinfo` accepts, and ignores RFC 8707
//! `resource` (vscode#274226). The diagnosis names that cause instead of a generic refusal.

use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mcp_oauth_reports::Exchange;

use super::Connection;
use crate::diagnosis::{self, Diagnosis};

/// What an access token is, as far as its form tells a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenShape {
    /// A JWS compact serialization (RFC 7515 §7.1): a signed JWT the MCP server can read.
    Jws,
    /// A JWE compact serialization (RFC 7516 §7.1): an encrypted JWT, meant for a resource
    /// server that holds the key. Not opaque: it was issued for someone in particular.
    Jwe,
    /// Anything else.
    Opaque,
}

/// Three (JWS) or five (JWE) base64url parts, the first a JSON object; anything else is opaque.
pub fn shape(token: &str) -> TokenShape {
    let parts: Vec<&str> = token.split('.').collect();
    let json_header = || {
        URL_SAFE_NO_PAD
            .decode(parts[0])
            .ok()
            .and_then(|header| serde_json::from_slice::<serde_json::Value>(&header).ok())
            .is_some_and(|header| header.is_object())
    };
    match parts.len() {
        3 if json_header() => TokenShape::Jws,
        5 if json_header() => TokenShape::Jwe,
        _ => TokenShape::Opaque,
    }
}

/// Whether `token` has the shape of a JWS compact serialization (RFC 7515 §7.1).
pub fn is_jwt(token: &str) -> bool {
    shape(token) == TokenShape::Jws
}

/// Whether the authorization server shows itself to be Auth0: an issuer under `auth0.com`, or
/// an answer carrying the `X-Auth0-RequestId` header Auth0 puts on its answers (a custom
/// domain hides the host, not the header). Console advice is given only on such evidence.
pub fn shows_auth0(issuer: &str, answers: &[Exchange]) -> bool {
    let host = url::Url::parse(issuer)
        .ok()
        .and_then(|url| url.host_str().map(str::to_ascii_lowercase));
    let auth0_host = host.is_some_and(|host| host == "auth0.com" || host.ends_with(".auth0.com"));
    auth0_host
        || answers.iter().any(|exchange| {
            exchange.response.as_ref().is_some_and(|response| {
                response
                    .headers
                    .iter()
                    .any(|(name, _)| name.eq_ignore_ascii_case("x-auth0-requestid"))
            })
        })
}

/// `diagnosis` reworded when it is a refusal of the connection's access token (`token-rejected`,
/// `fresh-token-refused`) while that token is opaque and not yet expired. `answers` gives the
/// flow's exchanges, asked for only then.
pub(super) fn explain(
    diagnosis: Diagnosis,
    connection: Option<&Connection>,
    now: SystemTime,
    audience: Option<&str>,
    answers: impl FnOnce() -> Vec<Exchange>,
) -> Diagnosis {
    let refused = [diagnosis::TOKEN_REJECTED, diagnosis::FRESH_TOKEN_REFUSED];
    let Some(connection) = connection else {
        return diagnosis;
    };
    let tokens = &connection.tokens;
    let fresh = tokens.expires_at.is_none_or(|at| at > now);
    if !refused.contains(&diagnosis.code.as_str())
        || !fresh
        || shape(tokens.access_token.secret()) != TokenShape::Opaque
    {
        return diagnosis;
    }
    let resource = &connection.server.resource;
    let auth0 = shows_auth0(&connection.server.issuer, &answers());
    let sent = match audience {
        Some(audience) => format!("the authorization request carried `audience` = {audience}"),
        None => "the authorization request carried no `audience`".to_owned(),
    };
    let remedy = match (audience, auth0) {
        (Some(audience), true) => format!(
            "The authorization server does not issue tokens for the audience {audience}: register the MCP server as an API there (Auth0: APIs, identifier {resource}) and send that identifier as `audience`, or set it as the default audience."
        ),
        (Some(audience), false) => format!(
            "The authorization server does not issue tokens for the audience {audience}: register the MCP server there as the API (resource) tokens are issued for, with identifier {resource}, and send that identifier as `audience`, or make it the default audience."
        ),
        (None, true) => format!(
            "Configure the authorization server to issue tokens for the MCP server without being asked: set its default audience to the MCP server's API (Auth0: Tenant Settings > API Authorization Settings > Default Audience, an API whose identifier is {resource}); or send `audience` (`--audience {resource}`) from a client that can."
        ),
        (None, false) => format!(
            "Configure the authorization server to issue tokens for the MCP server without being asked: make the MCP server's API (identifier {resource}) its default audience or resource; or send `audience` (`--audience {resource}`) from a client that can."
        ),
    };
    let who = if auth0 {
        "Auth0 issues such a token, meant for its own userinfo endpoint, when no audience names the API (and no default audience is set)."
    } else {
        "Some authorization servers issue such a token, meant for their own userinfo endpoint, when no audience names the API."
    };
    diagnosis::new(
        diagnosis::OPAQUE_TOKEN_REFUSED,
        format!(
            "The authorization server issued an opaque access token (not a JWT) and the MCP server refused it right after issue; {sent}. {who} Refusal: {}",
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

    #[test]
    fn five_parts_with_a_json_header_are_an_encrypted_jwt_not_an_opaque_token() {
        // {"alg":"RSA-OAEP","enc":"A256GCM"}
        let jwe = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a2V5.aXY.Y2lwaGVy.dGFn";
        assert_eq!(shape(jwe), TokenShape::Jwe);
        assert!(!is_jwt(jwe));
        // `dir` encryption leaves the encrypted key empty.
        assert_eq!(
            shape("eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aXY.Y2lwaGVy.dGFn"),
            TokenShape::Jwe
        );
        assert_eq!(shape("a.b.c.d.e"), TokenShape::Opaque);
        assert_eq!(shape("8f3kQ2xv0aZ"), TokenShape::Opaque);
        assert_eq!(
            shape("eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln"),
            TokenShape::Jws
        );
    }

    fn answered_with(headers: &[(&str, &str)]) -> Exchange {
        Exchange {
            step: "token".to_owned(),
            request: mcp_oauth_reports::HttpRequestRecord {
                method: "POST".to_owned(),
                url: "https://login.example.com/oauth/token".to_owned(),
                headers: Vec::new(),
                body: None,
            },
            response: Some(mcp_oauth_reports::HttpResponseRecord {
                status: 200,
                headers: headers
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                    .collect(),
                body: None,
            }),
            error: None,
            profile: None,
        }
    }

    #[test]
    fn auth0_is_named_only_on_evidence() {
        assert!(shows_auth0("https://acme.us.auth0.com/", &[]));
        assert!(shows_auth0("https://acme.auth0.com/", &[]));
        assert!(!shows_auth0("https://auth0.com.evil.example/", &[]));
        assert!(!shows_auth0("https://notauth0.com/", &[]));
        assert!(!shows_auth0("https://login.example.com/", &[]));
        assert!(!shows_auth0(
            "https://login.example.com/",
            &[answered_with(&[("content-type", "application/json")])]
        ));
        // A custom domain: the host says nothing, the answer's header does.
        assert!(shows_auth0(
            "https://login.example.com/",
            &[answered_with(&[("X-Auth0-RequestId", "3f2c9d")])]
        ));
    }
}
