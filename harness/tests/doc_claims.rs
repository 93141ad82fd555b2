//! Claims the docs make about the code, pinned so that the two cannot drift apart again: the
//! CLI module's header names every subcommand, `connect` exits 0 for a server without tools
//! (README), and the resource comparison folds exactly what docs/pipelines-profile.md says.

use std::process::Command;

use clap::CommandFactory;
use mcp_oauth_harness::cli::Cli;
use mcp_oauth_harness::flow::discovery::{ResourceMatch, compare_resource};
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

#[test]
fn the_cli_module_header_names_every_subcommand() {
    let source = include_str!("../src/cli/mod.rs");
    let header: String = source
        .lines()
        .take_while(|l| l.starts_with("//!"))
        .collect::<Vec<_>>()
        .join(" ");
    let missing: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .filter(|name| !header.contains(&format!("`{name}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "harness/src/cli/mod.rs's header does not name {missing:?}:\n{header}"
    );
}

#[test]
fn the_resource_comparison_folds_what_the_pipelines_doc_says_and_nothing_more() {
    let same = |a: &str, b: &str| compare_resource(a, b) != ResourceMatch::Mismatch;
    // Folded: scheme and host case, a default port, an empty path versus `/`.
    assert!(same(
        "https://MCP.Example.com/mcp",
        "https://mcp.example.com/mcp"
    ));
    assert!(same(
        "HTTPS://mcp.example.com/mcp",
        "https://mcp.example.com/mcp"
    ));
    assert!(same(
        "https://mcp.example.com:443/mcp",
        "https://mcp.example.com/mcp"
    ));
    assert!(same("https://mcp.example.com", "https://mcp.example.com/"));
    // Not folded: a trailing slash after a path, path case, another port.
    assert!(!same(
        "https://mcp.example.com/mcp/",
        "https://mcp.example.com/mcp"
    ));
    assert!(!same(
        "https://mcp.example.com/MCP",
        "https://mcp.example.com/mcp"
    ));
    assert!(!same(
        "https://mcp.example.com:8443/mcp",
        "https://mcp.example.com/mcp"
    ));
}

/// A minimal MCP server over streamable HTTP that needs no token and has no tools.
struct ToollessMcp;

impl Respond for ToollessMcp {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        if request.method.as_str() != "POST" {
            return ResponseTemplate::new(405);
        }
        let Ok(message) = serde_json::from_slice::<Value>(&request.body) else {
            return ResponseTemplate::new(400);
        };
        let Some(id) = message.get("id").cloned() else {
            return ResponseTemplate::new(202); // a notification
        };
        let result =
            match message["method"].as_str() {
                Some("initialize") => json!({
                    "protocolVersion": message["params"]["protocolVersion"],
                    "capabilities": { "tools": {} },
                    "serverInfo": { "name": "toolless", "version": "1" },
                }),
                Some("tools/list") => json!({ "tools": [] }),
                _ => return ResponseTemplate::new(200).set_body_json(json!({
                    "jsonrpc": "2.0", "id": id, "error": { "code": -32601, "message": "not found" },
                })),
            };
        ResponseTemplate::new(200)
            .set_body_json(json!({ "jsonrpc": "2.0", "id": id, "result": result }))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_exits_0_for_a_server_without_tools() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ToollessMcp)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(405))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(405))
        .mount(&server)
        .await;
    let url = format!("{}/mcp", server.uri());
    // Blocking on the child off the runtime, which serves the mock meanwhile.
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_mcp-oauth-harness"))
            .args(["connect", &url, "--format", "json"])
            .output()
    })
    .await
    .expect("the child is awaited")
    .expect("connect starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let report: Value =
        serde_json::from_slice(&output.stdout).expect("connect prints its report as JSON");
    let ids: Vec<&str> = report["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert!(ids.contains(&"mcp-tools-list"), "{ids:?}");
    assert!(!ids.contains(&"mcp-tools-call"), "{ids:?}");
}
