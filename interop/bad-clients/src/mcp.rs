//! The MCP side, through rmcp with a fixed bearer token: one session per call, so that a
//! refreshed token is simply the next session's.

use std::collections::HashMap;

use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};

use crate::fault::Fault;
use crate::oauth::Result;

/// The WWW-Authenticate challenge of an unauthenticated initialize (empty when none).
pub async fn challenge(http: &reqwest::Client, url: &str) -> Result<String> {
    let initialize = json!({
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": { "name": "bad-client", "version": "0" },
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
        .unwrap_or_default()
        .to_owned())
}

pub async fn call_echo(url: &str, access_token: &str, call: usize, fault: Fault) -> Result<()> {
    let mut config =
        StreamableHttpClientTransportConfig::with_uri(endpoint(url, access_token, fault)?);
    if fault == Fault::OtherScheme {
        config.custom_headers = other_scheme(access_token)?;
    } else {
        config.auth_header = Some(access_token.to_owned());
    }
    let transport = StreamableHttpClientTransport::from_config(config);
    let session = ().serve(transport).await.map_err(|e| format!("MCP initialize failed: {e}"))?;
    let mut params = CallToolRequestParams::new("echo");
    if let Value::Object(arguments) = json!({ "text": format!("call {call}") }) {
        params = params.with_arguments(arguments);
    }
    let result = session.call_tool(params).await;
    let _ = session.cancel().await;
    match result {
        Ok(result) if result.is_error != Some(true) => Ok(()),
        Ok(_) => Err(format!("tools/call {call} reported an error")),
        Err(e) => Err(format!("tools/call {call} failed: {e}")),
    }
}

/// The MCP URL every request goes to: with the `token-in-query` fault, the access token rides
/// in its query string as well as in the header.
fn endpoint(url: &str, access_token: &str, fault: Fault) -> Result<String> {
    if fault != Fault::TokenInQuery {
        return Ok(url.to_owned());
    }
    let mut with_token = url::Url::parse(url).map_err(|e| format!("bad MCP URL: {e}"))?;
    with_token
        .query_pairs_mut()
        .append_pair("access_token", access_token);
    Ok(with_token.to_string())
}

/// The `other-scheme` fault: `Authorization: Token <access token>` instead of `Bearer`.
fn other_scheme(access_token: &str) -> Result<HashMap<HeaderName, HeaderValue>> {
    let value = HeaderValue::from_str(&format!("Token {access_token}"))
        .map_err(|e| format!("the access token is not a valid header value: {e}"))?;
    Ok(HashMap::from([(AUTHORIZATION, value)]))
}
