//! No code, token, verifier, state or client secret appears in a `test-client` report, in any
//! of its four renderings, even when the client under test prints its secrets.

use std::time::Duration;

use mcp_oauth_harness::profile;
use mcp_oauth_harness::scenario::{catalog_dir, load_file};
use mcp_oauth_harness::test_client::{self, ClientCommand, TestClientOptions, logged_secrets};
use mcp_oauth_reports::render;

const BIN: &str = env!("CARGO_BIN_EXE_mcp-oauth-harness");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_a_test_client_report() {
    // A client that leaks: it prints the conformance context (with the client secret) to
    // stderr, which the report quotes, before running the flow.
    let script = format!(
        "echo \"context: $MCP_CONFORMANCE_CONTEXT\" >&2; exec {BIN} connect --format json \"$1\""
    );
    let options = TestClientOptions {
        command: ClientCommand {
            program: "sh".to_owned(),
            args: vec!["-c".to_owned(), script, "client".to_owned()],
        },
        profile: profile::NEWEST_SPEC,
        timeout: Duration::from_secs(60),
    };
    for name in [
        "byo-client-secret-basic",
        "byo-client-secret-post",
        "revoked-refresh",
    ] {
        let scenario = load_file(&catalog_dir().join(format!("{name}.toml"))).unwrap();
        let client_secret = scenario.client.client_secret.clone();
        let (report, log) = test_client::run_scenario_logged(scenario, &options)
            .await
            .unwrap();
        let mut secrets = logged_secrets(&log);
        secrets.extend(client_secret);
        secrets.retain(|s| s.len() >= 8);
        assert!(
            secrets.len() >= 4,
            "{name}: the run handled too few secrets to prove anything: {}",
            secrets.len()
        );
        let stderr_tail = report
            .checks
            .iter()
            .find(|c| c.id == "client-process-finished")
            .and_then(|c| c.details.as_ref())
            .and_then(|d| d["stderrTail"].as_str())
            .unwrap_or_default()
            .to_owned();
        assert!(stderr_tail.contains("context:"), "{name}: {stderr_tail}");
        for (format, text) in [
            ("json", render::json(&report)),
            ("markdown", render::markdown(&report)),
            ("junit", render::junit_many(std::slice::from_ref(&report))),
            ("html", render::html(&report)),
        ] {
            for secret in &secrets {
                assert!(
                    !text.contains(secret.as_str()),
                    "{name}: a secret appears in the {format} report"
                );
            }
        }
    }
}
