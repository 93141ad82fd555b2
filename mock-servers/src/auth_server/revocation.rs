//! RFC 7009 token revocation. Answers 200 whatever the token, as §2.2 requires; a body that is
//! not a well-formed form (or repeats a parameter) is an `invalid_request` (§2.2.1). A refresh
//! token takes its whole family with it; an access token is remembered as revoked, which only
//! an MCP server that introspects (RFC 7662) notices: a self-contained JWT stays valid.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use super::AuthServer;
use super::error::OAuthError;

pub async fn revoke(State(server): State<AuthServer>, body: Bytes) -> Response {
    let params = match crate::form::parse_unique(&body) {
        Ok(params) => params,
        Err(error) => return OAuthError::invalid_request(error.to_string()).into_response(),
    };
    if let Some(token) = params.get("token") {
        let mut store = server.store();
        if let Some(family) = store.refresh_tokens.get(token).map(|g| g.family) {
            store.revoke_family(family);
        } else if store.issued_access_tokens.contains(token) {
            store.revoked_access_tokens.insert(token.clone());
        }
    }
    StatusCode::OK.into_response()
}
