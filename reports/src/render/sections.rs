//! The shape every renderer for people shares: the report as a timeline of step segments.
//!
//! A segment is a run of consecutive checks of one flow step (`probe`, `discovery`, ...,
//! `resource-server`), with the exchanges of that step and its own verdict (counts and worst
//! status). A flow can come back to a step (a reconnect discovers again), so a step can have
//! several segments; the n-th run of a step's exchanges goes with its n-th run of checks.
//! Everything here is derived from the step names alone, so a step added tomorrow gets its
//! section without any renderer knowing it.

use crate::{Check, Exchange, Report, Status, Summary};

/// One stretch of the timeline: consecutive checks of one step and that step's exchanges.
#[derive(Debug, Clone)]
pub struct Segment<'a> {
    pub step: &'a str,
    pub checks: Vec<&'a Check>,
    pub exchanges: Vec<&'a Exchange>,
}

impl Segment<'_> {
    /// The section title: the step name as words (`resource-server` → "Resource server").
    pub fn title(&self) -> String {
        step_title(self.step)
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
    let mut segments: Vec<Segment<'_>> = Vec::new();
    for check in &report.checks {
        match segments.last_mut() {
            Some(last) if last.step == check.step => last.checks.push(check),
            _ => segments.push(Segment {
                step: &check.step,
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
                checks: Vec::new(),
                exchanges: list,
            }),
        }
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
