//! Known failures of a live target, so that a vendor can run `check` in CI: a failure that is
//! listed passes, an unlisted failure fails the run, and a listed entry that now passes fails
//! it too, as stale, exactly as in the official MCP conformance suite.
//!
//! The file is YAML, in the suite's layout. A "scenario" of `check` is a step of the flow (the
//! `step` of each check: probe, discovery, registration, authorization, token, mcp, refresh,
//! revocation):
//!
//! ```yaml
//! server:
//!   - registration                      # every check of this step may fail
//!   - discovery:pkce-s256-advertised    # only this check may fail
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use mcp_oauth_reports::{Check, Status};
use serde::Deserialize;

use mcp_oauth_engine::checks;

/// One entry as written: a whole step, or one check of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub scenario: String,
    pub check: Option<String>,
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.check {
            Some(check) => write!(f, "{}:{check}", self.scenario),
            None => f.write_str(&self.scenario),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    pub path: PathBuf,
    pub entries: Vec<Entry>,
}

/// A baseline that cannot be used, with the file and line at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct BaselineError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    server: Option<Vec<serde_norway::Value>>,
}

impl Baseline {
    pub fn load(path: &Path) -> Result<Self, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|e| BaselineError {
            path: path.to_owned(),
            line: None,
            message: format!("cannot read the baseline: {e}"),
        })?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self, BaselineError> {
        let error = |line: Option<usize>, message: String| BaselineError {
            path: path.to_owned(),
            line,
            message,
        };
        if text.trim().is_empty() {
            return Ok(Self {
                path: path.to_owned(),
                entries: Vec::new(),
            });
        }
        let file: Option<File> = serde_norway::from_str(text).map_err(|e| {
            error(
                e.location().map(|l| l.line()),
                format!("not a baseline (a YAML mapping with a `server` list): {e}"),
            )
        })?;
        let values = file.and_then(|f| f.server).unwrap_or_default();
        let steps: BTreeSet<&str> = checks::all().map(|c| c.step).collect();
        let mut entries: Vec<Entry> = Vec::new();
        for value in values {
            let text_value = match &value {
                serde_norway::Value::String(s) => s.clone(),
                serde_norway::Value::Mapping(map) if map.len() == 1 => {
                    let (key, val) = map
                        .iter()
                        .next()
                        .map_or((String::new(), String::new()), |(k, v)| {
                            (scalar(k), scalar(v))
                        });
                    return Err(error(
                        line_of(text, &key),
                        format!(
                            "entry `{key}: {val}` is a mapping; did you mean `- {key}:{val}`? Remove the space after the colon."
                        ),
                    ));
                }
                other => {
                    return Err(error(
                        None,
                        format!("entry {other:?} is not `<step>` or `<step>:<check-id>`"),
                    ));
                }
            };
            let line = line_of(text, &text_value);
            let (scenario, check) = match text_value.split_once(':') {
                Some((scenario, check)) => (scenario.trim(), Some(check.trim())),
                None => (text_value.trim(), None),
            };
            if scenario.is_empty() || check.is_some_and(str::is_empty) {
                return Err(error(
                    line,
                    format!("entry {text_value:?}: both sides of the colon are required"),
                ));
            }
            if !steps.contains(scenario) {
                return Err(error(
                    line,
                    format!(
                        "entry {text_value:?}: unknown step {scenario:?}; the steps are {}",
                        steps.iter().copied().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
            if let Some(check) = check {
                match checks::by_id(check) {
                    None => {
                        return Err(error(
                            line,
                            format!("entry {text_value:?}: unknown check id {check:?}"),
                        ));
                    }
                    Some(def) if def.step != scenario => {
                        return Err(error(
                            line,
                            format!(
                                "entry {text_value:?}: check {check} belongs to step {}, not {scenario}; write `{}:{check}`",
                                def.step, def.step
                            ),
                        ));
                    }
                    Some(_) => {}
                }
            }
            let entry = Entry {
                scenario: scenario.to_owned(),
                check: check.map(str::to_owned),
            };
            if entries.contains(&entry) {
                return Err(error(line, format!("entry {entry} is listed twice")));
            }
            entries.push(entry);
        }
        for entry in &entries {
            if entry.check.is_some()
                && entries
                    .iter()
                    .any(|e| e.check.is_none() && e.scenario == entry.scenario)
            {
                return Err(error(
                    line_of(text, &entry.to_string()),
                    format!(
                        "{entry} is redundant: `{}` already lets the whole step fail; remove one or the other",
                        entry.scenario
                    ),
                ));
            }
        }
        Ok(Self {
            path: path.to_owned(),
            entries,
        })
    }
}

fn scalar(value: &serde_norway::Value) -> String {
    match value {
        serde_norway::Value::String(s) => s.clone(),
        serde_norway::Value::Null => String::new(),
        other => serde_norway::to_string(other)
            .map(|s| s.trim().to_owned())
            .unwrap_or_default(),
    }
}

/// The 1-based line of the list item that holds `text`.
fn line_of(source: &str, text: &str) -> Option<usize> {
    source
        .lines()
        .position(|line| {
            let line = line.trim_start();
            line.starts_with('-') && !text.is_empty() && line.contains(text)
        })
        .map(|i| i + 1)
}

/// How a run's checks compare with the baseline (or, without one, with no failures at all).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaselineResult {
    /// Failures that are listed: fine.
    pub expected_failures: Vec<String>,
    /// Failures that are not listed: the run fails.
    pub unexpected_failures: Vec<String>,
    /// Listed entries that now pass: the run fails until they are removed.
    pub stale_entries: Vec<String>,
}

impl BaselineResult {
    pub fn passed(&self) -> bool {
        self.unexpected_failures.is_empty() && self.stale_entries.is_empty()
    }
}

/// Judges checks against a baseline. A check fails when its status is FAILURE, or WARNING
/// under `strict`. A check id that occurs several times counts as failed if any occurrence
/// failed. Absent and SKIPPED checks give no signal, so they never make an entry stale.
pub fn evaluate(baseline: Option<&Baseline>, checks: &[Check], strict: bool) -> BaselineResult {
    let failed =
        |status: Status| status == Status::Failure || (strict && status == Status::Warning);
    // Each check id once, in order: (step, id, failed, passed).
    let mut collapsed: Vec<(String, String, bool, bool)> = Vec::new();
    for check in checks {
        let fail = failed(check.status);
        let pass = check.status == Status::Success;
        match collapsed.iter_mut().find(|c| c.1 == check.id) {
            Some(c) => {
                c.2 |= fail;
                c.3 |= pass;
            }
            None => collapsed.push((check.step.clone(), check.id.clone(), fail, pass)),
        }
    }
    let entries = baseline.map(|b| b.entries.as_slice()).unwrap_or_default();
    let mut result = BaselineResult::default();
    for (step, id, fail, _) in &collapsed {
        if !fail {
            continue;
        }
        let name = format!("{step}:{id}");
        let listed = entries
            .iter()
            .any(|e| e.scenario == *step && e.check.as_deref().is_none_or(|c| c == id));
        if listed {
            result.expected_failures.push(name);
        } else {
            result.unexpected_failures.push(name);
        }
    }
    for entry in entries {
        let stale = match &entry.check {
            None => {
                let in_step: Vec<_> = collapsed.iter().filter(|c| c.0 == entry.scenario).collect();
                in_step.iter().any(|c| c.3) && !in_step.iter().any(|c| c.2)
            }
            Some(id) => collapsed
                .iter()
                .find(|c| &c.1 == id)
                .is_some_and(|c| c.3 && !c.2),
        };
        if stale {
            result.stale_entries.push(entry.to_string());
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Baseline, BaselineError> {
        Baseline::parse(Path::new("baseline.yaml"), text)
    }

    fn check(step: &str, id: &str, status: Status) -> Check {
        Check {
            id: id.into(),
            name: id.into(),
            description: id.into(),
            status,
            timestamp: "2025-01-01T00:00:00Z".into(),
            spec_references: vec![],
            details: None,
            error_message: None,
            remedy: None,
            step: step.into(),
        }
    }

    #[test]
    fn entries_name_a_step_or_one_of_its_checks() {
        let baseline = parse(
            "# known failures\nserver:\n  - registration\n  - discovery:pkce-s256-advertised\n",
        )
        .unwrap();
        assert_eq!(
            baseline.entries,
            [
                Entry {
                    scenario: "registration".into(),
                    check: None
                },
                Entry {
                    scenario: "discovery".into(),
                    check: Some("pkce-s256-advertised".into())
                },
            ]
        );
        assert_eq!(parse("").unwrap().entries, []);
        assert_eq!(parse("server: []\n").unwrap().entries, []);
    }

    #[test]
    fn mistakes_are_named_with_file_and_line() {
        let err = parse("server:\n  - discovery:pkce-s256-advertise\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.to_string().starts_with("baseline.yaml:2: "), "{err}");
        assert!(err.message.contains("unknown check id"), "{err}");

        let err = parse("server:\n  - token:pkce-s256-advertised\n").unwrap_err();
        assert!(err.message.contains("belongs to step discovery"), "{err}");

        let err = parse("server:\n  - discovery: pkce-s256-advertised\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("Remove the space"), "{err}");

        let err = parse("server:\n  - tokens\n").unwrap_err();
        assert!(err.message.contains("unknown step"), "{err}");

        let err = parse("server:\n  - token\n  - token:token-unknown-code\n").unwrap_err();
        assert!(err.message.contains("redundant"), "{err}");

        let err = parse("servers:\n  - token\n").unwrap_err();
        assert_eq!(err.line, Some(1));

        let err = parse("server: [unclosed\n").unwrap_err();
        assert!(err.line.is_some(), "{err}");
    }

    #[test]
    fn listed_failures_pass_unlisted_fail_and_passing_entries_are_stale() {
        let checks = [
            check("discovery", "pkce-s256-advertised", Status::Failure),
            check("token", "token-unknown-refresh-token", Status::Failure),
            check("token", "token-unknown-code", Status::Success),
            check("registration", "dcr-registration", Status::Success),
            check("refresh", "refresh-token-rotation", Status::Warning),
        ];
        let baseline = parse(
            "server:\n  - discovery:pkce-s256-advertised\n  - registration\n  - token:token-unknown-code\n  - revocation\n",
        )
        .unwrap();
        let result = evaluate(Some(&baseline), &checks, false);
        assert_eq!(result.expected_failures, ["discovery:pkce-s256-advertised"]);
        assert_eq!(
            result.unexpected_failures,
            ["token:token-unknown-refresh-token"]
        );
        // `revocation` never ran: no signal, not stale.
        assert_eq!(
            result.stale_entries,
            ["registration", "token:token-unknown-code"]
        );
        assert!(!result.passed());

        let strict = evaluate(None, &checks, true);
        assert!(
            strict
                .unexpected_failures
                .contains(&"refresh:refresh-token-rotation".to_owned())
        );
        let lenient = evaluate(None, &checks, false);
        assert_eq!(lenient.unexpected_failures.len(), 2);
    }
}
