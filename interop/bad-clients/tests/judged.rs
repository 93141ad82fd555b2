//! Each deliberately bad client, judged by `test-client`, fails exactly the checks of its
//! fault; the same double without a fault fails none, so each failure is the fault's.

use std::time::Duration;

use mcp_oauth_harness::profile;
use mcp_oauth_harness::scenario::{catalog_dir, load_file};
use mcp_oauth_harness::test_client::{self, ClientCommand, TestClientOptions};
use mcp_oauth_reports::{Report, Status};

/// How long a client may run: the longest, `expired-token`, idles for its token's 30 seconds.
const TIMEOUT: Duration = Duration::from_secs(90);

async fn judged(fault: &str, scenario: &str, timeout: Duration) -> Report {
    let scenario = load_file(&catalog_dir().join(format!("{scenario}.toml"))).unwrap();
    let options = TestClientOptions {
        command: ClientCommand {
            program: env!("CARGO_BIN_EXE_bad-client").to_owned(),
            args: vec![fault.to_owned()],
        },
        profile: profile::NEWEST_SPEC,
        timeout,
    };
    test_client::run_scenario(scenario, &options).await.unwrap()
}

/// The ids of the failed checks, each once, sorted.
fn failed_ids(report: &Report) -> Vec<String> {
    let mut ids: Vec<String> = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Failure)
        .map(|c| c.id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

async fn assert_fails_exactly(fault: &str, scenario: &str, expected: &[&str]) {
    assert_fails_exactly_within(fault, scenario, TIMEOUT, expected).await;
}

async fn assert_fails_exactly_within(
    fault: &str,
    scenario: &str,
    timeout: Duration,
    expected: &[&str],
) {
    let report = judged(fault, scenario, timeout).await;
    let messages: Vec<String> = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Failure)
        .map(|c| format!("{}: {}", c.id, c.error_message.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        failed_ids(&report),
        expected,
        "{fault} in {scenario}: {messages:#?}"
    );
    assert_eq!(
        report.met_expectations(),
        expected.is_empty(),
        "{fault} in {scenario}: {:#?}",
        report.expectations
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_double_without_a_fault_passes() {
    assert_fails_exactly("conformant", "dcr-happy-path", &[]).await;
    assert_fails_exactly("conformant", "revoked-refresh", &[]).await;
    assert_fails_exactly("conformant", "iss-wrong", &[]).await;
    assert_fails_exactly("conformant", "callback-state-wrong", &[]).await;
}

/// The scenarios the newer faults are judged in: the double without a fault passes each, so
/// that what its fault makes fail there is the fault's alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_double_without_a_fault_passes_where_the_faults_are_judged() {
    for scenario in [
        "scope-from-challenge",
        "token-auth-from-dcr-response-basic",
        "rs-lenient-authorization",
        "mcp-refuses-valid-token",
        "resource-mismatch-refused",
        "issuer-mismatch-refused",
        "as-migration-reregisters",
        "refresh-grant-server-error",
    ] {
        assert_fails_exactly("conformant", scenario, &[]).await;
    }
}

/// Rotation, refreshed twice: the second expiry waits until the token the first refresh
/// returned was accepted once, so the double refreshes again with the rotated refresh token
/// and connects; no refresh token is presented twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_is_asked_twice_and_the_double_passes() {
    let report = judged("conformant", "refresh-rotation", TIMEOUT).await;
    assert_eq!(
        failed_ids(&report),
        Vec::<String>::new(),
        "{:#?}",
        report.checks
    );
    let refreshes = report
        .exchanges
        .iter()
        .filter(|e| {
            e.request
                .body
                .as_deref()
                .is_some_and(|b| b.contains("grant_type=refresh_token"))
        })
        .count();
    assert_eq!(refreshes, 2, "{:#?}", report.exchanges);
    let outcome = report
        .checks
        .iter()
        .find(|c| c.id == "client-scenario-outcome")
        .unwrap();
    assert_eq!(outcome.status, Status::Success, "{outcome:#?}");
}

/// The control of `expired-token`: the same idling, with a refresh before the next call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_double_that_refreshes_first_passes() {
    assert_fails_exactly("idles-past-expiry", "near-expiry-refresh", &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_pkce() {
    assert_fails_exactly("no-pkce", "dcr-happy-path", NO_PKCE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_pkce() {
    assert_fails_exactly("plain-pkce", "dcr-happy-path", PLAIN_PKCE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_verifier() {
    assert_fails_exactly("wrong-verifier", "dcr-happy-path", WRONG_VERIFIER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsafe_redirect_uri() {
    assert_fails_exactly("unsafe-redirect-uri", "dcr-happy-path", UNSAFE_REDIRECT_URI).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignores_the_challenge_scope() {
    assert_fails_exactly(
        "ignores-challenge-scope",
        "scope-from-challenge",
        IGNORES_CHALLENGE_SCOPE,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_auth_method() {
    assert_fails_exactly(
        "wrong-auth-method",
        "token-auth-from-dcr-response-basic",
        WRONG_AUTH_METHOD,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_scheme() {
    assert_fails_exactly("other-scheme", "rs-lenient-authorization", OTHER_SCHEME).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_in_query() {
    assert_fails_exactly("token-in-query", "dcr-happy-path", TOKEN_IN_QUERY).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_without_redirect_uris() {
    assert_fails_exactly(
        "dcr-no-redirect-uris",
        "dcr-happy-path",
        DCR_NO_REDIRECT_URIS,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_without_grant_types() {
    assert_fails_exactly("dcr-no-grant-types", "dcr-happy-path", DCR_NO_GRANT_TYPES).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_without_application_type() {
    assert_fails_exactly(
        "dcr-no-application-type",
        "dcr-happy-path",
        DCR_NO_APPLICATION_TYPE,
    )
    .await;
}

/// RFC 7591 §2 makes token_endpoint_auth_method optional: leaving it out is a WARNING (the
/// default, client_secret_basic, is rarely what a public client means), never a FAILURE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_without_auth_method_is_warned() {
    let report = judged("dcr-no-auth-method", "dcr-happy-path", TIMEOUT).await;
    assert_eq!(
        failed_ids(&report),
        Vec::<String>::new(),
        "{:#?}",
        report.checks
    );
    let check = report
        .checks
        .iter()
        .find(|c| c.id == "client-dcr-auth-method")
        .expect("the registration's auth method is judged");
    assert_eq!(check.status, Status::Warning, "{check:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reauthorization_loop() {
    assert_fails_exactly(
        "reauthorization-loop",
        "mcp-refuses-valid-token",
        REAUTHORIZATION_LOOP,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignores_a_resource_that_does_not_match() {
    assert_fails_exactly(
        "ignores-metadata-mismatch",
        "resource-mismatch-refused",
        IGNORES_METADATA_MISMATCH,
    )
    .await;
}

/// Over https through the mocks' TLS front, whose authority the double is handed as
/// `SSL_CERT_FILE`: the metadata names the `http://` URL, and going on is the same fault.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignores_a_resource_written_with_http_behind_a_tls_proxy() {
    assert_fails_exactly("conformant", "prm-http-behind-tls-proxy", &[]).await;
    assert_fails_exactly(
        "ignores-metadata-mismatch",
        "prm-http-behind-tls-proxy",
        IGNORES_METADATA_MISMATCH,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignores_an_issuer_that_does_not_match() {
    assert_fails_exactly(
        "ignores-metadata-mismatch",
        "issuer-mismatch-refused",
        IGNORES_METADATA_MISMATCH,
    )
    .await;
}

/// Two refreshes at once with one refresh token: the server rotates on one and revokes the
/// grant on the other. Only single flight fails: the second refresh raced the refusal, so it
/// is no retry after `invalid_grant`, and the double signs in again and connects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn races_its_first_refresh() {
    assert_fails_exactly(
        "racing-refresh",
        "refresh-rotation",
        &["client-refresh-single-flight"],
    )
    .await;
}

/// `{endpoint}?{params}` at an endpoint that already has a query: the authorization server
/// cannot read the request and shows an error page, so the client never connects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adds_a_second_question_mark_to_the_authorization_endpoint() {
    assert_fails_exactly(
        "second-question-mark",
        "authorize-endpoint-with-query",
        &["client-scenario-outcome"],
    )
    .await;
    // The control: the same double, appending with `&`, connects there.
    assert_fails_exactly("conformant", "authorize-endpoint-with-query", &[]).await;
}

/// The metadata's bare-origin `resource` sent with a `/` added: not the resource the server
/// named, and tokens for it are not for this MCP server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adds_a_slash_to_a_bare_origin_resource() {
    assert_fails_exactly(
        "resource-slash-added",
        "resource-exact-echo",
        &["client-resource-indicator", "client-scenario-outcome"],
    )
    .await;
    assert_fails_exactly("conformant", "resource-exact-echo", &[]).await;
}

/// `resource_metadata = "…"`: a client that matches `resource_metadata="` finds no pointer,
/// and the metadata is at no well-known location, so it never connects; the control, which
/// parses the whitespace RFC 9110 allows, connects there and where the challenge repeats a
/// parameter or lists a DPoP challenge first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_the_challenge_with_a_pattern() {
    assert_fails_exactly(
        "challenge-pattern",
        "challenge-loose-quoting",
        &["client-scenario-outcome"],
    )
    .await;
    for scenario in [
        "challenge-loose-quoting",
        "challenge-duplicate-parameters",
        "challenge-multiple-schemes",
    ] {
        assert_fails_exactly("conformant", scenario, &[]).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presents_an_expired_token() {
    assert_fails_exactly("expired-token", "near-expiry-refresh", EXPIRED_TOKEN).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keeps_the_old_registration() {
    assert_fails_exactly(
        "keeps-old-registration",
        "as-migration-reregisters",
        KEEPS_OLD_REGISTRATION,
    )
    .await;
}

/// The flow takes well under a second; the timeout only has to be longer than that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_exits() {
    assert_fails_exactly_within(
        "never-exits",
        "dcr-happy-path",
        Duration::from_secs(10),
        NEVER_EXITS,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_redirect_uri() {
    assert_fails_exactly(
        "changed-redirect-uri",
        "dcr-happy-path",
        CHANGED_REDIRECT_URI,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_resource() {
    assert_fails_exactly("no-resource", "dcr-happy-path", NO_RESOURCE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_loop() {
    assert_fails_exactly("refresh-loop", "revoked-refresh", REFRESH_LOOP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redeems_the_code_despite_a_wrong_iss() {
    assert_fails_exactly("ignores-wrong-iss", "iss-wrong", IGNORES_WRONG_ISS).await;
}

/// A token request labelled `text/plain` is read as a form by the mock's token endpoint, so
/// the judge sees the code it redeems like any other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_redeemed_as_text_plain_despite_a_wrong_iss_is_seen() {
    assert_fails_exactly(
        "text-plain-ignores-wrong-iss",
        "iss-wrong",
        IGNORES_WRONG_ISS,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redeems_the_code_despite_another_state() {
    assert_fails_exactly("ignores-state", "callback-state-wrong", IGNORES_STATE).await;
}

// No challenge is also no S256 method: both questions fail; the server then refuses the
// authorization, so the client never connects either.
const NO_PKCE: &[&str] = &[
    "client-pkce-challenge",
    "client-pkce-s256",
    "client-scenario-outcome",
];
// The authorization server refuses a method other than S256, so it never gets a code.
const PLAIN_PKCE: &[&str] = &["client-pkce-s256", "client-scenario-outcome"];
// The authorization server refuses the code exchange, so it never connects.
const WRONG_VERIFIER: &[&str] = &["client-pkce-verifier", "client-scenario-outcome"];
// Registered and used consistently, the mock redirects to it: only the URI's safety fails.
const UNSAFE_REDIRECT_URI: &[&str] = &["client-redirect-uri-safe"];
// Its token lacks the scope the MCP server requires, so no tools/call succeeds.
const IGNORES_CHALLENGE_SCOPE: &[&str] = &["client-scenario-outcome", "client-scope-selection"];
// The authorization server enforces the registered method and refuses the code exchange.
const WRONG_AUTH_METHOD: &[&str] = &["client-scenario-outcome", "client-token-auth-method"];
// This MCP server reads the second word whatever the scheme, so the client still connects.
const OTHER_SCHEME: &[&str] = &["client-bearer-header"];
// The header carries the token too, so the client still connects.
const TOKEN_IN_QUERY: &[&str] = &["client-token-not-in-query"];
// The authorization server refuses the registration, so the client never authorizes.
const DCR_NO_REDIRECT_URIS: &[&str] = &["client-dcr-redirect-uris", "client-scenario-outcome"];
// The mock registers it anyway (with both grants), so nothing else changes.
const DCR_NO_GRANT_TYPES: &[&str] = &["client-dcr-grant-types"];
const DCR_NO_APPLICATION_TYPE: &[&str] = &["client-dcr-application-type"];
// The mock registers an omitted method as `none`, which the client then uses.
// It never connects here anyway: only the bound fails, not the outcome.
const REAUTHORIZATION_LOOP: &[&str] = &["client-reauthorization-bounded"];
// It goes to authorization where a conformant client stops before.
const IGNORES_METADATA_MISMATCH: &[&str] = &[
    "client-metadata-mismatch-refused",
    "client-scenario-outcome",
];
// Refused, it refreshes then and connects: only the expired token counts against it.
const EXPIRED_TOKEN: &[&str] = &["client-refresh-before-expiry"];
// The new authorization server does not know the Client ID, so it never connects again.
// `as-migration-reregisters` asks for its outcome with SHOULD; the MUST is the question.
const KEEPS_OLD_REGISTRATION: &[&str] = &["client-reregisters-after-as-change"];
// Everything it sent was conformant; only the process outlived the timeout.
const NEVER_EXITS: &[&str] = &["client-process-finished"];
// The authorization server refuses the code exchange, so it never connects.
const CHANGED_REDIRECT_URI: &[&str] =
    &["client-redirect-uri-consistent", "client-scenario-outcome"];
const NO_RESOURCE: &[&str] = &["client-resource-indicator"];
// Looping, it never authorizes again, so it never gets back to a tool call either.
// `revoked-refresh` asks for its outcome with SHOULD: a client that gives up gets a warning.
const REFRESH_LOOP: &[&str] = &["client-no-refresh-after-invalid-grant"];
// It connects where a conformant client stops before the token request.
const IGNORES_WRONG_ISS: &[&str] = &["client-iss-refused", "client-scenario-outcome"];
// It redeems a code a conformant client refuses: the state check and the outcome both fail.
const IGNORES_STATE: &[&str] = &["client-scenario-outcome", "client-state-round-trip"];
