//! Test support: a report whose every text field holds what a hostile server, client or file
//! could send, and the assertion every human rendering of it must pass.

use mcp_oauth_reports::Report;
use serde_json::json;

/// Terminal escapes (an OSC 8 hyperlink, a screen clear, a C1 CSI), a bidi override, a
/// carriage return that would overwrite the line, and a line break before a forged line.
pub(crate) const HOSTILE: &str = "\u{1b}]8;;https://evil.example\u{7}click\u{1b}]8;;\u{7} \u{1b}[2J \u{9b}31m \u{202e}txet\u{202c} over\rwritten\nFORGED: PASS";

/// A report with [`HOSTILE`] in every field a person is shown.
pub(crate) fn report() -> Report {
    let check = |status: &str| {
        json!({
            "id": format!("check-{HOSTILE}"),
            "name": HOSTILE,
            "description": HOSTILE,
            "status": status,
            "timestamp": "2026-01-01T00:00:00Z",
            "specReferences": [],
            "errorMessage": HOSTILE,
            "remedy": HOSTILE,
            "step": "token",
        })
    };
    serde_json::from_value(json!({
        "schemaVersion": 1,
        "tool": { "name": "mcp-oauth-harness", "version": "0" },
        "scenario": HOSTILE,
        "target": { "url": HOSTILE, "kind": "live" },
        "profile": "pipelines",
        "outcome": {
            "health": "unhealthy",
            "diagnosis": {
                "code": "token-refused",
                "message": HOSTILE,
                "remedy": HOSTILE,
                "party": "authorization-server",
                "candidates": [HOSTILE],
            },
        },
        "expectations": [
            { "description": HOSTILE, "expected": HOSTILE, "actual": HOSTILE, "met": false },
        ],
        "checks": [check("FAILURE"), check("WARNING"), check("SKIPPED")],
        "exchanges": [],
        "summary": { "total": 3, "success": 0, "failure": 1, "warning": 1, "skipped": 1, "info": 0 },
    }))
    .expect("a report")
}

/// `out` shows the hostile text escaped: no control character but line breaks, no bidi or
/// invisible character, each escape visible, and no line forged by a value.
pub(crate) fn assert_inert(out: &str) {
    let hidden: Vec<char> = out
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    assert!(hidden.is_empty(), "raw {hidden:?} in:\n{out}");
    assert!(
        out.contains("\\u001b]8;;https://evil.example\\u0007click"),
        "{out}"
    );
    assert!(out.contains("\\u001b[2J \\u009b31m \\u202etxet\\u202c over\\rwritten\\nFORGED"));
    assert!(
        !out.lines()
            .any(|line| line.trim_start().starts_with("FORGED")),
        "a value started a line of its own:\n{out}"
    );
}

/// `out` without the colour sequences (`ESC [ digits ; m`) a coloured rendering adds.
pub(crate) fn without_colours(out: &str) -> String {
    let mut plain = String::with_capacity(out.len());
    let mut rest = out;
    while let Some(at) = rest.find("\u{1b}[") {
        plain.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let end = after
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(after.len());
        if after[end..].starts_with('m') {
            rest = &after[end + 1..];
        } else {
            // Not a colour: kept, for `assert_inert` to find.
            plain.push_str(&rest[at..at + 2]);
            rest = after;
        }
    }
    plain.push_str(rest);
    plain
}
