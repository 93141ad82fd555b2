//! The enterprise identity provider beside the authorization server (`token-exchange`): it
//! hands out a person's ID token and exchanges it, with RFC 8693 token exchange, for an
//! ID-JAG addressed to this authorization server, signed by the issuer the JWT bearer grant
//! trusts (`grants::WORKLOAD_ISSUER`).

use std::collections::{HashMap, HashSet};

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header, Validation};
use serde_json::{Value, json};

use super::AuthServer;
use super::assertion::{AssertionClaims, decoding_key};
use super::error::OAuthError;
use super::grants::WORKLOAD_ISSUER;
use crate::config::TokenExchange;
use crate::recording_layer::GrantTypeSeen;

pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const ID_JAG: &str = "urn:ietf:params:oauth:token-type:id-jag";
pub const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
/// The Client ID the identity provider knows the client by (the ID token's audience).
pub const IDP_CLIENT_ID: &str = "enterprise-client";
pub const PERSON: &str = "person@example.com";

fn sign(server: &AuthServer, claims: &Value, typ: Option<&str>) -> Result<String, String> {
    let der = server
        .client_assertion_keys()
        .workload
        .to_pkcs8_der()
        .map_err(|e| format!("cannot encode the identity provider's key: {e}"))?;
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = typ.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(der.as_bytes()))
        .map_err(|e| format!("cannot sign: {e}"))
}

/// The person's ID token, issued now for [`IDP_CLIENT_ID`].
pub(super) fn id_token(server: &AuthServer) -> Result<String, String> {
    let now = server.now();
    let claims = json!({ "iss": WORKLOAD_ISSUER, "sub": PERSON, "aud": IDP_CLIENT_ID, "iat": now, "exp": now + 3600 });
    let token = sign(server, &claims, None)?;
    server.store().workload_tokens.push(token.clone());
    Ok(token)
}

/// `POST {issuer}/idp/token`: the RFC 8693 exchange of an ID token for an ID-JAG.
pub async fn token_exchange(State(server): State<AuthServer>, body: Bytes) -> Response {
    let mut response = match exchange(&server, &body) {
        Ok(answer) => Json(answer).into_response(),
        Err(error) => error.into_response(),
    };
    response
        .extensions_mut()
        .insert(GrantTypeSeen(TOKEN_EXCHANGE.to_owned()));
    response
}

fn exchange(server: &AuthServer, body: &[u8]) -> Result<Value, OAuthError> {
    let params: HashMap<String, String> =
        crate::form::parse_unique(body).map_err(|e| OAuthError::invalid_request(e.to_string()))?;
    let param = |name: &str| params.get(name).map(String::as_str);
    if param("grant_type") != Some(TOKEN_EXCHANGE) {
        return Err(OAuthError::invalid_request(format!(
            "grant_type must be {TOKEN_EXCHANGE}"
        )));
    }
    if param("requested_token_type") != Some(ID_JAG) {
        return Err(OAuthError::invalid_request(format!(
            "requested_token_type must be {ID_JAG}"
        )));
    }
    if param("subject_token_type") != Some(ID_TOKEN) {
        return Err(OAuthError::invalid_request(format!(
            "subject_token_type must be {ID_TOKEN}"
        )));
    }
    if param("audience") != Some(server.issuer().as_str()) {
        return Err(OAuthError::invalid_request(format!(
            "audience must be the authorization server's issuer, {}",
            server.issuer()
        )));
    }
    let Some(resource) = param("resource") else {
        return Err(OAuthError::invalid_request("resource is missing"));
    };
    let Some(subject_token) = param("subject_token") else {
        return Err(OAuthError::invalid_request("subject_token is missing"));
    };
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims = HashSet::new();
    let verifying = decoding_key(&server.client_assertion_keys().workload.verifying_key())?;
    let claims = jsonwebtoken::decode::<AssertionClaims>(subject_token, &verifying, &validation)
        .map_err(|e| OAuthError::invalid_grant(format!("the ID token does not verify: {e}")))?
        .claims;
    if claims.iss.as_deref() != Some(WORKLOAD_ISSUER) || claims.sub.is_none() {
        return Err(OAuthError::invalid_grant(
            "the ID token is not this identity provider's",
        ));
    }
    let now = server.now();
    let exp = match server.config().token_exchange {
        TokenExchange::Refuse => {
            return Err(OAuthError::invalid_grant(
                "the identity provider does not allow this client an ID-JAG for this authorization server",
            ));
        }
        TokenExchange::Stale => now.saturating_sub(60),
        TokenExchange::Issue | TokenExchange::Off => now + 300,
    };
    let id_jag = json!({
        "iss": WORKLOAD_ISSUER,
        "sub": claims.sub,
        "aud": server.issuer(),
        "resource": resource,
        "client_id": param("client_id"),
        "iat": now.saturating_sub(360),
        "exp": exp,
        "jti": super::store::random_token("jag_"),
    });
    let token = sign(server, &id_jag, Some("oauth-id-jag+jwt")).map_err(|e| {
        OAuthError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            e,
        )
    })?;
    server.store().workload_tokens.push(token.clone());
    Ok(
        json!({ "access_token": token, "issued_token_type": ID_JAG, "token_type": "N_A", "expires_in": 300 }),
    )
}
