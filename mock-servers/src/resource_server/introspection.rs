//! `introspect-tokens`: the MCP server asks its authorization server (RFC 7662) whether each
//! access token it verified is still active, so that a token revoked at the RFC 7009 endpoint
//! is refused at once instead of living until it expires.

use std::time::Duration;

use super::ResourceServer;

/// The authorization server is on loopback: an answer slower than this is a broken server.
const TIMEOUT: Duration = Duration::from_secs(10);
/// An introspection answer is a small JSON object.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

pub(super) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        // The mocks serve plain HTTP only: no roots to trust, so none are loaded (the system
        // store took 5 ms to read at every MCP server that introspects).
        .tls_certs_only(Vec::new())
        .build()
        // Only TLS back-end initialisation can fail, and loopback HTTP needs none.
        .unwrap_or_default()
}

/// Whether the authorization server says `token` is active; `Err` says why it could not tell.
pub(super) async fn active(server: &ResourceServer, token: &str) -> Result<bool, String> {
    let access = server.trust().introspection;
    let response = server
        .inner
        .http
        .get_or_init(client)
        .post(&access.endpoint)
        .basic_auth(&access.client_id, Some(&access.client_secret))
        .form(&[("token", token), ("token_type_hint", "access_token")])
        .send()
        .await
        .map_err(|e| format!("introspection request failed: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("introspection answered {}", response.status()));
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|e| format!("introspection answer unreadable: {e}"))?;
    if bytes.len() > MAX_ANSWER_BYTES {
        return Err("introspection answer too large".to_owned());
    }
    let answer: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("introspection answer is not JSON: {e}"))?;
    Ok(answer.get("active").and_then(|v| v.as_bool()) == Some(true))
}
