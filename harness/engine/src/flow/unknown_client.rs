//! Whether an authorization server is saying it no longer knows a dynamically registered
//! client, in whichever form it says it: 401 `invalid_client` (RFC 6749 §5.2), a 422
//! `{"message":"Unrecognized client_id"}`, an `invalid_grant` naming the client
//! (better-auth#11035), or the authorization endpoint's page. Recognition only: what the flow
//! does about it (register again once, authorize again) is `stale_client`.

use serde_json::json;

use super::Connection;
use super::FlowContext;
use super::registration::RegisteredClient;
use super::token_request::ErrorAnswer;
use crate::checks;
use crate::diagnosis::{self, Diagnosis};
use crate::profile::Profile;

/// Whether a message says the client is unknown (and not, say, that a code belongs to another
/// client).
fn names_unknown_client(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("client")
        && !lower.contains("another client")
        && [
            "unknown",
            "not found",
            "unrecognized",
            "unrecognised",
            "not registered",
            "does not exist",
        ]
        .iter()
        .any(|w| lower.contains(w))
}

/// How a token endpoint's refusal says the client is unknown: `Some(None)` for RFC 6749's
/// `invalid_client`, `Some(Some(form))` for another form, `None` when it does not say so.
fn unknown_client_form(
    status: u16,
    error: &str,
    description: &str,
) -> Option<Option<&'static str>> {
    match error {
        "invalid_client" => Some(None),
        "invalid_grant" if names_unknown_client(description) => Some(Some("400 invalid_grant")),
        _ if status == 422 && names_unknown_client(description) => {
            Some(Some("422 without an OAuth error"))
        }
        _ => None,
    }
}

/// Records `unknown-client-error` for an unknown client answered in another form than
/// `invalid_client`.
fn record_form(ctx: &mut FlowContext, form: &str, status: u16, error: &str, description: &str) {
    ctx.recorder.fail(
        &checks::UNKNOWN_CLIENT_ERROR,
        json!({ "expected": "401 invalid_client", "actualStatus": status, "error": error, "errorDescription": description }),
        format!(
            "the token endpoint answered the unknown client with {form} ({description}); this client reads it as an unknown client, but clients that re-register only on invalid_client (the MCP TypeScript SDK) stay stuck"
        ),
    );
}

/// A refused code exchange of a dynamically registered client that says the client is
/// unknown; the answer's form is recorded when it is not RFC 6749's `invalid_client`.
pub(super) fn at_token(
    ctx: &mut FlowContext,
    client: &RegisteredClient,
    status: u16,
    error: &str,
    description: &str,
) -> Option<Diagnosis> {
    if client.source != "dynamic-registration" {
        return None;
    }
    if let Some(form) = unknown_client_form(status, error, description)? {
        record_form(ctx, form, status, error, description);
        if !ctx.profile.tolerates(&checks::UNKNOWN_CLIENT_ERROR) {
            return None;
        }
    }
    Some(unknown(
        client,
        &format!("the token endpoint answered {status} {error}: {description}"),
    ))
}

/// A refused refresh of a dynamically registered client that says, in another form than
/// `invalid_client` (which stays `client-registration-gone`), that the client is unknown.
pub(super) fn at_refresh(
    ctx: &mut FlowContext,
    client: &RegisteredClient,
    answer: &ErrorAnswer,
) -> Option<Diagnosis> {
    if client.source != "dynamic-registration" {
        return None;
    }
    let error = answer.error.as_deref().unwrap_or("(no error code)");
    let description = answer.description.as_deref().unwrap_or("(no description)");
    let form = unknown_client_form(answer.status, error, description)??;
    record_form(ctx, form, answer.status, error, description);
    if !ctx.profile.tolerates(&checks::UNKNOWN_CLIENT_ERROR) {
        return None;
    }
    Some(unknown(
        client,
        &format!(
            "the refresh answered {}; the refresh token died with the client",
            answer.summary()
        ),
    ))
}

/// Whether a refused refresh says the server no longer knows the client, so that registering
/// again is the way back.
pub(super) fn forgotten_at_refresh(refused: &Diagnosis, connection: &Connection) -> bool {
    connection.client.source == "dynamic-registration"
        && (refused.code == diagnosis::CLIENT_UNKNOWN
            || refused.code == diagnosis::CLIENT_REGISTRATION_GONE)
        && connection.server.metadata.registration_endpoint.is_some()
}

/// The authorization endpoint's page (or 422 JSON) instead of a redirect, when it says the
/// dynamically registered client is unknown. A profile whose client recognises an unknown
/// client only by `invalid_client` reads the page as the error page it is, and registers no
/// new client.
pub(super) fn at_authorization(
    profile: &Profile,
    client: &RegisteredClient,
    page: &str,
) -> Option<Diagnosis> {
    let recognised = profile.tolerates(&checks::UNKNOWN_CLIENT_ERROR);
    (recognised && client.source == "dynamic-registration" && names_unknown_client(page)).then(
        || {
            unknown(
                client,
                "the authorization endpoint said the client is not registered",
            )
        },
    )
}

fn unknown(client: &RegisteredClient, what: &str) -> Diagnosis {
    diagnosis::new(
        diagnosis::CLIENT_UNKNOWN,
        format!(
            "The authorization server no longer knows the Client ID {} it registered ({what}).",
            client.client_id
        ),
        "Keep dynamically registered clients across restarts, and answer an unknown client_id with 401 invalid_client (RFC 6749 §5.2); connecting again registers a new client.",
    )
}

#[cfg(test)]
mod tests {
    use super::names_unknown_client;

    #[test]
    fn an_unknown_client_is_told_from_a_code_of_another_client() {
        assert!(names_unknown_client("Unrecognized client_id"));
        assert!(names_unknown_client("client_id \"dcr-client-1\" not found"));
        assert!(names_unknown_client(
            "<p>client_id \"x\" is not registered with this authorization server.</p>"
        ));
        assert!(!names_unknown_client(
            "authorization code was issued to another client"
        ));
        assert!(!names_unknown_client("invalid code"));
    }
}
