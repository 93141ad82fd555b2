//! The human-readable rendering of `check` results: the verdict table, the baseline lines and
//! one run's checks, as printed to a terminal.
//!
//! Written into a `TerminalText`, so whatever a server, a client or a targets file put in a
//! report is shown escaped; each value shown on a line of its own making goes through
//! `one_line`, so that it cannot start a line that reads like this tool's.

use std::fmt::Write as _;

use mcp_oauth_reports::render::sections;
use mcp_oauth_reports::render::text::one_line;
use mcp_oauth_reports::render::{TerminalText, mark};
use mcp_oauth_reports::{Connects, Status, Verdict};

use crate::check::CheckRun;
use crate::cli::output::Terminal;

pub(super) fn connects(c: Connects) -> &'static str {
    match c {
        Connects::Yes => "yes",
        Connects::WithClientId => "with a Client ID",
        Connects::No => "no",
    }
}

/// One target, for people: the verdict first, then every check, then the baseline.
pub fn human(out: &mut String, run: &CheckRun, strict: bool) {
    let mut text = TerminalText::default();
    human_with(&mut text, run, strict, Terminal::default());
    out.push_str(&text.into_string());
}

/// As [`human`]; `-q` lists only the failed checks, `-v` adds the step timeline.
pub fn human_with(out: &mut TerminalText, run: &CheckRun, strict: bool, terminal: Terminal) {
    let report = &run.report;
    let _ = writeln!(
        out,
        "{} ({}, consent: {})\n",
        one_line(&report.target.url),
        one_line(&report.profile),
        run.consent
    );
    if let Some(verdict) = &report.verdict {
        human_verdict(out, verdict);
    }
    resource_server_block(out, &report.checks);
    let _ = writeln!(out, "Checks");
    let width = report.checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
    // One section per step segment, its verdict first: generic in the step name, so a
    // step such as `resource-server` reads "Resource server" without being known here.
    for segment in sections::timeline(report) {
        let s = segment.summary();
        let worst = segment.worst().unwrap_or(Status::Info);
        if terminal.quiet() && s.failure == 0 {
            continue;
        }
        let _ = write!(
            out,
            "  {} ({}): {} passed, {} failed, {} warnings; worst ",
            one_line(&segment.title()),
            one_line(segment.step),
            s.success,
            s.failure,
            s.warning,
        );
        out.paint(worst, worst.as_str());
        let _ = writeln!(out);
        for check in &segment.checks {
            if terminal.quiet() && check.status != Status::Failure {
                continue;
            }
            let _ = write!(out, "    ");
            out.mark(check.status);
            let _ = writeln!(
                out,
                " {:width$}  {}",
                one_line(&check.id),
                one_line(&check.name)
            );
            let indent = " ".repeat(11);
            if check.status != Status::Success
                && let Some(message) = &check.error_message
            {
                let _ = writeln!(out, "{indent}{}", one_line(message));
            }
            if matches!(check.status, Status::Failure | Status::Warning)
                && let Some(remedy) = &check.remedy
            {
                let _ = writeln!(out, "{indent}fix: {}", one_line(remedy));
            }
        }
        if terminal.verbose() {
            for x in &segment.exchanges {
                let answer = match (&x.response, &x.error) {
                    (Some(r), _) => r.status.to_string(),
                    (None, Some(e)) => format!("error: {}", one_line(e)),
                    (None, None) => "no response".to_owned(),
                };
                let _ = writeln!(
                    out,
                    "      http {} {} -> {answer}",
                    one_line(&x.request.method),
                    one_line(&x.request.url)
                );
            }
        }
    }
    if let Some(d) = &report.outcome.diagnosis {
        let _ = writeln!(
            out,
            "\nDiagnosis ({}): [{}] {}\n  fix (by {}): {}",
            one_line(&report.profile),
            one_line(&d.code),
            one_line(&d.message),
            d.party.who(),
            one_line(&d.remedy)
        );
        evidence_lines(out, d, "  ");
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "\n{} checks: {} passed, {} failed, {} warnings, {} skipped, {} info; health {}",
        s.total,
        s.success,
        s.failure,
        s.warning,
        s.skipped,
        s.info,
        report.outcome.health.as_str()
    );
    baseline_lines(out, run);
    let _ = writeln!(
        out,
        "Result: {}{}\n",
        if run.passed() { "PASS" } else { "FAIL" },
        if strict {
            " (strict: warnings count)"
        } else {
            ""
        }
    );
}

pub(super) fn human_verdict(out: &mut TerminalText, verdict: &Verdict) {
    let _ = writeln!(out, "Compatibility");
    let width = verdict
        .profiles
        .iter()
        .map(|p| p.profile.len())
        .max()
        .unwrap_or(0);
    let _ = writeln!(
        out,
        "  {:width$}  {:14}  {:8}  {:44}  departs at",
        "profile", "connects", "evidence", "diagnosis"
    );
    for p in &verdict.profiles {
        let evidence = if p.verified { "observed" } else { "inferred" };
        let code = p.diagnosis.as_ref().map_or_else(
            || "none".to_owned(),
            |d| format!("{} ({})", one_line(&d.code), d.party.as_str()),
        );
        let _ = writeln!(
            out,
            "  {:width$}  {:14}  {evidence:8}  {code:44}  {}",
            one_line(&p.profile),
            connects(p.connects),
            one_line(p.departs_at.as_deref().unwrap_or("-"))
        );
        if let Some(d) = &p.diagnosis {
            let _ = writeln!(out, "  {:width$}    {}", "", one_line(&d.message));
            evidence_lines(out, d, &format!("  {:width$}    ", ""));
        }
        if let Some(why) = &p.inferred_because {
            let _ = writeln!(out, "  {:width$}    inferred: {}", "", one_line(why));
        }
    }
    for left in &verdict.left_behind {
        let _ = writeln!(
            out,
            "  left behind: client {} registered by {} ({})",
            one_line(&left.client_id),
            one_line(&left.registered_by),
            one_line(&left.reason)
        );
    }
    match &verdict.top_fix {
        Some(fix) => {
            let _ = writeln!(
                out,
                "\nFix first ({}, for {}, by {}):\n  {}\n",
                one_line(&fix.code),
                one_line(&fix.profiles.join(", ")),
                fix.party.who(),
                one_line(&fix.remedy)
            );
        }
        None => {
            let _ = writeln!(out, "\nNothing to fix.\n");
        }
    }
}

/// How a diagnosis's cause was singled out, or the candidates when it was not.
fn evidence_lines(out: &mut TerminalText, d: &mcp_oauth_reports::Diagnosis, indent: &str) {
    if d.confirmed_by.is_some() {
        let _ = writeln!(
            out,
            "{indent}confirmed by experiment: the failing flow ran again with the cause alone changed"
        );
    }
    for candidate in &d.candidates {
        let _ = writeln!(out, "{indent}candidate: {}", one_line(candidate));
    }
}

pub(super) fn baseline_lines(out: &mut TerminalText, run: &CheckRun) {
    let result = &run.result;
    match &run.baseline {
        Some(baseline) => {
            let _ = writeln!(
                out,
                "Baseline {}: {} expected failures, {} unexpected, {} stale",
                baseline.path.display(),
                result.expected_failures.len(),
                result.unexpected_failures.len(),
                result.stale_entries.len()
            );
            for entry in &result.expected_failures {
                let _ = writeln!(out, "  ~ {} (known failure)", one_line(entry));
            }
            for entry in &result.unexpected_failures {
                let _ = writeln!(out, "  x {} (not in the baseline)", one_line(entry));
            }
            for entry in &result.stale_entries {
                let _ = writeln!(
                    out,
                    "  ! {} (stale: it passes now; remove it from the baseline)",
                    one_line(entry)
                );
            }
        }
        None if !result.unexpected_failures.is_empty() => {
            let _ = writeln!(
                out,
                "Failed: {}",
                one_line(&result.unexpected_failures.join(", "))
            );
        }
        None => {}
    }
}

pub(super) fn verdict_line(verdict: Option<&Verdict>) -> String {
    verdict
        .map(|v| {
            v.profiles
                .iter()
                .map(|p| {
                    let how = if p.verified { "observed" } else { "inferred" };
                    format!("{} {} ({how})", one_line(&p.profile), connects(p.connects))
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// The "Resource server" block: whether the MCP server's token validation is sound, first,
/// then each probe that failed or warned with its fix, and what was not observed.
pub(super) fn resource_server_block(out: &mut TerminalText, checks: &[mcp_oauth_reports::Check]) {
    let probes: Vec<_> = checks
        .iter()
        .filter(|c| c.step == crate::check::resource_server::STEP)
        .collect();
    if probes.is_empty() {
        return;
    }
    let count = |status: Status| probes.iter().filter(|c| c.status == status).count();
    let (failed, warned) = (count(Status::Failure), count(Status::Warning));
    let verdict = match (failed, warned) {
        (0, 0) => "token validation sound".to_owned(),
        (0, w) => format!("token validation sound, {w} warning(s)"),
        (f, _) => format!("token validation unsound: {f} probe(s) failed"),
    };
    let _ = writeln!(
        out,
        "Resource server: {verdict}\n  {} probes: {} passed, {failed} failed, {warned} warnings, {} not observed or informational",
        probes.len(),
        count(Status::Success),
        count(Status::Info) + count(Status::Skipped)
    );
    for check in &probes {
        if matches!(check.status, Status::Success) {
            continue;
        }
        let _ = writeln!(out, "  {} {}", mark(check.status), one_line(&check.id));
        if let Some(message) = &check.error_message {
            let _ = writeln!(out, "       {}", one_line(message));
        }
        if matches!(check.status, Status::Failure | Status::Warning)
            && let Some(remedy) = &check.remedy
        {
            let _ = writeln!(out, "       fix: {}", one_line(remedy));
        }
    }
    let _ = writeln!(out);
}
