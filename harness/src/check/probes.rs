//! The probes that need no person: what `check URL` asks the MCP server, its metadata, the
//! registration, authorization and token endpoints before anyone consents. Each answer is a
//! check recorded through the flow's recorder, and each problem found is kept, with whom it
//! stops, for the verdict.
//!
//! Unlike the client flow, which stops at the first failure, the probes go on as far as the
//! server's answers allow, so that one run shows everything a vendor has to fix.

use oauth2::{ClientSecret, CsrfToken, PkceCodeChallenge};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use url::Url;

use super::verdict::{Effect, Problem};
use crate::checks::{self, CheckDef};
use crate::diagnosis;
use crate::flow::FlowContext;
use crate::flow::discovery::string_list;
use crate::flow::discovery::{
    self, AuthServerMetadata, ResourceMatch, auth_server_metadata_urls,
    protected_resource_metadata_urls,
};
use crate::flow::probe::{self, Probe, initialize_request};
use crate::flow::registration::{AuthMethod, RegisteredClient};
use crate::flow::token_request::{self, ErrorAnswer};
use crate::http::{Body, HttpResponse, headers};
use crate::www_authenticate;

/// A redirect URI no client registers: where an open redirector would send the code.
pub const UNREGISTERED_REDIRECT_URI: &str = "https://unregistered.invalid/callback";

/// What the probes are given.
#[derive(Debug, Clone)]
pub struct ProbeInputs {
    pub mcp_url: String,
    /// The harness's callback, registered by the probes and used by the consent step.
    pub redirect_uri: String,
    pub client_id: Option<String>,
    pub client_secret: Option<ClientSecret>,
    pub scope: Option<String>,
    pub client_name: String,
}

/// What the probes found.
#[derive(Debug, Default)]
pub struct Findings {
    /// The MCP URL answered at all; nothing else is asked when it did not.
    pub reachable: bool,
    /// Every problem found, in flow order.
    pub problems: Vec<Problem>,
}

impl Findings {
    fn problem(
        &mut self,
        check: &'static CheckDef,
        code: &'static str,
        message: impl Into<String>,
        remedy: impl Into<String>,
        effect: Effect,
    ) {
        self.problems
            .push(Problem::new(check, code, message, remedy, effect));
    }
}

/// The protected-resource side, as far as it was found.
struct Resource {
    issuer: String,
    /// The RFC 8707 resource to send: the announced one when it matches, else the pasted URL.
    resource: String,
    scopes: Vec<String>,
}

pub async fn run(ctx: &mut FlowContext, inputs: &ProbeInputs) -> Findings {
    let mut findings = Findings::default();
    let Ok(mcp_url) = Url::parse(&inputs.mcp_url) else {
        findings.problem(
            &checks::MCP_REQUIRES_AUTH,
            diagnosis::DISCOVERY_FAILED,
            format!("{:?} is not an absolute URL.", inputs.mcp_url),
            "Paste the full MCP server URL, with https:// and the path.",
            Effect::Blocks,
        );
        return findings;
    };

    let Some(probe) = unauthenticated(ctx, &inputs.mcp_url, &mut findings).await else {
        return findings;
    };
    findings.reachable = true;
    invalid_token(ctx, &inputs.mcp_url, &mut findings).await;

    let prm = protected_resource(ctx, &mcp_url, &probe, &inputs.mcp_url, &mut findings).await;
    let Some(resource) = prm else {
        return findings;
    };
    let Some(metadata) = auth_server(ctx, &resource, &mut findings).await else {
        return findings;
    };
    let Some((authorization_endpoint, token_endpoint)) = metadata
        .authorization_endpoint
        .clone()
        .zip(metadata.token_endpoint.clone())
    else {
        return findings;
    };

    let mut client = inputs.client_id.as_ref().map(|id| RegisteredClient {
        client_id: id.clone(),
        client_secret: inputs.client_secret.clone(),
        auth_method: brought_auth_method(inputs.client_secret.is_some(), &metadata),
        source: "brought",
    });
    registration(ctx, inputs, &metadata, &mut client, &mut findings).await;

    let Some(client) = client else {
        for check in [
            &checks::AUTHORIZATION_REJECTS_UNREGISTERED_REDIRECT,
            &checks::AUDIENCE_OPTIONAL,
            &checks::TOKEN_UNKNOWN_CODE,
            &checks::TOKEN_UNKNOWN_REFRESH_TOKEN,
            &checks::TOKEN_UNSUPPORTED_GRANT,
        ] {
            ctx.recorder.skip(
                check,
                "no Client ID to probe with: the server offers no working registration and none was given",
            );
        }
        return findings;
    };
    let scope = inputs
        .scope
        .clone()
        .or_else(|| probe.scope().map(str::to_owned))
        .or_else(|| (!resource.scopes.is_empty()).then(|| resource.scopes.join(" ")));
    let request = AuthorizationProbe {
        endpoint: &authorization_endpoint,
        client: &client,
        redirect_uri: &inputs.redirect_uri,
        scope: scope.as_deref(),
        resource: &resource.resource,
    };
    open_redirect(ctx, &request, &mut findings).await;
    audience(ctx, &request, &mut findings).await;
    token_endpoint_errors(
        ctx,
        &token_endpoint,
        &client,
        &inputs.redirect_uri,
        &mut findings,
    )
    .await;
    findings
}

/// Step 1: no token. Reuses the client flow's probe; returns None when the URL cannot be
/// reached at all.
async fn unauthenticated(
    ctx: &mut FlowContext,
    mcp_url: &str,
    findings: &mut Findings,
) -> Option<Probe> {
    let probe = match probe::probe(ctx, mcp_url).await {
        Ok(probe) => probe,
        Err(d) => {
            ctx.recorder.fail(
                &checks::MCP_REQUIRES_AUTH,
                json!({ "expected": 401, "error": d.message }),
                d.message.clone(),
            );
            findings.problem(
                &checks::MCP_REQUIRES_AUTH,
                diagnosis::DISCOVERY_FAILED,
                d.message,
                d.remedy,
                Effect::Blocks,
            );
            return None;
        }
    };
    let status = ctx
        .http
        .exchanges()
        .iter()
        .rev()
        .find(|x| x.step == "probe")
        .and_then(|x| x.response.as_ref())
        .map_or(0, |r| r.status);
    match status {
        401 if probe.challenge.is_none() => findings.problem(
            &checks::WWW_AUTHENTICATE_BEARER,
            diagnosis::AUTH_CHALLENGE_MISSING,
            "The 401 carries no parsable WWW-Authenticate: Bearer challenge.",
            checks::WWW_AUTHENTICATE_BEARER.remedy,
            Effect::Caveat,
        ),
        401 => {}
        200..=299 => findings.problem(
            &checks::MCP_REQUIRES_AUTH,
            diagnosis::UNAUTHENTICATED_ACCESS,
            format!(
                "The MCP endpoint answered {status} to a request without a token: anyone can use it, and clients never start OAuth."
            ),
            "Require a bearer token on the MCP endpoint: answer requests without one with 401 and WWW-Authenticate: Bearer resource_metadata=\"...\".",
            Effect::Caveat,
        ),
        _ => findings.problem(
            &checks::MCP_REQUIRES_AUTH,
            diagnosis::AUTH_CHALLENGE_MISSING,
            format!(
                "The MCP endpoint answered {status} to a request without a token; clients start the OAuth flow only on a 401, so they report an error instead."
            ),
            format!(
                "Answer unauthenticated MCP requests with 401 and a WWW-Authenticate: Bearer challenge, not {status}; if the URL is wrong, paste the MCP endpoint itself."
            ),
            Effect::Blocks,
        ),
    }
    Some(probe)
}

/// Step 1b: a token the server never issued must get 401 with error="invalid_token".
async fn invalid_token(ctx: &mut FlowContext, mcp_url: &str, findings: &mut Findings) {
    let token = format!(
        "mcp-oauth-harness-invalid-{}",
        CsrfToken::new_random().secret()
    );
    let authorization = format!("Bearer {token}");
    let response = ctx
        .http
        .send(
            "probe",
            Method::POST,
            mcp_url,
            &headers(&[
                ("accept", "application/json, text/event-stream"),
                ("authorization", &authorization),
            ]),
            Body::Json(initialize_request()),
        )
        .await;
    let response = match response {
        Ok(response) => response,
        Err(e) => {
            ctx.recorder.fail(
                &checks::INVALID_TOKEN_REJECTED,
                json!({ "expected": 401, "error": e.to_string() }),
                format!("the request with an invalid token failed: {e}"),
            );
            return;
        }
    };
    let status = response.status.as_u16();
    if status != 401 {
        ctx.recorder.fail(
            &checks::INVALID_TOKEN_REJECTED,
            json!({ "expected": 401, "actual": status }),
            format!("the MCP endpoint answered {status} to a request with a token it never issued"),
        );
        ctx.recorder.skip(
            &checks::INVALID_TOKEN_ERROR_CODE,
            "the invalid token was not answered with 401",
        );
        if (200..300).contains(&status) {
            findings.problem(
                &checks::INVALID_TOKEN_REJECTED,
                diagnosis::INVALID_TOKEN_ACCEPTED,
                format!("The MCP endpoint answered {status} to a request with a made-up token."),
                checks::INVALID_TOKEN_REJECTED.remedy,
                Effect::Caveat,
            );
        }
        return;
    }
    ctx.recorder
        .pass(&checks::INVALID_TOKEN_REJECTED, json!({ "status": 401 }));
    let header = response.header("www-authenticate").unwrap_or("");
    let error = www_authenticate::bearer(header)
        .ok()
        .flatten()
        .and_then(|c| c.param("error").map(str::to_owned));
    match error.as_deref() {
        Some("invalid_token") => ctx.recorder.pass(
            &checks::INVALID_TOKEN_ERROR_CODE,
            json!({ "wwwAuthenticate": header }),
        ),
        _ => {
            ctx.recorder.fail(
                &checks::INVALID_TOKEN_ERROR_CODE,
                json!({ "expected": "error=\"invalid_token\"", "actual": header }),
                match error {
                    Some(other) => format!("the Bearer challenge says error={other:?}"),
                    None => "the Bearer challenge carries no error parameter".to_owned(),
                },
            );
        }
    }
}

/// Step 2: RFC 9728 protected-resource metadata. Returns the issuer to ask next, or None when
/// the probes cannot go on.
async fn protected_resource(
    ctx: &mut FlowContext,
    mcp_url: &Url,
    probe: &Probe,
    pasted: &str,
    findings: &mut Findings,
) -> Option<Resource> {
    let mut candidates: Vec<String> = probe
        .resource_metadata()
        .map(str::to_owned)
        .into_iter()
        .collect();
    for url in protected_resource_metadata_urls(mcp_url) {
        if !candidates.contains(&url) {
            candidates.push(url);
        }
    }
    let mut tried = Vec::new();
    let mut found = None;
    for url in candidates {
        match fetch_document(ctx, &url, "resource").await {
            Ok((document, response)) => {
                tried.push(json!({ "url": url, "outcome": "200, found" }));
                found = Some((url, document, response));
                break;
            }
            Err(outcome) => tried.push(json!({ "url": url, "outcome": outcome })),
        }
    }
    let Some((url, prm, response)) = found else {
        ctx.recorder.fail(
            &checks::PRM_DISCOVERED,
            json!({ "tried": tried }),
            "no protected-resource metadata at any location the spec names; trying authorization-server metadata at the server's origin (2025-03-26 behaviour)",
        );
        ctx.recorder
            .skip(&checks::PRM_WELL_FORMED, "no protected-resource metadata");
        findings.problem(
            &checks::PRM_DISCOVERED,
            diagnosis::PRM_MISSING,
            "The server serves no RFC 9728 protected-resource metadata.",
            checks::PRM_DISCOVERED.remedy,
            Effect::Caveat,
        );
        return Some(Resource {
            issuer: mcp_url.origin().ascii_serialization(),
            resource: pasted.to_owned(),
            scopes: Vec::new(),
        });
    };
    let from_challenge = probe.resource_metadata() == Some(url.as_str());
    ctx.recorder.pass(
        &checks::PRM_DISCOVERED,
        json!({ "url": url, "fromChallenge": from_challenge, "tried": tried }),
    );

    let mut shape = Vec::new();
    if !response.is_json() {
        shape.push(format!(
            "Content-Type is {:?}, not application/json",
            response.header("content-type").unwrap_or("")
        ));
    }
    if !prm.get("resource").is_some_and(Value::is_string) {
        shape.push("`resource` is not a string".to_owned());
    }
    for field in [
        "authorization_servers",
        "scopes_supported",
        "bearer_methods_supported",
    ] {
        if let Some(value) = prm.get(field)
            && !is_string_array(value)
        {
            shape.push(format!("`{field}` is not an array of strings"));
        }
    }
    if shape.is_empty() {
        ctx.recorder
            .pass(&checks::PRM_WELL_FORMED, json!({ "url": url }));
    } else {
        ctx.recorder.fail(
            &checks::PRM_WELL_FORMED,
            json!({ "url": url, "problems": shape }),
            shape.join("; "),
        );
        findings.problem(
            &checks::PRM_WELL_FORMED,
            diagnosis::METADATA_INVALID,
            format!(
                "The protected-resource metadata at {url} is malformed: {}.",
                shape.join("; ")
            ),
            checks::PRM_WELL_FORMED.remedy,
            Effect::Caveat,
        );
    }

    let announced = prm.get("resource").and_then(Value::as_str).unwrap_or("");
    let resource = check_resource(ctx, pasted, announced, findings);

    let servers = string_list(prm.get("authorization_servers"));
    let Some(issuer) = servers.first().cloned() else {
        ctx.recorder.fail(
            &checks::PRM_AUTHORIZATION_SERVERS,
            json!({ "expected": "a non-empty array of issuer URLs", "actual": prm.get("authorization_servers") }),
            "the protected-resource metadata names no authorization server",
        );
        findings.problem(
            &checks::PRM_AUTHORIZATION_SERVERS,
            diagnosis::METADATA_INVALID,
            "The protected-resource metadata lists no authorization server.",
            checks::PRM_AUTHORIZATION_SERVERS.remedy,
            Effect::Blocks,
        );
        return None;
    };
    ctx.recorder.pass(
        &checks::PRM_AUTHORIZATION_SERVERS,
        json!({ "authorizationServers": servers }),
    );

    let scopes = string_list(prm.get("scopes_supported"));
    if scopes.is_empty() {
        ctx.recorder.fail(
            &checks::PRM_SCOPES_SUPPORTED,
            json!({ "expected": "a non-empty scopes_supported", "actual": prm.get("scopes_supported") }),
            "the protected-resource metadata lists no scopes_supported",
        );
    } else {
        ctx.recorder.pass(
            &checks::PRM_SCOPES_SUPPORTED,
            json!({ "scopesSupported": scopes }),
        );
    }
    Some(Resource {
        issuer,
        resource,
        scopes,
    })
}

/// `resource` must be the pasted URL; when it is not, say which URL to paste.
fn check_resource(
    ctx: &mut FlowContext,
    pasted: &str,
    announced: &str,
    findings: &mut Findings,
) -> String {
    let details = json!({ "expected": pasted, "actual": announced });
    match discovery::compare_resource(pasted, announced) {
        ResourceMatch::Identical => {
            ctx.recorder.pass(&checks::PRM_RESOURCE_MATCHES, details);
            announced.to_owned()
        }
        ResourceMatch::Equivalent => {
            ctx.recorder.pass(
                &checks::PRM_RESOURCE_MATCHES,
                json!({ "expected": pasted, "actual": announced, "note": "equivalent after RFC 3986 normalization" }),
            );
            announced.to_owned()
        }
        ResourceMatch::Mismatch => {
            let same_origin = matches!(
                (Url::parse(pasted), Url::parse(announced)),
                (Ok(a), Ok(b)) if a.origin() == b.origin()
            );
            let remedy = if announced.is_empty() {
                format!(
                    "The server's operator must set `resource` in the protected-resource metadata to {pasted}, the URL the server is reached at."
                )
            } else if same_origin {
                format!(
                    "Paste the canonical URL {announced} exactly (the trailing slash matters); or, if {pasted} is right, the server must announce it as `resource`."
                )
            } else {
                format!(
                    "If the MCP server really lives at {announced}, paste that URL; otherwise the server's operator must set `resource` in the protected-resource metadata to {pasted}, the URL it is reached at."
                )
            };
            ctx.recorder.fail_with_remedy(
                &checks::PRM_RESOURCE_MATCHES,
                json!({ "expected": pasted, "actual": announced, "urlToPaste": (!announced.is_empty()).then_some(announced) }),
                format!(
                    "the metadata names {announced:?} as the resource, not the pasted URL {pasted:?}"
                ),
                Some(remedy.clone()),
            );
            findings.problem(
                &checks::PRM_RESOURCE_MATCHES,
                diagnosis::RESOURCE_MISMATCH,
                format!(
                    "The protected-resource metadata names {announced} as the resource, but the URL pasted was {pasted}; RFC 9728 §3.3 requires them to be identical, so clients refuse it."
                ),
                remedy,
                Effect::Blocks,
            );
            pasted.to_owned()
        }
    }
}

/// Step 3: RFC 8414 / OpenID authorization-server metadata and what it advertises.
async fn auth_server(
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
    Some(metadata)
}

/// Step 4: register the harness's callback, then check that a fragment is refused.
async fn registration(
    ctx: &mut FlowContext,
    inputs: &ProbeInputs,
    metadata: &AuthServerMetadata,
    client: &mut Option<RegisteredClient>,
    findings: &mut Findings,
) {
    let Some(endpoint) = metadata.registration_endpoint.clone() else {
        ctx.recorder.skip(
            &checks::DCR_REGISTRATION,
            "the metadata advertises no registration_endpoint",
        );
        ctx.recorder.skip(
            &checks::DCR_REJECTS_FRAGMENT,
            "the metadata advertises no registration_endpoint",
        );
        return;
    };
    let request = |redirect_uri: &str| {
        json!({
            "client_name": inputs.client_name,
            "redirect_uris": [redirect_uri],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        })
    };
    let response = ctx
        .http
        .send(
            "registration",
            Method::POST,
            &endpoint,
            &HeaderMap::new(),
            Body::Json(request(&inputs.redirect_uri)),
        )
        .await;
    match response {
        Ok(response) => {
            let status = response.status.as_u16();
            let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
            if let Some(secret) = body.get("client_secret").and_then(Value::as_str) {
                ctx.http.redactor().register(secret);
            }
            match (status, body.get("client_id").and_then(Value::as_str)) {
                (200 | 201, Some(client_id)) => {
                    if status == 201 {
                        ctx.recorder.pass(
                            &checks::DCR_REGISTRATION,
                            json!({ "status": status, "clientId": client_id, "redirectUri": inputs.redirect_uri }),
                        );
                    } else {
                        ctx.recorder.fail(
                            &checks::DCR_REGISTRATION,
                            json!({ "expected": 201, "actual": status }),
                            "registration answered 200; RFC 7591 §3.2.1 says 201 Created",
                        );
                    }
                    if client.is_none() {
                        *client = Some(registered(client_id, &body));
                    }
                }
                _ => {
                    let answer = ErrorAnswer::read(&response);
                    ctx.recorder.fail(
                        &checks::DCR_REGISTRATION,
                        json!({ "expected": "201 with client_id", "actualStatus": status, "error": answer.error, "errorDescription": answer.description }),
                        format!("registration answered {}", answer.summary()),
                    );
                    findings.problem(
                        &checks::DCR_REGISTRATION,
                        diagnosis::DCR_REJECTED,
                        format!(
                            "Automatic client registration was refused ({}).",
                            answer.summary()
                        ),
                        format!(
                            "Accept registrations with redirect URI {} and token_endpoint_auth_method none; until then users must bring a Client ID.",
                            inputs.redirect_uri
                        ),
                        Effect::NeedsClientId,
                    );
                }
            }
        }
        Err(e) => {
            ctx.recorder.fail(
                &checks::DCR_REGISTRATION,
                json!({ "error": e.to_string() }),
                format!("the registration request failed: {e}"),
            );
            findings.problem(
                &checks::DCR_REGISTRATION,
                diagnosis::DCR_REJECTED,
                format!("The registration endpoint could not be reached: {e}"),
                "Check that the registration_endpoint in the metadata is reachable.",
                Effect::NeedsClientId,
            );
        }
    }

    let fragment_uri = format!("{}#fragment", inputs.redirect_uri);
    let response = ctx
        .http
        .send(
            "registration",
            Method::POST,
            &endpoint,
            &HeaderMap::new(),
            Body::Json(request(&fragment_uri)),
        )
        .await;
    match response {
        Ok(response) if response.status.is_client_error() => {
            let answer = ErrorAnswer::read(&response);
            ctx.recorder.pass(
                &checks::DCR_REJECTS_FRAGMENT,
                json!({ "redirectUri": fragment_uri, "status": answer.status, "error": answer.error }),
            );
        }
        Ok(response) => {
            let status = response.status.as_u16();
            if let Some(secret) = serde_json::from_slice::<Value>(&response.body)
                .ok()
                .and_then(|b| {
                    b.get("client_secret")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
            {
                ctx.http.redactor().register(&secret);
            }
            ctx.recorder.fail(
                &checks::DCR_REJECTS_FRAGMENT,
                json!({ "redirectUri": fragment_uri, "expected": "400 invalid_redirect_uri", "actualStatus": status }),
                format!("a redirect URI with a fragment was answered {status}, not refused"),
            );
            if response.status.is_success() {
                findings.problem(
                    &checks::DCR_REJECTS_FRAGMENT,
                    diagnosis::FRAGMENT_REDIRECT_ACCEPTED,
                    "The registration endpoint accepts redirect URIs with a fragment.",
                    checks::DCR_REJECTS_FRAGMENT.remedy,
                    Effect::Caveat,
                );
            }
        }
        Err(e) => {
            ctx.recorder.fail(
                &checks::DCR_REJECTS_FRAGMENT,
                json!({ "error": e.to_string() }),
                format!("the registration request failed: {e}"),
            );
        }
    }
}

fn registered(client_id: &str, body: &Value) -> RegisteredClient {
    let secret = body
        .get("client_secret")
        .and_then(Value::as_str)
        .map(|s| ClientSecret::new(s.to_owned()));
    let auth_method = match body
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
    {
        Some("client_secret_post") if secret.is_some() => AuthMethod::ClientSecretPost,
        _ if secret.is_some() => AuthMethod::ClientSecretBasic,
        _ => AuthMethod::None,
    };
    RegisteredClient {
        client_id: client_id.to_owned(),
        client_secret: secret,
        auth_method,
        source: "dynamic-registration",
    }
}

/// A brought confidential client uses Basic unless only post is advertised (RFC 8414 makes
/// client_secret_basic the default).
fn brought_auth_method(has_secret: bool, metadata: &AuthServerMetadata) -> AuthMethod {
    if !has_secret {
        return AuthMethod::None;
    }
    let advertised = metadata
        .token_endpoint_auth_methods_supported
        .clone()
        .unwrap_or_default();
    if !advertised.iter().any(|m| m == "client_secret_basic")
        && advertised.iter().any(|m| m == "client_secret_post")
    {
        AuthMethod::ClientSecretPost
    } else {
        AuthMethod::ClientSecretBasic
    }
}

/// The parameters of the authorization requests the probes send.
struct AuthorizationProbe<'a> {
    endpoint: &'a str,
    client: &'a RegisteredClient,
    redirect_uri: &'a str,
    scope: Option<&'a str>,
    resource: &'a str,
}

impl AuthorizationProbe<'_> {
    /// A complete request (PKCE S256, fresh state) to `redirect_uri`, with or without
    /// `resource`.
    fn url(&self, ctx: &FlowContext, redirect_uri: &str, with_resource: bool) -> Option<String> {
        let mut url = Url::parse(self.endpoint).ok()?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = CsrfToken::new_random();
        ctx.http.redactor().register(verifier.secret());
        ctx.http.redactor().register(state.secret());
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.client.client_id)
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("code_challenge", challenge.as_str())
                .append_pair("code_challenge_method", "S256")
                .append_pair("state", state.secret());
            if let Some(scope) = self.scope {
                query.append_pair("scope", scope);
            }
            if with_resource {
                query.append_pair("resource", self.resource);
            }
        }
        Some(url.to_string())
    }
}

/// Step 5a: an unregistered redirect_uri must never be redirected to.
async fn open_redirect(
    ctx: &mut FlowContext,
    probe: &AuthorizationProbe<'_>,
    findings: &mut Findings,
) {
    let check = &checks::AUTHORIZATION_REJECTS_UNREGISTERED_REDIRECT;
    let Some(url) = probe.url(ctx, UNREGISTERED_REDIRECT_URI, true) else {
        ctx.recorder
            .skip(check, "the authorization_endpoint is not a URL");
        return;
    };
    let response = match ctx.http.get("authorization", &url).await {
        Ok(response) => response,
        Err(e) => {
            ctx.recorder.fail(
                check,
                json!({ "error": e.to_string() }),
                format!("the authorization endpoint could not be loaded: {e}"),
            );
            return;
        }
    };
    let status = response.status.as_u16();
    let location = response.header("location").map(str::to_owned);
    if let Some(location) = &location
        && response.status.is_redirection()
        && location.starts_with(UNREGISTERED_REDIRECT_URI)
    {
        let params = query_params(location);
        if let Some(code) = params.iter().find(|(n, _)| n == "code") {
            ctx.http.redactor().register(&code.1);
        }
        ctx.recorder.fail(
            check,
            json!({ "redirectUri": UNREGISTERED_REDIRECT_URI, "status": status, "location": location, "carriesCode": params.iter().any(|(n, _)| n == "code") }),
            format!(
                "the authorization endpoint redirected to {UNREGISTERED_REDIRECT_URI}, a redirect URI the client never registered"
            ),
        );
        findings.problem(
            check,
            diagnosis::OPEN_REDIRECT,
            format!(
                "The authorization endpoint redirects to redirect URIs the client never registered ({UNREGISTERED_REDIRECT_URI}): an open redirector that can hand authorization codes to any site."
            ),
            check.remedy,
            Effect::Caveat,
        );
        return;
    }
    let note = if response.status.is_redirection() {
        "redirected elsewhere (a sign-in page, say); a server that checks redirect_uri only after sign-in is not caught by this probe"
    } else {
        "answered with a page instead of redirecting"
    };
    ctx.recorder.pass(
        check,
        json!({ "redirectUri": UNREGISTERED_REDIRECT_URI, "status": status, "note": note }),
    );
}

/// Step 5b: an authorization request without `resource`, as Pipelines sends it.
async fn audience(ctx: &mut FlowContext, probe: &AuthorizationProbe<'_>, findings: &mut Findings) {
    let check = &checks::AUDIENCE_OPTIONAL;
    let Some(answer) = authorization_answer(ctx, probe, false).await else {
        return;
    };
    match answer {
        AuthorizationAnswer::Code => {
            ctx.recorder.pass(
                check,
                json!({ "resourceSent": false, "outcome": "redirected with a code" }),
            );
        }
        AuthorizationAnswer::Error { error, description }
            if requires_audience(&error, &description) =>
        {
            let with_resource = authorization_answer(ctx, probe, true).await;
            let accepted = matches!(
                with_resource,
                Some(AuthorizationAnswer::Code | AuthorizationAnswer::NoRedirect { .. })
            );
            ctx.recorder.fail(
                check,
                json!({ "resourceSent": false, "error": error, "errorDescription": description, "withResource": if accepted { "accepted" } else { "refused too" } }),
                format!("without resource or audience the authorization endpoint answered {error}: {description}"),
            );
            if accepted {
                findings.problem(
                    check,
                    diagnosis::AUDIENCE_REQUIRED,
                    format!(
                        "The authorization server requires an audience / resource parameter ({error}: {description}); clients that send no RFC 8707 resource, such as Pipelines, cannot connect."
                    ),
                    "Make the audience optional, defaulting to the MCP server; a client that sends RFC 8707 `resource` (a spec profile) connects meanwhile.",
                    Effect::BlocksWithoutResource,
                );
            } else {
                findings.problem(
                    check,
                    diagnosis::AUDIENCE_REQUIRED,
                    format!(
                        "The authorization server requires an audience it does not accept as the MCP server's URL ({error}: {description})."
                    ),
                    format!(
                        "Accept the MCP server's canonical URL {} as RFC 8707 `resource`, and make the audience optional.",
                        probe.resource
                    ),
                    Effect::Blocks,
                );
            }
        }
        AuthorizationAnswer::Error { error, description } => {
            ctx.recorder.info(
                check,
                json!({ "resourceSent": false, "error": error, "errorDescription": description }),
                format!("inconclusive: the authorization endpoint answered {error}: {description}"),
            );
        }
        AuthorizationAnswer::NoRedirect { status } => {
            ctx.recorder.info(
                check,
                json!({ "resourceSent": false, "status": status }),
                "inconclusive without consent: the authorization endpoint shows a page (sign-in or consent); the consent step tells",
            );
        }
    }
}

enum AuthorizationAnswer {
    Code,
    Error {
        error: String,
        description: String,
    },
    /// A page, or a redirect elsewhere than the callback (a sign-in page).
    NoRedirect {
        status: u16,
    },
}

async fn authorization_answer(
    ctx: &mut FlowContext,
    probe: &AuthorizationProbe<'_>,
    with_resource: bool,
) -> Option<AuthorizationAnswer> {
    let Some(url) = probe.url(ctx, probe.redirect_uri, with_resource) else {
        ctx.recorder.skip(
            &checks::AUDIENCE_OPTIONAL,
            "the authorization_endpoint is not a URL",
        );
        return None;
    };
    let response = match ctx.http.get("authorization", &url).await {
        Ok(response) => response,
        Err(e) => {
            ctx.recorder.info(
                &checks::AUDIENCE_OPTIONAL,
                json!({ "error": e.to_string() }),
                format!("the authorization endpoint could not be loaded: {e}"),
            );
            return None;
        }
    };
    let status = response.status.as_u16();
    let location = response.header("location").filter(|l| {
        response.status.is_redirection() && crate::user_agent::is_callback(l, probe.redirect_uri)
    });
    let Some(location) = location else {
        return Some(AuthorizationAnswer::NoRedirect { status });
    };
    let params = query_params(location);
    let get = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    if let Some(code) = get("code") {
        ctx.http.redactor().register(&code);
        return Some(AuthorizationAnswer::Code);
    }
    Some(AuthorizationAnswer::Error {
        error: get("error").unwrap_or_else(|| "(no error code)".to_owned()),
        description: get("error_description").unwrap_or_default(),
    })
}

fn requires_audience(error: &str, description: &str) -> bool {
    let description = description.to_ascii_lowercase();
    error == "invalid_target"
        || (error == "invalid_request"
            && (description.contains("audience") || description.contains("resource")))
}

/// Step 6: how the token endpoint refuses what it must refuse.
async fn token_endpoint_errors(
    ctx: &mut FlowContext,
    endpoint: &str,
    client: &RegisteredClient,
    redirect_uri: &str,
    findings: &mut Findings,
) {
    let unknown = |prefix: &str| format!("{prefix}{}", CsrfToken::new_random().secret());

    // An unknown code: 400 invalid_grant, as JSON.
    let (_, verifier) = PkceCodeChallenge::new_random_sha256();
    let params = vec![
        ("grant_type".to_owned(), "authorization_code".to_owned()),
        ("code".to_owned(), unknown("harness-unknown-code-")),
        ("redirect_uri".to_owned(), redirect_uri.to_owned()),
        ("code_verifier".to_owned(), verifier.secret().clone()),
    ];
    if let Some(answer) =
        token_error(ctx, &checks::TOKEN_UNKNOWN_CODE, endpoint, client, params).await
    {
        if answer.is(400, "invalid_grant") && answer.json {
            ctx.recorder.pass(
                &checks::TOKEN_UNKNOWN_CODE,
                json!({ "status": 400, "error": "invalid_grant" }),
            );
        } else {
            ctx.recorder.fail(
                &checks::TOKEN_UNKNOWN_CODE,
                json!({ "expected": "400 invalid_grant (JSON)", "actualStatus": answer.status, "error": answer.error, "json": answer.json }),
                format!("an unknown authorization code was answered {}", answer.summary()),
            );
            findings.problem(
                &checks::TOKEN_UNKNOWN_CODE,
                diagnosis::TOKEN_ERROR_NONCONFORMANT,
                format!(
                    "The token endpoint answers an unknown authorization code with {}, not 400 invalid_grant.",
                    answer.summary()
                ),
                checks::TOKEN_UNKNOWN_CODE.remedy,
                Effect::Caveat,
            );
        }
    }

    // An unknown refresh token: 400 invalid_grant, never 401 or 5xx.
    let params = vec![
        ("grant_type".to_owned(), "refresh_token".to_owned()),
        (
            "refresh_token".to_owned(),
            unknown("harness-unknown-refresh-"),
        ),
    ];
    if let Some(answer) = token_error(
        ctx,
        &checks::TOKEN_UNKNOWN_REFRESH_TOKEN,
        endpoint,
        client,
        params,
    )
    .await
    {
        if answer.is(400, "invalid_grant") {
            ctx.recorder.pass(
                &checks::TOKEN_UNKNOWN_REFRESH_TOKEN,
                json!({ "status": 400, "error": "invalid_grant" }),
            );
        } else {
            ctx.recorder.fail(
                &checks::TOKEN_UNKNOWN_REFRESH_TOKEN,
                json!({ "expected": "400 invalid_grant", "actualStatus": answer.status, "error": answer.error }),
                format!("an unknown refresh token was answered {}", answer.summary()),
            );
            let (code, message) = if answer.status >= 500 {
                (
                    diagnosis::TRANSIENT_REFRESH_FAILURE,
                    format!(
                        "The token endpoint answers an unknown refresh token with {}: a revoked token looks like an outage, so clients show Intermittent Unhealthy and retry instead of asking the user to reconnect.",
                        answer.summary()
                    ),
                )
            } else {
                (
                    diagnosis::TOKEN_ERROR_NONCONFORMANT,
                    format!(
                        "The token endpoint answers an unknown refresh token with {}, not 400 invalid_grant: clients cannot tell a revoked token from a client-authentication problem.",
                        answer.summary()
                    ),
                )
            };
            findings.problem(
                &checks::TOKEN_UNKNOWN_REFRESH_TOKEN,
                code,
                message,
                checks::TOKEN_UNKNOWN_REFRESH_TOKEN.remedy,
                Effect::Caveat,
            );
        }
    }

    // A grant type nobody supports: unsupported_grant_type.
    let params = vec![(
        "grant_type".to_owned(),
        "urn:mcp-oauth-harness:unsupported-grant".to_owned(),
    )];
    if let Some(answer) = token_error(
        ctx,
        &checks::TOKEN_UNSUPPORTED_GRANT,
        endpoint,
        client,
        params,
    )
    .await
    {
        if answer.is(400, "unsupported_grant_type") {
            ctx.recorder.pass(
                &checks::TOKEN_UNSUPPORTED_GRANT,
                json!({ "status": 400, "error": "unsupported_grant_type" }),
            );
        } else {
            ctx.recorder.fail(
                &checks::TOKEN_UNSUPPORTED_GRANT,
                json!({ "expected": "400 unsupported_grant_type", "actualStatus": answer.status, "error": answer.error }),
                format!("an unsupported grant type was answered {}", answer.summary()),
            );
        }
    }
}

/// Sends a token request that must fail; None (recorded) when it could not be sent or when
/// the server issued tokens.
async fn token_error(
    ctx: &mut FlowContext,
    check: &'static CheckDef,
    endpoint: &str,
    client: &RegisteredClient,
    params: Vec<(String, String)>,
) -> Option<ErrorAnswer> {
    match token_request::post(ctx, "token", endpoint, client, params).await {
        Ok(response) => match token_request::read_tokens(ctx, &response) {
            Ok(_) => {
                ctx.recorder.fail(
                    check,
                    json!({ "expected": "an error", "actualStatus": 200 }),
                    "the token endpoint issued tokens for a request it must refuse",
                );
                None
            }
            Err(answer) => Some(answer),
        },
        Err(e) => {
            ctx.recorder.fail(
                check,
                json!({ "error": e.to_string() }),
                format!("the token request failed: {e}"),
            );
            None
        }
    }
}

/// GETs a metadata document: a JSON object with `required_field`, else why not.
async fn fetch_document(
    ctx: &mut FlowContext,
    url: &str,
    required_field: &str,
) -> Result<(Value, HttpResponse), String> {
    let response = ctx
        .http
        .get("discovery", url)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status.as_u16();
    if status != 200 {
        return Err(status.to_string());
    }
    match serde_json::from_slice::<Value>(&response.body) {
        Ok(document) if document.get(required_field).is_some() => Ok((document, response)),
        Ok(_) => Err(format!("200, but no `{required_field}` field")),
        Err(_) => Err("200, but not JSON".to_owned()),
    }
}

fn query_params(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    let query = query.split('#').next().unwrap_or("");
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn is_string_array(value: &Value) -> bool {
    value
        .as_array()
        .is_some_and(|items| items.iter().all(Value::is_string))
}
