//! `test-client --command` as a vendor runs it: the harness's own `connect` as the client
//! under test, a client that hangs, baselines, and usage errors, all through the binary.

use std::path::Path;
use std::process::Command;

use mcp_oauth_harness::scenario::{catalog_dir, load_catalog};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mcp-oauth-harness");

/// The scenarios whose client expectation `connect` claims: every one with a
/// `[conformant-client]` section (the catalog's own list), else the plain connecting ones.
fn claimed_scenarios() -> Vec<String> {
    let with_section: Vec<String> = load_catalog(&catalog_dir())
        .unwrap()
        .into_iter()
        .filter(|s| s.conformant_client.is_some())
        .map(|s| s.name)
        .collect();
    if !with_section.is_empty() {
        return with_section;
    }
    [
        "dcr-happy-path",
        "byo-client",
        "byo-client-secret-basic",
        "audience-required",
    ]
    .map(String::from)
    .to_vec()
}

fn test_client(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .arg("test-client")
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn our_own_connect_passes_every_scenario_it_claims() {
    let out = tempdir("connect");
    let command = format!("{BIN} connect");
    let scenarios = claimed_scenarios();
    let mut args = vec![
        "--command",
        &command,
        "-j",
        "2",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(scenarios.iter().map(String::as_str));
    let output = test_client(&args);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    assert!(
        stdout.contains(&format!("scenarios: {} passed, 0 failed", scenarios.len())),
        "{stdout}"
    );
    // JSON and the chosen format (human: .txt) of every report, and the summary, under the
    // names `run` and `check --out` use.
    for name in &scenarios {
        for ext in ["json", "txt"] {
            assert!(out.join(format!("{name}.{ext}")).is_file(), "{name}.{ext}");
        }
    }
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["passed"], true);
    // The client process really ran, with the URL and the suite's environment.
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("dcr-happy-path.json")).unwrap_or_else(|_| {
            std::fs::read_to_string(out.join(format!("{}.json", scenarios[0]))).unwrap()
        }),
    )
    .unwrap();
    let process = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "client-process-finished")
        .unwrap();
    assert_eq!(process["status"], "SUCCESS");
    assert_eq!(process["details"]["exitCode"], 0);
}

#[test]
fn a_client_that_hangs_is_killed_at_the_timeout_and_fails() {
    let output = test_client(&[
        "--command",
        "sh -c 'sleep 30' client",
        "--timeout",
        "1",
        "--format",
        "json",
        "dcr-happy-path",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let process = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "client-process-finished")
        .unwrap();
    assert_eq!(process["status"], "FAILURE");
    assert_eq!(process["details"]["timedOut"], true);
}

#[test]
fn a_client_that_refuses_rightly_but_never_exits_is_its_own_finding() {
    // The harness's own connect refuses the wrong iss (the scenario's question, answered
    // right), then the command hangs: only the process check fails.
    let command = format!("sh -c '{BIN} connect \"$1\"; exec sleep 60' client");
    let output = test_client(&[
        "--command",
        &command,
        "--timeout",
        "5",
        "--format",
        "json",
        "iss-wrong",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let status_of = |id: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no {id} in {report:#}"))["status"]
            .clone()
    };
    assert_eq!(status_of("client-process-finished"), "FAILURE");
    assert_eq!(status_of("client-scenario-outcome"), "SUCCESS");
    assert_eq!(status_of("client-iss-refused"), "SUCCESS");
    let expectations = report["expectations"].as_array().unwrap();
    let met = |description: &str| {
        expectations
            .iter()
            .find(|e| e["description"] == description)
            .unwrap_or_else(|| panic!("no {description} in {expectations:#?}"))["met"]
            .clone()
    };
    assert_eq!(met("client outcome"), true);
    assert_eq!(met("client process"), false);
}

#[test]
fn a_baseline_lists_known_failures_and_refuses_stale_entries() {
    let dir = tempdir("baseline");
    let known = dir.join("known.yaml");
    std::fs::write(
        &known,
        "server:\n  - client-process:client-process-finished\n",
    )
    .unwrap();
    let hanging = [
        "--command",
        "sh -c 'sleep 30' client",
        "--timeout",
        "1",
        "--baseline",
        known.to_str().unwrap(),
        "dcr-happy-path",
    ];
    let output = test_client(&hanging);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("(in the baseline)"), "{stdout}");

    // The same entry against a client that finishes is stale: the run fails until it goes.
    let command = format!("{BIN} connect");
    let output = test_client(&[
        "--command",
        &command,
        "--baseline",
        known.to_str().unwrap(),
        "dcr-happy-path",
    ]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("stale"), "{stdout}");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["--command", "", "dcr-happy-path"][..],
        &["--command", "true", "no-such-scenario"][..],
        &["--command", "/nonexistent/client", "dcr-happy-path"][..],
        &["--command", "true", "--profile", "nope", "dcr-happy-path"][..],
    ] {
        let output = test_client(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&output.stderr)
        );
    }
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("test-client-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
