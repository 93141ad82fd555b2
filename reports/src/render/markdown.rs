//! Markdown made for a pull-request comment: a few summary lines (verdict, diagnosis, fix,
//! counts) that fit on a screen, then every table folded inside `<details>`, one per step
//! segment (`sections::timeline`) with that step's verdict in its summary line. A whole
//! catalog run ([`markdown_catalog`]) is one summary table, plus the details of only the
//! scenarios that did not turn out as expected.

use std::fmt::Write;

use super::sections::{self, Segment};
use super::text::printable;
use crate::{Connects, Report, Status, Verdict};

/// One report as Markdown.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    write_report(&mut out, report, "##");
    printable(out)
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
            .map_or_else(|| "none".to_owned(), |d| format!("`{}`", d.code));
        let s = &report.summary;
        let _ = writeln!(
            out,
            "| {mark} | `{}` | `{}` | {} | {diagnosis} | {expectations} | {} ok, {} failed, {} warnings |",
            cell(report.scenario.as_deref().unwrap_or(&report.target.url)),
            report.profile,
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
    printable(out)
}

fn write_report(out: &mut String, report: &Report, level: &str) {
    let title = report.scenario.as_deref().unwrap_or(&report.target.url);
    let (pass, line) = headline(report);
    let mark = if pass { "✅" } else { "❌" };
    let _ = writeln!(out, "{level} {mark} MCP OAuth report: {}\n", escape(title));
    let _ = writeln!(out, "- **Verdict:** {line}");
    if let Some(verdict) = &report.verdict {
        let _ = writeln!(out, "- **Connects:** {}", connects_line(verdict));
    }
    match &report.outcome.diagnosis {
        Some(d) => {
            let _ = writeln!(out, "- **Diagnosis:** `{}`: {}", d.code, escape(&d.message));
            let _ = writeln!(
                out,
                "- **Fix** (by {}): {}",
                d.party.who(),
                escape(&d.remedy)
            );
            if d.confirmed_by.is_some() {
                let _ = writeln!(out, "- **Confirmed by:** experiment");
            }
            for candidate in &d.candidates {
                let _ = writeln!(out, "- **Candidate:** {}", escape(candidate));
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
        "- **Target:** `{}` ({}), profile `{}`, health {}\n",
        report.target.url,
        report.target.kind.as_str(),
        report.profile,
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
        .map(|p| format!("`{}` {}", p.profile, connects(p.connects)))
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
        escape(&segment.title()),
        escape(segment.step),
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
            .map(|r| format!("[{}]({})", r.id, r.url))
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
            "| {} | `{}` {} | {} | {} |",
            badge(check.status),
            check.id,
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
            "**Fix first** (`{}`, for {}, by {}): {}\n",
            fix.code,
            fix.profiles.join(", "),
            fix.party.who(),
            escape(&fix.remedy)
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
            |d| format!("`{}` ({}): {}", d.code, d.party.as_str(), d.message),
        );
        let departs = p
            .departs_at
            .as_deref()
            .map_or_else(|| "-".to_owned(), |s| format!("`{s}`"));
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {departs} |",
            p.profile,
            connects(p.connects),
            cell(&evidence),
            cell(&diagnosis)
        );
    }
    for left in &verdict.left_behind {
        let _ = writeln!(
            out,
            "\nLeft behind: client `{}` registered by {} ({}).",
            escape(&left.client_id),
            escape(&left.registered_by),
            escape(&left.reason)
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

/// Escapes what would break Markdown structure in running text.
fn escape(text: &str) -> String {
    text.replace('<', "&lt;").replace('>', "&gt;")
}

/// A table cell: no pipes or newlines, which would split the row.
fn cell(text: &str) -> String {
    escape(text).replace('|', "\\|").replace(['\n', '\r'], " ")
}
