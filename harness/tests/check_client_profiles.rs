//! `check URL --profiles clients`: a verdict per real-client profile, observed in a flow of its
//! own. The URL is pasted with a trailing slash the resource metadata lacks: RFC 9728 §3.3
//! makes every spec revision refuse, while the real clients that compare by path prefix
//! (the TypeScript SDK and everything built on it, the Python SDK, the AI SDK) connect, and
//! their verdicts say that connecting there is the client's non-conformance.

use std::sync::Arc;
use std::time::Duration;

use mcp_oauth_harness::check::{self, CheckOptions, Consent, ProfileSelection};
use mcp_oauth_mocks::clock::SystemClock;
use mcp_oauth_mocks::{MockConfig, MockServers};
use mcp_oauth_reports::{Connects, Party, ProfileVerdict};

const CLIENTS: [&str; 5] = [
    "mcp-remote-0.15",
    "ts-sdk-2.4",
    "python-sdk-2.3",
    "ai-sdk-mcp-2.0",
    "inspector-2.12",
];

#[tokio::test]
async fn every_client_profile_gets_an_observed_verdict_that_names_the_parties() {
    let mocks = MockServers::start(MockConfig::default(), Arc::new(SystemClock))
        .await
        .expect("mock servers start");
    let pasted = format!("{}/", mocks.mcp_url().trim_end_matches('/'));
    let options = CheckOptions {
        consent: Consent::Headless,
        redirect_port: 0,
        timeout: Duration::from_secs(10),
        profiles: ProfileSelection::parse("mcp-2026-07-28,clients").expect("known profiles"),
        ..CheckOptions::new(pasted)
    };
    let run = check::check(options).await.expect("the check runs");
    let verdict = run
        .report
        .verdict
        .as_ref()
        .expect("a compatibility verdict");
    let of = |name: &str| -> &ProfileVerdict {
        verdict
            .profiles
            .iter()
            .find(|p| p.profile == name)
            .unwrap_or_else(|| panic!("no verdict for {name}"))
    };

    let spec = of("mcp-2026-07-28");
    assert_eq!(spec.connects, Connects::No, "{spec:?}");
    assert_eq!(spec.blockers[0].code, "resource-mismatch");
    assert_eq!(spec.blockers[0].party, Party::McpServer);

    for name in CLIENTS {
        let client = of(name);
        assert!(client.verified, "{name} was not observed: {client:?}");
        assert_eq!(client.connects, Connects::Yes, "{name}: {client:?}");
        let departure = client
            .caveats
            .iter()
            .find(|c| c.code == "resource-mismatch")
            .unwrap_or_else(|| panic!("{name} does not say what it stepped over: {client:?}"));
        // The server's fix stands, and the client's part is named with the spec reference.
        assert_eq!(departure.party, Party::McpServer);
        assert!(
            departure.message.contains("non-conformance") && departure.message.contains("RFC9728"),
            "{name}: {}",
            departure.message
        );
    }
}
