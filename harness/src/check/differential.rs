//! Differential diagnosis: when observed profiles disagree, the one difference between their
//! flows that explains it, with evidence from both flows' exchanges.
//!
//! The profiles' flows differ in what they send, never in how they are judged, so a failure in
//! one flow where another connects is explained by what the failing one sent differently. The
//! difference this module names is RFC 8707 `resource`, the one the product's documentation
//! names: servers that strictly require an audience cannot be connected by a client that sends
//! none, and a server that refuses `resource` cannot be connected by one that sends it. A
//! refusal naming the scope (`invalid_scope`) is left as it is: the profiles also differ in the
//! scope they ask for.

use super::observe::StepAnswer;
use super::verdict::Observed;
use crate::diagnosis::{self, Diagnosis};
use crate::profile;

/// Where a flow's answers first differ from another observed flow's.
pub fn departs_at(run: &Observed, others: &[&Observed]) -> Option<&'static str> {
    let answer = |o: &Observed, step: &str| {
        o.answers
            .iter()
            .find(|a| a.step == step)
            .map(StepAnswer::succeeded)
    };
    super::observe::COMPARED_STEPS.iter().copied().find(|step| {
        others
            .iter()
            .any(|other| answer(run, step) != answer(other, step))
    })
}

/// Renames the diagnoses that the `resource` difference explains.
pub fn explain(runs: &mut [Observed]) {
    let snapshot: Vec<Observed> = runs.to_vec();
    for run in runs.iter_mut() {
        let Some((diagnosis, _)) = &run.failure else {
            continue;
        };
        let Some(sends) = profile::by_name(run.profile).map(|p| p.send_resource) else {
            continue;
        };
        // A connecting flow that differs in `resource`.
        let counterpart = snapshot.iter().find(|o| {
            o.failure.is_none()
                && profile::by_name(o.profile).is_some_and(|p| p.send_resource != sends)
        });
        let explained = match counterpart {
            Some(other) => with_counterpart(run, other, sends, diagnosis),
            None => alone(run, sends, diagnosis),
        };
        if let (Some(explained), Some((d, _))) = (explained, run.failure.as_mut()) {
            *d = explained;
        }
    }
}

/// The step a failure shows in, as the exchanges name it.
fn failed_step(run: &Observed) -> Option<&StepAnswer> {
    run.answers.iter().find(|a| !a.succeeded())
}

fn with_counterpart(
    run: &Observed,
    other: &Observed,
    sends: bool,
    diagnosis: &Diagnosis,
) -> Option<Diagnosis> {
    let failed = failed_step(run)?;
    if !matches!(failed.step, "authorization" | "token" | "mcp") {
        return None;
    }
    // A refusal that names the scope is about what was asked, in which the profiles differ too
    // (a 2026-07-28 client leaves out an `offline_access` the server does not list): not
    // about `resource`.
    if failed.error.as_deref() == Some("invalid_scope") {
        return None;
    }
    let theirs = other
        .answers
        .iter()
        .find(|a| a.step == failed.step)
        .map_or_else(|| "no answer".to_owned(), StepAnswer::describe);
    let place = match failed.step {
        "authorization" => "the authorization endpoint",
        "token" => "the token endpoint",
        _ => "the MCP server",
    };
    let (with, without, with_answer, without_answer) = if sends {
        (run.profile, other.profile, failed.describe(), theirs)
    } else {
        (other.profile, run.profile, theirs, failed.describe())
    };
    if sends {
        // Only a refusal by the authorization server is about `resource`.
        if failed.step == "mcp" {
            return None;
        }
        return Some(resource_rejected(
            format!(
                "With `resource` ({with}) {place} answers {with_answer}, without it ({without}) {without_answer}: this authorization server refuses RFC 8707 resource indicators."
            ),
            without,
        ));
    }
    let _ = diagnosis;
    Some(audience_required(
        format!(
            "With `resource` ({with}) {place} answers {with_answer}, without it ({without}) {without_answer}: this server requires an audience."
        ),
        with,
    ))
}

/// Without a flow to compare with, only an explicit `invalid_target` names the cause.
fn alone(run: &Observed, sends: bool, diagnosis: &Diagnosis) -> Option<Diagnosis> {
    let failed = failed_step(run)?;
    let invalid_target = failed.error.as_deref() == Some("invalid_target")
        || (diagnosis.code == diagnosis::AUDIENCE_REQUIRED && failed.step == "authorization");
    if !invalid_target || !matches!(failed.step, "authorization" | "token") {
        return None;
    }
    Some(if sends {
        resource_rejected(
            format!(
                "The authorization server refused the RFC 8707 `resource` {} sent ({}).",
                run.profile,
                failed.describe()
            ),
            "clients that send none",
        )
    } else {
        audience_required(
            format!(
                "The authorization server requires an audience ({}), and {} sends no RFC 8707 `resource`.",
                failed.describe(),
                run.profile
            ),
            "a spec profile",
        )
    })
}

fn audience_required(message: String, connects: &str) -> Diagnosis {
    diagnosis::new(
        diagnosis::AUDIENCE_REQUIRED,
        message,
        format!(
            "Servers that strictly require an audience cannot be connected by a client that sends none: make the audience optional, defaulting to the MCP server; a client that sends RFC 8707 `resource` ({connects}) connects meanwhile."
        ),
    )
}

fn resource_rejected(message: String, connects: &str) -> Diagnosis {
    diagnosis::new(
        diagnosis::RESOURCE_REJECTED,
        format!("{message} Clients that send no `resource`, such as {connects}, connect."),
        "Accept the RFC 8707 `resource` parameter (the MCP server's canonical URL) on authorization, token and refresh requests, and issue tokens for that audience.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(profile: &'static str, token: u16, error: Option<&str>, mcp: Option<u16>) -> Observed {
        let mut answers = vec![
            StepAnswer {
                step: "authorization",
                statuses: vec![302],
                error: None,
            },
            StepAnswer {
                step: "token",
                statuses: vec![token],
                error: error.map(str::to_owned),
            },
        ];
        if let Some(status) = mcp {
            answers.push(StepAnswer {
                step: "mcp",
                statuses: vec![status],
                error: None,
            });
        }
        let failed = token >= 400 || mcp.is_some_and(|s| s >= 400);
        Observed {
            profile,
            failure: failed.then(|| {
                (
                    diagnosis::new(diagnosis::TOKEN_EXCHANGE_FAILED, "failed", "fix"),
                    "token-exchange".to_owned(),
                )
            }),
            answers,
            left_behind: Vec::new(),
        }
    }

    #[test]
    fn a_token_endpoint_failing_without_resource_is_an_audience_requirement() {
        let mut runs = vec![
            run("pipelines", 500, Some("server_error"), None),
            run("mcp-2025-11-25", 200, None, Some(200)),
        ];
        explain(&mut runs);
        let (d, _) = runs[0].failure.as_ref().unwrap();
        assert_eq!(d.code, "audience-required");
        assert!(d.message.contains("answers 200"), "{}", d.message);
        assert!(d.message.contains("500 server_error"), "{}", d.message);
        let others: Vec<&Observed> = runs[1..].iter().collect();
        assert_eq!(departs_at(&runs[0], &others), Some("token"));
    }

    #[test]
    fn a_refused_resource_is_resource_rejected_and_names_who_connects() {
        let mut runs = vec![
            run("pipelines", 200, None, Some(200)),
            run("mcp-2025-11-25", 400, Some("invalid_target"), None),
        ];
        explain(&mut runs);
        assert!(runs[0].failure.is_none());
        let (d, _) = runs[1].failure.as_ref().unwrap();
        assert_eq!(d.code, "resource-rejected");
        assert!(d.message.contains("such as pipelines"), "{}", d.message);
    }

    #[test]
    fn an_unbound_token_refused_by_the_mcp_server_is_an_audience_requirement() {
        let mut runs = vec![
            run("pipelines", 200, None, Some(401)),
            run("mcp-2025-11-25", 200, None, Some(200)),
        ];
        explain(&mut runs);
        assert_eq!(
            runs[0].failure.as_ref().unwrap().0.code,
            "audience-required"
        );
    }

    #[test]
    fn a_refused_scope_is_not_blamed_on_resource() {
        let mut runs = vec![
            run("pipelines", 400, Some("invalid_scope"), None),
            run("mcp-2026-07-28", 200, None, Some(200)),
        ];
        explain(&mut runs);
        assert_eq!(
            runs[0].failure.as_ref().unwrap().0.code,
            "token-exchange-failed"
        );
    }

    #[test]
    fn agreeing_flows_keep_their_diagnosis_and_do_not_depart() {
        let mut runs = vec![
            run("pipelines", 500, None, None),
            run("mcp-2025-11-25", 500, None, None),
        ];
        explain(&mut runs);
        assert_eq!(
            runs[0].failure.as_ref().unwrap().0.code,
            "token-exchange-failed"
        );
        let others: Vec<&Observed> = runs[1..].iter().collect();
        assert_eq!(departs_at(&runs[0], &others), None);
    }
}
