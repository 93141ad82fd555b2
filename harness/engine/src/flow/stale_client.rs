//! A registered client the authorization server no longer knows (a restart that lost its
//! registrations, supabase/mcp#355): recognized in whichever form the server answers it
//! (401 `invalid_client`, 422 `{"message":"Unrecognized client_id"}`, an `invalid_grant`
//! naming the client as better-auth#11035 does), and answered by registering again once and
//! authorizing again. Never more than once per flow, so a server that forgets every
//! registration cannot loop the client.
//!
//! At refresh time (the server forgot the client after issuing its tokens), the refresh token
//! died with the client: a profile that renews forgotten clients
//! (`Profile::renew_forgotten_client`, the spec clients in their own loop) registers again once
//! and asks for a fresh consent; Pipelines reports it and the person reconnects.

use serde_json::json;

use super::authorization;
use super::discovery::DiscoveredServer;
use super::probe::Probe;
use super::registration::{self, RegisteredClient};
use super::token::{self, TokenSet};
use super::token_request::ErrorAnswer;
use super::{ClientOptions, Connection, FlowContext, Pauses, StepResult};
use crate::checks;
use crate::diagnosis::{self, Diagnosis};
use crate::profile::Profile;
use crate::user_agent::UserAgent;

/// What the authorization, code exchange and (when the client was forgotten) the one
/// re-registration left: the client in use, the scope asked for, the tokens.
pub(super) struct Authorized {
    pub client: RegisteredClient,
    pub requested_scope: Option<String>,
    pub tokens: TokenSet,
}

impl Authorized {
    /// The connection to `server` that this authorization makes.
    pub fn connection(self, server: super::discovery::DiscoveredServer) -> Connection {
        Connection {
            server,
            client: self.client,
            tokens: self.tokens,
            requested_scope: self.requested_scope,
        }
    }
}

/// What the consent step starts from: the challenge, who plays the person, the pauses.
#[derive(Clone, Copy)]
pub(super) struct Consent<'a> {
    pub probe: &'a Probe,
    pub agent: &'a UserAgent,
    pub pauses: &'a Pauses,
}

/// Authorization and code exchange with `client`; when the server answers that it does not
/// know a client it registered, one new registration and one more try (unless
/// `registered_again` says the client was just registered again for this very reason).
pub(super) async fn authorize_and_exchange(
    ctx: &mut FlowContext,
    options: &ClientOptions,
    server: &DiscoveredServer,
    client: RegisteredClient,
    consent: Consent<'_>,
    registered_again: bool,
) -> StepResult<Authorized> {
    let Consent {
        probe,
        agent,
        pauses,
    } = consent;
    let mut client = client;
    let mut reregistered = registered_again;
    loop {
        match attempt(ctx, options, server, &client, probe, agent, pauses).await {
            Err(refused) if refused.code == diagnosis::CLIENT_UNKNOWN && !reregistered => {
                let Some(endpoint) = server.metadata.registration_endpoint.clone() else {
                    return Err(refused);
                };
                reregistered = true;
                ctx.recorder.fail(
                    &checks::DCR_REGISTRATION_KEPT,
                    json!({ "clientId": client.client_id, "registeredAgain": true }),
                    format!(
                        "{} This client registered again, once, and authorized again.",
                        refused.message
                    ),
                );
                client = registration::register(ctx, options, &endpoint).await?;
            }
            Err(refused) => return Err(refused),
            Ok((requested_scope, tokens)) => {
                return Ok(Authorized {
                    client,
                    requested_scope,
                    tokens,
                });
            }
        }
    }
}

async fn attempt(
    ctx: &mut FlowContext,
    options: &ClientOptions,
    server: &DiscoveredServer,
    client: &RegisteredClient,
    probe: &Probe,
    agent: &UserAgent,
    pauses: &Pauses,
) -> StepResult<(Option<String>, TokenSet)> {
    let grant =
        authorization::authorize(ctx, options, server, client, probe, agent, pauses).await?;
    let requested_scope = grant.scope.clone();
    pauses.pass(pauses.before_token_request);
    let tokens = token::exchange_code(ctx, options, server, client, grant).await?;
    Ok((requested_scope, tokens))
}

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

/// After a refresh refused because the server forgot the client: one new registration and a
/// fresh authorization (the old grant is gone), for the scope asked before. A further refusal
/// of the new client is a diagnosis, never another registration.
pub(super) async fn renew_after_refresh(
    ctx: &mut FlowContext,
    options: &ClientOptions,
    connection: &Connection,
    refused: Diagnosis,
    agent: &UserAgent,
    pauses: &Pauses,
) -> StepResult<Connection> {
    let Some(endpoint) = connection.server.metadata.registration_endpoint.clone() else {
        return Err(refused);
    };
    ctx.recorder.fail(
        &checks::DCR_REGISTRATION_KEPT,
        json!({ "clientId": connection.client.client_id, "registeredAgain": true, "at": "refresh" }),
        format!(
            "{} This client registered again, once, and asked for a fresh consent.",
            refused.message
        ),
    );
    let client = registration::register(ctx, options, &endpoint).await?;
    let mut options = options.clone();
    if connection.requested_scope.is_some() {
        options.scope = connection.requested_scope.clone();
    }
    // No challenge to start from: the server is known, and the scope is the one asked before.
    let probe = Probe {
        challenge: None,
        unauthorized: true,
    };
    let server = connection.server.clone();
    let authorized = authorize_and_exchange(
        ctx,
        &options,
        &server,
        client,
        Consent {
            probe: &probe,
            agent,
            pauses,
        },
        true,
    )
    .await?;
    Ok(authorized.connection(server))
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
