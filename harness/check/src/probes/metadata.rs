//! RFC 8414 / OpenID authorization-server metadata and what it advertises.

use mcp_oauth_reports::Status;
use serde_json::{Value, json};
use url::Url;

use super::{Findings, Resource};
use crate::verdict::Effect;
use mcp_oauth_engine::checks::{self};
use mcp_oauth_engine::diagnosis;
use mcp_oauth_engine::diagnosis::Party;
use mcp_oauth_engine::flow::FlowContext;
use mcp_oauth_engine::flow::discovery::string_list;
use mcp_oauth_engine::flow::discovery::{self, AuthServerMetadata};

/// Step 3: RFC 8414 / OpenID authorization-server metadata, found, parsed and judged with the
/// client flow's own steps (issuer, required fields, PKCE), going on past a failure where the
/// flow would stop; then what it advertises beyond what the flow needs.
pub(super) async fn auth_server(
    ctx: &mut FlowContext,
    resource: &mut Resource,
    mcp_url: &Url,
    findings: &mut Findings,
) -> Option<AuthServerMetadata> {
    let issuer = resource.issuer.clone();
    // Every location, OpenID Connect Discovery's too: which profiles find the metadata is the
    // verdict's business (`Effect::BlocksWithoutOpenidDiscovery`).
    let found =
        discovery::find_auth_server_metadata(ctx, &issuer, &mut resource.attempts, true).await;
    discovery::record_quirks(ctx, &resource.attempts);
    let Some(found) = found else {
        ctx.recorder.fail(
            &checks::AS_METADATA_DISCOVERED,
            json!({ "issuer": issuer, "tried": discovery::attempts_json(&resource.attempts) }),
            format!("no authorization-server metadata for issuer {issuer}"),
        );
        // Without metadata the missing resource metadata is no longer a mere caveat.
        findings
            .problems
            .retain(|p| p.code != diagnosis::PRM_MISSING);
        let failed = discovery::discovery_failed(&resource.attempts, &issuer);
        if resource.found_prm {
            findings.problem_of(
                Party::AuthorizationServer,
                &checks::AS_METADATA_DISCOVERED,
                diagnosis::DISCOVERY_FAILED,
                failed.message,
                failed.remedy,
                Effect::Blocks,
            );
            return None;
        }
        // A server without any metadata: the profiles that fall back to the 2025-03-26
        // default endpoints go on there, as their flows do, and so do the probes.
        findings.problem(
            &checks::AS_METADATA_DISCOVERED,
            diagnosis::DISCOVERY_FAILED,
            failed.message,
            failed.remedy,
            Effect::BlocksWithoutFallback,
        );
        let server = discovery::default_endpoints(ctx, mcp_url, resource.resource.clone());
        return Some(server.metadata);
    };
    ctx.recorder.pass(
        &checks::AS_METADATA_DISCOVERED,
        json!({ "url": found.url, "location": found.location, "issuer": issuer, "tried": discovery::attempts_json(&resource.attempts) }),
    );
    if discovery::is_openid(found.location) {
        findings.problem_of(
            Party::AuthorizationServer,
            &checks::AS_METADATA_DISCOVERED,
            diagnosis::DISCOVERY_FAILED,
            format!(
                "The authorization server publishes OpenID Connect Discovery metadata only ({}); RFC 8414 metadata is not at the locations tried. Clients that read RFC 8414 metadata only (MCP 2025-06-18, Pipelines) find no authorization server.",
                found.url
            ),
            "Publish the same metadata as RFC 8414 authorization-server metadata (/.well-known/oauth-authorization-server, with the issuer's path inserted after it), which every MCP revision reads; OpenID Connect Discovery alone serves only clients of 2025-11-25 and later.",
            Effect::BlocksWithoutOpenidDiscovery,
        );
    }
    let url = found.url.clone();
    let raw = found.document.clone();
    let metadata = match discovery::parse_metadata(ctx, &url, found.document) {
        Ok(metadata) => metadata,
        Err(invalid) => {
            findings.problem(
                &checks::AS_METADATA_FIELDS,
                diagnosis::METADATA_INVALID,
                invalid.message,
                invalid.remedy,
                Effect::Blocks,
            );
            return None;
        }
    };
    // Announced, unlike the default endpoints above: a gallery entry is compared with it.
    findings.discovered.metadata = Some(metadata.clone());

    if let Err(mismatch) = discovery::check_issuer(ctx, &issuer, &metadata, &url) {
        findings.problem(
            &checks::AS_ISSUER_MATCHES,
            diagnosis::ISSUER_MISMATCH,
            mismatch.message,
            mismatch.remedy,
            Effect::Blocks,
        );
    }
    if let Err(missing) = discovery::check_required_fields(ctx, &metadata) {
        findings.problem(
            &checks::AS_METADATA_FIELDS,
            diagnosis::METADATA_INVALID,
            missing.message,
            missing.remedy,
            Effect::Blocks,
        );
    }
    pkce(ctx, &metadata, findings);
    mcp_oauth_engine::flow::dpop::record_advertised(ctx, &metadata);
    grant_types(ctx, &raw);
    client_identification(ctx, &metadata, &raw, findings);
    Some(metadata)
}

/// PKCE S256, judged by the flow's step under the probes' profile; a failure there is a
/// failure under every profile that makes it one.
fn pkce(ctx: &mut FlowContext, metadata: &AuthServerMetadata, findings: &mut Findings) {
    let judged = discovery::check_pkce(ctx, metadata);
    let advertised = judged.is_ok()
        && ctx.recorder.checks().last().is_some_and(|c| {
            c.id == checks::PKCE_S256_ADVERTISED.id && c.status == Status::Success
        });
    if !advertised {
        findings.problem(
            &checks::PKCE_S256_ADVERTISED,
            diagnosis::PKCE_NOT_ADVERTISED,
            "The authorization server does not advertise PKCE S256; clients of the 2025-11-25 and later revisions refuse to connect.",
            checks::PKCE_S256_ADVERTISED.remedy,
            Effect::BlocksWhenFailure,
        );
    }
}

/// The grant types a client uses: the code, and refresh tokens.
fn grant_types(ctx: &mut FlowContext, raw: &Value) {
    let grants = raw
        .get("grant_types_supported")
        .map(|v| string_list(Some(v)));
    let wanted = ["authorization_code", "refresh_token"];
    match &grants {
        Some(grants) if wanted.iter().all(|w| grants.iter().any(|g| g == w)) => ctx.recorder.pass(
            &checks::AS_GRANT_TYPES,
            json!({ "grantTypesSupported": grants }),
        ),
        _ => {
            ctx.recorder.fail(
                &checks::AS_GRANT_TYPES,
                json!({ "expected": wanted, "actual": grants }),
                match &grants {
                    None => "the metadata has no grant_types_supported (the default excludes refresh_token)".to_owned(),
                    Some(g) => format!("grant_types_supported is {g:?}"),
                },
            );
        }
    }
}

/// How a client can identify itself: token endpoint authentication, `iss`, client ID
/// metadata documents, registration.
fn client_identification(
    ctx: &mut FlowContext,
    metadata: &AuthServerMetadata,
    raw: &Value,
    findings: &mut Findings,
) {
    let auth_methods = metadata.token_endpoint_auth_methods_supported.clone();
    if auth_methods
        .as_ref()
        .is_some_and(|m| m.iter().any(|m| m == "none"))
    {
        ctx.recorder.pass(
            &checks::AS_TOKEN_AUTH_METHODS,
            json!({ "tokenEndpointAuthMethodsSupported": auth_methods }),
        );
    } else {
        ctx.recorder.fail(
            &checks::AS_TOKEN_AUTH_METHODS,
            json!({ "expected": "a list including none", "actual": auth_methods }),
            match &auth_methods {
                None => "the metadata has no token_endpoint_auth_methods_supported (the default is client_secret_basic only)".to_owned(),
                Some(m) => format!("token_endpoint_auth_methods_supported is {m:?}, without none"),
            },
        );
    }

    if metadata.authorization_response_iss_parameter_supported == Some(true) {
        ctx.recorder.pass(
            &checks::AS_ISS_PARAMETER_ADVERTISED,
            json!({ "authorizationResponseIssParameterSupported": true }),
        );
    } else {
        ctx.recorder.fail(
            &checks::AS_ISS_PARAMETER_ADVERTISED,
            json!({ "authorizationResponseIssParameterSupported": metadata.authorization_response_iss_parameter_supported }),
            "the metadata does not advertise the RFC 9207 iss parameter",
        );
    }

    let cimd = raw
        .get("client_id_metadata_document_supported")
        .and_then(Value::as_bool)
        == Some(true);
    if cimd {
        ctx.recorder.pass(
            &checks::CIMD_SUPPORTED,
            json!({ "clientIdMetadataDocumentSupported": true }),
        );
    } else {
        ctx.recorder.fail(
            &checks::CIMD_SUPPORTED,
            json!({ "clientIdMetadataDocumentSupported": raw.get("client_id_metadata_document_supported") }),
            "client ID metadata documents are not advertised",
        );
    }

    match &metadata.registration_endpoint {
        Some(endpoint) => ctx.recorder.pass(
            &checks::DCR_AVAILABLE,
            json!({ "registrationEndpoint": endpoint }),
        ),
        None => {
            ctx.recorder.fail(
                &checks::DCR_AVAILABLE,
                json!({ "registrationEndpoint": null, "clientIdMetadataDocumentSupported": cimd }),
                "no registration_endpoint: automatic client registration is not available, so a Client ID must be brought",
            );
            findings.problem(
                &checks::DCR_AVAILABLE,
                diagnosis::CLIENT_ID_MISSING,
                if cimd {
                    "The server offers no automatic client registration: users must bring a Client ID (clients that support client ID metadata documents can use one instead)."
                } else {
                    "The server offers no automatic client registration: users must bring a Client ID."
                },
                "Offer RFC 7591 dynamic client registration (advertise registration_endpoint); until then, tell users to create an OAuth app with the client's callback URL allowed and paste its Client ID.",
                Effect::NeedsClientId,
            );
        }
    }
}

/// For browser-based clients: the token endpoint must answer a CORS preflight, or a browser
/// never sends the code exchange. Recorded as a WARNING: non-browser clients do not preflight.
pub(super) async fn token_preflight(ctx: &mut FlowContext, token_endpoint: &str) {
    let request_headers = mcp_oauth_engine::http::headers(&[
        ("origin", super::resource::BROWSER_ORIGIN),
        ("access-control-request-method", "POST"),
        ("access-control-request-headers", "content-type"),
    ]);
    let response = ctx
        .http
        .send(
            "token",
            reqwest::Method::OPTIONS,
            token_endpoint,
            &request_headers,
            mcp_oauth_engine::http::Body::Empty,
        )
        .await;
    let response = match response {
        Ok(response) => response,
        Err(e) => {
            ctx.recorder.skip(
                &checks::CORS_TOKEN_PREFLIGHT,
                format!("the preflight could not be sent: {e}"),
            );
            return;
        }
    };
    let status = response.status.as_u16();
    let allow_origin = response.header("access-control-allow-origin");
    let methods = response
        .header_values("access-control-allow-methods")
        .join(", ");
    let allows_post = methods
        .split(',')
        .map(str::trim)
        .any(|m| m == "*" || m.eq_ignore_ascii_case("POST"));
    let details = json!({
        "status": status,
        "accessControlAllowOrigin": allow_origin,
        "accessControlAllowMethods": methods,
    });
    if response.status.is_success() && allow_origin.is_some() && allows_post {
        ctx.recorder.pass(&checks::CORS_TOKEN_PREFLIGHT, details);
    } else {
        ctx.recorder.fail(
            &checks::CORS_TOKEN_PREFLIGHT,
            details,
            format!(
                "OPTIONS at the token endpoint was answered {status}{}: browsers will not send the code exchange",
                if allow_origin.is_none() { " without Access-Control-Allow-Origin" } else { " without POST allowed" }
            ),
        );
    }
}
