//! The step-up request after a 403 `insufficient_scope`, judged on its own, and an outcome the
//! revisions ask for with SHOULD.

use super::*;
use mcp_oauth_catalog::scenario::Requirement;

fn forbidden(token: &str, scope: &str) -> RecordedRequest {
    RecordedRequest {
        www_authenticate: Some(format!(
            "Bearer error=\"insufficient_scope\", scope=\"{scope}\""
        )),
        ..rs("POST", "/mcp", 403, Some(token), Some("tools/list"))
    }
}

fn authorize_scope(state: &str, code: &str, scope: &str) -> RecordedRequest {
    let mut request = authorize(state, code);
    for (name, value) in &mut request.query {
        if name == "scope" {
            *value = scope.to_owned();
        }
    }
    request
}

/// A first connection with `mcp:tools`, a 403 naming `mcp:admin`, then what `after` holds.
fn step_up_log(after: Vec<RecordedRequest>) -> Vec<RecordedRequest> {
    let mut log = conformant_log();
    log.pop(); // the tools/call
    log.push(forbidden("at_1", "mcp:admin"));
    log.extend(after);
    log
}

fn step_up_status(log: Vec<RecordedRequest>, profile: &'static Profile) -> (Status, String) {
    let report = judge(&input_under(log, ClientOutcome::Connects, &[], profile));
    let check = report
        .checks
        .iter()
        .find(|c| c.id == "client-scope-step-up")
        .unwrap_or_else(|| panic!("no step-up check in {:#?}", report.checks));
    (
        check.status,
        check.error_message.clone().unwrap_or_default(),
    )
}

fn stepped_up(scope: &str) -> Vec<RecordedRequest> {
    vec![
        authorize_scope("state-bbbbbbbb", "ac_2", scope),
        exchange("ac_2", "at_2", "rt_2"),
        rs("POST", "/mcp", 200, Some("at_2"), Some("tools/call")),
    ]
}

#[test]
fn no_403_skips_the_question() {
    let report = judge(&input(conformant_log(), ClientOutcome::Connects, &[]));
    let check = report
        .checks
        .iter()
        .find(|c| c.id == "client-scope-step-up")
        .unwrap();
    assert_eq!(check.status, Status::Skipped);
}

#[test]
fn asking_for_the_challenged_scope_passes_under_2025_11_25() {
    let mcp_2025_11_25 = profile::by_name("mcp-2025-11-25").unwrap();
    let (status, message) = step_up_status(step_up_log(stepped_up("mcp:admin")), mcp_2025_11_25);
    assert_eq!(status, Status::Success, "{message}");
}

#[test]
fn dropping_the_earlier_scope_is_a_warning_under_2026_07_28_and_the_union_passes() {
    let newest = profile::by_name("mcp-2026-07-28").unwrap();
    let (status, message) = step_up_status(step_up_log(stepped_up("mcp:admin")), newest);
    assert_eq!(status, Status::Warning);
    assert!(message.contains("drops \"mcp:tools\""), "{message}");
    let (status, message) = step_up_status(step_up_log(stepped_up("mcp:tools mcp:admin")), newest);
    assert_eq!(status, Status::Success, "{message}");
}

#[test]
fn a_reauthorization_without_the_challenged_scope_is_a_warning() {
    let (status, message) = step_up_status(
        step_up_log(stepped_up("mcp:tools")),
        profile::by_name("mcp-2025-11-25").unwrap(),
    );
    assert_eq!(status, Status::Warning);
    assert!(
        message.contains("without the challenged \"mcp:admin\""),
        "{message}"
    );
}

#[test]
fn no_step_up_is_a_warning_for_a_spec_client_and_info_for_pipelines() {
    let (status, message) = step_up_status(
        step_up_log(Vec::new()),
        profile::by_name("mcp-2025-11-25").unwrap(),
    );
    assert_eq!(status, Status::Warning);
    assert!(message.contains("should step up"), "{message}");
    let (status, _) = step_up_status(
        step_up_log(Vec::new()),
        profile::by_name("pipelines").unwrap(),
    );
    assert_eq!(status, Status::Info);
}

#[test]
fn an_outcome_asked_with_should_is_a_warning_when_missed_and_its_expectation_holds() {
    let mut input = input_under(
        step_up_log(Vec::new()),
        ClientOutcome::Connects,
        &[],
        profile::by_name("mcp-2025-11-25").unwrap(),
    );
    if let Some(conformant) = input.conformant.as_mut() {
        conformant.outcome_requirement = Requirement::Should;
    }
    let report = judge(&input);
    let outcome = report
        .checks
        .iter()
        .find(|c| c.id == "client-scenario-outcome")
        .unwrap();
    assert_eq!(outcome.status, Status::Warning, "{outcome:#?}");
    let expectation = &report.expectations[0];
    assert_eq!(expectation.expected, "connects (SHOULD)");
    assert!(expectation.met);
    // The same miss of a MUST fails.
    let report = judge(&input_under(
        step_up_log(Vec::new()),
        ClientOutcome::Connects,
        &[],
        profile::by_name("mcp-2025-11-25").unwrap(),
    ));
    assert!(!report.expectations[0].met);
}

#[test]
fn a_profile_the_scenario_was_not_written_for_is_said() {
    let mut input = input(conformant_log(), ClientOutcome::Connects, &[]);
    input.written_for = vec!["pipelines".to_owned()];
    let report = judge(&input);
    let note = report
        .checks
        .iter()
        .find(|c| c.id == "client-scenario-profile")
        .expect("a note on the profile");
    assert_eq!(note.status, Status::Info);
    assert!(
        note.error_message
            .as_deref()
            .unwrap()
            .contains("written for pipelines"),
        "{note:#?}"
    );
    let report = judge(&input_under(
        conformant_log(),
        ClientOutcome::Connects,
        &[],
        profile::NEWEST_SPEC,
    ));
    assert!(
        !report
            .checks
            .iter()
            .any(|c| c.id == "client-scenario-profile"),
        "no note under a profile the scenario lists"
    );
}
