//! `check` of provider-gallery entries against the mocks: pinned endpoints connect without
//! discovery, and each way an entry drifts from the live server is a `gallery-*` failure whose
//! remedy names the entry's field.

use std::path::Path;
use std::time::Duration;

use mcp_oauth_harness::check::gallery::GalleryEntry;
use mcp_oauth_harness::check::{self, CheckOptions, CheckRun, Consent, ProfileSelection, targets};
use mcp_oauth_harness::checks::{self, CheckDef};
use mcp_oauth_harness::flow::{PinnedEndpoints, RegistrationFlow};
use mcp_oauth_harness::profile;
use mcp_oauth_mocks::clock::SimulatedClock;
use mcp_oauth_mocks::{MockConfig, MockServers};
use mcp_oauth_reports::Status;

mod check_support;
mod scratch;

use check_support::{harness, human};
use scratch::ScratchDir;

async fn check_entry(
    config: MockConfig,
    entry: impl FnOnce(&MockServers) -> GalleryEntry,
) -> CheckRun {
    let clock = SimulatedClock::default();
    let mocks = MockServers::start(config, clock.shared())
        .await
        .expect("mock servers start");
    let entry = entry(&mocks);
    let options = CheckOptions {
        consent: Consent::Headless,
        redirect_port: 0,
        timeout: Duration::from_secs(30),
        profiles: ProfileSelection::List(vec![&profile::PIPELINES]),
        clock: clock.shared(),
        scope: entry.scope.clone(),
        gallery: Some(entry),
        ..CheckOptions::new(mocks.mcp_url())
    };
    check::check(options).await.expect("the check runs")
}

fn pinned_at(mocks: &MockServers) -> PinnedEndpoints {
    let issuer = mocks.issuer();
    PinnedEndpoints {
        issuer: Some(issuer.clone()),
        authorization_endpoint: Some(format!("{issuer}/authorize")),
        token_endpoint: Some(format!("{issuer}/token")),
        registration_endpoint: Some(format!("{issuer}/register")),
        revocation_endpoint: None,
    }
}

fn recorded<'a>(run: &'a CheckRun, check: &CheckDef) -> Vec<&'a mcp_oauth_reports::Check> {
    run.report
        .checks
        .iter()
        .filter(|c| c.id == check.id)
        .collect()
}

#[track_caller]
fn assert_status(run: &CheckRun, check: &CheckDef, status: Status) {
    let seen: Vec<Status> = recorded(run, check).iter().map(|c| c.status).collect();
    assert_eq!(seen, vec![status], "{}\n{}", check.id, human(run));
}

fn message(run: &CheckRun, check: &CheckDef) -> String {
    recorded(run, check)
        .first()
        .and_then(|c| c.error_message.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_current_entry_with_pinned_endpoints_connects_without_discovery() {
    let run = check_entry(MockConfig::default(), |mocks| GalleryEntry {
        url: mocks.mcp_url(),
        flow: Some(RegistrationFlow::Dcr),
        scope: Some("mcp:tools".into()),
        pinned: pinned_at(mocks),
    })
    .await;
    for check in [
        &checks::GALLERY_ENDPOINTS_CURRENT,
        &checks::GALLERY_REGISTRATION_CURRENT,
        &checks::GALLERY_SCOPE_CURRENT,
        &checks::GALLERY_ISSUER_CURRENT,
        &checks::GALLERY_RESOURCE_CURRENT,
    ] {
        assert_status(&run, check, Status::Success);
        assert_eq!(recorded(&run, check)[0].step, "gallery");
    }
    // The consent flow used the pinned endpoints instead of discovering them.
    let pinned = recorded(&run, &checks::GALLERY_ENDPOINTS_PINNED);
    assert_eq!(pinned.len(), 1, "{}", human(&run));
    assert_eq!(pinned[0].details.as_ref().unwrap()["discovery"], "skipped");
    assert!(run.passed(), "{}", human(&run));
    assert_eq!(run.report.summary.failure, 0, "{}", human(&run));
}

#[tokio::test]
async fn a_moved_token_endpoint_is_drift_naming_the_field() {
    let run = check_entry(MockConfig::default(), |mocks| GalleryEntry {
        url: mocks.mcp_url(),
        flow: Some(RegistrationFlow::Dcr),
        scope: None,
        pinned: PinnedEndpoints {
            token_endpoint: Some(format!("{}/oauth/token", mocks.issuer())),
            ..pinned_at(mocks)
        },
    })
    .await;
    assert_status(&run, &checks::GALLERY_ENDPOINTS_CURRENT, Status::Failure);
    let text = message(&run, &checks::GALLERY_ENDPOINTS_CURRENT);
    assert!(text.contains("`token-endpoint` pins"), "{text}");
    assert!(text.contains("/oauth/token"), "{text}");
    let check = recorded(&run, &checks::GALLERY_ENDPOINTS_CURRENT)[0];
    assert!(check.remedy.as_deref().unwrap().contains("token-endpoint"));
    // The other pinned endpoints still match.
    let drifted = check.details.as_ref().unwrap()["drifted"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(drifted, 1);
    // Connecting through the stale pin fails: the entry is not usable as it stands.
    assert!(!run.passed(), "{}", human(&run));
}

#[tokio::test]
async fn an_entry_saying_dcr_where_registration_is_gone_is_drift() {
    let mut config = MockConfig::default();
    config.authorization_server.dynamic_registration = false;
    let run = check_entry(config, |mocks| GalleryEntry {
        url: mocks.mcp_url(),
        flow: Some(RegistrationFlow::Dcr),
        scope: None,
        pinned: PinnedEndpoints::default(),
    })
    .await;
    assert_status(&run, &checks::GALLERY_REGISTRATION_CURRENT, Status::Failure);
    let check = recorded(&run, &checks::GALLERY_REGISTRATION_CURRENT)[0];
    assert!(check.remedy.as_deref().unwrap().contains("flow: client-id"));
    assert!(human(&run).contains("client-id-missing"), "{}", human(&run));
}

#[tokio::test]
async fn a_renamed_scope_an_other_issuer_and_an_other_url_are_drift() {
    let run = check_entry(MockConfig::default(), |mocks| GalleryEntry {
        url: format!("{}/v1", mocks.mcp_url()),
        flow: None,
        scope: Some("mcp:tools files:read".into()),
        pinned: PinnedEndpoints {
            issuer: Some("https://login.example/tenant".into()),
            ..PinnedEndpoints::default()
        },
    })
    .await;
    assert_status(&run, &checks::GALLERY_SCOPE_CURRENT, Status::Failure);
    assert!(message(&run, &checks::GALLERY_SCOPE_CURRENT).contains("files:read"));
    assert_status(&run, &checks::GALLERY_ISSUER_CURRENT, Status::Failure);
    assert_status(&run, &checks::GALLERY_RESOURCE_CURRENT, Status::Failure);
}

#[test]
fn gallery_fields_are_validated_with_file_line_and_field() {
    let no_env = |_: &str| None;
    let parse = |text: &str| targets::parse(Path::new("g.yaml"), text, &no_env);
    let err = parse("targets:\n  - name: a\n    url: https://a.example/mcp\n    token-endpoint: http://a.example/token\n").unwrap_err().to_string();
    assert!(err.starts_with("g.yaml:4:"), "{err}");
    assert!(
        err.contains("token-endpoint") && err.contains("https"),
        "{err}"
    );

    let err = parse("targets:\n  - name: a\n    url: https://a.example/mcp\n    flow: client-id\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("client-id") && err.contains("needs"), "{err}");

    let err = parse("targets:\n  - name: a\n    url: https://a.example/mcp\n    flow: magic\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("g.yaml:4:") && err.contains("dcr, client-id, client-metadata-url"),
        "{err}"
    );

    let err = parse(
        "targets:\n  - name: a\n    url: https://a.example/mcp\n    flow: dcr\n    client-id: x\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("g.yaml:5:"), "{err}");

    let ok = parse("targets:\n  - name: a\n    url: http://127.0.0.1:9/mcp\n    flow: dcr\n    token-endpoint: http://127.0.0.1:9/token\n    authorization-endpoint: https://a.example/authorize\n").unwrap();
    assert_eq!(ok[0].flow, Some(RegistrationFlow::Dcr));
    assert!(
        !ok[0].pinned.skips_discovery(true),
        "dcr needs its endpoint"
    );
    assert!(ok[0].pinned.skips_discovery(false));
    assert!(ok[0].is_gallery_entry());

    let listed = parse("targets:\n  - name: a\n    url: https://a.example/mcp\n  - name: b\n    url: https://b.example/mcp\n").unwrap();
    assert!(
        !listed[0].is_gallery_entry(),
        "a plain target stays a plain target"
    );
    let chosen = targets::select(listed.clone(), &["b".into()], Path::new("g.yaml")).unwrap();
    assert_eq!(chosen.len(), 1);
    let err = targets::select(listed, &["c".into()], Path::new("g.yaml")).unwrap_err();
    assert!(err.contains("\"c\"") && err.contains("a, b"), "{err}");
}

/// `connect --gallery FILE --provider NAME` and `check --gallery FILE --provider NAME`, as a
/// user runs them, against mocks whose protected-resource metadata is gone: only the pinned
/// entry can connect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_connects_and_checks_through_a_gallery_entry() {
    let mut config = MockConfig::default();
    config.resource_server.metadata_location = mcp_oauth_mocks::config::PrmLocation::None;
    config.authorization_server.metadata = false;
    let mocks = MockServers::start(
        config,
        std::sync::Arc::new(mcp_oauth_mocks::clock::SystemClock),
    )
    .await
    .expect("mock servers start");
    let issuer = mocks.issuer();
    let dir = ScratchDir::new("gallery", "pinned");
    let file = dir.join("gallery.yaml");
    std::fs::write(
        &file,
        format!(
            "targets:\n  - name: pinned\n    url: {url}\n    flow: dcr\n    issuer: {issuer}\n    authorization-endpoint: {issuer}/authorize\n    token-endpoint: {issuer}/token\n    registration-endpoint: {issuer}/register\n  - name: unpinned\n    url: {url}\n",
            url = mocks.mcp_url()
        ),
    )
    .unwrap();
    let file = file.to_str().unwrap();

    let (code, stdout, stderr) = harness(&[
        "connect",
        "--gallery",
        file,
        "--provider",
        "pinned",
        "--format",
        "json",
    ])
    .await;
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(code, 0, "{stderr}");
    let pinned = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "gallery-endpoints-pinned")
        .expect("the pinned endpoints are recorded");
    assert_eq!(pinned["details"]["discovery"], "skipped");

    // Without the pins the same server cannot be connected: discovery finds nothing, and the
    // 2025-03-26 default endpoints at the MCP origin are not the authorization server's.
    let (code, _, stderr) =
        harness(&["connect", "--gallery", file, "--provider", "unpinned"]).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("could not connect"), "{stderr}");

    let (code, _, stderr) = harness(&["connect", "--gallery", file, "--provider", "nope"]).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("pinned, unpinned"), "{stderr}");

    // `check` of the pinned entry: nothing to compare the pins with (no metadata), which is
    // said, and the entry connects.
    let (_, stdout, stderr) = harness(&[
        "check",
        "--gallery",
        file,
        "--provider",
        "pinned",
        "--headless",
        "--redirect-port",
        "0",
        "--profiles",
        "pipelines",
        "--format",
        "json",
    ])
    .await;
    let report: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}\n{stdout}\n{stderr}"));
    assert_eq!(
        report["summary"].as_array().unwrap().len(),
        1,
        "one entry chosen"
    );
    let checks = report["reports"][0]["checks"].as_array().unwrap();
    let status = |id: &str| {
        checks
            .iter()
            .find(|c| c["id"] == id)
            .map(|c| c["status"].clone())
            .unwrap_or_default()
    };
    assert_eq!(status("gallery-endpoints-current"), "INFO");
    assert_eq!(status("gallery-endpoints-pinned"), "INFO");
    assert_eq!(status("mcp-initialize"), "SUCCESS", "{stderr}");
}

#[test]
fn the_example_gallery_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/gallery.yaml");
    let entries = targets::load(&path, &Default::default()).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["happy", "pinned", "drifted", "byo"]);
    assert!(entries[1].pinned.skips_discovery(true));
    assert!(
        !entries[2].pinned.skips_discovery(true),
        "drifted pins no registration endpoint"
    );
}

/// The catalog's `gallery-drift`: the diagnosis quotes both values and its remedy names the
/// field, and `gallery-dcr-removed`'s remedy says to change the entry's flow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gallery_scenarios_name_the_field_to_change() {
    use mcp_oauth_harness::scenario::{catalog_dir, load_file};
    let run = |name: &'static str| async move {
        let scenario = load_file(&catalog_dir().join(format!("{name}.toml"))).unwrap();
        let runs = vec![(std::sync::Arc::new(scenario), &profile::PIPELINES)];
        mcp_oauth_harness::cli::run_all(runs, 1)
            .await
            .unwrap()
            .remove(0)
    };
    let drift = run("gallery-drift").await;
    let diagnosis = drift.outcome.diagnosis.expect("a diagnosis");
    assert_eq!(diagnosis.code, "gallery-drift");
    assert!(
        diagnosis.message.contains("`token-endpoint` pins"),
        "{}",
        diagnosis.message
    );
    assert!(
        diagnosis.message.contains("/oauth/token"),
        "{}",
        diagnosis.message
    );
    assert!(
        diagnosis.message.contains("404"),
        "the failure is quoted: {}",
        diagnosis.message
    );
    assert!(
        diagnosis
            .remedy
            .starts_with("Change `token-endpoint` in the gallery entry to http://127.0.0.1:"),
        "{}",
        diagnosis.remedy
    );
    assert!(diagnosis.remedy.contains("/token,"), "{}", diagnosis.remedy);

    let removed = run("gallery-dcr-removed").await;
    let diagnosis = removed.outcome.diagnosis.expect("a diagnosis");
    assert_eq!(diagnosis.code, "client-id-missing");
    assert!(
        diagnosis.remedy.contains("change it to `flow: client-id`"),
        "{}",
        diagnosis.remedy
    );
}
