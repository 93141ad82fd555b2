//! The mock MCP resource server: a real MCP server (rmcp, streamable HTTP) behind a bearer-token
//! layer, with RFC 9728 protected-resource metadata.

mod bearer;
mod cors;
mod dpop;
mod introspection;
mod metadata;
mod scope;
mod token;
mod tools;
mod unrouted;
mod verified;

use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use axum::Router;
use axum::routing::get;
use jsonwebtoken::DecodingKey;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use crate::auth_server::introspection::IntrospectionAccess;
use crate::clock::SharedClock;
use crate::config::{
    AuthorizationServerForm, DEFAULT_CUSTOM_METADATA_PATH, PrmLocation, ResourceForm,
    ResourceServerConfig,
};
use crate::request_log::{RequestLog, Server};

/// The RFC 9728 well-known URL at the origin; path-inserted forms append the resource's path.
const PRM_ROOT: &str = "/.well-known/oauth-protected-resource";

#[derive(Debug, Clone)]
pub struct ResourceServer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: ResourceServerConfig,
    /// The origin the server writes in the URLs it announces.
    origin: String,
    /// The origin a user reaches it at: `origin`, or the https one of its TLS front.
    public_origin: String,
    scopes: Vec<String>,
    clock: SharedClock,
    /// The authorization server the metadata names and whose tokens are accepted.
    trust: RwLock<Trust>,
    /// Asks the authorization server about tokens (`introspect-tokens`): made at the first
    /// introspection, since building an HTTP client loads the system's TLS roots, which a
    /// server that never introspects should not pay for at every start.
    http: OnceLock<reqwest::Client>,
    /// DPoP proofs seen and the nonce demanded (`require-dpop`, `dpop-nonce`).
    dpop: crate::dpop::ServerState,
    /// Tokens whose signature was checked under the current trust.
    verified: verified::VerifiedTokens,
}

/// The authorization server this server accepts tokens from.
#[derive(Debug, Clone)]
pub struct Trust {
    pub issuer: String,
    pub key: DecodingKey,
    pub introspection: IntrospectionAccess,
}

impl ResourceServer {
    /// A server that announces itself at `origin` and is reached at `public_origin`: the same,
    /// except behind a TLS-terminating proxy.
    pub fn new(
        config: ResourceServerConfig,
        origin: String,
        public_origin: String,
        scopes: Vec<String>,
        clock: SharedClock,
        trust: Trust,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                origin,
                public_origin,
                scopes,
                clock,
                trust: RwLock::new(trust),
                http: OnceLock::new(),
                dpop: crate::dpop::ServerState::default(),
                verified: verified::VerifiedTokens::default(),
            }),
        }
    }

    /// Names another authorization server in the metadata and, from now on, accepts only the
    /// access tokens it issues (signed with `trust.key`, `iss` = `trust.issuer`).
    pub fn trust_authorization_server(&self, trust: Trust) {
        let mut current = self
            .inner
            .trust
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        *current = trust;
        self.inner.verified.forget_all();
    }

    /// The issuer of the authorization server the metadata currently names.
    pub fn authorization_server(&self) -> String {
        self.trust().issuer
    }

    /// The `authorization_servers` entry of the metadata, as configured.
    pub fn announced_authorization_server(&self) -> String {
        let issuer = self.authorization_server();
        match self.inner.config.authorization_server_in_metadata {
            AuthorizationServerForm::Exact => issuer,
            AuthorizationServerForm::TrailingSlash => format!("{issuer}/"),
        }
    }

    fn trust(&self) -> Trust {
        self.inner
            .trust
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn config(&self) -> &ResourceServerConfig {
        &self.inner.config
    }

    /// The MCP endpoint path, normalized: `/mcp`, or empty for a server at the origin.
    fn mount_path(&self) -> &str {
        self.inner.config.path.trim_end_matches('/')
    }

    /// The MCP endpoint URL as the server writes it (`http://127.0.0.1:PORT/mcp`, or the bare
    /// origin): what a user pastes, except behind a TLS-terminating proxy.
    pub fn url(&self) -> String {
        format!("{}{}", self.inner.origin, self.mount_path())
    }

    /// The MCP endpoint URL a user pastes: [`Self::url`] at the origin it is reached at.
    pub fn public_url(&self) -> String {
        format!("{}{}", self.inner.public_origin, self.mount_path())
    }

    /// The `resource` the metadata announces, as configured.
    pub fn announced_resource(&self) -> String {
        match self.inner.config.resource_in_metadata {
            // Behind a redirect to the trailing slash, the endpoint is the URL with the slash.
            ResourceForm::Exact if self.inner.config.redirect_to_trailing_slash => {
                format!("{}/", self.url())
            }
            ResourceForm::Exact => self.url(),
            ResourceForm::TrailingSlash => format!("{}/", self.url()),
            ResourceForm::OtherHost => self.url().replacen("127.0.0.1", "localhost", 1),
            ResourceForm::Origin => self.inner.origin.clone(),
            ResourceForm::OriginSlash => format!("{}/", self.inner.origin),
        }
    }

    /// Where the protected-resource metadata is served, if anywhere.
    pub fn metadata_path(&self) -> Option<String> {
        match self.inner.config.metadata_location {
            PrmLocation::PathInserted => Some(format!(
                "/.well-known/oauth-protected-resource{}",
                self.mount_path()
            )),
            PrmLocation::Root => Some("/.well-known/oauth-protected-resource".to_owned()),
            PrmLocation::Custom => Some(
                self.inner
                    .config
                    .custom_metadata_path
                    .clone()
                    .unwrap_or_else(|| DEFAULT_CUSTOM_METADATA_PATH.to_owned()),
            ),
            PrmLocation::None => None,
        }
    }

    /// The origin this server writes about itself (`http://127.0.0.1:PORT`).
    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    /// Whether another server's route at `path` on this origin would take a path this server
    /// answers (its metadata, or the MCP endpoint and everything below it). A server at the
    /// bare origin answers only what no route takes, so only its metadata can clash.
    pub fn route_clashes_with(&self, path: &str) -> bool {
        let mount = self.mount_path();
        let under_mount = !mount.is_empty()
            && (path == mount
                || path
                    .strip_prefix(mount)
                    .is_some_and(|rest| rest.starts_with('/')));
        let any_metadata = self.inner.config.metadata_for_every_path && path.starts_with(PRM_ROOT);
        self.metadata_path().as_deref() == Some(path) || under_mount || any_metadata
    }

    pub fn metadata_url(&self) -> Option<String> {
        self.metadata_path()
            .map(|path| format!("{}{path}", self.inner.origin))
    }

    pub fn router(&self, log: RequestLog, shutdown: CancellationToken) -> Router {
        let mut config = StreamableHttpServerConfig::default();
        config.cancellation_token = shutdown;
        let mcp: StreamableHttpService<tools::EchoServer, LocalSessionManager> =
            StreamableHttpService::new(|| Ok(tools::EchoServer), Default::default(), config);
        let protected =
            Router::new()
                .fallback_service(mcp)
                .layer(axum::middleware::from_fn_with_state(
                    self.clone(),
                    bearer::require_bearer,
                ));
        let mut router = Router::new();
        if let Some(path) = self.metadata_path() {
            let serve = get(metadata::protected_resource_metadata);
            router = if self.inner.config.metadata_for_every_path {
                router
                    .route(PRM_ROOT, serve.clone())
                    .route(&format!("{PRM_ROOT}/{{*path}}"), serve)
            } else {
                router.route(&path, serve)
            };
        }
        let router = if self.mount_path().is_empty() {
            router.fallback_service(protected)
        } else {
            router
                .nest_service(self.mount_path(), protected)
                // Explicit, so that a router merged into this one (a co-located authorization
                // server) leaves unknown paths to this server's log entry.
                .fallback(unrouted::unknown_path)
        };
        let router = router
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                unrouted::redirect_to_trailing_slash,
            ))
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                cors::cors,
            ));
        crate::recording_layer::with_request_log(
            router.with_state(self.clone()),
            log,
            Server::ResourceServer,
        )
    }
}
