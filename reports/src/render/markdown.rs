//! Markdown made for a pull-request comment: a few summary lines (verdict, diagnosis, fix,
//! counts) that fit on a screen, then every table folded inside `<details>`, one per step
//! segment (`sections::timeline`) with that step's verdict in its summary line. A whole
//! catalog run ([`markdown_catalog`]) is one summary table, plus the details of only the
//! scenarios that did not turn out as expected.
//!
//! Every value from a report goes through `markdown_text` (as running text, a cell, code or
//! raw HTML): a report's text comes from servers, clients and files.

use std::fmt::Write;

use super::markdown_text::{cell, code, code_cell, html, inline};
use super::sections::{self, Segment};
use super::text::printable_owned;
use crate::{Connects, Report, Status, Verdict};

/// One report as Markdown.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    write_report(&mut out, report, "##");
    printable_owned(out)
}

/// A catalog run: a table with one line per scenario run, then the failing ones in full.
pub fn markdown_catalog(reports: &[Report]) -> String {
    let mut out = String::new();
    let judged: Vec<&Report> = reports
        .iter()
        .filter(|r| !r.expectations.is_empty())
        .collect();
    let failing: Vec<&Report> = judged
        .iter()
        .copied()
        .filter(|r| !r.met_expectations())
        .collect();
    let mark = if failing.is_empty() { "✅" } else { "❌" };
    let _ = writeln!(out, "## {mark} MCP OAuth catalog run\n");
    let _ = writeln!(
        out,
        "**{} scenario runs:** {} as expected, {} not as expected{}.\n",
        reports.len(),
        judged.len() - failing.len(),
        failing.len(),
        match reports.len() - judged.len() {
            0 => String::new(),
            n => format!(", {n} unjudged"),
        }
    );
    let _ = writeln!(
        out,
        "| | Scenario | Profile | Health | Diagnosis | Expectations | Checks |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for report in reports {
        let met = report.expectations.iter().filter(|e| e.met).count();
        let (mark, expectations) = if report.expectations.is_empty() {
            ("➖", "unjudged".to_owned())
        } else if report.met_expectations() {
            ("✅", format!("{met}/{} met", report.expectations.len()))
        } else {
            ("❌", format!("{met}/{} met", report.expectations.len()))
        };
        let diagnosis = report
            .outcome
            .diagnosis
            .as_ref()
            .map_or_else(|| "none".to_owned(), |d| code_cell(&d.code));
        let s = &report.summary;
        let _ = writeln!(
            out,
            "| {mark} | {} | {} | {} | {diagnosis} | {expectations} | {} ok, {} failed, {} warnings |",
            code_cell(report.scenario.as_deref().unwrap_or(&report.target.url)),
            code_cell(&report.profile),
            report.outcome.health.as_str(),
            s.success,
            s.failure,
            s.warning
        );
    }
    if !failing.is_empty() {
        let _ = writeln!(out, "\n## Not as expected\n");
        for report in failing {
            write_report(&mut out, report, "###");
        }
    }
    printable_owned(out)
}

fn write_report(out: &mut String, report: &Report, level: &str) {
    let title = report.scenario.as_deref().unwrap_or(&report.target.url);
    let (pass, line) = headline(report);
    let mark = if pass { "✅" } else { "❌" };
    let _ = writeln!(out, "{level} {mark} MCP OAuth report: {}\n", inline(title));
    let _ = writeln!(out, "- **Verdict:** {line}");
    if let Some(verdict) = &report.verdict {
        let _ = writeln!(out, "- **Connects:** {}", connects_line(verdict));
    }
    match &report.outcome.diagnosis {
        Some(d) => {
            let _ = writeln!(
                out,
                "- **Diagnosis:** {}: {}",
                code(&d.code),
                inline(&d.message)
            );
            let _ = writeln!(
                out,
                "- **Fix** (by {}): {}",
                d.party.who(),
                inline(&d.remedy)
            );
            if d.confirmed_by.is_some() {
                let _ = writeln!(out, "- **Confirmed by:** experiment");
            }
            for candidate in &d.candidates {
                let _ = writeln!(out, "- **Candidate:** {}", inline(candidate));
            }
        }
        None => {
            let _ = writeln!(out, "- **Diagnosis:** none");
        }
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "- **Checks:** {} total, {} passed, {} failed, {} warnings, {} skipped, {} info",
        s.total, s.success, s.failure, s.warning, s.skipped, s.info
    );
    let _ = writeln!(
        out,
        "- **Target:** {} ({}), profile {}, health {}\n",
        code(&report.target.url),
        report.target.kind.as_str(),
        code(&report.profile),
        report.outcome.health.as_str()
    );
    if let Some(verdict) = &report.verdict {
        write_verdict(out, verdict);
    }
    if !report.expectations.is_empty() {
        write_expectations(out, report);
    }
    for segment in sections::timeline(report) {
        write_segment(out, &segment);
    }
}

fn headline(report: &Report) -> (bool, String) {
    if !report.expectations.is_empty() {
        let total = report.expectations.len();
        let unmet = report.expectations.iter().filter(|e| !e.met).count();
        return if unmet == 0 {
            (
                true,
                format!("as expected: every expectation met ({total}/{total})"),
            )
        } else {
            (
                false,
                format!("not as expected: {unmet} of {total} expectations not met"),
            )
        };
    }
    match report.summary.failure {
        0 => (true, "no failed checks".to_owned()),
        n => (false, format!("{n} failed checks")),
    }
}

fn connects_line(verdict: &Verdict) -> String {
    verdict
        .profiles
        .iter()
        .map(|p| format!("{} {}", code(&p.profile), connects(p.connects)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn connects(c: Connects) -> &'static str {
    match c {
        Connects::Yes => "✅ yes",
        Connects::WithClientId => "🔑 with a Client ID",
        Connects::No => "❌ no",
    }
}

fn write_expectations(out: &mut String, report: &Report) {
    let met = report.expectations.iter().filter(|e| e.met).count();
    let open = if report.met_expectations() {
        ""
    } else {
        " open"
    };
    let _ = writeln!(
        out,
        "<details{open}><summary>Expectations ({met}/{} met)</summary>\n",
        report.expectations.len()
    );
    let _ = writeln!(out, "| | Expectation | Expected | Actual |");
    let _ = writeln!(out, "|---|---|---|---|");
    for e in &report.expectations {
        let mark = if e.met { "✅" } else { "❌" };
        let _ = writeln!(
            out,
            "| {mark} | {} | {} | {} |",
            cell(&e.description),
            cell(&e.expected),
            cell(&e.actual)
        );
    }
    let _ = writeln!(out, "\n</details>\n");
}

/// One step segment: its verdict in the summary line, its checks in the table.
fn write_segment(out: &mut String, segment: &Segment<'_>) {
    if segment.checks.is_empty() {
        return;
    }
    let s = segment.summary();
    let worst = segment.worst().unwrap_or(Status::Success);
    let open = if matches!(worst, Status::Failure) {
        " open"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "<details{open}><summary>{} {} (<code>{}</code>): {} passed, {} failed, {} warnings; worst {}</summary>\n",
        badge(worst),
        html(&segment.title()),
        html(segment.step),
        s.success,
        s.failure,
        s.warning,
        worst.as_str()
    );
    let _ = writeln!(out, "| Status | Check | Spec | Notes |");
    let _ = writeln!(out, "|---|---|---|---|");
    for check in &segment.checks {
        let specs: Vec<String> = check
            .spec_references
            .iter()
            .map(|r| spec_link(&r.id, &r.url))
            .collect();
        let mut notes = check.error_message.clone().unwrap_or_default();
        if let (Some(remedy), true) = (&check.remedy, is_problem(check.status)) {
            if !notes.is_empty() {
                notes.push(' ');
            }
            notes.push_str("Fix: ");
            notes.push_str(remedy);
        }
        let _ = writeln!(
            out,
            "| {} | {} {} | {} | {} |",
            badge(check.status),
            code_cell(&check.id),
            cell(&check.name),
            specs.join(", "),
            cell(&notes)
        );
    }
    let _ = writeln!(out, "\n</details>\n");
}

/// The compatibility verdict: one row per profile, then the fix that matters most.
fn write_verdict(out: &mut String, verdict: &Verdict) {
    if let Some(fix) = &verdict.top_fix {
        let _ = writeln!(
            out,
            "**Fix first** ({}, for {}, by {}): {}\n",
            code(&fix.code),
            inline(&fix.profiles.join(", ")),
            fix.party.who(),
            inline(&fix.remedy)
        );
    }
    let _ = writeln!(out, "<details><summary>Compatibility</summary>\n");
    let _ = writeln!(
        out,
        "| Profile | Connects | Evidence | Diagnosis | Departs at |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    for p in &verdict.profiles {
        let evidence = if p.verified {
            "observed".to_owned()
        } else {
            format!(
                "inferred: {}",
                p.inferred_because.as_deref().unwrap_or("not observed")
            )
        };
        let diagnosis = p.diagnosis.as_ref().map_or_else(
            || "none".to_owned(),
            |d| {
                format!(
                    "{} ({}): {}",
                    code_cell(&d.code),
                    d.party.as_str(),
                    cell(&d.message)
                )
            },
        );
        let departs = p
            .departs_at
            .as_deref()
            .map_or_else(|| "-".to_owned(), code_cell);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {diagnosis} | {departs} |",
            code_cell(&p.profile),
            connects(p.connects),
            cell(&evidence)
        );
    }
    for left in &verdict.left_behind {
        let _ = writeln!(
            out,
            "\nLeft behind: client {} registered by {} ({}).",
            code(&left.client_id),
            inline(&left.registered_by),
            inline(&left.reason)
        );
    }
    let _ = writeln!(out, "\n</details>\n");
}

fn is_problem(status: Status) -> bool {
    matches!(status, Status::Failure | Status::Warning)
}

fn badge(status: Status) -> &'static str {
    match status {
        Status::Success => "✅ SUCCESS",
        Status::Failure => "❌ FAILURE",
        Status::Warning => "⚠️ WARNING",
        Status::Skipped => "⏭️ SKIPPED",
        Status::Info => "ℹ️ INFO",
    }
}

/// A spec reference as a link when its address is a plain web URL, else as text.
fn spec_link(id: &str, url: &str) -> String {
    let plain = (url.starts_with("https://") || url.starts_with("http://"))
        && !url.contains(|c: char| {
            c.is_whitespace() || c.is_control() || matches!(c, '(' | ')' | '<' | '>' | '`' | '|')
        });
    if plain {
        format!("[{}]({url})", cell(id))
    } else {
        format!("{} {}", cell(id), code_cell(url))
    }
}
