//! Load on a served scenario: 500 independent clients run their complete flows at once (RFC 7591
//! registration, authorization, code exchange, MCP initialize, tools/call, refresh, tools/call
//! again) against one `serve`d pair of mocks, and each one's tokens work only for itself.
//!
//! All 500 flows are in flight together; a semaphore bounds how many HTTP requests are on the
//! wire at once, so the test holds on a small machine without exhausting sockets. The overall
//! timeout is a hang guard, not a speed assertion.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mcp_oauth_harness::served::{ServeOptions, ServedScenario};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const FLOWS: usize = 500;
/// HTTP requests on the wire at once, across all flows.
const IN_FLIGHT: usize = 32;
const HANG_GUARD: Duration = Duration::from_secs(600);

/// What the flows share: the served endpoints, one HTTP client (its connection pool), and the
/// bound on requests in flight.
struct Shared {
    http: reqwest::Client,
    wire: Semaphore,
    mcp_url: String,
    registration: String,
    authorization: String,
    token: String,
}

impl Shared {
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, String> {
        let _permit = self.wire.acquire().await.map_err(|e| e.to_string())?;
        request.send().await.map_err(|e| format!("{e:#}"))
    }

    async fn token(&self, form: &[(&str, &str)]) -> Result<(StatusCode, Value), String> {
        let _permit = self.wire.acquire().await.map_err(|e| e.to_string())?;
        let response = self
            .http
            .post(&self.token)
            .form(form)
            .send()
            .await
            .map_err(|e| format!("{e:#}"))?;
        let status = response.status();
        let body = response.json().await.map_err(|e| format!("{e:#}"))?;
        Ok((status, body))
    }

    /// One JSON-RPC request to the MCP endpoint; its result, read from a JSON or an
    /// event-stream answer.
    async fn mcp(
        &self,
        token: &str,
        session: Option<&str>,
        body: Value,
    ) -> Result<(Option<String>, Value), String> {
        let _permit = self.wire.acquire().await.map_err(|e| e.to_string())?;
        let mut request = self
            .http
            .post(&self.mcp_url)
            .bearer_auth(token)
            .header("Accept", "application/json, text/event-stream")
            .header("MCP-Protocol-Version", "2025-06-18")
            .json(&body);
        if let Some(session) = session {
            request = request.header("Mcp-Session-Id", session);
        }
        let mut response = request.send().await.map_err(|e| format!("{e:#}"))?;
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
        while let Some(chunk) = response.chunk().await.map_err(|e| format!("{e:#}"))? {
            text.push_str(&String::from_utf8_lossy(&chunk));
            if let Some(message) = answer_to(&text, &id) {
                return Ok((session, message));
            }
        }
        answer_to(&text, &id)
            .map(|message| (session, message))
            .ok_or_else(|| format!("no answer to {} in {text:?}", body["method"]))
    }
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

fn claims(token: &str) -> Value {
    token
        .split('.')
        .nth(1)
        .and_then(|payload| URL_SAFE_NO_PAD.decode(payload).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null)
}

/// What one flow ended with, for the cross checks.
#[derive(Debug, Clone)]
struct Finished {
    index: usize,
    client_id: String,
    redirect_uri: String,
    code: String,
    refresh_token: String,
}

fn verifier(index: usize) -> String {
    format!("load-test-verifier-{index:04}-{}", "v".repeat(32))
}

/// One client's complete flow; an error says at which step and why.
async fn flow(shared: Arc<Shared>, index: usize) -> Result<Finished, String> {
    let redirect_uri = format!("http://127.0.0.1:9/callback/{index}");
    let registered = shared
        .send(shared.http.post(&shared.registration).json(&json!({
            "redirect_uris": [redirect_uri],
            "token_endpoint_auth_method": "none",
            "client_name": format!("load client {index}"),
        })))
        .await?;
    if registered.status() != StatusCode::CREATED {
        return Err(format!("registration answered {}", registered.status()));
    }
    let registered: Value = registered.json().await.map_err(|e| e.to_string())?;
    let client_id = registered["client_id"]
        .as_str()
        .ok_or("no client_id")?
        .to_owned();

    let verifier = verifier(index);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let state = format!("state-{index}");
    let authorized = shared
        .send(shared.http.get(&shared.authorization).query(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", &redirect_uri),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("state", &state),
            ("resource", &shared.mcp_url),
        ]))
        .await?;
    let location = authorized
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            format!(
                "authorization answered {} without Location",
                authorized.status()
            )
        })?;
    let location = url::Url::parse(location).map_err(|e| e.to_string())?;
    if !location.as_str().starts_with(&redirect_uri) {
        return Err(format!(
            "redirected to another client's callback: {location}"
        ));
    }
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

    let (status, tokens) = shared
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
            ("code_verifier", &verifier),
            ("client_id", &client_id),
            ("resource", &shared.mcp_url),
        ])
        .await?;
    if status != StatusCode::OK {
        return Err(format!("code exchange answered {status}: {tokens}"));
    }
    let access = tokens["access_token"].as_str().ok_or("no access_token")?;
    let refresh_token = tokens["refresh_token"].as_str().ok_or("no refresh_token")?;
    if claims(access)["client_id"] != client_id.as_str() {
        return Err(format!(
            "access token of another client: {}",
            claims(access)
        ));
    }

    call_echo(&shared, access, index, "first").await?;

    let (status, refreshed) = shared
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", &client_id),
        ])
        .await?;
    if status != StatusCode::OK {
        return Err(format!("refresh answered {status}: {refreshed}"));
    }
    let access = refreshed["access_token"]
        .as_str()
        .ok_or("no refreshed access_token")?;
    if claims(access)["client_id"] != client_id.as_str() {
        return Err(format!(
            "refreshed token of another client: {}",
            claims(access)
        ));
    }
    call_echo(&shared, access, index, "refreshed").await?;

    Ok(Finished {
        index,
        client_id,
        redirect_uri,
        code,
        refresh_token: refreshed["refresh_token"]
            .as_str()
            .unwrap_or(refresh_token)
            .to_owned(),
    })
}

/// initialize, notifications/initialized, tools/call echo: the echo is this flow's own text.
async fn call_echo(shared: &Shared, token: &str, index: usize, round: &str) -> Result<(), String> {
    let (session, initialized) = shared
        .mcp(
            token,
            None,
            json!({
                "jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": { "name": format!("load-{index}"), "version": "0" },
                },
            }),
        )
        .await?;
    if initialized["result"]["serverInfo"].is_null() {
        return Err(format!("initialize: {initialized}"));
    }
    let session = session.ok_or("no Mcp-Session-Id")?;
    shared
        .mcp(
            token,
            Some(&session),
            json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }),
        )
        .await?;
    let text = format!("flow {index} {round}");
    let (_, called) = shared
        .mcp(
            token,
            Some(&session),
            json!({
                "jsonrpc": "2.0", "id": 2, "method": "tools/call",
                "params": { "name": "echo", "arguments": { "text": text } },
            }),
        )
        .await?;
    let echoed = called["result"]["content"][0]["text"].as_str();
    if echoed != Some(text.as_str()) {
        return Err(format!(
            "tools/call echoed {echoed:?} for {text:?}: {called}"
        ));
    }
    Ok(())
}

/// Refreshes `refresh_token` as `client_id`: the new access token when it works.
async fn refresh(
    shared: &Shared,
    client_id: &str,
    refresh_token: &str,
) -> Result<Value, (StatusCode, Value)> {
    let answer = shared
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client_id),
        ])
        .await
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, Value::String(e)))?;
    match answer {
        (StatusCode::OK, body) => Ok(claims(body["access_token"].as_str().unwrap_or(""))),
        refused => Err(refused),
    }
}

fn refused_as_invalid_grant(answer: &Result<Value, (StatusCode, Value)>) -> bool {
    matches!(answer, Err((StatusCode::BAD_REQUEST, body)) if body["error"] == "invalid_grant")
}

fn for_client(answer: &Result<Value, (StatusCode, Value)>, client_id: &str) -> bool {
    matches!(answer, Ok(claims) if claims["client_id"] == client_id)
}

/// Client `thief` presents `victim`'s refresh token and code: both refused. The victim's own
/// refresh works until the replayed code revokes its grant (RFC 6749 §4.1.2), and the thief's
/// own grant is untouched throughout.
async fn cross_check(shared: Arc<Shared>, victim: Finished, thief: Finished) -> Result<(), String> {
    let who = format!("client {} with client {}'s", thief.index, victim.index);
    let stolen = refresh(&shared, &thief.client_id, &victim.refresh_token).await;
    if !refused_as_invalid_grant(&stolen) {
        return Err(format!("{who} refresh token: {stolen:?}"));
    }
    let own = refresh(&shared, &victim.client_id, &victim.refresh_token).await;
    if !for_client(&own, &victim.client_id) {
        return Err(format!(
            "client {}'s own refresh after {who}: {own:?}",
            victim.index
        ));
    }
    let (status, body) = shared
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &victim.code),
            ("redirect_uri", &thief.redirect_uri),
            ("code_verifier", &verifier(victim.index)),
            ("client_id", &thief.client_id),
        ])
        .await?;
    if status != StatusCode::BAD_REQUEST || body["error"] != "invalid_grant" {
        return Err(format!("{who} code: {status} {body}"));
    }
    let revoked = refresh(&shared, &victim.client_id, &victim.refresh_token).await;
    if !refused_as_invalid_grant(&revoked) {
        return Err(format!(
            "client {}'s refresh after its code was replayed: {revoked:?}",
            victim.index
        ));
    }
    let untouched = refresh(&shared, &thief.client_id, &thief.refresh_token).await;
    if !for_client(&untouched, &thief.client_id) {
        return Err(format!(
            "client {}'s own refresh after its replay: {untouched:?}",
            thief.index
        ));
    }
    Ok(())
}

async fn run_all<T: Send + 'static>(
    tasks: impl IntoIterator<Item = impl Future<Output = Result<T, String>> + Send + 'static>,
) -> (Vec<T>, Vec<String>) {
    let mut set = JoinSet::new();
    for task in tasks {
        set.spawn(task);
    }
    let (mut done, mut errors) = (Vec::new(), Vec::new());
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(Ok(value)) => done.push(value),
            Ok(Err(error)) => errors.push(error),
            Err(panic) => errors.push(format!("a flow panicked: {panic}")),
        }
    }
    (done, errors)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_concurrent_flows_complete_and_no_token_works_for_another_client() {
    let served = ServedScenario::start_with("dcr-happy-path", ServeOptions::default())
        .await
        .expect("the scenario is served");
    let issuer = served.issuer();
    let shared = Arc::new(Shared {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("HTTP client"),
        wire: Semaphore::new(IN_FLIGHT),
        mcp_url: served.mcp_url(),
        registration: format!("{issuer}/register"),
        authorization: format!("{issuer}/authorize"),
        token: format!("{issuer}/token"),
    });

    let load = async {
        let (mut finished, errors) =
            run_all((0..FLOWS).map(|index| flow(shared.clone(), index))).await;
        assert!(
            errors.is_empty(),
            "{} flows failed: {errors:#?}",
            errors.len()
        );
        assert_eq!(finished.len(), FLOWS);
        finished.sort_by_key(|f| f.index);
        // Even flows are robbed by the odd ones after them, so each grant is touched by one
        // pair only.
        let pairs: Vec<(Finished, Finished)> = (0..FLOWS / 2)
            .map(|k| (finished[2 * k].clone(), finished[2 * k + 1].clone()))
            .collect();
        let (_, errors) = run_all(
            pairs
                .into_iter()
                .map(|(victim, thief)| cross_check(shared.clone(), victim, thief)),
        )
        .await;
        assert!(
            errors.is_empty(),
            "{} cross checks failed: {errors:#?}",
            errors.len()
        );
        let mut client_ids: Vec<&str> = finished.iter().map(|f| f.client_id.as_str()).collect();
        client_ids.sort_unstable();
        client_ids.dedup();
        assert_eq!(
            client_ids.len(),
            FLOWS,
            "every flow registered a client of its own"
        );
    };
    tokio::time::timeout(HANG_GUARD, load)
        .await
        .expect("the load finishes within the hang guard");

    let log = served.mocks().log();
    // Each flow: one exchange; each cross check: one stolen code.
    assert_eq!(log.token_requests("authorization_code"), FLOWS + FLOWS / 2);
    // Each flow: one refresh; each cross check: a stolen one, the victim's twice, the thief's.
    assert_eq!(log.token_requests("refresh_token"), FLOWS + 4 * (FLOWS / 2));
    let server_errors: Vec<String> = log
        .snapshot()
        .iter()
        .filter(|r| r.status >= 500)
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect();
    assert!(server_errors.is_empty(), "{server_errors:?}");
}
