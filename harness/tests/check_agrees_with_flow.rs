//! The probes of `check` ask the client flow's own steps, so the verdict they predict cannot
//! contradict the flow: for every catalog scenario (and metadata at the root location naming
//! the origin), a profile whose flow connects is never given a "no".

use std::sync::Arc;
use std::time::Duration;

use mcp_oauth_harness::check::{self, CheckOptions, Consent};
use mcp_oauth_harness::flow::{ClientFlow, ClientOptions, Pauses};
use mcp_oauth_harness::http::{HttpClient, HttpLimits};
use mcp_oauth_harness::profile::{self, Profile};
use mcp_oauth_harness::redact::Redactor;
use mcp_oauth_harness::scenario::{ClientConfig, Scenario, catalog_dir, load_catalog};
use mcp_oauth_harness::user_agent::UserAgent;
use mcp_oauth_mocks::clock::SystemClock;
use mcp_oauth_mocks::config::{PrmLocation, ResourceForm};
use mcp_oauth_mocks::{MockConfig, MockServers};
use mcp_oauth_reports::Connects;

/// What the user gives: the scenario's `[client]` table, as the runner reads it.
struct Given {
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
    /// How the URL is pasted (`pasted-url`, `pasted-path`).
    pasted: ClientConfig,
}

impl Given {
    fn of(scenario: &Scenario) -> Self {
        Self {
            client_id: scenario.client.client_id.clone(),
            client_secret: scenario.client.client_secret.clone(),
            scope: scenario.client.scope.clone(),
            pasted: scenario.client.clone(),
        }
    }

    fn url(&self, mocks: &MockServers) -> String {
        self.pasted.pasted(&mocks.mcp_url())
    }
}

async fn mocks(config: &MockConfig) -> MockServers {
    MockServers::start(config.clone(), Arc::new(SystemClock))
        .await
        .expect("mock servers start")
}

/// The authority of the mocks' TLS front, which every client here trusts.
fn trusted(mocks: &MockServers) -> Vec<Vec<u8>> {
    mocks
        .tls_authority_der()
        .map(<[u8]>::to_vec)
        .into_iter()
        .collect()
}

/// Whether `profile`'s client flow connects and lists the tools, on mocks of its own.
async fn flow_connects(config: &MockConfig, given: &Given, profile: &'static Profile) -> bool {
    let mocks = mocks(config).await;
    let mut options = ClientOptions::new(given.url(&mocks));
    options.client_id = given.client_id.clone();
    options.client_secret = given.client_secret.clone().map(oauth2::ClientSecret::new);
    options.scope = given.scope.clone();
    let authorities: Vec<&[u8]> = mocks.tls_authority_der().into_iter().collect();
    let http = HttpClient::with_authorities(
        HttpLimits {
            timeout: Duration::from_secs(10),
            ..HttpLimits::default()
        },
        Redactor::default(),
        &[],
        &authorities,
    )
    .expect("http client");
    let mut flow = ClientFlow::new(options, profile, Arc::new(SystemClock), http);
    flow.connect(&UserAgent::Headless, &Pauses::default())
        .await
        .is_ok()
        && flow.test_connection().await.is_ok()
}

/// The check's verdict per profile, on mocks of its own.
async fn verdict(config: &MockConfig, given: &Given, consent: Consent) -> Vec<(String, Connects)> {
    let mocks = mocks(config).await;
    let options = CheckOptions {
        consent,
        redirect_port: 0,
        timeout: Duration::from_secs(10),
        client_id: given.client_id.clone(),
        client_secret: given.client_secret.clone(),
        scope: given.scope.clone(),
        trusted_authorities: trusted(&mocks),
        ..CheckOptions::new(given.url(&mocks))
    };
    let run = check::check(options).await.expect("the check runs");
    run.report
        .verdict
        .expect("check gives a verdict")
        .profiles
        .into_iter()
        .map(|p| (p.profile, p.connects))
        .collect()
}

/// Every "no" the check gives a profile whose flow connected, for `name`.
async fn contradictions(name: &str, config: &MockConfig, given: &Given) -> Vec<String> {
    let mut connected = Vec::new();
    for profile in profile::ALL.iter().copied() {
        if flow_connects(config, given, profile).await {
            connected.push(profile.name);
        }
    }
    let mut found = Vec::new();
    for consent in [Consent::Skip, Consent::Headless] {
        // A brought Client ID's allowlist names the flow's callback, not the one the check's
        // loopback listener gets (port 0 here): its consent is refused for a real reason.
        if given.client_id.is_some() && consent == Consent::Headless {
            continue;
        }
        let label = consent.as_str();
        for (profile, connects) in verdict(config, given, consent).await {
            if connects == Connects::No && connected.contains(&profile.as_str()) {
                found.push(format!(
                    "{name}: check (consent {label}) says {profile} does not connect, but its flow does"
                ));
            }
        }
    }
    found
}

#[tokio::test]
async fn metadata_at_the_root_naming_the_origin_is_accepted_by_the_probes_as_by_the_flow() {
    let mut config = MockConfig::default();
    config.resource_server.metadata_location = PrmLocation::Root;
    config.resource_server.resource_metadata_in_challenge = false;
    config.resource_server.resource_in_metadata = ResourceForm::Origin;
    let given = Given {
        client_id: None,
        client_secret: None,
        scope: None,
        pasted: ClientConfig::default(),
    };
    assert!(
        flow_connects(&config, &given, &profile::MCP_2025_11_25).await,
        "the flow accepts metadata at the root that names the origin (RFC 9728 §3.3)"
    );
    let found = contradictions("root-names-origin", &config, &given).await;
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// Scenarios whose first connection needs something a live check does not give: a Client ID
/// metadata document the runner publishes, or a scripted pause.
fn checkable(scenario: &Scenario) -> bool {
    !scenario.client.client_metadata_document && scenario.client.redirect_uri.is_none()
}

#[tokio::test]
async fn no_catalog_server_gets_a_no_for_a_profile_whose_flow_connects() {
    let catalog = load_catalog(&catalog_dir()).expect("the catalog loads");
    let mut found = Vec::new();
    let mut compared = 0;
    for scenario in catalog.iter().filter(|s| checkable(s)) {
        compared += 1;
        found.extend(contradictions(&scenario.name, &scenario.mocks, &Given::of(scenario)).await);
    }
    assert!(compared > 40, "only {compared} scenarios compared");
    assert!(found.is_empty(), "{}", found.join("\n"));
}
