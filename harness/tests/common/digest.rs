//! A run's digest: what a reviewer needs to see change in a snapshot, and no more. The outcome,
//! every check (step, status, id, its details in short) and every exchange (step, method, URL,
//! status, and the request headers exactly as recorded), one line each. Bodies, descriptions,
//! spec links and timestamps stay in the full report, which the schema test validates.

use std::fmt::Write;

use serde_json::Value;

/// Details longer than this are cut, so one check stays one readable line.
const DETAILS_WIDTH: usize = 160;

/// The digest of a normalized report (see [`super::normalize`]).
pub fn digest(report: &Value) -> String {
    let mut out = String::new();
    let text = |v: &Value| v.as_str().unwrap_or("?").to_owned();
    let _ = writeln!(
        out,
        "{} under {}: {}, diagnosis {}",
        text(&report["scenario"]),
        text(&report["profile"]),
        text(&report["outcome"]["health"]),
        report["outcome"]["diagnosis"]["code"]
            .as_str()
            .unwrap_or("none"),
    );
    let expectations = report["expectations"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    let unmet: Vec<&Value> = expectations.iter().filter(|e| e["met"] != true).collect();
    let _ = writeln!(
        out,
        "expectations: {} met, {} unmet",
        expectations.len() - unmet.len(),
        unmet.len()
    );
    for e in unmet {
        let _ = writeln!(
            out,
            "  UNMET {}: expected {}, got {}",
            text(&e["description"]),
            text(&e["expected"]),
            text(&e["actual"])
        );
    }

    out.push_str("\nchecks:\n");
    for check in report["checks"].as_array().into_iter().flatten() {
        let _ = write!(
            out,
            "  {:<13} {:<7} {}",
            text(&check["step"]),
            text(&check["status"]),
            text(&check["id"])
        );
        if let Some(details) = check.get("details").filter(|d| !d.is_null()) {
            let _ = write!(out, " {}", short(&details.to_string()));
        }
        if let Some(message) = check["errorMessage"].as_str() {
            let _ = write!(out, "\n{:24}error: {}", "", short(message));
        }
        out.push('\n');
    }

    out.push_str("\nexchanges:\n");
    for exchange in report["exchanges"].as_array().into_iter().flatten() {
        let request = &exchange["request"];
        let answer = match (&exchange["response"]["status"], exchange["error"].as_str()) {
            (Value::Number(status), _) => status.to_string(),
            (_, Some(error)) => format!("no response ({})", short(error)),
            _ => "no response".to_owned(),
        };
        let _ = writeln!(
            out,
            "  {:<13} {} {} -> {}",
            text(&exchange["step"]),
            text(&request["method"]),
            text(&request["url"]),
            answer
        );
        for header in request["headers"].as_array().into_iter().flatten() {
            let _ = writeln!(out, "{:18}{}: {}", "", text(&header[0]), text(&header[1]));
        }
    }
    out
}

fn short(text: &str) -> String {
    if text.chars().count() <= DETAILS_WIDTH {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(DETAILS_WIDTH).collect();
        format!("{cut}…")
    }
}
