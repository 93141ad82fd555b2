//! The loopback listener the authorization server's redirect comes back to: bound only while
//! a consent waits on a fixed port, held from creation on a port the OS picked, answering the
//! browser with a short page and handing the callback's query to the consent step.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tokio::sync::{mpsc, oneshot};

use super::{CALLBACK_PATH, LoopbackHost, LoopbackUri};
use crate::http::HttpError;

/// The loopback callback: `http://127.0.0.1:PORT/callback`, or the one chosen with
/// `--redirect-uri`.
///
/// With a fixed port the listener binds only while a consent is waiting, so that several runs
/// can take turns on the port an OAuth app allowlists. With port 0 the OS picks a free port
/// when the callback is made, and the socket is held from then on so that the redirect URI
/// stays valid.
#[derive(Debug, Clone)]
pub struct LoopbackCallback {
    port: u16,
    host: LoopbackHost,
    path: String,
    reserved: Option<Arc<std::net::TcpListener>>,
}

impl LoopbackCallback {
    /// `http://127.0.0.1:PORT/callback`.
    pub fn new(port: u16) -> std::io::Result<Self> {
        Self::at(&LoopbackUri {
            host: LoopbackHost::Ipv4,
            port,
            path: CALLBACK_PATH.to_owned(),
        })
    }

    /// The callback chosen exactly (`--redirect-uri`): its host, port and path.
    pub fn at(uri: &LoopbackUri) -> std::io::Result<Self> {
        let mut callback = Self {
            port: uri.port,
            host: uri.host,
            path: uri.path.clone(),
            reserved: None,
        };
        if uri.port == 0 {
            let listener = std::net::TcpListener::bind((uri.host.bind_address(), 0))?;
            callback.port = listener.local_addr()?.port();
            callback.reserved = Some(Arc::new(listener));
        }
        Ok(callback)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn redirect_uri(&self) -> String {
        format!("http://{}:{}{}", self.host.as_str(), self.port, self.path)
    }

    /// Starts serving the callback; the waiter yields each authorization response received.
    /// Serving stops when the waiter is dropped.
    pub async fn listen(&self) -> Result<CallbackWaiter, HttpError> {
        let redirect_uri = self.redirect_uri();
        let bind_error = |e: std::io::Error| HttpError::Consent {
            reason: format!(
                "cannot listen on {}:{} for the OAuth callback: {e} (choose another port)",
                self.host.as_str(),
                self.port
            ),
        };
        let listener = match &self.reserved {
            Some(reserved) => {
                let listener = reserved.try_clone().map_err(bind_error)?;
                listener.set_nonblocking(true).map_err(bind_error)?;
                tokio::net::TcpListener::from_std(listener).map_err(bind_error)?
            }
            None => tokio::net::TcpListener::bind((self.host.bind_address(), self.port))
                .await
                .map_err(bind_error)?,
        };
        let (sender, receiver) = mpsc::channel(4);
        let (stop, stopped) = oneshot::channel::<()>();
        let app = Router::new()
            .route(&self.path, get(receive_callback))
            .fallback(not_found)
            .with_state(CallbackState {
                sender,
                redirect_uri,
            });
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(CallbackWaiter {
            receiver,
            _stop: stop,
        })
    }
}

/// Receives the authorization responses that reach the loopback callback.
#[derive(Debug)]
pub struct CallbackWaiter {
    receiver: mpsc::Receiver<String>,
    /// Dropping it stops the listener.
    _stop: oneshot::Sender<()>,
}

impl CallbackWaiter {
    /// The next callback URL (redirect URI plus query), or None once the listener is gone.
    pub async fn next(&mut self) -> Option<String> {
        self.receiver.recv().await
    }

    /// A callback that has already arrived, without waiting.
    pub fn try_next(&mut self) -> Option<String> {
        self.receiver.try_recv().ok()
    }

    /// Waits at most `timeout` for the next callback.
    pub async fn wait(&mut self, timeout: Duration) -> Option<String> {
        tokio::time::timeout(timeout, self.next())
            .await
            .ok()
            .flatten()
    }
}

#[derive(Clone)]
struct CallbackState {
    sender: mpsc::Sender<String>,
    redirect_uri: String,
}

async fn receive_callback(
    State(state): State<CallbackState>,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let is_response = url::form_urlencoded::parse(query.as_bytes())
        .any(|(name, _)| name == "code" || name == "error");
    if !is_response {
        return page(
            StatusCode::BAD_REQUEST,
            "Not an authorization response",
            "This address only receives the authorization server's redirect, which carries a code or an error.",
        );
    }
    let _ = state
        .sender
        .try_send(format!("{}?{query}", state.redirect_uri));
    page(
        StatusCode::OK,
        "Authorization received",
        "The MCP OAuth harness received the authorization response. You can close this tab.",
    )
}

async fn not_found() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Not found",
        "This listener serves only the OAuth callback.",
    )
}

/// A constant page: nothing from the request is echoed, and it neither caches nor leaks the
/// code through a Referer.
fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body><h1>{title}</h1><p>{message}</p></body></html>"
    );
    let mut response = (status, Html(body)).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CONTENT_SECURITY_POLICY, "default-src 'none'"),
        (header::CONNECTION, "close"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
