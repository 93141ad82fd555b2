//! The scenarios' own questions and the outcome, on hand-made logs.

use mcp_oauth_mocks::request_log::Server;
use mcp_oauth_reports::Status;
use serde_json::json;

use super::*;

#[test]
fn a_code_redeemed_after_a_wrong_iss_fails_and_a_refused_one_passes() {
    let mut log = conformant_log();
    log[4].response_location = Some(format!(
        "{REDIRECT}?code=ac_1&state=state-aaaaaaaa&iss=https://attacker.example"
    ));
    let redeemed = judge(&input(
        log.clone(),
        ClientOutcome::RefusesBeforeTokenRequest,
        &["client-iss-refused"],
    ));
    assert_eq!(status(&redeemed, "client-iss-refused"), Status::Failure);
    assert_eq!(
        status(&redeemed, "client-scenario-outcome"),
        Status::Failure
    );
    log.truncate(5);
    let refused = judge(&input(
        log,
        ClientOutcome::RefusesBeforeTokenRequest,
        &["client-iss-refused"],
    ));
    assert_eq!(status(&refused, "client-iss-refused"), Status::Success);
    assert_eq!(status(&refused, "client-scenario-outcome"), Status::Success);
    let good = judge(&input(
        conformant_log(),
        ClientOutcome::Connects,
        &["client-iss-refused"],
    ));
    assert_eq!(status(&good, "client-iss-refused"), Status::Skipped);
}

/// Mismatched metadata judged where it is: the document that does not match must have been
/// fetched, and no authorization request may follow it.
fn mismatched(log: Vec<RecordedRequest>, document: MetadataDocument) -> Report {
    let mut input = input(
        log,
        ClientOutcome::RefusesBeforeAuthorization,
        &["client-metadata-mismatch-refused"],
    );
    input.facts.metadata_mismatch = Some(document);
    judge(&input)
}

#[test]
fn mismatched_metadata_must_stop_the_client_before_authorization() {
    let went_on = mismatched(conformant_log(), MetadataDocument::ProtectedResource);
    assert_eq!(
        status(&went_on, "client-metadata-mismatch-refused"),
        Status::Failure
    );
    // Stopped after the protected-resource metadata (index 1) that does not match.
    let stopped = mismatched(
        conformant_log()[..2].to_vec(),
        MetadataDocument::ProtectedResource,
    );
    assert_eq!(
        status(&stopped, "client-metadata-mismatch-refused"),
        Status::Success
    );
    assert!(stopped.met_expectations());
    let named = stopped
        .checks
        .iter()
        .find(|c| c.id == "client-metadata-mismatch-refused")
        .and_then(|c| c.details.clone())
        .unwrap();
    assert_eq!(
        named["mismatchedDocument"],
        "the protected-resource metadata"
    );
}

/// prm-http-behind-tls-proxy: the 401 of an https endpoint points at plain-http metadata. A
/// client that stops at that 401, fetching nothing in the clear, has decided on the server's
/// answer; without the downgrade, stopping at the 401 reaches no question.
#[test]
fn a_challenge_pointing_at_plain_http_metadata_is_the_question_itself() {
    let at_the_challenge = conformant_log()[..1].to_vec();
    let mut input = input(
        at_the_challenge.clone(),
        ClientOutcome::RefusesBeforeAuthorization,
        &["client-metadata-mismatch-refused"],
    );
    input.facts.metadata_mismatch = Some(MetadataDocument::ProtectedResource);
    input.facts.pointer_downgraded = true;
    let refused = judge(&input);
    assert!(failed(&refused).is_empty(), "{:#?}", refused.checks);
    assert_eq!(
        status(&refused, "client-metadata-mismatch-refused"),
        Status::Skipped
    );

    let plain = mismatched(at_the_challenge, MetadataDocument::ProtectedResource);
    assert_eq!(failed(&plain), ["client-scenario-outcome"]);
}

/// The mismatch is in the authorization server's metadata: a client that stopped after the
/// protected-resource metadata never saw it, so it refused nothing.
#[test]
fn a_client_that_stopped_before_the_mismatched_document_refused_nothing() {
    let report = mismatched(
        conformant_log()[..2].to_vec(),
        MetadataDocument::AuthorizationServer,
    );
    assert_eq!(
        status(&report, "client-metadata-mismatch-refused"),
        Status::Skipped
    );
    assert_eq!(failed(&report), ["client-scenario-outcome"]);
    let reached = mismatched(
        conformant_log()[..3].to_vec(),
        MetadataDocument::AuthorizationServer,
    );
    assert!(failed(&reached).is_empty(), "{:#?}", reached.checks);
}

/// pkce-not-advertised: the question is in the authorization server's metadata. A client that
/// fetched the protected-resource metadata and exited is not credited with refusing.
#[test]
fn a_client_that_exited_after_the_protected_resource_metadata_did_not_reach_the_question() {
    let log = conformant_log()[..2].to_vec();
    let report = judge(&input(log, ClientOutcome::RefusesBeforeAuthorization, &[]));
    assert_eq!(status(&report, "client-scenario-outcome"), Status::Failure);
    let outcome = report
        .checks
        .iter()
        .find(|c| c.id == "client-scenario-outcome")
        .unwrap();
    let message = outcome.error_message.as_deref().unwrap();
    assert!(
        message.starts_with("did not reach the question")
            && message.contains("GET /.well-known/oauth-protected-resource/mcp"),
        "{message}"
    );
    assert!(!report.met_expectations());
    // Having read the authorization server's metadata, stopping is the refusal.
    let report = judge(&input(
        conformant_log()[..3].to_vec(),
        ClientOutcome::RefusesBeforeAuthorization,
        &[],
    ));
    assert_eq!(status(&report, "client-scenario-outcome"), Status::Success);
}

/// does-not-connect: a client that made its first request and crashed was refused nothing.
#[test]
fn a_client_that_crashed_at_once_does_not_meet_does_not_connect() {
    let log = conformant_log()[..1].to_vec();
    let report = judge(&input(log, ClientOutcome::DoesNotConnect, &[]));
    assert_eq!(status(&report, "client-scenario-outcome"), Status::Failure);
    let mut log = conformant_log();
    log.truncate(6);
    log.push(rs("POST", "/mcp", 401, Some("at_1"), Some("initialize")));
    let report = judge(&input(log, ClientOutcome::DoesNotConnect, &[]));
    assert_eq!(status(&report, "client-scenario-outcome"), Status::Success);
}

#[test]
fn presenting_an_expired_token_fails_refresh_before_expiry() {
    let mut log = conformant_log();
    let mut late = rs("POST", "/mcp", 401, Some("at_1"), Some("tools/call"));
    late.at = 100 + 3600 + 5;
    log.push(late);
    let report = judge(&input(
        log,
        ClientOutcome::Connects,
        &["client-refresh-before-expiry"],
    ));
    assert_eq!(
        status(&report, "client-refresh-before-expiry"),
        Status::Failure
    );
    let mut log = conformant_log();
    let mut renewed = refresh(
        "rt_1",
        json!({ "access_token": "at_2", "expires_in": 3600 }),
        200,
    );
    renewed.at = 3500;
    log.push(renewed);
    let report = judge(&input(
        log,
        ClientOutcome::Connects,
        &["client-refresh-before-expiry"],
    ));
    assert_eq!(
        status(&report, "client-refresh-before-expiry"),
        Status::Success
    );
    let report = judge(&input(
        conformant_log(),
        ClientOutcome::Connects,
        &["client-refresh-before-expiry"],
    ));
    assert_eq!(
        status(&report, "client-refresh-before-expiry"),
        Status::Skipped
    );
}

#[test]
fn retrying_a_refused_refresh_token_fails() {
    let refused = json!({ "error": "invalid_grant" });
    let mut log = conformant_log();
    log.push(refresh("rt_1", refused.clone(), 400));
    let once = judge(&input(
        log.clone(),
        ClientOutcome::Connects,
        &["client-no-refresh-after-invalid-grant"],
    ));
    assert_eq!(
        status(&once, "client-no-refresh-after-invalid-grant"),
        Status::Success
    );
    log.push(refresh("rt_1", refused, 400));
    let again = judge(&input(
        log,
        ClientOutcome::Connects,
        &["client-no-refresh-after-invalid-grant"],
    ));
    assert_eq!(
        status(&again, "client-no-refresh-after-invalid-grant"),
        Status::Failure
    );
}

#[test]
fn an_endless_reauthorization_loop_fails() {
    let mut log = conformant_log();
    for i in 0..6 {
        log.push(rs("POST", "/mcp", 401, Some("at_1"), Some("tools/call")));
        log.push(authorize(
            &format!("state-loop-{i:04}"),
            &format!("ac_loop_{i}"),
        ));
    }
    let report = judge(&input(
        log,
        ClientOutcome::DoesNotConnect,
        &["client-reauthorization-bounded"],
    ));
    assert_eq!(
        status(&report, "client-reauthorization-bounded"),
        Status::Failure
    );
    let mut log = conformant_log();
    log.push(rs("POST", "/mcp", 401, Some("at_1"), Some("tools/call")));
    log.push(authorize("state-bbbbbbbb", "ac_2"));
    let report = judge(&input(
        log,
        ClientOutcome::Connects,
        &["client-reauthorization-bounded"],
    ));
    assert_eq!(
        status(&report, "client-reauthorization-bounded"),
        Status::Success
    );
}

#[test]
fn reusing_the_old_client_id_at_a_new_authorization_server_fails() {
    let mut facts = facts();
    facts.auth_servers.push(AuthServerFacts {
        role: Server::AlternateAuthorizationServer,
        issuer: "http://127.0.0.1:3".to_owned(),
        ..facts.auth_servers[0].clone()
    });
    let mut log = conformant_log();
    let mut at_new = authorize("state-cccccccc", "ac_9");
    at_new.server = Server::AlternateAuthorizationServer;
    log.push(at_new);
    let mut input = input(
        log,
        ClientOutcome::Connects,
        &["client-reregisters-after-as-change"],
    );
    input.facts = facts;
    input.fired = vec![FiredTrigger {
        after: "token-issued",
        actions: vec!["switch-authorization-server"],
        request_index: 5,
        flow: 0,
        shared: vec!["switch-authorization-server"],
        refused: Vec::new(),
    }];
    let report = judge(&input);
    assert_eq!(
        status(&report, "client-reregisters-after-as-change"),
        Status::Failure
    );
    let mut registered = as_request("POST", "/register", 201);
    registered.server = Server::AlternateAuthorizationServer;
    registered.response_json = Some(json!({ "client_id": "c1" }));
    input.log.insert(8, registered);
    let report = judge(&input);
    assert_eq!(
        status(&report, "client-reregisters-after-as-change"),
        Status::Success
    );
}
