//! Follows a client's progress through the request log and fires the scenario's server-side
//! triggers at the points it names; says when the served run is complete.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError, Weak};
use std::time::Duration;

use mcp_oauth_mocks::request_log::Server;
use mcp_oauth_mocks::{MockServers, RecordedRequest};
use serde::Serialize;
use tokio::sync::watch;

use super::clock::JumpClock;
use super::flows::FlowTracker;
use crate::judge::FiredTrigger;
use mcp_oauth_catalog::scenario::{
    ClientOutcome, ConformantClient, ProgressEvent, Trigger, TriggerAction,
};

/// How a served run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Completion {
    /// The client made a successful `tools/call` (or reached the scenario's own end point).
    Done,
    /// The time given ran out first.
    TimedOut,
}

#[derive(Debug)]
pub struct Progress {
    state: Mutex<State>,
    flows: FlowTracker,
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
    /// Each client flow's progress: its triggers fire on its own.
    flows: HashMap<usize, FlowProgress>,
    fired_log: Vec<FiredTrigger>,
    /// The flows that reached the end point, in the order they did.
    complete: Vec<usize>,
}

#[derive(Debug, Default)]
struct FlowProgress {
    seen: HashSet<ProgressEvent>,
    fired: Vec<bool>,
    /// The access tokens refreshes issued to this flow (for `refreshed-token-accepted`).
    refreshed_access_tokens: HashSet<String>,
}

impl Progress {
    pub fn new(
        client: Option<&ConformantClient>,
        profile: &str,
        clock: JumpClock,
        access_token_lifetime: Duration,
        flows: FlowTracker,
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
            state: Mutex::new(State::default()),
            flows,
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

    /// The flows that reached the end point, in the order they did.
    pub fn complete(&self) -> Vec<usize> {
        self.lock().complete.clone()
    }

    pub fn flows(&self) -> &FlowTracker {
        &self.flows
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Called by the request log with each request, before its response leaves.
    pub fn observe(&self, index: usize, request: &RecordedRequest, mocks: &Weak<MockServers>) {
        let Some(mocks) = mocks.upgrade() else {
            return;
        };
        let observed = self.flows.observe(index, request, mocks.log());
        let mut state = self.lock();
        for dropped in observed.dropped {
            state.flows.remove(&dropped);
        }
        // Every event is a request that names its client (a token request, a call with a
        // token): one that names none moves no flow on.
        let Some(flow) = observed.flow else {
            return;
        };
        let triggers = self.triggers.len();
        let progress = state.flows.entry(flow).or_insert_with(|| FlowProgress {
            fired: vec![false; triggers],
            ..FlowProgress::default()
        });
        let all_fired_before = progress.fired.iter().all(|f| *f);
        let mut events = Vec::new();
        let mut done = false;
        if request.is_successful_tool_call() {
            events.push(ProgressEvent::FirstSuccessfulToolCall);
            if all_fired_before {
                events.push(ProgressEvent::ToolCallAfterTriggers);
            }
            done |= self.ends_on_any_tool_call;
        }
        match (request.grant_type.as_deref(), request.status) {
            (Some("authorization_code"), 200) => events.push(ProgressEvent::TokenIssued),
            (Some("refresh_token"), status) => {
                events.push(ProgressEvent::RefreshAttempted);
                if let (200, Some(token)) = (status, issued_access_token(request)) {
                    progress.refreshed_access_tokens.insert(token.to_owned());
                }
            }
            _ => {}
        }
        if accepted_with_one_of(request, &progress.refreshed_access_tokens) {
            events.push(ProgressEvent::RefreshedTokenAccepted);
        }
        let mut fired = Vec::new();
        for event in events {
            if !progress.seen.insert(event) && event != ProgressEvent::ToolCallAfterTriggers {
                continue;
            }
            done |= event == self.end;
            for (i, trigger) in self.triggers.iter().enumerate() {
                if trigger.after != event || progress.fired[i] {
                    continue;
                }
                progress.fired[i] = true;
                let performed = self.perform(trigger, flow, &mocks);
                fired.push(FiredTrigger {
                    after: event.as_str(),
                    actions: trigger
                        .then
                        .iter()
                        .map(|a| a.as_str())
                        .filter(|a| !performed.refused.iter().any(|(r, _)| r == a))
                        .collect(),
                    request_index: index,
                    flow,
                    shared: performed.shared,
                    refused: performed
                        .refused
                        .into_iter()
                        .map(|(action, why)| format!("{action}: {why}"))
                        .collect(),
                });
            }
        }
        state.fired_log.extend(fired);
        if done && !state.complete.contains(&flow) {
            state.complete.push(flow);
            self.done.send_replace(true);
        }
    }

    /// Performs a trigger's actions for `flow`: which acted on every client, which were refused.
    fn perform(&self, trigger: &Trigger, flow: usize, mocks: &MockServers) -> Performed {
        let mut performed = Performed::default();
        for action in &trigger.then {
            let jump = match action {
                TriggerAction::AdvanceClock => {
                    Some(Duration::from_secs(trigger.seconds.unwrap_or(0)))
                }
                TriggerAction::ExpireAccessTokens => Some(
                    self.access_token_lifetime
                        .saturating_add(Duration::from_secs(1)),
                ),
                _ => None,
            };
            if let Some(by) = jump
                && let Err(overflow) = self.clock.advance(by)
            {
                performed
                    .refused
                    .push((action.as_str(), overflow.to_string()));
                continue;
            }
            match action {
                TriggerAction::AdvanceClock | TriggerAction::ExpireAccessTokens => {}
                TriggerAction::RevokeRefreshTokens => {
                    if !revoke_refresh_tokens(mocks, &self.flows.refresh_tokens(flow)) {
                        mocks.auth_server().revoke_all_refresh_tokens();
                        if let Some(alternate) = mocks.alternate_auth_server() {
                            alternate.revoke_all_refresh_tokens();
                        }
                        performed.shared.push(action.as_str());
                    }
                }
                TriggerAction::SwitchAuthorizationServer => {
                    mocks.switch_authorization_server();
                }
                TriggerAction::FailNextRefreshes => mocks
                    .active_auth_server()
                    .fail_next_refreshes(trigger.count.unwrap_or(1)),
            }
            if matches!(
                action,
                TriggerAction::AdvanceClock
                    | TriggerAction::ExpireAccessTokens
                    | TriggerAction::SwitchAuthorizationServer
                    | TriggerAction::FailNextRefreshes
            ) {
                performed.shared.push(action.as_str());
            }
        }
        performed
    }
}

/// What a trigger's actions did.
#[derive(Debug, Default)]
struct Performed {
    /// Those that acted on every client.
    shared: Vec<&'static str>,
    /// Those refused, each with why.
    refused: Vec<(&'static str, String)>,
}

/// Revokes one client's refresh tokens (each with its whole family) through its authorization
/// server's own RFC 7009 endpoint, called in-process and unrecorded, so the other clients'
/// grants stay. False when an endpoint did not answer at once (the caller then revokes every
/// client's).
fn revoke_refresh_tokens(mocks: &MockServers, tokens: &[(Server, String)]) -> bool {
    use futures::FutureExt as _;
    use tower::ServiceExt as _;
    let servers = std::iter::once(mocks.auth_server()).chain(mocks.alternate_auth_server());
    for server in servers {
        let path = format!("{}/revoke", server.config().issuer_path);
        for (_, token) in tokens.iter().filter(|(s, _)| *s == server.role()) {
            let body = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("token", token)
                .finish();
            let Ok(request) = axum::http::Request::post(&path)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(body))
            else {
                return false;
            };
            let router = server.router(mcp_oauth_mocks::request_log::RequestLog::default());
            match router.oneshot(request).now_or_never() {
                Some(Ok(response)) if response.status().is_success() => {}
                _ => return false,
            }
        }
    }
    true
}

/// The access token a token response issued.
fn issued_access_token(request: &RecordedRequest) -> Option<&str> {
    request
        .response_json
        .as_ref()?
        .get("access_token")?
        .as_str()
}

/// An MCP request (not a metadata fetch) the MCP server accepted with one of `tokens`.
fn accepted_with_one_of(request: &RecordedRequest, tokens: &HashSet<String>) -> bool {
    request.server == Server::ResourceServer
        && !request.path.starts_with("/.well-known/")
        && (200..300).contains(&request.status)
        && request
            .authorization
            .as_ref()
            .is_some_and(|credential| tokens.contains(&credential.value))
}
