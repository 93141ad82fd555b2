use std::fmt::Write;

use super::text::printable;
use crate::{Connects, Report, Status, Verdict};

/// The report as Markdown, for pull-request comments and people reading a CI log.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let title = report.scenario.as_deref().unwrap_or(&report.target.url);
    let _ = writeln!(out, "# MCP OAuth report: {}\n", escape(title));
    if let Some(verdict) = &report.verdict {
        write_verdict(&mut out, verdict);
    }
    let _ = writeln!(out, "- **Target:** `{}`", report.target.url);
    let _ = writeln!(out, "- **Profile:** `{}`", report.profile);
    let _ = writeln!(out, "- **Health:** {}", report.outcome.health.as_str());
    match &report.outcome.diagnosis {
        Some(d) => {
            let _ = writeln!(out, "- **Diagnosis:** `{}`: {}", d.code, escape(&d.message));
            let _ = writeln!(out, "- **Fix:** {}", escape(&d.remedy));
        }
        None => {
            let _ = writeln!(out, "- **Diagnosis:** none");
        }
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "- **Checks:** {} total, {} passed, {} failed, {} warnings, {} skipped, {} info\n",
        s.total, s.success, s.failure, s.warning, s.skipped, s.info
    );

    if !report.expectations.is_empty() {
        let met = report.expectations.iter().filter(|e| e.met).count();
        let _ = writeln!(
            out,
            "## Expectations ({met}/{} met)\n",
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
        out.push('\n');
    }

    let _ = writeln!(out, "## Checks\n");
    let _ = writeln!(out, "| Status | Step | Check | Spec | Notes |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for check in &report.checks {
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
            "| {} | {} | `{}` {} | {} | {} |",
            badge(check.status),
            check.step,
            check.id,
            cell(&check.name),
            specs.join(", "),
            cell(&notes)
        );
    }
    printable(out)
}

/// The compatibility verdict: one row per profile, then the fix that matters most.
fn write_verdict(out: &mut String, verdict: &Verdict) {
    let _ = writeln!(out, "## Compatibility\n");
    let _ = writeln!(
        out,
        "| Profile | Connects | Evidence | Diagnosis | Departs at |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    for p in &verdict.profiles {
        let connects = match p.connects {
            Connects::Yes => "✅ yes",
            Connects::WithClientId => "🔑 with a Client ID",
            Connects::No => "❌ no",
        };
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
            |d| format!("`{}`: {}", d.code, d.message),
        );
        let departs = p
            .departs_at
            .as_deref()
            .map_or_else(|| "-".to_owned(), |s| format!("`{s}`"));
        let _ = writeln!(
            out,
            "| `{}` | {connects} | {} | {} | {departs} |",
            p.profile,
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
    out.push('\n');
    if let Some(fix) = &verdict.top_fix {
        let _ = writeln!(
            out,
            "**Fix first** (`{}`, for {}): {}\n",
            fix.code,
            fix.profiles.join(", "),
            escape(&fix.remedy)
        );
    }
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
