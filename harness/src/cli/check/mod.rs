//! `check URL` (or `check --targets FILE`): the live check's options, and how its results are
//! printed and written.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::ArgGroup;
use indicatif::ProgressBar;
use mcp_oauth_reports::Report;
use mcp_oauth_reports::render::text::one_line;
use mcp_oauth_reports::render::{
    self, BaselineJudgement, JunitOptions, TerminalText, markdown_text,
};
use serde_json::{Value, json};

use super::progress::{self, CheckTally};
use super::{Format, output, usage_error};
use crate::check::baseline::Baseline;
use crate::check::file_env::AllowedEnv;
use crate::check::gallery::GalleryEntry;
use crate::check::progress::planned_steps;
use crate::check::{
    self, CheckError, CheckOptions, CheckProgress, CheckRun, Consent, ProfileSelection,
    SecretOrigin, targets,
};
use crate::http::{HttpClient, HttpLimits};
use crate::profile;
use crate::redact::Redactor;
use crate::user_agent::{self, DEFAULT_CALLBACK_PORT};

mod human;
pub use human::human;
use human::{baseline_lines, verdict_line};

const CHECK_HELP: &str = "\
Consent (the part that needs a person to approve access):
  (default)             Opens the system browser at the authorization URL and waits for the
                        redirect on http://127.0.0.1:33418/callback. Change the port with
                        --redirect-port; with --client-id, that exact URL must be an allowed
                        redirect URI of your OAuth app.
  --authorize-with CMD  Runs CMD with the authorization URL as its last argument and waits
                        for the redirect on the same loopback callback: for automation, such
                        as a browser script that signs in and approves.
  --headless            For servers that approve without a person: reads the authorization
                        endpoint's redirect directly, no browser.
  --no-consent          Runs only the checks that need no person.
  The consent wait, like every request, is bounded by --timeout.

Baselines (--baseline FILE, YAML) list known failures, by step or by check:
  server:
    - registration                      # every check of the registration step may fail
    - discovery:pkce-s256-advertised    # only this check may fail
  An unlisted failure fails the run; a listed entry that now passes fails it as stale.

Examples:
  mcp-oauth-harness check https://mcp.example.com/mcp
  mcp-oauth-harness check https://mcp.example.com/mcp --client-id my-app --redirect-port 8765
  mcp-oauth-harness check https://mcp.example.com/mcp --authorize-with 'node approve.js --user ci'
  mcp-oauth-harness check https://mcp.example.com/mcp --no-consent --baseline known.yaml --format junit
  mcp-oauth-harness check --targets gallery.yaml --headless --out reports/

Exit codes: 0 all as expected (after the baseline), 1 checks failed, 2 usage or infrastructure error.";

#[derive(Debug, clap::Args)]
#[command(
    after_long_help = CHECK_HELP,
    after_help = "Consent: the system browser by default; --authorize-with CMD for automation; --headless for servers that approve on their own; --no-consent to skip it. See --help for details and examples.",
    group(ArgGroup::new("consent").args(["headless", "authorize_with", "no_consent"]).multiple(false)),
    group(ArgGroup::new("target").args(["url", "targets"]).required(true).multiple(false)),
)]
pub struct CheckArgs {
    /// The MCP server URL, exactly as a user would paste it.
    pub url: Option<String>,
    /// Check every target listed in FILE (YAML or TOML: name, url, client-id,
    /// client-secret-env, profile, scope, baseline, and the gallery fields flow,
    /// client-metadata-url and pinned endpoints; docs/gallery.md) concurrently, with one
    /// summary. `--gallery` is the same option.
    #[arg(long, value_name = "FILE", visible_alias = "gallery")]
    pub targets: Option<PathBuf>,
    /// With --targets/--gallery: check only these entries (repeatable).
    #[arg(long = "provider", value_name = "NAME", requires = "targets")]
    pub providers: Vec<String>,
    /// Let the file's `client-secret-env` name this environment variable too (repeatable);
    /// without it a file may name only MCP_OAUTH_* variables.
    #[arg(long = "allow-env", value_name = "NAME", requires = "targets")]
    pub allow_env: Vec<String>,
    /// A Client ID registered with the provider (bring-your-own OAuth app).
    #[arg(long)]
    pub client_id: Option<String>,
    /// The client secret of that app, if it has one.
    #[arg(long, env = "MCP_OAUTH_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// The client profile the consent step follows and the checks are judged by.
    #[arg(long, default_value = profile::PIPELINES.name, value_parser = profile_name)]
    pub profile: String,
    /// The profiles whose verdicts are observed, each in its own flow: `all` (the platform
    /// and the spec revisions), `clients` (the real-client profiles: mcp-remote-0.15,
    /// ts-sdk-2.4, python-sdk-2.3, ai-sdk-mcp-2.0, inspector-2.12; docs/profiles.md), or a
    /// comma-separated list of names and groups. Default: all with --headless or
    /// --authorize-with; with the browser, --profile plus one consent per further group of
    /// profiles that send different requests.
    #[arg(long, value_name = "all|clients|LIST", value_parser = profile_selection)]
    pub profiles: Option<ProfileSelection>,
    /// Scopes to request instead of those the server suggests.
    #[arg(long)]
    pub scope: Option<String>,
    /// Send `audience` with this value in every authorization request (the API identifier an
    /// authorization server such as Auth0 issues JWT access tokens for).
    #[arg(long, value_name = "ID", value_parser = crate::cli::audience_value)]
    pub audience: Option<String>,
    /// Port of the loopback callback http://127.0.0.1:PORT/callback (0: any free port).
    #[arg(long, default_value_t = DEFAULT_CALLBACK_PORT, value_name = "PORT")]
    pub redirect_port: u16,
    /// The callback exactly, host, port and path (http://localhost:8080/oauth/callback), for
    /// an OAuth app that allowlists one; loopback hosts only. Wins over --redirect-port.
    #[arg(long, value_name = "URL", value_parser = crate::user_agent::loopback_uri::parse)]
    pub redirect_uri: Option<crate::user_agent::LoopbackUri>,
    /// Seconds any one wait may take: each HTTP request, and the consent.
    #[arg(long, default_value_t = 120, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Also write DIR/<target>.json and the chosen format per target (one DIR/junit.xml for
    /// JUnit), plus DIR/summary.json.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Known failures (YAML), by step or by check; with --targets, for targets without their own.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Warnings fail the run too.
    #[arg(long)]
    pub strict: bool,
    /// Consent without a person: for servers that approve on their own.
    #[arg(long)]
    pub headless: bool,
    /// Consent by running CMD with the authorization URL as its last argument.
    #[arg(long, value_name = "CMD")]
    pub authorize_with: Option<String>,
    /// Skip consent: only the checks that need no person.
    #[arg(long)]
    pub no_consent: bool,
    /// How many targets are checked at once (with --targets).
    #[arg(long, short = 'j', default_value_t = 4)]
    pub jobs: usize,
}

fn profile_name(name: &str) -> Result<String, String> {
    profile::by_name(name)
        .map(|p| p.name.to_owned())
        .ok_or_else(|| format!("unknown profile; known: {}", profile::names().join(", ")))
}

fn profile_selection(text: &str) -> Result<ProfileSelection, String> {
    ProfileSelection::parse(text)
}

impl CheckArgs {
    fn consent(&self) -> Result<Consent, String> {
        if self.no_consent {
            return Ok(Consent::Skip);
        }
        if self.headless {
            return Ok(Consent::Headless);
        }
        if let Some(line) = &self.authorize_with {
            let (program, args) =
                user_agent::split_command(line).map_err(|e| format!("--authorize-with: {e}"))?;
            return Ok(Consent::Command { program, args });
        }
        Ok(Consent::Browser)
    }

    /// One CheckOptions per target.
    fn plan(&self) -> Result<Vec<CheckOptions>, String> {
        let consent = self.consent()?;
        let profile = profile::by_name(&self.profile).unwrap_or(&profile::PIPELINES);
        let baseline = match &self.baseline {
            Some(path) => Some(Baseline::load(path).map_err(|e| e.to_string())?),
            None => None,
        };
        let base = |url: &str| CheckOptions {
            profile,
            profiles: self.profiles.clone().unwrap_or_default(),
            scope: self.scope.clone(),
            audience: self.audience.clone(),
            consent: consent.clone(),
            redirect_port: self.redirect_port,
            redirect_uri: self.redirect_uri.clone(),
            timeout: Duration::from_secs(self.timeout),
            baseline: baseline.clone(),
            strict: self.strict,
            ..CheckOptions::new(url)
        };
        match (&self.url, &self.targets) {
            (Some(url), _) => Ok(vec![CheckOptions {
                client_id: self.client_id.clone(),
                client_secret: self.client_secret.clone(),
                ..base(url)
            }]),
            (None, Some(path)) => {
                let allowed = AllowedEnv::new(self.allow_env.iter().cloned());
                let list = targets::load(path, &allowed).map_err(|e| e.to_string())?;
                let list = targets::select(list, &self.providers, path)?;
                Ok(list
                    .into_iter()
                    .map(|t| {
                        let defaults = base(&t.url);
                        let gallery = t.is_gallery_entry().then(|| GalleryEntry {
                            url: t.url.clone(),
                            flow: t.flow,
                            scope: t.scope.clone(),
                            pinned: t.pinned.clone(),
                        });
                        CheckOptions {
                            name: t.name,
                            client_id: t.client_id,
                            client_secret: t.client_secret,
                            client_secret_origin: SecretOrigin::File,
                            profile: t.profile.unwrap_or(profile),
                            scope: t.scope.or(defaults.scope.clone()),
                            baseline: t.baseline.or(defaults.baseline.clone()),
                            client_metadata_url: t.client_metadata_url,
                            gallery,
                            ..defaults
                        }
                    })
                    .collect())
            }
            (None, None) => Err("give a URL or --targets FILE".to_owned()),
        }
    }
}

pub async fn check(args: CheckArgs) -> ExitCode {
    let plan = match args.plan() {
        Ok(plan) => plan,
        Err(e) => return usage_error(e),
    };
    let single = args.url.is_some();
    let runs = check_all(plan, args.jobs).await;
    if let Some(dir) = &args.out
        && let Err(e) = write_out(dir, &runs, args.strict, args.format)
    {
        return usage_error(e);
    }
    print(&runs, args.format, args.strict, single);
    exit_code(&runs)
}

/// Every target, concurrently, with a progress bar on stderr when it is a terminal: it
/// advances after each target's probes and after each of its profile flows.
async fn check_all(mut plan: Vec<CheckOptions>, jobs: usize) -> Vec<Result<CheckRun, CheckError>> {
    let tally = CheckTally::new(
        plan.iter()
            .map(|options| (options.name.clone(), planned_steps(options))),
    );
    let bar = progress::bar(
        tally.len(),
        if plan.len() > 1 { "targets" } else { "check" },
    );
    bar.set_message("probing");
    let tally = Arc::new(Mutex::new(tally));
    for (index, options) in plan.iter_mut().enumerate() {
        let (tally, bar) = (tally.clone(), bar.clone());
        options.progress = Some(CheckProgress::new(move |step| {
            let Ok(mut tally) = tally.lock() else { return };
            let message = tally.record(index, step);
            // Length and position in one redraw: the bar's rate limit allows 20 at once.
            let (len, position) = (tally.len() as u64, tally.position() as u64);
            bar.update(|state| {
                state.set_len(len);
                state.set_pos(position);
            });
            bar.set_message(message);
        }));
    }
    let indexed: Vec<(usize, CheckOptions)> = plan.into_iter().enumerate().collect();
    let done = (tally.clone(), bar.clone());
    let runs = progress::run_bounded(
        indexed,
        jobs,
        &ProgressBar::hidden(),
        |(_, options)| options.name.clone(),
        move |(index, options)| {
            let (tally, bar) = done.clone();
            async move {
                let run = check::check(options).await;
                if let Ok(mut tally) = tally.lock() {
                    tally.finish(index);
                    bar.set_position(tally.position() as u64);
                }
                run
            }
        },
    )
    .await;
    bar.finish_and_clear();
    runs.into_iter()
        .map(|result| result.unwrap_or_else(|e| Err(CheckError::Panicked(e))))
        .collect()
}

/// How the runs compare with their baselines, as JUnit shows it.
fn junit_baseline(runs: &[&CheckRun]) -> Option<BaselineJudgement> {
    if runs.iter().all(|r| r.baseline.is_none()) {
        return None;
    }
    let mut files: Vec<String> = runs
        .iter()
        .filter_map(|r| r.baseline.as_ref().map(|b| b.path.display().to_string()))
        .collect();
    files.dedup();
    let several = runs.len() > 1;
    Some(BaselineJudgement {
        file: files.join(", "),
        accepted: runs
            .iter()
            .map(|r| r.result.expected_failures.clone())
            .collect(),
        stale: runs
            .iter()
            .flat_map(|r| {
                r.result.stale_entries.iter().map(move |entry| {
                    if several {
                        format!("{}: {entry}", r.name)
                    } else {
                        entry.clone()
                    }
                })
            })
            .collect(),
    })
}

fn junit(runs: &[&CheckRun], strict: bool) -> String {
    let reports: Vec<Report> = runs.iter().map(|r| r.report.clone()).collect();
    render::junit_checks(
        &reports,
        junit_baseline(runs).as_ref(),
        JunitOptions { strict },
    )
}

/// 2 when any target could not be checked, else 1 when any failed, else 0.
pub fn exit_code(runs: &[Result<CheckRun, CheckError>]) -> ExitCode {
    if runs.iter().any(Result::is_err) {
        ExitCode::from(2)
    } else if runs.iter().flatten().all(CheckRun::passed) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn print(runs: &[Result<CheckRun, CheckError>], format: Format, strict: bool, single: bool) {
    for run in runs {
        if let Err(e) = run {
            output::stderr_line(&format!("error: {e}"));
        }
    }
    let ok: Vec<&CheckRun> = runs.iter().flatten().collect();
    let reports: Vec<Report> = ok.iter().map(|r| r.report.clone()).collect();
    match format {
        Format::Human => {
            let mut out = TerminalText::new(output::terminal().style);
            for run in &ok {
                human::human_with(&mut out, run, strict, output::terminal());
            }
            if !single {
                summary_table(&mut out, runs);
            }
            emit(&out.into_string());
            return;
        }
        Format::Json if single => {
            if let Some(report) = reports.first() {
                emit_line(&render::json(report));
            }
        }
        Format::Json => {
            let document = json!({ "summary": summary(runs), "reports": reports });
            emit_line(&render::json_text(&document));
        }
        Format::Markdown => {
            if !single {
                emit_line(&markdown_summary(runs));
            }
            for report in &reports {
                emit_line(&render::markdown(report));
            }
        }
        Format::Junit => emit_line(&junit(&ok, strict)),
        Format::Html => {
            for report in &reports {
                emit_line(&render::html(report));
            }
        }
    }
    // Machine formats keep stdout clean; the baseline's judgement goes to stderr.
    for run in &ok {
        let mut out = TerminalText::default();
        baseline_lines(&mut out, run);
        if !out.is_empty() {
            eprint!("{}", out.into_string());
        }
    }
}

/// Writes to stdout; a reader that went away (`| head`) is not an error worth a panic.
fn emit(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

fn emit_line(text: &str) {
    emit(&format!("{text}\n"));
}

fn summary_table(out: &mut TerminalText, runs: &[Result<CheckRun, CheckError>]) {
    let _ = writeln!(out, "Summary ({} targets)", runs.len());
    let width = runs
        .iter()
        .flatten()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(0);
    for run in runs {
        match run {
            Ok(run) => {
                let top = run
                    .report
                    .verdict
                    .as_ref()
                    .and_then(|v| v.top_fix.as_ref())
                    .map(|f| format!("  fix first: {}", one_line(&f.code)))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "  {}  {:width$}  {}{top}",
                    if run.passed() { "PASS " } else { "FAIL " },
                    one_line(&run.name),
                    verdict_line(run.report.verdict.as_ref())
                );
            }
            Err(e) => {
                let _ = writeln!(out, "  ERROR  {}", one_line(&e.to_string()));
            }
        }
    }
    let passed = runs.iter().flatten().filter(|r| r.passed()).count();
    let _ = writeln!(out, "\n{passed} passed, {} failed", runs.len() - passed);
}

fn markdown_summary(runs: &[Result<CheckRun, CheckError>]) -> String {
    let mut out = String::from(
        "# MCP OAuth check summary\n\n| Result | Target | Compatibility | Fix first |\n|---|---|---|---|\n",
    );
    for run in runs {
        match run {
            Ok(run) => {
                let fix = run
                    .report
                    .verdict
                    .as_ref()
                    .and_then(|v| v.top_fix.as_ref())
                    .map(|f| markdown_text::code_cell(&f.code))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {fix} |",
                    if run.passed() { "✅ pass" } else { "❌ fail" },
                    markdown_text::code_cell(&run.name),
                    markdown_text::cell(&verdict_line(run.report.verdict.as_ref()))
                );
            }
            Err(e) => {
                let _ = writeln!(
                    out,
                    "| ⚠️ error | | {} | |",
                    markdown_text::cell(&e.to_string())
                );
            }
        }
    }
    render::text::printable(&out).into_owned()
}

/// One entry per target, for `summary.json` and the JSON output of several targets.
pub fn summary(runs: &[Result<CheckRun, CheckError>]) -> Value {
    Value::Array(
        runs.iter()
            .map(|run| match run {
                Ok(run) => json!({
                    "name": run.name,
                    "url": run.report.target.url,
                    "profile": run.report.profile,
                    "consent": run.consent,
                    "passed": run.passed(),
                    "exitCode": run.exit_code(),
                    "connects": run.report.verdict.as_ref().map(|v| {
                        v.profiles.iter().map(|p| (p.profile.clone(), json!(p.connects))).collect::<serde_json::Map<_, _>>()
                    }),
                    "verified": run.report.verdict.as_ref().map(|v| {
                        v.profiles.iter().map(|p| (p.profile.clone(), json!(p.verified))).collect::<serde_json::Map<_, _>>()
                    }),
                    "topFix": run.report.verdict.as_ref().and_then(|v| v.top_fix.as_ref()).map(|f| f.code.clone()),
                    "diagnosis": run.report.outcome.diagnosis.as_ref().map(|d| d.code.clone()),
                    "summary": run.report.summary,
                    "expectedFailures": run.result.expected_failures,
                    "unexpectedFailures": run.result.unexpected_failures,
                    "staleEntries": run.result.stale_entries,
                }),
                Err(e) => json!({ "error": e.to_string(), "exitCode": 2 }),
            })
            .collect(),
    )
}

/// `--out DIR`: per target its JSON and the chosen format (`cli::output`), DIR/summary.json.
fn write_out(
    dir: &Path,
    runs: &[Result<CheckRun, CheckError>],
    strict: bool,
    format: Format,
) -> Result<(), String> {
    let ok: Vec<&CheckRun> = runs.iter().flatten().collect();
    let named: Vec<(String, &Report)> = ok
        .iter()
        .map(|r| (r.name.replace(['/', '\\'], "_"), &r.report))
        .collect();
    output::write_out(
        dir,
        format,
        &named,
        || junit(&ok, strict),
        |report| {
            let mut out = String::new();
            if let Some(run) = ok.iter().find(|r| std::ptr::eq(&r.report, report)) {
                human(&mut out, run, strict);
            }
            out
        },
        &summary(runs),
    )
}

/// Loads an authorization URL and follows its redirects until the end of the chain (normally
/// the loopback callback); for `--authorize-with` against servers that approve on their own.
#[derive(Debug, clap::Args)]
pub struct FollowConsentArgs {
    /// The authorization URL (passed as the last argument by --authorize-with).
    pub url: String,
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    #[arg(long, default_value_t = 10)]
    pub max_redirects: usize,
}

pub async fn follow_consent(args: FollowConsentArgs) -> ExitCode {
    let http = match HttpClient::new(
        HttpLimits {
            timeout: Duration::from_secs(args.timeout.max(1)),
            ..HttpLimits::default()
        },
        Redactor::default(),
    ) {
        Ok(http) => http,
        Err(e) => return usage_error(e),
    };
    match user_agent::follow_redirects(&http, &args.url, args.max_redirects).await {
        Ok(outcome) => {
            for url in &outcome.visited {
                output::stderr_line(&format!("visited {}", one_line(url)));
            }
            if (200..300).contains(&outcome.final_status) {
                ExitCode::SUCCESS
            } else {
                output::stderr_line(&format!("the last page answered {}", outcome.final_status));
                ExitCode::from(1)
            }
        }
        Err(e) => {
            output::stderr_line(&format!("error: {e}"));
            ExitCode::from(1)
        }
    }
}
