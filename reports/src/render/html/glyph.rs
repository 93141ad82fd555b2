//! Status glyphs as inline SVG: they draw the same everywhere, with no dependence on an
//! emoji or symbol font being installed where the report is opened.

use maud::{Markup, PreEscaped};

use crate::Status;

/// A 16×16 glyph for a status, coloured by the stylesheet (`.glyph.s-STATUS`), with a text
/// equivalent for screen readers.
pub(super) fn glyph(status: Status) -> Markup {
    let (label, shape) = match status {
        Status::Success => (
            "passed",
            r#"<path d="M4 8.5l2.5 2.5L12 5.5" fill="none" stroke="white" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/>"#,
        ),
        Status::Failure => (
            "failed",
            r#"<path d="M5 5l6 6M11 5l-6 6" fill="none" stroke="white" stroke-width="2" stroke-linecap="round"/>"#,
        ),
        Status::Warning => (
            "warning",
            r#"<path d="M8 4v5" stroke="white" stroke-width="2" stroke-linecap="round"/><circle cx="8" cy="11.8" r="1.1" fill="white"/>"#,
        ),
        Status::Skipped => (
            "skipped",
            r#"<path d="M4.5 8h7" stroke="white" stroke-width="2" stroke-linecap="round"/>"#,
        ),
        Status::Info => (
            "info",
            r#"<circle cx="8" cy="4.6" r="1.1" fill="white"/><path d="M8 7.2v4.6" stroke="white" stroke-width="2" stroke-linecap="round"/>"#,
        ),
    };
    let svg = format!(
        r#"<svg class="glyph s-{}" viewBox="0 0 16 16" width="16" height="16" role="img" aria-label="{label}"><circle cx="8" cy="8" r="8"/>{shape}</svg>"#,
        status.as_str()
    );
    PreEscaped(svg)
}

/// The glyph of a yes/no answer (an expectation met, a profile that connects).
pub(super) fn yes_no(yes: bool) -> Markup {
    glyph(if yes {
        Status::Success
    } else {
        Status::Failure
    })
}
