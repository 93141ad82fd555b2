//! Step 2: protected-resource metadata (RFC 9728), then authorization-server metadata (RFC 8414
//! or OpenID Connect Discovery), every location tried recorded for the diagnosis.

use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use super::probe::Probe;
use super::{FlowContext, StepResult};
use crate::checks;
use crate::diagnosis;
use crate::http::HttpResponse;
use mcp_oauth_reports::Status;

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
    pub scopes_supported: Vec<String>,
    pub issuer: String,
    pub metadata: AuthServerMetadata,
    pub endpoints: Endpoints,
}

/// One location tried, for the record and for `discovery-failed`.
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    url: String,
    outcome: String,
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

    let Some(found) = find_auth_server_metadata(ctx, &issuer, &mut attempts).await else {
        ctx.recorder.fail(
            &checks::AS_METADATA_DISCOVERED,
            json!({ "issuer": issuer, "tried": attempts_json(&attempts) }),
            format!("no authorization-server metadata for issuer {issuer}"),
        );
        // The 2025-03-26 fallback is for servers that predate metadata altogether; a server
        // with resource metadata that names an unreachable authorization server is broken.
        if !found_prm && ctx.profile.default_endpoints_fallback {
            return Ok(default_endpoints(ctx, &parsed, resource));
        }
        return Err(discovery_failed(&attempts));
    };
    let metadata_url = found.url;
    ctx.recorder.pass(
        &checks::AS_METADATA_DISCOVERED,
        json!({ "url": metadata_url, "location": found.location, "issuer": issuer }),
    );
    let metadata = parse_metadata(ctx, &metadata_url, found.document)?;
    check_issuer(ctx, &issuer, &metadata, &metadata_url)?;
    let endpoints = check_required_fields(ctx, &metadata)?;
    check_pkce(ctx, &metadata)?;
    Ok(DiscoveredServer {
        resource,
        scopes_supported,
        issuer,
        metadata,
        endpoints,
    })
}

/// The metadata's fields must have RFC 8414 §2's types; a document that has not is recorded
/// as a failed `as-metadata-fields`, the check that observed it.
pub(crate) fn parse_metadata(
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

pub(crate) fn discovery_failed(attempts: &[Attempt]) -> diagnosis::Diagnosis {
    let tried: Vec<String> = attempts
        .iter()
        .map(|a| format!("{} ({})", a.url, a.outcome))
        .collect();
    diagnosis::new(
        diagnosis::DISCOVERY_FAILED,
        format!(
            "Discovery failed: no OAuth metadata was found. Tried: {}.",
            tried.join("; ")
        ),
        "The server must serve RFC 9728 metadata at /.well-known/oauth-protected-resource (pointed to by the 401's WWW-Authenticate resource_metadata) and RFC 8414 metadata for its authorization server. Check that the pasted URL is the MCP endpoint itself.",
    )
}

/// The 2025-03-26 revision's answer to a server without any metadata: fixed endpoint paths at
/// the MCP server's origin, which then also stands in as the issuer.
pub(crate) fn default_endpoints(
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
        scopes_supported: Vec::new(),
        issuer: origin,
        metadata,
        endpoints,
    }
}

/// The resource identifier of a server that publishes none (no protected-resource metadata):
/// its canonical URI as the MCP spec defines it for RFC 8707. Scheme and host are lower case
/// (as [`Url`] keeps them), there is no fragment (RFC 8707 §2), and a server at its origin is
/// named without a trailing slash, the form the spec says to use consistently. A slash after a
/// path stays: `/mcp/` and `/mcp` are different resources.
pub fn canonical_resource(url: &Url) -> String {
    let mut url = url.clone();
    url.set_fragment(None);
    let text = url.to_string();
    if url.path() == "/" && url.query().is_none() {
        text.trim_end_matches('/').to_owned()
    } else {
        text
    }
}

/// RFC 9728 §3.1: the well-known suffix goes between host and path, terminating slash removed.
pub fn protected_resource_metadata_urls(mcp_url: &Url) -> Vec<String> {
    let origin = origin(mcp_url);
    let path = mcp_url.path().trim_end_matches('/');
    let mut urls = Vec::new();
    if !path.is_empty() {
        urls.push(format!(
            "{origin}/.well-known/oauth-protected-resource{path}"
        ));
    }
    urls.push(format!("{origin}/.well-known/oauth-protected-resource"));
    urls
}

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

/// Where the protected-resource metadata was found: RFC 9728 §3.3 ties the `resource` it must
/// announce to the URL it was fetched from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrmLocation {
    /// The challenge's resource_metadata: the resource is the URL the request went to.
    Challenge,
    /// The well-known URL with the MCP path inserted: the resource is the MCP URL.
    PathInserted,
    /// The well-known URL at the origin: the resource identifier it stands for is the origin,
    /// although servers often announce their full MCP URL there too.
    Root,
}

impl PrmLocation {
    /// How reports name the location.
    pub fn as_str(self) -> &'static str {
        match self {
            PrmLocation::Challenge => "challenge",
            PrmLocation::PathInserted => "path-inserted",
            PrmLocation::Root => "root",
        }
    }
}

/// The locations to try, in the order the MCP spec gives: the challenge's resource_metadata,
/// then the path-inserted well-known URL, then the one at the root.
fn prm_candidates(mcp_url: &Url, probe: &Probe) -> Vec<(String, PrmLocation)> {
    let mut candidates: Vec<(String, PrmLocation)> = probe
        .resource_metadata()
        .map(|url| (url.to_owned(), PrmLocation::Challenge))
        .into_iter()
        .collect();
    let well_known = protected_resource_metadata_urls(mcp_url);
    let last = well_known.len().saturating_sub(1);
    for (i, url) in well_known.into_iter().enumerate() {
        let location = if i == last {
            PrmLocation::Root
        } else {
            PrmLocation::PathInserted
        };
        if !candidates.iter().any(|(known, _)| *known == url) {
            candidates.push((url, location));
        }
    }
    candidates
}

pub(crate) async fn find_protected_resource_metadata(
    ctx: &mut FlowContext,
    mcp_url: &Url,
    probe: &Probe,
    attempts: &mut Vec<Attempt>,
) -> Option<(String, Value, PrmLocation)> {
    for (url, location) in prm_candidates(mcp_url, probe) {
        if let Some(document) = fetch_json(ctx, &url, "resource", attempts).await {
            return Some((url, document, location));
        }
    }
    None
}

/// Metadata found at one of the locations tried.
pub(crate) struct Found {
    pub(crate) url: String,
    pub(crate) location: &'static str,
    pub(crate) document: Value,
}

pub(crate) async fn find_auth_server_metadata(
    ctx: &mut FlowContext,
    issuer: &str,
    attempts: &mut Vec<Attempt>,
) -> Option<Found> {
    for (url, location) in auth_server_metadata_locations(issuer) {
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

/// GETs a metadata document: a JSON object that has `required_field`, or nothing.
async fn fetch_json(
    ctx: &mut FlowContext,
    url: &str,
    required_field: &str,
    attempts: &mut Vec<Attempt>,
) -> Option<Value> {
    let outcome = match ctx.http.get("discovery", url).await {
        Err(e) => Err(e.to_string()),
        Ok(response) => parse_document(&response, required_field),
    };
    match outcome {
        Ok(document) => {
            attempts.push(Attempt {
                url: url.to_owned(),
                outcome: "200, found".to_owned(),
            });
            Some(document)
        }
        Err(outcome) => {
            attempts.push(Attempt {
                url: url.to_owned(),
                outcome,
            });
            None
        }
    }
}

fn parse_document(response: &HttpResponse, required_field: &str) -> Result<Value, String> {
    let status = response.status.as_u16();
    if status != 200 {
        return Err(status.to_string());
    }
    match serde_json::from_slice::<Value>(&response.body) {
        Ok(document) if document.get(required_field).is_some() => Ok(document),
        Ok(_) => Err(format!("200, but no `{required_field}` field")),
        Err(_) => Err("200, but not JSON".to_owned()),
    }
}

pub(crate) fn check_resource(
    ctx: &mut FlowContext,
    pasted: &str,
    mcp_url: &Url,
    prm: &Value,
    location: PrmLocation,
) -> StepResult<String> {
    let announced = prm.get("resource").and_then(Value::as_str).unwrap_or("");
    let details = json!({ "expected": pasted, "actual": announced });
    match compare_resource(pasted, announced) {
        ResourceMatch::Identical => {
            ctx.recorder.pass(&checks::PRM_RESOURCE_MATCHES, details);
            return Ok(announced.to_owned());
        }
        ResourceMatch::Equivalent => {
            ctx.recorder.pass(
                &checks::PRM_RESOURCE_MATCHES,
                json!({ "expected": pasted, "actual": announced, "note": "equivalent after RFC 3986 normalization (empty path and / are the same resource)" }),
            );
            return Ok(announced.to_owned());
        }
        ResourceMatch::Mismatch => {}
    }
    let origin = origin(mcp_url);
    if location == PrmLocation::Root
        && compare_resource(&origin, announced) != ResourceMatch::Mismatch
    {
        ctx.recorder.pass(
            &checks::PRM_RESOURCE_MATCHES,
            json!({ "expected": [pasted, origin], "actual": announced, "note": "metadata at the origin's well-known location names the origin, the resource identifier that location stands for (RFC 9728 §3.3)" }),
        );
        return Ok(announced.to_owned());
    }
    Err(resource_mismatch(ctx, pasted, announced))
}

fn resource_mismatch(
    ctx: &mut FlowContext,
    mcp_url: &str,
    announced: &str,
) -> diagnosis::Diagnosis {
    let details = json!({ "expected": mcp_url, "actual": announced, "urlToPaste": (!announced.is_empty()).then_some(announced) });
    let same_origin = matches!(
        (Url::parse(mcp_url), Url::parse(announced)),
        (Ok(a), Ok(b)) if a.origin() == b.origin()
    );
    let remedy = if same_origin {
        format!(
            "Paste the canonical URL {announced} (exactly, including or omitting the trailing slash as shown); or, if {mcp_url} is right, the server must announce it as `resource` in its protected-resource metadata."
        )
    } else {
        format!(
            "The server announces a resource on another origin ({announced}): if the MCP server really lives at {announced}, paste that URL; otherwise its operator must set `resource` in the protected-resource metadata to {mcp_url}, the URL it is reached at."
        )
    };
    ctx.recorder.fail_with_remedy(
        &checks::PRM_RESOURCE_MATCHES,
        details,
        format!("the metadata names {announced:?} as the resource, not the pasted URL {mcp_url:?}"),
        Some(remedy.clone()),
    );
    diagnosis::new(
        diagnosis::RESOURCE_MISMATCH,
        format!(
            "The server's protected-resource metadata names {announced} as its resource, but the URL pasted was {mcp_url}; RFC 9728 §3.3 requires them to be identical."
        ),
        remedy,
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceMatch {
    Identical,
    /// The same URL after RFC 3986 normalization (`https://h` and `https://h/`).
    Equivalent,
    Mismatch,
}

pub fn compare_resource(pasted: &str, announced: &str) -> ResourceMatch {
    if pasted == announced {
        return ResourceMatch::Identical;
    }
    match (Url::parse(pasted), Url::parse(announced)) {
        (Ok(a), Ok(b)) if a == b => ResourceMatch::Equivalent,
        _ => ResourceMatch::Mismatch,
    }
}

pub(crate) fn authorization_server(ctx: &mut FlowContext, prm: &Value) -> StepResult<String> {
    let servers = string_list(prm.get("authorization_servers"));
    match servers.first() {
        Some(issuer) => {
            ctx.recorder.pass(
                &checks::PRM_AUTHORIZATION_SERVERS,
                json!({ "authorizationServers": servers }),
            );
            Ok(issuer.clone())
        }
        None => {
            ctx.recorder.fail(
                &checks::PRM_AUTHORIZATION_SERVERS,
                json!({ "expected": "a non-empty array of issuer URLs", "actual": prm.get("authorization_servers") }),
                "the protected-resource metadata names no authorization server",
            );
            Err(diagnosis::new(
                diagnosis::METADATA_INVALID,
                "The protected-resource metadata lists no authorization server.",
                "List the authorization server's issuer in `authorization_servers`.",
            ))
        }
    }
}

/// RFC 8414 §3.3: records `as-issuer-matches`; a mismatch is the `issuer-mismatch` diagnosis.
pub(crate) fn check_issuer(
    ctx: &mut FlowContext,
    issuer: &str,
    metadata: &AuthServerMetadata,
    metadata_url: &str,
) -> StepResult<()> {
    let published = metadata.issuer.as_deref().unwrap_or("");
    let details = json!({ "expected": issuer, "actual": published, "metadataUrl": metadata_url });
    if published == issuer {
        ctx.recorder.pass(&checks::AS_ISSUER_MATCHES, details);
        return Ok(());
    }
    let remedy = format!(
        "The authorization server must publish `\"issuer\": \"{issuer}\"` exactly (RFC 8414 §3.3 compares strings, so a trailing slash matters), or the protected-resource metadata must name {published} as the authorization server."
    );
    ctx.recorder.fail_with_remedy(
        &checks::AS_ISSUER_MATCHES,
        details,
        format!("the metadata's issuer {published:?} differs from {issuer:?}"),
        Some(remedy.clone()),
    );
    Err(diagnosis::new(
        diagnosis::ISSUER_MISMATCH,
        format!(
            "The authorization-server metadata at {metadata_url} says its issuer is {published}, but it was fetched for {issuer}; clients must refuse it (RFC 8414 §3.3)."
        ),
        remedy,
    ))
}

pub(crate) fn check_required_fields(
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

pub(crate) fn check_pkce(ctx: &mut FlowContext, metadata: &AuthServerMetadata) -> StepResult<()> {
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

/// The strings of a JSON array field; absent, non-array and non-string items count as none.
pub(crate) fn string_list(value: Option<&Value>) -> Vec<String> {
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

pub(crate) fn attempts_json(attempts: &[Attempt]) -> Value {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::testing;
    use crate::profile::MCP_2026_07_28;
    use crate::www_authenticate;

    #[test]
    fn resource_metadata_is_looked_for_in_the_challenge_then_path_inserted_then_at_the_root() {
        let url = Url::parse("https://mcp.example.com/mcp").unwrap();
        let header = r#"Bearer resource_metadata="https://mcp.example.com/custom.json""#;
        let probe = Probe {
            challenge: www_authenticate::bearer(header).unwrap(),
            unauthorized: true,
        };
        let locations: Vec<PrmLocation> = prm_candidates(&url, &probe)
            .into_iter()
            .map(|(_, location)| location)
            .collect();
        assert_eq!(
            locations,
            [
                PrmLocation::Challenge,
                PrmLocation::PathInserted,
                PrmLocation::Root
            ]
        );
        let bare = Url::parse("https://mcp.example.com").unwrap();
        assert_eq!(
            prm_candidates(&bare, &Probe::default()),
            [(
                "https://mcp.example.com/.well-known/oauth-protected-resource".to_owned(),
                PrmLocation::Root
            )]
        );
    }

    #[test]
    fn metadata_at_the_root_may_name_the_origin_but_path_inserted_metadata_may_not() {
        let pasted = "https://mcp.example.com/mcp";
        let url = Url::parse(pasted).unwrap();
        let origin_only = json!({ "resource": "https://mcp.example.com" });
        let mut flow = testing::flow(&MCP_2026_07_28);
        let resource = check_resource(
            flow.context(),
            pasted,
            &url,
            &origin_only,
            PrmLocation::Root,
        );
        assert_eq!(resource.unwrap(), "https://mcp.example.com");

        let refused = check_resource(
            flow.context(),
            pasted,
            &url,
            &origin_only,
            PrmLocation::PathInserted,
        );
        assert_eq!(refused.unwrap_err().code, diagnosis::RESOURCE_MISMATCH);

        let elsewhere = json!({ "resource": "https://evil.example.com/mcp" });
        let refused = check_resource(flow.context(), pasted, &url, &elsewhere, PrmLocation::Root);
        assert_eq!(refused.unwrap_err().code, diagnosis::RESOURCE_MISMATCH);
    }

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
    fn a_resource_without_metadata_is_the_canonical_uri() {
        let canonical = |url: &str| canonical_resource(&Url::parse(url).unwrap());
        assert_eq!(
            canonical("HTTPS://MCP.Example.com/"),
            "https://mcp.example.com"
        );
        assert_eq!(
            canonical("https://mcp.example.com"),
            "https://mcp.example.com"
        );
        assert_eq!(
            canonical("https://mcp.example.com/mcp#x"),
            "https://mcp.example.com/mcp"
        );
        assert_eq!(
            canonical("https://mcp.example.com/mcp/"),
            "https://mcp.example.com/mcp/"
        );
        assert_eq!(
            canonical("https://mcp.example.com:8443/?tenant=a"),
            "https://mcp.example.com:8443/?tenant=a"
        );
    }

    #[test]
    fn resources_compare_exactly_except_for_an_empty_path() {
        use ResourceMatch::*;
        assert_eq!(
            compare_resource("https://h/mcp", "https://h/mcp"),
            Identical
        );
        assert_eq!(compare_resource("https://h", "https://h/"), Equivalent);
        assert_eq!(
            compare_resource("https://h/mcp/", "https://h/mcp"),
            Mismatch
        );
        assert_eq!(
            compare_resource("https://h/mcp", "https://other/mcp"),
            Mismatch
        );
        assert_eq!(compare_resource("https://h/mcp", ""), Mismatch);
    }
}
