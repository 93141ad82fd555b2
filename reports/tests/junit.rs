//! JUnit answers CI's question: the layouts of `run` (a case per expectation) and of `check`
//! and judged clients (a case per check, grouped by step, the baseline honoured), each
//! validated against the Jenkins xUnit plugin's junit-10.xsd (vendored in tests/data) with
//! xmllint, Debian's libxml2-utils, which .ci/run installs. Without xmllint on PATH the
//! validation test is skipped with a message, or fails when CI=true (tests/peer).

// The sample report; the verdict builder is for the other renderer tests.
#[allow(dead_code)]
mod common;
mod peer;

use std::path::Path;
use std::process::Command;

use mcp_oauth_reports::render::{self, BaselineJudgement, JunitOptions};
use mcp_oauth_reports::{Check, ExpectationResult, Report, Status, Summary};
use peer::Peer;

/// A report whose scenario expects two FAILURE checks and got them: every expectation met.
fn expected_failures_report() -> Report {
    let mut report = common::report();
    report.expectations = vec![
        ExpectationResult {
            description: "check token-refresh".into(),
            expected: "FAILURE".into(),
            actual: "FAILURE".into(),
            met: true,
        },
        ExpectationResult {
            description: "health".into(),
            expected: "unhealthy".into(),
            actual: "unhealthy".into(),
            met: true,
        },
    ];
    report
}

/// A hand-built live report with `resource-server` checks, as `check`'s probes record them.
pub fn resource_server_report() -> Report {
    let mut report = common::report();
    report.scenario = None;
    let make = |id: &str, status: Status| Check {
        id: id.into(),
        name: format!("{id} question"),
        description: "asked of the resource server".into(),
        status,
        timestamp: "2025-01-01T00:01:00Z".into(),
        spec_references: Vec::new(),
        details: None,
        error_message: (status != Status::Success).then(|| format!("{id} went wrong")),
        remedy: (status != Status::Success).then(|| format!("fix {id}")),
        step: "resource-server".into(),
    };
    report
        .checks
        .push(make("rs-rejects-expired-token", Status::Success));
    report
        .checks
        .push(make("rs-rejects-wrong-audience", Status::Failure));
    report
        .checks
        .push(make("rs-challenge-names-scope", Status::Warning));
    report.summary = Summary::of(&report.checks);
    report
}

fn validate(xmllint: &Path, xml: &str, name: &str) {
    let dir = std::env::temp_dir().join(format!("junit-xsd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}.xml"));
    std::fs::write(&file, xml).unwrap();
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/junit-10.xsd");
    let output = Command::new(xmllint)
        .args(["--noout", "--schema"])
        .arg(&xsd)
        .arg(&file)
        .output()
        .expect("xmllint runs");
    assert!(
        output.status.success(),
        "{name} does not validate against junit-10.xsd:\n{}\n{xml}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn every_layout_validates_against_the_junit_xsd() {
    let Some(xmllint) = peer::require(Peer::Xmllint) else {
        return;
    };
    let report = common::report();
    let live = resource_server_report();
    let baseline = BaselineJudgement {
        file: "known.yaml".into(),
        accepted: vec![vec!["authorize:redirect-uri-accepted".into()], Vec::new()],
        stale: vec!["discovery:pkce-s256-advertised".into()],
    };
    validate(
        &xmllint,
        &render::junit_run(&[report.clone(), expected_failures_report()]),
        "run",
    );
    validate(&xmllint, &render::junit(&report), "check");
    validate(
        &xmllint,
        &render::junit_checks(
            &[report.clone(), live],
            Some(&baseline),
            JunitOptions { strict: true },
        ),
        "check-baseline",
    );
    validate(&xmllint, &render::junit_run(&[]), "empty");
}

#[test]
fn a_run_case_fails_only_when_its_expectation_is_unmet() {
    let report = expected_failures_report();
    assert!(report.summary.failure > 0, "the sample has FAILURE checks");
    let xml = render::junit_run(std::slice::from_ref(&report));
    assert!(
        !xml.contains("<failure"),
        "expected failures are not test failures:\n{xml}"
    );
    assert!(
        xml.contains(r#"<testcase classname="byo-app-redirect-uri-mismatch" name="scenario">"#),
        "{xml}"
    );
    assert!(xml.contains(r#"name="check token-refresh""#));
    // The checks are in the suite's output, for the reader.
    assert!(xml.contains("<system-out>SUCCESS"), "{xml}");

    let unmet = common::report();
    let xml = render::junit_run(std::slice::from_ref(&unmet));
    let failing = unmet.expectations.iter().filter(|e| !e.met).count();
    // Each unmet expectation, and the scenario as a whole.
    assert_eq!(xml.matches("<failure").count(), failing + 1, "{xml}");
}

#[test]
fn checks_are_cases_grouped_by_step_with_message_and_remedy() {
    let report = resource_server_report();
    let xml = render::junit(&report);
    assert!(
        xml.contains(
            r#"<testsuite name="http://mcp.test/mcp · Resource server" tests="3" failures="1""#
        ),
        "{xml}"
    );
    assert!(xml.contains(r#"message="rs-rejects-wrong-audience went wrong""#));
    assert!(xml.contains("fix: fix rs-rejects-wrong-audience"));
    let strict = render::junit_with(&report, JunitOptions { strict: true });
    assert!(strict.contains(
        r#"<testsuite name="http://mcp.test/mcp · Resource server" tests="3" failures="2""#
    ));
}

#[test]
fn the_baseline_skips_accepted_failures_and_fails_stale_entries() {
    let report = resource_server_report();
    let baseline = BaselineJudgement {
        file: "known.yaml".into(),
        accepted: vec![vec!["resource-server:rs-rejects-wrong-audience".into()]],
        stale: vec!["discovery:pkce-s256-advertised".into()],
    };
    let xml = render::junit_checks(
        std::slice::from_ref(&report),
        Some(&baseline),
        JunitOptions::default(),
    );
    assert!(xml.contains(r#"<skipped message="known failure accepted by the baseline known.yaml: rs-rejects-wrong-audience went wrong"/>"#), "{xml}");
    assert!(
        xml.contains(r#"<testsuite name="baseline known.yaml" tests="1" failures="1""#),
        "{xml}"
    );
    assert!(xml.contains(
        r#"message="stale baseline entry discovery:pkce-s256-advertised: it passes now""#
    ));
    let without = render::junit(&report);
    assert!(without.contains(r#"message="rs-rejects-wrong-audience went wrong" type="FAILURE""#));
}
