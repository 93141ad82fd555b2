//! The official MCP conformance suite's client authorization scenarios, with `connect` as the
//! client under test (interop/conformance/run.sh, which also checks expected-failures.yml).
//!
//! The suite is a Node.js package that needs Node.js 22, both pinned in
//! interop/conformance/package.json and installed under its node_modules. Where they are not
//! installed, the test is skipped with a message saying how to install them, so that a plain
//! `cargo test` needs neither Node.js nor the network; with `CI=true` a missing suite fails it
//! instead (reports/tests/peer). CI installs it first (`.ci/run`). The run takes some seconds.

#[path = "../../reports/tests/peer/mod.rs"]
mod peer;

use std::path::Path;
use std::process::Command;

use peer::Peer;

#[test]
fn the_official_conformance_suite_passes_with_connect_as_the_client() {
    let Some(dir) = peer::require(Peer::ConformanceSuite) else {
        return;
    };
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("conformance");
    let output = Command::new(dir.join("run.sh"))
        .arg(env!("CARGO_BIN_EXE_mcp-oauth-harness"))
        .env("CONFORMANCE_OUT", &out)
        .output()
        .expect("interop/conformance/run.sh starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "the conformance suite did not pass as expected ({}); per-scenario logs and results are in {}\n{stdout}\n{stderr}",
        output.status,
        out.display()
    );
}
