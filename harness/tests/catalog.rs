//! Every catalog scenario, under each of its profiles, against fresh mocks: its expectations
//! must hold and its report must match the reviewed snapshot.

use std::sync::Arc;

use mcp_oauth_harness::cli::run_all;
use mcp_oauth_harness::profile;
use mcp_oauth_harness::scenario::{catalog_dir, load_catalog};
use mcp_oauth_reports::Report;

/// Replaces the OS-chosen loopback ports (in order of first appearance, plain or percent-encoded
/// inside a query such as the callback's `iss`) and the random PKCE challenge, so a snapshot
/// changes only when behaviour does.
pub fn normalize(report: &Report) -> serde_json::Value {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_meets_its_expectations_and_matches_its_snapshot() {
    let catalog = load_catalog(&catalog_dir()).expect("the catalog loads");
    let mut runs = Vec::new();
    for scenario in catalog {
        let scenario = Arc::new(scenario);
        for name in &scenario.profiles {
            runs.push((
                scenario.clone(),
                profile::by_name(name).expect("validated on load"),
            ));
        }
    }
    let reports = run_all(runs, 4).await.expect("every scenario runs");
    let mut unmet = Vec::new();
    for report in &reports {
        let name = report
            .scenario
            .clone()
            .unwrap_or_default()
            .replace('@', "__");
        insta::assert_json_snapshot!(name.clone(), normalize(report));
        for e in report.expectations.iter().filter(|e| !e.met) {
            unmet.push(format!(
                "{name}: expected {} to be {} but it was {}",
                e.description, e.expected, e.actual
            ));
        }
    }
    assert!(
        unmet.is_empty(),
        "unmet expectations:\n{}",
        unmet.join("\n")
    );
}
