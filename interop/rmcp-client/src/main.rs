//! rmcp's OAuth client as a client under test: `rmcp-oauth-client [--calls N] MCP_URL`.
//!
//! It drives the official Rust SDK's `auth` feature the way an application built on it would:
//! a first unauthenticated request for the server's challenge, `OAuthState` for discovery,
//! registration (a Client ID from MCP_CONFORMANCE_CONTEXT, else dynamic registration),
//! the authorization URL and the callback (with RFC 9207 `iss` validation), then an MCP
//! session through `AuthClient`, which attaches the token and refreshes it when refused.
//! The person at the consent screen is played headlessly: the authorization URL is fetched
//! without following redirects and its `Location` is the callback.
//!
//! It lists the tools and calls `echo` `--calls` times (default 2: the catalog's server-side
//! triggers fire after the first successful call, so the second one meets their effect).
//! Exits 0 when every call succeeded, 1 with the SDK's error otherwise, 2 on bad usage.

use std::process::ExitCode;

use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::auth::{AuthClient, AuthorizationRequest, OAuthState};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};

/// The loopback callback the catalog's pre-registered clients allow. Nothing listens on it:
/// the headless consent reads the redirect instead of following it.
const REDIRECT_URI: &str = "http://127.0.0.1:33418/callback";

struct Args {
    url: String,
    calls: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut calls = 2;
    let mut url = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--calls" => {
                let value = args.next().ok_or("--calls needs a number")?;
                calls = value
                    .parse()
                    .map_err(|_| format!("--calls {value:?} is not a number"))?;
            }
            other if other.starts_with("--") => return Err(format!("unknown option {other}")),
            other => url = Some(other.to_owned()),
        }
    }
    let url = url.ok_or("usage: rmcp-oauth-client [--calls N] MCP_URL")?;
    Ok(Args { url, calls })
}

/// The Client ID (and secret) a conformance runner hands a client for servers without
/// dynamic registration.
fn conformance_context() -> Result<(Option<String>, Option<String>), String> {
    let Ok(text) = std::env::var("MCP_CONFORMANCE_CONTEXT") else {
        return Ok((None, None));
    };
    if text.trim().is_empty() {
        return Ok((None, None));
    }
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| format!("MCP_CONFORMANCE_CONTEXT is not JSON: {e}"))?;
    let field = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
    Ok((field("client_id"), field("client_secret")))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("rmcp-oauth-client: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&args).await {
        Ok(()) => {
            eprintln!(
                "rmcp-oauth-client: connected and called echo {} times",
                args.calls
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rmcp-oauth-client: {e}");
            ExitCode::from(1)
        }
    }
}

async fn run(args: &Args) -> Result<(), String> {
    let (client_id, client_secret) = conformance_context()?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))?;

    let challenge = challenge(&http, &args.url).await?;
    let mut state = OAuthState::new(args.url.as_str(), Some(http.clone()))
        .await
        .map_err(|e| format!("authorization setup failed: {e}"))?;
    let mut request = AuthorizationRequest::new(REDIRECT_URI).with_client_name("rmcp-oauth-client");
    if let Some(challenge) = challenge {
        request = request.with_challenge(challenge);
    }
    if let Some(client_id) = client_id {
        request = request.with_preregistered_client(client_id);
    }
    if let Some(secret) = client_secret {
        request = request.with_client_secret(secret);
    }
    state
        .start_authorization(request)
        .await
        .map_err(|e| format!("authorization failed to start: {e}"))?;
    let authorization_url = state
        .get_authorization_url()
        .await
        .map_err(|e| format!("no authorization URL: {e}"))?;
    let callback = consent(&http, &authorization_url).await?;
    state
        .handle_callback_url(&callback)
        .await
        .map_err(|e| format!("the callback was refused: {e}"))?;
    let manager = state
        .into_authorization_manager()
        .ok_or("the SDK did not reach the authorized state")?;

    let client = AuthClient::new(http, manager);
    let transport = StreamableHttpClientTransport::with_client(
        client,
        StreamableHttpClientTransportConfig::with_uri(args.url.clone()),
    );
    let session = ().serve(transport).await.map_err(|e| format!("MCP initialize failed: {e}"))?;
    let tools = session
        .list_tools(None)
        .await
        .map_err(|e| format!("tools/list failed: {e}"))?;
    if !tools.tools.iter().any(|t| t.name == "echo") {
        return Err("the server does not offer the echo tool".to_owned());
    }
    for call in 1..=args.calls {
        let mut params = CallToolRequestParams::new("echo");
        if let Value::Object(arguments) = json!({ "text": format!("call {call}") }) {
            params = params.with_arguments(arguments);
        }
        let result = session
            .call_tool(params)
            .await
            .map_err(|e| format!("tools/call {call} failed: {e}"))?;
        if result.is_error == Some(true) {
            return Err(format!("tools/call {call} reported an error"));
        }
    }
    // Closing is best effort: the verdict is already in the calls above.
    let _ = session.cancel().await;
    Ok(())
}

/// The WWW-Authenticate challenge of an unauthenticated initialize, as rmcp's transport
/// would surface it; `None` when the server does not challenge.
async fn challenge(http: &reqwest::Client, url: &str) -> Result<Option<String>, String> {
    let initialize = json!({
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": { "name": "rmcp-oauth-client", "version": "0" },
        },
    });
    let response = http
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .json(&initialize)
        .send()
        .await
        .map_err(|e| format!("the MCP server is unreachable: {e}"))?;
    Ok(response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned))
}

/// Plays the person who approves: the authorization server's answer to the authorization URL
/// must be a redirect to our callback.
async fn consent(http: &reqwest::Client, authorization_url: &str) -> Result<String, String> {
    let response = http
        .get(authorization_url)
        .send()
        .await
        .map_err(|e| format!("the authorization endpoint is unreachable: {e}"))?;
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match location {
        Some(location) if status.is_redirection() && location.starts_with(REDIRECT_URI) => {
            Ok(location)
        }
        Some(_) => Err(format!(
            "the authorization endpoint redirected ({status}) somewhere other than the callback"
        )),
        None => Err(format!(
            "the authorization endpoint answered {status} instead of redirecting to the callback"
        )),
    }
}
