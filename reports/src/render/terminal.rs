//! The terminal's view of one report: marks for each status (coloured when asked), the step
//! timeline with the failed and warning checks and their fixes (`-v`), and the one-line
//! problem list (`-q`). The caller decides about colour (a TTY, `NO_COLOR`).
//!
//! Terminal text is built in a [`TerminalText`]: whatever is written to it is shown
//! printable (`text::printable`), so a value from a server, a client or a file cannot drive
//! the terminal; colour enters only through its `paint` and `mark`, from the renderer's own
//! words.

use std::fmt::{self, Write};

use anstyle::{AnsiColor, Style};

use super::sections;
use super::text::{one_line, printable};
use crate::{Report, Status};

/// How terminal text is drawn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TerminalStyle {
    /// ANSI colours (only when stdout is a terminal and `NO_COLOR` is unset).
    pub colour: bool,
}

impl TerminalStyle {
    /// `word` in the colour of `status`, or plain. Only the renderers' own words are painted
    /// (hence `'static`), and only into a [`TerminalText`], which escapes all else.
    fn paint(self, status: Status, word: &'static str) -> String {
        if !self.colour {
            return word.to_owned();
        }
        let colour = match status {
            Status::Success => AnsiColor::Green,
            Status::Failure => AnsiColor::Red,
            Status::Warning => AnsiColor::Yellow,
            Status::Skipped | Status::Info => AnsiColor::BrightBlack,
        };
        let style = Style::new().fg_color(Some(colour.into())).bold();
        format!("{style}{word}{style:#}")
    }
}

/// Text on its way to a terminal. Everything written with `write!` is shown printable:
/// control characters, escape sequences and invisible format characters escaped, line breaks
/// and tabs kept (a single-line field goes through [`one_line`] too). The only escape
/// sequences in the result are the colours of `paint` and `mark`.
#[derive(Debug, Default)]
pub struct TerminalText {
    text: String,
    style: TerminalStyle,
}

impl TerminalText {
    pub fn new(style: TerminalStyle) -> Self {
        Self {
            text: String::new(),
            style,
        }
    }

    /// One of the renderer's own words in the colour of `status` (or plain).
    pub fn paint(&mut self, status: Status, word: &'static str) {
        self.text.push_str(&self.style.paint(status, word));
    }

    /// A four-letter mark: PASS, FAIL, WARN, SKIP, INFO, coloured when asked.
    pub fn mark(&mut self, status: Status) {
        self.paint(status, mark(status));
    }

    /// Text already made terminal-safe by another `TerminalText`, colours kept.
    pub fn append(&mut self, other: TerminalText) {
        self.text.push_str(&other.text);
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub fn into_string(self) -> String {
        self.text
    }
}

impl Write for TerminalText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.text.push_str(&printable(s));
        Ok(())
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
    let mut out = TerminalText::new(style);
    timeline(report, &mut out);
    out.into_string()
}

/// [`timeline_text`], written into `out`.
pub fn timeline(report: &Report, out: &mut TerminalText) {
    let segments = sections::timeline(report);
    let width = segments
        .iter()
        .map(|s| s.title().chars().count())
        .max()
        .unwrap_or(0);
    for segment in &segments {
        let s = segment.summary();
        let worst = segment.worst().unwrap_or(Status::Info);
        let _ = write!(out, "    ");
        out.mark(worst);
        let _ = writeln!(
            out,
            " {:width$}  {} passed, {} failed, {} warnings{}",
            one_line(&segment.title()),
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
            let _ = write!(out, "         ");
            out.mark(check.status);
            let _ = writeln!(out, " {}: {}", one_line(&check.id), one_line(&check.name));
            if let Some(message) = &check.error_message {
                let _ = writeln!(out, "              {}", one_line(message));
            }
            if let Some(remedy) = &check.remedy {
                let _ = writeln!(out, "              fix: {}", one_line(remedy));
            }
        }
    }
}
