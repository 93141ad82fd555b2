//! Step 1: ask the MCP endpoint without a token and read its challenge.

use reqwest::Method;
use serde_json::json;
use url::Url;

use super::{FlowContext, StepResult};
use crate::checks;
use crate::diagnosis;
use crate::http::{Body, headers};
use crate::profile::ChallengeReading;
use crate::www_authenticate::{self, Challenge};

#[derive(Debug, Clone, Default)]
pub struct Probe {
    pub challenge: Option<Challenge>,
    /// The endpoint answered 401: the client must authorize before it can use the server.
    pub unauthorized: bool,
}

impl Probe {
    /// The challenge of a later request (a 401 or 403 during MCP use), as the starting point
    /// of discovery and scope selection, read the way the profile's client reads one (as the
    /// first probe's is): a client that cannot read a loosely written step-up challenge does
    /// not learn its scope or metadata from it either. Already recorded where it was received.
    pub fn from_challenge(reading: ChallengeReading, header: &str) -> Self {
        Self {
            challenge: reading.read([header]),
            unauthorized: true,
        }
    }

    pub fn resource_metadata(&self) -> Option<&str> {
        self.challenge.as_ref()?.param("resource_metadata")
    }

    pub fn scope(&self) -> Option<&str> {
        self.challenge.as_ref()?.param("scope")
    }
}

/// A redirect of the MCP endpoint is not followed: a client would carry its token to another
/// URL, and the resource it was issued for would differ from the one it is used at. The user
/// pastes the URL the server points to instead.
fn redirected(
    recorder: &mut crate::recorder::Recorder,
    mcp_url: &str,
    status: u16,
    location: Option<&str>,
) -> diagnosis::Diagnosis {
    let target = location.map(|l| {
        Url::parse(mcp_url)
            .and_then(|base| base.join(l))
            .map_or_else(|_| l.to_owned(), |u| u.to_string())
    });
    let remedy = match &target {
        Some(target) => format!(
            "Paste the canonical URL {target} (the MCP endpoint the server redirects to), exactly as shown; or make {mcp_url} answer the MCP request itself."
        ),
        None => format!(
            "The MCP endpoint answered {status} without a Location; paste the MCP endpoint's own URL, or make {mcp_url} answer the MCP request itself."
        ),
    };
    recorder.fail_with_remedy(
        &checks::MCP_ENDPOINT_NOT_REDIRECTED,
        json!({ "status": status, "location": target }),
        format!(
            "the MCP endpoint answered {status}, redirecting to {}",
            target.as_deref().unwrap_or("nowhere")
        ),
        Some(remedy.clone()),
    );
    diagnosis::new(
        diagnosis::MCP_ENDPOINT_REDIRECTED,
        format!(
            "The MCP URL {mcp_url} answers {status} with a redirect to {}; the client does not follow redirects of the MCP endpoint.",
            target.as_deref().unwrap_or("no Location")
        ),
        remedy,
    )
}

/// The MCP initialize request a client opens with; sent without a token to get the challenge.
pub fn initialize_request() -> serde_json::Value {
    json!({
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": { "name": "mcp-oauth-harness", "version": env!("CARGO_PKG_VERSION") }
        }
    })
}

/// How the tokenless initialize is judged when it is not answered 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unchallenged {
    /// The endpoint must require a token: anything but 401 fails `mcp-requires-auth`.
    Fails,
    /// The client authorizes when a later request is challenged (servers may let initialize
    /// through and protect only some operations): a 2xx is recorded as a fact.
    Allowed,
}

pub async fn probe(ctx: &mut FlowContext, mcp_url: &str) -> StepResult<Probe> {
    probe_judging(ctx, mcp_url, Unchallenged::Fails).await
}

/// The probe of a client that authorizes on demand: a server that answers the tokenless
/// initialize is used without a token until it challenges a request.
pub async fn probe_on_demand(ctx: &mut FlowContext, mcp_url: &str) -> StepResult<Probe> {
    probe_judging(ctx, mcp_url, Unchallenged::Allowed).await
}

async fn probe_judging(
    ctx: &mut FlowContext,
    mcp_url: &str,
    unchallenged: Unchallenged,
) -> StepResult<Probe> {
    let response = ctx
        .http
        .send(
            "probe",
            Method::POST,
            mcp_url,
            &headers(&[("accept", "application/json, text/event-stream")]),
            Body::Json(initialize_request()),
        )
        .await
        .map_err(|e| {
            diagnosis::new(
                diagnosis::DISCOVERY_FAILED,
                format!("The MCP server URL cannot be reached: {e}"),
                "Check the URL (scheme, host, port, path) and that the server is up.",
            )
        })?;
    let status = response.status.as_u16();
    let recorder = &mut ctx.recorder;
    if response.status.is_redirection() {
        return Err(redirected(
            recorder,
            mcp_url,
            status,
            response.header("location"),
        ));
    }
    if status != 401 && unchallenged == Unchallenged::Allowed && response.status.is_success() {
        recorder.info(
            &checks::MCP_REQUIRES_AUTH,
            json!({ "expected": 401, "actual": status }),
            format!(
                "the MCP endpoint answered {status} to initialize without a token; the client authorizes when a request is challenged"
            ),
        );
        return Ok(Probe::default());
    }
    if status != 401 {
        recorder.fail(
            &checks::MCP_REQUIRES_AUTH,
            json!({ "expected": 401, "actual": status }),
            format!("the MCP endpoint answered {status} to a request without a token"),
        );
        // Discovery can still work from the well-known locations; go on without a challenge.
        return Ok(Probe::default());
    }
    recorder.pass(&checks::MCP_REQUIRES_AUTH, json!({ "status": status }));

    let Some(header) = response.www_authenticate() else {
        recorder.fail(
            &checks::WWW_AUTHENTICATE_BEARER,
            json!({ "expected": "WWW-Authenticate: Bearer ...", "actual": null }),
            "the 401 has no WWW-Authenticate header",
        );
        return Ok(Probe {
            challenge: None,
            unauthorized: true,
        });
    };
    let fields = response.header_values("www-authenticate");
    judge_challenge(recorder, &header, &fields);
    // The checks above judge the header as RFC 9110 reads it; the flow goes on with what
    // this profile's client reads of it.
    Ok(Probe {
        challenge: ctx.profile.challenge_reading.read(fields.iter().copied()),
        unauthorized: true,
    })
}

/// The checks of a 401's challenge: a Bearer (or DPoP) challenge that parses, without an error
/// code, pointing at the resource metadata, written so that every client can read it.
fn judge_challenge(recorder: &mut crate::recorder::Recorder, header: &str, fields: &[&str]) {
    let challenge = match www_authenticate::oauth_challenge_in(fields.iter().copied()) {
        Ok(Some(challenge)) => challenge,
        Ok(None) => {
            recorder.fail(
                &checks::WWW_AUTHENTICATE_BEARER,
                json!({ "expected": "a Bearer challenge", "actual": header }),
                "the WWW-Authenticate header has no Bearer challenge",
            );
            return;
        }
        Err(e) => {
            recorder.fail(
                &checks::WWW_AUTHENTICATE_BEARER,
                json!({ "actual": header, "parseError": e.to_string() }),
                format!("the WWW-Authenticate header cannot be parsed: {e}"),
            );
            return;
        }
    };
    recorder.pass(
        &checks::WWW_AUTHENTICATE_BEARER,
        if challenge.is_bearer() {
            json!({ "header": header })
        } else {
            json!({ "header": header, "scheme": challenge.scheme })
        },
    );
    if let Some(error) = challenge.param("error") {
        recorder.fail(
            &checks::CHALLENGE_NO_ERROR_WITHOUT_TOKEN,
            json!({ "expected": "no error parameter", "actual": header }),
            format!(
                "the challenge to a request without a token says error={error:?}, as if a token had been refused"
            ),
        );
    }
    match challenge.param("resource_metadata") {
        Some(url) => recorder.pass(
            &checks::WWW_AUTHENTICATE_RESOURCE_METADATA,
            json!({ "resourceMetadata": url }),
        ),
        None => {
            recorder.fail(
                &checks::WWW_AUTHENTICATE_RESOURCE_METADATA,
                json!({ "expected": "resource_metadata=\"...\"", "actual": header }),
                "the Bearer challenge has no resource_metadata parameter",
            );
        }
    }
    super::challenge_form::judge(recorder, header, fields, &challenge);
}
