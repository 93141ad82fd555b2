//! Serve throughput: an in-process load generator against one served `dcr-happy-path`, K
//! clients at once, each running complete flows back to back until the time is up: RFC 7591
//! registration, authorization (PKCE), code exchange, MCP initialize, tools/call, the session's
//! DELETE, refresh. The first half second is a warm-up, reported on its own: in a trace at
//! K = 64, all 52 flows slower than the p99 had started in the first 250 ms, while 64 clients
//! were opening their connections at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mcp_oauth_harness::served::{ServeOptions, ServedScenario};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{Target, figure, ms, percentile};

const SCENARIO: &str = "dcr-happy-path";
/// Flows started in this first part of each K are the cold start: every client opens its
/// connections at once and the servers' stores and the allocator grow from nothing. They are
/// reported on their own; the throughput and p99 figures are of the flows started after it.
const WARM_UP: Duration = Duration::from_millis(500);
/// How long each K keeps starting measured flows, after the warm-up.
const WINDOW: Duration = Duration::from_secs(3);
const CLIENTS: &[usize] = &[1, 16, 64, 500];

struct Endpoints {
    http: reqwest::Client,
    mcp_url: String,
    registration: String,
    authorization: String,
    token: String,
}

/// One complete flow: when it started, after the load's start, and how long it took.
#[derive(Debug, Clone, Copy)]
struct Timed {
    started: Duration,
    took: Duration,
}

struct Outcome {
    /// Flows started during the warm-up.
    cold: Vec<Timed>,
    /// Flows started in the measured window.
    measured: Vec<Timed>,
    /// Failed flows and 5xx answers, warm-up included.
    errors: Vec<String>,
}

impl Outcome {
    /// Measured flows per second: from the warm-up's end to the end of the last measured flow.
    fn rate(&self) -> f64 {
        let end = self
            .measured
            .iter()
            .map(|t| t.started + t.took)
            .max()
            .unwrap_or(WARM_UP);
        let seconds = end.saturating_sub(WARM_UP).as_secs_f64();
        if seconds == 0.0 {
            return 0.0;
        }
        self.measured.len() as f64 / seconds
    }
}

fn sorted_latencies(flows: &[Timed]) -> Vec<Duration> {
    let mut latencies: Vec<Duration> = flows.iter().map(|t| t.took).collect();
    latencies.sort();
    latencies
}

pub fn run(runtime: &tokio::runtime::Runtime) {
    println!(
        "serve: complete flows against `serve {SCENARIO}` in-process, {WINDOW:?} per K after a {WARM_UP:?} warm-up"
    );
    for &clients in CLIENTS {
        let outcome = runtime.block_on(load(clients));
        let cold = sorted_latencies(&outcome.cold);
        let latencies = sorted_latencies(&outcome.measured);
        println!(
            "  K = {clients}: {} flows measured, {} errors; warm-up: {} flows, the slowest {:.1} ms",
            outcome.measured.len(),
            outcome.errors.len(),
            cold.len(),
            ms(cold.last().copied().unwrap_or_default()),
        );
        if let Some(error) = outcome.errors.first() {
            println!("      first error: {error}");
        }
        let command = "target/release/mcp-oauth-perf serve";
        let at_64 = clients == 64;
        figure(
            "complete flows per second",
            outcome.rate(),
            "flows/s",
            if at_64 {
                Target::Min(2000.0)
            } else {
                Target::None
            },
            command,
        );
        figure(
            "p99 flow latency",
            ms(percentile(&latencies, 0.99)),
            "ms",
            if at_64 {
                Target::Max(50.0)
            } else {
                Target::None
            },
            "",
        );
        if clients == 500 {
            figure(
                "errors",
                outcome.errors.len() as f64,
                "",
                Target::Max(0.0),
                "",
            );
        }
    }
}

async fn load(clients: usize) -> Outcome {
    let served = ServedScenario::start_with(SCENARIO, ServeOptions::default())
        .await
        .expect("the scenario is served");
    let issuer = served.issuer();
    let endpoints = Arc::new(Endpoints {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(clients)
            .build()
            .expect("an HTTP client"),
        mcp_url: served.mcp_url(),
        registration: format!("{issuer}/register"),
        authorization: format!("{issuer}/authorize"),
        token: format!("{issuer}/token"),
    });
    let counter = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let deadline = start + WARM_UP + WINDOW;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let endpoints = endpoints.clone();
        let counter = counter.clone();
        tasks.spawn(async move {
            let mut flows = Vec::new();
            let mut errors = Vec::new();
            loop {
                let index = counter.fetch_add(1, Ordering::Relaxed);
                let begun = Instant::now();
                match flow(&endpoints, index).await {
                    Ok(()) => flows.push(Timed {
                        started: begun - start,
                        took: begun.elapsed(),
                    }),
                    Err(error) => errors.push(error),
                }
                if Instant::now() >= deadline {
                    break;
                }
            }
            (flows, errors)
        });
    }
    let mut outcome = Outcome {
        cold: Vec::new(),
        measured: Vec::new(),
        errors: Vec::new(),
    };
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((flows, errors)) => {
                for timed in flows {
                    if timed.started < WARM_UP {
                        outcome.cold.push(timed);
                    } else {
                        outcome.measured.push(timed);
                    }
                }
                outcome.errors.extend(errors);
            }
            Err(panic) => outcome.errors.push(format!("a client panicked: {panic}")),
        }
    }
    let server_errors = served.mocks().log().count(|r| r.status >= 500);
    if server_errors > 0 {
        outcome
            .errors
            .push(format!("{server_errors} answers with status 5xx"));
    }
    outcome
}

async fn flow(e: &Endpoints, index: usize) -> Result<(), String> {
    let redirect_uri = format!("http://127.0.0.1:9/callback/{index}");
    let registered = e
        .http
        .post(&e.registration)
        .json(&json!({
            "redirect_uris": [redirect_uri],
            "token_endpoint_auth_method": "none",
            "client_name": format!("load client {index}"),
        }))
        .send()
        .await
        .map_err(|e| format!("registration: {e:#}"))?;
    if registered.status() != StatusCode::CREATED {
        return Err(format!("registration answered {}", registered.status()));
    }
    let registered: Value = registered.json().await.map_err(|e| e.to_string())?;
    let client_id = registered["client_id"].as_str().ok_or("no client_id")?;
    let verifier = format!("load-verifier-{index:08}-{}", "v".repeat(32));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let state = format!("state-{index}");
    let authorized = e
        .http
        .get(&e.authorization)
        .query(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", &redirect_uri),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("state", &state),
            ("resource", &e.mcp_url),
        ])
        .send()
        .await
        .map_err(|e| format!("authorization: {e:#}"))?;
    let location = authorized
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .and_then(|l| url::Url::parse(l).ok())
        .ok_or_else(|| format!("authorization answered {}", authorized.status()))?;
    let param = |name: &str| {
        location
            .query_pairs()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.into_owned())
    };
    if param("state").as_deref() != Some(state.as_str()) {
        return Err(format!("another flow's state came back: {location}"));
    }
    let code = param("code").ok_or("no code in the redirect")?;
    let tokens = token(
        e,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
            ("code_verifier", &verifier),
            ("client_id", client_id),
            ("resource", &e.mcp_url),
        ],
    )
    .await?;
    let access = tokens["access_token"].as_str().ok_or("no access_token")?;
    let refresh_token = tokens["refresh_token"].as_str().ok_or("no refresh_token")?;
    call_tool(e, access, index).await?;
    let refreshed = token(
        e,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client_id),
        ],
    )
    .await?;
    refreshed["access_token"]
        .as_str()
        .ok_or("no refreshed access_token")?;
    Ok(())
}

async fn token(e: &Endpoints, form: &[(&str, &str)]) -> Result<Value, String> {
    let response = e
        .http
        .post(&e.token)
        .form(form)
        .send()
        .await
        .map_err(|e| format!("token: {e:#}"))?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|e| format!("token: {e:#}"))?;
    if status != StatusCode::OK {
        return Err(format!("token answered {status}: {body}"));
    }
    Ok(body)
}

/// initialize, notifications/initialized, tools/call echo with this flow's own text, then the
/// session's DELETE.
async fn call_tool(e: &Endpoints, token: &str, index: usize) -> Result<(), String> {
    let initialize = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": { "name": format!("load-{index}"), "version": "0" },
        },
    });
    let (session, initialized) = mcp(e, token, None, initialize).await?;
    if initialized["result"]["serverInfo"].is_null() {
        return Err(format!("initialize: {initialized}"));
    }
    let session = session.ok_or("no Mcp-Session-Id")?;
    let notification = json!({ "jsonrpc": "2.0", "method": "notifications/initialized" });
    mcp(e, token, Some(&session), notification).await?;
    let text = format!("flow {index}");
    let call = json!({
        "jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": { "name": "echo", "arguments": { "text": text } },
    });
    let (_, called) = mcp(e, token, Some(&session), call).await?;
    if called["result"]["content"][0]["text"].as_str() != Some(text.as_str()) {
        return Err(format!("tools/call echoed another text: {called}"));
    }
    // A client that is done ends its session (as `connect` does), so the server can free it.
    let ended = e
        .http
        .delete(&e.mcp_url)
        .bearer_auth(token)
        .header("MCP-Protocol-Version", "2025-06-18")
        .header("Mcp-Session-Id", &session)
        .send()
        .await
        .map_err(|e| format!("MCP DELETE: {e:#}"))?;
    if !ended.status().is_success() {
        return Err(format!("MCP DELETE answered {}", ended.status()));
    }
    Ok(())
}

async fn mcp(
    e: &Endpoints,
    token: &str,
    session: Option<&str>,
    body: Value,
) -> Result<(Option<String>, Value), String> {
    let mut request = e
        .http
        .post(&e.mcp_url)
        .bearer_auth(token)
        .header("Accept", "application/json, text/event-stream")
        .header("MCP-Protocol-Version", "2025-06-18")
        .json(&body);
    if let Some(session) = session {
        request = request.header("Mcp-Session-Id", session);
    }
    let mut response = request.send().await.map_err(|e| format!("MCP: {e:#}"))?;
    if !response.status().is_success() {
        return Err(format!(
            "MCP {} answered {}",
            body["method"],
            response.status()
        ));
    }
    let session = response
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Some(id) = body.get("id").cloned() else {
        return Ok((session, Value::Null));
    };
    let mut text = String::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| format!("MCP: {e:#}"))? {
        text.push_str(&String::from_utf8_lossy(&chunk));
        if let Some(message) = answer_to(&text, &id) {
            return Ok((session, message));
        }
    }
    answer_to(&text, &id)
        .map(|message| (session, message))
        .ok_or_else(|| format!("no answer to {} in {text:?}", body["method"]))
}

/// The JSON-RPC message with `id` in a JSON body or among an event stream's `data:` lines.
fn answer_to(text: &str, id: &Value) -> Option<Value> {
    let whole = serde_json::from_str::<Value>(text).ok().into_iter();
    let events = text
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok());
    whole
        .chain(events)
        .find(|message| message.get("id") == Some(id))
}
