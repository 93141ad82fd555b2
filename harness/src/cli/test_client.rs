//! `test-client --command CMD [SCENARIO…]`: judge someone else's MCP client over the catalog.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use mcp_oauth_reports::{Report, render};
use serde_json::{Value, json};

use super::{Format, print, scenarios_dir, usage_error};
use crate::check::baseline::{self, Baseline, BaselineResult};
use crate::profile::{self, Profile};
use crate::scenario::{self, Scenario};
use crate::test_client::{self, ClientCommand, TestClientOptions};

const AFTER_HELP: &str = "\
For each scenario: fresh mock servers in real time, then CMD with the MCP URL appended as its
last argument, MCP_CONFORMANCE_SCENARIO=<scenario> and MCP_CONFORMANCE_CONTEXT=<JSON object with
name, and client_id / client_secret for bring-your-own scenarios> in its environment (the
official MCP conformance suite's runner contract), and a verdict on what it did.

Examples:
  mcp-oauth-harness test-client --command \"my-client --verbose\"
  mcp-oauth-harness test-client --command \"node client.js\" revoked-refresh audience-required
  mcp-oauth-harness test-client --command \"my-client\" --baseline known.yaml --format junit --out reports/

Baselines (--baseline FILE) use check's YAML layout; the entries are client steps or checks:
  server:
    - client-registration                    # every check of this step may fail
    - client-token:client-resource-indicator # only this check may fail

Exit codes: 0 all as expected (after the baseline), 1 checks failed, 2 usage or infrastructure error.";

#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct TestClientArgs {
    /// The client under test: a command line, split as a shell would; the MCP URL is appended.
    #[arg(long, value_name = "CMD")]
    pub command: String,
    /// Scenario names (default: every catalog scenario that judges a client).
    pub scenarios: Vec<String>,
    /// Seconds the client may run in each scenario; then its process group is killed.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    /// How many scenarios run at once (default: the number of CPUs).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// The profile the client is judged under (default: the newest MCP spec revision).
    #[arg(long, default_value = profile::NEWEST_SPEC.name, value_parser = profile_name)]
    pub profile: String,
    /// Known failures (YAML, as for `check --baseline`): listed failures pass, unlisted ones
    /// fail, and listed entries that now pass fail the run as stale.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Write DIR/<scenario>.{json,md,html}, DIR/junit.xml and DIR/summary.json.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[arg(long, value_name = "DIR")]
    pub scenarios_dir: Option<PathBuf>,
}

fn profile_name(name: &str) -> Result<String, String> {
    profile::by_name(name)
        .map(|p| p.name.to_owned())
        .ok_or_else(|| format!("unknown profile; known: {}", profile::names().join(", ")))
}

pub async fn test_client(args: TestClientArgs) -> ExitCode {
    let command = match ClientCommand::parse(&args.command) {
        Ok(command) => command,
        Err(e) => return usage_error(e),
    };
    let profile: &'static Profile = profile::by_name(&args.profile).unwrap_or(profile::NEWEST_SPEC);
    let baseline = match args.baseline.as_deref().map(Baseline::load).transpose() {
        Ok(baseline) => baseline,
        Err(e) => return usage_error(e),
    };
    let catalog = match scenario::load_catalog(&scenarios_dir(args.scenarios_dir.as_deref())) {
        Ok(catalog) => catalog,
        Err(e) => return usage_error(e),
    };
    let scenarios = match select(catalog, &args.scenarios) {
        Ok(scenarios) => scenarios,
        Err(e) => return usage_error(e),
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let options = TestClientOptions {
        command,
        profile,
        timeout: Duration::from_secs(args.timeout.max(1)),
    };
    let reports = match test_client::run_all(scenarios, &options, jobs).await {
        Ok(reports) => reports,
        Err(e) => return usage_error(e),
    };
    let judged = judge(&reports, baseline.as_ref());
    if let Some(dir) = &args.out
        && let Err(e) = write_out(dir, &reports, &judged)
    {
        return usage_error(e);
    }
    match args.format {
        Format::Human => print!("{}", human(&reports, &judged, baseline.as_ref())),
        format => {
            print(&reports, format);
            if baseline.is_some() {
                eprint!("{}", baseline_lines(&judged));
            }
        }
    }
    if judged.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The named scenarios, or every one that says what a conformant client does against it. A
/// scenario named explicitly runs even without that section: its client is then judged on
/// the checks every flow answers (PKCE, state, redirect, resource, bearer, ...), with no
/// outcome expected.
fn select(catalog: Vec<Scenario>, wanted: &[String]) -> Result<Vec<Scenario>, String> {
    for name in wanted {
        if !catalog.iter().any(|s| &s.name == name) {
            return Err(format!(
                "no scenario named {name:?}; `mcp-oauth-harness scenarios` lists them"
            ));
        }
    }
    let selected: Vec<Scenario> = catalog
        .into_iter()
        .filter(|s| {
            if wanted.is_empty() {
                s.conformant_client.is_some()
            } else {
                wanted.contains(&s.name)
            }
        })
        .collect();
    if selected.is_empty() {
        return Err(
            "no catalog scenario has a [conformant-client] section; name the scenarios to run"
                .to_owned(),
        );
    }
    Ok(selected)
}

/// Each scenario's verdict, after the baseline when there is one.
#[derive(Debug, Default)]
struct Judged {
    /// Per report, in order: whether it passed, and its baseline comparison.
    scenarios: Vec<(bool, BaselineResult)>,
    /// Baseline entries that no scenario fails any more (judged over all scenarios at once).
    stale: Vec<String>,
}

impl Judged {
    fn passed(&self) -> bool {
        self.stale.is_empty() && self.scenarios.iter().all(|(passed, _)| *passed)
    }
}

fn judge(reports: &[Report], baseline: Option<&Baseline>) -> Judged {
    let scenarios = reports
        .iter()
        .map(|report| {
            let result = baseline::evaluate(baseline, &report.checks, false);
            let passed = match baseline {
                Some(_) => result.unexpected_failures.is_empty(),
                None => report.met_expectations(),
            };
            (passed, result)
        })
        .collect();
    let stale = match baseline {
        Some(baseline) => {
            let all: Vec<_> = reports.iter().flat_map(|r| r.checks.clone()).collect();
            baseline::evaluate(Some(baseline), &all, false).stale_entries
        }
        None => Vec::new(),
    };
    Judged { scenarios, stale }
}

fn human(reports: &[Report], judged: &Judged, baseline: Option<&Baseline>) -> String {
    let mut out = String::new();
    let width = reports
        .iter()
        .filter_map(|r| r.scenario.as_ref().map(String::len))
        .max()
        .unwrap_or(0);
    let mut passed = 0;
    for (report, (ok, result)) in reports.iter().zip(&judged.scenarios) {
        passed += usize::from(*ok);
        let name = report.scenario.as_deref().unwrap_or("");
        let s = &report.summary;
        let _ = writeln!(
            out,
            "{} {name:width$}  checks: {} ok, {} failed, {} warnings, {} skipped",
            if *ok { "PASS" } else { "FAIL" },
            s.success,
            s.failure,
            s.warning,
            s.skipped,
        );
        for e in report.expectations.iter().filter(|e| !e.met) {
            let _ = writeln!(
                out,
                "       expected {}: {} (got {})",
                e.description, e.expected, e.actual
            );
        }
        for failure in &result.unexpected_failures {
            let remedy = report
                .checks
                .iter()
                .find(|c| failure.ends_with(&format!(":{}", c.id)))
                .and_then(|c| c.remedy.as_deref())
                .unwrap_or("");
            let _ = writeln!(out, "       x {failure}: {remedy}");
        }
        for known in &result.expected_failures {
            let _ = writeln!(out, "       ~ {known} (in the baseline)");
        }
    }
    let _ = writeln!(
        out,
        "\nscenarios: {passed} passed, {} failed",
        reports.len() - passed
    );
    if baseline.is_some() {
        out.push_str(&baseline_lines(judged));
    }
    out
}

fn baseline_lines(judged: &Judged) -> String {
    let mut out = String::new();
    for entry in &judged.stale {
        let _ = writeln!(
            out,
            "  ! {entry} (stale: it passes now; remove it from the baseline)"
        );
    }
    out
}

fn summary(reports: &[Report], judged: &Judged) -> Value {
    let scenarios: Vec<Value> = reports
        .iter()
        .zip(&judged.scenarios)
        .map(|(report, (passed, result))| {
            json!({
                "name": report.scenario,
                "profile": report.profile,
                "passed": passed,
                "health": report.outcome.health,
                "summary": report.summary,
                "unexpectedFailures": result.unexpected_failures,
                "expectedFailures": result.expected_failures,
            })
        })
        .collect();
    json!({ "passed": judged.passed(), "scenarios": scenarios, "staleBaselineEntries": judged.stale })
}

fn write_out(dir: &Path, reports: &[Report], judged: &Judged) -> Result<(), String> {
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for report in reports {
        let name = report.scenario.as_deref().unwrap_or("report");
        write(&format!("{name}.json"), render::json(report))?;
        write(&format!("{name}.md"), render::markdown(report))?;
        write(&format!("{name}.html"), render::html(report))?;
    }
    write("junit.xml", render::junit_many(reports))?;
    write(
        "summary.json",
        serde_json::to_string_pretty(&summary(reports, judged)).unwrap_or_default(),
    )
}
