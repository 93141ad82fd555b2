//! The mock OAuth 2.1 authorization server: RFC 8414 metadata, RFC 7591 registration, the
//! authorization and token endpoints, RFC 7009 revocation, RFC 7662 introspection (for the
//! MCP server) and a JWKS. Conformant by default;
//! each knob in [`AuthServerConfig`] makes it misbehave in one named way.

mod assertion;
mod authorize;
mod cimd;
mod client_auth;
mod cors;
mod dpop;
mod error;
mod grants;
mod identity_provider;
pub mod introspection;
mod issuance;
pub mod keys;
mod metadata;
mod pending;
mod registration;
mod revocation;
mod store;
mod token;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use axum::routing::{delete, get, post};
use axum::{Extension, Router};

use crate::clock::SharedClock;
use crate::config::{
    AsMetadataLocation, AuthServerConfig, ForgetRegisteredClients, TokenEndpointAuthMethod,
};
use crate::request_log::{RequestLog, Server};
use introspection::IntrospectionAccess;
use keys::SigningKeys;
use store::{Client, Store};

pub use crate::request_log::FETCH_METHOD;
pub use cimd::{FETCH_TIMEOUT, MAX_DOCUMENT_BYTES};

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
    /// How this server's requests are tagged in the request log.
    role: Server,
    /// Show an approve/deny page at the authorization endpoint instead of answering at once.
    consent_page: AtomicBool,
    /// Authorization requests waiting for the person's decision on that page, by id.
    pending_consents: Mutex<pending::PendingConsents>,
    /// The credential the MCP server introspects with.
    introspection: IntrospectionAccess,
    /// The key pair of the `private_key_jwt` clients' assertions.
    /// Made on first use: most scenarios never see a client assertion, and three key
    /// generations per server cost a noticeable share of a run.
    client_assertion_keys: OnceLock<assertion::ClientAssertionKeys>,
    /// DPoP proofs seen and the nonce demanded (`dpop`, `dpop-nonce`).
    dpop: crate::dpop::ServerState,
    /// The loopback or private origins whose client ID metadata documents may be fetched
    /// (the harness's own document server); see [`AuthServer::allow_client_documents_from`].
    document_origins: Mutex<Vec<String>>,
}

/// Why a `client_id` names no usable client.
#[derive(Debug)]
enum ClientLookup {
    Unknown,
    Document(cimd::CimdError),
}

/// What the server has on record for one client, secrets left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredClient {
    pub client_id: String,
    pub redirect_uris: Vec<String>,
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    /// The OpenID `application_type` given at registration, if any.
    pub application_type: Option<String>,
}

impl AuthServer {
    pub fn new(
        config: AuthServerConfig,
        origin: String,
        clock: SharedClock,
        keys: SigningKeys,
    ) -> Self {
        Self::with_role(config, origin, clock, keys, Server::AuthorizationServer)
    }

    /// A server whose requests the log tags with `role` (the alternate authorization server).
    pub fn with_role(
        config: AuthServerConfig,
        origin: String,
        clock: SharedClock,
        keys: SigningKeys,
        role: Server,
    ) -> Self {
        let mut store = Store::default();
        store.refresh_unavailable_remaining = config.refresh_unavailable_count;
        let assertions = config
            .token_endpoint_auth_methods
            .contains(&TokenEndpointAuthMethod::PrivateKeyJwt);
        for client in &config.clients {
            let auth_method = match client.client_secret {
                None if assertions => TokenEndpointAuthMethod::PrivateKeyJwt,
                None => TokenEndpointAuthMethod::None,
                // A confidential client uses the first method the server accepts.
                Some(_) => config
                    .token_endpoint_auth_methods
                    .iter()
                    .copied()
                    .find(|m| {
                        !matches!(
                            m,
                            TokenEndpointAuthMethod::None | TokenEndpointAuthMethod::PrivateKeyJwt
                        )
                    })
                    .unwrap_or(TokenEndpointAuthMethod::ClientSecretBasic),
            };
            store.clients.insert(
                client.client_id.clone(),
                Client {
                    id: client.client_id.clone(),
                    secret: client.client_secret.clone(),
                    redirect_uris: client.redirect_uris.clone(),
                    auth_method,
                    application_type: None,
                },
            );
        }
        let introspection =
            IntrospectionAccess::generate(format!("{origin}{}/introspect", config.issuer_path));
        Self {
            inner: Arc::new(Inner {
                introspection,
                client_assertion_keys: OnceLock::new(),
                config,
                origin,
                clock,
                keys,
                store: Mutex::new(store),
                role,
                consent_page: AtomicBool::new(false),
                pending_consents: Mutex::new(pending::PendingConsents::default()),
                dpop: crate::dpop::ServerState::default(),
                document_origins: Mutex::new(Vec::new()),
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

    /// The authorization endpoint as the metadata advertises it, with the query it already
    /// carries (`authorization-endpoint-query`).
    pub fn authorization_endpoint(&self) -> String {
        match &self.inner.config.authorization_endpoint_query {
            Some(query) => format!("{}?{query}", self.endpoint("authorize")),
            None => self.endpoint("authorize"),
        }
    }

    /// Where the metadata is (or, with `metadata = false`, would be) served, as
    /// `metadata-location` says: RFC 8414 and inserted OpenID put the well-known suffix before
    /// the issuer path, appended OpenID puts it after.
    pub fn metadata_path(&self) -> String {
        let path = &self.inner.config.issuer_path;
        match self.inner.config.metadata_location {
            AsMetadataLocation::Oauth => format!("/.well-known/oauth-authorization-server{path}"),
            AsMetadataLocation::OpenidInserted => {
                format!("/.well-known/openid-configuration{path}")
            }
            AsMetadataLocation::OpenidAppended => {
                format!("{path}/.well-known/openid-configuration")
            }
            AsMetadataLocation::Root => "/.well-known/oauth-authorization-server".to_owned(),
        }
    }

    /// The metadata URL, if metadata is served at all.
    pub fn metadata_url(&self) -> Option<String> {
        self.inner
            .config
            .metadata
            .then(|| format!("{}{}", self.inner.origin, self.metadata_path()))
    }

    /// The origin this server listens on (`http://127.0.0.1:PORT`).
    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    /// How the request log tags this server's requests.
    pub fn role(&self) -> Server {
        self.inner.role
    }

    /// Where the authorization endpoint (the consent step) is served.
    pub fn authorization_endpoint_path(&self) -> String {
        format!("{}/authorize", self.inner.config.issuer_path)
    }

    /// The PKCS#8 PEM private key this server hands its `private_key_jwt` clients (EdDSA), as
    /// the conformance suite hands its own in `MCP_CONFORMANCE_CONTEXT`.
    pub fn client_assertion_key_pem(&self) -> Result<String, String> {
        self.client_assertion_keys().handed_out_pem()
    }

    /// The workload identity token this server hands out for the JWT bearer grant, signed by
    /// the workload issuer it trusts, as `workload-token` says (issued now, on its clock).
    pub fn workload_token(&self) -> Result<String, String> {
        grants::workload_token(self)
    }

    /// The ID token of the person the enterprise identity provider (`token-exchange`) vouches
    /// for, to exchange at [`Self::identity_provider_token_endpoint`].
    pub fn idp_id_token(&self) -> Result<String, String> {
        identity_provider::id_token(self)
    }

    pub fn identity_provider_token_endpoint(&self) -> String {
        self.endpoint("idp/token")
    }

    pub(super) fn client_assertion_keys(&self) -> &assertion::ClientAssertionKeys {
        self.inner.client_assertion_keys.get_or_init(|| {
            assertion::ClientAssertionKeys::generate(self.inner.config.client_assertion_key)
        })
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

    /// Every secret value handed out so far (codes, access and refresh tokens, client secrets,
    /// the MCP server's introspection secret).
    pub fn issued_secrets(&self) -> Vec<String> {
        let mut secrets = self.store().issued_secrets();
        secrets.push(self.inner.introspection.client_secret.clone());
        // Keys never made were never handed out: nothing to redact, and none made to find out.
        if let Some(Ok(pem)) = self
            .inner
            .client_assertion_keys
            .get()
            .map(assertion::ClientAssertionKeys::handed_out_pem)
        {
            secrets.push(pem);
        }
        secrets
    }

    /// Where and as whom the MCP server introspects this server's tokens.
    pub fn introspection_access(&self) -> IntrospectionAccess {
        self.inner.introspection.clone()
    }

    /// Out-of-band revocation, as an administrator or the user in the provider's console would.
    pub fn revoke_all_refresh_tokens(&self) {
        self.store().revoke_all_refresh_tokens();
    }

    /// The client registered (out of band or dynamically) under `client_id`. Clients known only
    /// through a client ID metadata document are not on record.
    pub fn registered_client(&self, client_id: &str) -> Option<RegisteredClient> {
        self.store()
            .clients
            .get(client_id)
            .map(|client| RegisteredClient {
                client_id: client.id.clone(),
                redirect_uris: client.redirect_uris.clone(),
                token_endpoint_auth_method: client.auth_method,
                application_type: client.application_type.clone(),
            })
    }

    /// Lets client ID metadata documents be fetched from the origin (scheme, host and port) of
    /// `url` although it is on a loopback or private host. Without it such a document is
    /// refused unfetched: a client under test must not make the mock GET whatever local
    /// service it names. Documents on public https hosts need no allowance.
    pub fn allow_client_documents_from(&self, url: &str) -> Result<(), String> {
        let origin = cimd::origin_of(url)?;
        let mut origins = self
            .inner
            .document_origins
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !origins.contains(&origin) {
            origins.push(origin);
        }
        Ok(())
    }

    fn document_origins(&self) -> Vec<String> {
        self.inner
            .document_origins
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The client a `client_id` names: one on record, or (with `client-id-metadata-documents`)
    /// the one its metadata document describes, fetched now.
    async fn find_client(&self, log: &RequestLog, client_id: &str) -> Result<Client, ClientLookup> {
        if let Some(client) = self.store().clients.get(client_id).cloned() {
            return Ok(client);
        }
        if self.inner.config.client_id_metadata_documents && cimd::is_document_url(client_id) {
            let limit = self.inner.config.client_metadata_document_max_bytes;
            return cimd::resolve(
                log,
                self.inner.role,
                client_id,
                &self.document_origins(),
                limit,
            )
            .await
            .map_err(ClientLookup::Document);
        }
        Err(ClientLookup::Unknown)
    }

    /// `forget-registered-clients`: after an authorization code is issued, forget the clients
    /// registered dynamically, once or every time.
    fn forget_after_authorization(&self) {
        let due = match self.inner.config.forget_registered_clients {
            ForgetRegisteredClients::Never | ForgetRegisteredClients::AfterFirstToken => false,
            ForgetRegisteredClients::AfterFirstAuthorization => !self.store().forgot_clients,
            ForgetRegisteredClients::AfterEveryAuthorization => true,
        };
        if due {
            self.forget_registered_clients();
        }
    }

    /// `forget-registered-clients = "after-first-token"`: once the first code exchange has
    /// issued tokens, forget the clients registered dynamically.
    fn forget_after_token(&self) {
        if self.inner.config.forget_registered_clients == ForgetRegisteredClients::AfterFirstToken
            && !self.store().forgot_clients
        {
            self.forget_registered_clients();
        }
    }

    /// A restart that loses the dynamic registrations; the clients of the configuration stay.
    fn forget_registered_clients(&self) {
        let kept: std::collections::HashSet<&str> = self
            .inner
            .config
            .clients
            .iter()
            .map(|c| c.client_id.as_str())
            .collect();
        self.store().forget_clients(&kept);
    }

    /// From now on, show a real approve/deny page at the authorization endpoint (for a person
    /// or a browser-driving client) instead of approving at once.
    pub fn show_consent_page(&self, show: bool) {
        self.inner.consent_page.store(show, Ordering::SeqCst);
    }

    fn consent_page_shown(&self) -> bool {
        self.inner.consent_page.load(Ordering::SeqCst)
    }

    fn pending_consents(&self) -> MutexGuard<'_, pending::PendingConsents> {
        self.inner
            .pending_consents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Where the consent page's form posts the person's decision.
    pub fn consent_decision_path(&self) -> String {
        format!("{}/decision", self.authorization_endpoint_path())
    }

    /// Make the next `count` refresh requests fail with 503.
    pub fn fail_next_refreshes(&self, count: u32) {
        self.store().refresh_unavailable_remaining = count;
    }

    /// Every path this server routes, for spotting clashes when it shares an origin.
    pub fn route_paths(&self) -> Vec<String> {
        let path = &self.inner.config.issuer_path;
        let mut paths = vec![
            self.authorization_endpoint_path(),
            self.consent_decision_path(),
            format!("{path}/token"),
            format!("{path}/revoke"),
            format!("{path}/introspect"),
            format!("{path}/jwks"),
        ];
        if self.inner.config.metadata {
            paths.push(self.metadata_path());
        }
        if self.inner.config.dynamic_registration {
            paths.push(format!("{path}/register"));
        }
        paths
    }

    pub fn router(&self, log: RequestLog) -> Router {
        let path = &self.inner.config.issuer_path;
        let mut router = Router::new()
            .route(
                &self.authorization_endpoint_path(),
                get(authorize::authorize),
            )
            .route(&self.consent_decision_path(), post(authorize::decide))
            .route(&format!("{path}/token"), cors::token_route(self))
            .route(&format!("{path}/revoke"), post(revocation::revoke))
            .route(&format!("{path}/jwks"), get(metadata::jwks));
        if self.inner.config.token_exchange != crate::config::TokenExchange::Off {
            router = router.route(
                &format!("{path}/idp/token"),
                post(identity_provider::token_exchange),
            );
        }
        if self.inner.config.metadata {
            router = router.route(&self.metadata_path(), get(metadata::metadata));
        }
        if self.inner.config.dynamic_registration {
            router = router.route(&format!("{path}/register"), post(registration::register));
            if self.inner.config.registration_management {
                router = router.route(
                    &format!("{path}/register/{{client_id}}"),
                    delete(registration::delete),
                );
            }
        }
        let router = router
            .with_state(self.clone())
            // The client ID metadata document fetch records itself in the same log.
            .layer(Extension(log.clone()));
        // The MCP server's introspection calls are not a client's requests: the log that
        // judges clients leaves them out.
        let introspection = Router::new()
            .route(
                &format!("{path}/introspect"),
                post(introspection::introspect),
            )
            .with_state(self.clone());
        crate::recording_layer::with_request_log(router, log, self.inner.role).merge(introspection)
    }
}
