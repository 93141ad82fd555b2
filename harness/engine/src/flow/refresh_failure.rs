//! Why a refresh failed, read from what the token endpoint answered (RFC 6749 §5.2), so that
//! the diagnosis names what was observed: a refused refresh token, a client registration the
//! server no longer knows, another OAuth refusal, a transient outage, or an endpoint that does
//! not speak OAuth at all.

use super::token_request::ErrorAnswer;
use crate::diagnosis::{self, Diagnosis};
use crate::http::HttpError;

/// What the refresh was: the reactive one before a call, or the live check's forced one right
/// after the code exchange (where a refusal says more about the server than the token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshKind {
    BeforeCall,
    FreshToken,
}

/// The diagnosis for a refresh the token endpoint answered with an error.
pub fn from_answer(kind: RefreshKind, answer: &ErrorAnswer) -> Diagnosis {
    let summary = answer.summary();
    if answer.status >= 500 || answer.status == 429 {
        // The server says it failed (RFC 6749 §4.1.2.1's `server_error`), which is not the
        // outage `temporarily_unavailable` or a gateway's page announces: clients treat the
        // two apart (the TypeScript SDK authorizes again on the first, stops on the second).
        if answer.error.as_deref() == Some("server_error") {
            return server_error(&summary);
        }
        return transient(&summary);
    }
    if answer.status == 404 || !answer.json {
        return misconfigured(&summary);
    }
    match answer.error.as_deref() {
        Some("invalid_grant") => match kind {
            RefreshKind::BeforeCall => diagnosis::new(
                diagnosis::REFRESH_REVOKED,
                format!(
                    "The refresh token was refused ({summary}): it is revoked or permanently expired, so the call failed with an auth error."
                ),
                "Re-run the OAuth flow (Connect) to reconnect; Test Connection alone cannot recover a revoked refresh token.",
            ),
            RefreshKind::FreshToken => diagnosis::new(
                diagnosis::REFRESH_REVOKED,
                format!(
                    "A refresh token issued moments ago was refused ({summary}): connections will fail once the first access token expires."
                ),
                "Accept refresh_token grants for the refresh tokens the server issues, from the client they were issued to.",
            ),
        },
        Some("invalid_client") => diagnosis::new(
            diagnosis::CLIENT_REGISTRATION_GONE,
            format!(
                "The token endpoint no longer accepts this client ({summary}): its registration was deleted, expired or its credentials changed."
            ),
            "Register the client again (automatic registration does this on Connect) or paste a valid Client ID and secret, then reconnect.",
        ),
        // Every refresh carries what RFC 6749 §6 asks for, so invalid_request is most likely
        // a dead refresh token under the wrong name (obot#7501).
        Some("invalid_request") if answer.status == 400 => diagnosis::new(
            diagnosis::REFRESH_INVALID_REQUEST,
            format!(
                "The token endpoint refused the refresh with invalid_request ({summary}), although the request carried grant_type, refresh_token and the client's authentication: the refresh token is most likely revoked or expired, which RFC 6749 §5.2 answers with invalid_grant."
            ),
            "Re-run the OAuth flow (Connect) to reconnect. The provider should answer a dead refresh token with 400 invalid_grant, which clients know to answer by re-authorizing.",
        ),
        Some(code) => diagnosis::new(
            diagnosis::REFRESH_REFUSED,
            format!("The token endpoint refused the refresh with {code} ({summary})."),
            refused_remedy(code),
        ),
        None => diagnosis::new(
            diagnosis::REFRESH_REFUSED,
            format!(
                "The token endpoint refused the refresh without an OAuth error code ({summary})."
            ),
            "Answer refused token requests with an RFC 6749 §5.2 error object; reconnect to get new tokens.",
        ),
    }
}

/// The diagnosis for a refresh request that got no answer at all.
pub fn from_error(error: &HttpError) -> Diagnosis {
    match error {
        HttpError::Timeout { .. }
        | HttpError::BodyTimeout { .. }
        | HttpError::StreamOpen { .. }
        | HttpError::Connect { .. } => transient(&error.to_string()),
        _ => misconfigured(&error.to_string()),
    }
}

fn refused_remedy(code: &str) -> String {
    match code {
        "invalid_scope" => "Refresh without asking for more scope than was granted, or reconnect asking for the scope needed.".to_owned(),
        "unauthorized_client" | "unsupported_grant_type" => {
            "Allow the refresh_token grant for this client at the authorization server, or reconnect when tokens expire.".to_owned()
        }
        _ => format!("See what {code} means at the provider (RFC 6749 §5.2); reconnecting gets new tokens."),
    }
}

/// The refresh grant answered a server error `times` times in a row, the last one `what`:
/// observed, not one outage but a grant that does not work (1mcp-app/agent#404), so every
/// connection dies with its first access token. Inferred from the repetition, which the
/// message says.
pub fn grant_broken(what: &str, times: u32) -> Diagnosis {
    diagnosis::new(
        diagnosis::REFRESH_GRANT_BROKEN,
        format!(
            "The token endpoint answered the refresh_token grant with a server error {times} times in a row (the last: {what}): observed, refreshing does not work there; inferred from the repetition, not a passing outage. Every connection stops working when its first access token expires."
        ),
        "Fix the token endpoint's refresh_token grant (its logs show the error behind the 5xx), or stop advertising the grant in grant_types_supported; until then, reconnect (Connect) when a token expires.",
    )
}

fn server_error(what: &str) -> Diagnosis {
    diagnosis::new(
        diagnosis::REFRESH_SERVER_ERROR,
        format!(
            "The token endpoint answered the refresh with {what}: it failed on its side, and the refresh token itself was not refused. Once may be an outage; a second time in a row is a refresh grant that does not work (refresh-grant-broken)."
        ),
        "Run Test Connection again. If it keeps failing, the provider must fix its token endpoint's refresh_token grant (its logs show the error behind the 500).",
    )
}

fn transient(what: &str) -> Diagnosis {
    diagnosis::new(
        diagnosis::TRANSIENT_REFRESH_FAILURE,
        format!(
            "Intermittent Unhealthy: the token refresh failed transiently ({what}); the refresh token itself was not refused."
        ),
        "Run Test Connection again: the next refresh usually succeeds. If it keeps failing, the provider's token endpoint is unstable.",
    )
}

fn misconfigured(what: &str) -> Diagnosis {
    diagnosis::new(
        diagnosis::TOKEN_ENDPOINT_MISCONFIGURED,
        format!(
            "The token endpoint did not answer as an OAuth token endpoint ({what}): the token_endpoint in the metadata is probably wrong."
        ),
        "Point token_endpoint in the authorization server metadata at the real token endpoint, which answers JSON (RFC 6749 §5.1, §5.2).",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, error: Option<&str>, json: bool) -> ErrorAnswer {
        ErrorAnswer {
            status,
            error: error.map(str::to_owned),
            description: None,
            json,
        }
    }

    fn code(status: u16, error: Option<&str>, json: bool) -> String {
        from_answer(RefreshKind::BeforeCall, &answer(status, error, json)).code
    }

    #[test]
    fn refusals_are_classified_by_what_was_answered() {
        assert_eq!(code(400, Some("invalid_grant"), true), "refresh-revoked");
        assert_eq!(
            code(401, Some("invalid_client"), true),
            "client-registration-gone"
        );
        assert_eq!(
            code(400, Some("invalid_client"), true),
            "client-registration-gone"
        );
        let scope = from_answer(
            RefreshKind::BeforeCall,
            &answer(400, Some("invalid_scope"), true),
        );
        assert_eq!(scope.code, "refresh-refused");
        assert!(scope.message.contains("invalid_scope"), "{}", scope.message);
        assert_eq!(code(400, None, true), "refresh-refused");
        assert_eq!(
            code(400, Some("invalid_request"), true),
            "refresh-invalid-request"
        );
        assert_eq!(
            code(200, Some("invalid_grant"), true),
            "refresh-revoked",
            "an error with status 200 is an error"
        );
        assert_eq!(
            code(503, Some("temporarily_unavailable"), true),
            "transient-refresh-failure"
        );
        assert_eq!(code(500, None, false), "transient-refresh-failure");
        assert_eq!(
            code(500, Some("server_error"), true),
            "refresh-server-error"
        );
        assert_eq!(code(429, None, false), "transient-refresh-failure");
        assert_eq!(code(404, None, false), "token-endpoint-misconfigured");
        assert_eq!(
            code(404, Some("invalid_grant"), true),
            "token-endpoint-misconfigured"
        );
        assert_eq!(code(400, None, false), "token-endpoint-misconfigured");
        assert_eq!(code(200, None, false), "token-endpoint-misconfigured");
    }

    #[test]
    fn no_answer_is_transient_unless_the_endpoint_cannot_be_used() {
        let timeout = HttpError::Timeout {
            url: "https://as.example/token".into(),
            seconds: 30,
        };
        assert_eq!(from_error(&timeout).code, "transient-refresh-failure");
        let scheme = HttpError::Scheme {
            url: "ftp://as.example/token".into(),
        };
        assert_eq!(from_error(&scheme).code, "token-endpoint-misconfigured");
    }
}
