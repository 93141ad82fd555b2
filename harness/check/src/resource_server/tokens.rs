//! The tokens the probes hold, and the extra ones they ask for: a refresh request naming a
//! `resource` or a narrower `scope` (RFC 8707 §2.2, RFC 6749 §6), built with the flow's token
//! step functions so that it authenticates as the client registered.

use oauth2::{AccessToken, RefreshToken};

use mcp_oauth_engine::flow::discovery::DiscoveredServer;
use mcp_oauth_engine::flow::registration::RegisteredClient;
use mcp_oauth_engine::flow::token::TokenSet;
use mcp_oauth_engine::flow::token_request::{self, ErrorAnswer};
use mcp_oauth_engine::flow::{ClientFlow, FlowContext};

use super::STEP;

/// What the consent step left, as the probes use it.
#[derive(Debug)]
pub(super) struct Held {
    pub server: DiscoveredServer,
    pub client: RegisteredClient,
    pub access: AccessToken,
    pub expires_at: Option<std::time::SystemTime>,
    /// The scope the token carries (the token response's, else the one requested).
    pub scope: Option<String>,
    /// The newest refresh token: a rotating server replaces it on every refresh.
    pub refresh: Option<RefreshToken>,
    /// Whether a refresh here replaced the flow's refresh token.
    rotated: bool,
    /// What the probes did that changes state at the authorization server.
    pub effects: SideEffects,
}

/// What the probes did that may change what later steps see: refresh requests the server
/// refused (a server with single-use refresh tokens may have spent the token anyway), and
/// revocations. The tool's own doing, kept so that it is never blamed on the server.
#[derive(Debug, Clone, Default)]
pub struct SideEffects {
    /// Each refused refresh request: what it asked for and the answer.
    pub refused_refreshes: Vec<String>,
    /// Refresh requests that issued a new refresh token (the flow was handed the newest).
    pub rotations: usize,
    /// Access tokens revoked at the RFC 7009 endpoint (servers may revoke the whole grant).
    pub revoked_access_tokens: usize,
}

impl SideEffects {
    /// Why the flow's refresh token may be dead now, when a probe may have spent it.
    pub fn may_have_spent_refresh_token(&self) -> Option<String> {
        (!self.refused_refreshes.is_empty()).then(|| self.refused_refreshes.join("; "))
    }

    pub fn is_empty(&self) -> bool {
        self.refused_refreshes.is_empty() && self.rotations == 0 && self.revoked_access_tokens == 0
    }
}

/// Why no extra token was obtained.
#[derive(Debug)]
pub(super) enum NotIssued {
    NoRefreshToken,
    Refused(ErrorAnswer),
    Failed(String),
}

impl NotIssued {
    pub fn reason(&self) -> String {
        match self {
            NotIssued::NoRefreshToken => {
                "the server issued no refresh token to request another token with".to_owned()
            }
            NotIssued::Refused(answer) => {
                format!("the token endpoint refused it: {}", answer.summary())
            }
            NotIssued::Failed(e) => format!("the token request failed: {e}"),
        }
    }
}

impl Held {
    pub fn from_flow(flow: &ClientFlow) -> Option<Self> {
        let connection = flow.connection()?;
        Some(Self {
            server: connection.server.clone(),
            client: connection.client.clone(),
            access: connection.tokens.access_token.clone(),
            expires_at: connection.tokens.expires_at,
            scope: connection
                .tokens
                .scope
                .clone()
                .or_else(|| connection.requested_scope.clone()),
            refresh: connection.tokens.refresh_token.clone(),
            rotated: false,
            effects: SideEffects::default(),
        })
    }

    /// A new access token from the refresh token, for `resource` and/or `scope` when given.
    pub async fn request(
        &mut self,
        ctx: &mut FlowContext,
        resource: Option<&str>,
        scope: Option<&str>,
    ) -> Result<TokenSet, NotIssued> {
        let Some(refresh) = self.refresh.clone() else {
            return Err(NotIssued::NoRefreshToken);
        };
        let mut params = vec![
            ("grant_type".to_owned(), "refresh_token".to_owned()),
            ("refresh_token".to_owned(), refresh.secret().clone()),
        ];
        if let Some(resource) = resource {
            params.push(("resource".to_owned(), resource.to_owned()));
        }
        if let Some(scope) = scope {
            params.push(("scope".to_owned(), scope.to_owned()));
        }
        let response = token_request::post(
            ctx,
            STEP,
            &self.server.endpoints.token,
            &self.client,
            params,
        )
        .await
        .map_err(|e| NotIssued::Failed(e.to_string()))?;
        let tokens = match token_request::read_tokens(ctx, &response) {
            Ok(tokens) => tokens,
            Err(answer) => {
                let asked = match (resource, scope) {
                    (Some(resource), _) => format!("for resource {resource}"),
                    (None, Some(scope)) => format!("for scope {scope:?}"),
                    (None, None) => "as it was".to_owned(),
                };
                self.effects.refused_refreshes.push(format!(
                    "a refresh {asked} was answered {}",
                    answer.summary()
                ));
                return Err(NotIssued::Refused(answer));
            }
        };
        if let Some(new) = &tokens.refresh_token
            && new.secret() != refresh.secret()
        {
            self.refresh = Some(new.clone());
            self.rotated = true;
            self.effects.rotations += 1;
        }
        Ok(tokens)
    }

    /// Gives a rotated refresh token back to the flow, so what follows refreshes with a live
    /// one; the flow keeps its own access token.
    pub fn hand_back(self, flow: &mut ClientFlow) -> SideEffects {
        if !self.rotated {
            return self.effects;
        }
        if let Some(tokens) = flow.tokens() {
            let tokens = TokenSet {
                refresh_token: self.refresh,
                ..tokens.clone()
            };
            flow.restore_tokens(tokens);
        }
        self.effects
    }
}
