//! The mock MCP server's DPoP checks (RFC 9449 §4.3, §7), over real loopback HTTP: after a
//! client flow that uses DPoP has connected, raw `initialize` POSTs with the flow's bound
//! token and hand-made proofs are answered as the knobs say. The mocks and the proofs share a
//! simulated clock, so the `iat` window is tested without waiting.

use std::sync::Arc;
use std::time::Duration;

use mcp_oauth_harness::flow::dpop::{DpopKey, DpopUse};
use mcp_oauth_harness::flow::{ClientFlow, ClientOptions, Pauses};
use mcp_oauth_harness::http::{HttpClient, HttpLimits};
use mcp_oauth_harness::profile;
use mcp_oauth_harness::redact::Redactor;
use mcp_oauth_harness::user_agent::UserAgent;
use mcp_oauth_mocks::clock::{Clock, SimulatedClock};
use mcp_oauth_mocks::{MockConfig, MockServers};

struct Connected {
    mocks: MockServers,
    clock: SimulatedClock,
    token: String,
    key: Arc<DpopKey>,
    /// The refresh token and the Client ID it was issued to.
    refresh: (String, String),
}

async fn connected(edit: impl FnOnce(&mut MockConfig)) -> Connected {
    let mut config = MockConfig::default();
    config.authorization_server.dpop = true;
    config.resource_server.require_dpop = true;
    edit(&mut config);
    let clock = SimulatedClock::default();
    let mocks = MockServers::start(config, clock.shared())
        .await
        .expect("mock servers start");
    let mut options = ClientOptions::new(mocks.mcp_url());
    options.dpop = Some(DpopUse::Always);
    let http = HttpClient::new(
        HttpLimits {
            timeout: Duration::from_secs(10),
            ..HttpLimits::default()
        },
        Redactor::default(),
    )
    .expect("http client");
    let mut flow = ClientFlow::new(options, &profile::PIPELINES, clock.shared(), http);
    flow.connect(&UserAgent::Headless, &Pauses::default())
        .await
        .expect("the DPoP flow connects");
    flow.test_connection().await.expect("and its token works");
    let token = flow.tokens().expect("tokens").access_token.secret().clone();
    let key = flow.context().dpop.clone().expect("the flow's key");
    let connection = flow.connection().expect("connected");
    let refresh = (
        connection
            .tokens
            .refresh_token
            .as_ref()
            .expect("a refresh token")
            .secret()
            .clone(),
        connection.client.client_id.clone(),
    );
    Connected {
        mocks,
        clock,
        token,
        key,
        refresh,
    }
}

impl Connected {
    fn proof(&self, url: &str, token: Option<&str>) -> String {
        self.key
            .proof_with("POST", url, token, None, self.clock.now())
    }

    /// POSTs `initialize` with these headers; the status and the `WWW-Authenticate` value.
    async fn post(&self, authorization: &str, proof: Option<&str>) -> (u16, String) {
        let mut request = reqwest::Client::new()
            .post(self.mocks.mcp_url())
            .header("accept", "application/json, text/event-stream")
            .header("authorization", authorization)
            .json(&mcp_oauth_harness::flow::probe::initialize_request());
        if let Some(proof) = proof {
            request = request.header("dpop", proof);
        }
        let response = request.send().await.expect("the MCP server answers");
        let challenge = response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (response.status().as_u16(), challenge)
    }

    async fn with_proof(&self, proof: &str) -> (u16, String) {
        self.post(&format!("DPoP {}", self.token), Some(proof))
            .await
    }
}

#[track_caller]
fn refused(answer: &(u16, String), why: &str) {
    assert_eq!(answer.0, 401, "{answer:?}");
    assert!(
        answer.1.starts_with("DPoP ") && answer.1.contains(why),
        "expected a DPoP challenge saying {why:?}: {answer:?}"
    );
}

#[tokio::test]
async fn the_mock_holds_a_bound_token_to_its_proof() {
    let c = connected(|_| {}).await;
    let url = c.mocks.mcp_url();
    let good = c.proof(&url, Some(&c.token));
    assert_eq!(c.with_proof(&good).await.0, 200);
    refused(&c.with_proof(&good).await, "used before");
    refused(
        &c.with_proof(&c.proof(&format!("{url}/other"), Some(&c.token)))
            .await,
        "htu",
    );
    refused(
        &c.with_proof(&c.proof(&url, Some("another-token"))).await,
        "ath",
    );
    refused(&c.with_proof(&c.proof(&url, None)).await, "ath");
    let stranger = DpopKey::generate();
    let foreign = stranger.proof_with("POST", &url, Some(&c.token), None, c.clock.now());
    refused(&c.with_proof(&foreign).await, "cnf.jkt");
    refused(
        &c.post(&format!("DPoP {}", c.token), None).await,
        "needs a DPoP proof",
    );
    refused(
        &c.post(&format!("Bearer {}", c.token), None).await,
        "only DPoP-bound",
    );
    let put = c
        .key
        .proof_with("PUT", &url, Some(&c.token), None, c.clock.now());
    refused(&c.with_proof(&put).await, "htm");
    // A proof made 301 s ago (the window is 300 s), and one 301 s ahead.
    let old = c.proof(&url, Some(&c.token));
    c.clock.advance(Duration::from_secs(301)).unwrap();
    refused(&c.with_proof(&old).await, "iat");
    let ahead = c.key.proof_with(
        "POST",
        &url,
        Some(&c.token),
        None,
        c.clock.now() + Duration::from_secs(301),
    );
    refused(&c.with_proof(&ahead).await, "iat");
    let fresh = c.proof(&url, Some(&c.token));
    assert_eq!(c.with_proof(&fresh).await.0, 200);
}

#[tokio::test]
async fn lax_knobs_accept_what_they_name() {
    let c = connected(|config| {
        config.resource_server.accept_replayed_dpop_proofs = true;
        config.resource_server.skip_dpop_htu_check = true;
        config.resource_server.accept_dpop_tokens_as_bearer = true;
    })
    .await;
    let url = c.mocks.mcp_url();
    let good = c.proof(&url, Some(&c.token));
    assert_eq!(c.with_proof(&good).await.0, 200);
    assert_eq!(c.with_proof(&good).await.0, 200, "replayed");
    let elsewhere = c.proof("http://127.0.0.1:1/elsewhere", Some(&c.token));
    assert_eq!(c.with_proof(&elsewhere).await.0, 200, "wrong htu");
    assert_eq!(c.post(&format!("Bearer {}", c.token), None).await.0, 200);
    // What no knob relaxes is still refused.
    refused(
        &c.with_proof(&c.proof(&url, Some("another-token"))).await,
        "ath",
    );
}

#[tokio::test]
async fn a_resource_server_nonce_is_demanded_then_accepted() {
    let c = connected(|config| {
        config.resource_server.dpop_nonce = mcp_oauth_mocks::config::DpopNonce::Required;
    })
    .await;
    let url = c.mocks.mcp_url();
    let without = c.proof(&url, Some(&c.token));
    let answer = c.with_proof(&without).await;
    refused(&answer, "use_dpop_nonce");
    let nonce = "rs-nonce-1";
    let with = c
        .key
        .proof_with("POST", &url, Some(&c.token), Some(nonce), c.clock.now());
    assert_eq!(c.with_proof(&with).await.0, 200);
}

#[tokio::test]
async fn a_bearer_answer_to_a_proof_leaves_the_flow_on_bearer_tokens() {
    // Told to use DPoP at a server that does not bind tokens (RFC 9449 §5 lets it ignore the
    // proof): the token is presented as Bearer, and the report says it was not bound.
    let clock = SimulatedClock::default();
    let mocks = MockServers::start(MockConfig::default(), clock.shared())
        .await
        .expect("mock servers start");
    let mut options = ClientOptions::new(mocks.mcp_url());
    options.dpop = Some(DpopUse::Always);
    let http = HttpClient::new(HttpLimits::default(), Redactor::default()).expect("http client");
    let mut flow = ClientFlow::new(options, &profile::MCP_2026_07_28, clock.shared(), http);
    flow.connect(&UserAgent::Headless, &Pauses::default())
        .await
        .expect("connects");
    flow.test_connection()
        .await
        .expect("the Bearer token works");
    let bound: Vec<_> = flow
        .checks()
        .iter()
        .filter(|c| c.id == "dpop-token-bound")
        .map(|c| c.status)
        .collect();
    assert_eq!(bound, vec![mcp_oauth_reports::Status::Failure]);
    assert!(flow.context().dpop.is_none());
}

/// POSTs a code exchange (with a code nobody issued) to the mock token endpoint with `proof`;
/// the status, the `error`, and the `DPoP-Nonce` header.
async fn token_request(mocks: &MockServers, proof: &str) -> (u16, Option<String>, Option<String>) {
    let response = reqwest::Client::new()
        .post(format!("{}/token", mocks.issuer()))
        .header("dpop", proof)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "never-issued"),
            ("client_id", "nobody"),
        ])
        .send()
        .await
        .expect("the token endpoint answers");
    let status = response.status().as_u16();
    let nonce = response
        .headers()
        .get("dpop-nonce")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    let error = body
        .get("error")
        .and_then(|e| e.as_str())
        .map(str::to_owned);
    (status, error, nonce)
}

#[tokio::test]
async fn the_token_endpoint_judges_the_proof_before_the_grant() {
    let clock = SimulatedClock::default();
    let mut config = MockConfig::default();
    config.authorization_server.dpop = true;
    config.authorization_server.dpop_nonce = mcp_oauth_mocks::config::DpopNonce::Required;
    let mocks = MockServers::start(config, clock.shared())
        .await
        .expect("mock servers start");
    let key = DpopKey::generate();
    let endpoint = format!("{}/token", mocks.issuer());
    let wrong = key.proof_with("POST", &format!("{endpoint}x"), None, None, clock.now());
    let answer = token_request(&mocks, &wrong).await;
    assert_eq!(
        (answer.0, answer.1.as_deref()),
        (400, Some("invalid_dpop_proof"))
    );
    // A good proof without the nonce is asked for it; with it, the grant itself is judged.
    let without = key.proof_with("POST", &endpoint, None, None, clock.now());
    let (status, error, nonce) = token_request(&mocks, &without).await;
    assert_eq!((status, error.as_deref()), (400, Some("use_dpop_nonce")));
    let nonce = nonce.expect("a DPoP-Nonce header");
    let with = key.proof_with("POST", &endpoint, None, Some(&nonce), clock.now());
    let answer = token_request(&mocks, &with).await;
    assert_ne!(answer.1.as_deref(), Some("use_dpop_nonce"), "{answer:?}");
    assert_ne!(
        answer.1.as_deref(),
        Some("invalid_dpop_proof"),
        "{answer:?}"
    );
    // The same proof again is a replay.
    let answer = token_request(&mocks, &with).await;
    assert_eq!(
        (answer.0, answer.1.as_deref()),
        (400, Some("invalid_dpop_proof"))
    );
}

#[tokio::test]
async fn a_bound_refresh_token_needs_a_proof_of_its_key() {
    let c = connected(|_| {}).await;
    let clock = &c.clock;
    let endpoint = format!("{}/token", c.mocks.issuer());
    let (refresh_token, client_id) = c.refresh.clone();
    let refresh = |proof: Option<String>| {
        let endpoint = endpoint.clone();
        let form = [
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", refresh_token.clone()),
            ("client_id", client_id.clone()),
        ];
        async move {
            let mut request = reqwest::Client::new().post(&endpoint).form(&form);
            if let Some(proof) = proof {
                request = request.header("dpop", proof);
            }
            let response = request.send().await.expect("the token endpoint answers");
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            (status, body["error"].as_str().map(str::to_owned), body)
        }
    };
    let answer = refresh(None).await;
    assert_eq!(
        (answer.0, answer.1.as_deref()),
        (400, Some("invalid_dpop_proof")),
        "{answer:?}"
    );
    let stranger = DpopKey::generate();
    let foreign = stranger.proof_with("POST", &endpoint, None, None, clock.now());
    let answer = refresh(Some(foreign)).await;
    assert_eq!(
        (answer.0, answer.1.as_deref()),
        (400, Some("invalid_dpop_proof")),
        "{answer:?}"
    );
    let own = c.key.proof_with("POST", &endpoint, None, None, clock.now());
    let answer = refresh(Some(own)).await;
    assert_eq!(answer.0, 200, "{answer:?}");
    assert_eq!(answer.2["token_type"], "DPoP");
}
