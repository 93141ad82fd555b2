//! The catalog's runs spread over `jobs` threads, each with a single-threaded runtime of its
//! own that runs one scenario at a time.
//!
//! A run is a client and its mock servers talking over loopback sockets. On a work-stealing
//! runtime the two ends land on different worker threads, so every request and every answer
//! wakes another thread (a futex, a context switch): the system time of `run -j 1` was higher
//! than its user time. On one thread the client's write and the server's read are driven by
//! the same poll loop. Runs stay isolated as before: each has its own mocks, clock and client.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use indicatif::ProgressBar;

/// Runs `work` on every item, at most `jobs` at once (one per thread), advancing `bar` as each
/// finishes; results come back in the items' order. A run that panicked gives its panic
/// message.
pub async fn run_sharded<T, R, F, Fut>(
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
    let count = items.len();
    let queue: VecDeque<(usize, String, T)> = items
        .into_iter()
        .enumerate()
        .map(|(index, item)| (index, label(&item), item))
        .collect();
    let queue = Arc::new(Mutex::new(queue));
    let work = Arc::new(work);
    let (done, mut finished) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..jobs.clamp(1, count.max(1)) {
        let (queue, work, done, bar) = (queue.clone(), work.clone(), done.clone(), bar.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            let next = || {
                queue
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .pop_front()
            };
            while let Some((index, name, item)) = next() {
                let result = match &runtime {
                    Ok(runtime) => runtime.block_on(async {
                        tokio::spawn(work(item)).await.map_err(|e| e.to_string())
                    }),
                    Err(e) => Err(format!("cannot start a runtime for the run: {e}")),
                };
                bar.set_message(name);
                bar.inc(1);
                if done.send((index, result)).is_err() {
                    break;
                }
            }
        });
    }
    drop(done);
    let mut results: Vec<Option<Result<R, String>>> = (0..count).map(|_| None).collect();
    while let Some((index, result)) = finished.recv().await {
        results[index] = Some(result);
    }
    bar.finish_and_clear();
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err("the run's thread ended without a result".to_owned())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn results_come_back_in_order_and_a_panic_is_reported() {
        let items: Vec<u32> = (0..20).collect();
        let results = run_sharded(
            items,
            3,
            &ProgressBar::hidden(),
            |i| i.to_string(),
            |i| async move {
                assert_ne!(i, 7, "seven panics");
                i * 2
            },
        )
        .await;
        assert_eq!(results.len(), 20);
        for (i, result) in results.iter().enumerate() {
            if i == 7 {
                assert!(result.as_ref().unwrap_err().contains("seven panics"));
            } else {
                assert_eq!(result.as_ref().unwrap(), &(i as u32 * 2));
            }
        }
    }

    #[tokio::test]
    async fn no_items_no_threads_no_results() {
        let results = run_sharded(
            Vec::<u32>::new(),
            4,
            &ProgressBar::hidden(),
            |i| i.to_string(),
            |i| async move { i },
        )
        .await;
        assert!(results.is_empty());
    }
}
