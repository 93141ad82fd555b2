//! The judge on hand-made request logs: a conformant client passes every check, and each
//! check fails on the one thing it is about.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mcp_oauth_mocks::RecordedRequest;
use mcp_oauth_mocks::clock::SimulatedClock;
use mcp_oauth_mocks::request_log::{ClientAuthentication, Credential, Server};
use mcp_oauth_reports::{Report, Status};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::*;
use crate::judge::FiredTrigger;
use mcp_oauth_catalog::scenario::{ClientOutcome, ConformantClient};
use mcp_oauth_engine::profile::{self, Profile};

mod questions;
mod refresh;
mod step_up;

const ISSUER: &str = "http://127.0.0.1:2";
const MCP: &str = "http://127.0.0.1:1/mcp";
const REDIRECT: &str = "http://127.0.0.1:33418/callback";
const VERIFIER: &str = "verifier-0123456789-0123456789-0123456789-abc";

fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn facts() -> MockFacts {
    MockFacts {
        mcp_url: MCP.to_owned(),
        mcp_path: "/mcp".to_owned(),
        resource: MCP.to_owned(),
        metadata_mismatch: None,
        pointer_downgraded: false,
        as_metadata_findable: true,
        protected_resource_metadata: true,
        challenge_scope: None,
        auth_servers: vec![AuthServerFacts {
            role: Server::AuthorizationServer,
            issuer: ISSUER.to_owned(),
            authorization_path: "/authorize".to_owned(),
            token_path: "/token".to_owned(),
            registration_path: "/register".to_owned(),
            iss_advertised: false,
            scopes_supported: vec!["mcp:tools".to_owned()],
        }],
    }
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

fn rs(
    method: &str,
    path: &str,
    status: u16,
    token: Option<&str>,
    rpc: Option<&str>,
) -> RecordedRequest {
    RecordedRequest {
        server: Server::ResourceServer,
        method: method.to_owned(),
        path: path.to_owned(),
        status,
        at: 100,
        authorization: token.map(|t| Credential {
            scheme: "Bearer".to_owned(),
            value: t.to_owned(),
        }),
        json: rpc.map(|m| json!({ "jsonrpc": "2.0", "id": 1, "method": m })),
        ..RecordedRequest::default()
    }
}

fn as_request(method: &str, path: &str, status: u16) -> RecordedRequest {
    RecordedRequest {
        server: Server::AuthorizationServer,
        method: method.to_owned(),
        path: path.to_owned(),
        status,
        at: 100,
        ..RecordedRequest::default()
    }
}

fn authorize(state: &str, code: &str) -> RecordedRequest {
    let challenge = challenge_of(VERIFIER);
    RecordedRequest {
        query: pairs(&[
            ("response_type", "code"),
            ("client_id", "c1"),
            ("redirect_uri", REDIRECT),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("state", state),
            ("resource", MCP),
            ("scope", "mcp:tools"),
        ]),
        response_location: Some(format!("{REDIRECT}?code={code}&state={state}&iss={ISSUER}")),
        ..as_request("GET", "/authorize", 302)
    }
}

fn exchange(code: &str, token: &str, refresh: &str) -> RecordedRequest {
    RecordedRequest {
        grant_type: Some("authorization_code".to_owned()),
        form: pairs(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", "c1"),
            ("resource", MCP),
        ]),
        response_json: Some(
            json!({ "access_token": token, "token_type": "Bearer", "expires_in": 3600, "refresh_token": refresh }),
        ),
        client_authentication: Some(public_client()),
        ..as_request("POST", "/token", 200)
    }
}

/// The token endpoint's record of a public client `c1` authenticating as one.
fn public_client() -> ClientAuthentication {
    ClientAuthentication {
        client_id: "c1".to_owned(),
        method: "none".to_owned(),
        registered: Some("none".to_owned()),
    }
}

fn refresh(token: &str, answer: Value, status: u16) -> RecordedRequest {
    RecordedRequest {
        grant_type: Some("refresh_token".to_owned()),
        form: pairs(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", "c1"),
            ("resource", MCP),
        ]),
        response_json: Some(answer),
        client_authentication: Some(public_client()),
        ..as_request("POST", "/token", status)
    }
}

/// What a conformant client's first connection looks like in the log.
fn conformant_log() -> Vec<RecordedRequest> {
    vec![
        rs("POST", "/mcp", 401, None, Some("initialize")),
        rs(
            "GET",
            "/.well-known/oauth-protected-resource/mcp",
            200,
            None,
            None,
        ),
        as_request("GET", "/.well-known/oauth-authorization-server", 200),
        RecordedRequest {
            json: Some(json!({
                "redirect_uris": [REDIRECT],
                "grant_types": ["authorization_code", "refresh_token"],
                "application_type": "native",
                "token_endpoint_auth_method": "none",
            })),
            response_json: Some(json!({ "client_id": "c1", "token_endpoint_auth_method": "none" })),
            ..as_request("POST", "/register", 201)
        },
        authorize("state-aaaaaaaa", "ac_1"),
        exchange("ac_1", "at_1", "rt_1"),
        rs("POST", "/mcp", 200, Some("at_1"), Some("initialize")),
        rs("POST", "/mcp", 200, Some("at_1"), Some("tools/call")),
    ]
}

fn input(log: Vec<RecordedRequest>, outcome: ClientOutcome, questions: &[&str]) -> JudgeInput {
    input_under(log, outcome, questions, profile::NEWEST_SPEC)
}

fn input_under(
    log: Vec<RecordedRequest>,
    outcome: ClientOutcome,
    questions: &[&str],
    profile: &'static Profile,
) -> JudgeInput {
    JudgeInput {
        scenario: "hand-made".to_owned(),
        written_for: vec![profile.name.to_owned()],
        conformant: Some(ConformantClient {
            outcome,
            outcome_by_profile: Default::default(),
            questions: questions.iter().map(|q| (*q).to_owned()).collect(),
            triggers: Vec::new(),
            access_token_lifetime_secs: None,
            end_after: None,
            outcome_requirement: Default::default(),
        }),
        profile,
        log,
        facts: facts(),
        fired: Vec::new(),
        clock: Arc::new(SimulatedClock::default()),
        secrets: Vec::new(),
    }
}

fn status(report: &Report, id: &str) -> Status {
    report
        .checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id}"))
        .status
}

fn failed(report: &Report) -> Vec<&str> {
    report
        .checks
        .iter()
        .filter(|c| c.status == Status::Failure)
        .map(|c| c.id.as_str())
        .collect()
}

/// The conformant log with one change, judged: exactly `expected` fails.
fn only_fails(change: impl FnOnce(&mut Vec<RecordedRequest>), expected: &str) {
    let mut log = conformant_log();
    change(&mut log);
    let report = judge(&input(log, ClientOutcome::Connects, &[]));
    assert_eq!(failed(&report), [expected], "{:#?}", report.checks);
    assert!(!report.met_expectations());
}

#[test]
fn a_conformant_client_passes_every_check() {
    let report = judge(&input(conformant_log(), ClientOutcome::Connects, &[]));
    assert!(failed(&report).is_empty(), "{:#?}", report.checks);
    assert!(report.met_expectations());
    // Every question is answered, but the step-up (no 403 insufficient_scope asked it) and
    // single flight (the client never refreshed).
    assert!(
        report.checks.iter().all(|c| c.status == Status::Success
            || (matches!(
                c.id.as_str(),
                "client-scope-step-up" | "client-refresh-single-flight"
            ) && c.status == Status::Skipped)),
        "{:#?}",
        report.checks
    );
    assert_eq!(report.outcome.diagnosis, None);
}

#[test]
fn a_client_that_never_got_far_is_skipped_not_passed() {
    let log = conformant_log()[..2].to_vec();
    let report = judge(&input(log, ClientOutcome::Connects, &[]));
    for id in [
        "client-pkce-challenge",
        "client-pkce-verifier",
        "client-bearer-header",
        "client-dcr-grant-types",
    ] {
        assert_eq!(status(&report, id), Status::Skipped, "{id}");
    }
    assert_eq!(failed(&report), ["client-scenario-outcome"]);
}

#[test]
fn each_authorization_request_check_fails_on_its_own_fault() {
    // Without a challenge no verifier can match it either.
    let mut log = conformant_log();
    log[4].query.retain(|(n, _)| n != "code_challenge");
    let report = judge(&input(log, ClientOutcome::Connects, &[]));
    assert_eq!(
        failed(&report),
        ["client-pkce-challenge", "client-pkce-verifier"]
    );
    only_fails(
        |log| {
            log[4]
                .query
                .iter_mut()
                .filter(|(n, _)| n == "code_challenge_method")
                .for_each(|(_, v)| *v = "plain".to_owned())
        },
        "client-pkce-s256",
    );
    only_fails(
        |log| log[4].query.retain(|(n, _)| n != "state"),
        "client-state-round-trip",
    );
    only_fails(
        |log| {
            log[4]
                .query
                .iter_mut()
                .filter(|(n, _)| n == "scope")
                .for_each(|(_, v)| *v = "mcp:admin".to_owned())
        },
        "client-scope-selection",
    );
}

#[test]
fn offline_access_is_the_clients_to_add_or_drop() {
    let mut input = input(conformant_log(), ClientOutcome::Connects, &[]);
    input.facts.challenge_scope = Some("mcp:tools offline_access".to_owned());
    assert_eq!(
        status(&judge(&input), "client-scope-selection"),
        Status::Success
    );
    input.facts.challenge_scope = Some("mcp:admin".to_owned());
    assert_eq!(
        status(&judge(&input), "client-scope-selection"),
        Status::Failure
    );
}

#[test]
fn a_reused_state_fails() {
    let mut log = conformant_log();
    log.push(authorize("state-aaaaaaaa", "ac_2"));
    let report = judge(&input(log, ClientOutcome::Connects, &[]));
    assert_eq!(failed(&report), ["client-state-round-trip"]);
}

/// The mocks' `callback-state = "wrong"`: the callback carries a good code and another state.
/// A client that redeems the code has not compared the state; one that stops has.
#[test]
fn a_code_redeemed_from_a_callback_with_another_state_fails_and_a_refused_one_passes() {
    let mut log = conformant_log();
    log[4].response_location = Some(format!(
        "{REDIRECT}?code=ac_1&state=forged_0123456789&iss={ISSUER}"
    ));
    let redeemed = judge(&input(
        log.clone(),
        ClientOutcome::RefusesBeforeTokenRequest,
        &[],
    ));
    assert_eq!(
        failed(&redeemed),
        ["client-state-round-trip", "client-scenario-outcome"],
        "{:#?}",
        redeemed.checks
    );
    log.truncate(5);
    let refused = judge(&input(log, ClientOutcome::RefusesBeforeTokenRequest, &[]));
    assert!(failed(&refused).is_empty(), "{:#?}", refused.checks);
    assert_eq!(status(&refused, "client-state-round-trip"), Status::Success);
    assert!(refused.met_expectations());
}

#[test]
fn redirect_uris_must_be_repeated_exactly_and_be_safe() {
    only_fails(
        |log| {
            log[5]
                .form
                .iter_mut()
                .filter(|(n, _)| n == "redirect_uri")
                .for_each(|(_, v)| *v = "http://127.0.0.1:33418/other".to_owned())
        },
        "client-redirect-uri-consistent",
    );
    let mut log = conformant_log();
    let plain = "http://client.example/callback";
    for index in [4, 5] {
        let request = &mut log[index];
        for (n, v) in request.query.iter_mut().chain(request.form.iter_mut()) {
            if n == "redirect_uri" {
                *v = plain.to_owned();
            }
        }
    }
    log[3].json = Some(
        json!({ "redirect_uris": [plain], "grant_types": ["authorization_code", "refresh_token"], "application_type": "native", "token_endpoint_auth_method": "none" }),
    );
    let report = judge(&input(log, ClientOutcome::Connects, &[]));
    assert_eq!(failed(&report), ["client-redirect-uri-safe"]);
}

#[test]
fn a_wrong_verifier_fails() {
    only_fails(
        |log| {
            log[5]
                .form
                .iter_mut()
                .filter(|(n, _)| n == "code_verifier")
                .for_each(|(_, v)| *v = "another-verifier-0123456789-0123456789".to_owned())
        },
        "client-pkce-verifier",
    );
}

#[test]
fn the_resource_must_be_present_and_canonical_with_the_profile_deciding_how_much_that_matters() {
    only_fails(
        |log| log[5].form.retain(|(n, _)| n != "resource"),
        "client-resource-indicator",
    );
    only_fails(
        |log| {
            log[4]
                .query
                .iter_mut()
                .filter(|(n, _)| n == "resource")
                .for_each(|(_, v)| *v = format!("{MCP}/"))
        },
        "client-resource-indicator",
    );
    let mut log = conformant_log();
    log[4].query.retain(|(n, _)| n != "resource");
    log[5].form.retain(|(n, _)| n != "resource");
    let report = judge(&input_under(
        log,
        ClientOutcome::Connects,
        &[],
        &profile::PIPELINES,
    ));
    assert_eq!(status(&report, "client-resource-indicator"), Status::Info);
}

#[test]
fn token_requests_must_authenticate_as_registered() {
    // The token endpoint read a client_secret_post request from a client it holds as public.
    only_fails(
        |log| {
            log[5].client_authentication = Some(ClientAuthentication {
                method: "client_secret_post".to_owned(),
                ..public_client()
            })
        },
        "client-token-auth-method",
    );
}

#[test]
fn a_client_the_token_endpoint_does_not_know_is_not_asked_its_method() {
    let mut log = conformant_log();
    log[5].client_authentication = Some(ClientAuthentication {
        registered: None,
        ..public_client()
    });
    let report = judge(&input(log, ClientOutcome::Connects, &[]));
    assert_eq!(status(&report, "client-token-auth-method"), Status::Skipped);
}

/// A client whose token is refused drops it and starts a new sign-in with a request without
/// one, which the server challenges: that first request is not a missing bearer. The same
/// tokenless request with no sign-in after it, or without a refusal before it, still is.
#[test]
fn the_first_request_of_a_new_sign_in_needs_no_bearer() {
    let mut log = conformant_log();
    log.push(rs("POST", "/mcp", 401, Some("at_1"), Some("tools/call")));
    log.push(rs("POST", "/mcp", 401, None, Some("initialize")));
    log.push(authorize("state-bbbbbbbb", "ac_2"));
    log.push(exchange("ac_2", "at_2", "rt_2"));
    log.push(rs("POST", "/mcp", 200, Some("at_2"), Some("tools/call")));
    let report = judge(&input(log.clone(), ClientOutcome::Connects, &[]));
    assert!(
        !failed(&report).contains(&"client-bearer-header"),
        "{:#?}",
        report.checks
    );

    // No sign-in after it: the request went out without the token the client holds.
    let mut stopped = log.clone();
    stopped.truncate(stopped.len() - 3);
    let report = judge(&input(stopped, ClientOutcome::DoesNotConnect, &[]));
    assert!(failed(&report).contains(&"client-bearer-header"));

    // No refusal before it: a client that simply forgot its token.
    let mut forgot = conformant_log();
    forgot.push(rs("POST", "/mcp", 401, None, Some("tools/call")));
    forgot.push(authorize("state-bbbbbbbb", "ac_2"));
    forgot.push(exchange("ac_2", "at_2", "rt_2"));
    let report = judge(&input(forgot, ClientOutcome::Connects, &[]));
    assert!(failed(&report).contains(&"client-bearer-header"));
}

#[test]
fn mcp_requests_need_the_bearer_header_and_no_token_in_the_url() {
    only_fails(|log| log[6].authorization = None, "client-bearer-header");
    only_fails(
        |log| {
            log[7]
                .query
                .push(("access_token".to_owned(), "at_1".to_owned()))
        },
        "client-token-not-in-query",
    );
}

#[test]
fn registration_contents_are_judged_per_profile() {
    only_fails(
        |log| {
            log[3].json = Some(
                json!({ "redirect_uris": [], "grant_types": ["authorization_code", "refresh_token"], "application_type": "native", "token_endpoint_auth_method": "none" }),
            )
        },
        "client-dcr-redirect-uris",
    );
    only_fails(
        |log| {
            log[3].json = Some(
                json!({ "redirect_uris": [REDIRECT], "application_type": "native", "token_endpoint_auth_method": "none" }),
            )
        },
        "client-dcr-grant-types",
    );
    only_fails(
        |log| {
            log[3].json = Some(
                json!({ "redirect_uris": [REDIRECT], "grant_types": ["authorization_code", "refresh_token"], "token_endpoint_auth_method": "none" }),
            )
        },
        "client-dcr-application-type",
    );
    let mut log = conformant_log();
    log[3].json =
        Some(json!({ "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none" }));
    let report = judge(&input_under(
        log,
        ClientOutcome::Connects,
        &[],
        &profile::MCP_2025_11_25,
    ));
    assert_eq!(status(&report, "client-dcr-grant-types"), Status::Info);
    assert_eq!(status(&report, "client-dcr-application-type"), Status::Info);
    let mut log = conformant_log();
    log[3].json = Some(
        json!({ "redirect_uris": [REDIRECT], "grant_types": ["authorization_code", "refresh_token"], "application_type": "native" }),
    );
    let report = judge(&input(log, ClientOutcome::Connects, &[]));
    assert_eq!(status(&report, "client-dcr-auth-method"), Status::Warning);
}

#[test]
fn no_secret_value_reaches_the_report() {
    let mut input = input(conformant_log(), ClientOutcome::Connects, &[]);
    input.secrets = vec!["state-aaaaaaaa".to_owned(), VERIFIER.to_owned()];
    let text = serde_json::to_string(&judge(&input)).unwrap();
    for secret in ["at_1", "rt_1", "ac_1", VERIFIER, "state-aaaaaaaa"] {
        assert!(!text.contains(secret), "{secret} in the report");
    }
}
