//! Concurrent runs with a progress bar on stderr (indicatif), for the catalog, several
//! targets, the profile flows inside one check, and test-client runs. The bar is drawn only when stderr is a terminal, so logs,
//! pipes and CI output stay clean.

use std::future::Future;
use std::io::IsTerminal;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mcp_oauth_reports::render::text::one_line;

use crate::check::CheckStep;

/// A bar of `len` steps, hidden unless stderr is a terminal (and `-q` was not given).
pub fn bar(len: usize, what: &str) -> ProgressBar {
    let visible = std::io::stderr().is_terminal() && !super::output::terminal().quiet();
    let target = if visible {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(len as u64), target);
    if let Ok(style) =
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {elapsed} {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(what.to_owned());
    bar
}

/// Runs `work` on every item, at most `jobs` at once, advancing `bar` as each finishes;
/// results come back in the items' order. A task that panicked gives its panic message.
pub async fn run_bounded<T, R, F, Fut>(
    items: Vec<T>,
    jobs: usize,
    bar: &ProgressBar,
    label: impl Fn(&T) -> String,
    work: F,
) -> Vec<Result<R, String>>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
{
    let semaphore = Arc::new(tokio::sync::Semaphore::new(jobs.max(1)));
    let work = Arc::new(work);
    let mut handles = Vec::new();
    for item in items {
        let semaphore = semaphore.clone();
        let work = work.clone();
        let bar = bar.clone();
        // Labels name scenarios and targets from files: one printable line on the bar.
        let name = one_line(&label(&item)).into_owned();
        handles.push(tokio::spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            let result = work(item).await;
            bar.set_message(name);
            bar.inc(1);
            result
        }));
    }
    let mut results = Vec::new();
    for handle in handles {
        results.push(handle.await.map_err(|e| e.to_string()));
    }
    bar.finish_and_clear();
    results
}

/// Where a `check` of one or more targets stands: each target's probes and profile flows
/// count as one step each, so the bar moves per profile inside a check, not only per target.
#[derive(Debug)]
pub struct CheckTally {
    targets: Vec<TargetTally>,
}

#[derive(Debug)]
struct TargetTally {
    name: String,
    /// Steps this target takes: the probes and its flows (fewer once the probes show
    /// that no flow can run).
    planned: usize,
    done: usize,
}

impl CheckTally {
    /// Each target's name and its planned steps (`check::progress::planned_steps`).
    pub fn new(targets: impl IntoIterator<Item = (String, usize)>) -> Self {
        Self {
            targets: targets
                .into_iter()
                .map(|(name, planned)| TargetTally {
                    name,
                    planned: planned.max(1),
                    done: 0,
                })
                .collect(),
        }
    }

    /// Steps in all.
    pub fn len(&self) -> usize {
        self.targets.iter().map(|t| t.planned).sum()
    }

    /// Steps done.
    pub fn position(&self) -> usize {
        self.targets.iter().map(|t| t.done).sum()
    }

    /// Counts target `index`'s step; returns the bar's message for it, which names the step
    /// that just ended (the bar's position counts it), never one still running.
    pub fn record(&mut self, index: usize, step: CheckStep) -> String {
        let several = self.targets.len() > 1;
        let Some(target) = self.targets.get_mut(index) else {
            return String::new();
        };
        let what = match step {
            CheckStep::Probed { flows } => {
                target.planned = 1 + flows;
                target.done = 1;
                "probes done".to_owned()
            }
            CheckStep::Flow { index, of, profile } => {
                target.planned = 1 + of;
                target.done = (2 + index).min(target.planned);
                format!("profile {}/{of} done ({profile})", index + 1)
            }
        };
        if several {
            format!("{}: {what}", one_line(&target.name))
        } else {
            what
        }
    }

    /// Target `index` finished (or could not be checked): all its steps count as done.
    pub fn finish(&mut self, index: usize) {
        if let Some(target) = self.targets.get_mut(index) {
            target.done = target.planned;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_target_advances_per_profile_flow() {
        let mut tally = CheckTally::new([("t".to_owned(), 1 + 4)]);
        assert_eq!((tally.position(), tally.len()), (0, 5));
        assert_eq!(
            tally.record(0, CheckStep::Probed { flows: 4 }),
            "probes done"
        );
        assert_eq!(tally.position(), 1);
        let label = tally.record(
            0,
            CheckStep::Flow {
                index: 0,
                of: 4,
                profile: "pipelines",
            },
        );
        assert_eq!(label, "profile 1/4 done (pipelines)");
        assert_eq!((tally.position(), tally.len()), (2, 5));
        tally.record(
            0,
            CheckStep::Flow {
                index: 3,
                of: 4,
                profile: "mcp-2025-06-18",
            },
        );
        assert_eq!((tally.position(), tally.len()), (5, 5));
    }

    #[test]
    fn an_unreachable_target_shrinks_to_its_probes_and_labels_name_the_target() {
        let mut tally = CheckTally::new([("a".to_owned(), 5), ("b".to_owned(), 3)]);
        assert_eq!(tally.len(), 8);
        assert_eq!(
            tally.record(1, CheckStep::Probed { flows: 0 }),
            "b: probes done"
        );
        assert_eq!((tally.position(), tally.len()), (1, 6));
        let label = tally.record(
            0,
            CheckStep::Flow {
                index: 1,
                of: 4,
                profile: "vscode",
            },
        );
        assert_eq!(label, "a: profile 2/4 done (vscode)");
        assert_eq!(tally.position(), 4);
        tally.finish(0);
        tally.finish(7);
        assert_eq!((tally.position(), tally.len()), (6, 6));
    }
}
