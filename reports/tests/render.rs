//! Snapshots of every renderer on one sample report, and the properties the snapshots alone
//! would not keep: hostile text stays inert, JUnit is well-formed XML whose counts add up.

mod common;

use common::HOSTILE;
use mcp_oauth_reports::render::{self, JunitOptions};
use mcp_oauth_reports::{Report, SpecReference, Status, Summary};
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

#[test]
fn snapshot_json() {
    insta::assert_snapshot!("json", render::json(&common::report()));
}

#[test]
fn snapshot_markdown() {
    insta::assert_snapshot!("markdown", render::markdown(&common::report()));
}

#[test]
fn snapshot_junit() {
    insta::assert_snapshot!("junit", render::junit(&common::report()));
}

#[test]
fn snapshot_html() {
    insta::assert_snapshot!("html", render::html(&common::report()));
}

#[test]
fn json_round_trips() {
    let report = common::report();
    let parsed: Report = serde_json::from_str(&render::json(&report)).unwrap();
    assert_eq!(parsed, report);
}

#[test]
fn html_escapes_hostile_text() {
    let html = render::html(&common::report());
    assert!(!html.contains("<script"), "unescaped script tag");
    assert!(!html.contains("]]>"));
    // Escaped rather than dropped: the reader still sees what the server sent.
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; ]]&gt;"));
}

#[test]
fn html_links_only_web_urls() {
    let mut report = common::report();
    report.checks[0].spec_references.push(SpecReference {
        id: "EVIL".into(),
        url: "javascript:alert(1)".into(),
    });
    let html = render::html(&report);
    assert!(!html.contains("href=\"javascript:"));
    assert!(html.contains("javascript:alert(1)"), "shown as text");
}

#[test]
fn junit_escapes_hostile_text() {
    let xml = render::junit(&common::report());
    assert!(!xml.contains("<script"), "unescaped script tag");
    assert!(!xml.contains("]]>"));
    assert!(
        !has_hidden_controls(&xml),
        "a control character XML 1.0 forbids"
    );
}

fn has_hidden_controls(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

#[test]
fn text_renderers_show_terminal_escapes_as_text() {
    let report = common::report();
    for (name, out) in [
        ("markdown", render::markdown(&report)),
        ("html", render::html(&report)),
        ("junit", render::junit(&report)),
    ] {
        assert!(
            !has_hidden_controls(&out),
            "{name} lets a raw control through"
        );
        // Markdown shows `[` escaped as `\[`.
        let shown = match name {
            "markdown" => "\\u001b\\[31m",
            _ => "\\u001b[31m",
        };
        assert!(
            out.contains(shown),
            "{name} drops the escape instead of showing it"
        );
    }
}

/// The attributes and counts of a parsed JUnit document.
#[derive(Debug, Default)]
struct Parsed {
    root: String,
    root_failures: usize,
    root_tests: usize,
    root_skipped: usize,
    testcases: usize,
    failures: usize,
    skipped: usize,
    failure_messages: Vec<String>,
}

fn attr(e: &BytesStart, name: &str) -> Option<String> {
    e.try_get_attribute(name).unwrap().map(|a| {
        a.normalized_value(XmlVersion::Explicit1_0)
            .unwrap()
            .into_owned()
    })
}

fn count(e: &BytesStart, name: &str) -> usize {
    attr(e, name).unwrap().parse().unwrap()
}

/// Reads the whole document, failing on any XML error.
fn parse(xml: &str) -> Parsed {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut parsed = Parsed::default();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) => {
                let name = e.name().as_ref().to_owned();
                if parsed.root.is_empty() {
                    parsed.root_failures = count(&e, "failures");
                    parsed.root_tests = count(&e, "tests");
                    parsed.root_skipped = attr(&e, "skipped").map_or(0, |v| v.parse().unwrap());
                    parsed.root = name.clone();
                }
                match name.as_str() {
                    "testcase" => parsed.testcases += 1,
                    "failure" => {
                        parsed.failures += 1;
                        parsed.failure_messages.push(attr(&e, "message").unwrap());
                    }
                    "skipped" => parsed.skipped += 1,
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    parsed
}

#[test]
fn junit_is_xml_whose_counts_match_the_summary() {
    let report = common::report();
    let parsed = parse(&render::junit(&report));
    assert_eq!(parsed.root, "testsuites");
    assert_eq!(parsed.root_failures, report.summary.failure);
    assert_eq!(parsed.failures, report.summary.failure);
    assert_eq!(parsed.root_tests, report.summary.total);
    assert_eq!(parsed.testcases, report.summary.total);
    assert_eq!(parsed.skipped, report.summary.skipped);
    // The message reads back as the server sent it, the control character made visible.
    let expected = format!(
        "The authorization server rejected the redirect URI: invalid_request: {}",
        HOSTILE.replace('\u{1b}', "\\u001b")
    );
    assert!(parsed.failure_messages.contains(&expected));
}

#[test]
fn junit_strict_fails_warnings() {
    let report = common::report();
    let parsed = parse(&render::junit_with(&report, JunitOptions { strict: true }));
    let expected = report.summary.failure + report.summary.warning;
    assert_eq!(parsed.root_failures, expected);
    assert_eq!(parsed.failures, expected);
}

#[test]
fn junit_many_adds_up_suites() {
    let first = common::report();
    let mut second = common::report();
    second.scenario = None;
    second.checks.truncate(2);
    second.summary = Summary::of(&second.checks);
    let xml = render::junit_many(&[first.clone(), second.clone()]);
    let parsed = parse(&xml);
    assert_eq!(parsed.root, "testsuites");
    assert_eq!(
        parsed.root_tests,
        first.summary.total + second.summary.total
    );
    assert_eq!(
        parsed.root_failures,
        first.summary.failure + second.summary.failure
    );
    assert_eq!(parsed.testcases, parsed.root_tests);
    // A live report has no scenario; its suite is named after the target.
    assert!(xml.contains(r#"<testsuite name="http://mcp.test/mcp · Discovery""#));
    assert!(xml.contains(r#"<testsuite name="byo-app-redirect-uri-mismatch · Discovery""#));
}

#[test]
fn summary_counts_each_status() {
    let checks = common::checks();
    let summary = Summary::of(&checks);
    assert_eq!(
        summary,
        Summary {
            total: 8,
            success: 2,
            failure: 2,
            warning: 1,
            skipped: 2,
            info: 1,
        }
    );
    let by_status = |s: Status| checks.iter().filter(|c| c.status == s).count();
    assert_eq!(summary.failure, by_status(Status::Failure));
    assert_eq!(
        summary.total,
        summary.success + summary.failure + summary.warning + summary.skipped + summary.info
    );
    assert_eq!(Summary::of(&[]), Summary::default());
}

#[test]
fn the_verdict_comes_first_and_stays_inert() {
    let mut report = common::report();
    report.verdict = Some(common::verdict());
    let markdown = render::markdown(&report);
    let compatibility = markdown
        .find("<summary>Compatibility</summary>")
        .expect("a verdict section");
    assert!(markdown.find("- **Connects:**").unwrap() < compatibility);
    assert!(markdown.find("- **Verdict:**").unwrap() < markdown.find("- **Target:**").unwrap());
    assert!(
        markdown.contains("| `pipelines` | ❌ no | observed | `audience-required` (deployment): "),
        "{markdown}"
    );
    assert!(markdown.contains("| `authorization` |"), "{markdown}");
    assert!(
        markdown.contains(
            "| `mcp-2026-07-28` | 🔑 with a Client ID | inferred: no consent was run | none | - |"
        ),
        "{markdown}"
    );
    assert!(markdown.contains("Left behind: client `client-probe-1` registered by probes"));
    assert!(markdown.contains(
        "**Fix first** (`audience-required`, for pipelines, by the deployment (the MCP server and its authorization server together))"
    ));
    assert!(!markdown.contains("<script"));

    let html = render::html(&report);
    let compatibility = html
        .find("<h2>Compatibility</h2>")
        .expect("a verdict section");
    assert!(compatibility < html.find("<h2>Timeline</h2>").unwrap());
    assert!(html.contains("Fix first"));
    assert!(html.contains("<th>Departs at</th>"));
    assert!(html.contains("inferred: no consent was run"));
    assert!(!html.contains("<script"));
    assert!(!has_hidden_controls(&html));

    // Reports without a verdict render as before.
    report.verdict = None;
    assert!(!render::markdown(&report).contains("Compatibility"));
}

#[test]
fn a_resource_server_step_is_a_section_with_its_verdict_first() {
    let mut report = common::report();
    report.scenario = None;
    for (id, status) in [
        ("rs-rejects-expired-token", Status::Success),
        ("rs-rejects-wrong-audience", Status::Failure),
    ] {
        let mut check = report.checks[0].clone();
        check.id = id.into();
        check.status = status;
        check.step = "resource-server".into();
        check.remedy = Some(format!("fix {id}"));
        report.checks.push(check);
    }
    report.summary = Summary::of(&report.checks);

    let html = render::html(&report);
    let section = html
        .find(r#"class="step step-resource-server has-FAILURE""#)
        .expect("a resource-server section");
    let title = html[section..]
        .find(r#"<span class="title">Resource server</span>"#)
        .unwrap();
    let verdict = html[section..]
        .find("1 passed, 1 failed, 0 warnings")
        .unwrap();
    let first_check = html[section..].find("rs-rejects-expired-token").unwrap();
    assert!(
        title < verdict && verdict < first_check,
        "title, then verdict, then checks"
    );
    assert!(html[section..].contains("worst: FAILURE"));

    let markdown = render::markdown(&report);
    assert!(markdown.contains("<details open><summary>❌ FAILURE Resource server (<code>resource-server</code>): 1 passed, 1 failed, 0 warnings; worst FAILURE</summary>"), "{markdown}");

    let text = render::timeline_text(&report, render::TerminalStyle::default());
    assert!(
        text.contains("FAIL Resource server  1 passed, 1 failed, 0 warnings"),
        "{text}"
    );
    assert!(text.contains("fix: fix rs-rejects-wrong-audience"));
}

#[test]
fn html_has_a_verdict_first_an_svg_glyph_per_check_and_a_filter() {
    let report = common::report();
    let html = render::html(&report);
    let banner = html.find("verdict-banner").unwrap();
    assert!(banner < html.find("Diagnosis: ").unwrap());
    assert!(html.find("Diagnosis: ").unwrap() < html.find("<h2>Timeline</h2>").unwrap());
    assert_eq!(
        html.matches(r#"<div class="check s-"#).count(),
        report.checks.len()
    );
    assert!(html.matches("<svg class=\"glyph").count() > report.checks.len());
    assert!(html.contains(r#"id="filter-hide-passed""#));
    // No emoji the reader's fonts would have to draw.
    assert!(!html.contains('✅') && !html.contains('❌'));
    // A fix on every failure.
    let failures = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Failure)
        .count();
    let warnings = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Warning)
        .count();
    assert_eq!(
        html.matches("<p class=\"fix\">").count(),
        failures + warnings
    );
}

#[test]
fn a_catalog_in_markdown_is_a_summary_table_and_the_failing_details() {
    let failing = common::report();
    let mut passing = common::report();
    passing.scenario = Some("all-good".into());
    for e in &mut passing.expectations {
        e.met = true;
    }
    let md = render::markdown_catalog(&[failing, passing]);
    assert!(md.starts_with("## ❌ MCP OAuth catalog run"), "{md}");
    assert!(md.contains("| ✅ | `all-good` |"), "{md}");
    assert!(md.contains("## Not as expected"));
    assert!(md.contains("### ❌ MCP OAuth report: byo-app-redirect-uri-mismatch"));
    assert!(
        !md.contains("MCP OAuth report: all-good"),
        "only failing ones in detail"
    );
}

/// A `run` report's script: one segment per action with what it recorded, whatever flow
/// steps those belong to; what no action recorded comes last; overrunning counts are cut.
#[test]
fn a_script_makes_the_timeline_one_segment_per_action() {
    use mcp_oauth_reports::ScriptStep;
    use mcp_oauth_reports::render::sections;

    let mut report = common::report();
    let by_step = sections::timeline(&report);
    assert!(by_step.iter().all(|s| s.number.is_none()));
    let (checks, exchanges) = (report.checks.len(), report.exchanges.len());
    assert!(
        checks >= 2 && exchanges >= 2,
        "the sample has enough to split"
    );
    report.script = vec![
        ScriptStep {
            action: "connect".into(),
            checks: checks - 1,
            exchanges: exchanges - 1,
        },
        ScriptStep {
            action: "advance-clock".into(),
            checks: 0,
            exchanges: 0,
        },
    ];
    let segments = sections::timeline(&report);
    let titles: Vec<String> = segments.iter().map(|s| s.title()).collect();
    assert_eq!(
        titles,
        ["1. Connect", "2. Advance clock", "After the script"]
    );
    assert_eq!(segments[0].checks.len(), checks - 1);
    assert_eq!(segments[0].exchanges.len(), exchanges - 1);
    assert!(segments[1].checks.is_empty() && segments[1].exchanges.is_empty());
    assert_eq!(
        (segments[2].checks.len(), segments[2].exchanges.len()),
        (1, 1)
    );

    report.script[1].checks = 99;
    report.script[1].exchanges = 99;
    let segments = sections::timeline(&report);
    assert_eq!(segments.len(), 2, "nothing is left after the script");
    assert_eq!(
        (segments[1].checks.len(), segments[1].exchanges.len()),
        (1, 1)
    );

    let markdown = render::markdown(&report);
    assert!(markdown.contains("1. Connect"), "{markdown}");
    let html = render::html(&report);
    assert!(html.contains("2. Advance clock"), "{html}");
    let terminal = render::timeline_text(&report, Default::default());
    assert!(terminal.contains("2. Advance clock"), "{terminal}");
}
