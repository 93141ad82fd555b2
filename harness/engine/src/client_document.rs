//! The client's own Client ID metadata document (draft-ietf-oauth-client-id-metadata-document,
//! MCP 2025-11-25), published during a scenario run so that an authorization server that
//! accepts such documents can fetch it.
//!
//! The document is served on a loopback port over plain http: the mock authorization server
//! accepts http document URLs only on a loopback host, and so does the client flow (see
//! `flow::registration`), because no network sits between the two there.

use std::net::Ipv4Addr;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use mcp_oauth_mocks::clock::SharedClock;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Where on its listener the document is served.
const DOCUMENT_PATH: &str = "/client-metadata.json";

/// Where a moved document went: the client still names the old URL.
const MOVED_PATH: &str = "/moved/client-metadata.json";

/// Whether the document is where its Client ID says, and how soon it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    AtItsUrl,
    /// Served at another path; the Client ID's URL answers 404, as after a client's domain
    /// moved without its old document.
    Moved,
    /// At its URL, but each answer takes this long on the run's clock (a slow or overloaded
    /// host): a simulated clock moves forward by it, the wall clock sleeps it.
    Late(Duration),
}

/// A running document server. Dropping it stops the server.
#[derive(Debug)]
pub struct ClientDocumentServer {
    url: String,
    task: JoinHandle<()>,
}

impl ClientDocumentServer {
    /// Binds a free loopback port and serves the document describing a public client called
    /// `client_name` that receives codes at `redirect_uri`. Its `client_id` is its own URL;
    /// a [`Published::Moved`] document is served elsewhere, and that URL answers 404.
    pub async fn start(
        client_name: &str,
        redirect_uri: &str,
        published: Published,
        clock: SharedClock,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let url = format!("http://{}{DOCUMENT_PATH}", listener.local_addr()?);
        let body = document(&url, client_name, redirect_uri);
        let (served_at, delay) = match published {
            Published::AtItsUrl => (DOCUMENT_PATH, None),
            Published::Moved => (MOVED_PATH, None),
            Published::Late(delay) => (DOCUMENT_PATH, Some(delay)),
        };
        let app = Router::new().route(
            served_at,
            get(move || {
                let (body, clock) = (body.clone(), clock.clone());
                async move {
                    if let Some(delay) = delay {
                        clock.wait(delay).await;
                    }
                    axum::Json(body)
                }
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
    use mcp_oauth_mocks::clock::{Clock, SimulatedClock};

    async fn start(published: Published, clock: &SimulatedClock) -> ClientDocumentServer {
        ClientDocumentServer::start(
            "Test client",
            "http://127.0.0.1:1/cb",
            published,
            clock.shared(),
        )
        .await
        .unwrap()
    }

    async fn fetch(url: &str) -> reqwest::Response {
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        client.get(url).send().await.unwrap()
    }

    #[tokio::test]
    async fn the_document_names_itself_and_the_callback() {
        let server = start(Published::AtItsUrl, &SimulatedClock::default()).await;
        let served: Value = fetch(server.url()).await.json().await.unwrap();
        assert_eq!(served["client_id"], server.url());
        assert_eq!(served["redirect_uris"], json!(["http://127.0.0.1:1/cb"]));
        assert_eq!(served["token_endpoint_auth_method"], "none");
        assert!(server.url().starts_with("http://127.0.0.1:"));
    }

    #[tokio::test]
    async fn a_moved_document_is_not_at_its_client_id() {
        let server = start(Published::Moved, &SimulatedClock::default()).await;
        assert_eq!(fetch(server.url()).await.status(), 404);
        let moved_to = server.url().replace(DOCUMENT_PATH, MOVED_PATH);
        let served: Value = fetch(&moved_to).await.json().await.unwrap();
        assert_eq!(
            served["client_id"],
            server.url(),
            "it still names the old URL"
        );
    }

    #[tokio::test]
    async fn a_late_document_takes_its_time_on_the_runs_clock() {
        let clock = SimulatedClock::default();
        let before = clock.now();
        let server = start(Published::Late(Duration::from_secs(30)), &clock).await;
        let served: Value = fetch(server.url()).await.json().await.unwrap();
        assert_eq!(served["client_id"], server.url());
        assert_eq!(
            clock.now().duration_since(before).unwrap(),
            Duration::from_secs(30),
            "the simulated clock moved by the delay, and no real time passed"
        );
    }
}
