//! `check URL` against the mocks configured with each real-world client-identity quirk of the
//! token endpoint: Basic credentials whose client ID is not read, a refusal of Basic beside a
//! body `client_id`, and registrations forgotten by a restart, answered in three forms. What the
//! client steps over is a WARNING with its remedy; what it cannot, a diagnosis.

use mcp_oauth_harness::check::CheckRun;
use mcp_oauth_mocks::MockConfig;
use mcp_oauth_mocks::config::{
    ClientAuthReading, ForgetRegisteredClients, TokenEndpointAuthMethod, UnknownClientAnswer,
};
use mcp_oauth_reports::{Check, Connects, Status};

mod check_support;
use check_support::{check_against, human, recorded};

/// A server that registers every client as confidential with `client_secret_basic`.
fn basic_clients(config: &mut MockConfig, reading: ClientAuthReading) {
    let auth = &mut config.authorization_server;
    auth.registration_auth_method = Some(TokenEndpointAuthMethod::ClientSecretBasic);
    auth.token_endpoint_auth_methods = vec![
        TokenEndpointAuthMethod::None,
        TokenEndpointAuthMethod::ClientSecretBasic,
    ];
    auth.client_auth_reading = reading;
}

#[track_caller]
fn remedy_names(check: &Check, words: &[&str]) {
    let remedy = check.remedy.as_deref().unwrap_or_default();
    for word in words {
        assert!(
            remedy.contains(word),
            "{}: {remedy:?} lacks {word:?}",
            check.id
        );
    }
}

fn connects_everywhere(run: &CheckRun) -> bool {
    run.report
        .verdict
        .as_ref()
        .is_some_and(|v| v.profiles.iter().all(|p| p.connects == Connects::Yes))
}

/// The form fields of each code exchange the report recorded, with whether it carried Basic
/// credentials.
fn code_exchanges(run: &CheckRun) -> Vec<(bool, String)> {
    run.report
        .exchanges
        .iter()
        .filter(|e| e.request.method == "POST" && e.request.url.ends_with("/token"))
        .filter_map(|e| {
            let body = e.request.body.clone()?;
            body.contains("grant_type=authorization_code").then(|| {
                let basic = e
                    .request
                    .headers
                    .iter()
                    .any(|(name, value)| name == "authorization" && value.starts_with("Basic"));
                (basic, body)
            })
        })
        .collect()
}

#[tokio::test]
async fn basic_credentials_whose_client_id_is_ignored_are_retried_with_a_body_client_id() {
    let run = check_against(|c| basic_clients(c, ClientAuthReading::BodyClientIdOnly)).await;
    let found = recorded(&run, "token-basic-client-id", Status::Warning);
    remedy_names(found[0], &["RFC 6749 §2.3.1", "fastmcp#4600"]);
    let exchanges = code_exchanges(&run);
    assert!(
        exchanges
            .iter()
            .any(|(basic, body)| *basic && !body.contains("client_id=")),
        "the first exchange sends Basic alone: {exchanges:?}"
    );
    assert!(
        exchanges
            .iter()
            .any(|(basic, body)| *basic && body.contains("client_id=")),
        "the retry adds client_id to the body: {exchanges:?}"
    );
    recorded(&run, "token-exchange", Status::Success);
    let verdict = run.report.verdict.as_ref().expect("a verdict");
    assert!(
        verdict.profiles.iter().all(|p| p.connects != Connects::No),
        "{}",
        human(&run)
    );
}

#[tokio::test]
async fn a_server_refusing_basic_beside_a_body_client_id_gets_the_header_alone() {
    let run = check_against(|c| basic_clients(c, ClientAuthReading::RefuseBoth)).await;
    // The registered client's exchanges (the probe of an unknown public client aside).
    let exchanges: Vec<_> = code_exchanges(&run)
        .into_iter()
        .filter(|(_, body)| !body.contains("client_id=harness-unknown-client-"))
        .collect();
    assert!(!exchanges.is_empty(), "{}", human(&run));
    for (basic, body) in &exchanges {
        assert!(
            *basic && !body.contains("client_id="),
            "a code exchange carried {body:?} (basic: {basic})"
        );
    }
    recorded(&run, "token-exchange", Status::Success);
    assert!(
        !run.report
            .checks
            .iter()
            .any(|c| c.id == "token-basic-client-id"),
        "{}",
        human(&run)
    );
    assert!(connects_everywhere(&run), "{}", human(&run));
}

async fn forgetting(answer: UnknownClientAnswer) -> CheckRun {
    check_against(|c| {
        c.authorization_server.forget_registered_clients =
            ForgetRegisteredClients::AfterFirstAuthorization;
        c.authorization_server.unknown_client_answer = answer;
    })
    .await
}

#[tokio::test]
async fn a_forgotten_registration_is_renewed_once_and_reported() {
    let run = forgetting(UnknownClientAnswer::InvalidClient).await;
    let found = recorded(&run, "dcr-registration-kept", Status::Warning);
    remedy_names(found[0], &["restarts", "supabase/mcp#355"]);
    // invalid_client is the right answer to a client_id nobody registered.
    recorded(&run, "unknown-client-error", Status::Success);
    assert!(connects_everywhere(&run), "{}", human(&run));
}

#[tokio::test]
async fn an_unknown_client_answered_invalid_grant_is_a_caveat_naming_the_sdk_it_strands() {
    let run = forgetting(UnknownClientAnswer::InvalidGrant).await;
    recorded(&run, "dcr-registration-kept", Status::Warning);
    let found = recorded(&run, "unknown-client-error", Status::Warning);
    remedy_names(
        found[0],
        &["invalid_client", "TypeScript SDK", "better-auth#11035"],
    );
    assert!(connects_everywhere(&run), "{}", human(&run));
}

#[tokio::test]
async fn an_unrecognized_client_id_422_is_read_as_an_unknown_client() {
    let run = forgetting(UnknownClientAnswer::UnrecognizedClientId422).await;
    recorded(&run, "dcr-registration-kept", Status::Warning);
    let found = recorded(&run, "unknown-client-error", Status::Warning);
    remedy_names(found[0], &["supabase/mcp#355"]);
    let message = found[0].error_message.as_deref().unwrap_or_default();
    assert!(message.contains("Unrecognized client_id"), "{message}");
    assert!(connects_everywhere(&run), "{}", human(&run));
}

#[tokio::test]
async fn a_server_that_never_keeps_a_registration_stops_the_client_after_one_renewal() {
    let run = check_against(|c| {
        c.authorization_server.forget_registered_clients =
            ForgetRegisteredClients::AfterEveryAuthorization;
    })
    .await;
    let diagnosis = run
        .report
        .outcome
        .diagnosis
        .as_ref()
        .unwrap_or_else(|| panic!("a diagnosis\n{}", human(&run)));
    assert_eq!(diagnosis.code, "client-unknown", "{}", human(&run));
    assert!(
        diagnosis.remedy.contains("invalid_client"),
        "{}",
        diagnosis.remedy
    );
    // One renewal in the reported flow, never a loop.
    let renewals = run
        .report
        .checks
        .iter()
        .filter(|c| c.id == "dcr-registration-kept")
        .count();
    assert_eq!(renewals, 1, "{}", human(&run));
    let verdict = run.report.verdict.as_ref().expect("a verdict");
    assert!(
        verdict.profiles.iter().all(|p| p.connects == Connects::No),
        "{}",
        human(&run)
    );
}

#[tokio::test]
async fn a_client_forgotten_after_its_tokens_is_named_at_the_refresh() {
    let run = check_against(|c| {
        c.authorization_server.forget_registered_clients = ForgetRegisteredClients::AfterFirstToken;
        c.authorization_server.unknown_client_answer = UnknownClientAnswer::UnrecognizedClientId422;
    })
    .await;
    // The code exchange worked; the refresh check makes right after it meets the lost client.
    recorded(&run, "token-exchange", Status::Success);
    let refreshes: Vec<&Check> = run
        .report
        .checks
        .iter()
        .filter(|c| c.id == "refresh-token-grant")
        .collect();
    assert!(
        refreshes.iter().any(|c| c.status == Status::Failure),
        "{}",
        human(&run)
    );
    let found = recorded(&run, "unknown-client-error", Status::Warning);
    assert!(
        found.iter().any(|c| c
            .error_message
            .as_deref()
            .is_some_and(|m| m.contains("Unrecognized client_id"))),
        "{}",
        human(&run)
    );
    // A caveat that names the lost client, with the way back.
    let verdict = run.report.verdict.as_ref().expect("a verdict");
    let caveat = verdict
        .profiles
        .iter()
        .flat_map(|p| p.caveats.iter())
        .find(|c| c.check == "refresh-token-grant")
        .unwrap_or_else(|| panic!("no refresh caveat\n{}", human(&run)));
    assert_eq!(caveat.code, "client-unknown", "{}", human(&run));
    assert!(
        caveat.remedy.contains("invalid_client")
            && caveat.remedy.contains("registers a new client"),
        "{}",
        caveat.remedy
    );
}
