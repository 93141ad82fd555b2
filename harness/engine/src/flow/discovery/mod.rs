//! Step 2: protected-resource metadata (RFC 9728), then authorization-server metadata (RFC 8414
//! or OpenID Connect Discovery), every location tried recorded for the diagnosis.
//!
//! One module per job: `fetch` (GET a candidate, say why it was not the document),
//! `resource_metadata` (RFC 9728 candidates and the `resource` it announces),
//! `auth_server_metadata` (RFC 8414 / OIDC candidates, required fields, PKCE) and `issuer`
//! (RFC 8414 §3.3 matching).

mod auth_server_metadata;
mod fetch;
mod issuer;
mod resource_metadata;

use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use super::probe::Probe;
use super::{FlowContext, StepResult};
use crate::checks;
use crate::diagnosis;

pub use auth_server_metadata::{auth_server_metadata_locations, auth_server_metadata_urls};
pub use issuer::check_issuer;
pub use resource_metadata::{
    PrmLocation, ResourceMatch, canonical_resource, compare_resource,
    protected_resource_metadata_urls,
};

pub use auth_server_metadata::{
    check_pkce, check_required_fields, find_auth_server_metadata, is_openid,
};
pub use fetch::{Attempt, record_quirks};
pub use resource_metadata::{
    authorization_server, check_resource, find_protected_resource_metadata,
};

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthServerMetadata {
    pub issuer: Option<String>,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub registration_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
    pub response_types_supported: Option<Vec<String>>,
    pub code_challenge_methods_supported: Option<Vec<String>>,
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    pub scopes_supported: Option<Vec<String>>,
    pub authorization_response_iss_parameter_supported: Option<bool>,
    pub client_id_metadata_document_supported: Option<bool>,
    pub grant_types_supported: Option<Vec<String>>,
    /// RFC 9449 §5.1: the JWS algorithms the server accepts for DPoP proofs.
    pub dpop_signing_alg_values_supported: Option<Vec<String>>,
}

/// The two endpoints every flow needs, known to be present.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub authorization: String,
    pub token: String,
}

#[derive(Debug, Clone)]
pub struct DiscoveredServer {
    /// The resource identifier for RFC 8707 `resource` (the canonical server URL).
    pub resource: String,
    /// The protected-resource metadata named `resource` (not inferred from the MCP URL).
    pub resource_from_metadata: bool,
    pub scopes_supported: Vec<String>,
    pub issuer: String,
    pub metadata: AuthServerMetadata,
    pub endpoints: Endpoints,
}

pub async fn discover(
    ctx: &mut FlowContext,
    mcp_url: &str,
    probe: &Probe,
) -> StepResult<DiscoveredServer> {
    let Ok(parsed) = Url::parse(mcp_url) else {
        return Err(diagnosis::new(
            diagnosis::DISCOVERY_FAILED,
            format!("{mcp_url:?} is not an absolute URL."),
            "Paste the full MCP server URL, with https:// and the path.",
        ));
    };
    let mut attempts = Vec::new();
    let prm = find_protected_resource_metadata(ctx, &parsed, probe, &mut attempts).await;
    let found_prm = prm.is_some();
    fetch::stop_at_page(ctx, &attempts)?;

    let (issuer, resource, scopes_supported) = match prm {
        Some((url, prm, location)) => {
            ctx.recorder.pass(
                &checks::PRM_DISCOVERED,
                json!({ "url": url, "location": location.as_str(), "tried": attempts_json(&attempts) }),
            );
            let resource = check_resource(ctx, mcp_url, &parsed, &prm, location)?;
            let issuer = authorization_server(ctx, &prm)?;
            let scopes = string_list(prm.get("scopes_supported"));
            (issuer, resource, scopes)
        }
        None => {
            ctx.recorder.fail(
                &checks::PRM_DISCOVERED,
                json!({ "tried": attempts_json(&attempts) }),
                "no protected-resource metadata at any location the spec names; trying authorization-server metadata at the server's origin (2025-03-26 behaviour)",
            );
            (origin(&parsed), canonical_resource(&parsed), Vec::new())
        }
    };

    let openid = ctx.profile.openid_discovery;
    let found = find_auth_server_metadata(ctx, &issuer, &mut attempts, openid).await;
    fetch::stop_at_page(ctx, &attempts)?;
    fetch::record_quirks(ctx, &attempts);
    let Some(found) = found else {
        ctx.recorder.fail(
            &checks::AS_METADATA_DISCOVERED,
            json!({ "issuer": issuer, "tried": attempts_json(&attempts) }),
            if openid {
                format!("no authorization-server metadata for issuer {issuer}")
            } else {
                format!(
                    "no RFC 8414 authorization-server metadata for issuer {issuer} (the {} client reads no OpenID Connect Discovery metadata)",
                    ctx.profile.name
                )
            },
        );
        // The 2025-03-26 fallback is for servers that predate metadata altogether; a server
        // with resource metadata that names an unreachable authorization server is broken.
        if !found_prm && ctx.profile.default_endpoints_fallback {
            return Ok(default_endpoints(ctx, &parsed, resource));
        }
        let failed = discovery_failed(&attempts, &issuer);
        // The resource metadata named an issuer that publishes no metadata where clients
        // look (RFC 8414 §3.1): the authorization server's to publish.
        return Err(if found_prm {
            diagnosis::with_party(failed, diagnosis::Party::AuthorizationServer)
        } else {
            failed
        });
    };
    let metadata_url = found.url;
    ctx.recorder.pass(
        &checks::AS_METADATA_DISCOVERED,
        json!({ "url": metadata_url, "location": found.location, "issuer": issuer }),
    );
    let metadata = parse_metadata(ctx, &metadata_url, found.document)?;
    // A client that forgives a trailing slash goes on with the issuer the metadata names: it
    // is the one the callback's `iss` is compared with.
    let issuer = if check_issuer(ctx, &issuer, &metadata, &metadata_url)? {
        issuer
    } else {
        metadata.issuer.clone().unwrap_or(issuer)
    };
    let endpoints = check_required_fields(ctx, &metadata)?;
    check_pkce(ctx, &metadata)?;
    Ok(DiscoveredServer {
        resource,
        resource_from_metadata: found_prm,
        scopes_supported,
        issuer,
        metadata,
        endpoints,
    })
}

/// The metadata's fields must have RFC 8414 §2's types; a document that has not is recorded
/// as a failed `as-metadata-fields`, the check that observed it.
pub fn parse_metadata(
    ctx: &mut FlowContext,
    metadata_url: &str,
    document: Value,
) -> StepResult<AuthServerMetadata> {
    serde_json::from_value(document).map_err(|e| {
        ctx.recorder.fail(
            &checks::AS_METADATA_FIELDS,
            json!({ "url": metadata_url, "error": e.to_string() }),
            format!("the metadata has fields of the wrong type: {e}"),
        );
        diagnosis::new(
            diagnosis::METADATA_INVALID,
            format!("The authorization-server metadata at {metadata_url} has fields of the wrong type: {e}."),
            "Fix the metadata document so that it follows RFC 8414 §2.",
        )
    })
}

pub fn discovery_failed(attempts: &[Attempt], issuer: &str) -> diagnosis::Diagnosis {
    let tried: Vec<String> = attempts
        .iter()
        .map(|a| format!("{} ({})", a.url, a.outcome))
        .collect();
    let mut remedy = "The server must serve RFC 9728 metadata at /.well-known/oauth-protected-resource (pointed to by the 401's WWW-Authenticate resource_metadata) and RFC 8414 metadata for its authorization server. Check that the pasted URL is the MCP endpoint itself.".to_owned();
    if attempts
        .iter()
        .any(|a| a.outcome.contains("no `issuer` field"))
    {
        remedy.push_str(" A metadata document without `issuer` is not authorization-server metadata (RFC 8414 §2 requires it): add `\"issuer\"` with the issuer identifier.");
    }
    if let Some(first) = auth_server_metadata_urls(issuer).first()
        && Url::parse(issuer).is_ok_and(|u| !u.path().trim_end_matches('/').is_empty())
    {
        remedy.push_str(&format!(
            " The issuer {issuer} has a path, so its metadata belongs at {first} (RFC 8414 §3.1); metadata only at the origin's root is not where clients look for it."
        ));
    }
    diagnosis::new(
        diagnosis::DISCOVERY_FAILED,
        format!(
            "Discovery failed: no OAuth metadata was found. Tried: {}.",
            tried.join("; ")
        ),
        remedy,
    )
}

/// The 2025-03-26 revision's answer to a server without any metadata: fixed endpoint paths at
/// the MCP server's origin, which then also stands in as the issuer.
pub fn default_endpoints(
    ctx: &mut FlowContext,
    mcp_url: &Url,
    resource: String,
) -> DiscoveredServer {
    let origin = origin(mcp_url);
    let endpoints = Endpoints {
        authorization: format!("{origin}/authorize"),
        token: format!("{origin}/token"),
    };
    let metadata = AuthServerMetadata {
        authorization_endpoint: Some(endpoints.authorization.clone()),
        token_endpoint: Some(endpoints.token.clone()),
        registration_endpoint: Some(format!("{origin}/register")),
        ..AuthServerMetadata::default()
    };
    ctx.recorder.info(
        &checks::AS_DEFAULT_ENDPOINTS,
        json!({
            "authorizationEndpoint": endpoints.authorization,
            "tokenEndpoint": endpoints.token,
            "registrationEndpoint": metadata.registration_endpoint,
        }),
        format!("no OAuth metadata anywhere: using the 2025-03-26 default endpoints at {origin}"),
    );
    ctx.recorder.skip(
        &checks::PKCE_S256_ADVERTISED,
        "there is no metadata to advertise PKCE in; the client sends an S256 challenge regardless",
    );
    DiscoveredServer {
        resource,
        resource_from_metadata: false,
        scopes_supported: Vec::new(),
        issuer: origin,
        metadata,
        endpoints,
    }
}

/// The strings of a JSON array field; absent, non-array and non-string items count as none.
pub fn string_list(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

pub fn attempts_json(attempts: &[Attempt]) -> Value {
    Value::Array(
        attempts
            .iter()
            .map(|a| json!({ "url": a.url, "outcome": a.outcome }))
            .collect(),
    )
}

fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// Whether well-known URLs can be built from `url`: it names a host of its own, with a
/// (scheme, host, port) origin. One without a host (`z:`, `mailto:…`) has an opaque origin,
/// serialized "null"; a `blob:` URL has no host but the origin of the URL inside it, and its
/// path is that whole inner URL, so origin and path make no URL.
fn has_own_host(url: &Url) -> bool {
    url.has_host() && url.origin().is_tuple()
}
