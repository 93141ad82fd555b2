//! `test-client --command CMD`: each scenario's mocks, served fresh and in real time, with CMD
//! as the client under test, judged afterwards. The runner contract is the official MCP
//! conformance suite's: the MCP URL is CMD's last argument, MCP_CONFORMANCE_SCENARIO names the
//! scenario and MCP_CONFORMANCE_CONTEXT is a JSON object (`name`, plus `client_id` /
//! `client_secret` for bring-your-own scenarios), so clients wired to that suite run unchanged.

pub mod process;
pub mod trust;

use std::sync::Arc;
use std::time::Duration;

use mcp_oauth_mocks::RecordedRequest;
use mcp_oauth_mocks::clock::SystemClock;
use mcp_oauth_reports::{ExpectationResult, Report, Summary};
use serde_json::{Value, json};

use crate::served::{ServeError, ServeOptions, ServedScenario};
use mcp_oauth_catalog::scenario::Scenario;
use mcp_oauth_engine::checks;
use mcp_oauth_engine::profile::Profile;
use mcp_oauth_engine::recorder::Recorder;
use mcp_oauth_engine::redact::{self, Redactor};
pub use process::{ClientCommand, ProcessOutcome};

/// How much of the client's stderr goes into its report: the end, where the error usually is.
const STDERR_TAIL: usize = 2048;

#[derive(Debug, Clone)]
pub struct TestClientOptions {
    pub command: ClientCommand,
    /// The profile the client is judged under.
    pub profile: &'static Profile,
    /// How long the client may run in each scenario before its process group is killed.
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum TestClientError {
    #[error("{scenario}: {source}")]
    Serve {
        scenario: String,
        source: ServeError,
    },
    #[error("{scenario}: {message}")]
    Client { scenario: String, message: String },
    #[error("a scenario run panicked: {0}")]
    Panicked(String),
}

/// Runs the client in one scenario: fresh mocks, the command, the judge's report with the
/// client process's own check and expectation added.
pub async fn run_scenario(
    scenario: Scenario,
    options: &TestClientOptions,
) -> Result<Report, TestClientError> {
    run_scenario_logged(scenario, options)
        .await
        .map(|(report, _)| report)
}

/// As [`run_scenario`], with the mocks' request log as well: it holds the secrets the run
/// handled, unredacted, for tests that prove none of them reaches the report.
pub async fn run_scenario_logged(
    scenario: Scenario,
    options: &TestClientOptions,
) -> Result<(Report, Vec<RecordedRequest>), TestClientError> {
    let name = scenario.name.clone();
    let served = ServedScenario::start_with(
        scenario,
        ServeOptions {
            profile: options.profile,
            real_time: true,
            ..ServeOptions::default()
        },
    )
    .await
    .map_err(|source| TestClientError::Serve {
        scenario: name.clone(),
        source,
    })?;
    let mut env = environment(&name, served.conformance_context());
    // Kept until the client has ended.
    let trust = match trust::TrustFile::for_mocks(served.mocks()) {
        Ok(trust) => trust,
        Err(e) => {
            served.stop();
            return Err(TestClientError::Client {
                scenario: name,
                message: format!(
                    "cannot write the MCP server's TLS authority for the client to trust: {e} (set TMPDIR to a writable directory)"
                ),
            });
        }
    };
    env.extend(trust.iter().flat_map(trust::TrustFile::environment));
    let outcome = process::run(&options.command, &served.mcp_url(), &env, options.timeout).await;
    drop(trust);
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(message) => {
            served.stop();
            return Err(TestClientError::Client {
                scenario: name,
                message,
            });
        }
    };
    let mut report = served.judge();
    let log = served.mocks().log().snapshot();
    let redactor = redactor_for(&log, &served);
    served.stop();
    add_process_judgement(&mut report, &outcome, options, &redactor);
    Ok((report, log))
}

/// Runs every scenario, at most `jobs` at once; reports come back in the order given.
pub async fn run_all(
    scenarios: Vec<Scenario>,
    options: &TestClientOptions,
    jobs: usize,
) -> Result<Vec<Report>, TestClientError> {
    let semaphore = Arc::new(tokio::sync::Semaphore::new(jobs.max(1)));
    let mut handles = Vec::new();
    for scenario in scenarios {
        let semaphore = semaphore.clone();
        let options = options.clone();
        handles.push(tokio::spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            run_scenario(scenario, &options).await
        }));
    }
    let mut reports = Vec::new();
    for handle in handles {
        match handle.await {
            Ok(result) => reports.push(result?),
            Err(e) => return Err(TestClientError::Panicked(e.to_string())),
        }
    }
    Ok(reports)
}

/// The official suite's environment: the scenario's name, and its context as JSON.
fn environment(scenario: &str, context: Value) -> Vec<(&'static str, String)> {
    let mut context = match context {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    context
        .entry("name")
        .or_insert_with(|| Value::String(scenario.to_owned()));
    vec![
        ("MCP_CONFORMANCE_SCENARIO", scenario.to_owned()),
        (
            "MCP_CONFORMANCE_CONTEXT",
            Value::Object(context).to_string(),
        ),
    ]
}

/// Every secret value the mocks saw or issued: bearer credentials, and the values of the
/// fields the redactor scrubs by name ([`redact::SECRET_NAMES`]) in queries, forms, JSON
/// bodies and redirect locations.
pub fn logged_secrets(log: &[RecordedRequest]) -> Vec<String> {
    let mut secrets = Vec::new();
    for request in log {
        if let Some(credential) = &request.authorization {
            secrets.push(credential.value.clone());
        }
        for (name, value) in request.query.iter().chain(&request.form) {
            if redact::is_secret_name(name) {
                secrets.push(value.clone());
            }
        }
        for json in request.json.iter().chain(&request.response_json) {
            for field in redact::SECRET_NAMES {
                if let Some(value) = json.get(field).and_then(Value::as_str) {
                    secrets.push(value.to_owned());
                }
            }
        }
        if let Some(location) = &request.response_location
            && let Ok(url) = url::Url::parse(location)
        {
            for (name, value) in url.query_pairs() {
                if redact::is_secret_name(&name) {
                    secrets.push(value.into_owned());
                }
            }
        }
    }
    secrets
}

/// A redactor that knows every secret of this run, so that the client's own output can be
/// quoted in its report.
fn redactor_for(log: &[RecordedRequest], served: &ServedScenario) -> Redactor {
    let redactor = Redactor::default();
    if let Some((_, Some(secret))) = served.client_credentials() {
        redactor.register(&secret);
    }
    for secret in logged_secrets(log) {
        redactor.register(&secret);
    }
    redactor
}

fn tail(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut start = text.len() - limit;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// The client process's own check (did it finish in time) and expectation, so that a client
/// that hangs fails its scenario even where the requests it made were conformant.
fn add_process_judgement(
    report: &mut Report,
    outcome: &ProcessOutcome,
    options: &TestClientOptions,
    redactor: &Redactor,
) {
    let mut recorder = Recorder::new(options.profile, Arc::new(SystemClock), redactor.clone());
    let stderr = redactor.url(&redactor.text(tail(&outcome.stderr.text, STDERR_TAIL)));
    let details = json!({
        "command": options.command.program,
        "exitCode": outcome.exit_code,
        "timedOut": outcome.timed_out,
        "elapsedMs": u64::try_from(outcome.elapsed.as_millis()).unwrap_or(u64::MAX),
        "timeoutSecs": options.timeout.as_secs_f64(),
        "stderrTail": stderr,
        "stdoutBytes": outcome.stdout.text.len() as u64 + outcome.stdout.dropped_bytes,
    });
    let actual = match (outcome.timed_out, outcome.exit_code) {
        (true, _) => format!(
            "still running after {:?}: its process group was killed",
            options.timeout
        ),
        (false, Some(code)) => format!("exited with code {code}"),
        (false, None) => "ended by a signal".to_owned(),
    };
    if outcome.timed_out {
        recorder.fail(&checks::CLIENT_PROCESS_FINISHED, details, actual.clone());
    } else {
        recorder.pass(&checks::CLIENT_PROCESS_FINISHED, details);
    }
    report.checks.extend(recorder.into_checks());
    report.summary = Summary::of(&report.checks);
    report.expectations.push(ExpectationResult {
        description: "client process".to_owned(),
        expected: format!("exits within {:?}", options.timeout),
        actual,
        met: !outcome.timed_out,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_context_names_the_scenario_and_keeps_the_credentials() {
        let env = environment(
            "byo-client",
            json!({ "client_id": "app", "client_secret": "s3cr3t-value" }),
        );
        assert_eq!(
            env[0],
            ("MCP_CONFORMANCE_SCENARIO", "byo-client".to_owned())
        );
        let context: Value = serde_json::from_str(&env[1].1).unwrap();
        assert_eq!(
            context,
            json!({ "client_id": "app", "client_secret": "s3cr3t-value", "name": "byo-client" })
        );
        let env = environment("dcr-happy-path", json!({}));
        assert_eq!(env[1].1, r#"{"name":"dcr-happy-path"}"#);
    }

    #[test]
    fn the_tail_keeps_the_end_on_a_character_boundary() {
        assert_eq!(tail("short", 10), "short");
        assert_eq!(tail("abcdef", 3), "def");
        assert_eq!(tail("aé", 1), "");
        assert_eq!(tail("aéb", 2), "b");
    }
}
