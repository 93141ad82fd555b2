//! The mock OAuth 2.1 authorization server: RFC 8414 metadata, RFC 7591 registration, the
//! authorization and token endpoints, RFC 7009 revocation and a JWKS. Conformant by default;
//! each knob in [`AuthServerConfig`] makes it misbehave in one named way.

mod authorize;
mod error;
pub mod keys;
mod metadata;
mod registration;
mod revocation;
mod store;
mod token;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::routing::{get, post};

use crate::clock::SharedClock;
use crate::config::{AuthServerConfig, TokenEndpointAuthMethod};
use crate::log::{RequestLog, Server};
use keys::SigningKeys;
use store::{Client, Store};

/// Everything the handlers share.
#[derive(Debug, Clone)]
pub struct AuthServer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: AuthServerConfig,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    origin: String,
    clock: SharedClock,
    keys: SigningKeys,
    store: Mutex<Store>,
}

impl AuthServer {
    pub fn new(
        config: AuthServerConfig,
        origin: String,
        clock: SharedClock,
        keys: SigningKeys,
    ) -> Self {
        let mut store = Store::default();
        store.refresh_unavailable_remaining = config.refresh_unavailable_count;
        for client in &config.clients {
            let auth_method = match client.client_secret {
                None => TokenEndpointAuthMethod::None,
                // A confidential client uses the first method the server accepts.
                Some(_) => config
                    .token_endpoint_auth_methods
                    .iter()
                    .copied()
                    .find(|m| *m != TokenEndpointAuthMethod::None)
                    .unwrap_or(TokenEndpointAuthMethod::ClientSecretBasic),
            };
            store.clients.insert(
                client.client_id.clone(),
                Client {
                    id: client.client_id.clone(),
                    secret: client.client_secret.clone(),
                    redirect_uris: client.redirect_uris.clone(),
                    auth_method,
                },
            );
        }
        Self {
            inner: Arc::new(Inner {
                config,
                origin,
                clock,
                keys,
                store: Mutex::new(store),
            }),
        }
    }

    pub fn config(&self) -> &AuthServerConfig {
        &self.inner.config
    }

    /// The issuer identifier: the origin plus the configured issuer path.
    pub fn issuer(&self) -> String {
        format!("{}{}", self.inner.origin, self.inner.config.issuer_path)
    }

    /// Where an endpoint of this server lives (endpoints sit under the issuer path).
    pub fn endpoint(&self, name: &str) -> String {
        format!("{}/{name}", self.issuer())
    }

    /// Where RFC 8414 metadata is served: the well-known suffix inserted before the issuer path.
    pub fn metadata_path(&self) -> String {
        format!(
            "/.well-known/oauth-authorization-server{}",
            self.inner.config.issuer_path
        )
    }

    /// Where the authorization endpoint (the consent step) is served.
    pub fn authorization_endpoint_path(&self) -> String {
        format!("{}/authorize", self.inner.config.issuer_path)
    }

    pub fn keys(&self) -> &SigningKeys {
        &self.inner.keys
    }

    fn now(&self) -> u64 {
        self.inner.clock.unix_seconds()
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.inner
            .store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Every secret value handed out so far (codes, access and refresh tokens, client secrets).
    pub fn issued_secrets(&self) -> Vec<String> {
        self.store().issued_secrets()
    }

    /// Out-of-band revocation, as an administrator or the user in the provider's console would.
    pub fn revoke_all_refresh_tokens(&self) {
        self.store().revoke_all_refresh_tokens();
    }

    /// Make the next `count` refresh requests fail with 503.
    pub fn fail_next_refreshes(&self, count: u32) {
        self.store().refresh_unavailable_remaining = count;
    }

    pub fn router(&self, log: RequestLog) -> Router {
        let path = &self.inner.config.issuer_path;
        let mut router = Router::new()
            .route(
                &self.authorization_endpoint_path(),
                get(authorize::authorize),
            )
            .route(&format!("{path}/token"), post(token::token))
            .route(&format!("{path}/revoke"), post(revocation::revoke))
            .route(&format!("{path}/jwks"), get(metadata::jwks));
        if self.inner.config.metadata {
            router = router.route(&self.metadata_path(), get(metadata::metadata));
        }
        if self.inner.config.dynamic_registration {
            router = router.route(&format!("{path}/register"), post(registration::register));
        }
        crate::logging::with_request_log(
            router.with_state(self.clone()),
            log,
            Server::AuthorizationServer,
        )
    }
}
