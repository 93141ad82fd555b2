//! The forms of the knobs for grants without a person: which key the authorization server
//! verifies `private_key_jwt` client assertions with, and which workload token it hands out
//! for the JWT bearer grant.

use serde::{Deserialize, Serialize};

/// The key a `private_key_jwt` client's assertions must be signed with, against the one the
/// server hands out for its clients (`AuthServer::client_assertion_key_pem`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientAssertionKey {
    /// The key handed out: a client that signs with it is authenticated.
    #[default]
    HandedOut,
    /// Another key, as when the public key registered for the client is not the one it holds
    /// (a rotated or mistyped JWKS): every assertion's signature fails to verify.
    Mismatched,
}

/// The workload identity token the server hands out for the RFC 7523 §2.1 JWT bearer grant
/// (`AuthServer::workload_token`), signed by the workload issuer it trusts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WorkloadToken {
    /// Addressed to this server, good for ten minutes.
    #[default]
    Valid,
    /// Expired a minute before it was handed out.
    Expired,
    /// Addressed to another server (`https://wrong-audience.example`).
    WrongAudience,
}

/// The enterprise identity provider beside the authorization server (enterprise-managed
/// authorization): its RFC 8693 token endpoint exchanges the ID token it hands out for an
/// ID-JAG, the JWT bearer grant's assertion here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenExchange {
    /// No identity provider.
    #[default]
    Off,
    /// ID-JAGs good for five minutes.
    Issue,
    /// The exchange is refused (400 `invalid_grant`: the ID token is not accepted).
    Refuse,
    /// ID-JAGs that expired before they were issued (a stale assertion).
    Stale,
}
