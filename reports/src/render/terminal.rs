//! The terminal's view of one report: marks for each status (coloured when asked), the step
//! timeline with the failed and warning checks and their fixes (`-v`), and the one-line
//! problem list (`-q`). The caller decides about colour (a TTY, `NO_COLOR`).

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use super::sections;
use super::text::printable;
use crate::{Report, Status};

/// How terminal text is drawn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TerminalStyle {
    /// ANSI colours (only when stdout is a terminal and `NO_COLOR` is unset).
    pub colour: bool,
}

impl TerminalStyle {
    /// `text` in the colour of `status`, or plain.
    pub fn paint(self, status: Status, text: &str) -> String {
        if !self.colour {
            return text.to_owned();
        }
        let colour = match status {
            Status::Success => AnsiColor::Green,
            Status::Failure => AnsiColor::Red,
            Status::Warning => AnsiColor::Yellow,
            Status::Skipped | Status::Info => AnsiColor::BrightBlack,
        };
        let style = Style::new().fg_color(Some(colour.into())).bold();
        format!("{style}{text}{style:#}")
    }

    /// A four-letter mark: PASS, FAIL, WARN, SKIP, INFO.
    pub fn mark(self, status: Status) -> String {
        self.paint(status, mark(status))
    }
}

pub fn mark(status: Status) -> &'static str {
    match status {
        Status::Success => "PASS",
        Status::Failure => "FAIL",
        Status::Warning => "WARN",
        Status::Skipped => "SKIP",
        Status::Info => "INFO",
    }
}

/// The step timeline: one line per step segment with its verdict (counts, worst status),
/// and under it each failed or warning check with its message and fix.
pub fn timeline_text(report: &Report, style: TerminalStyle) -> String {
    let mut out = String::new();
    let segments = sections::timeline(report);
    let width = segments
        .iter()
        .map(|s| s.title().chars().count())
        .max()
        .unwrap_or(0);
    for segment in &segments {
        let s = segment.summary();
        let worst = segment.worst().unwrap_or(Status::Info);
        let _ = writeln!(
            out,
            "    {} {:width$}  {} passed, {} failed, {} warnings{}",
            style.mark(worst),
            segment.title(),
            s.success,
            s.failure,
            s.warning,
            match segment.exchanges.len() {
                0 => String::new(),
                n => format!("  ({n} HTTP exchanges)"),
            }
        );
        for check in segment
            .checks
            .iter()
            .filter(|c| matches!(c.status, Status::Failure | Status::Warning))
        {
            let _ = writeln!(
                out,
                "         {} {}: {}",
                style.mark(check.status),
                check.id,
                check.name
            );
            if let Some(message) = &check.error_message {
                let _ = writeln!(out, "              {message}");
            }
            if let Some(remedy) = &check.remedy {
                let _ = writeln!(out, "              fix: {remedy}");
            }
        }
    }
    printable(out)
}
