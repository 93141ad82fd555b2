//! The secrets canary. No secret of a run may appear in any rendering of its report, in the
//! trace log (`RUST_LOG`, default `trace`, for every crate of the process), or in a panic
//! message: neither what the mocks hand out (codes, access and refresh tokens, registered
//! client secrets) nor what the harness makes or is given itself (`state`, the PKCE
//! `code_verifier`, a brought client secret chosen here as a canary). Covers the catalog
//! (`run`), the live `check` against the mocks with headless consent, and client judging
//! (`test-client`, its client logging at trace level).

use std::sync::Arc;
use std::time::Duration;

use mcp_oauth_harness::check::{self, CheckOptions, Consent};
use mcp_oauth_harness::profile;
use mcp_oauth_harness::redact;
use mcp_oauth_harness::runner::run_scenario_with_secrets;
use mcp_oauth_harness::scenario::{catalog_dir, load_catalog, load_file};
use mcp_oauth_harness::test_client::{self, ClientCommand, TestClientOptions, logged_secrets};
use mcp_oauth_mocks::clock::SystemClock;
use mcp_oauth_mocks::config::{PreregisteredClient, TokenEndpointAuthMethod};
use mcp_oauth_mocks::{MockConfig, MockServers};
use mcp_oauth_reports::Report;

#[path = "common/secrets.rs"]
mod secrets;

use secrets::{TraceLog, found_in, panic_messages, record_panics, report_leaks};

/// The client secret a user brings, chosen so that any trace of it is unmistakable.
const CANARY_CLIENT_SECRET: &str = "canary-client-secret-5f1e0c7d9b";

const BIN: &str = env!("CARGO_BIN_EXE_mcp-oauth-harness");

/// Leaks of `secrets` into the renderings of `report`.
fn leaks(report: &Report, secrets: &[String]) -> Vec<String> {
    report_leaks(report, secrets)
}

/// Leaks of `secrets` into the process's trace log and panic messages so far.
fn process_leaks(secrets: &[String]) -> Vec<String> {
    let mut found = found_in("the trace log", &TraceLog::global().text(), secrets);
    for message in panic_messages() {
        found.extend(found_in("a panic message", &message, secrets));
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_report_of_any_scenario_contains_a_secret() {
    let log = TraceLog::global();
    record_panics();
    let catalog = load_catalog(&catalog_dir()).expect("the catalog loads");
    let mut secrets_seen = 0;
    let mut all_secrets: Vec<String> = Vec::new();
    let mut found = Vec::new();
    for scenario in &catalog {
        for name in &scenario.profiles {
            let profile = profile::by_name(name).expect("validated on load");
            let (report, secrets) = run_scenario_with_secrets(scenario, profile)
                .await
                .expect("the scenario runs");
            secrets_seen += secrets.len();
            for leak in leaks(&report, &secrets) {
                found.push(format!("{} ({name}): {leak}", scenario.name));
            }
            all_secrets.extend(secrets);
        }
    }
    found.extend(process_leaks(&all_secrets));
    assert!(found.is_empty(), "{}", found.join("\n"));
    // A log that recorded nothing would prove nothing.
    assert!(
        log.len() > 100_000,
        "the trace log holds only {} bytes",
        log.len()
    );
    // The catalog issues codes and tokens: a test that saw none would prove nothing.
    assert!(secrets_seen > 50, "only {secrets_seen} secrets were issued");
}

/// A free loopback port, for a callback URL that a pre-registered app must list exactly.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_check_report_contains_a_secret_of_the_harness_or_the_server() {
    // The check builds its own redactor; the audit sees every secret any redactor registers.
    redact::audit::start();
    TraceLog::global();
    record_panics();
    let port = free_port();
    let brought_secret = CANARY_CLIENT_SECRET;
    // (what the vendor is, its mocks, the Client ID and secret the user brings)
    type Vendor = (
        &'static str,
        MockConfig,
        Option<(&'static str, &'static str)>,
    );
    let vendors: Vec<Vendor> = vec![
        ("public DCR client", MockConfig::default(), None),
        (
            "confidential DCR client",
            {
                let mut c = MockConfig::default();
                c.authorization_server.registration_auth_method =
                    Some(TokenEndpointAuthMethod::ClientSecretPost);
                c
            },
            None,
        ),
        (
            "brought confidential app",
            {
                let mut c = MockConfig::default();
                c.authorization_server.dynamic_registration = false;
                c.authorization_server.clients = vec![PreregisteredClient {
                    client_id: "brought-app".into(),
                    client_secret: Some(brought_secret.into()),
                    redirect_uris: vec![format!("http://127.0.0.1:{port}/callback")],
                }];
                c
            },
            Some(("brought-app", brought_secret)),
        ),
    ];
    let mut found = Vec::new();
    for (vendor, config, brought) in vendors {
        let mocks = MockServers::start(config, Arc::new(SystemClock))
            .await
            .expect("mock servers start");
        let before = redact::audit::seen().len();
        let run = check::check(CheckOptions {
            consent: Consent::Headless,
            redirect_port: if brought.is_some() { port } else { 0 },
            timeout: Duration::from_secs(10),
            client_id: brought.map(|(id, _)| id.to_owned()),
            client_secret: brought.map(|(_, secret)| secret.to_owned()),
            ..CheckOptions::new(mocks.mcp_url())
        })
        .await
        .expect("the check runs");
        let handled = redact::audit::seen();
        // Each consent flow makes a state and a verifier and redeems a code: without them the
        // search below would not cover the harness's own secrets.
        assert!(
            handled.len() >= before + 3,
            "{vendor}: the harness registered only {} new secrets",
            handled.len() - before
        );
        let mut secrets = handled;
        secrets.extend(mocks.issued_secrets());
        secrets.extend(brought.map(|(_, secret)| secret.to_owned()));
        assert!(
            run.report.exchanges.len() > 5,
            "{vendor}: the check made too few requests to prove anything"
        );
        for leak in leaks(&run.report, &secrets) {
            found.push(format!("{vendor}: {leak}"));
        }
        for leak in process_leaks(&secrets) {
            found.push(format!("{vendor}: {leak}"));
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_judged_client_run_leaks_a_secret_into_reports_logs_or_panics() {
    TraceLog::global();
    record_panics();
    // The client under test logs at trace level to its stderr, which the report quotes.
    let script = format!("MCP_OAUTH_HARNESS_LOG=trace exec {BIN} connect --format json \"$1\"");
    let options = TestClientOptions {
        command: ClientCommand {
            program: "sh".to_owned(),
            args: vec!["-c".to_owned(), script, "client".to_owned()],
        },
        profile: profile::NEWEST_SPEC,
        timeout: Duration::from_secs(60),
    };
    let mut found = Vec::new();
    for name in ["byo-client-secret-post", "refresh-rotation"] {
        let scenario = load_file(&catalog_dir().join(format!("{name}.toml"))).expect("loads");
        let client_secret = scenario.client.client_secret.clone();
        let (report, log) = test_client::run_scenario_logged(scenario, &options)
            .await
            .expect("the client is judged");
        let mut secrets = logged_secrets(&log);
        secrets.extend(client_secret);
        secrets.retain(|s| s.len() >= secrets::MIN_SECRET_LEN);
        assert!(
            secrets.len() >= 4,
            "{name}: too few secrets to prove anything: {}",
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
        // The quoted stderr is the client's trace log: it must have been there to be scrubbed.
        assert!(
            stderr_tail.contains("TRACE") || stderr_tail.contains("DEBUG"),
            "{name}: {stderr_tail}"
        );
        found.extend(
            leaks(&report, &secrets)
                .into_iter()
                .map(|l| format!("{name}: {l}")),
        );
        found.extend(
            process_leaks(&secrets)
                .into_iter()
                .map(|l| format!("{name}: {l}")),
        );
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_canary_search_finds_a_planted_secret_and_only_it() {
    let secrets = vec![
        "planted-secret-value-1".to_owned(),
        "never-written-value-2".to_owned(),
        "short".to_owned(),
    ];
    let text = format!("a log line with {} in it, and short", secrets[0]);
    assert_eq!(
        found_in("here", &text, &secrets),
        ["here: secret #0 (22 characters)"]
    );
    assert!(found_in("here", "planted-secret-value", &secrets).is_empty());
}
