//! How results reach people and files: the terminal settings (`-v`, `-q`, colour), the
//! human text of scenario runs, and `--out DIR`, which writes the chosen format and JSON
//! under the same names for `run`, `check`, `serve` and `test-client`:
//!
//! - `DIR/<name>.json` for every report, always (JSON is the contract);
//! - the chosen format beside it: `<name>.md`, `<name>.html`, `<name>.txt` (human), or one
//!   `DIR/junit.xml` for all reports;
//! - `DIR/summary.json`, and with Markdown `DIR/summary.md`, for the whole run.
//!
//! Text for the terminal is built in a `TerminalText` (which shows control characters,
//! escape sequences and invisible characters escaped) or goes out through [`stdout_line`] and
//! [`stderr_line`], which do the same: reports and errors carry text from servers, clients
//! and files.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::OnceLock;

use mcp_oauth_reports::Report;
use mcp_oauth_reports::render::text::{one_line, printable};
use mcp_oauth_reports::render::{self, TerminalStyle, TerminalText};
use serde_json::Value;

use super::Format;

/// How much the terminal shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Verbosity {
    /// Only failures and the final count (`-q`).
    Quiet,
    #[default]
    Normal,
    /// Each run's step timeline with its failed and warning checks and their fixes (`-v`).
    Verbose,
}

/// The process's terminal settings, fixed once at start-up.
#[derive(Debug, Clone, Copy, Default)]
pub struct Terminal {
    pub verbosity: Verbosity,
    pub style: TerminalStyle,
}

impl Terminal {
    pub fn quiet(self) -> bool {
        self.verbosity == Verbosity::Quiet
    }

    pub fn verbose(self) -> bool {
        self.verbosity == Verbosity::Verbose
    }
}

static TERMINAL: OnceLock<Terminal> = OnceLock::new();

/// Colour only on a terminal, and never when `NO_COLOR` is set to anything non-empty
/// (https://no-color.org).
pub fn colour_wanted(is_terminal: bool, no_color: Option<&str>) -> bool {
    is_terminal && no_color.is_none_or(str::is_empty)
}

pub fn init(verbose: bool, quiet: bool) {
    let verbosity = match (verbose, quiet) {
        (_, true) => Verbosity::Quiet,
        (true, false) => Verbosity::Verbose,
        (false, false) => Verbosity::Normal,
    };
    let no_color = std::env::var("NO_COLOR").ok();
    let colour = colour_wanted(std::io::stdout().is_terminal(), no_color.as_deref());
    let _ = TERMINAL.set(Terminal {
        verbosity,
        style: TerminalStyle { colour },
    });
}

pub fn terminal() -> Terminal {
    TERMINAL.get().copied().unwrap_or_default()
}

/// A line on stdout, shown printable; a reader that went away (`| head`) is not an error.
pub(crate) fn stdout_line(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{}", printable(text));
}

/// A line on stderr (errors, notes), shown printable: an error can quote a server.
pub(crate) fn stderr_line(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{}", printable(text));
}

/// The name a report's files get: the scenario (with `@profile` when several ran), else the
/// name the caller gives (a target's name).
pub fn file_name(report: &Report) -> String {
    let name = report.scenario.as_deref().unwrap_or("report");
    // A name from a target file or a scenario never contains a path separator, but a file
    // name is no place to find out.
    name.replace(['/', '\\'], "_")
}

/// Writes `--out DIR` for one command's reports, named by `names` (same order).
pub fn write_out(
    dir: &Path,
    format: Format,
    reports: &[(String, &Report)],
    junit: impl FnOnce() -> String,
    human: impl Fn(&Report) -> String,
    summary: &Value,
) -> Result<(), String> {
    // Never through a symbolic link at a report's path (crate::private_files).
    let write = |name: &str, text: String| {
        crate::private_files::write_report(&dir.join(name), text.as_bytes())
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for (name, report) in reports {
        write(&format!("{name}.json"), render::json(report))?;
        match format {
            Format::Json | Format::Junit => {}
            Format::Markdown => write(&format!("{name}.md"), render::markdown(report))?,
            Format::Html => write(&format!("{name}.html"), render::html(report))?,
            Format::Human => write(&format!("{name}.txt"), human(report))?,
        }
    }
    if format == Format::Junit {
        write("junit.xml", junit())?;
    }
    if format == Format::Markdown && reports.len() > 1 {
        let all: Vec<Report> = reports.iter().map(|(_, r)| (*r).clone()).collect();
        write("summary.md", render::markdown_catalog(&all))?;
    }
    write("summary.json", render::json_text(summary))
}

/// Scenario runs (`run`) for people: one line per run (failures only with `-q`), the unmet
/// expectations, with `-v` each run's step timeline, then the final count.
pub fn scenario_runs(reports: &[Report], terminal: Terminal) -> String {
    use std::fmt::Write as _;
    let mut out = TerminalText::new(terminal.style);
    let width = reports
        .iter()
        .filter_map(|r| r.scenario.as_ref().map(String::len))
        .max()
        .unwrap_or(0);
    let (mut passed, mut failed, mut unjudged) = (0, 0, 0);
    for report in reports {
        let met = report.met_expectations();
        let (verdict, status) = match (report.expectations.is_empty(), met) {
            (true, _) => ("RAN ", mcp_oauth_reports::Status::Info),
            (false, true) => ("PASS", mcp_oauth_reports::Status::Success),
            (false, false) => ("FAIL", mcp_oauth_reports::Status::Failure),
        };
        match (report.expectations.is_empty(), met) {
            (true, _) => unjudged += 1,
            (false, true) => passed += 1,
            (false, false) => failed += 1,
        }
        if terminal.quiet() && (met || report.expectations.is_empty()) {
            continue;
        }
        let name = one_line(report.scenario.as_deref().unwrap_or(""));
        let diagnosis = report
            .outcome
            .diagnosis
            .as_ref()
            .map_or(String::new(), |d| {
                format!("  diagnosis: {} ({})", one_line(&d.code), d.party.as_str())
            });
        let s = &report.summary;
        out.paint(status, verdict);
        let _ = writeln!(
            out,
            " {name:width$}  {:9}  checks: {} ok, {} failed, {} warnings{diagnosis}",
            report.outcome.health.as_str(),
            s.success,
            s.failure,
            s.warning,
        );
        unmet_expectations(&mut out, report);
        if terminal.verbose() {
            render::timeline(report, &mut out);
        }
    }
    let _ = writeln!(out, "\nscenarios: {passed} passed, {failed} failed");
    if unjudged > 0 && !terminal.quiet() {
        let _ = writeln!(
            out,
            "({unjudged} ran unjudged: they do not declare the profile given with --profile)"
        );
    }
    out.into_string()
}

/// One line per expectation a run did not meet, under its summary line.
pub(crate) fn unmet_expectations(out: &mut TerminalText, report: &mcp_oauth_reports::Report) {
    use std::fmt::Write as _;
    for e in report.expectations.iter().filter(|e| !e.met) {
        let _ = writeln!(
            out,
            "       expected {}: {} (got {})",
            one_line(&e.description),
            one_line(&e.expected),
            one_line(&e.actual)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::hostile_text;

    #[test]
    fn scenario_runs_show_hostile_text_escaped_at_every_verbosity() {
        let reports = [hostile_text::report()];
        for verbosity in [Verbosity::Quiet, Verbosity::Normal, Verbosity::Verbose] {
            for colour in [false, true] {
                let terminal = Terminal {
                    verbosity,
                    style: TerminalStyle { colour },
                };
                let out = scenario_runs(&reports, terminal);
                hostile_text::assert_inert(&hostile_text::without_colours(&out));
                assert_eq!(colour, out.contains('\u{1b}'), "{out}");
            }
        }
    }

    #[test]
    fn colour_needs_a_terminal_and_no_no_color() {
        assert!(colour_wanted(true, None));
        assert!(colour_wanted(true, Some("")));
        assert!(!colour_wanted(true, Some("1")));
        assert!(!colour_wanted(false, None));
    }
}
