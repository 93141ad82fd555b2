//! The command line: `run` (the catalog against the embedded mocks), `scenarios` (list),
//! `connect` (the plain client flow once), `serve` (a scenario's mocks for another client,
//! judged), `test-client` (each scenario's mocks with a command as the client under test,
//! judged), `check` (a live server), and `follow-consent` (an `--authorize-with` helper).
//! Exit codes: 0 all as expected, 1 checks or expectations failed, 2 usage or infrastructure.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use mcp_oauth_reports::Report;
use mcp_oauth_reports::render::text::one_line;
use mcp_oauth_reports::render::{self, BaselineJudgement, JunitOptions};
use serde_json::json;

use crate::profile::{self, Profile};
use crate::runner;
use crate::scenario::{CatalogSource, Scenario};

pub mod check;
mod connect;
#[cfg(test)]
mod hostile_text;
pub mod output;
mod progress;
mod serve;
pub mod shards;
mod test_client;

#[derive(Debug, Parser)]
#[command(
    name = "mcp-oauth-harness",
    version,
    about = "Conformance harness and mock servers for OAuth-protected MCP servers",
    long_about = "Runs the OAuth 2.1 client flow an MCP client uses (discovery, registration, consent, token exchange, tool calls, refresh) against mock servers that reproduce real failure modes, and reports what worked, what did not, and how to fix it."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Show each run's step timeline with its failed and warning checks and their fixes.
    #[arg(long, short = 'v', global = true)]
    pub verbose: bool,
    /// Show only failures and the final count.
    #[arg(long, short = 'q', global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

impl Cli {
    /// Whether the command is best served by a single-threaded runtime: one flow (`connect`),
    /// the catalog (whose runs have threads of their own, `shards.rs`) or a listing. On a
    /// work-stealing runtime one flow's requests and answers wake other worker threads, which
    /// cost `connect` more CPU than the flow itself; `serve`, `check` and `test-client` serve
    /// or drive many things at once and keep the multi-threaded runtime.
    pub fn wants_one_thread(&self) -> bool {
        matches!(
            self.command,
            Command::Run(_) | Command::Scenarios(_) | Command::Connect(_)
        )
    }
}

/// `--version`: the tool, the MCP spec revisions its profiles follow, and the catalog it
/// carries.
pub fn long_version() -> String {
    let revisions: Vec<&str> = profile::names()
        .into_iter()
        .filter_map(|name| name.strip_prefix("mcp-"))
        .collect();
    format!(
        "{}\nMCP authorization spec revisions: {}\nprofiles: {}\ncatalog: {} scenarios (embedded; --scenarios-dir DIR overrides)",
        env!("CARGO_PKG_VERSION"),
        revisions.join(", "),
        profile::names().join(", "),
        CatalogSource::embedded_len()
    )
}

/// Parses the command line, with the long version text computed at start-up.
pub fn parse() -> Cli {
    // Leaked once at start-up: clap keeps the text for the life of the process anyway.
    let version: &'static str = Box::leak(long_version().into_boxed_str());
    let matches = Cli::command().long_version(version).get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run catalog scenarios against the embedded mock servers.
    Run(RunArgs),
    /// List the scenario catalog.
    Scenarios(ScenariosArgs),
    /// Run the plain client flow once against a URL, with the headless user agent.
    ///
    /// Exits 0 when the client connected and listed the tools, and called the first one if
    /// the server has any. Usable as the client under test by the official MCP conformance
    /// runner: it reads MCP_CONFORMANCE_SCENARIO and MCP_CONFORMANCE_CONTEXT (a JSON object
    /// with client_id / client_secret).
    Connect(connect::ConnectArgs),
    /// Start a scenario's mock servers for another client to connect to, and judge it.
    ///
    /// Prints the MCP URL to paste into the client under test, fires the scenario's
    /// server-side triggers as the client progresses, and on exit (Ctrl-C, --once, --timeout)
    /// writes the client's verdict: which client checks passed and failed, and why.
    Serve(serve::ServeArgs),
    /// Check a live MCP server: would a client connect, what is wrong if not, how to fix it.
    ///
    /// Probes the server, its metadata and its authorization server without a person, then
    /// (unless --no-consent) goes through consent with the system browser, an
    /// --authorize-with command or --headless, and uses, refreshes and revokes the tokens.
    /// The report opens with a compatibility verdict for every client profile.
    Check(check::CheckArgs),
    /// Judge an MCP client: run CMD against each scenario's mock servers and report.
    ///
    /// For each scenario (default: every one that judges a client), fresh mocks in real time,
    /// then CMD with the MCP URL as its last argument and MCP_CONFORMANCE_SCENARIO /
    /// MCP_CONFORMANCE_CONTEXT in its environment, as the official conformance suite runs it.
    TestClient(test_client::TestClientArgs),
    /// Follow an authorization URL's redirects to the end (an --authorize-with helper).
    #[command(hide = true)]
    FollowConsent(check::FollowConsentArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Markdown,
    Junit,
    Html,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario names to run (default: the whole catalog).
    pub scenarios: Vec<String>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Write DIR/<scenario>.json and the chosen format per run (one DIR/junit.xml for
    /// JUnit), plus DIR/summary.json.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Where the scenario files are (default: the catalog embedded in the binary).
    #[arg(long, value_name = "DIR")]
    pub scenarios_dir: Option<PathBuf>,
    /// How many scenarios run at once (default: the number of CPUs).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Run every scenario under this profile only. Scenarios that do not declare it run
    /// unjudged: their reports show what happened, without expectations.
    #[arg(long, value_parser = profile_name)]
    pub profile: Option<String>,
}

fn profile_name(name: &str) -> Result<String, String> {
    profile::by_name(name)
        .map(|p| p.name.to_owned())
        .ok_or_else(|| format!("unknown profile; known: {}", profile::names().join(", ")))
}

#[derive(Debug, clap::Args)]
pub struct ScenariosArgs {
    #[arg(long, value_name = "DIR")]
    pub scenarios_dir: Option<PathBuf>,
}

/// The catalog a command reads: `--scenarios-dir` when given, else the embedded one.
pub fn catalog(explicit: Option<&Path>) -> CatalogSource {
    CatalogSource::from_option(explicit)
}

pub async fn main(cli: Cli) -> ExitCode {
    output::init(cli.verbose, cli.quiet);
    match cli.command {
        Command::Run(args) => run(args).await,
        Command::Scenarios(args) => list(args),
        Command::Connect(args) => connect::connect(args).await,
        Command::Serve(args) => serve::serve(args).await,
        Command::Check(args) => check::check(args).await,
        Command::TestClient(args) => test_client::test_client(args).await,
        Command::FollowConsent(args) => check::follow_consent(args).await,
    }
}

/// An `--audience` value: a non-empty identifier without spaces or control characters.
pub(crate) fn audience_value(text: &str) -> Result<String, String> {
    if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("an audience is a non-empty identifier without spaces".to_owned());
    }
    Ok(text.to_owned())
}

/// `error: MESSAGE` on stderr, exit code 2. The message is shown printable: it can quote a
/// file or a server.
pub(crate) fn usage_error(message: impl std::fmt::Display) -> ExitCode {
    output::stderr_line(&format!("error: {message}"));
    ExitCode::from(2)
}

fn list(args: ScenariosArgs) -> ExitCode {
    let catalog = match catalog(args.scenarios_dir.as_deref()).load_all() {
        Ok(catalog) => catalog,
        Err(e) => return usage_error(e),
    };
    let width = catalog.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for s in &catalog {
        output::stdout_line(&format!(
            "{:width$}  [{}]  {}",
            s.name,
            s.profiles.join(", "),
            one_line(&s.description)
        ));
    }
    ExitCode::SUCCESS
}

/// Every (scenario, profile) pair to run, in catalog order: each scenario under its own
/// profiles, or under `only` when given.
fn plan(
    catalog: Vec<Scenario>,
    wanted: &[String],
    only: Option<&'static Profile>,
) -> Result<Vec<(Arc<Scenario>, &'static Profile)>, String> {
    for name in wanted {
        if !catalog.iter().any(|s| &s.name == name) {
            return Err(format!(
                "no scenario named {name:?}; `mcp-oauth-harness scenarios` lists them"
            ));
        }
    }
    let mut runs = Vec::new();
    for scenario in catalog {
        if !wanted.is_empty() && !wanted.contains(&scenario.name) {
            continue;
        }
        let scenario = Arc::new(scenario);
        if let Some(profile) = only {
            runs.push((scenario, profile));
            continue;
        }
        for name in &scenario.profiles {
            let profile =
                profile::by_name(name).ok_or_else(|| format!("unknown profile {name}"))?;
            runs.push((scenario.clone(), profile));
        }
    }
    Ok(runs)
}

async fn run(args: RunArgs) -> ExitCode {
    let source = catalog(args.scenarios_dir.as_deref());
    let catalog = if args.scenarios.is_empty() {
        source.load_all().map_err(|e| e.to_string())
    } else {
        source
            .load_named(&args.scenarios)
            .map_err(|e| e.to_string())
    };
    let catalog = match catalog {
        Ok(catalog) => catalog,
        Err(e) => return usage_error(e),
    };
    let only = args.profile.as_deref().and_then(profile::by_name);
    let declared: Vec<(String, Vec<String>)> = catalog
        .iter()
        .map(|s| (s.name.clone(), s.profiles.clone()))
        .collect();
    let runs = match plan(catalog, &args.scenarios, only) {
        Ok(runs) => runs,
        Err(e) => return usage_error(e),
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);
    // The human lines without `-v` show each run's summary, outcome and unmet expectations;
    // nothing else of a report needs to outlive its run.
    let keep =
        if args.format == Format::Human && args.out.is_none() && !output::terminal().verbose() {
            Keep::WhatTheLinesShow
        } else {
            Keep::Everything
        };
    let mut reports = match run_all_with_progress(runs, jobs, keep).await {
        Ok(reports) => reports,
        Err(e) => return usage_error(e),
    };
    if let Some(profile) = only {
        unjudge_undeclared(&mut reports, &declared, profile);
    }
    if let Some(dir) = &args.out
        && let Err(e) = write_out(dir, &reports, args.format)
    {
        return usage_error(e);
    }
    print_run(&reports, args.format);
    let code = if reports.iter().all(Report::met_expectations) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    exit_keeping(code, reports)
}

/// `code`, leaving `reports` unfreed: the process ends with the command. Freeing every run's
/// evidence one allocation at a time, on one thread after the runs, took 13–17 ms at the end
/// of the catalog (docs/PERFORMANCE.md); the operating system takes the memory back at once.
fn exit_keeping<T>(code: ExitCode, reports: Vec<T>) -> ExitCode {
    std::mem::forget(reports);
    code
}

/// As [`run_all`], with a progress bar on stderr when it is a terminal.
/// How much of each run's report `run` keeps until it prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    Everything,
    /// The summary, outcome and expectations: the checks, exchanges and script are dropped as
    /// each run ends, on the job thread, whose next run reuses their memory. Kept for the
    /// whole catalog, they were about a fifth of `run`'s peak memory.
    WhatTheLinesShow,
}

impl Keep {
    fn apply(self, mut report: Report) -> Report {
        if self == Keep::WhatTheLinesShow {
            report.checks = Vec::new();
            report.exchanges = Vec::new();
            report.script = Vec::new();
        }
        report
    }
}

async fn run_all_with_progress(
    runs: Vec<(Arc<Scenario>, &'static Profile)>,
    jobs: usize,
    keep: Keep,
) -> Result<Vec<Report>, runner::RunError> {
    let bar = progress::bar(runs.len(), "scenarios");
    let results = shards::run_sharded(
        runs,
        jobs,
        &bar,
        |(scenario, profile)| format!("{}@{}", scenario.name, profile.name),
        move |(scenario, profile)| async move {
            runner::run_scenario(&scenario, profile)
                .await
                .map(|report| keep.apply(report))
        },
    )
    .await;
    let mut reports = Vec::new();
    for result in results {
        reports.push(result.map_err(runner::RunError::Panicked)??);
    }
    Ok(reports)
}

/// Runs concurrently, at most `jobs` at a time; reports come back in plan order.
pub async fn run_all(
    runs: Vec<(Arc<Scenario>, &'static Profile)>,
    jobs: usize,
) -> Result<Vec<Report>, runner::RunError> {
    let semaphore = Arc::new(tokio::sync::Semaphore::new(jobs));
    let mut handles = Vec::new();
    for (scenario, profile) in runs {
        let semaphore = semaphore.clone();
        handles.push(tokio::spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            runner::run_scenario(&scenario, profile).await
        }));
    }
    let mut reports = Vec::new();
    for handle in handles {
        match handle.await {
            Ok(result) => reports.push(result?),
            Err(e) => {
                return Err(runner::RunError::Panicked(e.to_string()));
            }
        }
    }
    Ok(reports)
}

/// A scenario's expectations are written for its own profiles; under another one, the run is
/// reported as it happened, unjudged.
fn unjudge_undeclared(
    reports: &mut [Report],
    declared: &[(String, Vec<String>)],
    profile: &Profile,
) {
    for report in reports {
        let scenario = report.scenario.as_deref().unwrap_or("");
        let base = scenario.split('@').next().unwrap_or(scenario);
        let declares = declared
            .iter()
            .any(|(name, profiles)| name == base && profiles.iter().any(|p| p == profile.name));
        if !declares {
            report.expectations.clear();
        }
    }
}

/// `--out DIR` of `run`: per run its JSON and the chosen format, and DIR/summary.json.
fn write_out(dir: &Path, reports: &[Report], format: Format) -> Result<(), String> {
    let summary: Vec<_> = reports
        .iter()
        .map(|report| {
            json!({
                "name": output::file_name(report),
                "profile": report.profile,
                "metExpectations": report.met_expectations(),
                "health": report.outcome.health,
                "diagnosis": report.outcome.diagnosis.as_ref().map(|d| d.code.clone()),
            })
        })
        .collect();
    let named: Vec<(String, &Report)> = reports.iter().map(|r| (output::file_name(r), r)).collect();
    output::write_out(
        dir,
        format,
        &named,
        || render::junit_run(reports),
        |report| output::scenario_runs(std::slice::from_ref(report), output::Terminal::default()),
        &serde_json::Value::Array(summary),
    )
}

/// `run`'s stdout: scenario runs, judged by their expectations.
fn print_run(reports: &[Report], format: Format) {
    match format {
        Format::Human => emit(&output::scenario_runs(reports, output::terminal())),
        Format::Junit => emit_line(&render::junit_run(reports)),
        Format::Markdown if reports.len() > 1 => emit_line(&render::markdown_catalog(reports)),
        format => print(reports, format, None),
    }
}

/// Judged clients' and single reports' stdout: checks as the unit (JUnit a case per check).
pub(crate) fn print(reports: &[Report], format: Format, baseline: Option<&BaselineJudgement>) {
    match format {
        Format::Human => emit(&output::scenario_runs(reports, output::terminal())),
        Format::Json if reports.len() == 1 => emit_line(&render::json(&reports[0])),
        Format::Json => emit_line(&render::json_text(&reports)),
        Format::Markdown if reports.len() > 1 => emit_line(&render::markdown_catalog(reports)),
        Format::Markdown => {
            for report in reports {
                emit_line(&render::markdown(report));
            }
        }
        Format::Junit => emit_line(&render::junit_checks(
            reports,
            baseline,
            JunitOptions::default(),
        )),
        Format::Html => {
            for report in reports {
                emit_line(&render::html(report));
            }
        }
    }
}

/// Writes to stdout; a reader that went away (`| head`) is not an error worth a panic. The
/// text is a renderer's output (`render::*`, a `TerminalText`), printable already.
pub(crate) fn emit(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

pub(crate) fn emit_line(text: &str) {
    emit(&format!("{text}\n"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use output::{Terminal, Verbosity};

    #[tokio::test]
    async fn the_lines_without_verbose_read_nothing_that_keep_drops() {
        let scenario = CatalogSource::Embedded.load("dcr-happy-path").unwrap();
        let profile = profile::by_name(&scenario.profiles[0]).unwrap();
        let mut full = runner::run_scenario(&scenario, profile).await.unwrap();
        // A failed run's lines show its unmet expectations too.
        full.expectations[0].met = false;
        let kept = Keep::WhatTheLinesShow.apply(full.clone());
        assert!(kept.checks.is_empty() && kept.exchanges.is_empty() && kept.script.is_empty());
        for verbosity in [Verbosity::Quiet, Verbosity::Normal] {
            let terminal = Terminal {
                verbosity,
                ..Terminal::default()
            };
            let shown = output::scenario_runs(std::slice::from_ref(&full), terminal);
            assert!(shown.contains("FAIL dcr-happy-path"), "{shown}");
            assert_eq!(
                shown,
                output::scenario_runs(std::slice::from_ref(&kept), terminal)
            );
        }
        assert_eq!(Keep::Everything.apply(full.clone()), full);
    }
}
