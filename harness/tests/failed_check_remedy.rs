//! A failed check names the fix of what was diagnosed. The `authorization-redirect` check's own
//! remedy (add the callback URL to the app's allowed redirect URIs) is right for one cause
//! only; when the authorization server refused the client's metadata document instead, that
//! advice would send the reader to the wrong place.

use mcp_oauth_harness::profile;
use mcp_oauth_harness::runner::run_scenario;
use mcp_oauth_harness::scenario::CatalogSource;
use mcp_oauth_reports::{Report, Status};

async fn run(name: &str) -> Report {
    let scenario = CatalogSource::Embedded.load(name).unwrap();
    let profile = profile::by_name(&scenario.profiles[0]).unwrap();
    run_scenario(&scenario, profile).await.unwrap()
}

fn redirect_check_remedy(report: &Report) -> String {
    let check = report
        .checks
        .iter()
        .find(|c| c.id == "authorization-redirect" && c.status == Status::Failure)
        .expect("the authorization-redirect check failed");
    check.remedy.clone().expect("a failed check names a fix")
}

#[tokio::test]
async fn a_refused_metadata_document_is_not_blamed_on_the_redirect_uris() {
    for name in [
        "cimd-fetch-failure",
        "cimd-fetch-failure-moved",
        "cimd-fetch-failure-timeout",
    ] {
        let report = run(name).await;
        let diagnosis = report.outcome.diagnosis.as_ref().unwrap();
        assert_eq!(diagnosis.code, "client-metadata-document-refused", "{name}");
        let remedy = redirect_check_remedy(&report);
        assert_eq!(remedy, diagnosis.remedy, "{name}");
        assert!(
            remedy.contains("client ID metadata document"),
            "{name}: {remedy}"
        );
        assert!(
            !remedy.contains("allowed redirect URIs"),
            "{name}: {remedy}"
        );
    }
}

#[tokio::test]
async fn a_refused_redirect_uri_still_names_the_allowed_list() {
    let report = run("redirect-uri-mismatch").await;
    let diagnosis = report.outcome.diagnosis.as_ref().unwrap();
    assert_eq!(diagnosis.code, "redirect-uri-mismatch");
    let remedy = redirect_check_remedy(&report);
    assert!(remedy.contains("allowed redirect URIs"), "{remedy}");
}

#[tokio::test]
async fn the_moved_document_is_quoted_with_its_404() {
    let report = run("cimd-fetch-failure-moved").await;
    let diagnosis = report.outcome.diagnosis.as_ref().unwrap();
    assert!(
        diagnosis
            .message
            .contains("answered HTTP 404 instead of 200"),
        "{}",
        diagnosis.message
    );
}
