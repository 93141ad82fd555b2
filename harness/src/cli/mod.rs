//! The command line: `run` (the catalog against the embedded mocks), `scenarios` (list),
//! `connect` (the plain client flow once), `serve` (a scenario's mocks for another client,
//! judged), `test-client` (each scenario's mocks with a command as the client under test,
//! judged), `check` (a live server), and `follow-consent` (an `--authorize-with` helper).
//! Exit codes: 0 all as expected, 1 checks or expectations failed, 2 usage or infrastructure.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use mcp_oauth_reports::{Report, render};
use serde_json::json;

use crate::profile::{self, Profile};
use crate::runner;
use crate::scenario::{self, Scenario};

pub mod check;
mod connect;
mod serve;
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
    /// Write one DIR/<scenario>.json per run plus DIR/summary.json.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Where the scenario files are (default: ./scenarios, else the bundled catalog).
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

pub fn scenarios_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(dir) = explicit {
        return dir.to_owned();
    }
    let local = PathBuf::from("scenarios");
    if local.is_dir() {
        local
    } else {
        scenario::catalog_dir()
    }
}

pub async fn main(cli: Cli) -> ExitCode {
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

pub(crate) fn usage_error(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

fn list(args: ScenariosArgs) -> ExitCode {
    let catalog = match scenario::load_catalog(&scenarios_dir(args.scenarios_dir.as_deref())) {
        Ok(catalog) => catalog,
        Err(e) => return usage_error(e),
    };
    let width = catalog.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for s in &catalog {
        println!(
            "{:width$}  [{}]  {}",
            s.name,
            s.profiles.join(", "),
            s.description
        );
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
    let catalog = match scenario::load_catalog(&scenarios_dir(args.scenarios_dir.as_deref())) {
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
    let mut reports = match run_all(runs, jobs).await {
        Ok(reports) => reports,
        Err(e) => return usage_error(e),
    };
    if let Some(profile) = only {
        unjudge_undeclared(&mut reports, &declared, profile);
    }
    if let Some(dir) = &args.out
        && let Err(e) = write_out(dir, &reports)
    {
        return usage_error(e);
    }
    print(&reports, args.format);
    if reports.iter().all(Report::met_expectations) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
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

fn write_out(dir: &Path, reports: &[Report]) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut summary = Vec::new();
    for report in reports {
        let name = report
            .scenario
            .clone()
            .unwrap_or_else(|| "report".to_owned());
        let path = dir.join(format!("{name}.json"));
        std::fs::write(&path, render::json(report))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        summary.push(json!({
            "name": name,
            "profile": report.profile,
            "metExpectations": report.met_expectations(),
            "health": report.outcome.health,
            "diagnosis": report.outcome.diagnosis.as_ref().map(|d| d.code.clone()),
        }));
    }
    let path = dir.join("summary.json");
    let text = serde_json::to_string_pretty(&summary).unwrap_or_default();
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub(crate) fn print(reports: &[Report], format: Format) {
    match format {
        Format::Human => print_human(reports),
        Format::Json => {
            let value = if reports.len() == 1 {
                serde_json::to_value(&reports[0])
            } else {
                serde_json::to_value(reports)
            };
            println!(
                "{}",
                serde_json::to_string_pretty(&value.unwrap_or_default()).unwrap_or_default()
            );
        }
        Format::Markdown => {
            for report in reports {
                println!("{}", render::markdown(report));
            }
        }
        Format::Junit => println!("{}", render::junit_many(reports)),
        Format::Html => {
            for report in reports {
                println!("{}", render::html(report));
            }
        }
    }
}

fn print_human(reports: &[Report]) {
    let width = reports
        .iter()
        .filter_map(|r| r.scenario.as_ref().map(String::len))
        .max()
        .unwrap_or(0);
    let (mut passed, mut failed, mut unjudged) = (0, 0, 0);
    for report in reports {
        let met = report.met_expectations();
        match (report.expectations.is_empty(), met) {
            (true, _) => unjudged += 1,
            (false, true) => passed += 1,
            (false, false) => failed += 1,
        }
        let name = report.scenario.as_deref().unwrap_or("");
        let diagnosis = report
            .outcome
            .diagnosis
            .as_ref()
            .map_or(String::new(), |d| format!("  diagnosis: {}", d.code));
        let s = &report.summary;
        let verdict = match (report.expectations.is_empty(), met) {
            (true, _) => "RAN ",
            (false, true) => "PASS",
            (false, false) => "FAIL",
        };
        println!(
            "{verdict} {name:width$}  {:9}  checks: {} ok, {} failed, {} warnings{diagnosis}",
            report.outcome.health.as_str(),
            s.success,
            s.failure,
            s.warning,
        );
        for e in report.expectations.iter().filter(|e| !e.met) {
            println!(
                "       expected {}: {} (got {})",
                e.description, e.expected, e.actual
            );
        }
    }
    println!("\nscenarios: {passed} passed, {failed} failed");
    if unjudged > 0 {
        println!("({unjudged} ran unjudged: they do not declare the profile given with --profile)");
    }
}
