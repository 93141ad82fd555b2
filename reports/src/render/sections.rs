//! The shape every renderer for people shares: the report as a timeline of step segments.
//!
//! A segment is a run of consecutive checks of one flow step (`probe`, `discovery`, ...,
//! `resource-server`), with the exchanges of that step and its own verdict (counts and worst
//! status). A flow can come back to a step (a reconnect discovers again), so a step can have
//! several segments; the n-th run of a step's exchanges goes with its n-th run of checks.
//! Everything here is derived from the step names alone, so a step added tomorrow gets its
//! section without any renderer knowing it.
//!
//! A `run` report also knows its scenario's script (`Report::script`): its timeline is then
//! one segment per script action (`connect`, `call-tool`, `advance-clock`, ...), with the
//! checks and exchanges that action recorded, whatever flow steps they belong to. Live
//! `check` reports have no script and keep the segments by flow step.

use crate::{Check, Exchange, Report, Status, Summary};

/// One stretch of the timeline: consecutive checks of one step and that step's exchanges.
#[derive(Debug, Clone)]
pub struct Segment<'a> {
    /// The flow step, or the script action for a script step.
    pub step: &'a str,
    /// The script step's number (from 1), when the segment is one.
    pub number: Option<usize>,
    pub checks: Vec<&'a Check>,
    pub exchanges: Vec<&'a Exchange>,
}

/// The step of the checks and exchanges recorded after the script's last action.
pub const AFTER_SCRIPT: &str = "after-the-script";

impl Segment<'_> {
    /// The section title: the step name as words (`resource-server` → "Resource server"),
    /// numbered for a script step (`call-tool` → "2. Call tool").
    pub fn title(&self) -> String {
        match self.number {
            Some(n) => format!("{n}. {}", step_title(self.step)),
            None => step_title(self.step),
        }
    }

    /// Counts of this segment's checks.
    pub fn summary(&self) -> Summary {
        let owned: Vec<Check> = self.checks.iter().map(|c| (*c).clone()).collect();
        Summary::of(&owned)
    }

    /// The worst status among the checks (FAILURE, then WARNING, SKIPPED, INFO, SUCCESS).
    pub fn worst(&self) -> Option<Status> {
        worst(self.checks.iter().map(|c| c.status))
    }
}

/// How bad a status is, for choosing a section's worst.
fn severity(status: Status) -> u8 {
    match status {
        Status::Failure => 4,
        Status::Warning => 3,
        Status::Skipped => 2,
        Status::Info => 1,
        Status::Success => 0,
    }
}

pub fn worst(statuses: impl IntoIterator<Item = Status>) -> Option<Status> {
    statuses.into_iter().max_by_key(|s| severity(*s))
}

/// `resource-server` → "Resource server", `mcp` → "MCP".
pub fn step_title(step: &str) -> String {
    let words: Vec<String> = step
        .split(['-', '_'])
        .filter(|w| !w.is_empty())
        .enumerate()
        .map(|(i, word)| match word {
            "mcp" | "dcr" | "prm" | "pkce" | "as" | "rs" | "http" => word.to_ascii_uppercase(),
            _ if i == 0 => {
                let mut chars = word.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_uppercase().chain(chars).collect()
                })
            }
            _ => word.to_owned(),
        })
        .collect();
    if words.is_empty() {
        "(no step)".to_owned()
    } else {
        words.join(" ")
    }
}

/// The report's timeline, in the order its checks were recorded; exchanges of a step that
/// has no checks come last, each step in a segment of its own.
pub fn timeline(report: &Report) -> Vec<Segment<'_>> {
    if !report.script.is_empty() {
        return script_timeline(report);
    }
    let mut segments: Vec<Segment<'_>> = Vec::new();
    for check in &report.checks {
        match segments.last_mut() {
            Some(last) if last.step == check.step => last.checks.push(check),
            _ => segments.push(Segment {
                step: &check.step,
                number: None,
                checks: vec![check],
                exchanges: Vec::new(),
            }),
        }
    }
    // Runs of exchanges by step, in order; the n-th run of a step joins its n-th segment.
    let mut runs: Vec<(&str, Vec<&Exchange>)> = Vec::new();
    for exchange in &report.exchanges {
        match runs.last_mut() {
            Some((step, list)) if *step == exchange.step => list.push(exchange),
            _ => runs.push((&exchange.step, vec![exchange])),
        }
    }
    let mut used: Vec<(&str, usize)> = Vec::new();
    for (step, list) in runs {
        let nth = match used.iter_mut().find(|(s, _)| *s == step) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                used.push((step, 0));
                0
            }
        };
        let target = segments
            .iter()
            .enumerate()
            .filter(|(_, s)| s.step == step)
            .map(|(i, _)| i)
            .nth(nth)
            .or_else(|| {
                // More runs of exchanges than of checks: the step's last segment takes them.
                segments.iter().rposition(|s| s.step == step)
            });
        match target {
            Some(i) => segments[i].exchanges.extend(list),
            None => segments.push(Segment {
                step,
                number: None,
                checks: Vec::new(),
                exchanges: list,
            }),
        }
    }
    segments
}

/// One segment per script action, in order, each with the next checks and exchanges it
/// recorded; what no action recorded (the flow's closing checks) comes last. Counts that
/// overrun the report (a hand-edited file) take what is there.
fn script_timeline(report: &Report) -> Vec<Segment<'_>> {
    fn take<'a, T>(all: &'a [T], from: &mut usize, count: usize) -> Vec<&'a T> {
        let start = (*from).min(all.len());
        let end = start.saturating_add(count).min(all.len());
        *from = end;
        all[start..end].iter().collect()
    }
    let (mut check, mut exchange) = (0, 0);
    let mut segments: Vec<Segment<'_>> = report
        .script
        .iter()
        .enumerate()
        .map(|(i, step)| Segment {
            step: &step.action,
            number: Some(i + 1),
            checks: take(&report.checks, &mut check, step.checks),
            exchanges: take(&report.exchanges, &mut exchange, step.exchanges),
        })
        .collect();
    let checks = take(&report.checks, &mut check, usize::MAX);
    let exchanges = take(&report.exchanges, &mut exchange, usize::MAX);
    if !checks.is_empty() || !exchanges.is_empty() {
        segments.push(Segment {
            step: AFTER_SCRIPT,
            number: None,
            checks,
            exchanges,
        });
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_come_from_step_names() {
        assert_eq!(step_title("resource-server"), "Resource server");
        assert_eq!(step_title("mcp"), "MCP");
        assert_eq!(step_title("client-token"), "Client token");
        assert_eq!(step_title(""), "(no step)");
    }

    #[test]
    fn the_worst_status_wins() {
        assert_eq!(
            worst([Status::Success, Status::Warning, Status::Info]),
            Some(Status::Warning)
        );
        assert_eq!(
            worst([Status::Skipped, Status::Failure]),
            Some(Status::Failure)
        );
        assert_eq!(worst([]), None);
    }
}
