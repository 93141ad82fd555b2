//! `test-client --command CMD [SCENARIO…]`: judge someone else's MCP client over the catalog.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use mcp_oauth_reports::render::text::one_line;
use mcp_oauth_reports::render::{self, BaselineJudgement, TerminalText};
use mcp_oauth_reports::{Report, Status};
use serde_json::{Value, json};

use super::{Format, catalog, output, print, progress, usage_error};
use crate::check::baseline::{self, Baseline, BaselineResult};
use crate::profile::{self, Profile};
use crate::scenario::Scenario;
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
    let catalog = match catalog(args.scenarios_dir.as_deref()).load_all() {
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
    let reports = match run_all(scenarios, options, jobs).await {
        Ok(reports) => reports,
        Err(e) => return usage_error(e),
    };
    let judged = judge(&reports, baseline.as_ref());
    let judgement = baseline.as_ref().map(|b| junit_baseline(b, &judged));
    if let Some(dir) = &args.out
        && let Err(e) = write_out(dir, &reports, &judged, args.format, judgement.as_ref())
    {
        return usage_error(e);
    }
    match args.format {
        Format::Human => super::emit(&human(
            &reports,
            &judged,
            baseline.as_ref(),
            output::terminal(),
        )),
        format => {
            print(&reports, format, judgement.as_ref());
            if baseline.is_some() {
                let mut lines = TerminalText::default();
                baseline_lines(&mut lines, &judged);
                eprint!("{}", lines.into_string());
            }
        }
    }
    let code = if judged.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    super::exit_keeping(code, reports)
}

/// Each scenario with the client, a progress bar on stderr when it is a terminal.
async fn run_all(
    scenarios: Vec<Scenario>,
    options: TestClientOptions,
    jobs: usize,
) -> Result<Vec<Report>, test_client::TestClientError> {
    let bar = progress::bar(scenarios.len(), "test-client");
    let options = std::sync::Arc::new(options);
    let results = progress::run_bounded(
        scenarios,
        jobs,
        &bar,
        |scenario| scenario.name.clone(),
        move |scenario| {
            let options = options.clone();
            async move { test_client::run_scenario(scenario, &options).await }
        },
    )
    .await;
    let mut reports = Vec::new();
    for result in results {
        reports.push(result.map_err(test_client::TestClientError::Panicked)??);
    }
    Ok(reports)
}

/// The baseline's judgement as JUnit shows it: accepted failures skip, stale entries fail.
fn junit_baseline(baseline: &Baseline, judged: &Judged) -> BaselineJudgement {
    BaselineJudgement {
        file: baseline.path.display().to_string(),
        accepted: judged
            .scenarios
            .iter()
            .map(|(_, result)| result.expected_failures.clone())
            .collect(),
        stale: judged.stale.clone(),
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

fn human(
    reports: &[Report],
    judged: &Judged,
    baseline: Option<&Baseline>,
    terminal: output::Terminal,
) -> String {
    let mut out = TerminalText::new(terminal.style);
    let width = reports
        .iter()
        .filter_map(|r| r.scenario.as_ref().map(String::len))
        .max()
        .unwrap_or(0);
    let mut passed = 0;
    for (report, (ok, result)) in reports.iter().zip(&judged.scenarios) {
        passed += usize::from(*ok);
        if terminal.quiet() && *ok {
            continue;
        }
        let name = one_line(report.scenario.as_deref().unwrap_or(""));
        let s = &report.summary;
        if *ok {
            out.paint(Status::Success, "PASS");
        } else {
            out.paint(Status::Failure, "FAIL");
        }
        let _ = writeln!(
            out,
            " {name:width$}  checks: {} ok, {} failed, {} warnings, {} skipped",
            s.success, s.failure, s.warning, s.skipped,
        );
        output::unmet_expectations(&mut out, report);
        for failure in &result.unexpected_failures {
            let remedy = report
                .checks
                .iter()
                .find(|c| failure.ends_with(&format!(":{}", c.id)))
                .and_then(|c| c.remedy.as_deref())
                .unwrap_or("");
            let _ = writeln!(out, "       x {}: {}", one_line(failure), one_line(remedy));
        }
        for known in &result.expected_failures {
            let _ = writeln!(out, "       ~ {} (in the baseline)", one_line(known));
        }
        if terminal.verbose() {
            render::timeline(report, &mut out);
        }
    }
    let _ = writeln!(
        out,
        "\nscenarios: {passed} passed, {} failed",
        reports.len() - passed
    );
    if baseline.is_some() {
        baseline_lines(&mut out, judged);
    }
    out.into_string()
}

fn baseline_lines(out: &mut TerminalText, judged: &Judged) {
    for entry in &judged.stale {
        let _ = writeln!(
            out,
            "  ! {} (stale: it passes now; remove it from the baseline)",
            one_line(entry)
        );
    }
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

/// `--out DIR`: per scenario the client's report as JSON and in the chosen format (`cli::output`).
fn write_out(
    dir: &Path,
    reports: &[Report],
    judged: &Judged,
    format: Format,
    judgement: Option<&BaselineJudgement>,
) -> Result<(), String> {
    let named: Vec<(String, &Report)> = reports.iter().map(|r| (output::file_name(r), r)).collect();
    output::write_out(
        dir,
        format,
        &named,
        || render::junit_checks(reports, judgement, Default::default()),
        |report| {
            let index = reports
                .iter()
                .position(|r| std::ptr::eq(r, report))
                .unwrap_or(0);
            let one = Judged {
                scenarios: judged.scenarios.get(index).cloned().into_iter().collect(),
                stale: Vec::new(),
            };
            human(
                std::slice::from_ref(report),
                &one,
                None,
                output::Terminal::default(),
            )
        },
        &summary(reports, judged),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::hostile_text;
    use mcp_oauth_reports::render::TerminalStyle;

    #[test]
    fn the_human_summary_shows_a_hostile_run_escaped() {
        let reports = [hostile_text::report()];
        let judged = Judged {
            scenarios: vec![(
                false,
                BaselineResult {
                    unexpected_failures: vec![hostile_text::HOSTILE.to_owned()],
                    expected_failures: vec![hostile_text::HOSTILE.to_owned()],
                    stale_entries: Vec::new(),
                },
            )],
            stale: vec![hostile_text::HOSTILE.to_owned()],
        };
        for verbosity in [
            output::Verbosity::Quiet,
            output::Verbosity::Normal,
            output::Verbosity::Verbose,
        ] {
            let terminal = output::Terminal {
                verbosity,
                style: TerminalStyle { colour: true },
            };
            let baseline = None;
            let out = human(&reports, &judged, baseline, terminal);
            hostile_text::assert_inert(&hostile_text::without_colours(&out));
            let mut lines = TerminalText::default();
            baseline_lines(&mut lines, &judged);
            assert!(!lines.into_string().contains('\u{1b}'));
        }
    }
}
