//! Time from a scenario file is bounded on load and time under `serve` is checked: `run` and
//! `serve` (the binary) refuse a clock jump past a century naming the file and the field, and
//! a served scenario whose trigger would move the clock past the end of time (a scenario
//! built in code, which no loader checked) refuses that jump and keeps answering.

mod scratch;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use mcp_oauth_harness::flow::{ClientFlow, ClientOptions, Pauses};
use mcp_oauth_harness::http::{HttpClient, HttpLimits};
use mcp_oauth_harness::profile;
use mcp_oauth_harness::redact::Redactor;
use mcp_oauth_harness::scenario;
use mcp_oauth_harness::served::{ServeOptions, ServedScenario};
use mcp_oauth_harness::user_agent::UserAgent;
use mcp_oauth_mocks::clock::SystemClock;
use scratch::ScratchDir;
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_mcp-oauth-harness");

/// About 8000 years: a clock moved this far from 2026 is past what RFC 3339 can write.
const FAR: u64 = 252_000_000_000;

fn far_future_scenario() -> String {
    format!(
        r#"name = "far-future"
description = "The clock jumps 8000 years."

[[steps]]
action = "connect"

[[steps]]
action = "advance-clock"
seconds = {FAR}

[conformant-client]
outcome = "connects"

[[conformant-client.triggers]]
after = "token-issued"
then = ["advance-clock"]
seconds = {FAR}
"#
    )
}

fn harness(cwd: &Path, args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(BIN)
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("the binary runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn run_and_serve_refuse_a_clock_jump_past_a_century_naming_file_and_field() {
    let dir = ScratchDir::new("bounded-time", "refused");
    std::fs::write(dir.join("far-future.toml"), far_future_scenario()).unwrap();
    let scenarios = dir.to_str().unwrap();
    for args in [
        vec!["run", "--scenarios-dir", scenarios],
        vec!["run", "--scenarios-dir", scenarios, "far-future"],
        vec![
            "serve",
            "--scenarios-dir",
            scenarios,
            "far-future",
            "--timeout",
            "5",
        ],
    ] {
        let (code, stderr) = harness(&dir, &args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        for named in [
            "far-future.toml",
            "line 7: steps[1] field `seconds`",
            "252000000000 s",
            "100 years (3155760000 s)",
        ] {
            assert!(stderr.contains(named), "{args:?}: {named} in {stderr}");
        }
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[tokio::test]
async fn a_served_clock_jump_past_the_end_of_time_is_refused_and_serving_goes_on() {
    let text = far_future_scenario()
        .replace(&format!("seconds = {FAR}"), "seconds = 60")
        .replace("name = \"far-future\"", "name = \"end-of-time\"");
    let mut loaded = scenario::parse(&text).expect("the scenario loads");
    // Past anything a file may say: only a scenario built in code can ask this.
    let trigger = loaded.conformant_client.as_mut().unwrap().triggers[0].get_mut();
    trigger.seconds = Some(u64::MAX);

    let served = ServedScenario::start_with(loaded, ServeOptions::default())
        .await
        .expect("the mocks start");
    let http = HttpClient::new(HttpLimits::default(), Redactor::default()).unwrap();
    let mut flow = ClientFlow::new(
        ClientOptions::new(served.mcp_url()),
        profile::NEWEST_SPEC,
        Arc::new(SystemClock),
        http,
    );
    // The code exchange fires the trigger; the tool call after it is answered.
    flow.connect_on_demand(&UserAgent::Headless, &Pauses::default())
        .await
        .expect("the client connects and calls a tool after the refused jump");
    let fired = served.fired_triggers();
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert!(fired[0].actions.is_empty(), "{fired:?}");
    assert_eq!(fired[0].refused.len(), 1, "{fired:?}");
    assert!(
        fired[0].refused[0]
            .starts_with("advance-clock: the clock cannot move 18446744073709551615 s further"),
        "{fired:?}"
    );
    // Still serving: another call is answered, and the token was not expired by a wrapped clock.
    let answer = flow
        .call_tool("echo", json!({ "text": "still here" }))
        .await;
    assert!(answer.is_ok(), "{answer:?}");
    let report = served.judge();
    let details = report
        .checks
        .iter()
        .find(|c| c.id == "client-scenario-outcome")
        .and_then(|c| c.details.clone())
        .unwrap_or_default();
    assert!(
        details.to_string().contains("the clock cannot move"),
        "the refusal is in the report: {details}"
    );
    served.stop();
}

#[tokio::test]
async fn a_script_of_century_jumps_past_year_9999_runs_and_is_stamped_with_the_last_writable_time()
{
    // 80 jumps of a century each from 2026: year 10026, past what RFC 3339 can write.
    let jump = "\n[[steps]]\naction = \"advance-clock\"\nseconds = 3155760000\n";
    let text = format!(
        "name = \"far\"\ndescription = \"d\"\n\n[[steps]]\naction = \"connect\"\n{}\n[[steps]]\naction = \"test-connection\"\nexpect-ok = true\n",
        jump.repeat(80)
    );
    let loaded = scenario::parse(&text).expect("every jump is within the bound");
    let report = mcp_oauth_harness::runner::run_scenario(&loaded, &profile::PIPELINES)
        .await
        .expect("the run completes");
    assert!(report.met_expectations(), "{:#?}", report.expectations);
    let last = report.checks.last().expect("checks were recorded");
    assert_eq!(last.timestamp, "9999-12-31T23:59:59.999Z");
}
