//! RFC 8414 / OpenID authorization-server metadata and what it advertises.

use serde_json::{Value, json};

use super::super::verdict::Effect;
use super::{Findings, Resource, fetch_document};
use crate::checks::{self};
use crate::diagnosis;
use crate::flow::FlowContext;
use crate::flow::discovery::string_list;
use crate::flow::discovery::{self, AuthServerMetadata, auth_server_metadata_urls};

/// Step 3: RFC 8414 / OpenID authorization-server metadata and what it advertises.
pub(super) async fn auth_server(
    ctx: &mut FlowContext,
    resource: &Resource,
    findings: &mut Findings,
) -> Option<AuthServerMetadata> {
    let issuer = &resource.issuer;
    let mut tried = Vec::new();
    let mut found = None;
    for url in auth_server_metadata_urls(issuer) {
        match fetch_document(ctx, &url, "issuer").await {
            Ok((document, _)) => {
                tried.push(json!({ "url": url, "outcome": "200, found" }));
                found = Some((url, document));
                break;
            }
            Err(outcome) => tried.push(json!({ "url": url, "outcome": outcome })),
        }
    }
    let Some((url, raw)) = found else {
        ctx.recorder.fail(
            &checks::AS_METADATA_DISCOVERED,
            json!({ "issuer": issuer, "tried": tried }),
            format!("no authorization-server metadata for issuer {issuer}"),
        );
        // Without metadata the missing resource metadata is no longer a mere caveat.
        findings
            .problems
            .retain(|p| p.code != diagnosis::PRM_MISSING);
        findings.problem(
            &checks::AS_METADATA_DISCOVERED,
            diagnosis::DISCOVERY_FAILED,
            format!("Discovery failed: no OAuth metadata was found for issuer {issuer}."),
            "Serve RFC 9728 metadata at /.well-known/oauth-protected-resource (pointed to by the 401's resource_metadata) and RFC 8414 metadata for the authorization server it names.",
            Effect::Blocks,
        );
        return None;
    };
    ctx.recorder.pass(
        &checks::AS_METADATA_DISCOVERED,
        json!({ "url": url, "issuer": issuer, "tried": tried }),
    );
    let metadata: AuthServerMetadata = match serde_json::from_value(raw.clone()) {
        Ok(metadata) => metadata,
        Err(e) => {
            ctx.recorder.fail(
                &checks::AS_METADATA_FIELDS,
                json!({ "url": url, "error": e.to_string() }),
                format!("the metadata has fields of the wrong type: {e}"),
            );
            findings.problem(
                &checks::AS_METADATA_FIELDS,
                diagnosis::METADATA_INVALID,
                format!(
                    "The authorization-server metadata at {url} has fields of the wrong type: {e}."
                ),
                "Fix the metadata document so that it follows RFC 8414 §2.",
                Effect::Blocks,
            );
            return None;
        }
    };

    if let Err(mismatch) = discovery::check_issuer(ctx, issuer, &metadata, &url) {
        findings.problem(
            &checks::AS_ISSUER_MATCHES,
            diagnosis::ISSUER_MISMATCH,
            mismatch.message,
            mismatch.remedy,
            Effect::Blocks,
        );
    }

    required_fields(ctx, &metadata, findings);
    pkce_and_grants(ctx, &metadata, &raw, findings);
    client_identification(ctx, &metadata, &raw, findings);
    Some(metadata)
}

/// The endpoints and response type every client needs.
fn required_fields(ctx: &mut FlowContext, metadata: &AuthServerMetadata, findings: &mut Findings) {
    let mut missing = Vec::new();
    if metadata.authorization_endpoint.is_none() {
        missing.push("authorization_endpoint");
    }
    if metadata.token_endpoint.is_none() {
        missing.push("token_endpoint");
    }
    if !metadata
        .response_types_supported
        .as_ref()
        .is_some_and(|types| types.iter().any(|t| t == "code"))
    {
        missing.push("response_types_supported containing \"code\"");
    }
    if missing.is_empty() {
        ctx.recorder.pass(
            &checks::AS_METADATA_FIELDS,
            json!({ "authorizationEndpoint": metadata.authorization_endpoint, "tokenEndpoint": metadata.token_endpoint }),
        );
    } else {
        ctx.recorder.fail(
            &checks::AS_METADATA_FIELDS,
            json!({ "missing": missing }),
            format!("the metadata lacks {}", missing.join(", ")),
        );
        findings.problem(
            &checks::AS_METADATA_FIELDS,
            diagnosis::METADATA_INVALID,
            format!(
                "The authorization-server metadata lacks {}.",
                missing.join(", ")
            ),
            "Add the missing fields to the authorization-server metadata (RFC 8414 §2).",
            Effect::Blocks,
        );
    }
}

/// PKCE S256 and the grant types a client uses.
fn pkce_and_grants(
    ctx: &mut FlowContext,
    metadata: &AuthServerMetadata,
    raw: &Value,
    findings: &mut Findings,
) {
    let methods = metadata.code_challenge_methods_supported.clone();
    if methods
        .as_ref()
        .is_some_and(|m| m.iter().any(|m| m == "S256"))
    {
        ctx.recorder.pass(
            &checks::PKCE_S256_ADVERTISED,
            json!({ "codeChallengeMethodsSupported": methods }),
        );
    } else {
        ctx.recorder.fail(
            &checks::PKCE_S256_ADVERTISED,
            json!({ "expected": ["S256"], "actual": methods }),
            match &methods {
                None => "the metadata has no code_challenge_methods_supported".to_owned(),
                Some(m) => format!("code_challenge_methods_supported is {m:?}, without S256"),
            },
        );
        findings.problem(
            &checks::PKCE_S256_ADVERTISED,
            diagnosis::PKCE_NOT_ADVERTISED,
            "The authorization server does not advertise PKCE S256; clients of the 2025-11-25 and later revisions refuse to connect.",
            checks::PKCE_S256_ADVERTISED.remedy,
            Effect::BlocksWhenFailure,
        );
    }

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
    let request_headers = crate::http::headers(&[
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
            crate::http::Body::Empty,
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
