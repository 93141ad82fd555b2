//! Test support for the secrets canary: every place a secret could escape to (the four report
//! renderings, the trace log, panic messages, error texts) and a search over them that names
//! where a secret was found without printing it.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use mcp_oauth_reports::{Report, render};

/// Secrets shorter than this are not searched for: the redactor does not track them either
/// (they would match ordinary words), and they are caught by parameter name instead.
pub const MIN_SECRET_LEN: usize = 8;

/// The four renderings the CLI offers.
pub fn renderings(report: &Report) -> Vec<(&'static str, String)> {
    vec![
        ("json", render::json(report)),
        ("markdown", render::markdown(report)),
        ("junit", render::junit_many(std::slice::from_ref(report))),
        ("html", render::html(report)),
    ]
}

/// `place: secret #i (n characters)` for each secret of `secrets` that `text` contains.
/// One pass over `text` keyed by each secret's first bytes, so a log of many megabytes is
/// searched for hundreds of secrets in well under a second.
pub fn found_in(place: &str, text: &str, secrets: &[String]) -> Vec<String> {
    let mut by_prefix: HashMap<&[u8], Vec<usize>> = HashMap::new();
    for (index, secret) in secrets.iter().enumerate() {
        if secret.len() >= MIN_SECRET_LEN {
            by_prefix
                .entry(&secret.as_bytes()[..MIN_SECRET_LEN])
                .or_default()
                .push(index);
        }
    }
    let bytes = text.as_bytes();
    let mut hits: Vec<usize> = Vec::new();
    for start in 0..bytes.len().saturating_sub(MIN_SECRET_LEN - 1) {
        if let Some(candidates) = by_prefix.get(&bytes[start..start + MIN_SECRET_LEN]) {
            for &index in candidates {
                if bytes[start..].starts_with(secrets[index].as_bytes()) && !hits.contains(&index) {
                    hits.push(index);
                }
            }
        }
    }
    hits.sort_unstable();
    hits.into_iter()
        .map(|i| format!("{place}: secret #{i} ({} characters)", secrets[i].len()))
        .collect()
}

/// Leaks of `secrets` into any rendering of `report`.
pub fn report_leaks(report: &Report, secrets: &[String]) -> Vec<String> {
    renderings(report)
        .iter()
        .flat_map(|(format, text)| found_in(&format!("the {format} report"), text, secrets))
        .collect()
}

/// Everything logged by any thread of the test process, at `RUST_LOG` (default `trace`).
#[derive(Clone, Default)]
pub struct TraceLog(Arc<Mutex<Vec<u8>>>);

impl TraceLog {
    /// The process's trace log, installed on first use as the global subscriber (with the
    /// `log` bridge, so reqwest's and hyper's records are in it too).
    pub fn global() -> &'static TraceLog {
        static LOG: OnceLock<TraceLog> = OnceLock::new();
        LOG.get_or_init(|| {
            let log = TraceLog::default();
            let filter = tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("trace"));
            let installed = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_ansi(false)
                .with_writer(log.clone())
                .try_init();
            assert!(installed.is_ok(), "another subscriber was installed first");
            log
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }

    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

impl Write for TraceLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for TraceLog {
    type Writer = TraceLog;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// The message of every panic in the process (any thread, caught or not) since first use.
pub fn panic_messages() -> Vec<String> {
    PANICS
        .get_or_init(install_panic_hook)
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

/// Starts recording panic messages (call before the work under test).
pub fn record_panics() {
    PANICS.get_or_init(install_panic_hook);
}

static PANICS: OnceLock<Arc<Mutex<Vec<String>>>> = OnceLock::new();

fn install_panic_hook() -> Arc<Mutex<Vec<String>>> {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let kept = seen.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        kept.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(info.to_string());
        previous(info);
    }));
    seen
}
