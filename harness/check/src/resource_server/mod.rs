//! Resource-server conformance, after consent: with a real access token, does the MCP server
//! refuse the tokens it must refuse?
//!
//! ```text
//! headers:    Bearer without a token, two tokens, another scheme → 401; `bearer` → accepted;
//!             the token in ?access_token= with no header → 401
//! integrity:  signature (or last characters) altered → 401 invalid_token; for JWTs an
//!             `alg: none` copy and a copy signed with a key the server never saw → 401
//! audience:   a token for a sibling resource, from the same authorization server → 401
//! scope:      a narrower token on a request that needs more → 403 insufficient_scope + scope
//! lifetime:   RFC 7009 revocation (still accepted: INFO); expiry, waited out when short → 401
//! ```
//!
//! Every request is an MCP `initialize` POST recorded under the step `resource-server`. Extra
//! tokens (sibling resource, narrower scope) come from refresh requests built with the flow's
//! token step functions; a rotated refresh token is handed back to the flow afterwards, so the
//! token lifecycle that follows keeps working.

mod audience;
mod dpop;
mod headers;
mod integrity;
mod jwt;
mod lifetime;
mod scope;
mod tokens;

use std::time::Duration;

use oauth2::AccessToken;
use reqwest::Method;
use serde_json::json;

use mcp_oauth_engine::checks::CheckDef;
use mcp_oauth_engine::flow::{ClientFlow, FlowContext};
use mcp_oauth_engine::http::{Body, HttpError, headers as header_map};
use mcp_oauth_engine::www_authenticate::Challenge;
use tokens::Held;
pub use tokens::SideEffects;

/// The step name of every check and exchange of these probes.
pub const STEP: &str = "resource-server";

/// What the probes need beyond the connected flow.
#[derive(Debug, Clone)]
pub struct ResourceServerOptions {
    /// The MCP endpoint URL the probes POST to.
    pub mcp_url: String,
    /// How the target is called on stderr (the expiry wait is announced there).
    pub name: String,
    /// Bounds the expiry wait.
    pub timeout: Duration,
    /// Say on stderr when waiting: a real wait looks like a hang (a scenario's simulated clock
    /// needs no word).
    pub announce: bool,
}

/// Runs every probe against the connected flow's server, and says what they changed (also
/// recorded as `probe-side-effects`). Does nothing when not connected.
pub async fn probe(flow: &mut ClientFlow, options: &ResourceServerOptions) -> SideEffects {
    let Some(mut held) = Held::from_flow(flow) else {
        return SideEffects::default();
    };
    let ctx = flow.context();
    let url = options.mcp_url.as_str();
    // A DPoP flow's token is bound: the Bearer header probes would be refused for the scheme
    // alone, so its own probes replace them, and the others present it with proofs.
    if ctx.dpop.is_some() {
        dpop::probe(ctx, url, &held.access).await;
    } else {
        headers::probe(ctx, url, &held.access).await;
    }
    integrity::probe(ctx, url, &held.access).await;
    audience::probe(ctx, url, &mut held).await;
    scope::probe(ctx, url, &mut held).await;
    lifetime::revocation(ctx, url, &mut held).await;
    lifetime::expiry(ctx, url, &held, options).await;
    let effects = held.hand_back(flow);
    if !effects.is_empty() {
        flow.context().recorder.info(
            &mcp_oauth_engine::checks::PROBE_SIDE_EFFECTS,
            json!({
                "refusedRefreshes": effects.refused_refreshes,
                "rotations": effects.rotations,
                "revokedAccessTokens": effects.revoked_access_tokens,
            }),
            describe(&effects),
        );
    }
    effects
}

fn describe(effects: &SideEffects) -> String {
    let mut parts = Vec::new();
    if effects.rotations > 0 {
        parts.push(format!(
            "{} refresh request(s) rotated the refresh token (the flow continues with the newest)",
            effects.rotations
        ));
    }
    parts.extend(effects.refused_refreshes.iter().map(|r| {
        format!("{r} (a server with single-use refresh tokens may have spent the token)")
    }));
    if effects.revoked_access_tokens > 0 {
        parts.push(format!(
            "{} access token(s) revoked (RFC 7009 §2.1 lets the server revoke the grant with them)",
            effects.revoked_access_tokens
        ));
    }
    format!("the probes' own actions: {}", parts.join("; "))
}

/// How a presented credential was answered.
#[derive(Debug)]
pub(super) struct Answer {
    pub status: u16,
    pub challenge: Option<Challenge>,
    /// The `DPoP-Nonce` the server handed out, if any.
    pub nonce: Option<String>,
}

impl Answer {
    pub fn accepted(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn error(&self) -> Option<&str> {
        self.challenge.as_ref().and_then(|c| c.param("error"))
    }

    pub fn details(&self) -> serde_json::Value {
        json!({ "status": self.status, "error": self.error() })
    }
}

/// Where the credential goes.
pub(super) enum Credential<'a> {
    /// The whole `Authorization` header value.
    Header(&'a str),
    /// `?access_token=` and no header.
    Query(&'a str),
    /// Exactly these `Authorization` and `DPoP` headers, whether or not the flow uses DPoP.
    Raw {
        authorization: &'a str,
        dpop: Option<&'a str>,
    },
}

/// POSTs an MCP `initialize` with `credential`.
pub(super) async fn present(
    ctx: &mut FlowContext,
    mcp_url: &str,
    credential: Credential<'_>,
) -> Result<Answer, HttpError> {
    let accept = ("accept", "application/json, text/event-stream");
    let (url, headers) = match credential {
        // A DPoP flow presents `Bearer TOKEN` as `DPoP TOKEN` with a fresh proof.
        Credential::Header(value) if ctx.dpop.is_some() && value.starts_with("Bearer ") => {
            let token = &value["Bearer ".len()..];
            let proof = ctx.dpop.as_ref().map(|key| {
                key.proof(
                    mcp_oauth_engine::flow::dpop::Server::Resource,
                    "POST",
                    mcp_url,
                    Some(token),
                    ctx.clock.now(),
                )
            });
            let proof = proof.unwrap_or_default();
            ctx.http.redactor().register(&proof);
            let authorization = format!("DPoP {token}");
            (
                mcp_url.to_owned(),
                header_map(&[
                    accept,
                    ("authorization", authorization.as_str()),
                    ("dpop", proof.as_str()),
                ]),
            )
        }
        Credential::Header(value) => (
            mcp_url.to_owned(),
            header_map(&[accept, ("authorization", value)]),
        ),
        Credential::Raw {
            authorization,
            dpop,
        } => {
            let mut headers = vec![accept, ("authorization", authorization)];
            if let Some(proof) = dpop {
                headers.push(("dpop", proof));
            }
            (mcp_url.to_owned(), header_map(&headers))
        }
        Credential::Query(token) => {
            let mut url = url::Url::parse(mcp_url).map_err(|e| HttpError::Build {
                url: mcp_url.to_owned(),
                reason: e.to_string(),
            })?;
            url.query_pairs_mut().append_pair("access_token", token);
            (url.to_string(), header_map(&[accept]))
        }
    };
    // Only the status and the challenge are judged: reading stops at the first chunk, so an
    // accepted request whose event stream stays open does not hold the probe until --timeout.
    let response = ctx
        .http
        .send_until(
            STEP,
            Method::POST,
            &url,
            &headers,
            Body::Json(mcp_oauth_engine::flow::probe::initialize_request()),
            &mut |_| true,
        )
        .await?;
    if let Some(key) = &ctx.dpop {
        key.keep_nonce(mcp_oauth_engine::flow::dpop::Server::Resource, &response);
    }
    Ok(Answer {
        status: response.status.as_u16(),
        challenge: mcp_oauth_engine::www_authenticate::oauth_challenge_in(
            response.header_values("www-authenticate"),
        )
        .ok()
        .flatten(),
        nonce: response.header("dpop-nonce").map(str::to_owned),
    })
}

/// How strictly a refusal is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// 401.
    Unauthorized,
    /// 401 with `error="invalid_token"`.
    InvalidToken,
    /// 401, or 400 `invalid_request` (RFC 6750 §3.1 answers a malformed request with 400).
    Malformed,
}

/// Presents `credential` and records `check`: passed when refused as `refusal` says.
pub(super) async fn expect_refused(
    ctx: &mut FlowContext,
    mcp_url: &str,
    check: &CheckDef,
    credential: Credential<'_>,
    what: &str,
) {
    let answer = present(ctx, mcp_url, credential).await;
    judge_refusal(ctx, check, answer, what);
}

/// Judges the answer to a credential that must be refused (see [`expect_refused`]).
pub(super) fn judge_refusal(
    ctx: &mut FlowContext,
    check: &CheckDef,
    answer: Result<Answer, HttpError>,
    what: &str,
) {
    let refusal = refusal_of(check);
    let answer = match answer {
        Ok(answer) => answer,
        Err(e) => {
            ctx.recorder.fail(
                check,
                json!({ "expected": 401, "error": e.to_string() }),
                format!("the request with {what} failed: {e}"),
            );
            return;
        }
    };
    let mut details = answer.details();
    details["presented"] = json!(what);
    let refused = match (answer.status, refusal) {
        (401, Refusal::InvalidToken) => answer.error() == Some("invalid_token"),
        (401, _) => true,
        (400, Refusal::Malformed) => answer.error() == Some("invalid_request"),
        _ => false,
    };
    if refused {
        ctx.recorder.pass(check, details);
        return;
    }
    let expected = match refusal {
        Refusal::Unauthorized => "401",
        Refusal::InvalidToken => "401 with error=\"invalid_token\"",
        Refusal::Malformed => "401 (or 400 invalid_request)",
    };
    details["expected"] = json!(expected);
    let message = if answer.accepted() {
        format!(
            "the MCP server accepted {what} (answered {}): it must be refused with {expected}",
            answer.status
        )
    } else {
        format!(
            "the MCP server answered {what} with {}{}, not {expected}",
            answer.status,
            answer
                .error()
                .map(|e| format!(" error=\"{e}\""))
                .unwrap_or_default()
        )
    };
    ctx.recorder.fail(check, details, message);
}

fn refusal_of(check: &CheckDef) -> Refusal {
    use mcp_oauth_engine::checks::*;
    if [
        BEARER_WITHOUT_TOKEN_REFUSED.id,
        BEARER_TWO_TOKENS_REFUSED.id,
        OTHER_SCHEME_REFUSED.id,
    ]
    .contains(&check.id)
    {
        Refusal::Malformed
    } else if check.id == ALTERED_TOKEN_REFUSED.id {
        Refusal::InvalidToken
    } else {
        Refusal::Unauthorized
    }
}

/// Registers a made-up credential with the redactor: forged copies carry the real claims.
pub(super) fn secret(ctx: &FlowContext, value: &str) -> AccessToken {
    ctx.http.redactor().register(value);
    AccessToken::new(value.to_owned())
}
