//! The client's own Client ID metadata document (draft-ietf-oauth-client-id-metadata-document,
//! MCP 2025-11-25), published during a scenario run so that an authorization server that
//! accepts such documents can fetch it.
//!
//! The document is served on a loopback port over plain http: the mock authorization server
//! accepts http document URLs only on a loopback host, and so does the client flow (see
//! `flow::registration`), because no network sits between the two there.

use std::net::Ipv4Addr;

use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Where on its listener the document is served.
const DOCUMENT_PATH: &str = "/client-metadata.json";

/// A running document server. Dropping it stops the server.
#[derive(Debug)]
pub struct ClientDocumentServer {
    url: String,
    task: JoinHandle<()>,
}

impl ClientDocumentServer {
    /// Binds a free loopback port and serves the document describing a public client called
    /// `client_name` that receives codes at `redirect_uri`. Its `client_id` is its own URL.
    pub async fn start(client_name: &str, redirect_uri: &str) -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let url = format!("http://{}{DOCUMENT_PATH}", listener.local_addr()?);
        let body = document(&url, client_name, redirect_uri);
        let app = Router::new().route(
            DOCUMENT_PATH,
            get(move || {
                let body = body.clone();
                async move { axum::Json(body) }
            }),
        );
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::warn!(%error, "the client metadata document server stopped");
            }
        });
        Ok(Self { url, task })
    }

    /// The document's URL: the client's Client ID where the document is accepted.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for ClientDocumentServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The metadata of a public client (no secret: `token_endpoint_auth_method` is `none`, which
/// the draft requires of documents) using the authorization code grant with refresh tokens.
fn document(url: &str, client_name: &str, redirect_uri: &str) -> Value {
    json!({
        "client_id": url,
        "client_name": client_name,
        "redirect_uris": [redirect_uri],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_document_names_itself_and_the_callback() {
        let server = ClientDocumentServer::start("Test client", "http://127.0.0.1:1/cb")
            .await
            .unwrap();
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let served: Value = client
            .get(server.url())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(served["client_id"], server.url());
        assert_eq!(served["redirect_uris"], json!(["http://127.0.0.1:1/cb"]));
        assert_eq!(served["token_endpoint_auth_method"], "none");
        assert!(server.url().starts_with("http://127.0.0.1:"));
    }
}
