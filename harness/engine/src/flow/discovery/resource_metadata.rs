//! RFC 9728 protected-resource metadata: where to look, and whether the `resource` it
//! announces is the server that was pasted.

use serde_json::{Value, json};
use url::Url;

use super::fetch::{Attempt, fetch_json};
use super::{has_own_host, origin, string_list};
use crate::checks;
use crate::diagnosis;
use crate::flow::probe::Probe;
use crate::flow::{FlowContext, StepResult};
use crate::profile::ResourceComparison;

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
    if !has_own_host(mcp_url) {
        return Vec::new();
    }
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

pub async fn find_protected_resource_metadata(
    ctx: &mut FlowContext,
    mcp_url: &Url,
    probe: &Probe,
    attempts: &mut Vec<Attempt>,
) -> Option<(String, Value, PrmLocation)> {
    for (url, location) in prm_candidates(mcp_url, probe) {
        if let Some(document) = fetch_json(ctx, &url, "resource", attempts).await {
            return Some((url, document, location));
        }
        if location == PrmLocation::Challenge && !ctx.profile.well_known_after_challenge {
            // This profile's client takes the challenge's pointer alone.
            return None;
        }
    }
    None
}

pub fn check_resource(
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
    let accepted = match ctx.profile.resource_match {
        ResourceComparison::Identical => false,
        ResourceComparison::SameOriginPrefix => is_same_origin_prefix(pasted, announced),
        ResourceComparison::SameOriginParent => is_same_origin_parent(pasted, announced),
    };
    if accepted {
        ctx.recorder.warn(
            &checks::PRM_RESOURCE_MATCHES,
            json!({ "expected": pasted, "actual": announced }),
            format!(
                "the metadata names {announced:?}, a same-origin prefix of {pasted:?}; the {} client accepts it, though RFC 9728 §3.3 requires the identical URL",
                ctx.profile.name
            ),
        );
        return Ok(announced.to_owned());
    }
    let refused = resource_mismatch(ctx, pasted, announced, location);
    // A profile of a client that does not compare uses the announced resource, as it does.
    if ctx.profile.tolerates(&checks::PRM_RESOURCE_MATCHES) && !announced.is_empty() {
        return Ok(announced.to_owned());
    }
    Err(refused)
}

fn resource_mismatch(
    ctx: &mut FlowContext,
    mcp_url: &str,
    announced: &str,
    location: PrmLocation,
) -> diagnosis::Diagnosis {
    let mut details = json!({ "expected": mcp_url, "actual": announced, "urlToPaste": (!announced.is_empty()).then_some(announced) });
    let same_origin = matches!(
        (Url::parse(mcp_url), Url::parse(announced)),
        (Ok(a), Ok(b)) if a.origin() == b.origin()
    );
    // The 401 of the pasted URL itself named metadata for another endpoint: the server's
    // challenge, not the user's URL, is what points elsewhere (exa-mcp-server#387).
    let challenge_elsewhere =
        location == PrmLocation::Challenge && names_enclosing_endpoint(mcp_url, announced);
    if challenge_elsewhere {
        details["challengeNamesOtherResource"] = json!(true);
    }
    let behind_tls_proxy = announced_over_plain_http(mcp_url, announced);
    if behind_tls_proxy {
        details["schemeOnly"] = json!(true);
        // Pasting the http:// URL would send tokens in the clear: the fix is the server's.
        details["urlToPaste"] = Value::Null;
    }
    let remedy = if behind_tls_proxy {
        format!(
            "The server announces http:// for the https:// URL it is reached at: it builds its URLs from the plain-HTTP request a TLS-terminating proxy forwards (inferred from the scheme alone). Its operator must make it honour the proxy's `X-Forwarded-Proto: https` (or `Forwarded: proto=https`), by trusting the proxy's forwarded headers, or configure its public base URL as {mcp_url}; the announced `resource` and `resource_metadata` must then be https (mesh-mcp#20)."
        )
    } else if challenge_elsewhere {
        format!(
            "Paste the canonical URL {announced} (exactly, including or omitting the trailing slash as shown); or, if {mcp_url} is right, the server must answer its 401 with the resource_metadata URL of {mcp_url} itself (the well-known URL with that path inserted) and announce {mcp_url} there as `resource`, instead of pointing every endpoint's challenge at the metadata of {announced} (exa-mcp-server#387)."
        )
    } else if same_origin {
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

/// Whether `announced` is the pasted https URL with `http` for its scheme (the default port
/// of each, or the same explicit one), as a server behind a TLS-terminating proxy that
/// ignores `X-Forwarded-Proto` announces it.
fn announced_over_plain_http(pasted: &str, announced: &str) -> bool {
    let (Ok(pasted), Ok(announced)) = (Url::parse(pasted), Url::parse(announced)) else {
        return false;
    };
    let explicit_port_kept = pasted.port().is_some() && pasted.port() == announced.port();
    let default_ports = pasted.port().is_none() && announced.port().is_none();
    pasted.scheme() == "https"
        && announced.scheme() == "http"
        && pasted.host_str() == announced.host_str()
        && (explicit_port_kept || default_ports)
        && pasted.path().trim_end_matches('/') == announced.path().trim_end_matches('/')
}

/// Whether `announced` names the same origin as `pasted` and a path no longer than its path
/// that prefixes it, both compared with a `/` appended (`/` and `/mcp` for `/mcp/x` and
/// `/mcp/`; not `/mc` for `/mcp`, nor `/mcp/` for `/mcp`).
fn is_same_origin_prefix(pasted: &str, announced: &str) -> bool {
    let (Ok(pasted), Ok(announced)) = (Url::parse(pasted), Url::parse(announced)) else {
        return false;
    };
    let with_slash = |path: &str| {
        if path.ends_with('/') {
            path.to_owned()
        } else {
            format!("{path}/")
        }
    };
    pasted.origin() == announced.origin()
        && pasted.path().len() >= announced.path().len()
        && with_slash(pasted.path()).starts_with(&with_slash(announced.path()))
}

/// Whether `announced` names the same origin as `pasted` and a parent of its path (or the
/// path itself), trailing slashes ignored (`/mcp/` and `/` for `/mcp`; not `/mc`).
fn is_same_origin_parent(pasted: &str, announced: &str) -> bool {
    let (Ok(pasted), Ok(announced)) = (Url::parse(pasted), Url::parse(announced)) else {
        return false;
    };
    let parent = announced.path().trim_end_matches('/');
    let path = pasted.path().trim_end_matches('/');
    pasted.origin() == announced.origin()
        && (parent.is_empty() || path == parent || path.starts_with(&format!("{parent}/")))
}

/// Whether `announced` is another endpoint of the same server whose path encloses the pasted
/// one (`/mcp` for `/mcp/oauth`): what a challenge pointing every endpoint at one metadata
/// document leads to. A trailing slash or the bare origin is not another endpoint.
fn names_enclosing_endpoint(pasted: &str, announced: &str) -> bool {
    let (Ok(pasted), Ok(announced)) = (Url::parse(pasted), Url::parse(announced)) else {
        return false;
    };
    let enclosing = announced.path().trim_end_matches('/');
    pasted.origin() == announced.origin()
        && !enclosing.is_empty()
        && pasted
            .path()
            .strip_prefix(enclosing)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|rest| !rest.trim_matches('/').is_empty())
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

pub fn authorization_server(ctx: &mut FlowContext, prm: &Value) -> StepResult<String> {
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
    fn an_enclosing_endpoint_is_told_from_a_trailing_slash_and_the_origin() {
        let enclosing = |pasted, announced| super::names_enclosing_endpoint(pasted, announced);
        assert!(enclosing(
            "https://h.example/mcp/oauth",
            "https://h.example/mcp"
        ));
        assert!(!enclosing(
            "https://h.example/mcp/",
            "https://h.example/mcp"
        ));
        assert!(!enclosing("https://h.example/mcp", "https://h.example/"));
        assert!(!enclosing(
            "https://h.example/mcpx",
            "https://h.example/mcp"
        ));
        assert!(!enclosing(
            "https://h.example/mcp/oauth",
            "https://other.example/mcp"
        ));
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
    fn an_http_resource_for_an_https_url_is_told_apart_as_a_tls_proxy_sign() {
        use super::announced_over_plain_http as plain;
        assert!(plain(
            "https://mcp.example.com/mcp",
            "http://mcp.example.com/mcp"
        ));
        assert!(plain(
            "https://mcp.example.com:8443/mcp",
            "http://mcp.example.com:8443/mcp/"
        ));
        assert!(!plain(
            "https://mcp.example.com/mcp",
            "http://mcp.example.com:8080/mcp"
        ));
        assert!(!plain(
            "https://mcp.example.com/mcp",
            "https://mcp.example.com/mcp"
        ));
        assert!(!plain(
            "http://mcp.example.com/mcp",
            "https://mcp.example.com/mcp"
        ));
        assert!(!plain(
            "https://mcp.example.com/mcp",
            "http://other.example.com/mcp"
        ));
        assert!(!plain(
            "https://mcp.example.com/mcp",
            "http://mcp.example.com/v2"
        ));
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

    #[test]
    fn a_same_origin_prefix_is_compared_with_a_slash_appended_to_both_paths() {
        assert!(is_same_origin_prefix("https://h/mcp", "https://h"));
        assert!(is_same_origin_prefix("https://h/mcp/x", "https://h/mcp"));
        assert!(is_same_origin_prefix("https://h/mcp/", "https://h/mcp"));
        assert!(!is_same_origin_prefix("https://h/mcp", "https://h/mcp/"));
        assert!(!is_same_origin_prefix("https://h/mcp", "https://h/mc"));
        assert!(!is_same_origin_prefix("https://h/mcp", "https://other/mcp"));
        assert!(is_same_origin_parent("https://h/mcp", "https://h/mcp/"));
        assert!(is_same_origin_parent("https://h/mcp/x", "https://h"));
        assert!(!is_same_origin_parent("https://h/mcp", "https://h/mc"));
        assert!(!is_same_origin_parent("https://h/mcp", "https://other"));
    }
}
