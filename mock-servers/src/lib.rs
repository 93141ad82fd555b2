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
pub mod dpop;
pub mod form;
pub mod listen;
mod recording_layer;
pub mod request_log;
pub mod resource_server;
pub mod time_bound;
pub mod tls_front;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use auth_server::AuthServer;
use auth_server::keys::SigningKeys;
use clock::SharedClock;
use config::TlsProxy;
pub use config::{ConfigError, MockConfig};
pub use listen::ConnectionLimits;
pub use recording_layer::MAX_RECORDED_BODY as MAX_REQUEST_BODY;
use request_log::Server;
pub use request_log::{RecordedRequest, RequestLog};
pub use resource_server::ResourceServer;
use tls_front::TlsFront;

/// The module's earlier name, kept so that code written against `mcp_oauth_mocks::log` builds.
#[doc(hidden)]
pub use request_log as log;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot bind a loopback port for the {server}: {source}")]
    Bind {
        server: &'static str,
        source: std::io::Error,
    },
    #[error("cannot create the authorization server's signing key: {0}")]
    Keys(String),
    #[error("cannot set up the MCP server's TLS front: {0}")]
    Tls(String),
    #[error("invalid mock configuration: {0}")]
    Config(#[from] ConfigError),
    #[error(
        "the co-located authorization server's route {path} clashes with the MCP server's routes; change issuer-path or the resource server's path"
    )]
    RouteClash { path: String },
}

/// A running pair of mock servers on loopback ports (and, when configured, an alternate
/// authorization server). Dropping it stops them all.
#[derive(Debug)]
pub struct MockServers {
    auth_server: AuthServer,
    alternate: Option<AuthServer>,
    /// Whether the resource server has been moved to the alternate authorization server.
    switched: AtomicBool,
    resource_server: ResourceServer,
    /// The MCP server's TLS front (`tls-terminating-proxy`).
    tls: Option<TlsFront>,
    log: RequestLog,
    shutdown: CancellationToken,
}

impl MockServers {
    /// Starts both servers on `127.0.0.1`, on ports the OS picks.
    pub async fn start(config: MockConfig, clock: SharedClock) -> Result<Self, StartError> {
        Self::start_on(config, clock, "127.0.0.1:0", "127.0.0.1:0").await
    }

    /// Starts both servers on the given addresses (port 0 picks a free one). A co-located
    /// authorization server shares the resource server's listener, so `auth_server_addr` is
    /// then not bound; an alternate authorization server gets a free port on the host of
    /// `auth_server_addr`.
    pub async fn start_on(
        config: MockConfig,
        clock: SharedClock,
        auth_server_addr: &str,
        resource_server_addr: &str,
    ) -> Result<Self, StartError> {
        Self::start_on_with(
            config,
            clock,
            auth_server_addr,
            resource_server_addr,
            ConnectionLimits::default(),
        )
        .await
    }

    /// Starts both servers on `127.0.0.1` with the given connection bounds.
    pub async fn start_with_limits(
        config: MockConfig,
        clock: SharedClock,
        limits: ConnectionLimits,
    ) -> Result<Self, StartError> {
        Self::start_on_with(config, clock, "127.0.0.1:0", "127.0.0.1:0", limits).await
    }

    /// [`Self::start_on`] with the given connection bounds for every listener.
    pub async fn start_on_with(
        config: MockConfig,
        clock: SharedClock,
        auth_server_addr: &str,
        resource_server_addr: &str,
        limits: ConnectionLimits,
    ) -> Result<Self, StartError> {
        config.validate()?;
        let co_located = config.authorization_server.co_located;
        let rs_listener = bind(resource_server_addr, "MCP resource server").await?;
        let as_listener = if co_located {
            None
        } else {
            Some(bind(auth_server_addr, "authorization server").await?)
        };
        let keys = SigningKeys::generate().map_err(StartError::Keys)?;
        let log = RequestLog::with_clock(clock.clone());
        let shutdown = CancellationToken::new();
        // Stops whatever already serves if a later step fails.
        let stop_on_error = shutdown.clone().drop_guard();

        let listened = origin(&rs_listener);
        let tls = match config.resource_server.tls_terminating_proxy {
            Some(_) => Some(TlsFront::generate().map_err(StartError::Tls)?),
            None => None,
        };
        let public_origin = match tls {
            Some(_) => listened.replacen("http://", "https://", 1),
            None => listened.clone(),
        };
        // What the app behind the proxy writes about itself: its request's scheme, unless it
        // honours the proxy's X-Forwarded-Proto.
        let rs_origin = match config.resource_server.tls_terminating_proxy {
            Some(TlsProxy::ForwardedProtoHonoured) => public_origin.clone(),
            Some(TlsProxy::ForwardedProtoIgnored) | None => listened,
        };
        let auth_server = AuthServer::new(
            config.authorization_server.clone(),
            as_listener
                .as_ref()
                .map_or_else(|| rs_origin.clone(), origin),
            clock.clone(),
            keys.clone(),
        );
        let resource_server = ResourceServer::new(
            config.resource_server.clone(),
            rs_origin,
            public_origin,
            config.authorization_server.scopes_supported.clone(),
            clock.clone(),
            trust_in(&auth_server),
        );
        let rs_router = resource_server.router(log.clone(), shutdown.child_token());
        match as_listener {
            Some(as_listener) => {
                serve(
                    as_listener,
                    auth_server.router(log.clone()),
                    shutdown.clone(),
                    limits,
                );
                listen::serve_fronted(
                    rs_listener,
                    rs_router,
                    shutdown.clone(),
                    limits,
                    tls.clone(),
                );
            }
            None => {
                if let Some(path) = auth_server
                    .route_paths()
                    .into_iter()
                    .find(|path| resource_server.route_clashes_with(path))
                {
                    return Err(StartError::RouteClash { path });
                }
                let merged = rs_router.merge(auth_server.router(log.clone()));
                listen::serve_fronted(rs_listener, merged, shutdown.clone(), limits, tls.clone());
            }
        }
        let alternate = if config.resource_server.alternate_authorization_server {
            Some(start_alternate(&config, clock, auth_server_addr, &log, &shutdown, limits).await?)
        } else {
            None
        };
        stop_on_error.disarm();
        Ok(Self {
            auth_server,
            alternate,
            switched: AtomicBool::new(false),
            resource_server,
            tls,
            log,
            shutdown,
        })
    }

    /// The URL a user pastes to connect: the MCP endpoint (https behind the TLS front).
    pub fn mcp_url(&self) -> String {
        self.resource_server.public_url()
    }

    /// The certificate authority (DER) a client must trust to reach the MCP server over
    /// https, when `tls-terminating-proxy` put a TLS front before it.
    pub fn tls_authority_der(&self) -> Option<&[u8]> {
        self.tls.as_ref().map(TlsFront::authority_der)
    }

    /// [`Self::tls_authority_der`] as a PEM file's text.
    pub fn tls_authority_pem(&self) -> Option<String> {
        self.tls.as_ref().map(TlsFront::authority_pem)
    }

    /// The issuer identifier of the authorization server the protected-resource metadata
    /// currently names (the alternate one after [`Self::switch_authorization_server`]).
    pub fn issuer(&self) -> String {
        self.active_auth_server().issuer()
    }

    /// The (first) authorization server.
    pub fn auth_server(&self) -> &AuthServer {
        &self.auth_server
    }

    /// The second authorization server, when `alternate-authorization-server` started one.
    pub fn alternate_auth_server(&self) -> Option<&AuthServer> {
        self.alternate.as_ref()
    }

    /// The authorization server the protected-resource metadata currently names.
    pub fn active_auth_server(&self) -> &AuthServer {
        match &self.alternate {
            Some(alternate) if self.switched.load(Ordering::SeqCst) => alternate,
            _ => &self.auth_server,
        }
    }

    /// Moves the MCP server to the alternate authorization server: from now on its
    /// protected-resource metadata names the alternate's issuer, and it accepts only access
    /// tokens the alternate issues (those of the first are rejected as issued by another
    /// authorization server). Returns false, changing nothing, when no alternate was started.
    pub fn switch_authorization_server(&self) -> bool {
        let Some(alternate) = &self.alternate else {
            return false;
        };
        self.resource_server
            .trust_authorization_server(trust_in(alternate));
        self.switched.store(true, Ordering::SeqCst);
        true
    }

    /// Every secret value any of the authorization servers handed out.
    pub fn issued_secrets(&self) -> Vec<String> {
        let mut secrets = self.auth_server.issued_secrets();
        if let Some(alternate) = &self.alternate {
            secrets.extend(alternate.issued_secrets());
        }
        secrets
    }

    /// [`AuthServer::allow_client_documents_from`] on every authorization server.
    pub fn allow_client_documents_from(&self, url: &str) -> Result<(), String> {
        self.auth_server.allow_client_documents_from(url)?;
        if let Some(alternate) = &self.alternate {
            alternate.allow_client_documents_from(url)?;
        }
        Ok(())
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

/// The second authorization server: the same knobs, but its own port, keys and issuer, and no
/// clients (neither pre-registered nor registered at the first).
async fn start_alternate(
    config: &MockConfig,
    clock: SharedClock,
    auth_server_addr: &str,
    log: &RequestLog,
    shutdown: &CancellationToken,
    limits: ConnectionLimits,
) -> Result<AuthServer, StartError> {
    let host = auth_server_addr
        .rsplit_once(':')
        .map_or("127.0.0.1", |(host, _)| host);
    let listener = bind(&format!("{host}:0"), "alternate authorization server").await?;
    let keys = SigningKeys::generate().map_err(StartError::Keys)?;
    let mut alternate_config = config.authorization_server.clone();
    alternate_config.clients.clear();
    alternate_config.co_located = false;
    let alternate = AuthServer::with_role(
        alternate_config,
        origin(&listener),
        clock,
        keys,
        Server::AlternateAuthorizationServer,
    );
    serve(
        listener,
        alternate.router(log.clone()),
        shutdown.clone(),
        limits,
    );
    Ok(alternate)
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

fn serve(
    listener: TcpListener,
    router: axum::Router,
    shutdown: CancellationToken,
    limits: ConnectionLimits,
) {
    listen::serve(listener, router, shutdown, limits);
}

/// What the MCP server needs to accept `server`'s tokens: its issuer, its key, and its
/// introspection endpoint.
fn trust_in(server: &AuthServer) -> resource_server::Trust {
    resource_server::Trust {
        issuer: server.issuer(),
        key: server.keys().decoding_key(),
        introspection: server.introspection_access(),
    }
}
