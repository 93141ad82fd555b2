//! Concurrent runs with a progress bar on stderr (indicatif), for the catalog, several
//! targets, and test-client runs. The bar is drawn only when stderr is a terminal, so logs,
//! pipes and CI output stay clean.

use std::future::Future;
use std::io::IsTerminal;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

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
        let name = label(&item);
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
