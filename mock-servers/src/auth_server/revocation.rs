//! RFC 7009 token revocation. Answers 200 whatever the token, as §2.2 requires; a body that is
//! not a well-formed form (or repeats a parameter) is an `invalid_request` (§2.2.1).

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
        }
    }
    StatusCode::OK.into_response()
}
