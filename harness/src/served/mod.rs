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
//! use mcp_oauth_harness::served::ServedScenario;
//! use mcp_oauth_harness::flow::{ClientFlow, ClientOptions, Pauses};
//! use mcp_oauth_harness::http::{HttpClient, HttpLimits};
//! use mcp_oauth_harness::{profile, redact::Redactor, user_agent::UserAgent};
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
pub mod progress;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mcp_oauth_mocks::MockServers;
use mcp_oauth_reports::Report;
use serde_json::{Value, json};

pub use clock::JumpClock;
pub use progress::{Completion, FiredTrigger};

use crate::judge::{self, JudgeInput};
use crate::profile::{self, Profile};
use crate::scenario::{self, Scenario};
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
                crate::cli::catalog(options.scenarios_dir.as_deref()).load(&name)?
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

    /// Resolves when the scenario's end condition is reached (the client made a successful
    /// tools/call, or the scenario's own end condition), or after `timeout`.
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

    /// Reads the request log → client checks → a report.
    pub fn judge(&self) -> Report {
        judge::judge(&JudgeInput::from_served(
            &self.scenario,
            self.profile,
            &self.mocks,
            &self.mcp_url(),
            self.fired_triggers(),
        ))
    }

    pub fn stop(self) {
        self.mocks.stop();
    }
}
