//! The client as it behaves on its own, as `connect` runs it for the MCP conformance suite: it
//! uses the server and authorizes when, and as far as, the server asks.
//!
//! ```text
//! probe (initialize, no token)  ── 401 ──→ OAuth
//! tools/list, tools/call        ── 401 ──→ OAuth again: new discovery, the client kept only
//!                                          at the same authorization server
//!                               ── 403 insufficient_scope ──→ OAuth for the stepped-up scope
//! ```
//!
//! One request sends the client back to the authorization server at most the profile's
//! `max_reauthorizations` times for refused tokens and `max_step_ups` times for more scope (the
//! first authorization does not count), and a step-up for a scope it already asked for stops
//! at once, so a server that never accepts cannot loop it.

use mcp_oauth_reports::Health;
use serde_json::{Value, json};

use super::mcp::{self, AuthChallenge, McpFailure};
use super::probe::{self, Probe};
use super::{ClientFlow, Pauses, StepResult, oauth, scope, stale_client, token, unknown_client};
use crate::checks::{self, CheckDef};
use crate::diagnosis::{self, Diagnosis};
use crate::user_agent::UserAgent;

/// How many 401s one MCP request (which may span `initialize` and the method itself, each an
/// HTTP request) answers with a refresh before authorizing again: the SDKs retry each HTTP
/// request once after refreshing, so a token expired between the two still gets its refresh,
/// and a server that refuses every refreshed token does not make the client loop.
const REFRESHES_PER_REQUEST: u8 = 2;

impl ClientFlow {
    /// Connects and uses the server the way an MCP client does by itself: authorize when the
    /// tokenless probe is refused (or at the first request that is), then list the tools and
    /// call the first, answering 401 and 403 challenges on the way. Healthy when all worked.
    /// Already connected, it skips the probe and uses the token it has.
    pub async fn connect_on_demand(
        &mut self,
        agent: &UserAgent,
        pauses: &Pauses,
    ) -> StepResult<()> {
        match self.use_on_demand(agent, pauses).await {
            Ok(()) => {
                self.health = Health::Healthy;
                Ok(())
            }
            Err(diagnosis) => Err(self.failed(diagnosis)),
        }
    }

    async fn use_on_demand(&mut self, agent: &UserAgent, pauses: &Pauses) -> StepResult<()> {
        // A client that holds a token uses it: only the server's refusal of it (a moved
        // authorization server, a revoked grant) sends the client back to authorize.
        if self.connection.is_none() {
            let probe = probe::probe_on_demand(&mut self.ctx, &self.options.mcp_url).await?;
            if probe.unauthorized {
                self.authorize_on_demand(&probe, None, agent, pauses)
                    .await?;
            }
        }
        let listed = self.request(mcp::Action::ListTools, agent, pauses).await?;
        if let Some(call) = mcp::tool_call::choose(&listed) {
            let call = mcp::Action::CallTool {
                name: call.name,
                arguments: call.arguments,
            };
            self.request(call, agent, pauses).await?;
        }
        Ok(())
    }

    /// One MCP request, authorizing as often as the server challenges it and the profile
    /// allows.
    async fn request(
        &mut self,
        action: mcp::Action,
        agent: &UserAgent,
        pauses: &Pauses,
    ) -> StepResult<Value> {
        let (mut reauthorizations, mut step_ups) = (0, 0);
        let mut refreshes = 0;
        loop {
            let (check, challenge) = match self.send(action.clone()).await {
                Ok(value) => return Ok(value),
                Err(McpFailure::Failed(refused)) => {
                    self.renew_forgotten_client(refused, agent, pauses).await?;
                    continue;
                }
                Err(McpFailure::Challenged { check, challenge }) => (check, challenge),
            };
            if challenge.status == 401
                && refreshes < REFRESHES_PER_REQUEST
                && self.ctx.profile.refresh_on_401
            {
                refreshes += 1;
                if self.refresh_after_refusal(agent, pauses).await? {
                    continue;
                }
            }
            if self.connection.is_some() {
                // A 403 asks for more scope (answer() steps up); a 401 refuses the token.
                let (spent, budget) = if challenge.status == 403 {
                    (&mut step_ups, self.ctx.profile.max_step_ups)
                } else {
                    (&mut reauthorizations, self.ctx.profile.max_reauthorizations)
                };
                if *spent >= budget {
                    let spent = *spent;
                    return Err(self.give_up(check, challenge, spent));
                }
                *spent += 1;
            }
            mcp::note_challenge(&mut self.ctx, check, &challenge);
            self.answer(&challenge, agent, pauses).await?;
        }
    }

    /// The request with the current token (refreshed first when due), or without one before
    /// the first authorization.
    async fn send(&mut self, action: mcp::Action) -> Result<Value, McpFailure> {
        let url = &self.options.mcp_url;
        match self.connection.as_mut() {
            Some(connection) => {
                match token::refresh_if_due(&mut self.ctx, connection).await {
                    Ok(()) => {}
                    // Expired with nothing to refresh it: a client that authorizes again
                    // presents what it holds, and the server's 401 sends it back to authorize.
                    // One that does not stops here, on its own clock, blaming no one else.
                    Err(expired)
                        if expired.code == diagnosis::TOKEN_EXPIRED
                            && self.ctx.profile.max_reauthorizations > 0 => {}
                    Err(refused) => return Err(McpFailure::Failed(refused)),
                }
                let token = &connection.tokens.access_token;
                mcp::send(&mut self.ctx, url, Some(token), action).await
            }
            None => mcp::send(&mut self.ctx, url, None, action).await,
        }
    }

    /// A 401 to the held token, under a profile that refreshes first: `Ok(true)` when a refresh
    /// (or, for a forgotten client, a new registration) replaced the token, so the request is
    /// sent again; `Ok(false)` when there is nothing to refresh or the profile's client
    /// authorizes again after this refusal; the refusal itself when the client stops on it.
    async fn refresh_after_refusal(
        &mut self,
        agent: &UserAgent,
        pauses: &Pauses,
    ) -> StepResult<bool> {
        let Some(connection) = self.connection.as_mut() else {
            return Ok(false);
        };
        if connection.tokens.refresh_token.is_none() {
            return Ok(false);
        }
        let Err(refused) = token::refresh_after_refusal(&mut self.ctx, connection).await else {
            return Ok(true);
        };
        let forgotten = unknown_client::forgotten_at_refresh(&refused, connection);
        if forgotten && self.ctx.profile.renew_forgotten_client && !self.renewed_client {
            self.renew_forgotten_client(refused, agent, pauses).await?;
            return Ok(true);
        }
        if self
            .ctx
            .profile
            .reauthorizes_after_refresh
            .contains(&refused.code.as_str())
        {
            return Ok(false);
        }
        Err(refused)
    }

    /// A refresh refused because the server forgot the client: under a profile that renews
    /// forgotten clients, once per flow, a new registration and a fresh consent; any other
    /// failure (or the second time) is returned as it is.
    async fn renew_forgotten_client(
        &mut self,
        refused: Diagnosis,
        agent: &UserAgent,
        pauses: &Pauses,
    ) -> StepResult<()> {
        let Some(connection) = self.connection.as_ref() else {
            return Err(refused);
        };
        if self.renewed_client
            || !self.ctx.profile.renew_forgotten_client
            || !unknown_client::forgotten_at_refresh(&refused, connection)
        {
            return Err(refused);
        }
        self.renewed_client = true;
        let renewed = stale_client::renew_after_refresh(
            &mut self.ctx,
            &self.options,
            connection,
            refused,
            agent,
            pauses,
        )
        .await?;
        self.connection = Some(renewed);
        Ok(())
    }

    /// Authorizes (again) as a challenge asks: a 403 with a token steps the scope up, anything
    /// else starts over from discovery with the scope the challenge suggests.
    async fn answer(
        &mut self,
        challenge: &AuthChallenge,
        agent: &UserAgent,
        pauses: &Pauses,
    ) -> StepResult<()> {
        let probe = Probe::from_challenge(self.ctx.profile.challenge_reading, &challenge.header);
        let previous_scope = match &self.connection {
            None => return self.authorize_on_demand(&probe, None, agent, pauses).await,
            Some(connection) => connection.requested_scope.clone(),
        };
        if challenge.status == 403 {
            let scope =
                scope::step_up_scope(&mut self.ctx, previous_scope.as_deref(), probe.scope())?;
            return self
                .authorize_on_demand(&probe, Some(scope), agent, pauses)
                .await;
        }
        self.ctx.recorder.pass(
            &checks::REAUTHORIZATION,
            json!({ "status": challenge.status, "challengedScope": probe.scope() }),
        );
        self.authorize_on_demand(&probe, None, agent, pauses).await
    }

    /// The OAuth flow from a challenge, replacing the connection it leaves behind.
    async fn authorize_on_demand(
        &mut self,
        probe: &Probe,
        scope: Option<String>,
        agent: &UserAgent,
        pauses: &Pauses,
    ) -> StepResult<()> {
        let mut options = self.options.clone();
        if scope.is_some() {
            options.scope = scope;
        }
        let previous = self.connection.as_ref();
        let connection = oauth(&mut self.ctx, &options, probe, previous, agent, pauses).await?;
        self.connection = Some(connection);
        Ok(())
    }

    /// The challenge that is one too many. A profile that never re-authorizes reports the
    /// refused token as such; otherwise the diagnosis says the server keeps refusing.
    fn give_up(
        &mut self,
        check: &'static CheckDef,
        challenge: AuthChallenge,
        reauthorizations: u8,
    ) -> Diagnosis {
        let status = challenge.status;
        // A 401 to a token its own expiry says is still good: the server refuses what the
        // authorization server it advertises issued, and no authorization will change that.
        let fresh = status == 401
            && self.connection.as_ref().is_some_and(|c| {
                c.tokens
                    .expires_at
                    .is_some_and(|at| at > self.ctx.clock.now())
            });
        let refused = McpFailure::Challenged { check, challenge }.into_diagnosis(&mut self.ctx);
        if reauthorizations == 0 {
            return refused;
        }
        let loop_check = if status == 403 {
            &checks::SCOPE_STEP_UP
        } else {
            &checks::REAUTHORIZATION
        };
        self.ctx.recorder.fail(
            loop_check,
            json!({ "reauthorizations": reauthorizations, "status": status }),
            format!(
                "the server still answers {status} after {reauthorizations} fresh authorizations"
            ),
        );
        if fresh {
            return diagnosis::new(
                diagnosis::FRESH_TOKEN_REFUSED,
                format!(
                    "The MCP server answered 401 to access tokens its own authorization server had just issued, still valid by their expires_in, after {reauthorizations} fresh authorizations; the client stopped rather than loop. Last answer: {}",
                    refused.message
                ),
                "The MCP server must accept the tokens of the authorization server its metadata names: check the issuer, signing keys and audience (`aud`) it validates against what that server issues.",
            );
        }
        diagnosis::new(
            diagnosis::AUTHORIZATION_LOOP,
            format!(
                "The MCP server kept refusing the request ({status}) after {reauthorizations} fresh authorizations; the client stopped rather than loop. Last answer: {}",
                refused.message
            ),
            "The MCP server must accept the tokens its advertised authorization server issues for this resource and scope (check the audience, issuer and scopes it expects).",
        )
    }
}
