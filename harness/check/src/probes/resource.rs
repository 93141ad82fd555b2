//! The MCP endpoint and its RFC 9728 protected-resource metadata.

use oauth2::CsrfToken;
use reqwest::Method;
use serde_json::{Value, json};
use url::Url;

use super::{Findings, Resource, is_string_array};
use crate::verdict::Effect;
use mcp_oauth_engine::checks::{self};
use mcp_oauth_engine::diagnosis;
use mcp_oauth_engine::flow::FlowContext;
use mcp_oauth_engine::flow::discovery;
use mcp_oauth_engine::flow::discovery::string_list;
use mcp_oauth_engine::flow::probe::{self, Probe, initialize_request};
use mcp_oauth_engine::http::{Body, headers};

/// Step 1: no token. Reuses the client flow's probe; returns None when the URL cannot be
/// reached at all.
pub(super) async fn unauthenticated(
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
                known_code(&d.code),
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

/// The stable code a probe's diagnosis carries, `discovery-failed` for one not in the list.
fn known_code(code: &str) -> &'static str {
    diagnosis::ALL_CODES
        .iter()
        .find(|known| **known == code)
        .copied()
        .unwrap_or(diagnosis::DISCOVERY_FAILED)
}

/// The Origin a browser-based client's requests carry; any https origin will do.
pub(super) const BROWSER_ORIGIN: &str = "https://browser-client.example";

/// Step 1c, for browser-based clients: a tokenless request with an `Origin` must be answered
/// with CORS headers that let the page read the 401's `WWW-Authenticate`. Recorded as a
/// WARNING: non-browser clients never send `Origin` and are unaffected.
pub(super) async fn browser_cors(ctx: &mut FlowContext, mcp_url: &str) {
    let response = ctx
        .http
        .send(
            "probe",
            Method::POST,
            mcp_url,
            &headers(&[
                ("accept", "application/json, text/event-stream"),
                ("origin", BROWSER_ORIGIN),
            ]),
            Body::Json(initialize_request()),
        )
        .await;
    let response = match response {
        Ok(response) if response.status.as_u16() == 401 => response,
        Ok(response) => {
            let status = response.status.as_u16();
            ctx.recorder.skip(
                &checks::CORS_EXPOSES_WWW_AUTHENTICATE,
                format!("the request with an Origin was answered {status}, not 401"),
            );
            return;
        }
        Err(e) => {
            ctx.recorder.skip(
                &checks::CORS_EXPOSES_WWW_AUTHENTICATE,
                format!("the request with an Origin failed: {e}"),
            );
            return;
        }
    };
    let allow_origin = response.header("access-control-allow-origin");
    let exposed = response
        .header_values("access-control-expose-headers")
        .join(", ");
    let exposes = exposed
        .split(',')
        .map(str::trim)
        .any(|h| h == "*" || h.eq_ignore_ascii_case("www-authenticate"));
    let details =
        json!({ "accessControlAllowOrigin": allow_origin, "accessControlExposeHeaders": exposed });
    match (allow_origin, exposes) {
        (Some(_), true) => ctx
            .recorder
            .pass(&checks::CORS_EXPOSES_WWW_AUTHENTICATE, details),
        (None, _) => {
            ctx.recorder.fail(
                &checks::CORS_EXPOSES_WWW_AUTHENTICATE,
                details,
                "the 401 to a request with an Origin has no Access-Control-Allow-Origin: browser-based clients cannot read it at all",
            );
        }
        (Some(_), false) => {
            ctx.recorder.fail(
                &checks::CORS_EXPOSES_WWW_AUTHENTICATE,
                details,
                "the 401 allows the origin but does not expose WWW-Authenticate: browser-based clients see the 401 without its challenge",
            );
        }
    }
}

/// Step 1b: a token the server never issued must get 401 with error="invalid_token".
pub(super) async fn invalid_token(ctx: &mut FlowContext, mcp_url: &str, findings: &mut Findings) {
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
    // Every WWW-Authenticate field counts (RFC 9110 §11.6.1): the Bearer challenge may follow
    // a Basic one in a field of its own; a server that accepts only DPoP-bound tokens
    // challenges with `DPoP` alone (RFC 9449 §7.1).
    let header = response.www_authenticate().unwrap_or_default();
    let header = header.as_str();
    let error = mcp_oauth_engine::www_authenticate::oauth_challenge_in(
        response.header_values("www-authenticate"),
    )
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

/// Step 2: RFC 9728 protected-resource metadata, asked with the client flow's own steps (the
/// same locations, the same `resource` judgement), going on past a failure where the flow
/// would stop. Returns the issuer to ask next, or None when the probes cannot go on.
pub(super) async fn protected_resource(
    ctx: &mut FlowContext,
    mcp_url: &Url,
    probe: &Probe,
    pasted: &str,
    findings: &mut Findings,
) -> Option<Resource> {
    let mut attempts = Vec::new();
    let found =
        discovery::find_protected_resource_metadata(ctx, mcp_url, probe, &mut attempts).await;
    let Some((url, prm, location)) = found else {
        ctx.recorder.fail(
            &checks::PRM_DISCOVERED,
            json!({ "tried": discovery::attempts_json(&attempts) }),
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
            resource: discovery::canonical_resource(mcp_url),
            announced: None,
            scopes: Vec::new(),
            found_prm: false,
            attempts,
        });
    };
    let from_challenge = probe.resource_metadata() == Some(url.as_str());
    ctx.recorder.pass(
        &checks::PRM_DISCOVERED,
        json!({ "url": url, "location": location.as_str(), "fromChallenge": from_challenge, "tried": discovery::attempts_json(&attempts) }),
    );

    let Ok(response) = last_response(ctx, &url) else {
        return None;
    };
    well_formed(ctx, &url, &prm, &response, findings);

    // The flow's judgement, with its allowance for metadata at the root naming the origin; on
    // a mismatch the probes go on with the pasted URL, as a client told to use it would.
    let resource = match discovery::check_resource(ctx, pasted, mcp_url, &prm, location) {
        Ok(resource) => resource,
        Err(mismatch) => {
            findings.problem(
                &checks::PRM_RESOURCE_MATCHES,
                diagnosis::RESOURCE_MISMATCH,
                mismatch.message,
                mismatch.remedy,
                Effect::Blocks,
            );
            pasted.to_owned()
        }
    };

    let issuer = match discovery::authorization_server(ctx, &prm) {
        Ok(issuer) => issuer,
        Err(stopped) => {
            findings.problem(
                &checks::PRM_AUTHORIZATION_SERVERS,
                diagnosis::METADATA_INVALID,
                stopped.message,
                checks::PRM_AUTHORIZATION_SERVERS.remedy,
                Effect::Blocks,
            );
            return None;
        }
    };

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
        announced: prm
            .get("resource")
            .and_then(|r| r.as_str())
            .map(str::to_owned),
        scopes,
        found_prm: true,
        attempts,
    })
}

/// The headers of the answer that delivered `url`'s document, as the one HTTP path recorded
/// them (the flow's step returns the document only).
fn last_response(ctx: &FlowContext, url: &str) -> Result<RecordedAnswer, ()> {
    ctx.http
        .exchanges()
        .iter()
        .rev()
        .find(|x| x.request.url == url)
        .and_then(|x| x.response.as_ref())
        .map(|r| RecordedAnswer {
            content_type: r
                .headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
                .map(|(_, value)| value.clone()),
        })
        .ok_or(())
}

fn is_json_media_type(content_type: &str) -> bool {
    let content_type = content_type.to_ascii_lowercase();
    content_type.starts_with("application/json") || content_type.contains("+json")
}

/// What the shape check needs of a recorded answer.
struct RecordedAnswer {
    content_type: Option<String>,
}

/// The document's shape: JSON, and fields of the types RFC 9728 §2 gives them.
fn well_formed(
    ctx: &mut FlowContext,
    url: &str,
    prm: &Value,
    response: &RecordedAnswer,
    findings: &mut Findings,
) {
    let mut shape = Vec::new();
    let content_type = response.content_type.as_deref().unwrap_or("");
    if !is_json_media_type(content_type) {
        shape.push(format!(
            "Content-Type is {content_type:?}, not application/json"
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
}
