//! Turns a scenario into a report: starts its own mocks and simulated clock, runs the script
//! through the client flow, and judges the expectations.
//!
//! Each run owns its servers, ports, clock and token store, so runs can go concurrently with
//! the same results as one after another.

use std::time::Duration;

use mcp_oauth_mocks::MockServers;
use mcp_oauth_mocks::clock::SimulatedClock;
use mcp_oauth_reports::{
    Health, Outcome, REPORT_SCHEMA_VERSION, Report, ScriptStep, Summary, Target, TargetKind,
};
use oauth2::ClientSecret;
use serde_json::json;

mod judging;
mod store_actions;

use judging::{check_expectation, expectation, judge_outcome, judge_step, judge_traffic};
use store_actions::{load_store, save_store, tamper_store, uses_token_store};

use crate::scenario::{ActionKind, Scenario, Step};
use mcp_oauth_engine::client_document::{ClientDocumentServer, Published};
use mcp_oauth_engine::flow::{ClientFlow, ClientOptions, Pauses, StepResult};
use mcp_oauth_engine::http::{HttpClient, HttpLimits};
use mcp_oauth_engine::private_files;
use mcp_oauth_engine::profile::Profile;
use mcp_oauth_engine::redact::Redactor;
use mcp_oauth_engine::token_store::{StoreKey, TokenStore};
use mcp_oauth_engine::user_agent::UserAgent;

/// The token store's file name inside the run's own temporary directory.
const STORE_FILE: &str = "tokens.json";

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("scenario {scenario}: cannot start the mock servers: {source}")]
    Mocks {
        scenario: String,
        source: mcp_oauth_mocks::StartError,
    },
    #[error("a scenario run stopped unexpectedly: {0}")]
    Panicked(String),
    #[error("scenario {scenario}: {source}")]
    StoreKey {
        scenario: String,
        source: mcp_oauth_engine::token_store::StoreKeyError,
    },
    #[error("scenario {scenario}: cannot build the HTTP client: {source}")]
    Http {
        scenario: String,
        source: mcp_oauth_engine::http::HttpError,
    },
    #[error("scenario {scenario}: cannot serve the client metadata document: {source}")]
    ClientDocument {
        scenario: String,
        source: std::io::Error,
    },
    #[error(
        "scenario {scenario}: cannot make a private scratch directory in the temporary directory: {source} (set TMPDIR to a writable directory)"
    )]
    ScratchDir {
        scenario: String,
        source: std::io::Error,
    },
    #[error("scenario {scenario}: the client assertion key: {message}")]
    AssertionKey { scenario: String, message: String },
    #[error("scenario {scenario}: the workload or ID token: {message}")]
    WorkloadToken { scenario: String, message: String },
}

pub use mcp_oauth_engine::tool_info;

/// The name a run's report goes by: the scenario's, suffixed with the profile when it is not
/// the scenario's main one.
pub fn run_name(scenario: &Scenario, profile: &Profile) -> String {
    if scenario.profiles.first().map(String::as_str) == Some(profile.name) {
        scenario.name.clone()
    } else {
        format!("{}@{}", scenario.name, profile.name)
    }
}

/// What happened at one step, for the step's own expectations.
struct StepOutcome {
    ok: bool,
    health: Health,
    diagnosis: Option<String>,
}

pub async fn run_scenario(
    scenario: &Scenario,
    profile: &'static Profile,
) -> Result<Report, RunError> {
    run_scenario_with_secrets(scenario, profile)
        .await
        .map(|(report, _)| report)
}

/// Runs a scenario and also returns every secret value of the run: what the mocks handed out,
/// what the harness made itself (state, PKCE verifier) or was given (client secret), so a test
/// can prove that none of them reached the report.
pub async fn run_scenario_with_secrets(
    scenario: &Scenario,
    profile: &'static Profile,
) -> Result<(Report, Vec<String>), RunError> {
    let clock = SimulatedClock::default();
    let mocks = MockServers::start(scenario.mocks.clone(), clock.shared())
        .await
        .map_err(|source| RunError::Mocks {
            scenario: scenario.name.clone(),
            source,
        })?;
    let redactor = Redactor::default();
    // Behind the mocks' TLS front, the harness trusts the authority made for this run, as a
    // user trusts the public one that signed a real server's certificate.
    let authorities: Vec<&[u8]> = mocks.tls_authority_der().into_iter().collect();
    let http = HttpClient::with_authorities(
        HttpLimits {
            timeout: Duration::from_secs(10),
            ..HttpLimits::default()
        },
        redactor.clone(),
        &[],
        &authorities,
    )
    .map_err(|source| RunError::Http {
        scenario: scenario.name.clone(),
        source,
    })?;

    let mcp_url = scenario.client.pasted(&mocks.mcp_url());
    let mut options = client_options(scenario, &mcp_url);
    if scenario.client.private_key_jwt {
        let key = mocks
            .auth_server()
            .client_assertion_key_pem()
            .and_then(|pem| mcp_oauth_engine::flow::SigningKey::from_pem(&pem, "EdDSA"))
            .map_err(|message| RunError::AssertionKey {
                scenario: scenario.name.clone(),
                message,
            })?;
        options.signing_key = Some(key);
    }
    if scenario.client.workload_token {
        let token =
            mocks
                .auth_server()
                .workload_token()
                .map_err(|message| RunError::WorkloadToken {
                    scenario: scenario.name.clone(),
                    message,
                })?;
        options.assertion = Some(ClientSecret::new(token));
    }
    if scenario.client.identity_provider {
        let server = mocks.auth_server();
        let id_token = server
            .idp_id_token()
            .map_err(|message| RunError::WorkloadToken {
                scenario: scenario.name.clone(),
                message,
            })?;
        options.identity_assertion =
            Some(mcp_oauth_engine::flow::token_exchange::IdentityAssertion {
                token_endpoint: server.identity_provider_token_endpoint(),
                id_token: ClientSecret::new(id_token),
                client_id: "enterprise-client".to_owned(),
            });
    }
    // Kept alive until the run ends: the authorization server fetches the document at every
    // authorization and token request.
    let document = if scenario.client.client_metadata_document {
        let client = &scenario.client;
        let published = match (
            client.client_metadata_document_moved,
            client.client_metadata_document_delay_secs,
        ) {
            (true, _) => Published::Moved,
            (false, Some(delay)) => Published::Late(Duration::from_secs(delay)),
            (false, None) => Published::AtItsUrl,
        };
        let server = ClientDocumentServer::start(
            &options.client_name,
            &options.redirect_uri,
            published,
            clock.shared(),
        )
        .await
        .map_err(|source| RunError::ClientDocument {
            scenario: scenario.name.clone(),
            source,
        })?;
        // The mocks fetch documents on loopback only from origins they are told to allow.
        mocks
            .allow_client_documents_from(server.url())
            .map_err(|message| RunError::ClientDocument {
                scenario: scenario.name.clone(),
                source: std::io::Error::other(message),
            })?;
        options.client_metadata_url = Some(server.url().to_owned());
        Some(server)
    } else {
        None
    };
    let mut flow = ClientFlow::new(options, profile, clock.shared(), http);
    // The token store, for scripts that save or load one: a directory of the run's own, made
    // fresh and private (mode 0700) and removed when the run ends, so the store file has a
    // stable name that reports can show and nobody else can place anything at it. Other
    // scripts make no directory: creating and removing one was a twentieth of the catalog's
    // CPU time.
    let store = if uses_token_store(scenario) {
        let dir = private_files::scratch_dir("mcp-oauth-harness-").map_err(|source| {
            RunError::ScratchDir {
                scenario: scenario.name.clone(),
                source,
            }
        })?;
        // A key configured in the environment, else one for this run only.
        let key = StoreKey::configured_or_generated().map_err(|source| RunError::StoreKey {
            scenario: scenario.name.clone(),
            source,
        })?;
        let store = TokenStore::new(dir.path().join(STORE_FILE), key);
        Some((dir, store))
    } else {
        None
    };

    let mut expectations = Vec::new();
    let mut script = Vec::new();
    for (index, step) in scenario.steps.iter().enumerate() {
        let step = step.get_ref();
        let recorded_before = flow.checks().len();
        let exchanged_before = flow.context().http.exchange_count();
        let result = perform(
            step,
            &mut flow,
            &mocks,
            &clock,
            store.as_ref().map(|(_, store)| store),
        )
        .await;
        script.push(ScriptStep {
            action: step.action.as_str().to_owned(),
            checks: flow.checks().len().saturating_sub(recorded_before),
            exchanges: flow
                .context()
                .http
                .exchange_count()
                .saturating_sub(exchanged_before),
        });
        let outcome = StepOutcome {
            ok: result.is_ok(),
            health: flow.health(),
            diagnosis: result.err().map(|d| d.code),
        };
        judge_step(index, step, &outcome, &mut expectations);
        let recorded = flow.checks().get(recorded_before..).unwrap_or_default();
        for (id, expected) in &step.expect_checks {
            expectations.push(check_expectation(
                &format!("{} check {id}", step_name(index, step)),
                recorded,
                id,
                *expected,
            ));
        }
        for (grant_type, count) in &step.expect_token_requests {
            expectations.push(expectation(
                &format!(
                    "{} {grant_type} token requests so far",
                    step_name(index, step)
                ),
                &count.to_string(),
                &mocks.log().token_requests(grant_type).to_string(),
            ));
        }
    }
    // The store and its directory end with the run (removed on drop, on every path).
    drop(store);
    drop(document);

    let outcome = flow.finish();
    let expect = scenario.expectations_for(profile.name);
    judge_outcome(expect, &outcome, &mut expectations);
    judge_traffic(expect, &mocks, &mut expectations);

    let mut secrets = mocks.issued_secrets();
    secrets.extend(scenario.client.client_secret.clone());
    secrets.extend(redactor.handled_secrets());
    let report = Report {
        schema_version: REPORT_SCHEMA_VERSION,
        tool: tool_info(),
        scenario: Some(run_name(scenario, profile)),
        target: Target {
            url: mcp_url,
            kind: TargetKind::Mock,
        },
        profile: profile.name.to_owned(),
        outcome: Outcome {
            health: outcome.health,
            diagnosis: outcome.diagnosis,
        },
        expectations,
        summary: Summary::of(&outcome.checks),
        checks: outcome.checks,
        exchanges: outcome.exchanges,
        verdict: None,
        script,
        client: None,
    };
    Ok((report, secrets))
}

/// What the user gives the client, as the scenario's `[client]` table says.
fn client_options(scenario: &Scenario, mcp_url: &str) -> ClientOptions {
    let mut options = ClientOptions::new(mcp_url);
    options.client_id = scenario.client.client_id.clone();
    options.client_secret = scenario.client.client_secret.clone().map(ClientSecret::new);
    options.scope = scenario.client.scope.clone();
    options.grant = scenario.client.grant.map(|g| g.grant());
    options.dpop = scenario.client.dpop;
    if let Some(redirect_uri) = &scenario.client.redirect_uri {
        options.redirect_uri = redirect_uri.clone();
    }
    options
}

async fn perform(
    step: &Step,
    flow: &mut ClientFlow,
    mocks: &MockServers,
    clock: &SimulatedClock,
    store: Option<&TokenStore>,
) -> StepResult<()> {
    match step.action {
        ActionKind::Connect => {
            flow.connect(&UserAgent::Headless, &pauses(step, clock))
                .await
        }
        ActionKind::ConnectOnDemand => {
            flow.connect_on_demand(&UserAgent::Headless, &pauses(step, clock))
                .await
        }
        ActionKind::TestConnection => flow.test_connection().await,
        ActionKind::CallTool => {
            let (tool, arguments) = tool_call(step);
            flow.call_tool(tool, arguments).await.map(|_| ())
        }
        ActionKind::CallToolsTogether => {
            let (tool, arguments) = tool_call(step);
            let count = step.count.unwrap_or(2);
            flow.call_tools_together(tool, arguments, count)
                .await
                .map(|_| ())
        }
        ActionKind::AdvanceClock => {
            // Files are bounded on load (a century at most); a scenario built in code that
            // jumps past the end of time leaves the clock where it was.
            if let Err(overflow) = clock.advance(Duration::from_secs(step.seconds.unwrap_or(0))) {
                tracing::warn!("advance-clock: {overflow}");
            }
            Ok(())
        }
        ActionKind::RevokeRefreshTokens => {
            mocks.auth_server().revoke_all_refresh_tokens();
            Ok(())
        }
        ActionKind::FailNextRefreshes => {
            mocks
                .auth_server()
                .fail_next_refreshes(step.count.unwrap_or(1));
            Ok(())
        }
        ActionKind::SaveTokenStore => save_store(flow, store),
        ActionKind::TamperTokenStore => tamper_store(flow, store),
        ActionKind::LoadTokenStore => load_store(flow, store),
        ActionKind::SwitchAuthorizationServer => {
            // Scenario files are refused on load without an alternate server; a scenario built
            // in code without one keeps its single authorization server.
            if !mocks.switch_authorization_server() {
                tracing::warn!("switch-authorization-server: no alternate authorization server");
            }
            Ok(())
        }
        ActionKind::RestartOnPort => {
            // Scenario files are refused on load without a port.
            if let Some(port) = step.port {
                flow.options_mut().redirect_uri = format!("http://127.0.0.1:{port}/callback");
            }
            Ok(())
        }
        ActionKind::ConnectGallery => {
            if let Some(entry) = &step.entry {
                entry.apply_to(flow.options_mut(), &mocks.issuer(), &mocks.mcp_url());
            }
            flow.connect(&UserAgent::Headless, &pauses(step, clock))
                .await
        }
        ActionKind::ProbeResourceServer => {
            let options = mcp_oauth_check::resource_server::ResourceServerOptions {
                mcp_url: mocks.mcp_url(),
                name: "scenario".to_owned(),
                // Simulated time: long enough to wait out any token the probes would wait for.
                timeout: Duration::from_secs(600),
                announce: false,
            };
            mcp_oauth_check::resource_server::probe(flow, &options).await;
            Ok(())
        }
        ActionKind::ProbeBrowserCors => {
            let token_endpoint = flow.connection().map(|c| c.server.endpoints.token.clone());
            mcp_oauth_check::probes::browser_cors(
                flow.context(),
                &mocks.mcp_url(),
                token_endpoint.as_deref(),
            )
            .await;
            Ok(())
        }
    }
}

/// The tool a call step names and its arguments (`{"text": "hello"}` when it gives none).
fn tool_call(step: &Step) -> (&str, serde_json::Value) {
    let arguments = step
        .arguments
        .as_ref()
        .and_then(|a| serde_json::to_value(a).ok())
        .unwrap_or_else(|| json!({ "text": "hello" }));
    (step.tool.as_deref().unwrap_or("echo"), arguments)
}

/// The pauses a connect step scripts, passed on the run's simulated clock.
fn pauses(step: &Step, clock: &SimulatedClock) -> Pauses {
    let clock = clock.clone();
    Pauses {
        at_consent: Duration::from_secs(step.consent_delay_secs),
        before_token_request: Duration::from_secs(step.code_redemption_delay_secs),
        pass_time: Some(std::sync::Arc::new(move |d| {
            if let Err(overflow) = clock.advance(d) {
                tracing::warn!("a scripted delay: {overflow}");
            }
        })),
    }
}

pub(super) fn step_name(index: usize, step: &Step) -> String {
    format!("step {} ({})", index + 1, step.action.as_str())
}
