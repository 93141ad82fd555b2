//! JUnit XML, the format CI systems show as a test list. Two layouts answer two questions:
//!
//! - a catalog run ([`junit_run`]) asks "did each scenario turn out as it should?": one
//!   `<testsuite>` per scenario, one `<testcase>` per expectation plus one for the scenario as
//!   a whole. A case fails only when its expectation is unmet: a scenario that expects two
//!   FAILURE checks and gets them passes. The checks go in the suite's `<system-out>`.
//! - a live check or a judged client ([`junit_checks`]) asks "what is wrong with this
//!   server (or client)?": one `<testsuite>` per step, one `<testcase>` per check. A baseline
//!   of known failures is honoured: an accepted failure is skipped with its reason, and a
//!   stale entry (it passes now) is a failing case of its own.
//!
//! The output validates against the Jenkins xUnit plugin's `junit-10.xsd`
//! (reports/tests/junit_schema.rs).

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::sections::step_title;
use super::text::printable_owned;
use crate::{Check, Report, Status};

/// How checks map onto JUnit verdicts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JunitOptions {
    /// Report WARNING checks as failures, for pipelines that must not let warnings through.
    /// Otherwise a warning passes and its note goes to the test's `<system-out>`.
    pub strict: bool,
}

/// How a set of reports compares with a baseline of known failures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaselineJudgement {
    /// The baseline file as the user named it.
    pub file: String,
    /// Per report, in the order of the reports: the failures the baseline accepts, as
    /// `step:check-id`.
    pub accepted: Vec<Vec<String>>,
    /// Entries that no longer fail: each one fails the run until it is removed.
    pub stale: Vec<String>,
}

/// One report, a case per check grouped by step; warnings pass, no baseline.
pub fn junit(report: &Report) -> String {
    junit_with(report, JunitOptions::default())
}

/// One report, a case per check grouped by step, no baseline.
pub fn junit_with(report: &Report, options: JunitOptions) -> String {
    junit_checks(std::slice::from_ref(report), None, options)
}

/// Several reports, a case per check grouped by step; warnings pass, no baseline.
pub fn junit_many(reports: &[Report]) -> String {
    junit_many_with(reports, JunitOptions::default())
}

/// Several reports, a case per check grouped by step, no baseline.
pub fn junit_many_with(reports: &[Report], options: JunitOptions) -> String {
    junit_checks(reports, None, options)
}

/// Checks as test cases: a `<testsuite>` per (report, step), a `<testcase>` per check, and,
/// with a baseline, a `baseline` suite holding one failing case per stale entry.
pub fn junit_checks(
    reports: &[Report],
    baseline: Option<&BaselineJudgement>,
    options: JunitOptions,
) -> String {
    let mut suites = Vec::new();
    for (i, report) in reports.iter().enumerate() {
        let accepted = baseline
            .and_then(|b| b.accepted.get(i))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let file = baseline.map(|b| b.file.as_str()).unwrap_or("");
        for (step, checks) in by_step(&report.checks) {
            let cases = checks
                .iter()
                .map(|c| check_case(report, c, options, accepted, file))
                .collect();
            suites.push(Suite {
                name: format!("{} · {}", report_name(report), step_title(step)),
                timestamp: checks.first().map(|c| c.timestamp.clone()),
                properties: properties(report),
                cases,
                out: None,
            });
        }
    }
    if let Some(baseline) = baseline.filter(|b| !b.stale.is_empty()) {
        suites.push(Suite {
            name: format!("baseline {}", baseline.file),
            timestamp: None,
            properties: Vec::new(),
            cases: baseline
                .stale
                .iter()
                .map(|entry| Case {
                    classname: "baseline".to_owned(),
                    name: entry.clone(),
                    verdict: CaseVerdict::Fail {
                        message: format!("stale baseline entry {entry}: it passes now"),
                        kind: "stale-baseline-entry".to_owned(),
                    },
                    text: format!(
                        "{entry} is listed in {} as a known failure, but it passes now.\nfix: remove it from the baseline.",
                        baseline.file
                    ),
                })
                .collect(),
            out: None,
        });
    }
    document(&suites)
}

/// A catalog run: a `<testsuite>` per scenario run, a `<testcase>` per expectation and one
/// for the scenario; the checks are in the suite's `<system-out>`.
pub fn junit_run(reports: &[Report]) -> String {
    let suites: Vec<Suite> = reports.iter().map(scenario_suite).collect();
    document(&suites)
}

fn scenario_suite(report: &Report) -> Suite {
    let name = report_name(report);
    let mut cases = Vec::new();
    let unmet: Vec<_> = report.expectations.iter().filter(|e| !e.met).collect();
    let whole = if report.expectations.is_empty() {
        CaseVerdict::Skip {
            message: format!(
                "ran unjudged: the scenario states no expectations under profile {}",
                report.profile
            ),
        }
    } else if unmet.is_empty() {
        CaseVerdict::Pass
    } else {
        CaseVerdict::Fail {
            message: format!(
                "{} of {} expectations not met",
                unmet.len(),
                report.expectations.len()
            ),
            kind: "unmet-expectations".to_owned(),
        }
    };
    let mut whole_text = vec![format!(
        "health {}, {} checks: {} passed, {} failed, {} warnings",
        report.outcome.health.as_str(),
        report.summary.total,
        report.summary.success,
        report.summary.failure,
        report.summary.warning
    )];
    if let Some(d) = &report.outcome.diagnosis {
        whole_text.push(format!("diagnosis: {}: {}", d.code, d.message));
        whole_text.push(format!("fix (by {}): {}", d.party.who(), d.remedy));
    }
    for e in &unmet {
        whole_text.push(format!(
            "not met: {} (expected {}, actual {})",
            e.description, e.expected, e.actual
        ));
    }
    cases.push(Case {
        classname: name.clone(),
        name: "scenario".to_owned(),
        verdict: whole,
        text: whole_text.join("\n"),
    });
    for e in &report.expectations {
        let text = format!("expected: {}\nactual: {}", e.expected, e.actual);
        cases.push(Case {
            classname: name.clone(),
            name: e.description.clone(),
            verdict: if e.met {
                CaseVerdict::Pass
            } else {
                CaseVerdict::Fail {
                    message: format!("expected {}, got {}", e.expected, e.actual),
                    kind: "unmet-expectation".to_owned(),
                }
            },
            text,
        });
    }
    Suite {
        name,
        timestamp: report.checks.first().map(|c| c.timestamp.clone()),
        properties: properties(report),
        cases,
        out: Some(check_lines(report)),
    }
}

/// What a scenario's checks said, one line each (and the fix under a failure or warning).
fn check_lines(report: &Report) -> String {
    let mut lines = Vec::new();
    for check in &report.checks {
        let mut line = format!("{:8} {:14} {}", check.status.as_str(), check.step, check.id);
        if let Some(error) = &check.error_message {
            line.push_str(": ");
            line.push_str(error);
        }
        lines.push(line);
        if is_problem(check.status)
            && let Some(remedy) = &check.remedy
        {
            lines.push(format!("{:24}fix: {remedy}", ""));
        }
    }
    lines.join("\n")
}

fn check_case(
    report: &Report,
    check: &Check,
    options: JunitOptions,
    accepted: &[String],
    baseline_file: &str,
) -> Case {
    let key = format!("{}:{}", check.step, check.id);
    let fails =
        check.status == Status::Failure || (options.strict && check.status == Status::Warning);
    let verdict = if fails && accepted.contains(&key) {
        CaseVerdict::Skip {
            message: format!(
                "known failure accepted by the baseline {baseline_file}: {}",
                check.error_message.as_deref().unwrap_or(&check.name)
            ),
        }
    } else if fails {
        CaseVerdict::Fail {
            message: check
                .error_message
                .clone()
                .unwrap_or_else(|| check.name.clone()),
            kind: check.status.as_str().to_owned(),
        }
    } else if check.status == Status::Skipped {
        CaseVerdict::Skip {
            message: check
                .error_message
                .clone()
                .unwrap_or_else(|| "skipped".to_owned()),
        }
    } else {
        CaseVerdict::Pass
    };
    Case {
        classname: format!("{}.{}", report_name(report), check.step),
        name: check.id.clone(),
        verdict,
        text: case_notes(check),
    }
}

/// Everything a reader of one test case needs: what was asked, the verdict, and the evidence.
fn case_notes(check: &Check) -> String {
    let mut lines = vec![
        check.name.clone(),
        check.description.clone(),
        format!("status: {} at {}", check.status.as_str(), check.timestamp),
    ];
    if let Some(error) = &check.error_message {
        lines.push(format!("error: {error}"));
    }
    if let Some(remedy) = &check.remedy {
        lines.push(format!("fix: {remedy}"));
    }
    if let Some(details) = &check.details {
        let json = serde_json::to_string_pretty(details).unwrap_or_else(|_| details.to_string());
        lines.push(format!("details: {json}"));
    }
    for spec in &check.spec_references {
        lines.push(format!("spec: {} {}", spec.id, spec.url));
    }
    lines.join("\n")
}

fn report_name(report: &Report) -> String {
    report
        .scenario
        .clone()
        .unwrap_or_else(|| report.target.url.clone())
}

/// Checks grouped by step, steps in the order they first appear.
fn by_step(checks: &[Check]) -> Vec<(&str, Vec<&Check>)> {
    let mut groups: Vec<(&str, Vec<&Check>)> = Vec::new();
    for check in checks {
        match groups.iter_mut().find(|(step, _)| *step == check.step) {
            Some((_, list)) => list.push(check),
            None => groups.push((&check.step, vec![check])),
        }
    }
    groups
}

fn properties(report: &Report) -> Vec<(String, String)> {
    let mut props = vec![
        ("target".to_owned(), report.target.url.clone()),
        (
            "targetKind".to_owned(),
            report.target.kind.as_str().to_owned(),
        ),
        ("profile".to_owned(), report.profile.clone()),
        (
            "health".to_owned(),
            report.outcome.health.as_str().to_owned(),
        ),
        ("tool".to_owned(), report.tool.name.clone()),
        ("toolVersion".to_owned(), report.tool.version.clone()),
    ];
    if let Some(scenario) = &report.scenario {
        props.push(("scenario".to_owned(), scenario.clone()));
    }
    if let Some(diagnosis) = &report.outcome.diagnosis {
        props.push(("diagnosis".to_owned(), diagnosis.code.clone()));
        props.push(("party".to_owned(), diagnosis.party.as_str().to_owned()));
    }
    props
}

fn is_problem(status: Status) -> bool {
    matches!(status, Status::Failure | Status::Warning)
}

/// A test suite, laid out before writing so that its counts are known.
struct Suite {
    name: String,
    timestamp: Option<String>,
    properties: Vec<(String, String)>,
    cases: Vec<Case>,
    out: Option<String>,
}

struct Case {
    classname: String,
    name: String,
    verdict: CaseVerdict,
    /// The case's notes: the failure's text, or its `<system-out>`.
    text: String,
}

enum CaseVerdict {
    Pass,
    Fail { message: String, kind: String },
    Skip { message: String },
}

/// The count attributes every JUnit consumer reads.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    tests: usize,
    failures: usize,
    skipped: usize,
}

impl Counts {
    fn of(cases: &[Case]) -> Self {
        let mut counts = Counts {
            tests: cases.len(),
            ..Counts::default()
        };
        for case in cases {
            match case.verdict {
                CaseVerdict::Fail { .. } => counts.failures += 1,
                CaseVerdict::Skip { .. } => counts.skipped += 1,
                CaseVerdict::Pass => {}
            }
        }
        counts
    }
}

fn document(suites: &[Suite]) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into a Vec cannot fail; should it ever, the error is the document.
    if let Err(e) = write_document(&mut w, suites) {
        return format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- cannot write JUnit: {e} -->\n"
        );
    }
    let out = String::from_utf8_lossy(&w.into_inner()).into_owned();
    printable_owned(out + "\n")
}

fn write_document(w: &mut Writer<Vec<u8>>, suites: &[Suite]) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let (tests, failures) = suites.iter().fold((0, 0), |(t, f), s| {
        let c = Counts::of(&s.cases);
        (t + c.tests, f + c.failures)
    });
    let mut start = BytesStart::new("testsuites");
    start.push_attribute(("name", "mcp-oauth-harness"));
    start.push_attribute(("tests", tests.to_string().as_str()));
    start.push_attribute(("failures", failures.to_string().as_str()));
    // The harness has no separate notion of an erroring test: infrastructure problems are
    // checks too. Some consumers require the attribute, so it is always present.
    start.push_attribute(("errors", "0"));
    w.write_event(Event::Start(start))?;
    for suite in suites {
        write_suite(w, suite)?;
    }
    w.write_event(Event::End(BytesEnd::new("testsuites")))
}

fn write_suite(w: &mut Writer<Vec<u8>>, suite: &Suite) -> io::Result<()> {
    let counts = Counts::of(&suite.cases);
    let mut start = BytesStart::new("testsuite");
    start.push_attribute(("name", suite.name.as_str()));
    start.push_attribute(("tests", counts.tests.to_string().as_str()));
    start.push_attribute(("failures", counts.failures.to_string().as_str()));
    start.push_attribute(("errors", "0"));
    start.push_attribute(("skipped", counts.skipped.to_string().as_str()));
    // The run's own clock, never the time of rendering, so that output is reproducible.
    if let Some(timestamp) = &suite.timestamp {
        start.push_attribute(("timestamp", timestamp.as_str()));
    }
    w.write_event(Event::Start(start))?;
    if !suite.properties.is_empty() {
        w.create_element("properties").write_inner_content(|w| {
            for (name, value) in &suite.properties {
                w.create_element("property")
                    .with_attribute(("name", name.as_str()))
                    .with_attribute(("value", value.as_str()))
                    .write_empty()?;
            }
            Ok(())
        })?;
    }
    for case in &suite.cases {
        write_case(w, case)?;
    }
    if let Some(out) = &suite.out {
        w.create_element("system-out")
            .write_text_content(BytesText::new(out))?;
    }
    w.write_event(Event::End(BytesEnd::new("testsuite")))
}

fn write_case(w: &mut Writer<Vec<u8>>, case: &Case) -> io::Result<()> {
    w.create_element("testcase")
        .with_attribute(("classname", case.classname.as_str()))
        .with_attribute(("name", case.name.as_str()))
        .write_inner_content(|w| {
            match &case.verdict {
                CaseVerdict::Fail { message, kind } => {
                    w.create_element("failure")
                        .with_attribute(("message", message.as_str()))
                        .with_attribute(("type", kind.as_str()))
                        .write_text_content(BytesText::new(&case.text))?;
                    return Ok(());
                }
                CaseVerdict::Skip { message } => {
                    w.create_element("skipped")
                        .with_attribute(("message", message.as_str()))
                        .write_empty()?;
                }
                CaseVerdict::Pass => {}
            }
            w.create_element("system-out")
                .write_text_content(BytesText::new(&case.text))?;
            Ok(())
        })?;
    Ok(())
}
