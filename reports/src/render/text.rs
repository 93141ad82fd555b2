//! Text hygiene for everything shown to people or CI: the one sanitizer for text that came from
//! outside (a server's error description, a client's request, a targets file's name).
//!
//! A server under test can put terminal escapes in an error description: printed raw, a CSI
//! sequence (`ESC [ 2J`) clears or recolours the terminal or CI log, an OSC sequence
//! (`ESC ] 8 ;; URL BEL`) hides a link behind innocent text, a carriage return overwrites the
//! line already shown, and a bidi override (U+202E) makes text read backwards. Most of these
//! are not allowed in XML 1.0 either. So every such character is shown as an escape instead,
//! in the form JSON uses (`\u001b`, `\u202e`, `\n`), which keeps the reader's view of what was
//! sent and keeps a JSON text valid and exact when applied to it. Escaping the introducer (ESC,
//! the C1 CSI) is enough to make a whole escape sequence inert text.

use std::borrow::Cow;
use std::fmt::Write;

/// Shows every hidden character escaped, keeping line breaks and tabs: for text of several
/// lines (a rendered report, an error message with a caret under a file's line).
pub fn printable(text: &str) -> Cow<'_, str> {
    escaped(text, Lines::Kept)
}

/// As [`printable`], and line breaks and tabs escaped too (`\n`, `\t`): for a field shown on
/// one line, so that a value cannot start a line of its own that reads like the tool's.
pub fn one_line(text: &str) -> Cow<'_, str> {
    escaped(text, Lines::Escaped)
}

/// [`printable`] for a whole rendered document, without a copy when nothing is hidden.
/// Renderers apply it to their whole output: their templates contain no hidden characters,
/// so no interpolated value can be forgotten.
pub(crate) fn printable_owned(text: String) -> String {
    match escaped(&text, Lines::Kept) {
        Cow::Borrowed(_) => text,
        Cow::Owned(shown) => shown,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lines {
    Kept,
    Escaped,
}

fn escaped(text: &str, lines: Lines) -> Cow<'_, str> {
    if !text.chars().any(|c| hidden(c, lines)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !hidden(c, lines) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            _ => {
                // UTF-16 units, as JSON spells a character outside the BMP.
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    Cow::Owned(out)
}

/// Whether `c` is shown escaped: control characters (C0, DEL, C1; a carriage return too, which
/// rewrites the line on a terminal), invisible format characters (bidi embeddings, overrides,
/// isolates and marks, zero-width characters, tags), the line and paragraph separators, and
/// the two non-characters XML forbids. Line feed and tab only when `lines` says so.
fn hidden(c: char, lines: Lines) -> bool {
    match c {
        '\n' | '\t' => lines == Lines::Escaped,
        '\u{2028}' | '\u{2029}' | '\u{FFFE}' | '\u{FFFF}' => true,
        c => c.is_control() || is_format(c),
    }
}

/// Unicode general category Cf (format characters), as of Unicode 15.1: invisible, and some
/// (U+202A–U+202E, U+2066–U+2069) reorder the text around them.
fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

#[cfg(test)]
mod tests {
    use super::{one_line, printable};

    #[test]
    fn controls_become_visible_and_the_rest_stays() {
        assert_eq!(printable("a\u{1b}[31mb"), "a\\u001b[31mb");
        assert_eq!(
            printable("\u{0}\u{7f}\u{9b}\u{ffff}"),
            "\\u0000\\u007f\\u009b\\uffff"
        );
        let kept = "tab\tline\n é ✅ ⚠️ <&> \\u001b";
        assert_eq!(printable(kept), kept);
    }

    #[test]
    fn escape_sequences_lose_their_introducer() {
        let osc = "\u{1b}]8;;https://evil.example\u{7}click\u{1b}]8;;\u{1b}\\";
        assert_eq!(
            printable(osc),
            "\\u001b]8;;https://evil.example\\u0007click\\u001b]8;;\\u001b\\"
        );
        assert_eq!(printable("\u{1b}[2J"), "\\u001b[2J");
        assert_eq!(printable("over\rwritten"), "over\\rwritten");
    }

    #[test]
    fn bidi_and_invisible_characters_are_named() {
        assert_eq!(printable("abc\u{202e}fed"), "abc\\u202efed");
        assert_eq!(
            printable("\u{2066}\u{2069}\u{200b}\u{feff}\u{2028}"),
            "\\u2066\\u2069\\u200b\\ufeff\\u2028"
        );
        // Outside the BMP as JSON writes it: a surrogate pair.
        assert_eq!(printable("tag\u{e0041}"), "tag\\udb40\\udc41");
    }

    #[test]
    fn one_line_escapes_line_breaks_and_tabs() {
        assert_eq!(
            one_line("first\nResult: PASS\tx"),
            "first\\nResult: PASS\\tx"
        );
        assert_eq!(one_line("plain"), "plain");
    }

    #[test]
    fn escaped_json_stays_the_same_json() {
        let value = serde_json::json!({
            "d": "\u{1b}[2J \u{9b}31m \u{202e} \u{e0001} \u{7f} \\ \"",
        });
        let text = serde_json::to_string_pretty(&value).unwrap();
        let shown = printable(&text);
        assert!(!shown.chars().any(|c| c.is_control() && c != '\n'));
        let back: serde_json::Value = serde_json::from_str(&shown).unwrap();
        assert_eq!(back, value);
    }
}
