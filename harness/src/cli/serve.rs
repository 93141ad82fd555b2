//! `serve SCENARIO`: a scenario's mocks for someone else's client, its server-side steps as
//! triggers on the client's progress, and the client's verdict written on exit (Ctrl-C,
//! `--once`, `--timeout`). Exit codes as `run`: 0 conformant, 1 checks failed, 2 usage or
//! infrastructure.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::ValueEnum;
use mcp_oauth_reports::render::text::one_line;
use mcp_oauth_reports::render::{TerminalText, timeline};
use mcp_oauth_reports::{Report, Status, render};

use super::output::{stderr_line, stdout_line};
use super::{Format, output, print, usage_error};
use crate::profile::{self, Profile};
use crate::served::{Completion, ServeConsent, ServeOptions, ServedScenario};
use crate::test_client::trust::TrustFile;

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
    /// Stop after one complete flow: a client's successful tools/call (or the scenario's own
    /// end condition); only that client's verdict is given.
    #[arg(long)]
    pub once: bool,
    /// Client flows kept at once; beyond this the oldest is dropped (the reports say how many).
    #[arg(long, value_name = "N", default_value_t = crate::served::FlowLimits::default().max_flows)]
    pub max_flows: usize,
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
        limits: crate::served::FlowLimits {
            max_flows: args.max_flows,
            ..crate::served::FlowLimits::default()
        },
    };
    let served = match ServedScenario::start_with(args.scenario.as_str(), options).await {
        Ok(served) => served,
        Err(e) => return usage_error(e),
    };
    // Kept while the scenario is served: the client under test reads it when it starts.
    let trust = match TrustFile::for_mocks(served.mocks()) {
        Ok(trust) => trust,
        Err(e) => {
            served.stop();
            return usage_error(format!(
                "cannot write the MCP server's TLS authority: {e} (set TMPDIR to a writable directory)"
            ));
        }
    };
    announce(&served, profile, trust.as_ref());
    let completion = wait(&served, args.once, args.timeout).await;
    let mut reports = served.judge_flows();
    if args.once
        && let Some(first) = served.complete_flows().first()
    {
        reports.retain(|r| r.client.as_ref().is_some_and(|c| c.flow == first + 1));
    }
    served.stop();
    match completion {
        Ok(Some(Completion::Done)) => stderr_line("\nthe client completed the flow"),
        Ok(Some(Completion::TimedOut)) => stderr_line("\ntimed out"),
        Ok(None) => stderr_line("\ninterrupted"),
        Err(e) => return usage_error(e),
    }
    if let Some(dir) = &args.out
        && let Err(e) = write_out(dir, &reports, args.format)
    {
        return usage_error(e);
    }
    match args.format {
        Format::Human => super::emit(&human_all(&reports, output::terminal())),
        format => print(&reports, format, None),
    }
    if reports
        .iter()
        .all(|r| r.met_expectations() && r.summary.failure == 0)
    {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// What to paste into the client (stdout) and what is being served (stderr). The scenario's
/// own text (description, Client ID, redirect URIs) comes from a file: each is one line.
fn announce(served: &ServedScenario, profile: &Profile, trust: Option<&TrustFile>) {
    let scenario = served.scenario();
    stderr_line(&format!(
        "scenario:             {} ({})",
        one_line(&scenario.name),
        one_line(&scenario.description)
    ));
    stderr_line(&format!("judged under:         {}", profile.name));
    stdout_line(&format!("MCP server URL:       {}", served.mcp_url()));
    if let Some(trust) = trust {
        // The path is the tool's own (a fresh private directory), not the scenario's text.
        let path = trust.path().display();
        stdout_line(&format!("TLS authority:        {path}"));
        stderr_line(&format!(
            "                      the MCP server is https with a certificate of this run's own authority; start the client with SSL_CERT_FILE={path} (Python, Rust, OpenSSL) or NODE_EXTRA_CA_CERTS={path} (Node.js)"
        ));
    }
    stderr_line(&format!("authorization server: {}", served.issuer()));
    if let Some((client_id, secret)) = served.client_credentials() {
        stdout_line(&format!("client_id:            {}", one_line(&client_id)));
        if let Some(secret) = secret {
            stdout_line(&format!("client_secret:        {}", one_line(&secret)));
        }
        for client in &scenario.mocks.authorization_server.clients {
            if client.client_id == client_id {
                stdout_line(&format!(
                    "redirect URIs:        {}",
                    one_line(&client.redirect_uris.join(", "))
                ));
            }
        }
    }
    match &scenario.conformant_client {
        Some(client) => stderr_line(&format!(
            "a conformant client:  {}",
            client.outcome.as_str()
        )),
        None => stderr_line(
            "a conformant client:  (not stated: this scenario does not reproduce under serve; docs/scenarios.md says why)",
        ),
    }
    stderr_line("serving until Ctrl-C");
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

/// Every client's verdict, one after the other, each headed by which client it is when there
/// were several.
fn human_all(reports: &[Report], terminal: output::Terminal) -> String {
    use std::fmt::Write as _;
    let mut out = TerminalText::new(terminal.style);
    if let [report] = reports {
        human_into(&mut out, report, terminal);
        return out.into_string();
    }
    for report in reports {
        client_heading(&mut out, report);
        human_into(&mut out, report, terminal);
    }
    let conformant = reports
        .iter()
        .filter(|r| r.met_expectations() && r.summary.failure == 0)
        .count();
    let _ = writeln!(
        out,
        "{} clients: {conformant} conformant, {} not",
        reports.len(),
        reports.len() - conformant
    );
    out.into_string()
}

/// `Client 2 of 3 (Client ID abc, complete)` and the flows dropped, as a line.
fn client_heading(out: &mut TerminalText, report: &Report) {
    use std::fmt::Write as _;
    let Some(client) = &report.client else {
        return;
    };
    let _ = write!(out, "\nClient {} of {}", client.flow, client.flows);
    if !client.client_ids.is_empty() {
        let _ = write!(
            out,
            " (Client ID {})",
            one_line(&client.client_ids.join(", "))
        );
    }
    if client.dropped_flows > 0 {
        let _ = write!(
            out,
            "; {} older flows dropped to bound memory",
            client.dropped_flows
        );
    }
    let _ = writeln!(out);
    for shared in &client.shared_actions {
        let _ = writeln!(
            out,
            "  note: another client's trigger acted on this one too: {}",
            one_line(shared)
        );
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
    let mut out = TerminalText::new(terminal.style);
    human_into(&mut out, report, terminal);
    out.into_string()
}

fn human_into(out: &mut TerminalText, report: &Report, terminal: output::Terminal) {
    use std::fmt::Write as _;
    let name = one_line(report.scenario.as_deref().unwrap_or(""));
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
        let _ = writeln!(
            out,
            "  {mark} {:38} {}",
            one_line(&check.id),
            one_line(&check.name)
        );
        if let Some(message) = &check.error_message {
            let _ = writeln!(out, "         {}", one_line(message));
        }
        if let Some(remedy) = &check.remedy {
            let _ = writeln!(out, "         fix: {}", one_line(remedy));
        }
    }
    if terminal.quiet() {
        output::unmet_expectations(out, report);
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
                one_line(&expectation.description),
                one_line(&expectation.expected),
                one_line(&expectation.actual)
            );
        }
    }
    if terminal.verbose() {
        let _ = writeln!(out, "Timeline:");
        timeline(report, out);
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
}

/// `--out DIR`: each client's report as JSON and in the chosen format, as `run`, `check` and
/// `test-client` write theirs (`cli::output`): `DIR/<scenario>.json` for one client,
/// `DIR/<scenario>-client-N.json` for each of several.
fn write_out(dir: &Path, reports: &[Report], format: Format) -> Result<(), String> {
    let named: Vec<(String, &Report)> = reports
        .iter()
        .map(|report| {
            let name = report
                .scenario
                .clone()
                .unwrap_or_else(|| "client".to_owned());
            match &report.client {
                Some(client) if reports.len() > 1 => {
                    (format!("{name}-client-{}", client.flow), report)
                }
                _ => (name, report),
            }
        })
        .collect();
    let summary: Vec<serde_json::Value> = named
        .iter()
        .map(|(name, report)| {
            serde_json::json!({
                "name": name,
                "profile": report.profile,
                "passed": report.met_expectations() && report.summary.failure == 0,
                "health": report.outcome.health,
                "summary": report.summary,
            })
        })
        .collect();
    super::output::write_out(
        dir,
        format,
        &named,
        || render::junit_checks(reports, None, Default::default()),
        human,
        &serde_json::Value::Array(summary),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::hostile_text;
    use mcp_oauth_reports::render::TerminalStyle;

    #[test]
    fn the_verdict_shows_a_hostile_client_escaped() {
        let mut second = hostile_text::report();
        second.client = Some(
            serde_json::from_value(serde_json::json!({
                "flow": 2, "flows": 2, "clientIds": [hostile_text::HOSTILE],
                "requests": 3, "complete": false, "droppedFlows": 1,
                "sharedActions": [hostile_text::HOSTILE],
            }))
            .expect("a client flow"),
        );
        for reports in [
            vec![hostile_text::report()],
            vec![hostile_text::report(), second],
        ] {
            for verbosity in [
                output::Verbosity::Quiet,
                output::Verbosity::Normal,
                output::Verbosity::Verbose,
            ] {
                let terminal = output::Terminal {
                    verbosity,
                    style: TerminalStyle { colour: true },
                };
                let out = human_all(&reports, terminal);
                hostile_text::assert_inert(&hostile_text::without_colours(&out));
            }
        }
    }
}
