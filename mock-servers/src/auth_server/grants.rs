//! Grants without a person at the token endpoint: RFC 6749 §4.4 client credentials, the client
//! authenticated with its secret (RFC 6749 §2.3.1) or with an RFC 7523 §2.2 client assertion.
//! The assertion is verified in `assertion`.
//!
//! The RFC 7523 §2.1 JWT bearer grant (workload identity federation) takes a workload token
//! the server hands out itself (`workload_token`), signed by a workload issuer key made per
//! server, and verifies it the same way (`invalid_grant` when it does not hold).

use std::collections::{HashMap, HashSet};

use axum::http::HeaderMap;
use axum::response::Response;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, Validation};

use super::AuthServer;
use super::assertion::{AssertionClaims, assertion_client, decoding_key};
use super::error::OAuthError;
use super::store::Client;
use crate::config::{TokenEndpointAuthMethod, WorkloadToken};
use crate::request_log::RequestLog;

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The workload identity issuer this server trusts for the JWT bearer grant.
pub const WORKLOAD_ISSUER: &str = "https://workload-idp.example";
pub const WORKLOAD_SUBJECT: &str = "spiffe://example.org/workload";

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
        super::client_auth::authenticate(server, log, headers, params).await?
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
    super::issuance::issue(server, &client, scope, resource, None, None)
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
        Some(super::client_auth::authenticate(server, log, headers, params).await?)
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
    super::issuance::issue(server, &client, scope, resource, None, None)
}
