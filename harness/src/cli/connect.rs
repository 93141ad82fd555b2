//! `connect URL`: the plain client flow once, as a client under test. It behaves as an MCP
//! client does on its own: it authorizes when the server challenges (up front or at the first
//! request that needs it), steps up on 403 insufficient_scope, and re-authorizes when a token
//! is refused, within the profile's limits.

use std::process::ExitCode;
use std::sync::Arc;

use mcp_oauth_mocks::clock::SystemClock;
use mcp_oauth_reports::render::text::one_line;
use mcp_oauth_reports::{Outcome, REPORT_SCHEMA_VERSION, Report, Summary, Target, TargetKind};
use oauth2::ClientSecret;
use serde::Deserialize;
use serde_json::json;

use super::output::stderr_line;
use super::{Format, print, usage_error};
use crate::check::targets;
use crate::flow::dpop::DpopUse;
use crate::flow::{ClientFlow, ClientOptions, Grant, Pauses, SigningKey};
use crate::http::{HttpClient, HttpLimits};
use crate::profile::{self, Profile};
use crate::redact::Redactor;
use crate::user_agent::UserAgent;
use mcp_oauth_engine::tool_info;

#[derive(Debug, clap::Args)]
pub struct ConnectArgs {
    /// The MCP server URL (the last argument, as conformance runners pass it); with
    /// --gallery, the entry's url.
    #[arg(required_unless_present = "gallery")]
    pub url: Option<String>,
    /// Connect the way a provider-gallery entry says (docs/gallery.md): its flow, scope,
    /// Client ID and pinned endpoints (which skip discovery), as the platform's tile would.
    #[arg(
        long,
        value_name = "FILE",
        requires = "provider",
        conflicts_with = "url"
    )]
    pub gallery: Option<std::path::PathBuf>,
    /// The entry of --gallery to connect with.
    #[arg(long, value_name = "NAME", requires = "gallery")]
    pub provider: Option<String>,
    /// Let --gallery's `client-secret-env` name this environment variable too (repeatable);
    /// without it a file may name only MCP_OAUTH_* variables.
    #[arg(long = "allow-env", value_name = "NAME", requires = "gallery")]
    pub allow_env: Vec<String>,
    /// Client profile (default: the newest MCP spec revision).
    #[arg(long, default_value = profile::NEWEST_SPEC.name, value_parser = profile_name)]
    pub profile: String,
    /// A pre-registered Client ID (else MCP_CONFORMANCE_CONTEXT's client_id, else registration).
    #[arg(long)]
    pub client_id: Option<String>,
    /// The client secret of a confidential pre-registered client.
    #[arg(long, env = "MCP_OAUTH_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// Scopes to request instead of those the server suggests.
    #[arg(long)]
    pub scope: Option<String>,
    /// Send `audience` with this value in the authorization request (the API identifier an
    /// authorization server such as Auth0 issues JWT access tokens for).
    #[arg(long, value_name = "ID", value_parser = crate::cli::audience_value)]
    pub audience: Option<String>,
    /// The https URL of this client's Client ID metadata document: used as the Client ID at
    /// authorization servers that advertise client_id_metadata_document_supported.
    #[arg(long, env = "MCP_OAUTH_CLIENT_METADATA_URL", value_name = "URL")]
    pub client_metadata_url: Option<String>,
    /// The redirect URI exactly, host, port and path (http://localhost:8080/oauth/callback);
    /// loopback hosts only. Default: http://127.0.0.1:33418/callback.
    #[arg(long, value_name = "URL", value_parser = crate::user_agent::loopback_uri::parse)]
    pub redirect_uri: Option<crate::user_agent::LoopbackUri>,
    /// The grant: `authorization-code` (a person consents), `client-credentials` (the client's
    /// own secret or key), `jwt-bearer` (an assertion it was given). Default: chosen from the
    /// credentials held and the grants the authorization server lists.
    #[arg(long, value_enum)]
    pub grant: Option<GrantArg>,
    /// Authenticate client-credentials requests with a private_key_jwt assertion signed by
    /// this PKCS#8 PEM private key file (else MCP_CONFORMANCE_CONTEXT's private_key_pem).
    #[arg(long, value_name = "FILE")]
    pub private_key: Option<std::path::PathBuf>,
    /// The JWS algorithm of --private-key (else the context's signing_algorithm, else ES256).
    #[arg(long, value_name = "ALG")]
    pub signing_algorithm: Option<String>,
    /// The assertion file for the jwt-bearer grant, such as a workload identity token (else
    /// MCP_CONFORMANCE_CONTEXT's valid_jwt).
    #[arg(long, value_name = "FILE")]
    pub assertion: Option<std::path::PathBuf>,
    /// When to prove possession of a key with DPoP (RFC 9449): never, when-advertised (the
    /// authorization server lists ES256 in dpop_signing_alg_values_supported) or always.
    /// Default: the profile's; always for the conformance suite's auth/dpop scenarios.
    #[arg(long, value_name = "WHEN", value_parser = dpop_use)]
    pub dpop: Option<DpopUse>,
    /// Seconds each HTTP request may take.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// Print the report in this format on stdout (default: a one-line verdict on stderr only).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GrantArg {
    AuthorizationCode,
    ClientCredentials,
    JwtBearer,
}

impl GrantArg {
    fn grant(self) -> Grant {
        match self {
            GrantArg::AuthorizationCode => Grant::AuthorizationCode,
            GrantArg::ClientCredentials => Grant::ClientCredentials,
            GrantArg::JwtBearer => Grant::JwtBearer,
        }
    }
}

fn dpop_use(text: &str) -> Result<DpopUse, String> {
    DpopUse::parse(text).ok_or_else(|| "expected never, when-advertised or always".to_owned())
}

/// DPoP as the suite's reference client uses it: on for the scenarios that test it.
fn dpop_for_scenario(scenario: Option<&str>) -> Option<DpopUse> {
    scenario
        .is_some_and(|s| s == "auth/dpop" || s.starts_with("auth/dpop-"))
        .then_some(DpopUse::Always)
}

fn profile_name(name: &str) -> Result<String, String> {
    profile::by_name(name)
        .map(|p| p.name.to_owned())
        .ok_or_else(|| format!("unknown profile; known: {}", profile::names().join(", ")))
}

/// What the official conformance runner passes in MCP_CONFORMANCE_CONTEXT.
#[derive(Debug, Default, Deserialize)]
struct ConformanceContext {
    client_id: Option<String>,
    client_secret: Option<String>,
    /// The client-credentials scenarios' private_key_jwt key (PKCS#8 PEM) and its algorithm.
    private_key_pem: Option<String>,
    signing_algorithm: Option<String>,
    /// The workload identity scenario's assertion for the JWT bearer grant.
    valid_jwt: Option<String>,
    /// Enterprise-managed authorization: the identity provider's token endpoint, the person's
    /// ID token and the client's Client ID there.
    idp_token_endpoint: Option<String>,
    idp_id_token: Option<String>,
    idp_client_id: Option<String>,
}

/// The machine credentials from the flags, else the context: a signing key and an assertion.
fn machine_credentials(
    args: &ConnectArgs,
    context: &mut ConformanceContext,
) -> Result<(Option<SigningKey>, Option<ClientSecret>), String> {
    let read = |path: &std::path::Path| {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let pem = match &args.private_key {
        Some(path) => Some(read(path)?),
        None => context.private_key_pem.take(),
    };
    let algorithm = args
        .signing_algorithm
        .clone()
        .or(context.signing_algorithm.take())
        .unwrap_or_else(|| "ES256".to_owned());
    let key = pem
        .map(|pem| SigningKey::from_pem(&pem, &algorithm))
        .transpose()
        .map_err(|e| format!("the client assertion key: {e}"))?;
    let assertion = match &args.assertion {
        Some(path) => Some(read(path)?.trim().to_owned()),
        None => context.valid_jwt.take(),
    };
    Ok((key, assertion.map(ClientSecret::new)))
}

fn conformance_context() -> Result<ConformanceContext, String> {
    match std::env::var("MCP_CONFORMANCE_CONTEXT") {
        Ok(text) if !text.trim().is_empty() => serde_json::from_str(&text)
            .map_err(|e| format!("MCP_CONFORMANCE_CONTEXT is not the expected JSON object: {e}")),
        _ => Ok(ConformanceContext::default()),
    }
}

pub async fn connect(args: ConnectArgs) -> ExitCode {
    let mut context = match conformance_context() {
        Ok(context) => context,
        Err(e) => return usage_error(e),
    };
    let (signing_key, assertion) = match machine_credentials(&args, &mut context) {
        Ok(credentials) => credentials,
        Err(e) => return usage_error(e),
    };
    let profile: &'static Profile = profile::by_name(&args.profile).unwrap_or(profile::NEWEST_SPEC);
    let http = match HttpClient::new(
        HttpLimits {
            timeout: std::time::Duration::from_secs(args.timeout.max(1)),
            ..HttpLimits::default()
        },
        Redactor::default(),
    ) {
        Ok(http) => http,
        Err(e) => return usage_error(e),
    };
    let entry = match (&args.gallery, &args.provider) {
        (Some(path), Some(name)) => match gallery_entry(path, name, &args.allow_env) {
            Ok(entry) => Some(entry),
            Err(e) => return usage_error(e),
        },
        _ => None,
    };
    let url = match (&entry, &args.url) {
        (Some(entry), _) => entry.url.clone(),
        (None, Some(url)) => url.clone(),
        (None, None) => return usage_error("give the MCP server URL, or --gallery and --provider"),
    };
    let profile = entry.as_ref().and_then(|e| e.profile).unwrap_or(profile);
    let mut options = ClientOptions::new(&url);
    options.client_id = args.client_id.or(context.client_id);
    options.client_secret = args
        .client_secret
        .or(context.client_secret)
        .map(ClientSecret::new);
    options.scope = args.scope;
    options.audience = args.audience;
    options.client_metadata_url = args.client_metadata_url;
    options.grant = args.grant.map(GrantArg::grant);
    options.signing_key = signing_key;
    options.assertion = assertion;
    if let (Some(token_endpoint), Some(id_token), Some(client_id)) = (
        context.idp_token_endpoint.take(),
        context.idp_id_token.take(),
        context.idp_client_id.take(),
    ) {
        options.identity_assertion = Some(crate::flow::token_exchange::IdentityAssertion {
            token_endpoint,
            id_token: ClientSecret::new(id_token),
            client_id,
        });
    }
    if let Some(entry) = entry {
        // The entry is used as given; the flags fill in only what it leaves out.
        options.client_id = entry.client_id.or(options.client_id);
        options.client_secret = entry
            .client_secret
            .map(ClientSecret::new)
            .or(options.client_secret);
        options.scope = entry.scope.or(options.scope);
        options.client_metadata_url = entry.client_metadata_url.or(options.client_metadata_url);
        options.pinned = entry.pinned;
        options.registration_flow = entry.flow;
    }
    if let Some(uri) = &args.redirect_uri {
        options.redirect_uri = uri.to_uri();
    }
    let scenario = std::env::var("MCP_CONFORMANCE_SCENARIO").ok();
    options.dpop = args.dpop.or(dpop_for_scenario(scenario.as_deref()));

    let mut flow = ClientFlow::new(options, profile, Arc::new(SystemClock), http);
    let result = flow
        .connect_on_demand(&UserAgent::Headless, &Pauses::default())
        .await;
    let outcome = flow.finish();
    let report = Report {
        schema_version: REPORT_SCHEMA_VERSION,
        tool: tool_info(),
        scenario,
        target: Target {
            url: url.clone(),
            kind: TargetKind::Live,
        },
        profile: profile.name.to_owned(),
        outcome: Outcome {
            health: outcome.health,
            diagnosis: outcome.diagnosis,
        },
        expectations: Vec::new(),
        summary: Summary::of(&outcome.checks),
        checks: outcome.checks,
        exchanges: outcome.exchanges,
        verdict: None,
        script: Vec::new(),
        client: None,
    };
    if let Some(format) = args.format {
        print(std::slice::from_ref(&report), format, None);
    }
    match result {
        Ok(()) => {
            stderr_line(&format!(
                "connected to {} ({}): {}",
                one_line(&url),
                profile.name,
                json!(report.summary)
            ));
            ExitCode::SUCCESS
        }
        Err(diagnosis) => {
            // The diagnosis quotes the server: each part stays on its line.
            stderr_line(&format!(
                "could not connect to {}: [{}] {}\nfix (by {}): {}",
                one_line(&url),
                diagnosis.code,
                one_line(&diagnosis.message),
                diagnosis.party.who(),
                one_line(&diagnosis.remedy)
            ));
            ExitCode::from(1)
        }
    }
}

/// The entry `name` of the gallery file at `path`.
fn gallery_entry(
    path: &std::path::Path,
    name: &str,
    allow_env: &[String],
) -> Result<targets::Target, String> {
    let allowed = crate::check::file_env::AllowedEnv::new(allow_env.iter().cloned());
    let entries = targets::load(path, &allowed).map_err(|e| e.to_string())?;
    targets::select(entries, &[name.to_owned()], path).map(|mut chosen| chosen.remove(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpop_is_on_for_the_suites_dpop_scenarios_only() {
        assert_eq!(dpop_for_scenario(Some("auth/dpop")), Some(DpopUse::Always));
        assert_eq!(
            dpop_for_scenario(Some("auth/dpop-nonce")),
            Some(DpopUse::Always)
        );
        assert_eq!(dpop_for_scenario(Some("auth/dpopish")), None);
        assert_eq!(dpop_for_scenario(Some("auth/metadata-default")), None);
        assert_eq!(dpop_for_scenario(None), None);
    }

    #[test]
    fn the_dpop_flag_names_its_values() {
        assert_eq!(dpop_use("never"), Ok(DpopUse::Never));
        assert_eq!(dpop_use("always"), Ok(DpopUse::Always));
        let err = dpop_use("yes").unwrap_err();
        assert!(err.contains("when-advertised"), "{err}");
    }
}
