//! Configurable mock OAuth authorization server and MCP resource server.
//!
//! The mocks are conformant by default and misbehave on request: each knob in [`MockConfig`]
//! reproduces one failure mode real servers have. They judge nothing; they record every request
//! in a [`RequestLog`] and leave the verdicts to whoever drives them.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use mcp_oauth_mocks::{MockConfig, MockServers, clock::SimulatedClock};
//! let clock = SimulatedClock::default();
//! let mocks = MockServers::start(MockConfig::default(), clock.shared()).await?;
//! println!("paste {} into your client", mocks.mcp_url());
//! # Ok(()) }
//! ```

pub mod auth_server;
pub mod clock;
pub mod config;
pub mod log;
mod logging;
pub mod resource_server;

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use auth_server::AuthServer;
use auth_server::keys::SigningKeys;
use clock::SharedClock;
pub use config::MockConfig;
pub use log::{RecordedRequest, RequestLog};
pub use resource_server::ResourceServer;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot bind a loopback port for the {server}: {source}")]
    Bind {
        server: &'static str,
        source: std::io::Error,
    },
    #[error("cannot create the authorization server's signing key: {0}")]
    Keys(String),
}

/// A running pair of mock servers on loopback ports. Dropping it stops both.
#[derive(Debug)]
pub struct MockServers {
    auth_server: AuthServer,
    resource_server: ResourceServer,
    log: RequestLog,
    shutdown: CancellationToken,
}

impl MockServers {
    /// Starts both servers on `127.0.0.1`, on ports the OS picks.
    pub async fn start(config: MockConfig, clock: SharedClock) -> Result<Self, StartError> {
        Self::start_on(config, clock, "127.0.0.1:0", "127.0.0.1:0").await
    }

    /// Starts both servers on the given addresses (port 0 picks a free one).
    pub async fn start_on(
        config: MockConfig,
        clock: SharedClock,
        auth_server_addr: &str,
        resource_server_addr: &str,
    ) -> Result<Self, StartError> {
        let as_listener = bind(auth_server_addr, "authorization server").await?;
        let rs_listener = bind(resource_server_addr, "MCP resource server").await?;
        let keys = SigningKeys::generate().map_err(StartError::Keys)?;
        let log = RequestLog::default();
        let shutdown = CancellationToken::new();

        let auth_server = AuthServer::new(
            config.authorization_server.clone(),
            origin(&as_listener),
            clock.clone(),
            keys.clone(),
        );
        let resource_server = ResourceServer::new(
            config.resource_server,
            origin(&rs_listener),
            auth_server.issuer(),
            config.authorization_server.scopes_supported,
            clock,
            keys.decoding_key(),
        );
        serve(
            as_listener,
            auth_server.router(log.clone()),
            shutdown.clone(),
        );
        serve(
            rs_listener,
            resource_server.router(log.clone(), shutdown.child_token()),
            shutdown.clone(),
        );
        Ok(Self {
            auth_server,
            resource_server,
            log,
            shutdown,
        })
    }

    /// The URL a user pastes to connect: the MCP endpoint.
    pub fn mcp_url(&self) -> String {
        self.resource_server.url()
    }

    /// The authorization server's issuer identifier.
    pub fn issuer(&self) -> String {
        self.auth_server.issuer()
    }

    pub fn auth_server(&self) -> &AuthServer {
        &self.auth_server
    }

    pub fn resource_server(&self) -> &ResourceServer {
        &self.resource_server
    }

    pub fn log(&self) -> &RequestLog {
        &self.log
    }

    /// Stops both servers; also happens on drop.
    pub fn stop(&self) {
        self.shutdown.cancel();
    }
}

impl Drop for MockServers {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn bind(addr: &str, server: &'static str) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { server, source })
}

fn origin(listener: &TcpListener) -> String {
    match listener.local_addr() {
        Ok(SocketAddr::V6(addr)) => format!("http://[{}]:{}", addr.ip(), addr.port()),
        Ok(addr) => format!("http://{addr}"),
        Err(_) => "http://127.0.0.1".to_owned(),
    }
}

fn serve(listener: TcpListener, router: axum::Router, shutdown: CancellationToken) {
    tokio::spawn(async move {
        let result = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await;
        if let Err(error) = result {
            tracing::warn!(%error, "mock server stopped with an error");
        }
    });
}
