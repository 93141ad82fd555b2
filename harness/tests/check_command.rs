//! `check URL` against the mock servers configured as vendors with specific faults: the
//! verdict, the key checks and the exit code of each, the baseline and --strict, several
//! targets at once, the consent agents, and the binary itself.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mcp_oauth_harness::check::baseline::Baseline;
use mcp_oauth_harness::check::{self, CheckOptions, CheckRun, Consent};
use mcp_oauth_harness::user_agent::LoopbackCallback;
use mcp_oauth_mocks::clock::SystemClock;
use mcp_oauth_mocks::config::{IssuerForm, PreregisteredClient, ResourceForm};
use mcp_oauth_mocks::{MockConfig, MockServers};
use mcp_oauth_reports::{Connects, Status};
use serde_json::Value;

mod check_support;
mod scratch;

use check_support::{harness, human};
use scratch::ScratchDir;

const BIN: &str = env!("CARGO_BIN_EXE_mcp-oauth-harness");
const PROFILES: [&str; 4] = [
    "pipelines",
    "mcp-2025-06-18",
    "mcp-2025-11-25",
    "mcp-2026-07-28",
];

async fn vendor(edit: impl FnOnce(&mut MockConfig)) -> MockServers {
    let mut config = MockConfig::default();
    edit(&mut config);
    MockServers::start(config, Arc::new(SystemClock))
        .await
        .expect("mock servers start")
}

fn options(mocks: &MockServers, consent: Consent) -> CheckOptions {
    CheckOptions {
        consent,
        redirect_port: 0,
        timeout: Duration::from_secs(10),
        ..CheckOptions::new(mocks.mcp_url())
    }
}

async fn run(options: CheckOptions) -> CheckRun {
    check::check(options).await.expect("the check runs")
}

/// The statuses a check id was recorded with, in order.
fn statuses(run: &CheckRun, id: &str) -> Vec<Status> {
    run.report
        .checks
        .iter()
        .filter(|c| c.id == id)
        .map(|c| c.status)
        .collect()
}

#[track_caller]
/// Every recording of `id` has `status` (and there is at least one), as scenario files mean it.
fn assert_check(run: &CheckRun, id: &str, status: Status) {
    let seen = statuses(run, id);
    assert!(
        !seen.is_empty() && seen.iter().all(|s| *s == status),
        "{id}: expected every recording {status:?}, recorded {seen:?}\n{}",
        human(run)
    );
}

/// Some recording of `id` has `status`: for questions asked more than once on purpose.
#[allow(dead_code)]
fn assert_check_at_least_once(run: &CheckRun, id: &str, status: Status) {
    let seen = statuses(run, id);
    assert!(
        seen.contains(&status),
        "{id}: expected {status:?} at least once, recorded {seen:?}\n{}",
        human(run)
    );
}

fn connects(run: &CheckRun) -> Vec<(String, Connects)> {
    run.report
        .verdict
        .as_ref()
        .expect("a verdict")
        .profiles
        .iter()
        .map(|p| (p.profile.clone(), p.connects))
        .collect()
}

#[track_caller]
fn assert_connects(run: &CheckRun, expected: [Connects; 4]) {
    let expected: Vec<(String, Connects)> = PROFILES
        .iter()
        .map(|p| p.to_string())
        .zip(expected)
        .collect();
    assert_eq!(connects(run), expected, "\n{}", human(run));
}

fn top_fix(run: &CheckRun) -> Option<String> {
    run.report
        .verdict
        .as_ref()?
        .top_fix
        .as_ref()
        .map(|f| f.code.clone())
}

fn caveat_codes(run: &CheckRun, profile: &str) -> Vec<String> {
    run.report
        .verdict
        .as_ref()
        .unwrap()
        .profiles
        .iter()
        .find(|p| p.profile == profile)
        .unwrap()
        .caveats
        .iter()
        .map(|c| c.code.clone())
        .collect()
}

/// True when `text` holds a value shaped like the mock's refresh tokens or codes
/// (`rt_` / `ac_` then 43 base64url characters) or a JWT.
fn leaks_secret(text: &str) -> bool {
    let shaped = |prefix: &str| {
        text.match_indices(prefix).any(|(at, _)| {
            text[at + prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .count()
                >= 40
        })
    };
    shaped("rt_") || shaped("ac_") || text.contains("eyJ")
}

#[tokio::test]
async fn a_conformant_server_connects_under_every_profile() {
    let mocks = vendor(|c| c.authorization_server.rotate_refresh_tokens = true).await;
    let run = run(options(&mocks, Consent::Headless)).await;
    assert_connects(&run, [Connects::Yes; 4]);
    let verdict = run.report.verdict.as_ref().unwrap();
    assert!(
        verdict.profiles[0].verified,
        "pipelines went through consent"
    );
    assert_eq!(top_fix(&run), None);
    for id in [
        "mcp-requires-auth",
        "invalid-token-rejected",
        "invalid-token-error-code",
        "prm-resource-matches",
        "as-issuer-matches",
        "pkce-s256-advertised",
        "dcr-registration",
        "dcr-rejects-fragment-redirect",
        "authorization-rejects-unregistered-redirect",
        "audience-optional",
        "token-unknown-code",
        "token-unknown-refresh-token",
        "token-unsupported-grant-type",
        "mcp-initialize",
        "mcp-tools-list",
        "refresh-token-grant",
        "refresh-token-rotation",
        "revocation-accepted",
        "revoked-refresh-token-refused",
        "refresh-token-reuse-refused",
    ] {
        assert_check(&run, id, Status::Success);
    }
    assert_eq!(run.report.summary.failure, 0, "{}", human(&run));
    assert_eq!(run.report.summary.warning, 0, "{}", human(&run));
    assert_eq!(run.report.outcome.diagnosis, None);
    assert!(run.passed());
    assert_eq!(run.exit_code(), 0);

    // Tokens and codes went through every step, and none reached the report.
    let json = mcp_oauth_reports::render::json(&run.report);
    assert!(!leaks_secret(&json), "a secret in the report");
    assert!(!leaks_secret(&human(&run)));
    assert!(!leaks_secret(&mcp_oauth_reports::render::markdown(
        &run.report
    )));
}

#[tokio::test]
async fn an_authorization_server_that_requires_an_audience_stops_only_pipelines() {
    let mocks = vendor(|c| c.authorization_server.require_audience = true).await;
    let run = run(options(&mocks, Consent::Headless)).await;
    assert_connects(
        &run,
        [Connects::No, Connects::Yes, Connects::Yes, Connects::Yes],
    );
    assert_check(&run, "audience-optional", Status::Failure);
    assert_eq!(top_fix(&run).as_deref(), Some("audience-required"));
    // The consent step confirms it for the Pipelines profile.
    let pipelines = &run.report.verdict.as_ref().unwrap().profiles[0];
    assert!(pipelines.verified);
    assert_eq!(
        run.report.outcome.diagnosis.as_ref().unwrap().code,
        "audience-required"
    );
    assert_eq!(run.exit_code(), 1);

    // A spec client sends resource and connects: its consent is observed too.
    let run = check::check(CheckOptions {
        profile: mcp_oauth_harness::profile::by_name("mcp-2025-11-25").unwrap(),
        ..options(&mocks, Consent::Headless)
    })
    .await
    .unwrap();
    let verdict = run.report.verdict.as_ref().unwrap();
    assert_eq!(verdict.profiles[2].connects, Connects::Yes);
    assert!(verdict.profiles[2].verified);
    assert_check(&run, "audience-optional", Status::Info);
    assert_check(&run, "mcp-tools-list", Status::Success);
}

#[tokio::test]
async fn a_server_without_registration_needs_a_client_id() {
    let redirect_uri = "http://127.0.0.1:33418/callback";
    let mocks = vendor(|c| {
        c.authorization_server.dynamic_registration = false;
        c.authorization_server.clients = vec![PreregisteredClient {
            client_id: "byo-app".into(),
            client_secret: Some("byo-app-secret-value".into()),
            redirect_uris: vec![redirect_uri.into()],
        }];
    })
    .await;
    let run = run(options(&mocks, Consent::Headless)).await;
    assert_connects(&run, [Connects::WithClientId; 4]);
    assert_eq!(top_fix(&run).as_deref(), Some("client-id-missing"));
    assert_check(&run, "dcr-available", Status::Info);
    assert_check(&run, "client-id", Status::Failure);
    assert_check(&run, "token-unknown-code", Status::Skipped);
    let dcr = run
        .report
        .checks
        .iter()
        .find(|c| c.id == "dcr-available")
        .unwrap();
    assert!(
        dcr.error_message
            .as_deref()
            .unwrap()
            .contains("a Client ID must be brought")
    );
    assert_eq!(run.exit_code(), 1);

    // Only the checks that need no person: nothing is wrong with the server as such.
    let run = check::check(options(&mocks, Consent::Skip)).await.unwrap();
    assert_connects(&run, [Connects::WithClientId; 4]);
    assert_eq!(run.exit_code(), 0, "{}", human(&run));

    // With the Client ID of an OAuth app that allows the callback, everyone connects, and
    // the app's secret appears nowhere in the report.
    let run = check::check(CheckOptions {
        client_id: Some("byo-app".into()),
        client_secret: Some("byo-app-secret-value".into()),
        redirect_port: 33418,
        ..options(&mocks, Consent::Headless)
    })
    .await
    .unwrap();
    assert_connects(&run, [Connects::Yes; 4]);
    assert_check(&run, "client-id", Status::Success);
    assert_check(&run, "token-unknown-refresh-token", Status::Success);
    assert_eq!(run.report.outcome.health.as_str(), "healthy");
    let json = mcp_oauth_reports::render::json(&run.report);
    assert!(!json.contains("byo-app-secret-value"));
}

#[tokio::test]
async fn an_issuer_with_a_trailing_slash_stops_everyone() {
    let mocks =
        vendor(|c| c.authorization_server.issuer_in_metadata = IssuerForm::TrailingSlash).await;
    let run = run(options(&mocks, Consent::Headless)).await;
    assert_connects(&run, [Connects::No; 4]);
    assert_check(&run, "as-issuer-matches", Status::Failure);
    assert_eq!(top_fix(&run).as_deref(), Some("issuer-mismatch"));
    let fix = run
        .report
        .verdict
        .as_ref()
        .unwrap()
        .top_fix
        .clone()
        .unwrap();
    assert!(
        fix.remedy
            .contains(&format!("\"issuer\": \"{}\"", mocks.issuer()))
    );
    assert_eq!(fix.profiles.len(), 4);
    assert_eq!(run.exit_code(), 1);
}

#[tokio::test]
async fn resource_metadata_naming_another_host_says_which_url_to_paste() {
    let mocks = vendor(|c| c.resource_server.resource_in_metadata = ResourceForm::OtherHost).await;
    let run = run(options(&mocks, Consent::Headless)).await;
    assert_connects(&run, [Connects::No; 4]);
    assert_check(&run, "prm-resource-matches", Status::Failure);
    assert_eq!(top_fix(&run).as_deref(), Some("resource-mismatch"));
    let announced = mocks.resource_server().announced_resource();
    let check = run
        .report
        .checks
        .iter()
        .find(|c| c.id == "prm-resource-matches")
        .unwrap();
    assert_eq!(check.details.as_ref().unwrap()["urlToPaste"], announced);
    let fix = run
        .report
        .verdict
        .as_ref()
        .unwrap()
        .top_fix
        .clone()
        .unwrap();
    assert!(fix.remedy.contains("paste that URL"), "{}", fix.remedy);
    assert!(fix.remedy.contains(&announced), "{}", fix.remedy);
    assert_eq!(run.exit_code(), 1);
}

#[tokio::test]
async fn a_token_endpoint_answering_503_to_unknown_refresh_tokens_is_a_caveat() {
    let mocks = vendor(|c| c.authorization_server.invalid_refresh_token_unavailable = true).await;
    let run = run(options(&mocks, Consent::Headless)).await;
    assert_connects(&run, [Connects::Yes; 4]);
    assert_check(&run, "token-unknown-refresh-token", Status::Failure);
    // After revocation the token gets a 503 too: a client cannot tell it was revoked.
    assert_check(&run, "revocation-accepted", Status::Success);
    assert_check(&run, "revoked-refresh-token-refused", Status::Failure);
    assert!(caveat_codes(&run, "pipelines").contains(&"transient-refresh-failure".to_owned()));
    assert_eq!(top_fix(&run).as_deref(), Some("transient-refresh-failure"));
    assert_eq!(run.exit_code(), 1);
}

#[tokio::test]
async fn an_open_redirector_is_reported() {
    let mocks = vendor(|c| c.authorization_server.open_redirect = true).await;
    let run = run(options(&mocks, Consent::Headless)).await;
    assert_connects(&run, [Connects::Yes; 4]);
    assert_check(
        &run,
        "authorization-rejects-unregistered-redirect",
        Status::Failure,
    );
    assert_eq!(top_fix(&run).as_deref(), Some("open-redirect"));
    assert_eq!(run.exit_code(), 1);
    // The code it handed to the unregistered URI is redacted like any other.
    assert!(!leaks_secret(&mcp_oauth_reports::render::json(&run.report)));
}

#[tokio::test]
async fn a_server_that_answers_without_a_token_is_reported() {
    let mocks = vendor(|c| c.resource_server.allow_unauthenticated = true).await;
    let run = run(options(&mocks, Consent::Headless)).await;
    assert_check(&run, "mcp-requires-auth", Status::Failure);
    assert_check(&run, "invalid-token-rejected", Status::Failure);
    assert_connects(&run, [Connects::Yes; 4]);
    assert!(caveat_codes(&run, "mcp-2025-11-25").contains(&"unauthenticated-access".to_owned()));
    assert_eq!(top_fix(&run).as_deref(), Some("unauthenticated-access"));
    assert_eq!(run.exit_code(), 1);
}

#[tokio::test]
async fn a_fragment_redirect_uri_accepted_by_registration_is_reported() {
    let mocks = vendor(|c| c.authorization_server.accept_fragment_redirect_uris = true).await;
    let run = run(options(&mocks, Consent::Skip)).await;
    assert_check(&run, "dcr-rejects-fragment-redirect", Status::Failure);
    assert!(caveat_codes(&run, "pipelines").contains(&"fragment-redirect-accepted".to_owned()));
    assert_eq!(run.exit_code(), 1);
}

fn baseline(text: &str) -> Baseline {
    Baseline::parse(&PathBuf::from("baseline.yaml"), text).expect("a valid baseline")
}

#[tokio::test]
async fn a_baseline_lets_listed_failures_pass_and_fails_unlisted_and_stale_ones() {
    let faulty = vendor(|c| c.authorization_server.invalid_refresh_token_unavailable = true).await;
    // Listed: passes.
    let run = check::check(CheckOptions {
        baseline: Some(baseline("server:\n  - token:token-unknown-refresh-token\n")),
        ..options(&faulty, Consent::Skip)
    })
    .await
    .unwrap();
    assert_eq!(
        run.result.expected_failures,
        ["token:token-unknown-refresh-token"]
    );
    assert!(run.passed(), "{:?}", run.result);
    // A whole step listed: passes too.
    let run = check::check(CheckOptions {
        baseline: Some(baseline("server:\n  - token\n")),
        ..options(&faulty, Consent::Skip)
    })
    .await
    .unwrap();
    assert!(run.passed(), "{:?}", run.result);
    // Unlisted: fails.
    let run = check::check(CheckOptions {
        baseline: Some(baseline("server:\n  - discovery:pkce-s256-advertised\n")),
        ..options(&faulty, Consent::Skip)
    })
    .await
    .unwrap();
    assert_eq!(
        run.result.unexpected_failures,
        ["token:token-unknown-refresh-token"]
    );
    // ...and the PKCE entry is stale: that check passes.
    assert_eq!(run.result.stale_entries, ["discovery:pkce-s256-advertised"]);
    assert!(!run.passed());
    assert_eq!(run.exit_code(), 1);

    // Stale alone is enough to fail.
    let conformant = vendor(|_| {}).await;
    let run = check::check(CheckOptions {
        baseline: Some(baseline("server:\n  - token:token-unknown-code\n")),
        ..options(&conformant, Consent::Skip)
    })
    .await
    .unwrap();
    assert!(run.result.unexpected_failures.is_empty());
    assert_eq!(run.result.stale_entries, ["token:token-unknown-code"]);
    assert_eq!(run.exit_code(), 1);
}

#[tokio::test]
async fn strict_makes_warnings_fail() {
    // Refresh tokens that do not rotate: a warning.
    let mocks = vendor(|_| {}).await;
    let lenient = run(options(&mocks, Consent::Headless)).await;
    assert_check(&lenient, "refresh-token-rotation", Status::Warning);
    assert_eq!(lenient.exit_code(), 0, "{}", human(&lenient));
    let strict = run(CheckOptions {
        strict: true,
        ..options(&mocks, Consent::Headless)
    })
    .await;
    assert_eq!(
        strict.result.unexpected_failures,
        ["refresh:refresh-token-rotation"]
    );
    assert_eq!(strict.exit_code(), 1);
}

/// A server whose first request waits until the other server has had one too: two checks
/// get past it only when they run at the same time.
async fn barrier_server(barrier: Arc<tokio::sync::Barrier>, released: Arc<AtomicUsize>) -> String {
    use axum::http::StatusCode;
    let first = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let app = axum::Router::new().fallback(move || {
        let (barrier, released, first) = (barrier.clone(), released.clone(), first.clone());
        async move {
            if first.swap(false, Ordering::SeqCst)
                && tokio::time::timeout(Duration::from_secs(20), barrier.wait())
                    .await
                    .is_ok()
            {
                released.fetch_add(1, Ordering::SeqCst);
            }
            StatusCode::NOT_FOUND
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_targets_are_checked_concurrently() {
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let released = Arc::new(AtomicUsize::new(0));
    let a = barrier_server(barrier.clone(), released.clone()).await;
    let b = barrier_server(barrier, released.clone()).await;
    let targets = [a, b]
        .into_iter()
        .enumerate()
        .map(|(i, url)| CheckOptions {
            name: format!("target-{i}"),
            consent: Consent::Skip,
            redirect_port: 0,
            timeout: Duration::from_secs(30),
            ..CheckOptions::new(url)
        })
        .collect();
    let runs = check::check_all(targets, 2).await;
    assert_eq!(
        released.load(Ordering::SeqCst),
        2,
        "the checks ran one after the other"
    );
    let names: Vec<String> = runs.into_iter().map(|r| r.expect("checked").name).collect();
    assert_eq!(
        names,
        ["target-0", "target-1"],
        "results keep the given order"
    );
}

#[tokio::test]
async fn authorize_with_runs_the_command_and_waits_for_the_callback() {
    let mocks = vendor(|_| {}).await;
    let run = run(options(
        &mocks,
        Consent::Command {
            program: BIN.to_owned(),
            args: vec!["follow-consent".to_owned()],
        },
    ))
    .await;
    assert_eq!(run.consent, "command");
    assert!(run.report.verdict.as_ref().unwrap().profiles[0].verified);
    assert_check(&run, "authorization-granted", Status::Success);
    assert_check(&run, "mcp-tools-list", Status::Success);
    assert_eq!(run.exit_code(), 0, "{}", human(&run));

    // A command that fails before the redirect ends the consent at once, with its status.
    let run = run_failing_command(&mocks).await;
    let diagnosis = run.report.outcome.diagnosis.clone().unwrap();
    assert!(
        diagnosis.message.contains("exited with"),
        "{}",
        diagnosis.message
    );
    assert_eq!(
        run.report.verdict.as_ref().unwrap().profiles[0].connects,
        Connects::No
    );
    assert_eq!(run.exit_code(), 1);
}

async fn run_failing_command(mocks: &MockServers) -> CheckRun {
    run(CheckOptions {
        // Generous: the failure must come from the command's exit, not from this timeout.
        timeout: Duration::from_secs(60),
        ..options(
            mocks,
            Consent::Command {
                program: BIN.to_owned(),
                args: vec![
                    "follow-consent".to_owned(),
                    "--max-redirects".to_owned(),
                    "0".to_owned(),
                ],
            },
        )
    })
    .await
}

#[tokio::test]
async fn the_loopback_listener_takes_only_authorization_responses_on_its_path() {
    let callback = LoopbackCallback::new(0).unwrap();
    let mut waiter = callback.listen().await.unwrap();
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{}", callback.port());

    let other = http
        .get(format!("{base}/favicon.ico"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
    let bare = http.get(format!("{base}/callback")).send().await.unwrap();
    assert_eq!(bare.status(), 400);
    assert!(waiter.try_next().is_none(), "nothing was taken yet");

    let page = http
        .get(format!("{base}/callback?code=abc&state=xyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(page.text().await.unwrap().contains("close this tab"));
    assert_eq!(
        waiter.next().await.unwrap(),
        format!("{}?code=abc&state=xyz", callback.redirect_uri())
    );

    // A wait that nobody answers ends with the timeout instead of hanging.
    assert_eq!(waiter.wait(Duration::from_millis(50)).await, None);

    // A port someone else holds is an error that names it.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let error = LoopbackCallback::new(port)
        .unwrap()
        .listen()
        .await
        .unwrap_err();
    assert!(error.to_string().contains(&port.to_string()), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_exits_by_the_verdict_and_prints_json() {
    let good = vendor(|c| c.authorization_server.rotate_refresh_tokens = true).await;
    let url = good.mcp_url();
    let (code, stdout, stderr) = harness(&[
        "check",
        &url,
        "--headless",
        "--redirect-port",
        "0",
        "--format",
        "json",
    ])
    .await;
    assert_eq!(code, 0, "{stderr}");
    // Four profile flows ran, and stderr is no terminal here: no progress bar is drawn.
    assert!(
        !stderr.contains("profile 1/") && !stderr.contains("probes done") && !stderr.contains('\r'),
        "{stderr}"
    );
    let report: Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    assert_eq!(report["target"]["kind"], "live");
    assert_eq!(report["verdict"]["profiles"][0]["connects"], "yes");
    assert_eq!(report["verdict"]["profiles"][0]["verified"], true);

    let bad =
        vendor(|c| c.authorization_server.issuer_in_metadata = IssuerForm::TrailingSlash).await;
    let url = bad.mcp_url();
    let (code, stdout, _) = harness(&["check", &url, "--no-consent"]).await;
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with(&format!("{url} (pipelines, consent: none)")),
        "{stdout}"
    );
    assert!(stdout.contains("Fix first (issuer-mismatch"), "{stdout}");
    assert!(stdout.contains("Result: FAIL"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_clear_error_and_exit_code_2() {
    let dir = tempdir("bad-input");
    let (code, _, stderr) = harness(&["check", "not a url", "--no-consent"]).await;
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot be checked"), "{stderr}");

    let (code, _, stderr) = harness(&["check", "http://mcp.example.com/mcp", "--no-consent"]).await;
    assert_eq!(code, 2);
    assert!(stderr.contains("plain http"), "{stderr}");

    let missing = dir.join("missing.yaml");
    let (code, _, stderr) = harness(&[
        "check",
        "https://mcp.example.com/mcp",
        "--baseline",
        missing.to_str().unwrap(),
    ])
    .await;
    assert_eq!(code, 2);
    assert!(stderr.contains("missing.yaml"), "{stderr}");

    let malformed = dir.join("baseline.yaml");
    std::fs::write(
        &malformed,
        "server:\n  - token\n  - discovery:no-such-check\n",
    )
    .unwrap();
    let (code, _, stderr) = harness(&[
        "check",
        "https://mcp.example.com/mcp",
        "--baseline",
        malformed.to_str().unwrap(),
    ])
    .await;
    assert_eq!(code, 2);
    assert!(stderr.contains("baseline.yaml:3: "), "{stderr}");

    let targets = dir.join("targets.yaml");
    std::fs::write(
        &targets,
        "targets:\n  - name: a\n    ulr: https://a.example/mcp\n",
    )
    .unwrap();
    let (code, _, stderr) = harness(&["check", "--targets", targets.to_str().unwrap()]).await;
    assert_eq!(code, 2);
    assert!(stderr.contains("targets.yaml:"), "{stderr}");

    let (code, _, stderr) = harness(&["check"]).await;
    assert_eq!(code, 2, "a URL or --targets is required");
    assert!(stderr.contains("--targets"), "{stderr}");

    let (code, _, _) = harness(&[
        "check",
        "https://mcp.example.com/mcp",
        "--headless",
        "--no-consent",
    ])
    .await;
    assert_eq!(code, 2, "one way to consent at a time");

    let (code, _, stderr) = harness(&[
        "check",
        "https://mcp.example.com/mcp",
        "--authorize-with",
        "open 'unbalanced",
    ])
    .await;
    assert_eq!(code, 2);
    assert!(stderr.contains("--authorize-with"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_targets_file_gives_one_summary_and_one_report_per_target() {
    let good = vendor(|c| c.authorization_server.rotate_refresh_tokens = true).await;
    let slash =
        vendor(|c| c.authorization_server.issuer_in_metadata = IssuerForm::TrailingSlash).await;
    let audience = vendor(|c| c.authorization_server.require_audience = true).await;
    let dir = tempdir("targets");
    std::fs::write(
        dir.join("audience-baseline.yaml"),
        "server:\n  - authorization\n",
    )
    .unwrap();
    let file = dir.join("gallery.yaml");
    std::fs::write(
        &file,
        format!(
            "targets:\n  - name: good\n    url: {}\n  - name: slash\n    url: {}\n  - name: audience\n    url: {}\n    baseline: audience-baseline.yaml\n",
            good.mcp_url(),
            slash.mcp_url(),
            audience.mcp_url()
        ),
    )
    .unwrap();
    let out = dir.join("out");
    let (code, stdout, stderr) = harness(&[
        "check",
        "--targets",
        file.to_str().unwrap(),
        "--headless",
        "--redirect-port",
        "0",
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
    ])
    .await;
    assert_eq!(code, 1, "one target fails: {stderr}");
    let document: Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    let summary = document["summary"].as_array().unwrap();
    let results: Vec<(&str, bool)> = summary
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["passed"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        results,
        [("good", true), ("slash", false), ("audience", true)]
    );
    assert_eq!(summary[1]["topFix"], "issuer-mismatch");
    assert_eq!(summary[2]["connects"]["pipelines"], "no");
    assert_eq!(document["reports"].as_array().unwrap().len(), 3);
    // JSON always, plus the chosen format, which is JSON here.
    for name in ["good", "slash", "audience"] {
        assert!(out.join(format!("{name}.json")).is_file(), "{name}.json");
        assert!(!out.join(format!("{name}.html")).exists(), "{name}.html");
    }
    assert!(out.join("summary.json").is_file());

    let (code, stdout, _) =
        harness(&["check", "--targets", file.to_str().unwrap(), "--no-consent"]).await;
    assert_eq!(code, 1);
    assert!(stdout.contains("Summary (3 targets)"), "{stdout}");
    assert!(stdout.contains("2 passed, 1 failed"), "{stdout}");
}

fn tempdir(name: &str) -> ScratchDir {
    ScratchDir::new("check", name)
}

#[tokio::test]
async fn check_help_teaches_the_consent_options() {
    let (code, stdout, _) = harness(&["check", "--help"]).await;
    assert_eq!(code, 0);
    for needle in [
        "--authorize-with CMD",
        "--headless",
        "--no-consent",
        "http://127.0.0.1:33418/callback",
        "Examples:",
        "Exit codes:",
    ] {
        assert!(stdout.contains(needle), "--help lacks {needle:?}");
    }
}

/// Every profile's verdict, whether it was observed, and its own diagnosis code ("none").
fn observed(run: &CheckRun) -> Vec<(String, Connects, bool, String)> {
    run.report
        .verdict
        .as_ref()
        .expect("a verdict")
        .profiles
        .iter()
        .map(|p| {
            (
                p.profile.clone(),
                p.connects,
                p.verified,
                p.diagnosis
                    .as_ref()
                    .map_or_else(|| "none".to_owned(), |d| d.code.clone()),
            )
        })
        .collect()
}

#[track_caller]
fn assert_observed(run: &CheckRun, expected: [(Connects, &str); 4]) {
    let expected: Vec<(String, Connects, bool, String)> = PROFILES
        .iter()
        .zip(expected)
        .map(|(p, (c, d))| (p.to_string(), c, true, d.to_owned()))
        .collect();
    assert_eq!(observed(run), expected, "\n{}", human(run));
}

fn profile_verdict<'a>(run: &'a CheckRun, name: &str) -> &'a mcp_oauth_reports::ProfileVerdict {
    run.report
        .verdict
        .as_ref()
        .unwrap()
        .profiles
        .iter()
        .find(|p| p.profile == name)
        .unwrap()
}

#[tokio::test]
async fn a_token_endpoint_failing_without_resource_is_an_observed_audience_requirement() {
    for (status, error, answer) in [
        (500, "invalid_request", "500 server_error"),
        (400, "invalid_request", "400 invalid_request"),
        (400, "invalid_target", "400 invalid_target"),
    ] {
        let mocks = vendor(|c| {
            c.authorization_server.token_without_resource_status = Some(status);
            c.authorization_server.token_without_resource_error = error.to_owned();
        })
        .await;
        let run = run(options(&mocks, Consent::Headless)).await;
        assert_observed(
            &run,
            [
                (Connects::No, "audience-required"),
                (Connects::Yes, "none"),
                (Connects::Yes, "none"),
                (Connects::Yes, "none"),
            ],
        );
        let pipelines = profile_verdict(&run, "pipelines");
        let diagnosis = pipelines.diagnosis.as_ref().unwrap();
        // The one difference, with evidence from both flows.
        assert!(
            diagnosis.message.contains("the token endpoint answers 200")
                && diagnosis.message.contains(answer),
            "{}",
            diagnosis.message
        );
        assert_eq!(pipelines.departs_at.as_deref(), Some("token"));
        assert_eq!(
            profile_verdict(&run, "mcp-2025-11-25")
                .departs_at
                .as_deref(),
            Some("token")
        );
        assert_eq!(
            run.report.outcome.diagnosis.as_ref().unwrap().code,
            "audience-required"
        );
        assert_eq!(top_fix(&run).as_deref(), Some("audience-required"));
    }
}

#[tokio::test]
async fn a_token_not_bound_to_the_mcp_server_without_resource_is_an_audience_requirement() {
    let mocks = vendor(|c| {
        c.authorization_server.audience_without_resource =
            Some("https://another-api.example/".to_owned());
        c.resource_server.require_audience = true;
    })
    .await;
    let run = run(options(&mocks, Consent::Headless)).await;
    assert_observed(
        &run,
        [
            (Connects::No, "audience-required"),
            (Connects::Yes, "none"),
            (Connects::Yes, "none"),
            (Connects::Yes, "none"),
        ],
    );
    let pipelines = profile_verdict(&run, "pipelines");
    assert_eq!(pipelines.departs_at.as_deref(), Some("mcp"));
    let message = &pipelines.diagnosis.as_ref().unwrap().message;
    assert!(message.contains("the MCP server answers"), "{message}");
}

#[tokio::test]
async fn an_authorization_server_refusing_resource_is_resource_rejected_for_the_spec_profiles() {
    let mocks = vendor(|c| c.authorization_server.refuse_resource = true).await;
    let run = run(options(&mocks, Consent::Headless)).await;
    assert_observed(
        &run,
        [
            (Connects::Yes, "none"),
            (Connects::No, "resource-rejected"),
            (Connects::No, "resource-rejected"),
            (Connects::No, "resource-rejected"),
        ],
    );
    let spec = profile_verdict(&run, "mcp-2025-11-25");
    let diagnosis = spec.diagnosis.as_ref().unwrap();
    assert!(
        diagnosis.message.contains("such as pipelines"),
        "{}",
        diagnosis.message
    );
    assert!(
        diagnosis.remedy.contains("RFC 8707"),
        "{}",
        diagnosis.remedy
    );
    assert_eq!(spec.departs_at.as_deref(), Some("token"));
    // The report is judged as Pipelines, which connects.
    assert_eq!(run.report.outcome.diagnosis, None);
}

#[tokio::test]
async fn every_profile_is_observed_in_its_own_flow_and_profiles_narrows_the_set() {
    let mocks = vendor(|_| {}).await;
    let started = std::time::Instant::now();
    let run = run(options(&mocks, Consent::Headless)).await;
    let elapsed = started.elapsed();
    eprintln!("check with four observed profiles took {elapsed:?}");
    assert_observed(&run, [(Connects::Yes, "none"); 4]);
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    // Each flow registered its own client and deleted it afterwards (check_leftovers.rs).
    let verdict = run.report.verdict.as_ref().unwrap();
    assert!(verdict.left_behind.is_empty(), "{:?}", verdict.left_behind);

    let list = check::ProfileSelection::parse("mcp-2025-11-25").unwrap();
    let run = check::check(CheckOptions {
        profiles: list,
        ..options(&mocks, Consent::Headless)
    })
    .await
    .unwrap();
    let verified: Vec<bool> = run
        .report
        .verdict
        .as_ref()
        .unwrap()
        .profiles
        .iter()
        .map(|p| p.verified)
        .collect();
    assert_eq!(verified, [true, false, true, false], "\n{}", human(&run));
    let inferred = profile_verdict(&run, "mcp-2025-06-18");
    assert!(inferred.inferred_because.is_some());
    assert!(inferred.diagnosis.is_none());
}

#[tokio::test]
async fn without_consent_every_verdict_is_inferred_and_says_why() {
    let mocks = vendor(|_| {}).await;
    let run = run(options(&mocks, Consent::Skip)).await;
    for p in &run.report.verdict.as_ref().unwrap().profiles {
        assert!(!p.verified);
        assert!(
            p.inferred_because
                .as_deref()
                .is_some_and(|w| w.contains("no consent")),
            "{p:?}"
        );
    }
}
