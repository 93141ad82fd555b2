//! The MCP side, through rmcp with a fixed bearer token: one session per call, so that a
//! refreshed token is simply the next session's.

use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};

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

pub async fn call_echo(url: &str, access_token: &str, call: usize) -> Result<()> {
    let mut config = StreamableHttpClientTransportConfig::with_uri(url.to_owned());
    config.auth_header = Some(access_token.to_owned());
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
