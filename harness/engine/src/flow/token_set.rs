//! The tokens a flow holds: what a token answer issued, kept apart from the requests that
//! obtain them so that parsing an answer and sending a request both name it without either
//! depending on the other.

use std::time::SystemTime;

use oauth2::{AccessToken, RefreshToken};

#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access_token: AccessToken,
    pub refresh_token: Option<RefreshToken>,
    pub expires_at: Option<SystemTime>,
    pub scope: Option<String>,
}
