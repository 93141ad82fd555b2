//! Serve throughput: an in-process load generator against one served `dcr-happy-path`, K
//! clients at once, each running complete flows back to back until the time is up: RFC 7591
//! registration, authorization (PKCE), code exchange, MCP initialize, tools/call, the session's
//! DELETE, refresh.

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
/// How long each K keeps starting flows.
const WINDOW: Duration = Duration::from_secs(3);
const CLIENTS: &[usize] = &[1, 16, 64, 500];

struct Endpoints {
    http: reqwest::Client,
    mcp_url: String,
    registration: String,
    authorization: String,
    token: String,
}

pub fn run(runtime: &tokio::runtime::Runtime) {
    println!("serve: complete flows against `serve {SCENARIO}` in-process, {WINDOW:?} per K");
    for &clients in CLIENTS {
        let (flows, errors, elapsed, mut latencies, first_error) = runtime.block_on(load(clients));
        latencies.sort();
        let rate = flows as f64 / elapsed.as_secs_f64();
        println!("  K = {clients}: {flows} flows, {errors} errors in {elapsed:.2?}");
        if let Some(error) = first_error {
            println!("      first error: {error}");
        }
        let command = "target/release/mcp-oauth-perf serve";
        let at_64 = clients == 64;
        figure(
            "complete flows per second",
            rate,
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
            figure("errors", errors as f64, "", Target::Max(0.0), "");
        }
    }
}

type Outcome = (usize, usize, Duration, Vec<Duration>, Option<String>);

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
    let deadline = start + WINDOW;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let endpoints = endpoints.clone();
        let counter = counter.clone();
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = Vec::new();
            loop {
                let index = counter.fetch_add(1, Ordering::Relaxed);
                let begun = Instant::now();
                match flow(&endpoints, index).await {
                    Ok(()) => latencies.push(begun.elapsed()),
                    Err(error) => errors.push(error),
                }
                if Instant::now() >= deadline {
                    break;
                }
            }
            (latencies, errors)
        });
    }
    let (mut latencies, mut errors) = (Vec::new(), Vec::new());
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((l, e)) => {
                latencies.extend(l);
                errors.extend(e);
            }
            Err(panic) => errors.push(format!("a client panicked: {panic}")),
        }
    }
    let elapsed = start.elapsed();
    let server_errors = served
        .mocks()
        .log()
        .snapshot()
        .iter()
        .filter(|r| r.status >= 500)
        .count();
    if server_errors > 0 {
        errors.push(format!("{server_errors} answers with status 5xx"));
    }
    let first = errors.first().cloned();
    (latencies.len(), errors.len(), elapsed, latencies, first)
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
