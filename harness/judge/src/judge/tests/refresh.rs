//! Single flight: a refresh token the server rotated away is never sent again, and a refresh
//! that raced the one refused is not a retry after `invalid_grant`.

use super::*;

fn rotated(sent: &str, issued_access: &str, issued_refresh: &str) -> RecordedRequest {
    refresh(
        sent,
        json!({ "access_token": issued_access, "token_type": "Bearer", "expires_in": 3600, "refresh_token": issued_refresh }),
        200,
    )
}

fn reused(sent: &str) -> RecordedRequest {
    refresh(
        sent,
        json!({ "error": "invalid_grant", "error_description": "refresh token was already used" }),
        400,
    )
}

/// Stamps the log's arrival and answer order: `spans[i]` is request `i`'s (arrived, answered).
fn stamped(mut log: Vec<RecordedRequest>, spans: &[(u64, u64)]) -> Vec<RecordedRequest> {
    let from = log.len() - spans.len();
    for (request, &(arrived, answered)) in log[from..].iter_mut().zip(spans) {
        request.arrived = arrived;
        request.answered = answered;
    }
    log
}

fn judged(extra: Vec<RecordedRequest>, questions: &[&str]) -> Report {
    let mut log = conformant_log();
    log.extend(extra);
    judge(&input(log, ClientOutcome::Connects, questions))
}

#[test]
fn refreshing_once_per_rotation_passes() {
    let report = judged(
        vec![
            rotated("rt_1", "at_2", "rt_2"),
            rs("POST", "/mcp", 200, Some("at_2"), Some("tools/call")),
            rotated("rt_2", "at_3", "rt_3"),
        ],
        &[],
    );
    assert_eq!(
        status(&report, "client-refresh-single-flight"),
        Status::Success
    );
}

#[test]
fn a_server_that_never_rotates_is_not_asked() {
    let kept = refresh(
        "rt_1",
        json!({ "access_token": "at_2", "token_type": "Bearer", "expires_in": 3600 }),
        200,
    );
    let report = judged(vec![kept.clone(), kept], &[]);
    assert_eq!(
        status(&report, "client-refresh-single-flight"),
        Status::Skipped
    );
}

#[test]
fn retrying_a_refresh_answered_unavailable_is_not_reuse() {
    let unavailable = refresh("rt_1", json!({ "error": "temporarily_unavailable" }), 503);
    let report = judged(vec![unavailable, rotated("rt_1", "at_2", "rt_2")], &[]);
    assert_eq!(
        status(&report, "client-refresh-single-flight"),
        Status::Success
    );
}

#[test]
fn two_refreshes_racing_with_one_token_fail_single_flight_only() {
    // Both arrived before either was answered: the second could not know of the refusal.
    let log = stamped(
        vec![rotated("rt_1", "at_2", "rt_2"), reused("rt_1")],
        &[(1, 3), (2, 4)],
    );
    let report = judged(log, &["client-no-refresh-after-invalid-grant"]);
    assert_eq!(
        failed(&report),
        ["client-refresh-single-flight"],
        "{:#?}",
        report.checks
    );
    let check = report
        .checks
        .iter()
        .find(|c| c.id == "client-refresh-single-flight")
        .unwrap();
    assert!(
        check
            .error_message
            .as_deref()
            .unwrap_or("")
            .contains("overlapped"),
        "{check:?}"
    );
    assert_eq!(
        status(&report, "client-no-refresh-after-invalid-grant"),
        Status::Success
    );
}

#[test]
fn a_rotated_token_sent_again_later_fails_single_flight() {
    // Sent after the rotation was answered: the client kept the old token.
    let log = stamped(
        vec![
            rotated("rt_1", "at_2", "rt_2"),
            reused("rt_1"),
            reused("rt_1"),
        ],
        &[(1, 2), (3, 4), (5, 6)],
    );
    let report = judged(log, &["client-no-refresh-after-invalid-grant"]);
    assert_eq!(
        failed(&report),
        [
            "client-refresh-single-flight",
            "client-no-refresh-after-invalid-grant"
        ],
        "{:#?}",
        report.checks
    );
}
