//! The forms the mock authorization server's client-handling knobs take: how a client
//! authenticates at the token endpoint, how the token endpoint reads client credentials, how
//! it answers a client it does not know, when it forgets the clients it registered, and
//! which loopback redirect URIs it accepts.

use serde::{Deserialize, Serialize};

/// How the token endpoint reads the client's identity and credentials (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientAuthReading {
    /// The client ID from the HTTP Basic header, or from the body without one; a body
    /// `client_id` beside Basic credentials is allowed (RFC 6749 §3.2.1).
    Standard,
    /// The client ID only from the form body: a request authenticated with HTTP Basic alone
    /// is refused with `invalid_client`, although `client_secret_basic` is advertised
    /// (fastmcp#4600). With a body `client_id`, the Basic secret is checked.
    BodyClientIdOnly,
    /// A request with both Basic credentials and a body `client_id` is refused with
    /// `invalid_request` (Notion; python-sdk#3138).
    RefuseBoth,
}

/// How an unknown `client_id` is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnknownClientAnswer {
    /// 401 `invalid_client` at the token endpoint (RFC 6749 §5.2), an error page at the
    /// authorization endpoint (§4.1.2.1).
    InvalidClient,
    /// 400 `invalid_grant` at the token endpoint, with a description naming the client
    /// (better-auth#11035); the authorization endpoint as `invalid-client`.
    InvalidGrant,
    /// 422 `{"message":"Unrecognized client_id"}` at both endpoints (supabase/mcp#355).
    #[serde(rename = "unrecognized-client-id-422")]
    UnrecognizedClientId422,
}

/// When the authorization server forgets the clients it registered dynamically, as a server
/// that keeps them in memory does when it restarts. Clients registered out of band stay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ForgetRegisteredClients {
    Never,
    /// Once, right after the first authorization code is issued: the code stays redeemable,
    /// but the client it was issued to is unknown from then on.
    AfterFirstAuthorization,
    /// After every authorization code issued (a server that never keeps a registration).
    AfterEveryAuthorization,
    /// Once, right after the first code exchange issues tokens: the connection works, and the
    /// next refresh presents a refresh token of a client the server no longer knows.
    AfterFirstToken,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenEndpointAuthMethod {
    None,
    ClientSecretBasic,
    ClientSecretPost,
    /// RFC 7523 §2.2 client assertions signed with the client's private key (pre-registered
    /// clients only; see `client-assertion-key`).
    PrivateKeyJwt,
}

impl TokenEndpointAuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenEndpointAuthMethod::None => "none",
            TokenEndpointAuthMethod::ClientSecretBasic => "client_secret_basic",
            TokenEndpointAuthMethod::ClientSecretPost => "client_secret_post",
            TokenEndpointAuthMethod::PrivateKeyJwt => "private_key_jwt",
        }
    }
}

/// Which loopback redirect URIs the authorization server accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoopbackRedirectHost {
    /// Every spelling (`127.0.0.1`, `localhost`, `[::1]`), as RFC 8252 §7.3 expects.
    Any,
    /// Only `http://localhost:...`.
    Localhost,
    /// Only `http://127.0.0.1:...`.
    #[serde(rename = "127.0.0.1")]
    Ipv4,
}

impl LoopbackRedirectHost {
    /// Whether a redirect URI passes; URIs on other hosts than loopback ones always do.
    pub fn accepts(self, uri: &str) -> bool {
        let host = url::Url::parse(uri)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
        let loopback = |h: &str| matches!(h, "localhost" | "127.0.0.1" | "[::1]");
        match (self, host.as_deref()) {
            (LoopbackRedirectHost::Any, _) | (_, None) => true,
            (_, Some(h)) if !loopback(h) => true,
            (LoopbackRedirectHost::Localhost, Some(h)) => h == "localhost",
            (LoopbackRedirectHost::Ipv4, Some(h)) => h == "127.0.0.1",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LoopbackRedirectHost::Any => "any",
            LoopbackRedirectHost::Localhost => "localhost",
            LoopbackRedirectHost::Ipv4 => "127.0.0.1",
        }
    }
}
