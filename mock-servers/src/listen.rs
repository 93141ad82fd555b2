//! The mocks' accept loop: HTTP/1.1 connections served by hyper with the bounds a server facing
//! clients nobody controls needs, which `axum::serve` does not set (it has no timer, so hyper's
//! header-read timeout never runs, and it accepts without limit).
//!
//! - A connection must send a request's head within [`ConnectionLimits::header_read_timeout`]
//!   of the server starting to wait for one (a new connection, or a kept-alive one between
//!   requests), or it is closed: idle and slowloris connections do not stay.
//! - At most [`ConnectionLimits::max_connections`] connections are served at once per
//!   listener; beyond that the listener stops accepting until one closes, so further clients
//!   wait in the kernel's backlog instead of costing the process memory.
//!
//! - A request's body must arrive whole within [`ConnectionLimits::body_read_timeout`] of the
//!   recording layer starting to read it, or the request is answered 408 and the connection
//!   closed: a body trickled in a byte at a time does not hold a handler.
//!
//! Each request carries the address of the connection it came on (axum's `ConnectInfo`), so a
//! reader of the log can tell which requests shared a connection, and the body read timeout
//! (as a [`BodyReadTimeout`] extension).
//!
//! The timeout is a socket timeout on the system clock (tokio's timer), not on the mocks'
//! simulated clock: it bounds real resources, not protocol lifetimes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

use crate::tls_front::{TLS_HANDSHAKE_RECORD, TlsFront};

/// The bounds of each mock listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// How long a connection may take to send a request's head (and may sit idle between
    /// requests) before it is closed.
    pub header_read_timeout: Duration,
    /// How long a request's body may take to arrive whole once reading it began.
    pub body_read_timeout: Duration,
    /// How many connections one listener serves at once.
    pub max_connections: usize,
}

/// The body read timeout, as a request extension the recording layer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyReadTimeout(pub Duration);

impl ConnectionLimits {
    /// Hyper's own default for the header-read timeout, which nothing in a test or a person's
    /// client run sits idle for.
    pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
    pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
    pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Self::DEFAULT_HEADER_READ_TIMEOUT,
            body_read_timeout: Self::DEFAULT_BODY_READ_TIMEOUT,
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Serves `router` on `listener` until `shutdown` is cancelled, then lets each connection
/// finish its response and close.
pub fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    limits: ConnectionLimits,
) {
    serve_fronted(listener, router, shutdown, limits, None);
}

/// [`serve`], answering TLS with `tls`'s certificate and plain HTTP on the same port when
/// `tls` is given (see [`crate::tls_front`]).
pub fn serve_fronted(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    limits: ConnectionLimits,
    tls: Option<TlsFront>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    tokio::spawn(async move {
        loop {
            let slot = tokio::select! {
                () = shutdown.cancelled() => break,
                slot = slots.clone().acquire_owned() => match slot {
                    Ok(slot) => slot,
                    Err(_) => break,
                },
            };
            let accepted = tokio::select! {
                () = shutdown.cancelled() => break,
                accepted = listener.accept() => accepted,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // the listener itself is fine. Pause briefly so a persistent error cannot
                    // spin the loop.
                    tracing::debug!(%error, "mock server could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let connection = Connection {
                router: router.clone(),
                peer,
                limits,
                shutdown: shutdown.clone(),
            };
            let tls = tls.clone();
            tokio::spawn(async move {
                match tls {
                    None => connection.serve(stream).await,
                    Some(tls) => {
                        let opened = tokio::select! {
                            opened = open(stream, &tls, limits.header_read_timeout) => opened,
                            () = connection.shutdown.cancelled() => None,
                        };
                        match opened {
                            Some(Opened::Tls(stream)) => connection.serve(stream).await,
                            Some(Opened::Plain(stream)) => connection.serve(stream).await,
                            None => {}
                        }
                    }
                }
                drop(slot);
            });
        }
    });
}

/// One accepted connection and what serving it needs.
struct Connection {
    router: Router,
    peer: SocketAddr,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
}

/// A connection to a fronted listener, once its first byte told which it is.
enum Opened {
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
    Plain(TcpStream),
}

/// Reads a connection's first byte without taking it, and completes a TLS handshake when it
/// starts one. Both are bounded by `bound` (the header-read timeout, as a request head is);
/// `None` when the connection closed, failed or said nothing in time.
async fn open(stream: TcpStream, tls: &TlsFront, bound: Duration) -> Option<Opened> {
    let mut first = [0u8; 1];
    match tokio::time::timeout(bound, stream.peek(&mut first)).await {
        Ok(Ok(1)) if first[0] == TLS_HANDSHAKE_RECORD => {
            match tokio::time::timeout(bound, tls.acceptor().accept(stream)).await {
                Ok(Ok(stream)) => Some(Opened::Tls(Box::new(stream))),
                Ok(Err(error)) => {
                    tracing::trace!(%error, "mock server TLS handshake failed");
                    None
                }
                Err(_) => {
                    tracing::trace!("mock server TLS handshake timed out");
                    None
                }
            }
        }
        Ok(Ok(1)) => Some(Opened::Plain(stream)),
        _ => None,
    }
}

impl Connection {
    async fn serve<I>(self, io: I)
    where
        I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let Self {
            router,
            peer,
            limits,
            shutdown,
        } = self;
        let body_read_timeout = BodyReadTimeout(limits.body_read_timeout);
        let service = TowerToHyperService::new(router.map_request(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request.extensions_mut().insert(body_read_timeout);
                request
            },
        ));
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout);
        let connection = builder
            .serve_connection(TokioIo::new(io), service)
            .with_upgrades();
        tokio::pin!(connection);
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::trace!(%error, "mock server connection ended");
                }
            }
            () = shutdown.cancelled() => {
                connection.as_mut().graceful_shutdown();
                let _ = connection.await;
            }
        }
    }
}
