//! What `--out DIR` writes, through the binary, for `run`, `check` and a judged client
//! (`test-client`): JSON for every report, valid against docs/report.schema.json, and the
//! chosen format under the same names; JUnit valid against junit-10.xsd (xmllint: without it on
//! PATH those two tests are skipped with a message, or fail when `CI=true`). And the
//! binary is installable: it carries the catalog (equal to scenarios/), works from any
//! directory, lets `--scenarios-dir` override, and `--version` names the spec revisions and
//! the catalog size.

// Only the schema helpers of the shared test support are used here.
#[allow(dead_code, unused_imports)]
mod common;
#[path = "../../reports/tests/peer/mod.rs"]
mod peer;
mod scratch;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use mcp_oauth_harness::scenario::{CatalogSource, catalog_dir, embedded_files};
use mcp_oauth_mocks::clock::SystemClock;
use mcp_oauth_mocks::{MockConfig, MockServers};
use mcp_oauth_reports::Report;
use peer::Peer;
use scratch::ScratchDir;

const BIN: &str = env!("CARGO_BIN_EXE_mcp-oauth-harness");

fn tempdir(name: &str) -> ScratchDir {
    ScratchDir::new("written", name)
}

fn harness(cwd: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(BIN)
        .current_dir(cwd)
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Every report JSON in `dir` (all but summary.json) parses and validates.
fn reports_in(dir: &Path) -> Vec<(String, Report)> {
    let schema = common::report_schema();
    let mut reports = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".json") || name == "summary.json" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let report: Report = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let errors = common::schema_errors(&schema, &report);
        assert!(errors.is_empty(), "{name} breaks the schema: {errors:?}");
        reports.push((name.trim_end_matches(".json").to_owned(), report));
    }
    assert!(!reports.is_empty(), "no reports in {}", dir.display());
    reports
}

fn validate_junit(xmllint: &Path, file: &Path) {
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports/tests/data/junit-10.xsd");
    let output = Command::new(xmllint)
        .args(["--noout", "--schema"])
        .arg(&xsd)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{} does not validate: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn run_writes_json_and_junit_per_expectation() {
    let Some(xmllint) = peer::require(Peer::Xmllint) else {
        return;
    };
    let out = tempdir("run");
    let dir = out.to_str().unwrap();
    let (code, stdout, stderr) = harness(
        &out,
        &[
            "run",
            "revoked-refresh",
            "audience-required",
            "--format",
            "junit",
            "--out",
            dir,
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    // A scenario that expects FAILURE checks and gets them is not a failing test.
    assert!(
        stdout.contains(r#"<testsuites name="mcp-oauth-harness""#),
        "{stdout}"
    );
    assert!(stdout.contains(r#"failures="0""#), "{stdout}");
    let names: Vec<String> = reports_in(&out).into_iter().map(|(n, _)| n).collect();
    assert!(names.contains(&"revoked-refresh".to_owned()), "{names:?}");
    assert!(
        names.contains(&"audience-required@mcp-2025-11-25".to_owned()),
        "{names:?}"
    );
    validate_junit(&xmllint, &out.join("junit.xml"));
    assert!(out.join("summary.json").is_file());
    assert!(
        !out.join("revoked-refresh.html").exists(),
        "only the chosen format"
    );

    let (code, _, stderr) = harness(
        &out,
        &["run", "revoked-refresh", "--format", "html", "--out", dir],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(out.join("revoked-refresh.html").is_file(), "html as chosen");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_and_a_judged_client_write_valid_reports_under_the_same_names() {
    let Some(xmllint) = peer::require(Peer::Xmllint) else {
        return;
    };
    let mocks = MockServers::start(MockConfig::default(), Arc::new(SystemClock))
        .await
        .expect("mock servers start");
    let out = tempdir("check");
    let dir = out.to_str().unwrap().to_owned();
    let url = mocks.mcp_url();
    let check = tokio::task::spawn_blocking({
        let out = out.to_path_buf();
        let dir = dir.clone();
        move || {
            harness(
                &out,
                &[
                    "check",
                    &url,
                    "--headless",
                    "--redirect-port",
                    "0",
                    "--format",
                    "junit",
                    "--out",
                    &dir,
                ],
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(check.0, Some(0), "{}\n{}", check.1, check.2);
    let reports = reports_in(&out);
    assert_eq!(reports.len(), 1);
    assert!(
        reports[0].1.verdict.is_some(),
        "a live report has its verdict"
    );
    validate_junit(&xmllint, &out.join("junit.xml"));

    let judged = tempdir("judged");
    let jdir = judged.to_str().unwrap().to_owned();
    let command = format!("{BIN} connect");
    let result = tokio::task::spawn_blocking({
        let judged = judged.to_path_buf();
        move || {
            harness(
                &judged,
                &[
                    "test-client",
                    "--command",
                    &command,
                    "dcr-happy-path",
                    "--format",
                    "junit",
                    "--out",
                    &jdir,
                ],
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(result.0, Some(0), "{}\n{}", result.1, result.2);
    let names: Vec<String> = reports_in(&judged).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["dcr-happy-path"]);
    validate_junit(&xmllint, &judged.join("junit.xml"));
}

#[test]
fn the_embedded_catalog_equals_scenarios() {
    let mut on_disk: Vec<(String, String)> = std::fs::read_dir(catalog_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    on_disk.sort();
    let embedded: Vec<(String, String)> = embedded_files()
        .iter()
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect();
    assert_eq!(embedded, on_disk);
    assert_eq!(
        CatalogSource::Embedded.load_all().unwrap().len(),
        on_disk.len()
    );
}

#[test]
fn a_copied_binary_runs_its_own_catalog_anywhere_and_scenarios_dir_overrides_it() {
    let elsewhere = tempdir("copied");
    let copy = elsewhere.join("mcp-oauth-harness");
    std::fs::copy(BIN, &copy).unwrap();
    let run = |args: &[&str]| {
        let output = Command::new(&copy)
            .current_dir(&elsewhere)
            .args(args)
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };
    let (code, stdout) = run(&["scenarios"]);
    assert_eq!(code, Some(0));
    assert_eq!(stdout.lines().count(), embedded_files().len(), "{stdout}");
    let (code, stdout) = run(&["run", "revoked-refresh"]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("scenarios: 1 passed, 0 failed"), "{stdout}");

    let own = elsewhere.join("own");
    std::fs::create_dir_all(&own).unwrap();
    std::fs::copy(
        catalog_dir().join("revoked-refresh.toml"),
        own.join("revoked-refresh.toml"),
    )
    .unwrap();
    let (code, stdout) = run(&["scenarios", "--scenarios-dir", own.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    assert_eq!(stdout.lines().count(), 1, "{stdout}");

    let (code, stdout) = run(&["--version"]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("MCP authorization spec revisions: 2025-06-18, 2025-11-25, 2026-07-28"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("catalog: {} scenarios", embedded_files().len())),
        "{stdout}"
    );
}

#[test]
fn quiet_prints_only_failures_and_the_count_and_no_color_is_honoured() {
    let dir = tempdir("quiet");
    let (code, stdout, _) = harness(&dir, &["-q", "run", "revoked-refresh", "audience-required"]);
    assert_eq!(code, Some(0));
    assert_eq!(stdout.trim(), "scenarios: 3 passed, 0 failed", "{stdout}");
    let (_, verbose, _) = harness(&dir, &["run", "revoked-refresh", "-v"]);
    // The timeline goes by script step, with the failed checks under the step that made them.
    assert!(verbose.contains("FAIL 5. Call tool"), "{verbose}");
    assert!(verbose.contains("FAIL token-refresh"), "{verbose}");
    assert!(verbose.contains("fix: "), "{verbose}");
    // Not a terminal: no colour codes, whatever NO_COLOR says.
    assert!(!verbose.contains('\u{1b}'));
}

/// A symbolic link planted at a report's path under `--out` (by anyone who can write to the
/// directory) is refused, and the file it points at is left as it was.
#[cfg(unix)]
#[test]
fn out_refuses_to_write_through_a_symbolic_link() {
    let scratch = tempdir("symlink");
    let out = scratch.join("out");
    std::fs::create_dir(&out).unwrap();
    let victim = scratch.join("victim.txt");
    std::fs::write(&victim, "untouched").unwrap();
    let dir = out.to_str().unwrap();

    for name in ["revoked-refresh.json", "summary.json", "revoked-refresh.md"] {
        let link = out.join(name);
        // An earlier round may have written the file the link now stands in for.
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let (code, _, stderr) = harness(
            &scratch,
            &[
                "run",
                "revoked-refresh",
                "--format",
                "markdown",
                "--out",
                dir,
            ],
        );
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains(&link.display().to_string()) && stderr.contains("symbolic link"),
            "{name}: {stderr}"
        );
        assert_eq!(
            std::fs::read_to_string(&victim).unwrap(),
            "untouched",
            "{name}: the link was followed"
        );
        std::fs::remove_file(&link).unwrap();
    }
    let (code, _, stderr) = harness(
        &scratch,
        &[
            "run",
            "revoked-refresh",
            "--format",
            "markdown",
            "--out",
            dir,
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(out.join("revoked-refresh.md").is_file());
}
