//! No secret of a run may appear in any rendering of its report: neither what the mocks hand
//! out (codes, access and refresh tokens, registered client secrets) nor what the harness makes
//! or is given itself (`state`, the PKCE `code_verifier`, a brought client secret). Both the
//! catalog (`run`) and the live `check` against the mocks, with headless consent.

use std::sync::Arc;
use std::time::Duration;

use mcp_oauth_harness::check::{self, CheckOptions, Consent};
use mcp_oauth_harness::profile;
use mcp_oauth_harness::redact;
use mcp_oauth_harness::runner::run_scenario_with_secrets;
use mcp_oauth_harness::scenario::{catalog_dir, load_catalog};
use mcp_oauth_mocks::clock::SystemClock;
use mcp_oauth_mocks::config::{PreregisteredClient, TokenEndpointAuthMethod};
use mcp_oauth_mocks::{MockConfig, MockServers};
use mcp_oauth_reports::{Report, render};

/// The secrets among `secrets` that some rendering of `report` contains, as `format: secret
/// kind` lines that name where without printing the secret itself.
fn leaks(report: &Report, secrets: &[String]) -> Vec<String> {
    let renderings = [
        ("json", render::json(report)),
        ("markdown", render::markdown(report)),
        ("junit", render::junit(report)),
        ("html", render::html(report)),
    ];
    let mut found = Vec::new();
    for (index, secret) in secrets.iter().enumerate() {
        for (format, text) in &renderings {
            if text.contains(secret.as_str()) {
                found.push(format!(
                    "the {format} report contains secret #{index} ({} characters)",
                    secret.len()
                ));
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_report_of_any_scenario_contains_a_secret() {
    let catalog = load_catalog(&catalog_dir()).expect("the catalog loads");
    let mut secrets_seen = 0;
    let mut found = Vec::new();
    for scenario in &catalog {
        for name in &scenario.profiles {
            let profile = profile::by_name(name).expect("validated on load");
            let (report, secrets) = run_scenario_with_secrets(scenario, profile)
                .await
                .expect("the scenario runs");
            secrets_seen += secrets.len();
            for leak in leaks(&report, &secrets) {
                found.push(format!("{} ({name}): {leak}", scenario.name));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
    // The catalog issues codes and tokens: a test that saw none would prove nothing.
    assert!(secrets_seen > 50, "only {secrets_seen} secrets were issued");
}

/// A free loopback port, for a callback URL that a pre-registered app must list exactly.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_check_report_contains_a_secret_of_the_harness_or_the_server() {
    // The check builds its own redactor; the audit sees every secret any redactor registers.
    redact::audit::start();
    let port = free_port();
    let brought_secret = "brought-app-secret-0123456789";
    // (what the vendor is, its mocks, the Client ID and secret the user brings)
    type Vendor = (
        &'static str,
        MockConfig,
        Option<(&'static str, &'static str)>,
    );
    let vendors: Vec<Vendor> = vec![
        ("public DCR client", MockConfig::default(), None),
        (
            "confidential DCR client",
            {
                let mut c = MockConfig::default();
                c.authorization_server.registration_auth_method =
                    Some(TokenEndpointAuthMethod::ClientSecretPost);
                c
            },
            None,
        ),
        (
            "brought confidential app",
            {
                let mut c = MockConfig::default();
                c.authorization_server.dynamic_registration = false;
                c.authorization_server.clients = vec![PreregisteredClient {
                    client_id: "brought-app".into(),
                    client_secret: Some(brought_secret.into()),
                    redirect_uris: vec![format!("http://127.0.0.1:{port}/callback")],
                }];
                c
            },
            Some(("brought-app", brought_secret)),
        ),
    ];
    let mut found = Vec::new();
    for (vendor, config, brought) in vendors {
        let mocks = MockServers::start(config, Arc::new(SystemClock))
            .await
            .expect("mock servers start");
        let before = redact::audit::seen().len();
        let run = check::check(CheckOptions {
            consent: Consent::Headless,
            redirect_port: if brought.is_some() { port } else { 0 },
            timeout: Duration::from_secs(10),
            client_id: brought.map(|(id, _)| id.to_owned()),
            client_secret: brought.map(|(_, secret)| secret.to_owned()),
            ..CheckOptions::new(mocks.mcp_url())
        })
        .await
        .expect("the check runs");
        let handled = redact::audit::seen();
        // Each consent flow makes a state and a verifier and redeems a code: without them the
        // search below would not cover the harness's own secrets.
        assert!(
            handled.len() >= before + 3,
            "{vendor}: the harness registered only {} new secrets",
            handled.len() - before
        );
        let mut secrets = handled;
        secrets.extend(mocks.issued_secrets());
        secrets.extend(brought.map(|(_, secret)| secret.to_owned()));
        assert!(
            run.report.exchanges.len() > 5,
            "{vendor}: the check made too few requests to prove anything"
        );
        for leak in leaks(&run.report, &secrets) {
            found.push(format!("{vendor}: {leak}"));
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
