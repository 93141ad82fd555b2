//! The `serve` binary with a scripted client (the harness's own `connect` under the
//! pipelines profile, which leaves out what the newest spec asks of a client): `-q` prints
//! only the failed checks and the final count, `-v` adds the step timeline with the failed
//! checks and their fixes.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_mcp-oauth-harness");

/// Starts `serve` with `args` and reads its stdout up to the MCP URL line: the child, its
/// stdout (the rest still to read) and the URL.
async fn start_serve(
    args: &[&str],
) -> (
    tokio::process::Child,
    BufReader<tokio::process::ChildStdout>,
    String,
) {
    let mut serve = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("serve starts");
    let mut stdout = BufReader::new(serve.stdout.take().expect("piped stdout"));
    let mut url = None;
    let mut line = String::new();
    while url.is_none() {
        line.clear();
        let read = stdout.read_line(&mut line).await.expect("serve's stdout");
        assert!(read > 0, "serve ended before printing its MCP URL");
        url = line
            .strip_prefix("MCP server URL:")
            .map(|rest| rest.trim().to_owned());
    }
    (serve, stdout, url.unwrap_or_default())
}

/// Ctrl-C to `serve`, which then judges every client it saw: the rest of its stdout and how
/// it exited.
async fn interrupt(
    serve: tokio::process::Child,
    stdout: BufReader<tokio::process::ChildStdout>,
) -> (String, std::process::ExitStatus) {
    let pid = serve.id().expect("serve runs").to_string();
    let killed = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .await
        .expect("kill runs");
    assert!(killed.success());
    finish(serve, stdout, 60, "serve ends on Ctrl-C").await
}

/// The rest of serve's stdout, which ends when serve does (within `seconds`, or the test
/// fails saying `ends`), and how serve exited.
async fn finish(
    mut serve: tokio::process::Child,
    mut stdout: BufReader<tokio::process::ChildStdout>,
    seconds: u64,
    ends: &str,
) -> (String, std::process::ExitStatus) {
    let mut rest = String::new();
    tokio::time::timeout(
        Duration::from_secs(seconds),
        stdout.read_to_string(&mut rest),
    )
    .await
    .expect(ends)
    .expect("serve's stdout");
    let status = serve.wait().await.expect("serve exits");
    (rest, status)
}

/// Runs `serve dcr-happy-path --once` with `flag`, points the pipelines client at it, and
/// returns serve's stdout without the URL and credential lines, and its exit code.
async fn serve_with(flag: &str) -> (String, i32) {
    let (serve, stdout, url) =
        start_serve(&[flag, "serve", "dcr-happy-path", "--once", "--timeout", "60"]).await;
    // The pipelines client sends no resource indicator and no application type: two
    // client checks fail under the newest revision. Its own exit code is not the point.
    let _ = Command::new(BIN)
        .args(["connect", "--profile", "pipelines", "--timeout", "30", &url])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .expect("connect runs");
    let (rest, status) = finish(serve, stdout, 90, "serve ends after the flow (--once)").await;
    (rest, status.code().unwrap_or(-1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_serve_prints_only_the_failures_and_the_final_count() {
    let (out, code) = serve_with("-q").await;
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains("Client verdict"), "{out}");
    assert!(!out.contains("  ok   "), "no passed check with -q: {out}");
    assert!(!out.contains("Timeline:"), "{out}");
    assert!(out.contains("FAIL client-resource-indicator"), "{out}");
    assert!(out.contains("fix: Send resource="), "{out}");
    assert!(
        out.contains("expected failed client checks: none"),
        "the unmet expectation: {out}"
    );
    let last = out.lines().last().unwrap_or("");
    assert!(
        last.starts_with("NOT CONFORMANT: ") && last.contains(" 2 failed"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_serve_adds_the_step_timeline_with_failed_checks_and_fixes() {
    let (out, code) = serve_with("-v").await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Client verdict: dcr-happy-path"), "{out}");
    assert!(out.contains("  ok   client-pkce-s256"), "{out}");
    let timeline = out
        .split("Timeline:\n")
        .nth(1)
        .expect("-v prints the timeline");
    let token = timeline
        .lines()
        .skip_while(|l| !l.contains("Client token"))
        .take_while(|l| !l.contains("Client MCP"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(token.contains("1 failed"), "{timeline}");
    assert!(token.contains("client-resource-indicator"), "{timeline}");
    assert!(token.contains("fix: Send resource="), "{timeline}");
    assert!(
        !timeline.contains("client-pkce-s256"),
        "the timeline lists only failed and warning checks: {timeline}"
    );
    assert!(
        out.lines()
            .last()
            .unwrap_or("")
            .starts_with("NOT CONFORMANT: ")
    );
}

/// Two clients at one `serve` at once, through the binaries: the conformant `connect` and the
/// pipelines one. Each gets its own verdict, in a JSON array and one file per client, and
/// neither inherits the other's failures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_at_one_serve_are_judged_each_alone() {
    let out = std::env::temp_dir().join(format!("serve-two-clients-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let out_arg = out.to_string_lossy().into_owned();
    let (serve, stdout, url) = start_serve(&[
        "serve",
        "dcr-happy-path",
        "--timeout",
        "120",
        "--format",
        "json",
        "--out",
        &out_arg,
    ])
    .await;
    let client = |profile: Option<&str>| {
        let mut command = Command::new(BIN);
        command.arg("connect");
        if let Some(profile) = profile {
            command.args(["--profile", profile]);
        }
        command
            .args(["--timeout", "30", &url])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
    };
    let (newest, pipelines) = tokio::join!(client(None), client(Some("pipelines")));
    assert!(newest.expect("connect runs").success());
    let _ = pipelines.expect("connect runs");
    // Ctrl-C ends serve, which then judges every client it saw.
    let (rest, status) = interrupt(serve, stdout).await;
    assert_eq!(
        status.code(),
        Some(1),
        "one client is not conformant: {rest}"
    );
    let start = if rest.starts_with('[') {
        0
    } else {
        rest.find("\n[")
            .unwrap_or_else(|| panic!("a JSON array of reports: {rest}"))
            + 1
    };
    let reports: serde_json::Value =
        serde_json::from_str(rest[start..].trim()).expect("the reports as JSON");
    let reports = reports.as_array().expect("an array");
    assert_eq!(reports.len(), 2, "{rest}");
    let failed = |report: &serde_json::Value| -> Vec<String> {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "FAILURE")
            .map(|c| c["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let mut verdicts: Vec<Vec<String>> = reports.iter().map(failed).collect();
    verdicts.sort();
    assert_eq!(verdicts[0], Vec::<String>::new(), "{rest}");
    assert!(
        verdicts[1].contains(&"client-resource-indicator".to_owned()),
        "{verdicts:?}"
    );
    for report in reports {
        assert_eq!(report["client"]["flows"], 2, "{report:#}");
    }
    for n in 1..=2 {
        assert!(
            out.join(format!("dcr-happy-path-client-{n}.json"))
                .is_file(),
            "{n}"
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}

/// A scenario behind a TLS front: `serve` prints the PEM file of the run's authority, a client
/// started with it as `SSL_CERT_FILE` reaches the https URL (and refuses the http:// metadata,
/// as a conformant one does), and the file is gone once `serve` has ended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_hands_out_the_authority_of_its_tls_front() {
    let (serve, mut stdout, url) =
        start_serve(&["serve", "prm-http-behind-tls-proxy", "--timeout", "120"]).await;
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let mut line = String::new();
    stdout.read_line(&mut line).await.expect("serve's stdout");
    let path = line
        .strip_prefix("TLS authority:")
        .map(|rest| rest.trim().to_owned())
        .unwrap_or_else(|| panic!("no TLS authority line after the URL: {line:?}"));
    let pem = std::fs::read_to_string(&path).expect("the authority's file");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"), "{pem}");

    let connect = Command::new(BIN)
        .args(["connect", "--timeout", "30", &url])
        .env("SSL_CERT_FILE", &path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .await
        .expect("connect runs");
    let said = String::from_utf8_lossy(&connect.stderr);
    assert!(!connect.status.success(), "connect refuses: {said}");
    assert!(said.contains("resource-mismatch"), "{said}");

    let (rest, status) = interrupt(serve, stdout).await;
    assert_eq!(
        status.code(),
        Some(0),
        "the client refused as it should: {rest}"
    );
    assert!(
        !std::path::Path::new(&path).exists(),
        "{path} outlived serve"
    );
}
