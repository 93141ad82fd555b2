//! One profile's whole client flow against the live server, for its observed verdict.
//!
//! Each flow is independent: its own registration (or the brought Client ID), PKCE verifier,
//! state and tokens, its own recording HTTP client. Flows share only the redactor, so that a
//! secret any of them sees is redacted in whatever the report quotes.

use std::sync::Arc;

use mcp_oauth_mocks::clock::SystemClock;
use mcp_oauth_reports::{Exchange, Status};
use serde_json::{Value, json};

use mcp_oauth_engine::checks;
use mcp_oauth_engine::diagnosis::{self, Diagnosis};
use mcp_oauth_engine::flow::{ClientFlow, ClientOptions, Pauses, forced_refresh};
use mcp_oauth_engine::http::HttpClient;
use mcp_oauth_engine::profile::Profile;
use mcp_oauth_engine::user_agent::UserAgent;

/// What the consent step showed for the profile it ran with.
#[derive(Debug, Clone)]
pub struct Observed {
    pub profile: &'static str,
    /// None when the client connected and listed tools; else the diagnosis that stopped it
    /// and the id of the check that failed first.
    pub failure: Option<(Diagnosis, String)>,
    /// How each compared step was answered in this profile's flow.
    pub answers: Vec<StepAnswer>,
    /// The flow's exchanges (redacted), the evidence of its verdict.
    pub exchanges: Vec<mcp_oauth_reports::Exchange>,
    /// The clients this flow registered dynamically and could not delete afterwards.
    pub left_behind: Vec<mcp_oauth_reports::LeftBehind>,
}

impl Observed {
    /// Where a flow's answers first differ from another observed flow's.
    pub fn departs_at(&self, others: &[&Observed]) -> Option<&'static str> {
        let answer = |o: &Observed, step: &str| {
            o.answers
                .iter()
                .find(|a| a.step == step)
                .map(StepAnswer::succeeded)
        };
        COMPARED_STEPS.iter().copied().find(|step| {
            others
                .iter()
                .any(|other| answer(self, step) != answer(other, step))
        })
    }
}

/// The steps whose answers are compared between profiles, in flow order.
pub const COMPARED_STEPS: &[&str] = &["registration", "authorization", "token", "mcp", "refresh"];

/// The statuses one step was answered with (0: no answer), in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepAnswer {
    pub step: &'static str,
    pub statuses: Vec<u16>,
    /// The OAuth `error` of the first answer, when it carried one (in a JSON body, or in the
    /// query of a redirect back to the client).
    pub error: Option<String>,
    /// Its `error_description`, or the start of a body without one, as recorded (redacted).
    pub description: Option<String>,
}

impl StepAnswer {
    /// Whether the step's first request was answered well (2xx or 3xx, no error). The first,
    /// because what follows differs by design: the consent step's flow reuses a revoked or
    /// rotated-away refresh token on purpose, and must get 400 for it.
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
            && self
                .statuses
                .first()
                .is_some_and(|s| (200..400).contains(s))
    }

    /// The answer with the server's own words: `401 invalid_token ("audience mismatch")`.
    pub fn quote(&self) -> String {
        match &self.description {
            Some(words) => format!("{} ({words:?})", self.describe()),
            None => self.describe(),
        }
    }

    /// "500 server_error", "200", "no answer".
    pub fn describe(&self) -> String {
        match (self.statuses.first(), &self.error) {
            (Some(0) | None, _) => "no answer".to_owned(),
            (Some(status), Some(error)) => format!("{status} {error}"),
            (Some(status), None) => status.to_string(),
        }
    }
}

/// Each compared step's answers, as the flow's exchanges recorded them.
pub fn answers(exchanges: &[Exchange]) -> Vec<StepAnswer> {
    COMPARED_STEPS
        .iter()
        .filter_map(|step| {
            let of_step: Vec<&Exchange> = exchanges.iter().filter(|x| x.step == *step).collect();
            let first = of_step.first()?;
            let response = first.response.as_ref();
            let body = response
                .and_then(|r| r.body.as_deref())
                .and_then(|b| serde_json::from_str::<Value>(b).ok());
            let error = body
                .as_ref()
                .and_then(|b| b.get("error").and_then(Value::as_str).map(str::to_owned))
                .or_else(|| response.and_then(redirected_error));
            let description = body
                .as_ref()
                .and_then(|b| b.get("error_description").and_then(Value::as_str))
                .map(|d| d.chars().take(200).collect())
                .or_else(|| challenge_words(response?))
                .or_else(|| first.error.clone());
            Some(StepAnswer {
                step,
                statuses: of_step
                    .iter()
                    .map(|x| x.response.as_ref().map_or(0, |r| r.status))
                    .collect(),
                error,
                description,
            })
        })
        .collect()
}

/// A refusal's `WWW-Authenticate` challenge, the MCP server's own words about a token.
fn challenge_words(response: &mcp_oauth_reports::HttpResponseRecord) -> Option<String> {
    if response.status < 400 {
        return None;
    }
    response
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("www-authenticate"))
        .map(|(_, value)| {
            format!(
                "WWW-Authenticate: {}",
                value.chars().take(200).collect::<String>()
            )
        })
}

/// The `error` of a redirect carrying an authorization error response (RFC 6749 §4.1.2.1).
fn redirected_error(response: &mcp_oauth_reports::HttpResponseRecord) -> Option<String> {
    let location = response
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("location"))
        .map(|(_, value)| value)?;
    let query = location.split_once('?')?.1.split('#').next()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "error")
        .map(|(_, value)| value.into_owned())
}

/// A fresh, independent flow for `profile`, with a client set up as `http` is and a record of
/// its own.
pub fn new_flow(
    client_options: &ClientOptions,
    profile: &'static Profile,
    http: &HttpClient,
) -> ClientFlow {
    ClientFlow::new(
        client_options.clone(),
        profile,
        Arc::new(SystemClock),
        http.fresh(),
    )
}

/// Connect, list and call tools, refresh: everything the profile's client does. The refresh is
/// part of the observation only when the server issued a refresh token.
pub async fn observe(mut flow: ClientFlow, agent: &UserAgent) -> Observed {
    let profile = flow.profile().name;
    let failure = match run_client(&mut flow, agent).await {
        Ok(()) => None,
        Err(diagnosis) => Some(blame(&mut flow, diagnosis, 0)),
    };
    let exchanges = flow.context().http.exchanges();
    let answers = answers(&exchanges);
    let left_behind = crate::cleanup::delete_registrations(flow.context()).await;
    Observed {
        profile,
        failure,
        answers,
        exchanges,
        left_behind,
    }
}

async fn run_client(flow: &mut ClientFlow, agent: &UserAgent) -> Result<(), Diagnosis> {
    flow.connect(agent, &Pauses::default()).await?;
    // A tool call with arguments its schema accepts; a tool's own error still shows the token
    // accepted (flow::mcp::tool_call).
    flow.call_tool_if_any().await?;
    let Some(connection) = flow.connection() else {
        return Ok(());
    };
    let (server, client) = (connection.server.clone(), connection.client.clone());
    let Some(refresh_token) = connection.tokens.refresh_token.clone() else {
        return Ok(());
    };
    match forced_refresh::refresh_now(flow.context(), &server, &client, &refresh_token).await {
        Ok(refreshed) => {
            flow.restore_tokens(refreshed);
            Ok(())
        }
        // The token endpoint failing on its side fails every profile alike, and the consent
        // flow's own refresh reports it as a caveat: the profile connected all the same.
        Err(diagnosis)
            if matches!(
                diagnosis.code.as_str(),
                diagnosis::REFRESH_GRANT_BROKEN
                    | diagnosis::REFRESH_SERVER_ERROR
                    | diagnosis::TRANSIENT_REFRESH_FAILURE
            ) =>
        {
            Ok(())
        }
        Err(diagnosis) => Err(diagnosis),
    }
}

/// The diagnosis with the check that observed it: the last failure the flow recorded after
/// `from` (the step that stopped the flow records its failing check last; an earlier failure
/// is one the flow went on past, such as missing resource metadata before a fallback), else a
/// check recorded now for the step that produced the diagnosis.
pub fn blame(flow: &mut ClientFlow, diagnosis: Diagnosis, from: usize) -> (Diagnosis, String) {
    let failed = flow.checks()[from.min(flow.checks().len())..]
        .iter()
        .rev()
        .find(|c| c.status == Status::Failure)
        .map(|c| c.id.clone());
    if let Some(id) = failed {
        return (diagnosis, id);
    }
    // Some failures (a consent that never came back, a request that got no answer) end the
    // flow without a check of their own: the run must still show one, and it must be the
    // check of the step that failed.
    let Some(check) = observing_check(&diagnosis.code) else {
        // A code this table does not know yet (the unit test below lists every code): the
        // last question the flow asked, rather than a guess at another step.
        let last = flow
            .checks()
            .last()
            .map_or_else(|| checks::MCP_REQUIRES_AUTH.id.to_owned(), |c| c.id.clone());
        return (diagnosis, last);
    };
    flow.context().recorder.fail_with_remedy(
        check,
        json!({ "diagnosis": diagnosis.code }),
        diagnosis.message.clone(),
        Some(diagnosis.remedy.clone()),
    );
    (diagnosis, check.id.to_owned())
}

/// The check asking the question whose failure a diagnosis reports, by the step that produces
/// the diagnosis. Every code is listed: there is no default step to blame.
fn observing_check(code: &str) -> Option<&'static checks::CheckDef> {
    use mcp_oauth_engine::diagnosis as d;
    Some(match code {
        d::DISCOVERY_FAILED | d::NETWORK_ERROR | d::AUTH_CHALLENGE_MISSING => {
            &checks::MCP_REQUIRES_AUTH
        }
        d::UNAUTHENTICATED_ACCESS => &checks::MCP_REQUIRES_AUTH,
        d::INVALID_TOKEN_ACCEPTED => &checks::INVALID_TOKEN_REJECTED,
        d::PRM_MISSING => &checks::PRM_DISCOVERED,
        d::RESOURCE_MISMATCH => &checks::PRM_RESOURCE_MATCHES,
        d::ISSUER_MISMATCH => &checks::AS_ISSUER_MATCHES,
        d::METADATA_INVALID => &checks::AS_METADATA_FIELDS,
        d::PKCE_NOT_ADVERTISED => &checks::PKCE_S256_ADVERTISED,
        d::CLIENT_ID_MISSING => &checks::DCR_AVAILABLE,
        d::CREDENTIALS_FOREIGN_ISSUER => &checks::CLIENT_BOUND_TO_ISSUER,
        d::CLIENT_METADATA_DOCUMENT_REFUSED => &checks::AUTHORIZATION_REDIRECT,
        d::DCR_REJECTED => &checks::DCR_REGISTRATION,
        d::FRAGMENT_REDIRECT_ACCEPTED => &checks::DCR_REJECTS_FRAGMENT,
        d::OPEN_REDIRECT => &checks::AUTHORIZATION_REJECTS_UNREGISTERED_REDIRECT,
        d::AUDIENCE_REQUIRED => &checks::AUDIENCE_OPTIONAL,
        d::REDIRECT_URI_MISMATCH
        | d::AUTHORIZATION_ERROR_PAGE
        | d::CONSENT_NOT_COMPLETED
        | d::CONSENT_DENIED
        | d::AUTHORIZATION_ERROR => &checks::AUTHORIZATION_REDIRECT,
        d::STATE_EXPIRED => &checks::PENDING_AUTHORIZATION_FRESH,
        d::STATE_MISMATCH => &checks::STATE_MATCHES,
        d::ISS_MISMATCH => &checks::ISS_PARAMETER,
        d::CALLBACK_PARAMETERS_REPEATED => &checks::CALLBACK_PARAMETERS_UNIQUE,
        d::TOKEN_EXCHANGE_FAILED
        | d::CODE_EXPIRED
        | d::CODE_REJECTED
        | d::RESOURCE_REJECTED
        | d::TOKEN_ERROR_NONCONFORMANT
        | d::CLIENT_UNKNOWN => &checks::TOKEN_EXCHANGE,
        d::REFRESH_REVOKED
        | d::TRANSIENT_REFRESH_FAILURE
        | d::CLIENT_REGISTRATION_GONE
        | d::REFRESH_REFUSED
        | d::TOKEN_ENDPOINT_MISCONFIGURED => &checks::REFRESH_GRANT,
        d::REFRESH_INVALID_REQUEST | d::REFRESH_GRANT_BROKEN | d::REFRESH_SERVER_ERROR => {
            &checks::REFRESH_GRANT
        }
        d::MCP_ENDPOINT_REDIRECTED => &checks::MCP_ENDPOINT_NOT_REDIRECTED,
        d::FRESH_TOKEN_REFUSED => &checks::REAUTHORIZATION,
        d::REVOCATION_INEFFECTIVE => &checks::REVOKED_REFRESH_REFUSED,
        d::TOKEN_REJECTED
        | d::OPAQUE_TOKEN_REFUSED
        | d::TOKEN_EXPIRED
        | d::MCP_ERROR
        | d::NOT_CONNECTED => &checks::MCP_INITIALIZE,
        d::INSUFFICIENT_SCOPE | d::AUTHORIZATION_LOOP => &checks::SCOPE_STEP_UP,
        d::TOKEN_STORE_TAMPERED => &checks::TOKEN_STORE_INTEGRITY,
        d::GALLERY_DRIFT => &checks::GALLERY_ENDPOINTS_PINNED,
        d::CLIENT_CREDENTIALS_REFUSED => &checks::TOKEN_CLIENT_CREDENTIALS,
        d::JWT_BEARER_REFUSED => &checks::TOKEN_JWT_BEARER,
        d::TOKEN_EXCHANGE_REFUSED => &checks::ID_JAG_TOKEN_EXCHANGE,
        d::DPOP_REQUIRED | d::DPOP_PROOF_REFUSED | d::DPOP_SCHEME_REFUSED => {
            &checks::MCP_INITIALIZE
        }
        d::DPOP_NONCE_UNSATISFIED => &checks::DPOP_NONCE,
        d::CLIENT_NONCONFORMANT => return None,
        _ => return None,
    })
}

/// A refresh diagnosis is kept as the refresh step classified it.
pub fn refresh_code(diagnosis: &Diagnosis) -> &'static str {
    diagnosis::ALL_CODES
        .iter()
        .copied()
        .find(|c| *c == diagnosis.code)
        .unwrap_or(diagnosis::TRANSIENT_REFRESH_FAILURE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_diagnosis_of_the_flow_has_an_observing_check_of_its_own_step() {
        for code in mcp_oauth_engine::diagnosis::ALL_CODES {
            // The client judge's code: never the outcome of our own flow.
            if *code == mcp_oauth_engine::diagnosis::CLIENT_NONCONFORMANT {
                continue;
            }
            let check = observing_check(code).unwrap_or_else(|| panic!("{code} has no check"));
            assert_ne!(
                (*code, check.step),
                (
                    mcp_oauth_engine::diagnosis::DISCOVERY_FAILED,
                    "authorization"
                )
            );
        }
        assert_eq!(
            observing_check(mcp_oauth_engine::diagnosis::CLIENT_REGISTRATION_GONE).map(|c| c.step),
            Some("refresh")
        );
        assert_eq!(observing_check("no-such-code"), None);
    }
}
