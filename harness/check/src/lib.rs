//! `check URL`: what a vendor or integrator runs against a real MCP server to learn whether a
//! client like ours can connect, what is wrong if not, and how to fix it.
//!
//! ```text
//! probes (no person):  401 challenge, invalid token → resource metadata → AS metadata
//!                      → registration (+ fragment) → authorization (open redirect, audience)
//!                      → token endpoint errors
//! consent (optional):  ClientFlow::connect with the chosen user agent → test_connection
//!                      → forced refresh → revocation → reuse of the rotated-away refresh token
//! verdict:             per profile, from the probes' problems and what consent showed
//! baseline:            known failures; --strict makes warnings count
//! ```
//!
//! One run is one [`ClientFlow`]: the probes record into its recorder through its context, so
//! the report keeps one order of checks and exchanges, and every secret any step sees goes
//! through one redactor.

pub mod baseline;
mod cleanup;
mod consent;
pub mod differential;
pub mod file_env;
pub mod gallery;
pub mod observe;
mod options;
pub mod probes;
pub mod progress;
pub mod resource_server;
pub mod selection;
pub mod targets;
pub mod verdict;

pub use options::{CheckOptions, Consent, SecretOrigin, default_name};
pub use progress::{CheckProgress, CheckStep};
pub use selection::ProfileSelection;

use std::sync::Arc;
use std::time::Duration;

use mcp_oauth_reports::{
    Connects, Health, Outcome, REPORT_SCHEMA_VERSION, Report, Summary, Target, TargetKind, Verdict,
};
use oauth2::ClientSecret;

use baseline::{Baseline, BaselineResult};
use mcp_oauth_engine::flow::{ClientFlow, ClientOptions};
use mcp_oauth_engine::http::{self, HttpClient, HttpError, HttpLimits};
use mcp_oauth_engine::profile::Profile;
use mcp_oauth_engine::redact::Redactor;
use mcp_oauth_engine::tool_info;
use mcp_oauth_engine::user_agent::{LoopbackCallback, UserAgent};
use observe::Observed;
use probes::ProbeInputs;

/// What one check produced.
#[derive(Debug, Clone)]
pub struct CheckRun {
    pub name: String,
    pub report: Report,
    pub consent: &'static str,
    pub baseline: Option<Baseline>,
    pub result: BaselineResult,
}

impl CheckRun {
    /// True when every failure is expected and no baseline entry is stale.
    pub fn passed(&self) -> bool {
        self.result.passed()
    }

    /// 0 when the run passed, 1 when checks failed.
    pub fn exit_code(&self) -> u8 {
        if self.passed() { 0 } else { 1 }
    }
}

/// A check that could not run at all (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("{name}: {url:?} cannot be checked: {reason}")]
    Url {
        name: String,
        url: String,
        reason: String,
    },
    #[error("{name}: {source}")]
    Setup { name: String, source: HttpError },
    #[error("{name}: cannot prepare the loopback callback on port {port}: {source}")]
    Callback {
        name: String,
        port: u16,
        source: std::io::Error,
    },
    #[error("a check stopped unexpectedly: {0}")]
    Panicked(String),
}

/// Consents that need a person (or the loopback port) take turns.
static INTERACTIVE_CONSENT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Checks one target.
pub async fn check(options: CheckOptions) -> Result<CheckRun, CheckError> {
    let name = options.name.clone();
    match http::check_reachable(&options.url) {
        Ok(parsed) if parsed.host_str().is_some() => {}
        Ok(_) => {
            return Err(CheckError::Url {
                name,
                url: options.url.clone(),
                reason: "it has no host".to_owned(),
            });
        }
        Err(e) => {
            return Err(CheckError::Url {
                name,
                url: options.url.clone(),
                reason: e.to_string(),
            });
        }
    }
    let callback = match &options.redirect_uri {
        Some(uri) => LoopbackCallback::at(uri),
        None => LoopbackCallback::new(options.redirect_port),
    }
    .map_err(|source| CheckError::Callback {
        name: name.clone(),
        port: options
            .redirect_uri
            .as_ref()
            .map_or(options.redirect_port, |uri| uri.port),
        source,
    })?;
    let agent = match &options.consent {
        Consent::Skip | Consent::Headless => UserAgent::Headless,
        Consent::Browser => UserAgent::Browser {
            callback: callback.clone(),
            timeout: options.timeout,
        },
        Consent::Command { program, args } => UserAgent::Command {
            program: program.clone(),
            args: args.clone(),
            callback: callback.clone(),
            timeout: options.timeout,
        },
    };
    let limits = HttpLimits {
        timeout: options.timeout.max(Duration::from_secs(1)),
        ..HttpLimits::default()
    };
    let redactor = Redactor::default();
    let authorities: Vec<&[u8]> = options
        .trusted_authorities
        .iter()
        .map(Vec::as_slice)
        .collect();
    let http = HttpClient::with_authorities(limits, redactor.clone(), &[], &authorities).map_err(
        |source| CheckError::Setup {
            name: name.clone(),
            source,
        },
    )?;

    let mut client_options = ClientOptions::new(&options.url);
    client_options.client_id = options.client_id.clone();
    client_options.client_secret = options.client_secret.clone().map(ClientSecret::new);
    client_options.scope = options.scope.clone();
    client_options.audience = options.audience.clone();
    client_options.redirect_uri = callback.redirect_uri();
    client_options.client_metadata_url = options.client_metadata_url.clone();
    if let Some(entry) = &options.gallery {
        client_options.pinned = entry.pinned.clone();
        client_options.registration_flow = entry.flow;
    }
    // The probes run before anyone consented: a secret a file named stays with the flows.
    let probes_secret = match options.client_secret_origin {
        SecretOrigin::CommandLine => client_options.client_secret.clone(),
        SecretOrigin::File => None,
    };
    let inputs = ProbeInputs {
        mcp_url: options.url.clone(),
        redirect_uri: client_options.redirect_uri.clone(),
        client_id: client_options.client_id.clone(),
        secret_withheld: probes_secret.is_none() && client_options.client_secret.is_some(),
        client_secret: probes_secret,
        scope: client_options.scope.clone(),
        client_name: client_options.client_name.clone(),
        pinned: client_options.pinned.clone(),
    };
    let mut flow = ClientFlow::new(
        client_options.clone(),
        options.profile,
        options.clock.clone(),
        http.fresh(),
    );

    let mut findings = probes::run(flow.context(), &inputs).await;
    // A Client ID and secret the user gave belong to the authorization server the probes
    // found: no profile's flow sends them to another one, whatever the server's metadata
    // names by then. (A gallery entry that pins the issuer names the server itself.)
    if client_options.client_id.is_some() && client_options.pinned.issuer.is_none() {
        client_options.credentials_issuer = findings.discovered.issuer.clone();
        flow.options_mut().credentials_issuer = findings.discovered.issuer.clone();
    }
    if let Some(entry) = &options.gallery {
        gallery::compare(flow.context(), entry, &findings.discovered);
    }
    let probed = flow.checks().len();
    let probed_exchanges = flow.context().http.exchange_count();

    let consenting = options.consent != Consent::Skip && findings.reachable;
    let plan = if consenting {
        options
            .profiles
            .resolve(options.profile, options.consent == Consent::Browser)
    } else {
        Vec::new()
    };
    let step = |index: usize| CheckStep::Flow {
        index,
        of: plan.len(),
        profile: plan.get(index).map_or("", |p| p.name),
    };
    let told = options.progress.as_ref();
    progress::tell(told, CheckStep::Probed { flows: plan.len() });
    let mut observed = Vec::new();
    let mut experimented = Vec::new();
    if consenting {
        announce(&options, &plan, 0);
        observed.push(
            consent::consent(
                &mut flow,
                &agent,
                &mut findings.problems,
                probed,
                probed_exchanges,
                &resource_server::ResourceServerOptions {
                    mcp_url: options.url.clone(),
                    name: options.name.clone(),
                    timeout: options.timeout,
                    announce: true,
                },
            )
            .await,
        );
        progress::tell(told, step(0));
        for (i, profile) in plan.iter().copied().enumerate().skip(1) {
            announce(&options, &plan, i);
            let other = observe::new_flow(&client_options, profile, &http);
            let _turn = interactive_turn(&agent).await;
            observed.push(observe::observe(other, &agent).await);
            progress::tell(told, step(i));
        }
        let experiments =
            (options.consent != Consent::Browser).then_some(differential::Experiments {
                client_options: &client_options,
                http: &http,
                agent: &agent,
            });
        let ran = differential::explain(&mut observed, experiments.as_ref()).await;
        experimented = ran;
    }
    // The probes' and the consent step's registrations, after their last use.
    let left_here = cleanup::delete_registrations(flow.context()).await;

    let outcome = flow.finish();
    let checks = merge(outcome.checks, probed);
    let not_observed = if !consenting {
        "no consent step ran (--no-consent, or the server could not be reached)"
    } else {
        "not among the profiles observed (--profiles)"
    };
    let selected = options
        .profiles
        .resolve(options.profile, options.consent == Consent::Browser);
    let mut verdict = verdict::evaluate(
        &findings.problems,
        options.client_id.is_some(),
        &observed,
        not_observed,
        &selected,
    );
    verdict.left_behind = left_here
        .into_iter()
        .chain(
            observed
                .iter()
                .chain(&experimented)
                .flat_map(|run| run.left_behind.clone()),
        )
        .collect();
    let primary = observed.first();
    let diagnosis = match primary {
        Some(run) => run
            .failure
            .as_ref()
            .map(|(d, _)| d.clone())
            .or(outcome.diagnosis),
        None => verdict::diagnosis_for(&verdict, options.profile.name),
    };
    let report = Report {
        schema_version: REPORT_SCHEMA_VERSION,
        tool: tool_info(),
        scenario: None,
        target: Target {
            url: options.url.clone(),
            kind: TargetKind::Live,
        },
        profile: options.profile.name.to_owned(),
        outcome: Outcome {
            health: health(primary.map(|_| outcome.health), &verdict, options.profile),
            diagnosis,
        },
        expectations: Vec::new(),
        summary: Summary::of(&checks),
        checks,
        exchanges: with_further_flows(outcome.exchanges, &observed, &experimented),
        verdict: Some(verdict),
        script: Vec::new(),
        client: None,
    };
    let result = baseline::evaluate(options.baseline.as_ref(), &report.checks, options.strict);
    Ok(CheckRun {
        name,
        report,
        consent: options.consent.as_str(),
        baseline: options.baseline,
        result,
    })
}

/// The report's health: the consent flow's, as the platform rolls it up, unless its own
/// profile's verdict says otherwise (the differential found the flow's failure, or the flow
/// connected where the verdict's evidence says a client of the profile cannot): a report never
/// says healthy beside "connects: no".
fn health(flow: Option<Health>, verdict: &Verdict, profile: &Profile) -> Health {
    let Some(flow) = flow else {
        return Health::Unknown;
    };
    let own = verdict.profiles.iter().find(|p| p.profile == profile.name);
    match own.map(|p| (p.connects, p.verified)) {
        Some((Connects::No, true)) => Health::Unhealthy,
        _ => flow,
    }
}

/// The consent flow's exchanges, then every further observed flow's and every experiment's,
/// each tagged with its profile: the evidence of every verdict.
fn with_further_flows(
    mut exchanges: Vec<mcp_oauth_reports::Exchange>,
    observed: &[Observed],
    experiments: &[Observed],
) -> Vec<mcp_oauth_reports::Exchange> {
    // The consent flow (observed[0]) is the report's own: its exchanges are already there.
    for run in observed.iter().skip(1).chain(experiments) {
        exchanges.extend(run.exchanges.iter().cloned().map(|mut x| {
            x.profile = Some(run.profile.to_owned());
            x
        }));
    }
    exchanges
}

/// Checks several targets, at most `jobs` at once; results come back in the order given.
pub async fn check_all(
    targets: Vec<CheckOptions>,
    jobs: usize,
) -> Vec<Result<CheckRun, CheckError>> {
    let semaphore = Arc::new(tokio::sync::Semaphore::new(jobs.max(1)));
    let handles: Vec<_> = targets
        .into_iter()
        .map(|options| {
            let semaphore = semaphore.clone();
            tokio::spawn(async move {
                let _permit = semaphore.acquire_owned().await;
                check(options).await
            })
        })
        .collect();
    let mut runs = Vec::new();
    for handle in handles {
        runs.push(match handle.await {
            Ok(run) => run,
            Err(e) => Err(CheckError::Panicked(e.to_string())),
        });
    }
    runs
}

/// Says on stderr which consent is next, before a browser opens for it.
fn announce(options: &CheckOptions, plan: &[&'static Profile], index: usize) {
    if options.consent != Consent::Browser {
        return;
    }
    if let Some(profile) = plan.get(index) {
        eprintln!(
            "{}: consent {} of {} opens in the browser, as a {} client",
            mcp_oauth_reports::render::text::one_line(&options.name),
            index + 1,
            plan.len(),
            profile.name
        );
    }
}

/// Consents that need a person (or the loopback port) take turns.
pub(crate) async fn interactive_turn(
    agent: &UserAgent,
) -> Option<tokio::sync::MutexGuard<'static, ()>> {
    if agent.is_interactive() {
        Some(INTERACTIVE_CONSENT.lock().await)
    } else {
        None
    }
}

/// The consent step runs the client flow from the start, so it asks some questions the probes
/// already asked: an answer that repeats one of the probes' (same check, same status) is
/// dropped; an answer that differs is kept, since the server changed its mind.
fn merge(checks: Vec<mcp_oauth_reports::Check>, probed: usize) -> Vec<mcp_oauth_reports::Check> {
    let (probes, consent) = checks.split_at(probed.min(checks.len()));
    let mut merged = probes.to_vec();
    merged.extend(
        consent
            .iter()
            .filter(|c| !probes.iter().any(|p| p.id == c.id && p.status == c.status))
            .cloned(),
    );
    merged
}
