//! Text a hostile server sends, through the real binary: an authorization server whose
//! `error_description` holds terminal escapes (an OSC 8 hyperlink, a screen clear), a bidi
//! override and a line break. `check` (human output, `-v` too), `connect` and the machine
//! formats must show them escaped, never pass them to the terminal.

#[path = "common/hostile.rs"]
mod hostile;

use std::process::{Command, Output};

use hostile::{RawServer, mcp_ok, provider, response};

const BIN: &str = env!("CARGO_BIN_EXE_mcp-oauth-harness");

const DESCRIPTION: &str = "\u{1b}]8;;https://evil.example\u{7}click here\u{1b}]8;;\u{7} \u{1b}[2J\u{202e}dilav\nFORGED: PASS";

/// The escapes as they must be shown.
const SHOWN: [&str; 3] = [
    "\\u001b]8;;https://evil.example\\u0007click here\\u001b]8;;\\u0007",
    "\\u001b[2J",
    "\\u202edilav",
];

/// A provider whose token endpoint refuses every request with [`DESCRIPTION`].
async fn hostile_provider() -> RawServer {
    provider(
        |_| {
            let body = serde_json::json!({
                "error": "invalid_grant",
                "error_description": DESCRIPTION,
            })
            .to_string();
            response(
                "400 Bad Request",
                &[("content-type", "application/json")],
                body.as_bytes(),
            )
        },
        mcp_ok,
    )
    .await
}

/// The binary with `args`, its stdout and stderr pipes (not a terminal), run beside the
/// provider's runtime.
async fn run(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args(&args)
            .env_remove("MCP_CONFORMANCE_CONTEXT")
            .env_remove("MCP_OAUTH_CLIENT_SECRET")
            .output()
            .expect("the binary runs")
    })
    .await
    .expect("the run ends")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// No control character but line breaks, no bidi control, and no line a value began.
fn assert_inert(what: &str, out: &str) {
    let raw: Vec<char> = out
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    assert!(raw.is_empty(), "{what} printed raw {raw:?}:\n{out}");
    assert!(
        !out.lines().any(|l| l.trim_start().starts_with("FORGED")),
        "{what} let a value start a line:\n{out}"
    );
}

fn assert_shown(what: &str, out: &str) {
    for shown in SHOWN {
        assert!(out.contains(shown), "{what} does not show {shown}:\n{out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_prints_a_servers_escapes_escaped() {
    let server = hostile_provider().await;
    let url = format!("{}/mcp", server.uri());
    for verbosity in [None, Some("-v")] {
        let mut args: Vec<String> = ["check", &url, "--headless", "--profile", "pipelines"]
            .map(str::to_owned)
            .to_vec();
        args.extend(["--profiles", "pipelines", "--timeout", "10"].map(str::to_owned));
        args.extend(verbosity.map(str::to_owned));
        let output = run(args).await;
        let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
        assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
        assert_inert("check's stdout", &stdout);
        assert_inert("check's stderr", &stderr);
        assert_shown("check's human output", &stdout);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_keeps_machine_formats_exact_and_inert() {
    let server = hostile_provider().await;
    let url = format!("{}/mcp", server.uri());
    for format in ["json", "markdown", "junit", "html"] {
        let args = [
            "check",
            &url,
            "--headless",
            "--profiles",
            "pipelines",
            "--timeout",
            "10",
            "--format",
            format,
        ]
        .map(str::to_owned)
        .to_vec();
        let output = run(args).await;
        let stdout = text(&output.stdout);
        let raw: Vec<char> = stdout
            .chars()
            .filter(|&c| (c.is_control() && !matches!(c, '\n' | '\t')) || c == '\u{202e}')
            .collect();
        assert!(raw.is_empty(), "{format} printed raw {raw:?}");
        if format == "json" {
            // Escaped the JSON way: the parsed report holds exactly what the server sent.
            let report: serde_json::Value = serde_json::from_str(&stdout).expect("valid JSON");
            let found = report["checks"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|c| c["errorMessage"].as_str())
                .any(|m| m.contains(DESCRIPTION));
            assert!(found, "no check quotes the description exactly");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_prints_a_servers_escapes_escaped() {
    let server = hostile_provider().await;
    let url = format!("{}/mcp", server.uri());
    let args = ["connect", "--profile", "pipelines", "--timeout", "10", &url]
        .map(str::to_owned)
        .to_vec();
    let output = run(args).await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_inert("connect's stderr", &stderr);
    assert_shown("connect's verdict", &stderr);
}
