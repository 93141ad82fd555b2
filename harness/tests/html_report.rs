//! The HTML report in a real browser: headless Chromium opens the report of a catalog run,
//! the key content is there (the verdict, the diagnosis, the timeline), and the status filter
//! hides passed checks while keeping the failed ones. The page forbids scripts, so a probe
//! page beside it drives the filter through an iframe (file URLs are one origin under
//! `--allow-file-access-from-files`) and writes what it saw into its own DOM, which
//! `--dump-dom` prints. A screenshot is saved as a CI artifact under target/artifacts/.
//! CI installs Chromium (`.ci/run`); without `chromium` on PATH the test is skipped with a
//! message saying how to install it, or fails when `CI=true` (reports/tests/peer).

#[path = "../../reports/tests/peer/mod.rs"]
mod peer;

use std::path::{Path, PathBuf};
use std::process::Command;

use mcp_oauth_harness::profile;
use mcp_oauth_harness::runner::run_scenario;
use mcp_oauth_harness::scenario::{catalog_dir, load_file};
use mcp_oauth_reports::render;
use peer::Peer;
use serde_json::Value;

const PROBE: &str = r#"<!DOCTYPE html><html><body><pre id="result">pending</pre>
<iframe id="report" src="report.html" style="width:1280px;height:900px"></iframe>
<script>
function visible(doc, selector) {
  return Array.from(doc.querySelectorAll(selector)).filter(e => e.getClientRects().length > 0).length;
}
document.getElementById('report').addEventListener('load', () => {
  const doc = document.getElementById('report').contentDocument;
  const seen = () => ({ passed: visible(doc, '.check.s-SUCCESS'), failed: visible(doc, '.check.s-FAILURE') });
  const before = seen();
  doc.getElementById('filter-hide-passed').click();
  const hidePassed = seen();
  doc.getElementById('filter-all').click();
  const all = seen();
  document.getElementById('result').textContent = JSON.stringify({
    before, hidePassed, all, title: doc.title, text: doc.body.innerText
  });
});
</script></body></html>"#;

fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("artifacts")
}

fn chromium(chromium: &Path, profile_dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile_dir.display()))
        .args(args)
        .output()
        .expect("chromium runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_shows_its_verdict_and_its_filter_hides_passed_checks() {
    let Some(browser) = peer::require(Peer::Chromium) else {
        return;
    };
    let scenario = load_file(&catalog_dir().join("revoked-refresh.toml")).expect("loads");
    let pipelines = profile::by_name("pipelines").expect("a profile");
    let report = run_scenario(&scenario, pipelines)
        .await
        .expect("the scenario runs");
    assert!(report.summary.success > 0 && report.summary.failure > 0);

    let dir = artifacts_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("report.html");
    std::fs::write(&page, render::html(&report)).unwrap();
    std::fs::write(dir.join("probe.html"), PROBE).unwrap();
    let profile_dir = std::env::temp_dir().join(format!("mcp-oauth-html-{}", std::process::id()));

    let probe_url = format!("file://{}", dir.join("probe.html").display());
    let output = chromium(
        &browser,
        &profile_dir,
        &[
            "--allow-file-access-from-files",
            "--virtual-time-budget=5000",
            "--dump-dom",
            &probe_url,
        ],
    );
    let dom = String::from_utf8_lossy(&output.stdout);
    let start = dom.find("<pre id=\"result\">").expect("the probe page") + 17;
    let end = start + dom[start..].find("</pre>").expect("the end of the result");
    let text = dom[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let seen: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));

    assert_eq!(seen["title"], "MCP OAuth report: revoked-refresh");
    let body = seen["text"].as_str().unwrap_or_default();
    for needle in [
        "As expected: every expectation met",
        "Diagnosis: refresh-revoked",
        "Fix:",
        "Timeline",
        // The timeline of a run goes by script step.
        "4. Revoke refresh tokens",
        "5. Call tool",
    ] {
        assert!(body.contains(needle), "the page lacks {needle:?}:\n{body}");
    }
    assert!(
        body.find("As expected").unwrap() < body.find("Timeline").unwrap(),
        "the verdict comes first"
    );
    let failed = report.summary.failure as u64;
    assert_eq!(seen["before"]["failed"], failed, "{seen}");
    assert!(seen["before"]["passed"].as_u64() > Some(0), "{seen}");
    assert_eq!(
        seen["hidePassed"]["passed"], 0,
        "the filter hides passed checks: {seen}"
    );
    assert_eq!(
        seen["hidePassed"]["failed"], failed,
        "and keeps failed ones: {seen}"
    );
    assert_eq!(seen["all"], seen["before"], "and shows them again: {seen}");

    let screenshot = dir.join("report.png");
    let _ = std::fs::remove_file(&screenshot);
    let output = chromium(
        &browser,
        &profile_dir,
        &[
            "--window-size=1280,1600",
            &format!("--screenshot={}", screenshot.display()),
            &format!("file://{}", page.display()),
        ],
    );
    let _ = std::fs::remove_dir_all(&profile_dir);
    let png = std::fs::read(&screenshot).unwrap_or_else(|e| {
        panic!(
            "no screenshot ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    println!("screenshot: {}", screenshot.display());
}
