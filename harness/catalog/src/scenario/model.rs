use std::collections::BTreeMap;

use mcp_oauth_mocks::MockConfig;
use mcp_oauth_reports::Health;
use serde::Deserialize;

use super::CheckExpectation;

/// One scenario, as written in its file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Scenario {
    /// Must equal the file name without `.toml`.
    pub name: String,
    pub description: String,
    /// The profiles to run it under; the first is the scenario's main run.
    #[serde(default = "default_profiles")]
    pub profiles: Vec<String>,
    /// Spec references for the catalog documentation (ids such as `RFC9728-3.3`).
    #[serde(default)]
    pub spec: Vec<String>,
    /// Where a real provider was seen doing what this scenario's mocks do: public reports,
    /// written as `repo#issue` or a provider's name (docs/scenarios.md, "Seen in the field").
    #[serde(default)]
    pub seen_at: Vec<String>,
    #[serde(default)]
    pub client: ClientConfig,
    #[serde(default)]
    pub mocks: MockConfig,
    pub steps: Vec<toml::Spanned<Step>>,
    #[serde(default)]
    pub expect: Expectations,
    /// What a conformant client does here, for `serve` and `test-client`.
    pub conformant_client: Option<super::client::ConformantClient>,
}

fn default_profiles() -> Vec<String> {
    vec!["pipelines".to_owned()]
}

impl Scenario {
    /// The expectations for a run under `profile`: the per-profile table when there is one.
    pub fn expectations_for(&self, profile: &str) -> &Expectations {
        self.expect.profiles.get(profile).unwrap_or(&self.expect)
    }
}

/// What the user gives the client.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ClientConfig {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    /// How the user pastes the MCP URL.
    #[serde(default)]
    pub pasted_url: PastedUrl,
    /// The path the user pastes instead of the MCP endpoint's own (`/mcp/oauth` for a server
    /// at `/mcp`): another URL of the same server, such as one a provider's docs name.
    pub pasted_path: Option<String>,
    /// The harness publishes its own Client ID metadata document during the run (on a loopback
    /// listener) and gives the client its URL, for authorization servers that accept one.
    #[serde(default)]
    pub client_metadata_document: bool,
    /// The document is no longer at the URL the client gives as its Client ID (the client's
    /// domain or path moved, and the old URL answers 404). Needs `client-metadata-document`.
    #[serde(default)]
    pub client_metadata_document_moved: bool,
    /// How long the document's host takes to answer each fetch, on the run's clock (a slow
    /// host: an authorization server gives up after a few seconds). Needs
    /// `client-metadata-document`.
    pub client_metadata_document_delay_secs: Option<u64>,
    /// The grant the client uses (default: the flow chooses, as `connect` does).
    pub grant: Option<ScenarioGrant>,
    /// Authenticate with `private_key_jwt` client assertions signed with the key the mock
    /// authorization server hands out, as the conformance suite hands its key to a client.
    #[serde(default)]
    pub private_key_jwt: bool,
    /// Hold the workload identity token the mock authorization server hands out, for the RFC
    /// 7523 JWT bearer grant (workload identity federation).
    #[serde(default)]
    pub workload_token: bool,
    /// Hold the person's ID token from the mock's enterprise identity provider
    /// (`token-exchange`), to exchange for an ID-JAG (enterprise-managed authorization).
    #[serde(default)]
    pub identity_provider: bool,
    /// When the client proves possession of a key with DPoP (RFC 9449), instead of what the
    /// profile says: `never`, `when-advertised` (the authorization server lists ES256 in
    /// `dpop_signing_alg_values_supported`) or `always`.
    pub dpop: Option<mcp_oauth_engine::flow::dpop::DpopUse>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScenarioGrant {
    AuthorizationCode,
    ClientCredentials,
    JwtBearer,
}

impl ScenarioGrant {
    pub fn grant(self) -> mcp_oauth_engine::flow::Grant {
        match self {
            ScenarioGrant::AuthorizationCode => mcp_oauth_engine::flow::Grant::AuthorizationCode,
            ScenarioGrant::ClientCredentials => mcp_oauth_engine::flow::Grant::ClientCredentials,
            ScenarioGrant::JwtBearer => mcp_oauth_engine::flow::Grant::JwtBearer,
        }
    }
}

impl ClientConfig {
    /// The URL the user pastes for the MCP endpoint at `endpoint`: its path replaced by
    /// `pasted-path`, then a `/` appended for `pasted-url = "trailing-slash"`.
    pub fn pasted(&self, endpoint: &str) -> String {
        let mut url = match (&self.pasted_path, url::Url::parse(endpoint)) {
            (Some(path), Ok(mut parsed)) => {
                parsed.set_path(path);
                parsed.to_string()
            }
            _ => endpoint.to_owned(),
        };
        if self.pasted_url == PastedUrl::TrailingSlash {
            url.push('/');
        }
        url
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PastedUrl {
    /// The endpoint URL as the server announces it.
    #[default]
    Exact,
    /// With a `/` appended.
    TrailingSlash,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    /// Connect via OAuth: discovery, registration, consent, token exchange.
    Connect,
    /// The spec client's own run: authorize when challenged, list the tools and call the
    /// first, re-authorizing (stepping up on 403 `insufficient_scope`) within the profile's
    /// limits.
    ConnectOnDemand,
    /// The platform's Test Connection button.
    TestConnection,
    /// A pipeline run calling a tool.
    CallTool,
    /// A pipeline run calling a tool `count` times at once (tool calls run concurrently).
    CallToolsTogether,
    /// Move the shared simulated clock forward.
    AdvanceClock,
    /// Revoke every refresh token at the authorization server, out of band.
    RevokeRefreshTokens,
    /// Make the authorization server answer the next `count` refreshes with 503.
    FailNextRefreshes,
    /// Persist the token store to disk (encrypted).
    SaveTokenStore,
    /// Flip a byte of the persisted token store.
    TamperTokenStore,
    /// Load the token store back from disk.
    LoadTokenStore,
    /// Move the MCP server to its alternate authorization server (metadata and trust).
    SwitchAuthorizationServer,
    /// `check`'s resource-server probes with the connection's token: does the MCP server
    /// refuse the tokens it must refuse?
    ProbeResourceServer,
    /// `check`'s probes for browser-based clients: a tokenless request with an `Origin`, and
    /// a CORS preflight at the connection's token endpoint.
    ProbeBrowserCors,
    /// Connect through the provider-gallery entry given as `entry` (docs/gallery.md).
    ConnectGallery,
    /// The client starts again with its loopback callback on another `port`: the redirect
    /// URI changes, the registration and tokens it kept stay.
    RestartOnPort,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Connect => "connect",
            ActionKind::ConnectOnDemand => "connect-on-demand",
            ActionKind::TestConnection => "test-connection",
            ActionKind::CallTool => "call-tool",
            ActionKind::CallToolsTogether => "call-tools-together",
            ActionKind::AdvanceClock => "advance-clock",
            ActionKind::RevokeRefreshTokens => "revoke-refresh-tokens",
            ActionKind::FailNextRefreshes => "fail-next-refreshes",
            ActionKind::SaveTokenStore => "save-token-store",
            ActionKind::TamperTokenStore => "tamper-token-store",
            ActionKind::LoadTokenStore => "load-token-store",
            ActionKind::SwitchAuthorizationServer => "switch-authorization-server",
            ActionKind::RestartOnPort => "restart-on-port",
            ActionKind::ProbeResourceServer => "probe-resource-server",
            ActionKind::ProbeBrowserCors => "probe-browser-cors",
            ActionKind::ConnectGallery => "connect-gallery",
        }
    }
}

/// One scripted action and what must follow from it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Step {
    pub action: ActionKind,
    /// connect, connect-on-demand: seconds the person idles on the consent screen.
    #[serde(default)]
    pub consent_delay_secs: u64,
    /// connect, connect-on-demand: seconds between the callback and the code exchange.
    #[serde(default)]
    pub code_redemption_delay_secs: u64,
    /// call-tool, call-tools-together: the tool and its arguments.
    pub tool: Option<String>,
    pub arguments: Option<toml::Table>,
    /// advance-clock: how far.
    pub seconds: Option<u64>,
    /// fail-next-refreshes: how many; call-tools-together: how many calls start at once.
    pub count: Option<u32>,
    /// restart-on-port: the loopback port the callback listens on after the restart.
    pub port: Option<u16>,
    /// connect-gallery: the gallery entry, inline.
    pub entry: Option<super::InlineEntry>,
    /// Whether the action succeeds.
    pub expect_ok: Option<bool>,
    /// Health right after the action.
    pub expect_health: Option<Health>,
    /// The diagnosis code the action fails with.
    pub expect_diagnosis: Option<String>,
    /// Grant type → how many token requests of that type have reached the authorization server
    /// so far, counted right after the action (proves what did, or did not, happen in between).
    #[serde(default)]
    pub expect_token_requests: BTreeMap<String, usize>,
    /// Check id → the status every recording of that check made during this action must have
    /// (what happened at this step, as opposed to anywhere in the run), or, spelt
    /// `{ at-least-once = "STATUS" }`, a status one of them must have.
    #[serde(default)]
    pub expect_checks: BTreeMap<String, CheckExpectation>,
}

/// What must hold once the script has run.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Expectations {
    pub health: Option<Health>,
    /// The report's diagnosis code (the first failure's), or `"none"`.
    pub diagnosis: Option<String>,
    /// Check id → the status every recording of that check must have, or, spelt
    /// `{ at-least-once = "STATUS" }`, a status one of them must have.
    #[serde(default)]
    pub checks: BTreeMap<String, CheckExpectation>,
    /// Check id → fields of its `details` and their values: met when some recording of that
    /// check has every one of them (what the client sent or chose, where it found something).
    #[serde(default)]
    pub check_details: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    /// Grant type → how many token requests of that type reached the authorization server.
    #[serde(default)]
    pub token_requests: BTreeMap<String, usize>,
    /// How many requests reached the authorization endpoint, each one a consent step; 0 proves
    /// the flow stopped before the person was ever asked.
    pub authorization_requests: Option<usize>,
    /// How many dynamic registration requests reached the authorization servers (the first
    /// and, when started, the alternate).
    pub registrations: Option<usize>,
    /// How many times the authorization servers fetched a Client ID metadata document.
    pub document_fetches: Option<usize>,
    /// Expectations for runs under other profiles, replacing these.
    #[serde(default)]
    pub profiles: BTreeMap<String, Expectations>,
}
