//! JUnit XML, the format CI systems show as a test list: one `<testsuite>` per report and one
//! `<testcase>` per check, with the step as the class name and the check id as the test name.

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::text::printable;
use crate::{Check, Report, Status};

/// How checks map onto JUnit verdicts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JunitOptions {
    /// Report WARNING checks as failures, for pipelines that must not let warnings through.
    /// Otherwise a warning passes and its note goes to the test's `<system-out>`.
    pub strict: bool,
}

/// One report as a JUnit document whose root is its `<testsuite>`; warnings pass.
pub fn junit(report: &Report) -> String {
    junit_with(report, JunitOptions::default())
}

/// One report as a JUnit document whose root is its `<testsuite>`.
pub fn junit_with(report: &Report, options: JunitOptions) -> String {
    document(|w| write_suite(w, report, options))
}

/// Several reports (a catalog run) as one `<testsuites>` document; warnings pass.
pub fn junit_many(reports: &[Report]) -> String {
    junit_many_with(reports, JunitOptions::default())
}

/// Several reports (a catalog run) as one `<testsuites>` document.
pub fn junit_many_with(reports: &[Report], options: JunitOptions) -> String {
    document(|w| {
        let totals = reports
            .iter()
            .map(|r| Counts::of(&r.checks, options))
            .fold(Counts::default(), Counts::add);
        let mut start = BytesStart::new("testsuites");
        start.push_attribute(("name", "mcp-oauth-harness"));
        totals.push_attributes(&mut start);
        w.write_event(Event::Start(start))?;
        for report in reports {
            write_suite(w, report, options)?;
        }
        w.write_event(Event::End(BytesEnd::new("testsuites")))
    })
}

/// Writes an XML document into memory and returns it as text.
fn document(body: impl FnOnce(&mut Writer<Vec<u8>>) -> io::Result<()>) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .and_then(|()| body(&mut w))
        .expect("writing XML into a Vec cannot fail");
    let out = String::from_utf8(w.into_inner()).expect("the writer is given only str data");
    printable(out + "\n")
}

/// The count attributes every JUnit consumer reads.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    tests: usize,
    failures: usize,
    skipped: usize,
}

impl Counts {
    fn of(checks: &[Check], options: JunitOptions) -> Self {
        let mut counts = Counts {
            tests: checks.len(),
            ..Counts::default()
        };
        for check in checks {
            match verdict(check.status, options) {
                Verdict::Fail => counts.failures += 1,
                Verdict::Skip => counts.skipped += 1,
                Verdict::Pass => {}
            }
        }
        counts
    }

    fn add(self, other: Counts) -> Counts {
        Counts {
            tests: self.tests + other.tests,
            failures: self.failures + other.failures,
            skipped: self.skipped + other.skipped,
        }
    }

    fn push_attributes(&self, start: &mut BytesStart) {
        start.push_attribute(("tests", self.tests.to_string().as_str()));
        start.push_attribute(("failures", self.failures.to_string().as_str()));
        // The harness has no separate notion of an erroring test: infrastructure problems are
        // checks too. Some consumers require the attribute, so it is always present.
        start.push_attribute(("errors", "0"));
        start.push_attribute(("skipped", self.skipped.to_string().as_str()));
    }
}

enum Verdict {
    Pass,
    Fail,
    Skip,
}

fn verdict(status: Status, options: JunitOptions) -> Verdict {
    match status {
        Status::Failure => Verdict::Fail,
        Status::Warning if options.strict => Verdict::Fail,
        Status::Skipped => Verdict::Skip,
        Status::Success | Status::Info | Status::Warning => Verdict::Pass,
    }
}

fn write_suite(w: &mut Writer<Vec<u8>>, report: &Report, options: JunitOptions) -> io::Result<()> {
    let name = report.scenario.as_deref().unwrap_or(&report.target.url);
    let mut start = BytesStart::new("testsuite");
    start.push_attribute(("name", name));
    Counts::of(&report.checks, options).push_attributes(&mut start);
    // The run's own clock, never the time of rendering, so that output is reproducible.
    if let Some(first) = report.checks.first() {
        start.push_attribute(("timestamp", first.timestamp.as_str()));
    }
    w.write_event(Event::Start(start))?;

    w.create_element("properties").write_inner_content(|w| {
        let mut props: Vec<(&str, &str)> = vec![
            ("target", &report.target.url),
            ("targetKind", report.target.kind.as_str()),
            ("profile", &report.profile),
            ("health", report.outcome.health.as_str()),
            ("tool", &report.tool.name),
            ("toolVersion", &report.tool.version),
        ];
        if let Some(scenario) = &report.scenario {
            props.push(("scenario", scenario));
        }
        if let Some(diagnosis) = &report.outcome.diagnosis {
            props.push(("diagnosis", &diagnosis.code));
        }
        for (name, value) in props {
            w.create_element("property")
                .with_attribute(("name", name))
                .with_attribute(("value", value))
                .write_empty()?;
        }
        Ok(())
    })?;

    for check in &report.checks {
        write_case(w, check, options)?;
    }

    // A catalog scenario is judged by its expectations, which are not checks and so not test
    // cases: they go to the suite's output, beside the diagnosis, for the reader of the failures.
    if let Some(text) = suite_notes(report) {
        w.create_element("system-out")
            .write_text_content(BytesText::new(&text))?;
    }
    w.write_event(Event::End(BytesEnd::new("testsuite")))
}

fn write_case(w: &mut Writer<Vec<u8>>, check: &Check, options: JunitOptions) -> io::Result<()> {
    let case = w
        .create_element("testcase")
        .with_attribute(("classname", check.step.as_str()))
        .with_attribute(("name", check.id.as_str()));
    let notes = case_notes(check);
    case.write_inner_content(|w| {
        match verdict(check.status, options) {
            Verdict::Fail => {
                let message = check.error_message.as_deref().unwrap_or(&check.name);
                w.create_element("failure")
                    .with_attribute(("message", message))
                    .with_attribute(("type", check.status.as_str()))
                    .write_text_content(BytesText::new(&notes))?;
                return Ok(());
            }
            Verdict::Skip => {
                let mut skipped = w.create_element("skipped");
                if let Some(reason) = &check.error_message {
                    skipped = skipped.with_attribute(("message", reason.as_str()));
                }
                skipped.write_empty()?;
            }
            Verdict::Pass => {}
        }
        w.create_element("system-out")
            .write_text_content(BytesText::new(&notes))?;
        Ok(())
    })?;
    Ok(())
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

fn suite_notes(report: &Report) -> Option<String> {
    let mut lines = Vec::new();
    if let Some(d) = &report.outcome.diagnosis {
        lines.push(format!("diagnosis: {}: {}", d.code, d.message));
        lines.push(format!("fix: {}", d.remedy));
    }
    for e in &report.expectations {
        let mark = if e.met { "met" } else { "NOT MET" };
        lines.push(format!(
            "expectation {mark}: {} (expected {}, actual {})",
            e.description, e.expected, e.actual
        ));
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}
