//! The judged client's report: the checks, an outcome, the expectations `serve` and
//! `test-client` exit by, and the requests the client made (redacted) as exchanges.

use mcp_oauth_mocks::RecordedRequest;
use mcp_oauth_reports::{
    Check, Exchange, ExpectationResult, Health, HttpRequestRecord, HttpResponseRecord, Outcome,
    REPORT_SCHEMA_VERSION, Report, Status, Summary, Target, TargetKind,
};

use super::JudgeInput;
use mcp_oauth_catalog::scenario::Requirement;
use mcp_oauth_engine::checks;
use mcp_oauth_engine::diagnosis;
use mcp_oauth_engine::redact::Redactor;
use mcp_oauth_engine::tool_info;

pub fn assemble(input: &JudgeInput, checks: Vec<Check>, redactor: &Redactor) -> Report {
    let failed: Vec<&Check> = checks
        .iter()
        .filter(|c| c.status == Status::Failure)
        .collect();
    let connected = input.log.iter().any(|r| r.is_successful_tool_call());
    let health = if !failed.is_empty() || (!connected && !input.log.is_empty()) {
        Health::Unhealthy
    } else if connected {
        Health::Healthy
    } else {
        Health::Unknown
    };
    let diagnosis = failed.first().map(|check| {
        diagnosis::new(
            diagnosis::CLIENT_NONCONFORMANT,
            check
                .error_message
                .clone()
                .unwrap_or_else(|| check.name.clone()),
            check
                .remedy
                .clone()
                .unwrap_or_else(|| checks::CLIENT_SCENARIO_OUTCOME.remedy.to_owned()),
        )
    });
    let mut expectations = Vec::new();
    if let Some(conformant) = &input.conformant {
        let outcome = checks
            .iter()
            .find(|c| c.id == checks::CLIENT_SCENARIO_OUTCOME.id);
        let actual = outcome
            .and_then(|c| c.details.as_ref())
            .and_then(|d| d.get("actual"))
            .and_then(|a| a.as_str())
            .unwrap_or("no request at all")
            .to_owned();
        let expected = conformant.outcome_for(input.profile.name).as_str();
        // An outcome the revisions ask for with SHOULD is met with a warning when missed.
        let (expected, met) = match conformant.outcome_requirement {
            Requirement::Must => (
                expected.to_owned(),
                outcome.is_some_and(|c| c.status == Status::Success),
            ),
            Requirement::Should => (
                format!("{expected} (SHOULD)"),
                outcome.is_some_and(|c| matches!(c.status, Status::Success | Status::Warning)),
            ),
        };
        expectations.push(ExpectationResult {
            description: "client outcome".to_owned(),
            expected,
            met,
            actual,
        });
    }
    let failed_ids: Vec<&str> = failed
        .iter()
        .map(|c| c.id.as_str())
        .filter(|id| *id != checks::CLIENT_SCENARIO_OUTCOME.id)
        .collect();
    expectations.push(ExpectationResult {
        description: "failed client checks".to_owned(),
        expected: "none".to_owned(),
        actual: if failed_ids.is_empty() {
            "none".to_owned()
        } else {
            failed_ids.join(", ")
        },
        met: failed_ids.is_empty(),
    });
    let exchanges = input.log.iter().map(|r| exchange(r, redactor)).collect();
    Report {
        schema_version: REPORT_SCHEMA_VERSION,
        tool: tool_info(),
        scenario: Some(input.scenario.clone()),
        target: Target {
            url: input.facts.mcp_url.clone(),
            kind: TargetKind::Mock,
        },
        profile: input.profile.name.to_owned(),
        outcome: Outcome { health, diagnosis },
        expectations,
        summary: Summary::of(&checks),
        checks,
        exchanges,
        verdict: None,
        script: Vec::new(),
        client: None,
    }
}

/// A recorded request as the report shows it: what the client sent, secrets redacted.
fn exchange(r: &RecordedRequest, redactor: &Redactor) -> Exchange {
    let query: Vec<String> = r
        .query
        .iter()
        .map(|(n, v)| {
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair(n, v)
                .finish()
        })
        .collect();
    let url = if query.is_empty() {
        r.path.clone()
    } else {
        format!("{}?{}", r.path, query.join("&"))
    };
    let mut headers = Vec::new();
    if let Some(credential) = &r.authorization {
        headers.push((
            "authorization".to_owned(),
            redactor.header(
                "authorization",
                &format!("{} {}", credential.scheme, credential.value),
            ),
        ));
    }
    let body = if !r.form.is_empty() {
        let form = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(r.form.iter())
            .finish();
        Some(redactor.form(&form))
    } else {
        r.json.as_ref().map(|json| {
            let mut json = json.clone();
            redactor.json(&mut json);
            json.to_string()
        })
    };
    let mut response_headers = Vec::new();
    if let Some(location) = &r.response_location {
        response_headers.push(("location".to_owned(), redactor.url(location)));
    }
    if let Some(challenge) = &r.www_authenticate {
        response_headers.push(("www-authenticate".to_owned(), redactor.text(challenge)));
    }
    let step = match r.server {
        mcp_oauth_mocks::request_log::Server::ResourceServer => "mcp-server",
        mcp_oauth_mocks::request_log::Server::AuthorizationServer => "authorization-server",
        mcp_oauth_mocks::request_log::Server::AlternateAuthorizationServer => {
            "alternate-authorization-server"
        }
    };
    Exchange {
        step: step.to_owned(),
        request: HttpRequestRecord {
            method: r.method.clone(),
            url: redactor.url(&url),
            headers,
            body,
        },
        response: Some(HttpResponseRecord {
            status: r.status,
            headers: response_headers,
            body: r.response_json.as_ref().map(|json| {
                let mut json = json.clone();
                redactor.json(&mut json);
                json.to_string()
            }),
        }),
        error: None,
        profile: None,
    }
}
