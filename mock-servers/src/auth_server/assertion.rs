//! RFC 7523 client assertions (`private_key_jwt`): the key pair this server hands its clients,
//! and the verification RFC 7523 §3 asks for: the signature (EdDSA, with the key of
//! `client-assertion-key`), `iss` and `sub` both the Client ID of a client registered for
//! `private_key_jwt`, `aud` this server's issuer or token endpoint, `exp` in the future on the
//! server's clock, and a `jti` never seen before (a replayed assertion is refused).

use std::collections::{HashMap, HashSet};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::{EncodePrivateKey, spki::der::pem::LineEnding};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::AuthServer;
use super::error::OAuthError;
use super::store::Client;
use crate::config::{ClientAssertionKey, TokenEndpointAuthMethod};

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The key pair handed out to this server's `private_key_jwt` clients, and the key their
/// assertions are verified with (the same one unless `client-assertion-key = "mismatched"`).
pub struct ClientAssertionKeys {
    handed_out: ed25519_dalek::SigningKey,
    verifying: ed25519_dalek::VerifyingKey,
    /// The key of the workload issuer this server trusts for the JWT bearer grant.
    pub(super) workload: ed25519_dalek::SigningKey,
}

impl std::fmt::Debug for ClientAssertionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientAssertionKeys")
            .finish_non_exhaustive()
    }
}

impl ClientAssertionKeys {
    pub fn generate(which: ClientAssertionKey) -> Self {
        let handed_out = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
        let verifying = match which {
            ClientAssertionKey::HandedOut => handed_out.verifying_key(),
            ClientAssertionKey::Mismatched => {
                ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng).verifying_key()
            }
        };
        Self {
            handed_out,
            verifying,
            workload: ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng),
        }
    }

    /// The PKCS#8 PEM private key a `private_key_jwt` client of this server signs with.
    pub fn handed_out_pem(&self) -> Result<String, String> {
        self.handed_out
            .to_pkcs8_pem(LineEnding::LF)
            .map(|pem| pem.to_string())
            .map_err(|e| format!("cannot encode the client assertion key: {e}"))
    }

    fn decoding_key(&self) -> Result<DecodingKey, OAuthError> {
        decoding_key(&self.verifying)
    }
}

pub(super) fn decoding_key(key: &ed25519_dalek::VerifyingKey) -> Result<DecodingKey, OAuthError> {
    DecodingKey::from_ed_components(&URL_SAFE_NO_PAD.encode(key.as_bytes())).map_err(|e| {
        OAuthError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            format!("cannot build the verification key: {e}"),
        )
    })
}

#[derive(Deserialize)]
pub(super) struct AssertionClaims {
    pub iss: Option<String>,
    pub sub: Option<String>,
    pub aud: Option<Audience>,
    pub exp: Option<u64>,
    pub jti: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub fn contains(&self, wanted: &[String]) -> bool {
        match self {
            Audience::One(aud) => wanted.contains(aud),
            Audience::Many(auds) => auds.iter().any(|aud| wanted.contains(aud)),
        }
    }
}

/// The client a `private_key_jwt` assertion authenticates, or why it does not.
pub(super) fn assertion_client(
    server: &AuthServer,
    params: &HashMap<String, String>,
) -> Result<Client, OAuthError> {
    if params.get("client_assertion_type").map(String::as_str) != Some(ASSERTION_TYPE) {
        return Err(OAuthError::invalid_client(format!(
            "client_assertion_type must be {ASSERTION_TYPE}"
        )));
    }
    let Some(assertion) = params.get("client_assertion") else {
        return Err(OAuthError::invalid_client("client_assertion is missing"));
    };
    let mut validation = Validation::new(Algorithm::EdDSA);
    // Expiry is judged on the server's (possibly simulated) clock below, and every claim is
    // checked by hand so that the error names it.
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims = HashSet::new();
    let claims = jsonwebtoken::decode::<AssertionClaims>(
        assertion,
        &server.client_assertion_keys().decoding_key()?,
        &validation,
    )
    .map_err(|e| OAuthError::invalid_client(format!("the client assertion does not verify: {e}")))?
    .claims;
    let (Some(iss), Some(sub)) = (&claims.iss, &claims.sub) else {
        return Err(OAuthError::invalid_client(
            "the client assertion needs iss and sub (the Client ID)",
        ));
    };
    if iss != sub {
        return Err(OAuthError::invalid_client(
            "the client assertion's iss and sub differ; both must be the Client ID",
        ));
    }
    if params.get("client_id").is_some_and(|id| id != iss) {
        return Err(OAuthError::invalid_client(
            "client_id is not the client assertion's iss",
        ));
    }
    let audiences = [server.issuer(), server.endpoint("token")];
    if !claims
        .aud
        .as_ref()
        .is_some_and(|aud| aud.contains(&audiences))
    {
        return Err(OAuthError::invalid_client(format!(
            "the client assertion's aud must be {} or {}",
            audiences[0], audiences[1]
        )));
    }
    match claims.exp {
        Some(exp) if exp > server.now() => {}
        Some(_) => {
            return Err(OAuthError::invalid_client(
                "the client assertion has expired",
            ));
        }
        None => {
            return Err(OAuthError::invalid_client(
                "the client assertion has no exp",
            ));
        }
    }
    let Some(jti) = claims.jti else {
        return Err(OAuthError::invalid_client(
            "the client assertion has no jti",
        ));
    };
    let mut store = server.store();
    if !store.assertion_jtis.insert(jti) {
        return Err(OAuthError::invalid_client(
            "the client assertion was used before (its jti was seen already)",
        ));
    }
    match store.clients.get(iss) {
        Some(client) if client.auth_method == TokenEndpointAuthMethod::PrivateKeyJwt => {
            Ok(client.clone())
        }
        Some(_) => Err(OAuthError::invalid_client(format!(
            "client {iss:?} is not registered for private_key_jwt"
        ))),
        None => Err(OAuthError::invalid_client(format!(
            "unknown client {iss:?}"
        ))),
    }
}
