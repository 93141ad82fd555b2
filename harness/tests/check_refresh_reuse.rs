//! `check` on a rotated-away refresh token presented again: refused, or honoured within a
//! reuse grace window (observed, with how long after the rotation), or honoured for longer.

use mcp_oauth_harness::check::CheckRun;
use mcp_oauth_reports::{Check, Status};

mod check_support;
use check_support::check_against;

/// A rotating server without a revocation endpoint, so that nothing revokes the grant before
/// the reuse: `grace` seconds of reuse grace.
async fn check_rotating(grace: u64) -> CheckRun {
    check_against(|c| {
        c.authorization_server.rotate_refresh_tokens = true;
        c.authorization_server.refresh_reuse_grace_secs = grace;
        c.authorization_server.revocation_endpoint = false;
    })
    .await
}

fn reuse_checks(run: &CheckRun) -> Vec<&Check> {
    run.report
        .checks
        .iter()
        .filter(|c| c.id == "refresh-token-reuse-refused")
        .collect()
}

#[tokio::test]
async fn a_refused_reuse_says_no_grace_window_was_seen() {
    let run = check_rotating(0).await;
    let reuse = reuse_checks(&run);
    assert!(!reuse.is_empty());
    for check in reuse {
        assert_eq!(check.status, Status::Success, "{check:?}");
        let details = check.details.as_ref().unwrap();
        assert!(
            details["graceWindow"].as_str().unwrap().starts_with("none"),
            "{details}"
        );
    }
}

#[tokio::test]
async fn a_reuse_honoured_within_a_grace_window_is_a_warning_that_says_how_long() {
    let run = check_rotating(3600).await;
    let reuse = reuse_checks(&run);
    assert!(!reuse.is_empty());
    for check in reuse {
        assert_eq!(check.status, Status::Warning, "{check:?}");
        let details = check.details.as_ref().unwrap();
        assert_eq!(details["afterRevocation"], false);
        assert!(details["secondsSinceRotation"].as_u64().unwrap() <= 60);
        assert!(
            details["graceWindow"]
                .as_str()
                .unwrap()
                .starts_with("at least"),
            "{details}"
        );
        let message = check.error_message.as_deref().unwrap();
        assert!(
            message.contains("grace window") && message.contains("inferred"),
            "{message}"
        );
    }
    assert_eq!(
        run.report.summary.failure,
        0,
        "{:#?}",
        run.report
            .checks
            .iter()
            .filter(|c| c.status == Status::Failure)
            .collect::<Vec<_>>()
    );
}
