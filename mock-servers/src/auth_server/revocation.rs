//! RFC 7009 token revocation. Answers 200 whatever the token, as §2.2 requires. A refresh
//! token takes its whole family with it; an access token is remembered as revoked, which only
//! an MCP server that introspects (RFC 7662) notices: a self-contained JWT stays valid.

use axum::extract::State;
use axum::http::StatusCode;
use bytes::Bytes;

use super::AuthServer;

pub async fn revoke(State(server): State<AuthServer>, body: Bytes) -> StatusCode {
    let token = url::form_urlencoded::parse(&body)
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.into_owned());
    if let Some(token) = token {
        let mut store = server.store();
        if let Some(family) = store.refresh_tokens.get(&token).map(|g| g.family) {
            store.revoke_family(family);
        } else if store.issued_access_tokens.contains(&token) {
            store.revoked_access_tokens.insert(token);
        }
    }
    StatusCode::OK
}
