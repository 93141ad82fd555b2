//! Follows a client's progress through the request log and fires the scenario's server-side
//! triggers at the points it names; says when the served run is complete.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError, Weak};
use std::time::Duration;

use mcp_oauth_mocks::request_log::Server;
use mcp_oauth_mocks::{MockServers, RecordedRequest};
use serde::Serialize;
use tokio::sync::watch;

use super::clock::JumpClock;
use crate::scenario::{ClientOutcome, ConformantClient, ProgressEvent, Trigger, TriggerAction};

/// How a served run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Completion {
    /// The client made a successful `tools/call` (or reached the scenario's own end point).
    Done,
    /// The time given ran out first.
    TimedOut,
}

/// A trigger that fired: what, and after which request of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FiredTrigger {
    pub after: &'static str,
    pub actions: Vec<&'static str>,
    /// Index in the request log of the request that reached the trigger's point.
    pub request_index: usize,
}

#[derive(Debug)]
pub struct Progress {
    state: Mutex<State>,
    triggers: Vec<Trigger>,
    end: ProgressEvent,
    /// A client that was expected to stop short but made a successful call is done too.
    ends_on_any_tool_call: bool,
    done: watch::Sender<bool>,
    clock: JumpClock,
    /// The access-token lifetime the authorization servers use (for expire-access-tokens).
    access_token_lifetime: Duration,
}

#[derive(Debug, Default)]
struct State {
    seen: HashSet<ProgressEvent>,
    fired: Vec<bool>,
    fired_log: Vec<FiredTrigger>,
}

impl Progress {
    pub fn new(
        client: Option<&ConformantClient>,
        profile: &str,
        clock: JumpClock,
        access_token_lifetime: Duration,
    ) -> Self {
        let triggers: Vec<Trigger> = client
            .map(|c| c.triggers.iter().map(|t| t.get_ref().clone()).collect())
            .unwrap_or_default();
        let end = client
            .and_then(|c| c.end_after)
            .unwrap_or(if triggers.is_empty() {
                ProgressEvent::FirstSuccessfulToolCall
            } else {
                ProgressEvent::ToolCallAfterTriggers
            });
        let ends_on_any_tool_call =
            client.is_some_and(|c| c.outcome_for(profile) != ClientOutcome::Connects);
        let (done, _) = watch::channel(false);
        Self {
            state: Mutex::new(State {
                fired: vec![false; triggers.len()],
                ..State::default()
            }),
            triggers,
            end,
            ends_on_any_tool_call,
            done,
            clock,
            access_token_lifetime,
        }
    }

    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.done.subscribe()
    }

    pub fn fired(&self) -> Vec<FiredTrigger> {
        self.lock().fired_log.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Called by the request log with each request, before its response leaves.
    pub fn observe(&self, index: usize, request: &RecordedRequest, mocks: &Weak<MockServers>) {
        let mut state = self.lock();
        let all_fired_before = state.fired.iter().all(|f| *f);
        let mut events = Vec::new();
        if is_successful_tool_call(request) {
            events.push(ProgressEvent::FirstSuccessfulToolCall);
            if all_fired_before {
                events.push(ProgressEvent::ToolCallAfterTriggers);
            }
            if self.ends_on_any_tool_call {
                self.done.send_replace(true);
            }
        }
        match (request.grant_type.as_deref(), request.status) {
            (Some("authorization_code"), 200) => events.push(ProgressEvent::TokenIssued),
            (Some("refresh_token"), _) => events.push(ProgressEvent::RefreshAttempted),
            _ => {}
        }
        for event in events {
            if !state.seen.insert(event) && event != ProgressEvent::ToolCallAfterTriggers {
                continue;
            }
            if event == self.end {
                self.done.send_replace(true);
            }
            for (i, trigger) in self.triggers.iter().enumerate() {
                if trigger.after != event || state.fired[i] {
                    continue;
                }
                state.fired[i] = true;
                if let Some(mocks) = mocks.upgrade() {
                    self.perform(trigger, &mocks);
                }
                state.fired_log.push(FiredTrigger {
                    after: event.as_str(),
                    actions: trigger.then.iter().map(|a| a.as_str()).collect(),
                    request_index: index,
                });
            }
        }
    }

    fn perform(&self, trigger: &Trigger, mocks: &MockServers) {
        for action in &trigger.then {
            match action {
                TriggerAction::AdvanceClock => self
                    .clock
                    .advance(Duration::from_secs(trigger.seconds.unwrap_or(0))),
                TriggerAction::ExpireAccessTokens => self
                    .clock
                    .advance(self.access_token_lifetime + Duration::from_secs(1)),
                TriggerAction::RevokeRefreshTokens => {
                    mocks.auth_server().revoke_all_refresh_tokens();
                    if let Some(alternate) = mocks.alternate_auth_server() {
                        alternate.revoke_all_refresh_tokens();
                    }
                }
                TriggerAction::SwitchAuthorizationServer => {
                    mocks.switch_authorization_server();
                }
                TriggerAction::FailNextRefreshes => mocks
                    .active_auth_server()
                    .fail_next_refreshes(trigger.count.unwrap_or(1)),
            }
        }
    }
}

/// A `tools/call` the MCP server let through and answered 200.
pub fn is_successful_tool_call(request: &RecordedRequest) -> bool {
    request.server == Server::ResourceServer
        && request.method == "POST"
        && request.status == 200
        && request.jsonrpc_method() == Some("tools/call")
}
