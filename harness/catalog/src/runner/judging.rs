//! Judging a run: each expectation of the scenario (on the outcome, on what reached the mocks,
//! on each step) against what happened, as the report's expectation results.

use mcp_oauth_mocks::request_log::Server;
use mcp_oauth_mocks::{AuthServer, MockServers};
use mcp_oauth_reports::{Check, ExpectationResult, Status};
use serde_json::Value;

use super::{StepOutcome, step_name};
use crate::scenario::{CheckExpectation, Expectations, Step};
use mcp_oauth_engine::flow::FlowOutcome;

/// The expectations on what the client ended with: health, diagnosis and checks.
pub(super) fn judge_outcome(
    expect: &Expectations,
    outcome: &FlowOutcome,
    out: &mut Vec<ExpectationResult>,
) {
    if let Some(health) = expect.health {
        out.push(expectation(
            "final health",
            health.as_str(),
            outcome.health.as_str(),
        ));
    }
    if let Some(code) = &expect.diagnosis {
        let actual = outcome
            .diagnosis
            .as_ref()
            .map_or("none", |d| d.code.as_str());
        out.push(expectation("report diagnosis", code, actual));
    }
    for (id, expected) in &expect.checks {
        out.push(check_expectation(
            &format!("check {id}"),
            &outcome.checks,
            id,
            *expected,
        ));
    }
    for (id, fields) in &expect.check_details {
        out.push(details_expectation(&outcome.checks, id, fields));
    }
}

/// The expectations on what reached the mocks, counted from their request log.
pub(super) fn judge_traffic(
    expect: &Expectations,
    mocks: &MockServers,
    out: &mut Vec<ExpectationResult>,
) {
    for (grant_type, count) in &expect.token_requests {
        let actual = mocks.log().token_requests(grant_type);
        out.push(expectation(
            &format!("{grant_type} token requests at the authorization server"),
            &count.to_string(),
            &actual.to_string(),
        ));
    }
    if let Some(count) = expect.authorization_requests {
        let actual = mocks.log().requests_to(
            Server::AuthorizationServer,
            &mocks.auth_server().authorization_endpoint_path(),
        );
        out.push(expectation(
            "requests to the authorization endpoint (consent steps)",
            &count.to_string(),
            &actual.to_string(),
        ));
    }
    if let Some(count) = expect.registrations {
        out.push(expectation(
            "dynamic registration requests at the authorization servers",
            &count.to_string(),
            &registrations(mocks).to_string(),
        ));
    }
    if let Some(count) = expect.document_fetches {
        out.push(expectation(
            "Client ID metadata document fetches by the authorization servers",
            &count.to_string(),
            &document_fetches(mocks).to_string(),
        ));
    }
}

/// The authorization servers of the run: the first and, when started, the alternate.
fn auth_servers(mocks: &MockServers) -> impl Iterator<Item = &AuthServer> {
    std::iter::once(mocks.auth_server()).chain(mocks.alternate_auth_server())
}

/// Requests to the registration endpoint of every authorization server of the run.
fn registrations(mocks: &MockServers) -> usize {
    auth_servers(mocks)
        .map(|server| {
            let path = format!("{}/register", server.config().issuer_path);
            mocks.log().requests_to(server.role(), &path)
        })
        .sum()
}

fn document_fetches(mocks: &MockServers) -> usize {
    auth_servers(mocks)
        .map(|server| mocks.log().document_fetches(server.role()).len())
        .sum()
}

pub(super) fn judge_step(
    index: usize,
    step: &Step,
    outcome: &StepOutcome,
    out: &mut Vec<ExpectationResult>,
) {
    let name = step_name(index, step);
    if let Some(ok) = step.expect_ok {
        out.push(expectation(
            &format!("{name} succeeds"),
            &ok.to_string(),
            &outcome.ok.to_string(),
        ));
    }
    if let Some(health) = step.expect_health {
        out.push(expectation(
            &format!("{name} health"),
            health.as_str(),
            outcome.health.as_str(),
        ));
    }
    if let Some(code) = &step.expect_diagnosis {
        out.push(expectation(
            &format!("{name} diagnosis"),
            code,
            outcome.diagnosis.as_deref().unwrap_or("none"),
        ));
    }
}

/// Met when the recordings of check `id` among `checks` have the expected status: every one
/// of them, or one of them where the scenario spells `at-least-once`. The actual value lists
/// every recording's status in order.
pub(super) fn check_expectation(
    description: &str,
    checks: &[Check],
    id: &str,
    expected: CheckExpectation,
) -> ExpectationResult {
    let seen: Vec<Status> = checks
        .iter()
        .filter(|c| c.id == id)
        .map(|c| c.status)
        .collect();
    ExpectationResult {
        description: description.to_owned(),
        expected: expected.describe(),
        actual: if seen.is_empty() {
            "not recorded".to_owned()
        } else {
            seen.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        },
        met: expected.is_met_by(&seen),
    }
}

/// Met when some recording of check `id` has every one of `fields` in its details. The actual
/// value lists those fields as each recording has them.
pub(super) fn details_expectation(
    checks: &[Check],
    id: &str,
    fields: &serde_json::Map<String, Value>,
) -> ExpectationResult {
    let recorded: Vec<serde_json::Map<String, Value>> = checks
        .iter()
        .filter(|c| c.id == id)
        .map(|c| {
            fields
                .keys()
                .map(|field| {
                    let value = c.details.as_ref().and_then(|d| d.get(field));
                    (field.clone(), value.cloned().unwrap_or(Value::Null))
                })
                .collect()
        })
        .collect();
    ExpectationResult {
        description: format!("check {id} details"),
        expected: Value::Object(fields.clone()).to_string(),
        actual: if recorded.is_empty() {
            "not recorded".to_owned()
        } else {
            recorded
                .iter()
                .map(|r| Value::Object(r.clone()).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        },
        met: recorded.iter().any(|r| r == fields),
    }
}

pub(super) fn expectation(description: &str, expected: &str, actual: &str) -> ExpectationResult {
    ExpectationResult {
        description: description.to_owned(),
        expected: expected.to_owned(),
        actual: actual.to_owned(),
        met: expected == actual,
    }
}
