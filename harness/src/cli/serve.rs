//! `serve SCENARIO`: a scenario's mocks for someone else's client, its server-side steps as
//! triggers on the client's progress, and the client's verdict written on exit (Ctrl-C,
//! `--once`, `--timeout`). Exit codes as `run`: 0 conformant, 1 checks failed, 2 usage or
//! infrastructure.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::ValueEnum;
use mcp_oauth_reports::{Report, Status, render};

use super::{Format, output, print, usage_error};
use crate::profile::{self, Profile};
use crate::served::{Completion, ServeConsent, ServeOptions, ServedScenario};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConsentArg {
    /// Approve at once and redirect back (no page).
    Headless,
    /// A real HTML approve/deny page, for browser-driven clients.
    Page,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The scenario whose mocks to serve.
    pub scenario: String,
    /// Port for the MCP resource server (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub mcp_port: u16,
    /// Port for the authorization server (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub auth_port: u16,
    #[arg(long, value_name = "DIR")]
    pub scenarios_dir: Option<PathBuf>,
    /// Stop after one complete flow: the client's successful tools/call (or the scenario's
    /// own end condition).
    #[arg(long)]
    pub once: bool,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// The profile the client is judged under (default: the newest MCP revision).
    #[arg(long, default_value = profile::NEWEST_SPEC.name, value_parser = profile_name)]
    pub profile: String,
    /// Format of the verdict printed on exit.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Also write the client's report as DIR/<scenario>.json, .md, .html and DIR/junit.xml.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// How the person at the consent screen is played.
    #[arg(long, value_enum, default_value = "headless")]
    pub consent: ConsentArg,
}

fn profile_name(name: &str) -> Result<String, String> {
    profile::by_name(name)
        .map(|p| p.name.to_owned())
        .ok_or_else(|| format!("unknown profile; known: {}", profile::names().join(", ")))
}

pub async fn serve(args: ServeArgs) -> ExitCode {
    let profile: &'static Profile = profile::by_name(&args.profile).unwrap_or(profile::NEWEST_SPEC);
    let options = ServeOptions {
        profile,
        mcp_port: args.mcp_port,
        auth_port: args.auth_port,
        consent: match args.consent {
            ConsentArg::Headless => ServeConsent::Headless,
            ConsentArg::Page => ServeConsent::Page,
        },
        scenarios_dir: args.scenarios_dir.clone(),
        real_time: false,
    };
    let served = match ServedScenario::start_with(args.scenario.as_str(), options).await {
        Ok(served) => served,
        Err(e) => return usage_error(e),
    };
    announce(&served, profile);
    let completion = wait(&served, args.once, args.timeout).await;
    let report = served.judge();
    served.stop();
    match completion {
        Ok(Some(Completion::Done)) => eprintln!("\nthe client completed the flow"),
        Ok(Some(Completion::TimedOut)) => eprintln!("\ntimed out"),
        Ok(None) => eprintln!("\ninterrupted"),
        Err(e) => return usage_error(e),
    }
    if let Some(dir) = &args.out
        && let Err(e) = write_out(dir, &report, args.format)
    {
        return usage_error(e);
    }
    match args.format {
        Format::Human => super::emit(&human_with(&report, output::terminal())),
        format => print(std::slice::from_ref(&report), format, None),
    }
    if report.met_expectations() && report.summary.failure == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn announce(served: &ServedScenario, profile: &Profile) {
    let scenario = served.scenario();
    eprintln!(
        "scenario:             {} ({})",
        scenario.name, scenario.description
    );
    eprintln!("judged under:         {}", profile.name);
    println!("MCP server URL:       {}", served.mcp_url());
    eprintln!("authorization server: {}", served.issuer());
    if let Some((client_id, secret)) = served.client_credentials() {
        println!("client_id:            {client_id}");
        if let Some(secret) = secret {
            println!("client_secret:        {secret}");
        }
        for client in &scenario.mocks.authorization_server.clients {
            if client.client_id == client_id {
                println!("redirect URIs:        {}", client.redirect_uris.join(", "));
            }
        }
    }
    match &scenario.conformant_client {
        Some(client) => eprintln!("a conformant client:  {}", client.outcome.as_str()),
        None => eprintln!(
            "a conformant client:  (not stated: this scenario does not reproduce under serve; docs/scenarios.md says why)"
        ),
    }
    eprintln!("serving until Ctrl-C");
}

/// Until done (`--once`), the timeout, or Ctrl-C (`None`).
async fn wait(
    served: &ServedScenario,
    once: bool,
    timeout: Option<u64>,
) -> Result<Option<Completion>, String> {
    // Without --timeout the wait is bounded only by Ctrl-C: a day stands for "forever".
    let limit = Duration::from_secs(timeout.unwrap_or(24 * 3600));
    let finished = async {
        if once {
            served.wait_until_done(limit).await
        } else {
            tokio::time::sleep(limit).await;
            Completion::TimedOut
        }
    };
    tokio::select! {
        completion = finished => Ok(Some(completion)),
        signal = tokio::signal::ctrl_c() => match signal {
            Ok(()) => Ok(None),
            Err(e) => Err(format!("cannot wait for Ctrl-C: {e}")),
        },
    }
}

/// The verdict for a person: each client check with its mark, why it failed or was skipped,
/// and the fix (as `--out DIR` writes it).
pub fn human(report: &Report) -> String {
    human_with(report, output::Terminal::default())
}

/// The verdict as the terminal settings want it: with `-q` only the failed checks, the unmet
/// expectations and the final count; with `-v` also the step timeline with its failed and
/// warning checks and their fixes, as `run` and `test-client` show it.
pub fn human_with(report: &Report, terminal: output::Terminal) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let name = report.scenario.as_deref().unwrap_or("");
    let conformant = report.met_expectations() && report.summary.failure == 0;
    if !terminal.quiet() {
        let _ = writeln!(
            out,
            "Client verdict: {name} (judged under {})",
            report.profile
        );
    }
    for check in &report.checks {
        if terminal.quiet() && check.status != Status::Failure {
            continue;
        }
        let mark = match check.status {
            Status::Success => "ok  ",
            Status::Failure => "FAIL",
            Status::Warning => "warn",
            Status::Skipped => "skip",
            Status::Info => "info",
        };
        let _ = writeln!(out, "  {mark} {:38} {}", check.id, check.name);
        if let Some(message) = &check.error_message {
            let _ = writeln!(out, "         {message}");
        }
        if let Some(remedy) = &check.remedy {
            let _ = writeln!(out, "         fix: {remedy}");
        }
    }
    if terminal.quiet() {
        output::unmet_expectations(&mut out, report);
    } else {
        for expectation in &report.expectations {
            let _ = writeln!(
                out,
                "{} {}: expected {}, got {}",
                if expectation.met {
                    "met    "
                } else {
                    "NOT MET"
                },
                expectation.description,
                expectation.expected,
                expectation.actual
            );
        }
    }
    if terminal.verbose() {
        out.push_str("Timeline:\n");
        out.push_str(&render::timeline_text(report, terminal.style));
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "{}: {} ok, {} failed, {} warnings, {} skipped",
        if conformant {
            "CONFORMANT"
        } else {
            "NOT CONFORMANT"
        },
        s.success,
        s.failure,
        s.warning,
        s.skipped
    );
    out
}

/// `--out DIR`: the client's report as JSON and in the chosen format, as `run`, `check` and
/// `test-client` write theirs (`cli::output`).
fn write_out(dir: &Path, report: &Report, format: Format) -> Result<(), String> {
    let name = report
        .scenario
        .clone()
        .unwrap_or_else(|| "client".to_owned());
    let summary = serde_json::json!([{
        "name": name,
        "profile": report.profile,
        "passed": report.met_expectations() && report.summary.failure == 0,
        "health": report.outcome.health,
        "summary": report.summary,
    }]);
    super::output::write_out(
        dir,
        format,
        &[(name, report)],
        || render::junit_checks(std::slice::from_ref(report), None, Default::default()),
        human,
        &summary,
    )
}
