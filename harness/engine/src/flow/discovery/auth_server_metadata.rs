//! RFC 8414 / OpenID Connect Discovery authorization-server metadata: where to look, and
//! the fields every flow needs.

use serde_json::{Value, json};
use url::Url;

use super::fetch::{Attempt, fetch_json};
use super::{AuthServerMetadata, Endpoints, has_own_host, origin};
use crate::checks;
use crate::diagnosis;
use crate::flow::{FlowContext, StepResult};
use mcp_oauth_reports::Status;

/// RFC 8414 §3.1 and OpenID Connect Discovery, in the order the MCP spec lists them.
pub fn auth_server_metadata_urls(issuer: &str) -> Vec<String> {
    auth_server_metadata_locations(issuer)
        .into_iter()
        .map(|(url, _)| url)
        .collect()
}

/// [`auth_server_metadata_urls`], each with the name of its form, which the report gives for
/// the one where the metadata was found: `oauth` and `openid` for an issuer without a path;
/// `oauth-inserted`, `openid-inserted` and `openid-appended` (the well-known suffix before or
/// after the issuer's path) for one with a path.
pub fn auth_server_metadata_locations(issuer: &str) -> Vec<(String, &'static str)> {
    let Ok(parsed) = Url::parse(issuer) else {
        return Vec::new();
    };
    if !has_own_host(&parsed) {
        return Vec::new();
    }
    let origin = origin(&parsed);
    let path = parsed.path().trim_end_matches('/');
    if path.is_empty() {
        vec![
            (
                format!("{origin}/.well-known/oauth-authorization-server"),
                "oauth",
            ),
            (
                format!("{origin}/.well-known/openid-configuration"),
                "openid",
            ),
        ]
    } else {
        vec![
            (
                format!("{origin}/.well-known/oauth-authorization-server{path}"),
                "oauth-inserted",
            ),
            (
                format!("{origin}/.well-known/openid-configuration{path}"),
                "openid-inserted",
            ),
            (
                format!("{origin}{path}/.well-known/openid-configuration"),
                "openid-appended",
            ),
        ]
    }
}

/// Whether a location named by [`auth_server_metadata_locations`] is OpenID Connect
/// Discovery's rather than RFC 8414's.
pub fn is_openid(location: &str) -> bool {
    location.starts_with("openid")
}

/// Metadata found at one of the locations tried.
pub struct Found {
    pub url: String,
    pub location: &'static str,
    pub document: Value,
}

/// The first location with metadata. `openid`: whether OpenID Connect Discovery locations are
/// tried too (a profile's `openid_discovery`; the probes look everywhere).
pub async fn find_auth_server_metadata(
    ctx: &mut FlowContext,
    issuer: &str,
    attempts: &mut Vec<Attempt>,
    openid: bool,
) -> Option<Found> {
    for (url, location) in auth_server_metadata_locations(issuer) {
        if !openid && is_openid(location) {
            continue;
        }
        if let Some(document) = fetch_json(ctx, &url, "issuer", attempts).await {
            return Some(Found {
                url,
                location,
                document,
            });
        }
    }
    None
}

pub fn check_required_fields(
    ctx: &mut FlowContext,
    metadata: &AuthServerMetadata,
) -> StepResult<Endpoints> {
    let mut missing = Vec::new();
    if metadata.authorization_endpoint.is_none() {
        missing.push("authorization_endpoint");
    }
    if metadata.token_endpoint.is_none() {
        missing.push("token_endpoint");
    }
    let supports_code = metadata
        .response_types_supported
        .as_ref()
        .is_some_and(|types| types.iter().any(|t| t == "code"));
    if !supports_code {
        missing.push("response_types_supported containing \"code\"");
    }
    match (&metadata.authorization_endpoint, &metadata.token_endpoint) {
        (Some(authorization), Some(token)) if missing.is_empty() => {
            ctx.recorder.pass(
                &checks::AS_METADATA_FIELDS,
                json!({ "authorizationEndpoint": authorization, "tokenEndpoint": token }),
            );
            Ok(Endpoints {
                authorization: authorization.clone(),
                token: token.clone(),
            })
        }
        _ => {
            ctx.recorder.fail(
                &checks::AS_METADATA_FIELDS,
                json!({ "missing": missing }),
                format!("the metadata lacks {}", missing.join(", ")),
            );
            Err(diagnosis::new(
                diagnosis::METADATA_INVALID,
                format!(
                    "The authorization-server metadata lacks {}.",
                    missing.join(", ")
                ),
                "Add the missing fields to the authorization-server metadata (RFC 8414 §2).",
            ))
        }
    }
}

pub fn check_pkce(ctx: &mut FlowContext, metadata: &AuthServerMetadata) -> StepResult<()> {
    let methods = metadata.code_challenge_methods_supported.clone();
    if methods
        .as_ref()
        .is_some_and(|m| m.iter().any(|m| m == "S256"))
    {
        ctx.recorder.pass(
            &checks::PKCE_S256_ADVERTISED,
            json!({ "codeChallengeMethodsSupported": methods }),
        );
        return Ok(());
    }
    if methods.is_none() && ctx.profile.s256_assumed_when_unlisted {
        ctx.recorder.warn(
            &checks::PKCE_S256_ADVERTISED,
            json!({ "expected": ["S256"], "actual": methods }),
            format!(
                "the metadata has no code_challenge_methods_supported; the {} client sends an S256 challenge anyway, though the spec revisions ask clients to refuse",
                ctx.profile.name
            ),
        );
        return Ok(());
    }
    let status = ctx.recorder.fail(
        &checks::PKCE_S256_ADVERTISED,
        json!({ "expected": ["S256"], "actual": methods }),
        match &methods {
            None => "the metadata has no code_challenge_methods_supported".to_owned(),
            Some(m) => format!("code_challenge_methods_supported is {m:?}, without S256"),
        },
    );
    if status == Status::Failure {
        return Err(diagnosis::new(
            diagnosis::PKCE_NOT_ADVERTISED,
            format!(
                "The authorization server does not advertise PKCE S256, and the {} profile refuses to connect without it.",
                ctx.profile.name
            ),
            "Advertise `\"code_challenge_methods_supported\": [\"S256\"]` in the authorization-server metadata (and support it).",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::discovery::protected_resource_metadata_urls;

    #[test]
    fn well_known_urls_insert_before_the_path_and_drop_the_trailing_slash() {
        let url = Url::parse("https://mcp.example.com/tenant/mcp/").unwrap();
        assert_eq!(
            protected_resource_metadata_urls(&url),
            [
                "https://mcp.example.com/.well-known/oauth-protected-resource/tenant/mcp",
                "https://mcp.example.com/.well-known/oauth-protected-resource",
            ]
        );
        assert_eq!(
            auth_server_metadata_urls("https://auth.example.com/tenant1"),
            [
                "https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
                "https://auth.example.com/.well-known/openid-configuration/tenant1",
                "https://auth.example.com/tenant1/.well-known/openid-configuration",
            ]
        );
        assert_eq!(
            auth_server_metadata_urls("https://auth.example.com").len(),
            2
        );
    }

    #[test]
    fn an_issuer_without_a_host_of_its_own_has_no_well_known_urls() {
        // Found by the well_known_urls fuzz target: "z:" once built
        // "null/.well-known/oauth-authorization-server".
        // And a blob: URL, whose origin is the inner URL's but whose path is that whole URL:
        // "wss://'m" with the path "wss:'M//@@…/J" built a URL that did not parse.
        for issuer in [
            "z:",
            "mailto:as@example.com",
            "data:text/plain,x",
            "blob:https://as.example.com/tenant",
            "\u{11}\0blob:wss:'M//@\n\n@///\n////J/s:/J/s:'M6\0+//@\n\n/\n////J//",
        ] {
            assert_eq!(
                auth_server_metadata_urls(issuer),
                Vec::<String>::new(),
                "{issuer}"
            );
        }
    }

    #[test]
    fn a_blob_mcp_url_has_no_protected_resource_metadata_urls() {
        let url = Url::parse("blob:https://mcp.example.com/tenant/mcp").unwrap();
        assert!(url.origin().is_tuple(), "the inner URL's origin");
        assert_eq!(protected_resource_metadata_urls(&url), Vec::<String>::new());
    }
}
