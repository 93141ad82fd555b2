//! Environment variables named by a targets or gallery file: a file reads only `MCP_OAUTH_*`
//! names and those `--allow-env NAME` allows, and is refused otherwise with the file, line,
//! variable and rule; a secret a file named is sent only after consent began, never by the
//! probes.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mcp_oauth_harness::check::file_env::RULE;
use mcp_oauth_harness::check::{self, CheckOptions, Consent, SecretOrigin};
use mcp_oauth_mocks::clock::SystemClock;
use mcp_oauth_mocks::config::PreregisteredClient;
use mcp_oauth_mocks::{MockConfig, MockServers, RecordedRequest};
use mcp_oauth_reports::Status;

mod scratch;

use scratch::ScratchDir;

const SECRET: &str = "file-named-secret-7Qx2";

/// The built binary with `args`, its environment holding exactly `env` of the variables the
/// tests name: exit code, stdout, stderr.
async fn harness(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_mcp-oauth-harness"));
    command
        .args(args)
        .env_remove("MCP_OAUTH_CLIENT_SECRET")
        .env_remove("MCP_OAUTH_X")
        .env_remove("GLOBEX_SECRET")
        .stdin(std::process::Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().await.expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Mocks without registration that know one confidential app, `byo-app`.
async fn mocks_with_app(redirect_uri: &str) -> MockServers {
    let mut config = MockConfig::default();
    config.authorization_server.dynamic_registration = false;
    config.authorization_server.clients = vec![PreregisteredClient {
        client_id: "byo-app".into(),
        client_secret: Some(SECRET.into()),
        redirect_uris: vec![redirect_uri.into()],
    }];
    MockServers::start(config, Arc::new(SystemClock))
        .await
        .expect("mock servers start")
}

/// Whether the request authenticated with the app's secret (Basic or in the form).
fn carries_secret(request: &RecordedRequest) -> bool {
    let basic = request.authorization.as_ref().is_some_and(|credential| {
        credential.scheme.eq_ignore_ascii_case("basic")
            && STANDARD
                .decode(&credential.value)
                .is_ok_and(|decoded| String::from_utf8_lossy(&decoded).contains(SECRET))
    });
    basic || request.form_field("client_secret") == Some(SECRET)
}

fn gallery(dir: &ScratchDir, name: &str, url: &str, variable: &str) -> String {
    let file = dir.join(name);
    std::fs::write(
        &file,
        format!(
            "targets:\n  - name: globex\n    url: {url}\n    client-id: byo-app\n    client-secret-env: {variable}\n"
        ),
    )
    .unwrap();
    file.to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_file_naming_another_variable_is_refused_with_the_rule() {
    let dir = ScratchDir::new("file-env", "refused");
    let file = gallery(
        &dir,
        "gallery.yaml",
        "https://mcp.globex.example/mcp",
        "HOME",
    );
    let (code, stdout, stderr) = harness(&["check", "--gallery", &file, "--no-consent"], &[]).await;
    assert_eq!(code, 2, "a usage error\n{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("{file}:5: ")),
        "file and line: {stderr}"
    );
    assert!(
        stderr.contains("\"globex\"") && stderr.contains("HOME"),
        "{stderr}"
    );
    assert!(stderr.contains(RULE), "{stderr}");
    assert!(stderr.contains("--allow-env HOME"), "{stderr}");
    assert!(
        !stderr.contains(&std::env::var("HOME").unwrap_or_else(|_| "/nonexistent-home".into())),
        "the value is never read: {stderr}"
    );

    // `connect --gallery` reads the same file under the same rule.
    let (code, _, stderr) = harness(
        &["connect", "--gallery", &file, "--provider", "globex"],
        &[],
    )
    .await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(RULE), "{stderr}");
}

#[tokio::test]
async fn prefixed_and_allowed_names_are_read_and_the_probes_never_send_them() {
    let mocks = mocks_with_app("http://127.0.0.1:1/callback").await;
    let url = mocks.mcp_url();
    let dir = ScratchDir::new("file-env", "read");
    let run = |file: String,
               extra: &'static [&'static str],
               env: Vec<(&'static str, &'static str)>| async move {
        let mut args = vec![
            "check",
            "--targets",
            &file,
            "--no-consent",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        harness(&args, &env).await
    };

    let prefixed = gallery(&dir, "prefixed.yaml", &url, "MCP_OAUTH_X");
    let (code, stdout, stderr) = run(prefixed, &[], vec![("MCP_OAUTH_X", SECRET)]).await;
    assert_ne!(code, 2, "the file loads\n{stderr}");
    let report: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}\n{stdout}\n{stderr}"));
    let checks = report["reports"][0]["checks"].as_array().expect("checks");
    let skipped = checks
        .iter()
        .find(|c| c["id"] == "token-unknown-code")
        .expect("token-unknown-code is recorded");
    assert_eq!(skipped["status"], "SKIPPED", "{skipped}");
    assert!(!stdout.contains(SECRET));

    let named = gallery(&dir, "named.yaml", &url, "GLOBEX_SECRET");
    let (code, _, stderr) = run(named.clone(), &[], vec![("GLOBEX_SECRET", SECRET)]).await;
    assert_eq!(code, 2, "not allowed yet: {stderr}");
    assert!(
        stderr.contains("GLOBEX_SECRET") && stderr.contains(RULE),
        "{stderr}"
    );
    let (code, _, stderr) = run(
        named,
        &["--allow-env", "GLOBEX_SECRET"],
        vec![("GLOBEX_SECRET", SECRET)],
    )
    .await;
    assert_ne!(
        code, 2,
        "--allow-env GLOBEX_SECRET lets the file read it\n{stderr}"
    );

    let sent: Vec<String> = mocks
        .log()
        .snapshot()
        .iter()
        .filter(|r| carries_secret(r))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        sent.is_empty(),
        "the probes sent the file's secret: {sent:?}"
    );
}

/// The same app given on the command line is used by the probes, and a file's is used once
/// consent began: the secret is withheld from the probes only, and for its origin only.
#[tokio::test]
async fn a_file_secret_is_sent_by_the_consent_step_and_a_command_line_secret_by_the_probes() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    let mocks = mocks_with_app(&redirect_uri).await;
    let options = |consent: Consent, origin: SecretOrigin| CheckOptions {
        consent,
        client_id: Some("byo-app".into()),
        client_secret: Some(SECRET.into()),
        client_secret_origin: origin,
        redirect_port: port,
        timeout: Duration::from_secs(10),
        profiles: check::ProfileSelection::List(vec![&mcp_oauth_harness::profile::PIPELINES]),
        ..CheckOptions::new(mocks.mcp_url())
    };
    let sent = |mocks: &MockServers| mocks.log().count(carries_secret);

    let run = check::check(options(Consent::Skip, SecretOrigin::File))
        .await
        .expect("the check runs");
    assert_eq!(sent(&mocks), 0, "no consent, no secret");
    for id in [
        "token-unknown-code",
        "token-unknown-refresh-token",
        "token-unsupported-grant-type",
    ] {
        let check = run.report.checks.iter().find(|c| c.id == id).expect(id);
        assert_eq!(check.status, Status::Skipped, "{id}");
        assert!(
            check
                .error_message
                .as_deref()
                .is_some_and(|m| m.contains("client-secret-env")),
            "{id}: {:?}",
            check.error_message
        );
    }
    let unknown_client = run
        .report
        .checks
        .iter()
        .find(|c| c.id == "unknown-client-error")
        .expect("the probe needing no secret still runs");
    assert_ne!(unknown_client.status, Status::Skipped);

    let start = mocks.log().len();
    let run = check::check(options(Consent::Headless, SecretOrigin::File))
        .await
        .expect("the check runs");
    assert_eq!(
        run.report.outcome.health.as_str(),
        "healthy",
        "the consent step authenticates with the file's secret"
    );
    // The first request to carry the secret exchanges the code the consent step received
    // (the probes' made-up codes start `harness-unknown-`).
    let log = mocks.log().snapshot().split_off(start);
    let first = log
        .iter()
        .find(|r| carries_secret(r))
        .expect("the consent step authenticated");
    assert_eq!(first.grant_type.as_deref(), Some("authorization_code"));
    assert!(
        first
            .form_field("code")
            .is_some_and(|code| !code.starts_with("harness-unknown-")),
        "the first use of the secret is not the consent step's code exchange"
    );

    let before = sent(&mocks);
    check::check(options(Consent::Skip, SecretOrigin::CommandLine))
        .await
        .expect("the check runs");
    assert!(
        sent(&mocks) > before,
        "a command-line secret is the probes' to send"
    );
}
