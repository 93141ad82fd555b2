//! A registered client the authorization server no longer knows (a restart that lost its
//! registrations, supabase/mcp#355): recognized in whichever form the server answers it
//! (401 `invalid_client`, 422 `{"message":"Unrecognized client_id"}`, an `invalid_grant`
//! naming the client as better-auth#11035 does), and answered by registering again once and
//! authorizing again. Never more than once per flow, so a server that forgets every
//! registration cannot loop the client.

use serde_json::json;

use super::authorization;
use super::discovery::DiscoveredServer;
use super::probe::Probe;
use super::registration::{self, RegisteredClient};
use super::token::{self, TokenSet};
use super::{ClientOptions, FlowContext, Pauses, StepResult};
use crate::checks;
use crate::diagnosis::{self, Diagnosis};
use crate::user_agent::UserAgent;

/// What the authorization, code exchange and (when the client was forgotten) the one
/// re-registration left: the client in use, the scope asked for, the tokens.
pub(super) struct Authorized {
    pub client: RegisteredClient,
    pub requested_scope: Option<String>,
    pub tokens: TokenSet,
}

/// Authorization and code exchange with `client`; when the server answers that it does not
/// know a client it registered, one new registration and one more try.
pub(super) async fn authorize_and_exchange(
    ctx: &mut FlowContext,
    options: &ClientOptions,
    server: &DiscoveredServer,
    mut client: RegisteredClient,
    probe: &Probe,
    agent: &UserAgent,
    pauses: &Pauses,
) -> StepResult<Authorized> {
    let mut reregistered = false;
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
    let form = match error {
        "invalid_client" => None,
        "invalid_grant" if names_unknown_client(description) => Some("400 invalid_grant"),
        _ if status == 422 && names_unknown_client(description) => {
            Some("422 without an OAuth error")
        }
        _ => return None,
    };
    if let Some(form) = form {
        ctx.recorder.fail(
            &checks::UNKNOWN_CLIENT_ERROR,
            json!({ "expected": "401 invalid_client", "actualStatus": status, "error": error, "errorDescription": description }),
            format!(
                "the token endpoint answered the unknown client with {form} ({description}); this client reads it as an unknown client, but clients that re-register only on invalid_client (the MCP TypeScript SDK) stay stuck"
            ),
        );
    }
    Some(unknown(
        client,
        &format!("the token endpoint answered {status} {error}: {description}"),
    ))
}

/// The authorization endpoint's page (or 422 JSON) instead of a redirect, when it says the
/// dynamically registered client is unknown.
pub(super) fn at_authorization(client: &RegisteredClient, page: &str) -> Option<Diagnosis> {
    (client.source == "dynamic-registration" && names_unknown_client(page)).then(|| {
        unknown(
            client,
            "the authorization endpoint said the client is not registered",
        )
    })
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
