//! `check` binds a Client ID and secret the user gave to the authorization server its probes
//! found: when the MCP server names another one while the check runs (here right after the
//! first profile's code exchange), no later profile's flow sends them there.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mcp_oauth_harness::check::{self, CheckOptions, Consent, ProfileSelection};
use mcp_oauth_harness::profile;
use mcp_oauth_mocks::clock::SystemClock;
use mcp_oauth_mocks::config::PreregisteredClient;
use mcp_oauth_mocks::log::Server;
use mcp_oauth_mocks::{MockConfig, MockServers};

mod check_support;
use check_support::human;

const CLIENT_ID: &str = "byo-confidential-app";
const SECRET: &str = "byo-app-secret-0123456789";
const REDIRECT_PORT: u16 = 33467;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brought_credentials_stay_with_the_issuer_the_probes_found() {
    let mut config = MockConfig::default();
    config.authorization_server.dynamic_registration = false;
    config.authorization_server.clients = vec![PreregisteredClient {
        client_id: CLIENT_ID.to_owned(),
        client_secret: Some(SECRET.to_owned()),
        redirect_uris: vec![format!("http://127.0.0.1:{REDIRECT_PORT}/callback")],
    }];
    config.resource_server.alternate_authorization_server = true;
    let mocks = Arc::new(
        MockServers::start(config, Arc::new(SystemClock))
            .await
            .expect("mock servers start"),
    );
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
    let options = CheckOptions {
        client_id: Some(CLIENT_ID.to_owned()),
        client_secret: Some(SECRET.to_owned()),
        consent: Consent::Headless,
        redirect_port: REDIRECT_PORT,
        timeout: Duration::from_secs(10),
        profiles: ProfileSelection::List(vec![&profile::MCP_2026_07_28, &profile::MCP_2025_11_25]),
        ..CheckOptions::new(mocks.mcp_url())
    };
    let run = check::check(options).await.expect("the check runs");
    assert!(
        switched.load(Ordering::SeqCst),
        "the switch happened\n{}",
        human(&run)
    );

    let foreign: Vec<_> = mocks
        .log()
        .snapshot()
        .into_iter()
        .filter(|r| r.server == Server::AlternateAuthorizationServer)
        .collect();
    assert!(
        !foreign.is_empty(),
        "the second flow discovered the other server\n{}",
        human(&run)
    );
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
            human(&run)
        );
        assert!(
            request.path.contains("/.well-known/"),
            "{} {}",
            request.method,
            request.path
        );
    }
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
