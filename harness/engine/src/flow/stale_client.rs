//! A registered client the authorization server no longer knows (a restart that lost its
//! registrations, supabase/mcp#355), once `unknown_client` has recognized it: answered by
//! registering again once and authorizing again. Never more than once per flow, so a server that forgets every
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
use super::{ClientOptions, Connection, FlowContext, Pauses, StepResult};
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

impl Authorized {
    /// The connection to `server` that this authorization makes.
    pub fn connection(self, server: super::discovery::DiscoveredServer) -> Connection {
        Connection {
            server,
            client: self.client,
            tokens: self.tokens,
            requested_scope: self.requested_scope,
            refresh_server_errors: 0,
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
