//! The tokens the probes hold, and the extra ones they ask for: a refresh request naming a
//! `resource` or a narrower `scope` (RFC 8707 §2.2, RFC 6749 §6), built with the flow's token
//! step functions so that it authenticates as the client registered.

use oauth2::{AccessToken, RefreshToken};

use crate::flow::discovery::DiscoveredServer;
use crate::flow::registration::RegisteredClient;
use crate::flow::token::TokenSet;
use crate::flow::token_request::{self, ErrorAnswer};
use crate::flow::{ClientFlow, FlowContext};

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
        let tokens = token_request::read_tokens(ctx, &response).map_err(NotIssued::Refused)?;
        if let Some(new) = &tokens.refresh_token
            && new.secret() != refresh.secret()
        {
            self.refresh = Some(new.clone());
            self.rotated = true;
        }
        Ok(tokens)
    }

    /// Gives a rotated refresh token back to the flow, so what follows refreshes with a live
    /// one; the flow keeps its own access token.
    pub fn hand_back(self, flow: &mut ClientFlow) {
        if !self.rotated {
            return;
        }
        if let Some(tokens) = flow.tokens() {
            let tokens = TokenSet {
                refresh_token: self.refresh,
                ..tokens.clone()
            };
            flow.restore_tokens(tokens);
        }
    }
}
