//! The forms of the token endpoint's answers: the error for a dead refresh token, the spelling
//! of `token_type`, how `expires_in` is written and the media type of the response.

use serde::{Deserialize, Serialize};

/// The error code a refresh with a dead refresh token is answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadRefreshTokenError {
    InvalidGrant,
    InvalidRequest,
}

impl DeadRefreshTokenError {
    pub fn code(self) -> &'static str {
        match self {
            DeadRefreshTokenError::InvalidGrant => "invalid_grant",
            DeadRefreshTokenError::InvalidRequest => "invalid_request",
        }
    }
}

/// The spelling of `token_type` in token responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenTypeSpelling {
    /// `Bearer`, as RFC 6750 §6.1.1 registers it.
    Canonical,
    /// `bearer`: equal to RFC 6749 §5.1 (case-insensitive), but not to a client that copies it
    /// into the `Authorization` header of a server that accepts only `Bearer`.
    Lowercase,
}

impl TokenTypeSpelling {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenTypeSpelling::Canonical => "Bearer",
            TokenTypeSpelling::Lowercase => "bearer",
        }
    }
}

/// How a token response gives `expires_in` (the access token's real lifetime stays
/// `access-token-lifetime-secs` whatever the field says).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExpiresInForm {
    /// A JSON number of seconds.
    Number,
    /// The number of seconds as a JSON string (`"3600"`).
    String,
    /// No `expires_in` at all.
    Omitted,
    /// `0`, whatever the real lifetime.
    Zero,
}

/// The media type of token responses (RFC 6749 §5.1 requires `application/json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenResponseFormat {
    Json,
    /// `application/x-www-form-urlencoded` unless the request's `Accept` names
    /// `application/json`, as GitHub's OAuth apps do.
    FormUnlessAcceptJson,
    /// Always `application/x-www-form-urlencoded`.
    Form,
}
