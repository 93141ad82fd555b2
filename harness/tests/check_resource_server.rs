//! `check`'s resource-server probes against the mock MCP server: the conformant mock passes
//! every probe, and each token-validation knob fails the probe it should, with its remedy.
//! The mocks and the check share a simulated clock, so waiting out a token's expiry takes no
//! real time.

use std::time::{Duration, Instant};

use mcp_oauth_harness::check::{self, CheckOptions, CheckRun, Consent, ProfileSelection};
use mcp_oauth_harness::checks::{self, CheckDef};
use mcp_oauth_harness::profile;
use mcp_oauth_mocks::clock::SimulatedClock;
use mcp_oauth_mocks::{MockConfig, MockServers};
use mcp_oauth_reports::Status;

mod check_support;
use check_support::human;

/// Every probe, in the order they run.
const PROBES: [&CheckDef; 12] = [
    &checks::BEARER_WITHOUT_TOKEN_REFUSED,
    &checks::BEARER_TWO_TOKENS_REFUSED,
    &checks::OTHER_SCHEME_REFUSED,
    &checks::BEARER_SCHEME_CASE_INSENSITIVE,
    &checks::QUERY_TOKEN_REFUSED,
    &checks::ALTERED_TOKEN_REFUSED,
    &checks::UNSIGNED_JWT_REFUSED,
    &checks::FOREIGN_SIGNED_JWT_REFUSED,
    &checks::SIBLING_AUDIENCE_REFUSED,
    &checks::INSUFFICIENT_SCOPE_CHALLENGED,
    &checks::REVOKED_TOKEN_REFUSED,
    &checks::EXPIRED_TOKEN_REFUSED,
];

/// A server where every probe can be observed: short-lived JWTs, two scopes of which MCP
/// requests need `mcp:admin`, refresh tokens that rotate.
fn observable() -> MockConfig {
    let mut config = MockConfig::default();
    let auth = &mut config.authorization_server;
    auth.access_token_lifetime_secs = 60;
    auth.scopes_supported = vec!["mcp:tools".into(), "mcp:admin".into()];
    auth.rotate_refresh_tokens = true;
    config.resource_server.required_scope = Some("mcp:admin".into());
    config
}

async fn check_against(config: MockConfig) -> CheckRun {
    // Bounds the expiry wait too: 60 s lifetime + 5 s + the 60 s leeway fit.
    check_within(config, Duration::from_secs(300)).await
}

async fn check_within(config: MockConfig, timeout: Duration) -> CheckRun {
    check_as(config, timeout, &profile::PIPELINES).await
}

/// The check judged as `judged_as` (the consent flow's profile), observing that profile alone.
async fn check_as(
    config: MockConfig,
    timeout: Duration,
    judged_as: &'static profile::Profile,
) -> CheckRun {
    let clock = SimulatedClock::default();
    let mocks = MockServers::start(config, clock.shared())
        .await
        .expect("mock servers start");
    let options = CheckOptions {
        consent: Consent::Headless,
        redirect_port: 0,
        timeout,
        scope: Some("mcp:tools mcp:admin".into()),
        profile: judged_as,
        profiles: ProfileSelection::List(vec![judged_as]),
        clock: clock.shared(),
        ..CheckOptions::new(mocks.mcp_url())
    };
    check::check(options).await.expect("the check runs")
}

fn statuses(run: &CheckRun, check: &CheckDef) -> Vec<Status> {
    run.report
        .checks
        .iter()
        .filter(|c| c.id == check.id)
        .map(|c| c.status)
        .collect()
}

#[track_caller]
fn assert_status(run: &CheckRun, check: &CheckDef, status: Status) {
    let seen = statuses(run, check);
    assert_eq!(seen, vec![status], "{}\n{}", check.id, human(run));
}

/// `check` fails `failing` (with its catalog remedy and the given status) and passes every
/// other probe that the conformant mock passes.
async fn knob_fails(edit: impl FnOnce(&mut MockConfig), failing: &CheckDef, status: Status) {
    let mut config = observable();
    edit(&mut config);
    let run = check_against(config).await;
    assert_status(&run, failing, status);
    let recorded = run
        .report
        .checks
        .iter()
        .find(|c| c.id == failing.id)
        .expect("recorded");
    assert_eq!(recorded.remedy.as_deref(), Some(failing.remedy));
    assert_eq!(recorded.step, "resource-server");
    assert!(human(&run).contains(&format!("fix: {}", failing.remedy)));
}

#[tokio::test]
async fn the_conformant_mock_passes_every_probe() {
    let started = Instant::now();
    let run = check_against(observable()).await;
    for probe in PROBES {
        let expected = if probe.id == checks::REVOKED_TOKEN_REFUSED.id {
            // The mock's access tokens are self-contained JWTs: revocation cannot reach them.
            Status::Info
        } else {
            Status::Success
        };
        assert_status(&run, probe, expected);
        let recorded = run.report.checks.iter().find(|c| c.id == probe.id).unwrap();
        assert_eq!(recorded.step, "resource-server");
        assert!(!recorded.spec_references.is_empty());
    }
    // The probes rotated the refresh token; the lifecycle after them still refreshes.
    assert_eq!(
        statuses(&run, &checks::REFRESH_GRANT),
        vec![Status::Success]
    );
    assert_eq!(run.report.summary.failure, 0, "{}", human(&run));
    let text = human(&run);
    assert!(
        text.contains("Resource server: token validation sound"),
        "{text}"
    );
    assert!(!text.contains("eyJ"), "a token in the human output");
    assert!(
        !mcp_oauth_reports::render::json(&run.report).contains("eyJ"),
        "a token in the report"
    );
    // 125 simulated seconds of waiting took no real ones.
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[tokio::test]
async fn accepting_alg_none_fails_the_unsigned_jwt_probe() {
    knob_fails(
        |c| c.resource_server.accept_alg_none = true,
        &checks::UNSIGNED_JWT_REFUSED,
        Status::Failure,
    )
    .await;
}

#[tokio::test]
async fn skipping_the_signature_check_fails_the_integrity_probes() {
    let mut config = observable();
    config.resource_server.skip_signature_check = true;
    let run = check_against(config).await;
    assert_status(&run, &checks::ALTERED_TOKEN_REFUSED, Status::Failure);
    assert_status(&run, &checks::FOREIGN_SIGNED_JWT_REFUSED, Status::Failure);
    assert_status(&run, &checks::BEARER_TWO_TOKENS_REFUSED, Status::Success);
    assert!(human(&run).contains("token validation unsound"));
    knob_fails(
        |c| c.resource_server.skip_signature_check = true,
        &checks::FOREIGN_SIGNED_JWT_REFUSED,
        Status::Failure,
    )
    .await;
}

#[tokio::test]
async fn a_deployment_accepting_a_sibling_token_fails_the_audience_check_under_the_spec_profiles() {
    let mut config = observable();
    config.resource_server.skip_audience_check = true;
    let spec = check_as(
        config.clone(),
        Duration::from_secs(300),
        &profile::MCP_2025_11_25,
    )
    .await;
    assert_status(&spec, &checks::SIBLING_AUDIENCE_REFUSED, Status::Failure);
    let recorded = spec
        .report
        .checks
        .iter()
        .find(|c| c.id == checks::SIBLING_AUDIENCE_REFUSED.id)
        .expect("recorded");
    let message = recorded.error_message.as_deref().unwrap_or("");
    assert!(
        message.contains("tokens are not bound to their audience in this deployment"),
        "{message}"
    );
    // The mock's JWT names the sibling in `aud`: the MCP server is the half that lets it in.
    let details = recorded.details.as_ref().expect("details");
    assert_eq!(details["party"], "mcp-server", "{details}");
    assert!(
        details["cause"]
            .as_str()
            .unwrap()
            .contains("does not check")
    );
    assert_eq!(
        recorded.remedy.as_deref(),
        Some(checks::SIBLING_AUDIENCE_REFUSED.remedy)
    );
    // Pipelines sends no `resource` and relies on no binding: the same answer is INFO.
    let pipelines = check_against(config).await;
    assert_status(&pipelines, &checks::SIBLING_AUDIENCE_REFUSED, Status::Info);
}

#[tokio::test]
async fn an_authorization_server_refusing_the_sibling_resource_is_info() {
    let mut config = observable();
    config.authorization_server.refuse_resource = true;
    let run = check_against(config).await;
    assert_status(&run, &checks::SIBLING_AUDIENCE_REFUSED, Status::Info);
    let recorded = run
        .report
        .checks
        .iter()
        .find(|c| c.id == checks::SIBLING_AUDIENCE_REFUSED.id)
        .unwrap();
    let message = recorded.error_message.as_deref().unwrap_or("");
    assert!(message.contains("invalid_target"), "{message}");
}

#[tokio::test]
async fn accepting_query_tokens_fails_the_query_probe() {
    knob_fails(
        |c| c.resource_server.accept_query_tokens = true,
        &checks::QUERY_TOKEN_REFUSED,
        Status::Failure,
    )
    .await;
}

#[tokio::test]
async fn refusing_lower_case_bearer_is_a_warning_naming_the_clients() {
    let mut config = observable();
    config.resource_server.refuse_lowercase_scheme = true;
    let run = check_against(config).await;
    assert_status(
        &run,
        &checks::BEARER_SCHEME_CASE_INSENSITIVE,
        Status::Warning,
    );
    let text = human(&run);
    assert!(text.contains("LiteLLM"), "{text}");
    assert!(
        text.contains("token validation sound, 1 warning(s)"),
        "{text}"
    );
    knob_fails(
        |c| c.resource_server.refuse_lowercase_scheme = true,
        &checks::BEARER_SCHEME_CASE_INSENSITIVE,
        Status::Warning,
    )
    .await;
}

#[tokio::test]
async fn forbidden_without_insufficient_scope_fails_the_scope_probe() {
    knob_fails(
        |c| c.resource_server.omit_insufficient_scope = true,
        &checks::INSUFFICIENT_SCOPE_CHALLENGED,
        Status::Failure,
    )
    .await;
}

#[tokio::test]
async fn accepting_expired_tokens_fails_the_expiry_probe_after_the_leeway() {
    let mut config = observable();
    config.resource_server.accept_expired_tokens = true;
    let run = check_against(config).await;
    assert_status(&run, &checks::EXPIRED_TOKEN_REFUSED, Status::Failure);
    let recorded = run
        .report
        .checks
        .iter()
        .find(|c| c.id == checks::EXPIRED_TOKEN_REFUSED.id)
        .unwrap();
    let past = recorded.details.as_ref().unwrap()["secondsPastExpiry"]
        .as_u64()
        .unwrap();
    assert!(past >= 60, "blamed only after the leeway: {past}");
    knob_fails(
        |c| c.resource_server.accept_expired_tokens = true,
        &checks::EXPIRED_TOKEN_REFUSED,
        Status::Failure,
    )
    .await;
}

#[tokio::test]
async fn long_lived_tokens_and_single_scopes_are_not_observed() {
    let run = check_against(MockConfig::default()).await;
    assert_status(&run, &checks::EXPIRED_TOKEN_REFUSED, Status::Info);
    assert_status(&run, &checks::INSUFFICIENT_SCOPE_CHALLENGED, Status::Info);
    let message = |check: &CheckDef| {
        run.report
            .checks
            .iter()
            .find(|c| c.id == check.id)
            .and_then(|c| c.error_message.clone())
            .unwrap_or_default()
    };
    assert!(message(&checks::EXPIRED_TOKEN_REFUSED).starts_with("not observed"));
    // The default server grants what is asked: the narrower token is accepted everywhere.
    assert!(message(&checks::INSUFFICIENT_SCOPE_CHALLENGED).starts_with("not observed"));
    for probe in &PROBES[..9] {
        assert_status(&run, probe, Status::Success);
    }
}

#[tokio::test]
async fn the_expiry_wait_is_bounded_by_the_timeout() {
    let run = check_within(observable(), Duration::from_secs(30)).await;
    assert_status(&run, &checks::EXPIRED_TOKEN_REFUSED, Status::Info);
    let recorded = run
        .report
        .checks
        .iter()
        .find(|c| c.id == checks::EXPIRED_TOKEN_REFUSED.id)
        .unwrap();
    let message = recorded.error_message.as_deref().unwrap_or("");
    assert!(message.contains("exceeds --timeout (30 s)"), "{message}");

    // With room for the first try but not the leeway, a still-accepted token is not blamed.
    let mut config = observable();
    config.resource_server.accept_expired_tokens = true;
    let run = check_within(config, Duration::from_secs(100)).await;
    assert_status(&run, &checks::EXPIRED_TOKEN_REFUSED, Status::Info);
}

#[tokio::test]
async fn a_lenient_authorization_parser_fails_the_malformed_header_probes() {
    let mut config = observable();
    config.resource_server.lenient_authorization = true;
    let run = check_against(config).await;
    for probe in [
        &checks::BEARER_WITHOUT_TOKEN_REFUSED,
        &checks::BEARER_TWO_TOKENS_REFUSED,
        &checks::OTHER_SCHEME_REFUSED,
    ] {
        assert_status(&run, probe, Status::Failure);
        let recorded = run.report.checks.iter().find(|c| c.id == probe.id).unwrap();
        assert_eq!(recorded.remedy.as_deref(), Some(probe.remedy));
    }
    let message = |check: &CheckDef| {
        run.report
            .checks
            .iter()
            .find(|c| c.id == check.id)
            .and_then(|c| c.error_message.clone())
            .unwrap_or_default()
    };
    // What was seen, not a guess: the crash and the acceptances are told apart.
    assert!(
        message(&checks::BEARER_WITHOUT_TOKEN_REFUSED).contains("with 500"),
        "{}",
        message(&checks::BEARER_WITHOUT_TOKEN_REFUSED)
    );
    assert!(message(&checks::OTHER_SCHEME_REFUSED).contains("accepted"));
    // The real `Bearer <token>` still works, so the rest of the probes pass.
    assert_status(
        &run,
        &checks::BEARER_SCHEME_CASE_INSENSITIVE,
        Status::Success,
    );
    assert_status(&run, &checks::ALTERED_TOKEN_REFUSED, Status::Success);
    assert!(human(&run).contains("token validation unsound"));
}

#[tokio::test]
async fn an_introspecting_server_refuses_the_revoked_token() {
    let mut config = observable();
    config.resource_server.introspect_tokens = true;
    let run = check_against(config).await;
    assert_status(&run, &checks::REVOKED_TOKEN_REFUSED, Status::Success);
    // Introspection changes nothing else: every other probe passes as on the conformant mock.
    for probe in PROBES {
        if probe.id != checks::REVOKED_TOKEN_REFUSED.id {
            assert_status(&run, probe, Status::Success);
        }
    }
    assert_eq!(run.report.summary.failure, 0, "{}", human(&run));
}

#[tokio::test]
async fn a_server_trusting_its_jwts_until_expiry_is_info_on_revocation() {
    let run = check_against(observable()).await;
    let recorded = run
        .report
        .checks
        .iter()
        .find(|c| c.id == checks::REVOKED_TOKEN_REFUSED.id)
        .unwrap();
    assert_eq!(recorded.status, Status::Info);
    let message = recorded.error_message.as_deref().unwrap_or("");
    assert!(message.contains("still accepted"), "{message}");
    assert!(message.contains("introspection (RFC 7662)"), "{message}");
}

#[tokio::test]
async fn the_json_report_marks_the_probes_with_their_step() {
    let run = check_against(observable()).await;
    let json: serde_json::Value =
        serde_json::from_str(&mcp_oauth_reports::render::json(&run.report)).unwrap();
    let steps: Vec<&str> = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| PROBES.iter().any(|p| c["id"] == p.id))
        .map(|c| c["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, vec!["resource-server"; PROBES.len()]);
}

/// An authorization server with single-use refresh tokens and family revocation, whose refused
/// refresh still spends the token (the mock marks a rotated token used before it looks at
/// `resource`): the sibling probe's refused refresh would kill the flow's refresh token. The
/// flow's own refresh therefore runs first, on a token nothing else presented, and what the
/// probes did is recorded as their own; no refresh failure is blamed on the server.
#[tokio::test]
async fn the_probes_spend_no_refresh_token_a_judged_step_relies_on() {
    let mut config = observable();
    config.authorization_server.refuse_resource = true;
    let run = check_against(config).await;

    // The order: the flow's refresh, then the probes' refreshes, then revocation and reuse.
    let refreshes: Vec<&str> = run
        .report
        .exchanges
        .iter()
        .filter(|x| {
            x.request
                .body
                .as_deref()
                .is_some_and(|b| b.contains("grant_type=refresh_token"))
        })
        .map(|x| x.step.as_str())
        .collect();
    let first_probe = refreshes.iter().position(|s| *s == "resource-server");
    let first_own = refreshes.iter().position(|s| *s == "refresh");
    assert!(
        matches!((first_own, first_probe), (Some(own), Some(probe)) if own < probe),
        "refresh requests by step, in order: {refreshes:?}"
    );
    assert_status(&run, &checks::REFRESH_GRANT, Status::Success);

    // The sibling refresh was refused (and spent the token): recorded as the probes' doing,
    // and revocation is not judged on a token they may have killed.
    let effects = run
        .report
        .checks
        .iter()
        .find(|c| c.id == checks::PROBE_SIDE_EFFECTS.id)
        .expect("the probes' side effects are recorded");
    assert_eq!(effects.status, Status::Info);
    let said = effects.error_message.as_deref().unwrap_or_default();
    assert!(said.contains("invalid_target"), "{said}");
    assert_status(&run, &checks::REVOCATION_ACCEPTED, Status::Skipped);

    // Nothing about refresh is blamed on the server.
    let verdict = run.report.verdict.as_ref().expect("a verdict");
    for profile in &verdict.profiles {
        for issue in profile.blockers.iter().chain(&profile.caveats) {
            assert!(
                !matches!(
                    issue.code.as_str(),
                    "refresh-revoked" | "transient-refresh-failure" | "refresh-refused"
                ),
                "{}: {} ({})\n{}",
                profile.profile,
                issue.code,
                issue.message,
                human(&run)
            );
        }
    }
}
