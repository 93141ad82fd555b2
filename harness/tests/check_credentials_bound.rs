//! `check` binds a Client ID and secret the user gave to one authorization server: the one its
//! probes found, or the one a gallery entry pins. When the MCP server names another one (here
//! right after the first profile's code exchange, or from the start against a pinned issuer),
//! neither a probe nor a flow sends them there.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mcp_oauth_harness::check::gallery::GalleryEntry;
use mcp_oauth_harness::check::{self, CheckOptions, CheckRun, Consent, ProfileSelection};
use mcp_oauth_harness::flow::{PinnedEndpoints, RegistrationFlow};
use mcp_oauth_harness::profile;
use mcp_oauth_mocks::clock::SystemClock;
use mcp_oauth_mocks::config::PreregisteredClient;
use mcp_oauth_mocks::log::{RecordedRequest, Server};
use mcp_oauth_mocks::{MockConfig, MockServers};

mod check_support;
use check_support::human;

const CLIENT_ID: &str = "byo-confidential-app";
const SECRET: &str = "byo-app-secret-0123456789";

/// Mocks with the user's app registered at the first authorization server only, no dynamic
/// registration anywhere, and an alternate server to switch to.
async fn mocks(redirect_port: u16) -> Arc<MockServers> {
    let mut config = MockConfig::default();
    config.authorization_server.dynamic_registration = false;
    config.authorization_server.clients = vec![PreregisteredClient {
        client_id: CLIENT_ID.to_owned(),
        client_secret: Some(SECRET.to_owned()),
        redirect_uris: vec![format!("http://127.0.0.1:{redirect_port}/callback")],
    }];
    config.resource_server.alternate_authorization_server = true;
    Arc::new(
        MockServers::start(config, Arc::new(SystemClock))
            .await
            .expect("mock servers start"),
    )
}

fn options(mocks: &MockServers, redirect_port: u16) -> CheckOptions {
    CheckOptions {
        client_id: Some(CLIENT_ID.to_owned()),
        client_secret: Some(SECRET.to_owned()),
        consent: Consent::Headless,
        redirect_port,
        timeout: Duration::from_secs(10),
        ..CheckOptions::new(mocks.mcp_url())
    }
}

/// The alternate server's requests, none of which carries the credentials (and, with
/// `discovery_only`, each a metadata fetch). Returns how many there were.
fn nothing_sent_to_the_alternate(
    mocks: &MockServers,
    run: &CheckRun,
    discovery_only: bool,
) -> usize {
    let foreign: Vec<RecordedRequest> = mocks
        .log()
        .snapshot()
        .into_iter()
        .filter(|r| r.server == Server::AlternateAuthorizationServer)
        .collect();
    for request in &foreign {
        let mut sent: Vec<&str> = request.query.iter().map(|(_, v)| v.as_str()).collect();
        sent.extend(request.form.iter().map(|(_, v)| v.as_str()));
        if let Some(credential) = &request.authorization {
            sent.push(&credential.value);
        }
        assert!(
            !sent
                .iter()
                .any(|v| v.contains(CLIENT_ID) || v.contains(SECRET)),
            "{} {} carried the brought credentials\n{}",
            request.method,
            request.path,
            human(run)
        );
        assert!(
            !discovery_only || request.path.contains("/.well-known/"),
            "{} {}",
            request.method,
            request.path
        );
    }
    foreign.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brought_credentials_stay_with_the_issuer_the_probes_found() {
    const REDIRECT_PORT: u16 = 33467;
    let mocks = mocks(REDIRECT_PORT).await;
    // The first code exchange moves the MCP server to the other authorization server.
    let switched = Arc::new(AtomicBool::new(false));
    let (flag, servers) = (switched.clone(), Arc::downgrade(&mocks));
    mocks.log().on_record(Arc::new(move |_, request| {
        if request.server == Server::AuthorizationServer
            && request.grant_type.as_deref() == Some("authorization_code")
            && !flag.swap(true, Ordering::SeqCst)
            && let Some(servers) = servers.upgrade()
        {
            servers.switch_authorization_server();
        }
    }));
    let run = check::check(CheckOptions {
        profiles: ProfileSelection::List(vec![&profile::MCP_2026_07_28, &profile::MCP_2025_11_25]),
        ..options(&mocks, REDIRECT_PORT)
    })
    .await
    .expect("the check runs");
    assert!(
        switched.load(Ordering::SeqCst),
        "the switch happened\n{}",
        human(&run)
    );
    assert!(
        nothing_sent_to_the_alternate(&mocks, &run, true) > 0,
        "the second flow discovered the other server\n{}",
        human(&run)
    );
    let withheld = run.report.checks.iter().any(|c| {
        c.id == "client-bound-to-issuer"
            && c.details
                .as_ref()
                .and_then(|d| d.get("broughtCredentialsSent"))
                == Some(&serde_json::json!(false))
    });
    assert!(
        withheld,
        "the report says the credentials were withheld\n{}",
        human(&run)
    );
}

/// A gallery entry pins the first server's issuer, and the MCP server names the other one
/// from the start: the credentials are the pinned issuer's, so they go nowhere, and every
/// profile is told why (`credentials-foreign-issuer`, not a drift to follow).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_issuer_keeps_the_credentials_from_the_server_named_instead() {
    const REDIRECT_PORT: u16 = 33468;
    let mocks = mocks(REDIRECT_PORT).await;
    let pinned = mocks.issuer();
    assert!(mocks.switch_authorization_server());
    assert_ne!(pinned, mocks.issuer());
    let run = check::check(CheckOptions {
        profiles: ProfileSelection::List(vec![&profile::MCP_2025_11_25]),
        gallery: Some(GalleryEntry {
            url: mocks.mcp_url(),
            flow: Some(RegistrationFlow::ClientId),
            scope: None,
            pinned: PinnedEndpoints {
                issuer: Some(pinned),
                ..PinnedEndpoints::default()
            },
        }),
        ..options(&mocks, REDIRECT_PORT)
    })
    .await
    .expect("the check runs");
    // The probes ask the live server what they ask any (its CORS preflight, an unknown
    // client's code), as no one's client.
    assert!(nothing_sent_to_the_alternate(&mocks, &run, false) > 0);
    let verdicts = run.report.verdict.as_ref().expect("a verdict");
    for verdict in &verdicts.profiles {
        assert!(
            verdict
                .blockers
                .iter()
                .any(|b| b.code == "credentials-foreign-issuer"),
            "{}: {:?}\n{}",
            verdict.profile,
            verdict.blockers,
            human(&run)
        );
    }
}
