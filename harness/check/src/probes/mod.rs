//! The probes that need no person: what `check URL` asks the MCP server, its metadata, the
//! registration, authorization and token endpoints before anyone consents. Each answer is a
//! check recorded through the flow's recorder, and each problem found is kept, with whom it
//! stops, for the verdict.
//!
//! Unlike the client flow, which stops at the first failure, the probes go on as far as the
//! server's answers allow, so that one run shows everything a vendor has to fix.

mod authorization;
mod metadata;
mod registration;
mod resource;
mod token;

use oauth2::ClientSecret;
use serde_json::Value;
use url::Url;

use crate::verdict::{Effect, Problem};
use authorization::AuthorizationProbe;
use mcp_oauth_engine::checks::{self, CheckDef};
use mcp_oauth_engine::diagnosis;
use mcp_oauth_engine::flow::discovery::AuthServerMetadata;
use mcp_oauth_engine::flow::registration::RegisteredClient;
use mcp_oauth_engine::flow::{FlowContext, PinnedEndpoints};

/// A redirect URI no client registers: where an open redirector would send the code.
pub const UNREGISTERED_REDIRECT_URI: &str = "https://unregistered.invalid/callback";

/// What the probes are given.
#[derive(Debug, Clone)]
pub struct ProbeInputs {
    pub mcp_url: String,
    /// The harness's callback, registered by the probes and used by the consent step.
    pub redirect_uri: String,
    pub client_id: Option<String>,
    /// Only a secret the command line gave: the probes ask without anyone's consent.
    pub client_secret: Option<ClientSecret>,
    /// The brought client has a secret the probes may not send (a file named it), so the
    /// probes that must authenticate as that client are skipped.
    pub secret_withheld: bool,
    pub scope: Option<String>,
    pub client_name: String,
    /// A gallery entry's pins: brought credentials are for its pinned issuer alone.
    pub pinned: PinnedEndpoints,
}

/// What the probes found.
#[derive(Debug, Default)]
pub struct Findings {
    /// The MCP URL answered at all; nothing else is asked when it did not.
    pub reachable: bool,
    /// Every problem found, in flow order.
    pub problems: Vec<Problem>,
    /// What discovery found, for comparing a gallery entry with it.
    pub discovered: Discovered,
}

/// The server as discovery found it, as far as it got.
#[derive(Debug, Clone, Default)]
pub struct Discovered {
    /// Whether protected-resource metadata was found.
    pub found_prm: bool,
    /// The authorization server the protected-resource metadata names.
    pub issuer: Option<String>,
    /// The metadata's `resource`, as written.
    pub announced_resource: Option<String>,
    /// The protected-resource metadata's `scopes_supported`.
    pub scopes: Vec<String>,
    /// The authorization-server metadata.
    pub metadata: Option<AuthServerMetadata>,
}

impl Findings {
    pub(super) fn problem(
        &mut self,
        check: &'static CheckDef,
        code: &'static str,
        message: impl Into<String>,
        remedy: impl Into<String>,
        effect: Effect,
    ) {
        self.problems
            .push(Problem::new(check, code, message, remedy, effect));
    }

    /// [`Self::problem`], naming the party the evidence singles out instead of the code's.
    pub(super) fn problem_of(
        &mut self,
        party: mcp_oauth_engine::diagnosis::Party,
        check: &'static CheckDef,
        code: &'static str,
        message: impl Into<String>,
        remedy: impl Into<String>,
        effect: Effect,
    ) {
        let mut problem = Problem::new(check, code, message, remedy, effect);
        problem.party = party;
        self.problems.push(problem);
    }
}

/// The protected-resource side, as far as it was found.
pub(super) struct Resource {
    pub(super) issuer: String,
    /// The RFC 8707 resource to send: the announced one when it matches, else the pasted URL.
    pub(super) resource: String,
    /// The metadata's `resource`, as written (none without metadata).
    pub(super) announced: Option<String>,
    pub(super) scopes: Vec<String>,
    /// Whether protected-resource metadata was found (without it, and without
    /// authorization-server metadata, some profiles fall back to default endpoints).
    pub(super) found_prm: bool,
    /// Every metadata location tried so far, for `discovery-failed`.
    pub(super) attempts: Vec<mcp_oauth_engine::flow::discovery::Attempt>,
}

/// The two questions only browser-based clients ask, as `check` asks them: does the 401 to a
/// request with an `Origin` expose `WWW-Authenticate`, and does the token endpoint answer a
/// CORS preflight (skipped without a token endpoint). A scenario's `probe-browser-cors`.
pub async fn browser_cors(ctx: &mut FlowContext, mcp_url: &str, token_endpoint: Option<&str>) {
    resource::browser_cors(ctx, mcp_url).await;
    match token_endpoint {
        Some(endpoint) => metadata::token_preflight(ctx, endpoint).await,
        None => ctx.recorder.skip(
            &checks::CORS_TOKEN_PREFLIGHT,
            "no token endpoint is known: the client is not connected",
        ),
    }
}

pub async fn run(ctx: &mut FlowContext, inputs: &ProbeInputs) -> Findings {
    let mut findings = Findings::default();
    let Ok(mcp_url) = Url::parse(&inputs.mcp_url) else {
        findings.problem(
            &checks::MCP_REQUIRES_AUTH,
            diagnosis::DISCOVERY_FAILED,
            format!("{:?} is not an absolute URL.", inputs.mcp_url),
            "Paste the full MCP server URL, with https:// and the path.",
            Effect::Blocks,
        );
        return findings;
    };

    let Some(probe) = resource::unauthenticated(ctx, &inputs.mcp_url, &mut findings).await else {
        return findings;
    };
    findings.reachable = true;
    resource::invalid_token(ctx, &inputs.mcp_url, &mut findings).await;
    resource::browser_cors(ctx, &inputs.mcp_url).await;

    let prm =
        resource::protected_resource(ctx, &mcp_url, &probe, &inputs.mcp_url, &mut findings).await;
    let Some(mut resource) = prm else {
        return findings;
    };
    findings.discovered = Discovered {
        found_prm: resource.found_prm,
        issuer: resource.found_prm.then(|| resource.issuer.clone()),
        announced_resource: resource.announced.clone(),
        scopes: resource.scopes.clone(),
        metadata: None,
    };
    let Some(metadata) = metadata::auth_server(ctx, &mut resource, &mcp_url, &mut findings).await
    else {
        return findings;
    };
    // A challenge with the DPoP scheme alone: the MCP server takes only DPoP-bound tokens.
    if probe
        .challenge
        .as_ref()
        .is_some_and(|c| !c.is_bearer() && c.scheme.eq_ignore_ascii_case("dpop"))
    {
        findings.problem(
            &checks::MCP_INITIALIZE,
            mcp_oauth_engine::diagnosis::DPOP_REQUIRED,
            "The MCP server challenges with the DPoP scheme alone (RFC 9449 §7.1): it accepts only DPoP-bound tokens.",
            "Use a client that supports DPoP, or accept Bearer tokens too; advertise ES256 in the authorization server's dpop_signing_alg_values_supported so that DPoP clients know to bind their tokens.",
            Effect::BlocksWithoutDpop {
                advertised: mcp_oauth_engine::flow::dpop::advertises_es256(&metadata),
            },
        );
    }
    let Some((authorization_endpoint, token_endpoint)) = metadata
        .authorization_endpoint
        .clone()
        .zip(metadata.token_endpoint.clone())
    else {
        return findings;
    };
    metadata::token_preflight(ctx, &token_endpoint).await;

    // The MCP server named another authorization server than the one a gallery entry pins
    // the credentials to: they are not sent there, by a probe any more than by a flow.
    let foreign = inputs.pinned.endpoints_elsewhere(
        &resource.issuer,
        &authorization_endpoint,
        &token_endpoint,
    );
    let brought = inputs.client_id.as_ref().filter(|_| !foreign);
    if foreign && inputs.client_id.is_some() && metadata.registration_endpoint.is_none() {
        findings.problem(
            &checks::CLIENT_BOUND_TO_ISSUER,
            diagnosis::CREDENTIALS_FOREIGN_ISSUER,
            format!(
                "The gallery entry pins {} for the Client ID and secret given, but the MCP server's metadata names {} as its authorization server, which offers no registration: no client can connect with them.",
                inputs.pinned.issuer.as_deref().unwrap_or_default(),
                resource.issuer
            ),
            format!(
                "If {} is this MCP server's own authorization server, register an app there and pin it; if it is not, the MCP server's operator must correct `authorization_servers` in its protected-resource metadata.",
                resource.issuer
            ),
            Effect::Blocks,
        );
    }
    let mut client = brought.map(|id| RegisteredClient {
        client_id: id.clone(),
        client_secret: inputs.client_secret.clone(),
        auth_method: registration::brought_auth_method(inputs.client_secret.is_some(), &metadata),
        source: "brought",
        management: None,
    });
    registration::registration(ctx, inputs, &metadata, &mut client, &mut findings).await;

    let Some(client) = client else {
        for check in [
            &checks::AUTHORIZATION_REJECTS_UNREGISTERED_REDIRECT,
            &checks::AUDIENCE_OPTIONAL,
            &checks::TOKEN_UNKNOWN_CODE,
            &checks::TOKEN_UNKNOWN_REFRESH_TOKEN,
            &checks::TOKEN_UNSUPPORTED_GRANT,
        ] {
            ctx.recorder.skip(
                check,
                "no Client ID to probe with: the server offers no working registration and none was given",
            );
        }
        return findings;
    };
    let scope = inputs
        .scope
        .clone()
        .or_else(|| probe.scope().map(str::to_owned))
        .or_else(|| (!resource.scopes.is_empty()).then(|| resource.scopes.join(" ")));
    let request = AuthorizationProbe {
        endpoint: &authorization_endpoint,
        client: &client,
        redirect_uri: &inputs.redirect_uri,
        scope: scope.as_deref(),
        resource: &resource.resource,
    };
    authorization::open_redirect(ctx, &request, &mut findings).await;
    authorization::audience(ctx, &request, &mut findings).await;
    let authenticates = if client.source == "brought" && inputs.secret_withheld {
        token::Authenticates::Withheld
    } else {
        token::Authenticates::Yes
    };
    token::token_endpoint_errors(
        ctx,
        &token_endpoint,
        &client,
        authenticates,
        &inputs.redirect_uri,
        &mut findings,
    )
    .await;
    findings
}

pub(super) fn query_params(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    let query = query.split('#').next().unwrap_or("");
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

pub(super) fn is_string_array(value: &Value) -> bool {
    value
        .as_array()
        .is_some_and(|items| items.iter().all(Value::is_string))
}
