//! Several clients against one `serve`: each is judged alone, by its own flow of the request
//! log. A bad client's fault is its own verdict, never a conformant neighbour's; 200 clients at
//! once, half of them bad, each get the verdict they earned.
//!
//! Each client is its own `reqwest::Client` (its own connections), as separate client
//! processes are: the unauthenticated probe and metadata fetches are placed by the connection
//! they came on.

#[allow(dead_code, unused_imports)]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mcp_oauth_harness::served::{FlowLimits, ServeOptions, ServedScenario};
use mcp_oauth_reports::{Report, Status};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::task::JoinSet;

/// What a client does wrong, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Conformant,
    /// Also sends its access token in the MCP URL's query string.
    TokenInQuery,
}

struct Served {
    mcp_url: String,
    issuer: String,
}

/// One client's whole flow, as a conformant client does it (plus the bad habit): probe,
/// metadata, registration, authorization with PKCE, code exchange, MCP initialize and a
/// tools/call. Returns its Client ID.
async fn client(served: Arc<Served>, index: usize, behaviour: Behaviour) -> Result<String, String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let fail = |step: &str, e: &dyn std::fmt::Display| format!("client {index} {step}: {e}");

    let probe = http
        .post(&served.mcp_url)
        .header("Accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {}}))
        .send()
        .await
        .map_err(|e| fail("probe", &e))?;
    if probe.status() != StatusCode::UNAUTHORIZED {
        return Err(fail("probe", &probe.status()));
    }
    let challenge = probe
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let param = |name: &str| {
        challenge
            .split(&format!("{name}=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(str::to_owned)
    };
    let metadata_url = param("resource_metadata").ok_or_else(|| fail("challenge", &challenge))?;
    let resource: Value = http
        .get(&metadata_url)
        .send()
        .await
        .map_err(|e| fail("resource metadata", &e))?
        .json()
        .await
        .map_err(|e| fail("resource metadata", &e))?;
    let issuer = resource["authorization_servers"][0]
        .as_str()
        .unwrap_or(&served.issuer)
        .to_owned();
    let metadata: Value = http
        .get(format!(
            "{}/.well-known/oauth-authorization-server{}",
            origin(&issuer),
            url::Url::parse(&issuer)
                .map(|u| u.path().trim_end_matches('/').to_owned())
                .unwrap_or_default()
        ))
        .send()
        .await
        .map_err(|e| fail("authorization server metadata", &e))?
        .json()
        .await
        .map_err(|e| fail("authorization server metadata", &e))?;
    let scope = param("scope").or_else(|| {
        resource["scopes_supported"].as_array().map(|scopes| {
            scopes
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        })
    });
    let resource_id = resource["resource"]
        .as_str()
        .unwrap_or(&served.mcp_url)
        .to_owned();

    let redirect_uri = format!("http://127.0.0.1:9/callback/{index}");
    let registered = http
        .post(
            metadata["registration_endpoint"]
                .as_str()
                .unwrap_or_default(),
        )
        .json(&json!({
            "redirect_uris": [redirect_uri],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
            "application_type": "native",
            "client_name": format!("flow client {index}"),
        }))
        .send()
        .await
        .map_err(|e| fail("registration", &e))?;
    if registered.status() != StatusCode::CREATED {
        return Err(fail("registration", &registered.status()));
    }
    let registered: Value = registered
        .json()
        .await
        .map_err(|e| fail("registration", &e))?;
    let client_id = registered["client_id"]
        .as_str()
        .ok_or_else(|| fail("registration", &"no client_id"))?
        .to_owned();

    let verifier = format!("flow-verifier-{index:04}-{}", "v".repeat(40));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let state = format!("state-{index}-{}", "s".repeat(16));
    let mut query = vec![
        ("response_type", "code".to_owned()),
        ("client_id", client_id.clone()),
        ("redirect_uri", redirect_uri.clone()),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256".to_owned()),
        ("state", state.clone()),
        ("resource", resource_id.clone()),
    ];
    if let Some(scope) = &scope {
        query.push(("scope", scope.clone()));
    }
    let authorized = http
        .get(
            metadata["authorization_endpoint"]
                .as_str()
                .unwrap_or_default(),
        )
        .query(&query)
        .send()
        .await
        .map_err(|e| fail("authorization", &e))?;
    let location = authorized
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .and_then(|l| url::Url::parse(l).ok())
        .ok_or_else(|| fail("authorization", &authorized.status()))?;
    let returned = |name: &str| {
        location
            .query_pairs()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.into_owned())
    };
    if returned("state").as_deref() != Some(state.as_str()) {
        return Err(fail("authorization", &"another state came back"));
    }
    let code = returned("code").ok_or_else(|| fail("authorization", &location))?;

    let tokens = http
        .post(metadata["token_endpoint"].as_str().unwrap_or_default())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
            ("code_verifier", &verifier),
            ("client_id", &client_id),
            ("resource", &resource_id),
        ])
        .send()
        .await
        .map_err(|e| fail("code exchange", &e))?;
    if tokens.status() != StatusCode::OK {
        return Err(fail("code exchange", &tokens.status()));
    }
    let tokens: Value = tokens.json().await.map_err(|e| fail("code exchange", &e))?;
    let access = tokens["access_token"]
        .as_str()
        .ok_or_else(|| fail("code exchange", &"no access_token"))?
        .to_owned();

    let mcp = |body: Value, session: Option<String>, in_query: bool| {
        let mut url = served.mcp_url.clone();
        if in_query {
            url = format!("{url}?access_token={access}");
        }
        let mut request = http
            .post(url)
            .bearer_auth(&access)
            .header("Accept", "application/json, text/event-stream")
            .header("MCP-Protocol-Version", "2025-06-18")
            .json(&body);
        if let Some(session) = session {
            request = request.header("Mcp-Session-Id", session);
        }
        request.send()
    };
    let bad = behaviour == Behaviour::TokenInQuery;
    let initialized = mcp(
        json!({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": { "name": format!("flow-{index}"), "version": "0" },
            },
        }),
        None,
        bad,
    )
    .await
    .map_err(|e| fail("initialize", &e))?;
    if !initialized.status().is_success() {
        return Err(fail("initialize", &initialized.status()));
    }
    let session = initialized
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let _ = initialized.bytes().await;
    let notified = mcp(
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        session.clone(),
        false,
    )
    .await
    .map_err(|e| fail("initialized", &e))?;
    let _ = notified.bytes().await;
    let called = mcp(
        json!({
            "jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": { "name": "echo", "arguments": { "text": format!("flow {index}") } },
        }),
        session,
        false,
    )
    .await
    .map_err(|e| fail("tools/call", &e))?;
    if !called.status().is_success() {
        return Err(fail("tools/call", &called.status()));
    }
    let text = called.text().await.map_err(|e| fail("tools/call", &e))?;
    if !text.contains(&format!("flow {index}")) {
        return Err(fail("tools/call", &text));
    }
    Ok(client_id)
}

fn origin(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}

fn failed(report: &Report) -> Vec<String> {
    report
        .checks
        .iter()
        .filter(|c| c.status == Status::Failure)
        .map(|c| c.id.clone())
        .collect()
}

fn conformant(report: &Report) -> bool {
    report.met_expectations() && report.summary.failure == 0
}

async fn serve(limits: FlowLimits) -> (ServedScenario, Arc<Served>) {
    let served = ServedScenario::start_with(
        "dcr-happy-path",
        ServeOptions {
            limits,
            ..ServeOptions::default()
        },
    )
    .await
    .expect("the scenario is served");
    let shared = Arc::new(Served {
        mcp_url: served.mcp_url(),
        issuer: served.issuer(),
    });
    (served, shared)
}

/// The report of the client with this Client ID.
fn report_of<'a>(reports: &'a [Report], client_id: &str) -> &'a Report {
    reports
        .iter()
        .find(|r| {
            r.client
                .as_ref()
                .is_some_and(|c| c.client_ids.iter().any(|id| id == client_id))
        })
        .unwrap_or_else(|| panic!("no report for {client_id}"))
}

#[tokio::test]
async fn a_bad_client_is_blamed_alone_and_its_conformant_neighbour_passes() {
    let (served, shared) = serve(FlowLimits::default()).await;
    let good = client(shared.clone(), 0, Behaviour::Conformant)
        .await
        .unwrap();
    let bad = client(shared.clone(), 1, Behaviour::TokenInQuery)
        .await
        .unwrap();

    let reports = served.judge_flows();
    assert_eq!(reports.len(), 2, "one report per client");
    let good_report = report_of(&reports, &good);
    assert!(
        conformant(good_report),
        "the conformant client is blamed: {:?}",
        failed(good_report)
    );
    let bad_report = report_of(&reports, &bad);
    assert_eq!(failed(bad_report), ["client-token-not-in-query"]);
    for report in &reports {
        let section = report.client.as_ref().unwrap();
        assert_eq!(section.flows, 2);
        assert!(section.complete, "{section:?}");
        // The probe and the metadata fetches are each client's own: 3 before the
        // registration, then registration, authorization, exchange and 3 MCP requests.
        assert_eq!(section.requests, 9, "{:#?}", report.exchanges);
    }
    let schema = common::report_schema();
    for report in &reports {
        let errors = common::schema_errors(&schema, report);
        assert!(errors.is_empty(), "{errors:?}");
    }
    // The first client's verdict is still what `judge` gives.
    assert!(conformant(&served.judge()));
    served.stop();
}

#[tokio::test]
async fn the_oldest_flows_are_dropped_past_the_bound_and_the_reports_say_so() {
    let (served, shared) = serve(FlowLimits {
        max_flows: 2,
        ..FlowLimits::default()
    })
    .await;
    let mut ids = Vec::new();
    for index in 0..5 {
        ids.push(
            client(shared.clone(), index, Behaviour::Conformant)
                .await
                .unwrap(),
        );
    }
    let reports = served.judge_flows();
    assert_eq!(reports.len(), 2);
    for (report, id) in reports.iter().zip(&ids[3..]) {
        let section = report.client.as_ref().unwrap();
        assert_eq!(section.client_ids, std::slice::from_ref(id));
        assert_eq!(section.dropped_flows, 3);
        assert!(conformant(report), "{:?}", failed(report));
    }
    // Only the kept flows' requests are left in the log.
    assert_eq!(served.mocks().log().len(), 2 * 9);
    served.stop();
}

const CLIENTS: usize = 200;
const HANG_GUARD: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_clients_half_bad_are_each_judged_alone() {
    let (served, shared) = serve(FlowLimits::default()).await;
    let started = Instant::now();
    let mut set = JoinSet::new();
    for index in 0..CLIENTS {
        let behaviour = if index % 2 == 0 {
            Behaviour::Conformant
        } else {
            Behaviour::TokenInQuery
        };
        let shared = shared.clone();
        set.spawn(async move { (behaviour, client(shared, index, behaviour).await) });
    }
    let mut clients = Vec::new();
    let load = async {
        while let Some(joined) = set.join_next().await {
            let (behaviour, result) = joined.expect("a client panicked");
            clients.push((behaviour, result.expect("the client's flow completes")));
        }
    };
    tokio::time::timeout(HANG_GUARD, load)
        .await
        .expect("the clients finish within the hang guard");
    let flows_took = started.elapsed();

    let judging = Instant::now();
    let reports = served.judge_flows();
    let judge_took = judging.elapsed();
    eprintln!(
        "{CLIENTS} clients: flows {flows_took:?}, judging {judge_took:?}, {} requests",
        served.mocks().log().len()
    );
    assert_eq!(reports.len(), CLIENTS, "one report per client");
    for (behaviour, client_id) in &clients {
        let report = report_of(&reports, client_id);
        let section = report.client.as_ref().unwrap();
        assert_eq!(section.client_ids, std::slice::from_ref(client_id));
        assert_eq!(section.requests, 9, "{client_id}: {:#?}", report.exchanges);
        assert!(section.complete);
        match behaviour {
            Behaviour::Conformant => assert!(
                conformant(report),
                "{client_id} is conformant but blamed: {:?}",
                failed(report)
            ),
            Behaviour::TokenInQuery => {
                assert_eq!(failed(report), ["client-token-not-in-query"], "{client_id}");
            }
        }
    }
    served.stop();
}

/// Registers (if `client_id` is none) and signs in as client `index`: its Client ID and the
/// refresh token of the code exchange.
async fn sign_in(
    served: &Served,
    index: usize,
    client_id: Option<String>,
) -> Result<(String, String), String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let issuer = &served.issuer;
    let redirect_uri = format!("http://127.0.0.1:9/callback/{index}");
    let client_id = match client_id {
        Some(id) => id,
        None => {
            let registered: Value = http
                .post(format!("{issuer}/register"))
                .json(&json!({
                    "redirect_uris": [redirect_uri],
                    "grant_types": ["authorization_code", "refresh_token"],
                    "token_endpoint_auth_method": "none",
                    "client_name": format!("scoped client {index}"),
                }))
                .send()
                .await
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            registered["client_id"]
                .as_str()
                .ok_or("no client_id")?
                .to_owned()
        }
    };
    let verifier = format!("scoped-verifier-{index:04}-{}", "v".repeat(40));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let authorized = http
        .get(format!("{issuer}/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", &redirect_uri),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("state", "scoped-state-value"),
            ("resource", &served.mcp_url),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let location = authorized
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .and_then(|l| url::Url::parse(l).ok())
        .ok_or("no redirect")?;
    let code = location
        .query_pairs()
        .find(|(n, _)| n == "code")
        .map(|(_, v)| v.into_owned())
        .ok_or("no code")?;
    let tokens: Value = http
        .post(format!("{issuer}/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
            ("code_verifier", &verifier),
            ("client_id", &client_id),
            ("resource", &served.mcp_url),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let refresh = tokens["refresh_token"]
        .as_str()
        .ok_or_else(|| format!("no refresh token: {tokens}"))?;
    Ok((client_id, refresh.to_owned()))
}

async fn refresh_status(served: &Served, client_id: &str, refresh_token: &str) -> StatusCode {
    reqwest::Client::new()
        .post(format!("{}/token", served.issuer))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client_id),
        ])
        .send()
        .await
        .expect("refresh answered")
        .status()
}

#[tokio::test]
async fn a_revocation_trigger_revokes_the_refresh_tokens_of_the_client_that_fired_it_only() {
    let served = ServedScenario::start("revoked-refresh").await.unwrap();
    let shared = Served {
        mcp_url: served.mcp_url(),
        issuer: served.issuer(),
    };
    // B's first token fires B's trigger (its own refresh tokens revoked); B signs in again and
    // holds a working refresh token, which A's trigger then must leave alone.
    let (b, _) = sign_in(&shared, 1, None).await.unwrap();
    let (_, b_refresh) = sign_in(&shared, 1, Some(b.clone())).await.unwrap();
    let (a, a_refresh) = sign_in(&shared, 0, None).await.unwrap();
    let fired = served.fired_triggers();
    assert_eq!(fired.len(), 2, "{fired:?}");
    assert!(
        fired
            .iter()
            .all(|f| !f.shared.contains(&"revoke-refresh-tokens")),
        "{fired:?}"
    );
    assert_eq!(
        refresh_status(&shared, &a, &a_refresh).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        refresh_status(&shared, &b, &b_refresh).await,
        StatusCode::OK
    );
    // The clock jump of expire-access-tokens is the one action that reaches both.
    let reports = served.judge_flows();
    let b_report = report_of(&reports, &b);
    assert_eq!(
        b_report.client.as_ref().unwrap().shared_actions,
        ["expire-access-tokens (flow 2)"]
    );
    served.stop();
}
