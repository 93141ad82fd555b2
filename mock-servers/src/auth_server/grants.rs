//! Grants without a person at the token endpoint: RFC 6749 §4.4 client credentials, the client
//! authenticated with its secret (RFC 6749 §2.3.1) or with an RFC 7523 §2.2 client assertion.
//!
//! An assertion is verified as RFC 7523 §3 asks: the signature (EdDSA, with the key of
//! `client-assertion-key`), `iss` and `sub` both the Client ID of a client registered for
//! `private_key_jwt`, `aud` this server's issuer or token endpoint, `exp` in the future on the
//! server's clock, and a `jti` never seen before (a replayed assertion is refused).
//!
//! The RFC 7523 §2.1 JWT bearer grant (workload identity federation) takes a workload token
//! the server hands out itself (`workload_token`), signed by a workload issuer key made per
//! server, and verifies it the same way (`invalid_grant` when it does not hold).

use std::collections::{HashMap, HashSet};

use axum::http::HeaderMap;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::{EncodePrivateKey, spki::der::pem::LineEnding};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::AuthServer;
use super::error::OAuthError;
use super::store::Client;
use crate::config::{ClientAssertionKey, TokenEndpointAuthMethod, WorkloadToken};
use crate::request_log::RequestLog;

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The workload identity issuer this server trusts for the JWT bearer grant.
pub const WORKLOAD_ISSUER: &str = "https://workload-idp.example";
pub const WORKLOAD_SUBJECT: &str = "spiffe://example.org/workload";

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

/// `grant_type=client_credentials`: the client authenticated, then a token for it (no
/// refresh token: RFC 6749 §4.4.3).
pub(super) async fn client_credentials(
    server: &AuthServer,
    log: &RequestLog,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<Response, OAuthError> {
    let asserted =
        params.contains_key("client_assertion") || params.contains_key("client_assertion_type");
    let client = if asserted {
        assertion_client(server, params)?
    } else {
        super::token::authenticate(server, log, headers, params).await?
    };
    if client.auth_method == TokenEndpointAuthMethod::None {
        return Err(OAuthError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "a public client cannot use the client_credentials grant",
        ));
    }
    let scope = params.get("scope").cloned();
    let resource = params.get("resource").cloned();
    super::token::issue(server, &client, scope, resource, None, None)
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

/// A workload token signed by the trusted workload issuer, as `workload-token` says.
pub(super) fn workload_token(server: &AuthServer) -> Result<String, String> {
    let now = server.now();
    let (aud, exp) = match server.config().workload_token {
        WorkloadToken::Valid => (server.issuer(), now + 600),
        WorkloadToken::Expired => (server.issuer(), now.saturating_sub(60)),
        WorkloadToken::WrongAudience => ("https://wrong-audience.example".to_owned(), now + 600),
    };
    let claims = serde_json::json!({
        "iss": WORKLOAD_ISSUER,
        "sub": WORKLOAD_SUBJECT,
        "aud": aud,
        "iat": now.saturating_sub(120),
        "exp": exp,
        "jti": super::store::random_token("wl_"),
    });
    let der = server
        .client_assertion_keys()
        .workload
        .to_pkcs8_der()
        .map_err(|e| format!("cannot encode the workload key: {e}"))?;
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(Algorithm::EdDSA),
        &claims,
        &jsonwebtoken::EncodingKey::from_ed_der(der.as_bytes()),
    )
    .map_err(|e| format!("cannot sign the workload token: {e}"))?;
    server.store().workload_tokens.push(token.clone());
    Ok(token)
}

/// `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` (RFC 7523 §2.1): the assertion is
/// the authorization grant. Its signature must be the trusted workload issuer's, `aud` this
/// server, `exp` ahead, and a `jti` never seen; a client that authenticates must be known.
pub(super) async fn jwt_bearer(
    server: &AuthServer,
    log: &RequestLog,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<Response, OAuthError> {
    let authenticates = headers.contains_key(axum::http::header::AUTHORIZATION)
        || params.contains_key("client_secret");
    let client = if authenticates {
        Some(super::token::authenticate(server, log, headers, params).await?)
    } else {
        None
    };
    let Some(assertion) = params.get("assertion") else {
        return Err(OAuthError::invalid_request("assertion is missing"));
    };
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims = HashSet::new();
    let verifying = decoding_key(&server.client_assertion_keys().workload.verifying_key())?;
    let claims = jsonwebtoken::decode::<AssertionClaims>(assertion, &verifying, &validation)
        .map_err(|e| OAuthError::invalid_grant(format!("the assertion does not verify: {e}")))?
        .claims;
    if claims.iss.as_deref() != Some(WORKLOAD_ISSUER) {
        return Err(OAuthError::invalid_grant(format!(
            "the assertion's issuer is not trusted (expected {WORKLOAD_ISSUER})"
        )));
    }
    let Some(subject) = claims.sub.clone() else {
        return Err(OAuthError::invalid_grant("the assertion has no sub"));
    };
    let audiences = [server.issuer(), server.endpoint("token")];
    if !claims
        .aud
        .as_ref()
        .is_some_and(|aud| aud.contains(&audiences))
    {
        return Err(OAuthError::invalid_grant(format!(
            "the assertion's aud must be {} or {}",
            audiences[0], audiences[1]
        )));
    }
    match claims.exp {
        Some(exp) if exp > server.now() => {}
        Some(_) => return Err(OAuthError::invalid_grant("the assertion has expired")),
        None => return Err(OAuthError::invalid_grant("the assertion has no exp")),
    }
    if let Some(jti) = claims.jti
        && !server.store().assertion_jtis.insert(jti)
    {
        return Err(OAuthError::invalid_grant(
            "the assertion was used before (its jti was seen already)",
        ));
    }
    let client = client.unwrap_or_else(|| Client {
        id: params.get("client_id").cloned().unwrap_or(subject),
        secret: None,
        redirect_uris: Vec::new(),
        auth_method: TokenEndpointAuthMethod::None,
        application_type: None,
    });
    let scope = params.get("scope").cloned();
    let resource = params.get("resource").cloned();
    super::token::issue(server, &client, scope, resource, None, None)
}
