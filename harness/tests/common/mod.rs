//! Test support for the catalog: normalizing a report's volatile values, the reviewable digest
//! that is snapshot-tested, and validation of the full report against the published schema.

mod digest;

pub use digest::digest;

use mcp_oauth_reports::{Report, render};
use serde_json::Value;

/// Replaces the OS-chosen loopback ports (in order of first appearance, plain or percent-encoded
/// inside a query such as the callback's `iss`) and the random PKCE challenge, so a snapshot
/// changes only when behaviour does.
pub fn normalize(report: &Report) -> Value {
    let mut text = serde_json::to_string(report).expect("reports serialize");
    let mut ports: Vec<String> = Vec::new();
    for host in ["127.0.0.1:", "localhost:", "127.0.0.1%3A", "localhost%3A"] {
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(at) = rest.find(host) {
            let (before, after) = rest.split_at(at + host.len());
            out.push_str(before);
            let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
            if digits.is_empty() || digits == "33418" {
                rest = after;
                continue;
            }
            let index = match ports.iter().position(|p| *p == digits) {
                Some(i) => i,
                None => {
                    ports.push(digits.clone());
                    ports.len() - 1
                }
            };
            out.push_str(&format!("[port-{index}]"));
            rest = &after[digits.len()..];
        }
        out.push_str(rest);
        text = out;
    }
    let marker = "code_challenge=";
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find(marker) {
        let (before, after) = rest.split_at(at + marker.len());
        out.push_str(before);
        out.push_str("[challenge]");
        let end = after.find(['&', '"']).unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    serde_json::from_str(&out).expect("normalized reports stay JSON")
}

/// The validator for docs/report.schema.json, the published report contract.
pub fn report_schema() -> jsonschema::Validator {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/report.schema.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let schema: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{path} is not a valid schema: {e}"))
}

/// Where the JSON rendering of `report` breaks the schema; empty when it conforms.
pub fn schema_errors(validator: &jsonschema::Validator, report: &Report) -> Vec<String> {
    let instance: Value = match serde_json::from_str(&render::json(report)) {
        Ok(value) => value,
        Err(e) => return vec![format!("the JSON rendering does not parse: {e}")],
    };
    validator
        .iter_errors(&instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}
