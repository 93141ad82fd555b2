//! Text hygiene shared by the renderers for people and CI.

use std::fmt::Write;

/// Shows control characters as `\u001b`-style text, as the JSON rendering does.
///
/// A server under test can put terminal escapes in an error description; printed raw they would
/// recolour or rewrite the terminal or CI log that shows a report, and most of them are not
/// allowed in XML 1.0 at all. Tab and line breaks stay; so does every other character.
/// Renderers apply this to their whole output: the templates contain no such characters, so
/// no interpolated value can be forgotten.
pub(crate) fn printable(text: String) -> String {
    if !text.chars().any(hidden) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if hidden(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

fn hidden(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn controls_become_visible_and_the_rest_stays() {
        assert_eq!(printable("a\u{1b}[31mb".into()), "a\\u001b[31mb");
        assert_eq!(
            printable("\u{0}\u{7f}\u{9b}\u{ffff}".into()),
            "\\u0000\\u007f\\u009b\\uffff"
        );
        let kept = "tab\tline\nreturn\r é ✅ <&>";
        assert_eq!(printable(kept.into()), kept);
    }
}
