//! A catalog scenario's mocks, served for someone else's client and judged afterwards: the
//! library behind `serve` and `test-client`.
//!
//! The mocks record every request; the scenario's `[conformant-client]` triggers fire on the
//! client's progress (after the first token, after the first successful tool call, ...); and
//! [`ServedScenario::judge`] reads the record into a [`Report`] of client checks.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use std::sync::Arc;
//! use mcp_oauth_judge::served::ServedScenario;
//! use mcp_oauth_engine::flow::{ClientFlow, ClientOptions, Pauses};
//! use mcp_oauth_engine::http::{HttpClient, HttpLimits};
//! use mcp_oauth_engine::{profile, redact::Redactor, user_agent::UserAgent};
//! use mcp_oauth_mocks::clock::SystemClock;
//!
//! let served = ServedScenario::start("dcr-happy-path").await?;
//! // The client under test; here the harness's own, driven at the served MCP URL.
//! let http = HttpClient::new(HttpLimits::default(), Redactor::default())?;
//! let mut client = ClientFlow::new(
//!     ClientOptions::new(served.mcp_url()),
//!     profile::NEWEST_SPEC,
//!     Arc::new(SystemClock),
//!     http,
//! );
//! client
//!     .connect_on_demand(&UserAgent::Headless, &Pauses::default())
//!     .await
//!     .map_err(|d| d.message)?;
//!
//! let report = served.judge();
//! assert!(report.met_expectations(), "{:#?}", report.expectations);
//! assert_eq!(report.summary.failure, 0);
//! served.stop();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

pub mod clock;
pub mod flows;
pub mod progress;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mcp_oauth_mocks::MockServers;
use mcp_oauth_reports::{ClientFlow, Report};
use serde_json::{Value, json};

pub use crate::judge::FiredTrigger;
pub use clock::JumpClock;
pub use flows::FlowLimits;
pub use progress::Completion;

use crate::judge::{self, JudgeInput};
use mcp_oauth_catalog::scenario::{self, Scenario};
use mcp_oauth_engine::profile::{self, Profile};
use progress::Progress;

/// How the person at the consent screen is played.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ServeConsent {
    /// The authorization endpoint approves at once and redirects (no page).
    #[default]
    Headless,
    /// The authorization endpoint shows a real HTML page with Approve and Deny buttons.
    Page,
}

#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The profile the client is judged under (default: the newest MCP revision).
    pub profile: &'static Profile,
    /// 0 picks a free port.
    pub mcp_port: u16,
    pub auth_port: u16,
    pub consent: ServeConsent,
    /// Where scenario names are looked up (default: ./scenarios, else the bundled catalog).
    pub scenarios_dir: Option<PathBuf>,
    /// Real time passes for the mocks (plus the triggers' jumps); otherwise time stands still
    /// between the jumps. `test-client` runs in real time.
    pub real_time: bool,
    /// How many client flows and requests are kept (the oldest flows are dropped beyond).
    pub limits: FlowLimits,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            profile: profile::NEWEST_SPEC,
            mcp_port: 0,
            auth_port: 0,
            consent: ServeConsent::Headless,
            scenarios_dir: None,
            real_time: false,
            limits: FlowLimits::default(),
        }
    }
}

/// A scenario to serve: a catalog name, or a scenario already loaded.
#[derive(Debug, Clone)]
pub enum ScenarioSource {
    Name(String),
    Loaded(Box<Scenario>),
}

impl From<&str> for ScenarioSource {
    fn from(name: &str) -> Self {
        ScenarioSource::Name(name.to_owned())
    }
}

impl From<String> for ScenarioSource {
    fn from(name: String) -> Self {
        ScenarioSource::Name(name)
    }
}

impl From<Scenario> for ScenarioSource {
    fn from(scenario: Scenario) -> Self {
        ScenarioSource::Loaded(Box::new(scenario))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}\n(`mcp-oauth-harness scenarios` lists the scenario names)")]
    Load(#[from] scenario::LoadError),
    #[error("cannot start the mock servers: {0}")]
    Mocks(#[from] mcp_oauth_mocks::StartError),
}

/// One scenario's mocks, running, recording and triggering until stopped (or dropped).
#[derive(Debug)]
pub struct ServedScenario {
    scenario: Arc<Scenario>,
    profile: &'static Profile,
    mocks: Arc<MockServers>,
    progress: Arc<Progress>,
}

impl ServedScenario {
    /// Serves a catalog scenario with the default options.
    pub async fn start(name: &str) -> Result<Self, ServeError> {
        Self::start_with(name, ServeOptions::default()).await
    }

    pub async fn start_with(
        scenario: impl Into<ScenarioSource>,
        options: ServeOptions,
    ) -> Result<Self, ServeError> {
        let scenario = match scenario.into() {
            ScenarioSource::Loaded(scenario) => *scenario,
            ScenarioSource::Name(name) => {
                scenario::CatalogSource::from_option(options.scenarios_dir.as_deref())
                    .load(&name)?
            }
        };
        let mut config = scenario.mocks.clone();
        if let Some(lifetime) = scenario
            .conformant_client
            .as_ref()
            .and_then(|c| c.access_token_lifetime_secs)
        {
            config.authorization_server.access_token_lifetime_secs = lifetime;
        }
        let lifetime = Duration::from_secs(config.authorization_server.access_token_lifetime_secs);
        let clock = if options.real_time {
            JumpClock::real()
        } else {
            JumpClock::standing()
        };
        let mocks = Arc::new(
            MockServers::start_on(
                config,
                clock.shared(),
                &format!("127.0.0.1:{}", options.auth_port),
                &format!("127.0.0.1:{}", options.mcp_port),
            )
            .await?,
        );
        if options.consent == ServeConsent::Page {
            mocks.auth_server().show_consent_page(true);
            if let Some(alternate) = mocks.alternate_auth_server() {
                alternate.show_consent_page(true);
            }
        }
        let progress = Arc::new(Progress::new(
            scenario.conformant_client.as_ref(),
            options.profile.name,
            clock,
            lifetime,
            flows::FlowTracker::new(&mocks, options.limits),
        ));
        let hook_progress = progress.clone();
        let weak = Arc::downgrade(&mocks);
        mocks.log().on_record(Arc::new(move |index, request| {
            hook_progress.observe(index, request, &weak);
        }));
        Ok(Self {
            scenario: Arc::new(scenario),
            profile: options.profile,
            mocks,
            progress,
        })
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn mocks(&self) -> &MockServers {
        &self.mocks
    }

    /// The URL to give the client under test: the MCP endpoint, pasted as the scenario's
    /// `[client] pasted-path` and `pasted-url` say.
    pub fn mcp_url(&self) -> String {
        self.scenario.client.pasted(&self.mocks.mcp_url())
    }

    /// The issuer of the authorization server the MCP server currently names.
    pub fn issuer(&self) -> String {
        self.mocks.issuer()
    }

    /// The pre-registered client a bring-your-own scenario gives the client under test.
    pub fn client_credentials(&self) -> Option<(String, Option<String>)> {
        let id = self.scenario.client.client_id.clone()?;
        Some((id, self.scenario.client.client_secret.clone()))
    }

    /// MCP_CONFORMANCE_CONTEXT for this scenario: a JSON object, with client_id/client_secret
    /// for bring-your-own scenarios (as the official conformance suite sets it).
    pub fn conformance_context(&self) -> Value {
        let mut context = json!({});
        if let Some((id, secret)) = self.client_credentials() {
            context["client_id"] = json!(id);
            if let Some(secret) = secret {
                context["client_secret"] = json!(secret);
            }
        }
        context
    }

    /// Resolves when the scenario's end condition is reached by a client (it made a successful
    /// tools/call, or reached the scenario's own end condition), or after `timeout`.
    pub async fn wait_until_done(&self, timeout: Duration) -> Completion {
        let mut done = self.progress.subscribe();
        match tokio::time::timeout(timeout, done.wait_for(|d| *d)).await {
            Ok(Ok(_)) => Completion::Done,
            _ => Completion::TimedOut,
        }
    }

    /// The triggers that fired so far.
    pub fn fired_triggers(&self) -> Vec<FiredTrigger> {
        self.progress.fired()
    }

    /// The verdict on the first client to reach the mocks (the whole log when no request
    /// named a client): the one report of a run with one client. [`Self::judge_flows`] judges
    /// each client.
    pub fn judge(&self) -> Report {
        self.judge_flows()
            .into_iter()
            .next()
            .unwrap_or_else(|| self.judge_log(Vec::new(), Vec::new()))
    }

    /// Splits the request log into client flows (`flows` says how) and judges each alone:
    /// one report per client, in the order they started, each with its `client` section.
    pub fn judge_flows(&self) -> Vec<Report> {
        let log = self.mocks.log().indexed_snapshot();
        let flows = self.progress.flows().split(log);
        let fired = self.fired_triggers();
        let complete = self.progress.complete();
        let dropped = self.progress.flows().dropped_flows();
        let count = flows.len();
        let base = self.judge_input(Vec::new(), Vec::new());
        flows
            .into_iter()
            .map(|flow| {
                let indices: Vec<usize> = flow.requests.iter().map(|(i, _)| *i).collect();
                let own: Vec<FiredTrigger> = fired
                    .iter()
                    .filter(|f| flow.id.is_none_or(|id| f.flow == id))
                    .map(|f| FiredTrigger {
                        // The judge reads indices into the flow's own log.
                        request_index: indices
                            .partition_point(|i| *i <= f.request_index)
                            .saturating_sub(1),
                        ..f.clone()
                    })
                    .collect();
                let shared_actions = fired
                    .iter()
                    .filter(|f| flow.id.is_some_and(|id| f.flow != id))
                    .flat_map(|f| {
                        f.shared
                            .iter()
                            .map(move |a| format!("{a} (flow {})", f.flow + 1))
                    })
                    .collect();
                let requests = flow.requests.len();
                let mut input = base.clone();
                input.log = flow.requests.into_iter().map(|(_, r)| r).collect();
                input.fired = own;
                let mut report = judge::judge(&input);
                report.client = Some(ClientFlow {
                    flow: flow.id.map_or(1, |id| id + 1),
                    flows: count,
                    client_ids: flow.client_ids,
                    requests,
                    complete: match flow.id {
                        Some(id) => complete.contains(&id),
                        None => !complete.is_empty(),
                    },
                    dropped_flows: dropped,
                    shared_actions,
                });
                report
            })
            .collect()
    }

    /// The flow ids of the clients that reached the scenario's end point, in the order they
    /// did (`flow - 1` in their reports' `client` section).
    pub fn complete_flows(&self) -> Vec<usize> {
        self.progress.complete()
    }

    fn judge_input(
        &self,
        log: Vec<mcp_oauth_mocks::RecordedRequest>,
        fired: Vec<FiredTrigger>,
    ) -> JudgeInput {
        let mut input = JudgeInput::from_served(
            &self.scenario,
            self.profile,
            &self.mocks,
            &self.mcp_url(),
            fired,
        );
        input.log = log;
        input
    }

    fn judge_log(
        &self,
        log: Vec<mcp_oauth_mocks::RecordedRequest>,
        fired: Vec<FiredTrigger>,
    ) -> Report {
        judge::judge(&self.judge_input(log, fired))
    }

    pub fn stop(self) {
        self.mocks.stop();
    }
}
