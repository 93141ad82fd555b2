use serde::Serialize;

use super::text::printable_owned;
use crate::Report;

/// The report as pretty-printed JSON, the format other tools read.
pub fn json(report: &Report) -> String {
    json_text(report)
}

/// Any value as pretty-printed JSON that is safe to show on a terminal: serde_json escapes C0
/// controls itself but writes DEL, C1 controls and bidi overrides raw; those are escaped too
/// (`\u009b`), which is valid JSON for the very same string.
pub fn json_text(value: &impl Serialize) -> String {
    // Serializing plain data with string keys cannot fail.
    let text = serde_json::to_string_pretty(value)
        .unwrap_or_else(|e| format!("{{\"error\":{:?}}}", e.to_string()));
    printable_owned(text)
}
