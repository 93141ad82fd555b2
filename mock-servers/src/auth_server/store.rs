//! What the authorization server remembers: clients, pending codes and refresh tokens.

use std::collections::{HashMap, HashSet};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

use crate::config::TokenEndpointAuthMethod;

#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    pub secret: Option<String>,
    pub redirect_uris: Vec<String>,
    pub auth_method: TokenEndpointAuthMethod,
    pub application_type: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub scope: Option<String>,
    pub resource: Option<String>,
    pub issued_at: u64,
    pub redeemed: bool,
    /// The refresh-token family of the first redemption: a replay of the code revokes it
    /// (RFC 6749 §4.1.2: revoke the tokens previously issued based on that code).
    pub family: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct RefreshGrant {
    pub client_id: String,
    pub scope: Option<String>,
    pub resource: Option<String>,
    /// All refresh tokens descended from one authorization share a family; replay revokes it.
    pub family: u64,
    /// False once rotated away or revoked.
    pub active: bool,
    /// When it was rotated away (the mock's clock, seconds): a reuse within
    /// `refresh-reuse-grace-secs` of it is honoured rather than treated as replay.
    pub rotated_at: Option<u64>,
    /// The DPoP key the grant is bound to (RFC 9449 §5): its refreshes need a proof of it.
    pub jkt: Option<String>,
}

#[derive(Debug, Default)]
pub struct Store {
    pub clients: HashMap<String, Client>,
    pub codes: HashMap<String, CodeGrant>,
    pub refresh_tokens: HashMap<String, RefreshGrant>,
    pub revoked_families: HashSet<u64>,
    pub refresh_unavailable_remaining: u32,
    /// Every access token signed: a revocation request names one, and tests prove none of
    /// them leaks into a report. A set, since a revocation looks its token up.
    pub issued_access_tokens: HashSet<String>,
    /// Access tokens revoked at the RFC 7009 endpoint, or with the code they came from:
    /// introspection says they are inactive.
    pub revoked_access_tokens: HashSet<String>,
    /// The access tokens issued under each grant family, so that a replayed code can revoke
    /// them too (RFC 6749 §4.1.2).
    pub access_tokens_by_family: HashMap<u64, Vec<String>>,
    /// RFC 7592: the bearer token that manages each dynamically registered client, by client ID
    /// (when `registration-management` is on).
    pub registration_access_tokens: HashMap<String, String>,
    /// The secrets of clients deleted since (RFC 7592): still secrets for a leak test.
    pub deleted_client_secrets: Vec<String>,
    /// The `jti` of every client assertion accepted: a second use is a replay (RFC 7523 §3).
    pub assertion_jtis: HashSet<String>,
    /// Workload identity tokens handed out for the JWT bearer grant: secrets for a leak test.
    pub workload_tokens: Vec<String>,
    /// Whether `forget-registered-clients` has forgotten the registrations once.
    pub forgot_clients: bool,
    next_family: u64,
    next_client: u64,
}

impl Store {
    pub fn new_family(&mut self) -> u64 {
        self.next_family += 1;
        self.next_family
    }

    pub fn new_client_id(&mut self) -> String {
        self.next_client += 1;
        format!("dcr-client-{}", self.next_client)
    }

    pub fn refresh_token_usable(&self, token: &str) -> Option<&RefreshGrant> {
        self.refresh_tokens
            .get(token)
            .filter(|g| g.active && !self.revoked_families.contains(&g.family))
    }

    /// Every secret value this server has handed out: codes, tokens, client secrets.
    pub fn issued_secrets(&self) -> Vec<String> {
        let mut secrets: Vec<String> = self.codes.keys().cloned().collect();
        secrets.extend(self.refresh_tokens.keys().cloned());
        secrets.extend(self.issued_access_tokens.iter().cloned());
        secrets.extend(self.clients.values().filter_map(|c| c.secret.clone()));
        secrets.extend(self.deleted_client_secrets.iter().cloned());
        secrets.extend(self.registration_access_tokens.values().cloned());
        secrets.extend(self.workload_tokens.iter().cloned());
        secrets
    }

    /// RFC 7592 §2.3: the client is gone, and with it every code and refresh token it holds.
    pub fn delete_client(&mut self, client_id: &str) -> Option<Client> {
        let client = self.clients.remove(client_id)?;
        self.deleted_client_secrets.extend(client.secret.clone());
        self.deleted_client_secrets
            .extend(self.registration_access_tokens.remove(client_id));
        self.codes.retain(|_, grant| grant.client_id != client_id);
        for grant in self.refresh_tokens.values_mut() {
            if grant.client_id == client_id {
                grant.active = false;
            }
        }
        Some(client)
    }

    /// A restart that loses the registrations: every client but `kept` is gone (its secrets
    /// kept for the leak tests); codes and refresh tokens stay, naming unknown clients.
    pub fn forget_clients(&mut self, kept: &HashSet<&str>) {
        let forgotten: Vec<String> = self
            .clients
            .keys()
            .filter(|id| !kept.contains(id.as_str()))
            .cloned()
            .collect();
        for id in forgotten {
            if let Some(client) = self.clients.remove(&id) {
                self.deleted_client_secrets.extend(client.secret);
            }
            self.deleted_client_secrets
                .extend(self.registration_access_tokens.remove(&id));
        }
        self.forgot_clients = true;
    }

    pub fn revoke_family(&mut self, family: u64) {
        self.revoked_families.insert(family);
    }

    /// A replayed authorization code: every token issued from it, refresh and access, is
    /// revoked. Self-contained JWT access tokens stop working only at a resource server
    /// that introspects them (`introspect-tokens`).
    pub fn revoke_code_grant(&mut self, family: u64) {
        self.revoke_family(family);
        if let Some(tokens) = self.access_tokens_by_family.remove(&family) {
            self.revoked_access_tokens.extend(tokens);
        }
    }

    pub fn revoke_all_refresh_tokens(&mut self) {
        let families: Vec<u64> = self.refresh_tokens.values().map(|g| g.family).collect();
        self.revoked_families.extend(families);
    }
}

/// An unguessable opaque value (codes, refresh tokens, client secrets).
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}
