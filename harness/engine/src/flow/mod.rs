//! The client flow engine: what an MCP client does to connect to an OAuth-protected MCP server,
//! one module per step, each recording checks and redacted HTTP exchanges as it goes.
//!
//! ```text
//! connect:          probe → discovery → registration → authorization (user agent) → token
//! test_connection:  refresh if near expiry → MCP initialize → tools/list
//! call_tool:        refresh if near expiry → MCP initialize → tools/call
//! call_tools_together: refresh once if near expiry → N × (MCP initialize → tools/call) at once
//! connect_on_demand: probe → tools/list → tools/call, each challenged request answered by
//!                    discovery → registration → authorization → token, then sent again
//! ```
//!
//! Health follows the Pipelines platform: unknown after the callback, healthy or unhealthy after
//! the next Test Connection or tool call.

pub mod authorization;
pub mod callback;
mod challenge_form;
pub mod client_assertion;
pub mod client_credentials;
mod consent_page;
pub mod discovery;
pub mod dpop;
pub mod forced_refresh;
pub mod mcp;
pub mod on_demand;
pub mod opaque_token;
pub mod pinned;
pub mod probe;
pub mod refresh_failure;
pub mod registration;
pub mod registration_quirks;
pub mod revocation;
pub mod scope;
mod stale_client;
#[cfg(test)]
mod testing;
pub mod together;
pub mod token;
pub mod token_exchange;
pub mod token_quirks;
pub mod token_request;
pub mod token_response;
pub mod token_set;
mod unknown_client;

use std::sync::Arc;
use std::time::Duration;

use mcp_oauth_mocks::clock::SharedClock;
use mcp_oauth_reports::{Check, Exchange, Health};
use oauth2::ClientSecret;
use serde_json::{Value, json};

pub use client_assertion::SigningKey;
pub use client_credentials::Grant;
pub use pinned::{PinnedEndpoints, RegistrationFlow};

use crate::checks;
use crate::diagnosis::{self, Diagnosis};
use crate::http::HttpClient;
use crate::profile::Profile;
use crate::recorder::Recorder;
use crate::user_agent::UserAgent;

/// A step either yields its product or the diagnosis that stopped the flow.
pub type StepResult<T> = Result<T, Diagnosis>;

/// The callback URL the client registers and sends, unless told otherwise.
pub const DEFAULT_REDIRECT_URI: &str = "http://127.0.0.1:33418/callback";

/// What the user (or the platform) gives the client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The MCP server URL exactly as pasted.
    pub mcp_url: String,
    /// A bring-your-own Client ID; dynamic registration is used when absent.
    pub client_id: Option<String>,
    pub client_secret: Option<ClientSecret>,
    /// The issuer the brought Client ID and secret belong to (one a gallery entry pins, or the
    /// first one discovered): they are sent to no other authorization server, whatever a
    /// server's metadata names later (GHSA-6qxp-vccf-f47h). `None`: bound to the first
    /// authorization server they are used at.
    pub credentials_issuer: Option<String>,
    pub redirect_uri: String,
    /// Scopes to request instead of the ones the server suggests.
    pub scope: Option<String>,
    pub client_name: String,
    /// The https URL where the client's Client ID metadata document is published: its Client
    /// ID at authorization servers that accept such documents.
    pub client_metadata_url: Option<String>,
    /// Endpoints a provider-gallery entry pins (discovery skipped when the authorization and
    /// token endpoints both are).
    pub pinned: PinnedEndpoints,
    /// The registration a gallery entry prescribes; `None` lets the flow choose.
    pub registration_flow: Option<RegistrationFlow>,
    /// An `audience` parameter for the authorization request, whatever the profile: the API
    /// identifier that authorization servers such as Auth0 issue JWTs for.
    pub audience: Option<String>,
    /// The grant to use; `None` lets the flow choose from what the authorization server
    /// lists and the credentials held (`client_credentials::chosen`).
    pub grant: Option<Grant>,
    /// The private key of `private_key_jwt` client authentication (RFC 7523 §2.2).
    pub signing_key: Option<SigningKey>,
    /// An assertion for the RFC 7523 JWT bearer grant (a workload identity token).
    pub assertion: Option<ClientSecret>,
    /// Enterprise-managed authorization: the identity provider's token endpoint and the ID
    /// token it exchanges for an ID-JAG, the JWT bearer grant's assertion.
    pub identity_assertion: Option<token_exchange::IdentityAssertion>,
    /// When the client proves possession of a key with DPoP (RFC 9449), instead of what the
    /// profile says.
    pub dpop: Option<dpop::DpopUse>,
}

impl ClientOptions {
    pub fn new(mcp_url: impl Into<String>) -> Self {
        Self {
            mcp_url: mcp_url.into(),
            client_id: None,
            client_secret: None,
            credentials_issuer: None,
            redirect_uri: DEFAULT_REDIRECT_URI.to_owned(),
            scope: None,
            client_name: "MCP OAuth Harness".to_owned(),
            client_metadata_url: None,
            pinned: PinnedEndpoints::default(),
            registration_flow: None,
            audience: None,
            grant: None,
            signing_key: None,
            assertion: None,
            identity_assertion: None,
            dpop: None,
        }
    }
}

/// Passes time on behalf of the person (idling on the consent screen, a slow code redemption).
/// Scenarios pass simulated time; live runs pass none.
pub type PassTime = Arc<dyn Fn(Duration) + Send + Sync>;

/// Pauses inside one `connect`, as a scenario scripts them.
#[derive(Clone, Default)]
pub struct Pauses {
    pub at_consent: Duration,
    pub before_token_request: Duration,
    pub pass_time: Option<PassTime>,
}

impl Pauses {
    fn pass(&self, duration: Duration) {
        if let (false, Some(pass)) = (duration.is_zero(), &self.pass_time) {
            pass(duration);
        }
    }
}

/// What every step works with.
#[derive(Debug)]
pub struct FlowContext {
    pub http: HttpClient,
    pub profile: &'static Profile,
    pub clock: SharedClock,
    pub recorder: Recorder,
    /// Every client registered dynamically through this context, for reuse and deletion.
    pub registrations: Vec<registration::Registration>,
    /// The Basic-authenticated clients whose token endpoint refused the header alone and
    /// accepted it with `client_id` also in the body (fastmcp#4600): their token requests
    /// carry both from then on.
    pub client_id_in_body: Vec<String>,
    /// The flow's DPoP key, once it uses DPoP: its token requests and MCP requests carry
    /// proofs, and its tokens are presented with the `DPoP` scheme.
    pub dpop: Option<Arc<dpop::DpopKey>>,
}

impl FlowContext {
    /// Records `metadata-addresses-public` for each URL the address policy refused since the
    /// last call, so the report says when that rule stopped a request.
    pub fn record_refused_addresses(&mut self) {
        let refused = self.http.take_refused();
        if refused.is_empty() {
            return;
        }
        for url in refused {
            self.recorder.fail(
                &checks::METADATA_ADDRESSES_PUBLIC,
                json!({ "refusedUrl": url, "target": "public" }),
                format!(
                    "the public server pointed the client at {url}, a loopback or private address; the request was not sent"
                ),
            );
        }
    }
}

/// What a successful OAuth flow leaves behind.
#[derive(Debug)]
pub struct Connection {
    pub server: discovery::DiscoveredServer,
    pub client: registration::RegisteredClient,
    pub tokens: token::TokenSet,
    /// The scope the authorization request asked for (what a step-up builds on).
    pub requested_scope: Option<String>,
    /// Refreshes answered 5xx in a row since the last that worked: one is an outage, two
    /// are a refresh grant that does not work (`refresh-grant-broken`).
    pub refresh_server_errors: u32,
}

#[derive(Debug)]
pub struct ClientFlow {
    ctx: FlowContext,
    options: ClientOptions,
    connection: Option<Connection>,
    health: Health,
    diagnoses: Vec<Diagnosis>,
    /// Whether this flow has already registered again after a refresh refused for a client
    /// the server forgot (once per flow, so a server that forgets every client cannot loop it).
    renewed_client: bool,
}

impl ClientFlow {
    pub fn new(
        options: ClientOptions,
        profile: &'static Profile,
        clock: SharedClock,
        http: HttpClient,
    ) -> Self {
        let http = http.for_target(&options.mcp_url);
        let recorder = Recorder::new(profile, clock.clone(), http.redactor().clone());
        // What the user gave (command line, environment, context or targets file) is
        // scrubbed however short it is.
        if let Some(secret) = &options.client_secret {
            http.redactor().register_given(secret.secret());
        }
        if let Some(assertion) = &options.assertion {
            http.redactor().register_given(assertion.secret());
        }
        if let Some(key) = &options.signing_key {
            http.redactor().register(key.pem());
        }
        Self {
            ctx: FlowContext {
                http,
                profile,
                clock,
                recorder,
                registrations: Vec::new(),
                client_id_in_body: Vec::new(),
                dpop: None,
            },
            options,
            connection: None,
            health: Health::Unknown,
            diagnoses: Vec::new(),
            renewed_client: false,
        }
    }

    /// The options the next connect uses (a scenario's `connect-gallery` sets an entry's).
    pub fn options_mut(&mut self) -> &mut ClientOptions {
        &mut self.options
    }

    pub fn health(&self) -> Health {
        self.health
    }

    pub fn profile(&self) -> &'static Profile {
        self.ctx.profile
    }

    pub fn connection(&self) -> Option<&Connection> {
        self.connection.as_ref()
    }

    pub fn tokens(&self) -> Option<&token::TokenSet> {
        self.connection.as_ref().map(|c| &c.tokens)
    }

    /// Puts tokens loaded from a store back on the connection; false when not connected.
    pub fn restore_tokens(&mut self, tokens: token::TokenSet) -> bool {
        match self.connection.as_mut() {
            Some(connection) => {
                connection.tokens = tokens;
                true
            }
            None => false,
        }
    }

    /// Records a failure that happened outside the flow's own steps (the token store).
    pub fn record_failure(&mut self, diagnosis: Diagnosis) -> Diagnosis {
        self.failed(diagnosis)
    }

    pub fn checks(&self) -> &[Check] {
        self.ctx.recorder.checks()
    }

    pub fn context(&mut self) -> &mut FlowContext {
        &mut self.ctx
    }

    /// The OAuth flow, from the pasted URL to tokens. Health is unknown afterwards, until the
    /// next Test Connection or tool call.
    pub async fn connect(&mut self, agent: &UserAgent, pauses: &Pauses) -> StepResult<()> {
        match self.run_oauth(agent, pauses).await {
            Ok(connection) => {
                self.connection = Some(connection);
                self.health = Health::Unknown;
                Ok(())
            }
            Err(diagnosis) => Err(self.failed(diagnosis)),
        }
    }

    async fn run_oauth(&mut self, agent: &UserAgent, pauses: &Pauses) -> StepResult<Connection> {
        let probe = probe::probe(&mut self.ctx, &self.options.mcp_url).await?;
        oauth(&mut self.ctx, &self.options, &probe, None, agent, pauses).await
    }

    /// Test Connection: refresh if due, then initialize and list tools.
    pub async fn test_connection(&mut self) -> StepResult<()> {
        let result = self.with_fresh_token(mcp::Action::ListTools).await;
        self.settle(result).map(|_| ())
    }

    /// A tool call as a pipeline run makes it: refresh if due, then call.
    pub async fn call_tool(&mut self, name: &str, arguments: Value) -> StepResult<Value> {
        let result = self
            .with_fresh_token(mcp::Action::CallTool {
                name: name.to_owned(),
                arguments,
            })
            .await;
        self.settle(result)
    }

    /// `count` calls of one tool started at the same moment, as a pipeline runs them: one
    /// refresh at most, before any call ([`together`]). Every answer, in call order.
    pub async fn call_tools_together(
        &mut self,
        name: &str,
        arguments: Value,
        count: u32,
    ) -> StepResult<Vec<Value>> {
        let action = mcp::Action::CallTool {
            name: name.to_owned(),
            arguments,
        };
        let result = match self.fresh_token().await {
            Ok(token) => {
                together::run(&mut self.ctx, &self.options.mcp_url, &token, action, count).await
            }
            Err(diagnosis) => Err(diagnosis),
        };
        self.settle(result)
    }

    /// Calls one tool the server lists, with arguments its input schema accepts
    /// ([`mcp::tool_call::choose`]); nothing when it has none.
    pub async fn call_tool_if_any(&mut self) -> StepResult<()> {
        let listed = self.with_fresh_token(mcp::Action::ListTools).await;
        let listed = self.settle(listed)?;
        match mcp::tool_call::choose(&listed) {
            Some(call) => self.call_tool(&call.name, call.arguments).await.map(|_| ()),
            None => Ok(()),
        }
    }

    async fn with_fresh_token(&mut self, action: mcp::Action) -> StepResult<Value> {
        let token = self.fresh_token().await?;
        mcp::run(&mut self.ctx, &self.options.mcp_url, &token, action).await
    }

    /// The connection's access token, renewed or refreshed first when it is due.
    async fn fresh_token(&mut self) -> StepResult<oauth2::AccessToken> {
        let Some(connection) = self.connection.as_mut() else {
            return Err(diagnosis::new(
                diagnosis::NOT_CONNECTED,
                "The endpoint has no OAuth connection yet.",
                "Connect via OAuth first.",
            ));
        };
        client_credentials::renew_if_due(&mut self.ctx, &self.options, connection).await?;
        token::refresh_if_due(&mut self.ctx, connection).await?;
        Ok(connection.tokens.access_token.clone())
    }

    fn settle<T>(&mut self, result: StepResult<T>) -> StepResult<T> {
        match result {
            Ok(value) => {
                self.health = Health::Healthy;
                Ok(value)
            }
            Err(diagnosis) => Err(self.failed(diagnosis)),
        }
    }

    fn failed(&mut self, diagnosis: Diagnosis) -> Diagnosis {
        let http = &self.ctx.http;
        let diagnosis = opaque_token::explain(
            diagnosis,
            self.connection.as_ref(),
            self.ctx.clock.now(),
            self.options.audience.as_deref(),
            || http.exchanges(),
        );
        self.ctx.record_refused_addresses();
        self.health = Health::Unhealthy;
        self.diagnoses.push(diagnosis.clone());
        diagnosis
    }

    /// Every diagnosis the run produced, oldest first.
    pub fn diagnoses(&self) -> &[Diagnosis] {
        &self.diagnoses
    }

    pub fn finish(mut self) -> FlowOutcome {
        self.ctx.record_refused_addresses();
        FlowOutcome {
            health: self.health,
            diagnosis: self.diagnoses.into_iter().next(),
            exchanges: self.ctx.http.exchanges(),
            checks: self.ctx.recorder.into_checks(),
        }
    }
}

/// Discovery to tokens, from the probe's challenge or a later request's. A re-authorization
/// passes the connection it replaces, whose client is kept only at the same issuer.
async fn oauth(
    ctx: &mut FlowContext,
    options: &ClientOptions,
    probe: &probe::Probe,
    previous: Option<&Connection>,
    agent: &UserAgent,
    pauses: &Pauses,
) -> StepResult<Connection> {
    // Dynamic registration needs its endpoint: without it pinned, discovery must find it.
    let registers = match options.registration_flow {
        Some(flow) => flow == RegistrationFlow::Dcr,
        None => options.client_id.is_none() && options.client_metadata_url.is_none(),
    };
    let (server, drifted) = match options.pinned.server(ctx, &options.mcp_url, registers) {
        Some(pinned) => (pinned, None),
        None => {
            let discovered = discovery::discover(ctx, &options.mcp_url, probe).await?;
            let (server, drifted) = options.pinned.apply(ctx, discovered);
            (server, Some(drifted))
        }
    };
    match authorize(ctx, options, server, probe, previous, agent, pauses).await {
        Err(failure) if !options.pinned.is_empty() => {
            Err(pinned::explain(ctx, options, probe, drifted, failure).await)
        }
        result => result,
    }
}

/// Registration to tokens, once the server is known.
async fn authorize(
    ctx: &mut FlowContext,
    options: &ClientOptions,
    server: discovery::DiscoveredServer,
    probe: &probe::Probe,
    previous: Option<&Connection>,
    agent: &UserAgent,
    pauses: &Pauses,
) -> StepResult<Connection> {
    let grant = client_credentials::chosen(options, &server);
    if grant != Grant::AuthorizationCode {
        return client_credentials::obtain(ctx, options, server, probe, grant).await;
    }
    let client = match previous {
        Some(previous) => {
            registration::client_for_reauthorization(
                ctx,
                options,
                &server,
                &previous.server.issuer,
                &previous.client,
            )
            .await?
        }
        None => registration::obtain_client(ctx, options, &server).await?,
    };
    dpop::decide(ctx, options.dpop.unwrap_or(ctx.profile.dpop), &server);
    let authorized = stale_client::authorize_and_exchange(
        ctx,
        options,
        &server,
        client,
        stale_client::Consent {
            probe,
            agent,
            pauses,
        },
        false,
    )
    .await?;
    Ok(authorized.connection(server))
}

/// Whether a client of `profile` sends RFC 8707 `resource` to this server: every request of
/// the flow and of `check`'s probes asks here, so the profile's rule is applied in one place.
pub(crate) fn sends_resource(profile: &Profile, server: &discovery::DiscoveredServer) -> bool {
    profile.send_resource && (!profile.resource_needs_metadata || server.resource_from_metadata)
}

/// The RFC 8707 `resource` parameter of an authorization, token or refresh request, when the
/// profile sends one. Each one sent is recorded, so that a report shows which requests carried
/// which resource (the three must agree for the audience of the tokens to be right).
fn resource_parameter(
    ctx: &mut FlowContext,
    request: &'static str,
    server: &discovery::DiscoveredServer,
) -> Option<(&'static str, String)> {
    if !sends_resource(ctx.profile, server) {
        return None;
    }
    let resource = ctx.profile.resource_written.apply(&server.resource);
    let mut details = json!({ "request": request, "resource": resource });
    if resource != server.resource {
        // A real client's way of writing it, emulated: the report says it is not as named.
        details["named"] = json!(server.resource);
    }
    ctx.recorder.pass(&checks::RESOURCE_INDICATOR, details);
    Some(("resource", resource))
}

/// What a finished flow hands to the report.
#[derive(Debug)]
pub struct FlowOutcome {
    pub health: Health,
    /// The first failure's diagnosis: the root cause when later steps fail as a consequence.
    pub diagnosis: Option<Diagnosis>,
    pub checks: Vec<Check>,
    pub exchanges: Vec<Exchange>,
}
