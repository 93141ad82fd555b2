//! What one `check` is told: the target, the client it connects as, the consent, the
//! profiles to observe, and the limits.

use std::sync::Arc;
use std::time::Duration;

use mcp_oauth_mocks::clock::{SharedClock, SystemClock};

use crate::baseline::Baseline;
use crate::{CheckProgress, ProfileSelection, gallery};
use mcp_oauth_engine::profile::{self, Profile};
use mcp_oauth_engine::user_agent::{DEFAULT_CALLBACK_PORT, LoopbackUri};

/// How the consent step is played, if at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consent {
    /// Only the probes that need no person.
    Skip,
    /// The system browser, and a loopback listener for the redirect.
    Browser,
    /// `program args... AUTHORIZATION_URL`, and a loopback listener for the redirect.
    Command { program: String, args: Vec<String> },
    /// For servers that approve without a person: read the redirect directly.
    Headless,
}

impl Consent {
    pub fn as_str(&self) -> &'static str {
        match self {
            Consent::Skip => "none",
            Consent::Browser => "browser",
            Consent::Command { .. } => "command",
            Consent::Headless => "headless",
        }
    }
}

/// Where the client secret came from, which decides who may send it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SecretOrigin {
    /// The command line (`--client-secret`, `MCP_OAUTH_CLIENT_SECRET`): the probes use it too.
    #[default]
    CommandLine,
    /// A variable a targets or gallery file named: sent only by the flows after the consent
    /// step began, never by the probes, which run without anyone's consent.
    File,
}

/// Everything one check of one target needs.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// How the target is called in summaries and file names.
    pub name: String,
    pub url: String,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub client_secret_origin: SecretOrigin,
    /// The profile the consent step follows and the checks are judged by.
    pub profile: &'static Profile,
    /// The further profiles whose flows run for observed verdicts.
    pub profiles: ProfileSelection,
    pub scope: Option<String>,
    /// An `audience` for every flow's authorization request (`--audience`).
    pub audience: Option<String>,
    pub consent: Consent,
    /// The loopback callback port (0: any free port).
    pub redirect_port: u16,
    /// The callback chosen exactly (host, port, path); wins over `redirect_port`.
    pub redirect_uri: Option<LoopbackUri>,
    /// Bounds every wait: each HTTP request, and the consent.
    pub timeout: Duration,
    pub baseline: Option<Baseline>,
    /// Warnings fail the run too.
    pub strict: bool,
    /// The `--profile` flow's clock: the system clock, or a simulated one shared with mock
    /// servers in tests, so that waiting out a token's expiry takes no real time.
    pub clock: SharedClock,
    /// The https URL of the client's Client ID metadata document, if it has one.
    pub client_metadata_url: Option<String>,
    /// A provider-gallery entry's promises: the flows connect as the entry says, and the
    /// entry is compared with live discovery (`gallery-*` checks).
    pub gallery: Option<gallery::GalleryEntry>,
    /// Told after the probes and after each profile's flow (a progress bar).
    pub progress: Option<CheckProgress>,
    /// Certificate authorities (DER) trusted beside the system's: a test server's own.
    pub trusted_authorities: Vec<Vec<u8>>,
}

impl CheckOptions {
    pub fn new(url: impl Into<String>) -> Self {
        let url = url.into();
        Self {
            name: default_name(&url),
            url,
            client_id: None,
            client_secret: None,
            client_secret_origin: SecretOrigin::CommandLine,
            profile: &profile::PIPELINES,
            profiles: ProfileSelection::Default,
            scope: None,
            audience: None,
            consent: Consent::Browser,
            redirect_port: DEFAULT_CALLBACK_PORT,
            redirect_uri: None,
            timeout: Duration::from_secs(120),
            baseline: None,
            strict: false,
            clock: Arc::new(SystemClock),
            client_metadata_url: None,
            gallery: None,
            progress: None,
            trusted_authorities: Vec::new(),
        }
    }
}

/// A name for a target given only by URL: its host and path, as file-name-safe text.
pub fn default_name(url: &str) -> String {
    let text = url::Url::parse(url).map_or_else(
        |_| url.to_owned(),
        |u| format!("{}{}", u.host_str().unwrap_or(""), u.path()),
    );
    let name: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = name.trim_matches('-').to_owned();
    if name.is_empty() {
        "target".to_owned()
    } else {
        name
    }
}
