//! Telling clients apart in a served run's request log, so that each client is judged alone
//! and a trigger one client's progress fires acts on that client.
//!
//! A **flow** is the requests of one client identity, from its first request through its token
//! use. A request names its client when it carries
//!
//! - a Client ID: the registration's answer, `client_id` in the query or form, the user of HTTP
//!   Basic client authentication, a client ID metadata document the server fetched;
//! - something issued to a client: an access or refresh token (as a bearer credential, a
//!   refresh grant, a revocation), an authorization code (redeemed, or in a redirect); a JWT
//!   access token the mocks did not see issued still names its `client_id` claim;
//! - a registration request identical (redirect URIs and client name) to an earlier one, sent
//!   to another authorization server or to one that has refused that client since: a client
//!   registering again, at a moved or restarted authorization server, is the same client.
//!   Sent while the earlier Client ID is still good there, it is another installation of the
//!   same client software, judged on its own.
//!
//! The first request naming a Client ID not seen before starts a flow. Requests that name no
//! client (the unauthenticated probe, metadata fetches, a consent page's form) are placed when
//! the run is judged, in this order:
//!
//! 1. the flow of the next request on the same connection (same server, same client address)
//!    that names its client; else the flow of the last such request before it: a client
//!    probes, fetches metadata and registers on the connections it then keeps using;
//! 2. else the next flow to start after it: a client asks without a Client ID before it has
//!    one, so the probe that precedes a registration is most likely the registering client's;
//! 3. else the last flow to have started before it.
//!
//! A log where no request names a client (a client that refused the metadata and stopped) is
//! one flow. Clients that share a pre-registered Client ID (bring-your-own scenarios) are one
//! flow: nothing they send tells them apart.
//!
//! The record is bounded: past [`FlowLimits::max_flows`] flows, or
//! [`FlowLimits::max_requests`] requests kept, the oldest flow is dropped with its requests
//! (and the unplaced requests before the next one), and the reports say how many were.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use mcp_oauth_mocks::request_log::{RequestLog, Server};
use mcp_oauth_mocks::{MockServers, RecordedRequest};
use serde_json::Value;

/// How much of a served run is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowLimits {
    /// Client flows kept at once; the oldest is dropped beyond this.
    pub max_flows: usize,
    /// Requests kept in the log at once; the oldest flow is dropped beyond this.
    pub max_requests: usize,
}

impl Default for FlowLimits {
    fn default() -> Self {
        Self {
            max_flows: 1000,
            max_requests: 200_000,
        }
    }
}

/// The flows of a run as requests arrive: which flow each request naming a client belongs to.
#[derive(Debug)]
pub struct FlowTracker {
    state: Mutex<State>,
    limits: FlowLimits,
    /// (server, path) of each authorization server's registration endpoint.
    registration_paths: Vec<(Server, String)>,
}

#[derive(Debug, Default)]
struct State {
    /// The id the next flow gets (flows are numbered in the order they start).
    next: usize,
    by_client: HashMap<String, usize>,
    /// Access tokens, refresh tokens and codes, to the flow they were issued to.
    by_token: HashMap<String, usize>,
    by_registration: HashMap<String, usize>,
    /// Log index of each request that named its client, to its flow.
    assigned: HashMap<usize, usize>,
    /// Each flow kept, with the log index of its first request and what it holds.
    flows: BTreeMap<usize, FlowState>,
    dropped_flows: usize,
}

#[derive(Debug, Default, Clone)]
struct FlowState {
    first_index: usize,
    client_ids: Vec<String>,
    /// Refresh tokens issued to the flow, with the authorization server that issued them.
    refresh_tokens: Vec<(Server, String)>,
    /// The connections its requests came on.
    connections: HashSet<(Server, SocketAddr)>,
    /// The authorization servers it registered at.
    registered_at: HashSet<Server>,
    /// The authorization servers that refused one of its requests (after which a client
    /// registers again: its Client ID may be forgotten).
    refused_by: HashSet<Server>,
}

impl FlowState {
    /// Whether a registration identical to this flow's, sent to `server`, is this client
    /// registering again: at another authorization server (it moved), or at one that refused
    /// it since. Otherwise, with its Client ID still good there, it is another installation
    /// of the same client software, a client of its own.
    fn registers_again_at(&self, server: Server) -> bool {
        !self.registered_at.contains(&server) || self.refused_by.contains(&server)
    }
}

/// One flow of the log, ready to judge.
#[derive(Debug, Clone)]
pub struct Flow {
    /// The tracker's id (`None`: no request of the log named a client).
    pub id: Option<usize>,
    pub client_ids: Vec<String>,
    /// Its requests, oldest first, with their log indices.
    pub requests: Vec<(usize, RecordedRequest)>,
}

/// What recording one request did to the flows.
#[derive(Debug, Default)]
pub struct Observed {
    /// The flow the request belongs to, when it named its client.
    pub flow: Option<usize>,
    /// Flows dropped to keep the record bounded.
    pub dropped: Vec<usize>,
}

impl FlowTracker {
    pub fn new(mocks: &MockServers, limits: FlowLimits) -> Self {
        let registration_paths = std::iter::once(mocks.auth_server())
            .chain(mocks.alternate_auth_server())
            .map(|server| {
                (
                    server.role(),
                    format!("{}/register", server.config().issuer_path),
                )
            })
            .collect();
        Self {
            state: Mutex::new(State::default()),
            limits,
            registration_paths,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Places a request as it is recorded (with its log index), and drops the oldest flows
    /// when the record is over its bounds.
    pub fn observe(&self, index: usize, request: &RecordedRequest, log: &RequestLog) -> Observed {
        let mut state = self.lock();
        let registration = self.registration_signature(request);
        let client_ids = client_ids(request);
        let known = tokens_presented(request)
            .iter()
            .find_map(|t| state.by_token.get(t.as_str()).copied())
            .or_else(|| {
                client_ids
                    .iter()
                    .find_map(|id| state.by_client.get(id).copied())
            })
            .filter(|flow| state.flows.contains_key(flow))
            .or_else(|| {
                registration
                    .as_ref()
                    .and_then(|r| state.by_registration.get(r).copied())
                    .filter(|flow| {
                        state
                            .flows
                            .get(flow)
                            .is_some_and(|f| f.registers_again_at(request.server))
                    })
            });
        let flow = match known {
            Some(flow) => flow,
            None if client_ids.is_empty() => return Observed::default(),
            None => {
                let flow = state.next;
                state.next += 1;
                state.flows.insert(
                    flow,
                    FlowState {
                        first_index: index,
                        ..FlowState::default()
                    },
                );
                flow
            }
        };
        state.assigned.insert(index, flow);
        if let Some(address) = request.connection
            && let Some(f) = state.flows.get_mut(&flow)
        {
            f.connections.insert((request.server, address));
        }
        for id in client_ids {
            state.by_client.entry(id.clone()).or_insert(flow);
            if let Some(f) = state.flows.get_mut(&flow)
                && !f.client_ids.contains(&id)
            {
                f.client_ids.push(id);
            }
        }
        if let Some(f) = state.flows.get_mut(&flow) {
            if registration.is_some() {
                f.registered_at.insert(request.server);
            } else if request.server != Server::ResourceServer && request.status >= 400 {
                f.refused_by.insert(request.server);
            }
        }
        if let Some(registration) = registration {
            // The newest flow with this registration is the one a re-registration continues.
            state.by_registration.insert(registration, flow);
        }
        for token in tokens_issued(request) {
            state.by_token.insert(token, flow);
        }
        if let Some(refresh) = request
            .response_json
            .as_ref()
            .and_then(|j| j.get("refresh_token"))
            .and_then(Value::as_str)
            && let Some(f) = state.flows.get_mut(&flow)
        {
            f.refresh_tokens.push((request.server, refresh.to_owned()));
        }
        let dropped = self.bound(&mut state, flow, log);
        Observed {
            flow: Some(flow),
            dropped,
        }
    }

    /// Drops the oldest flows (never `current`) while the record is over its bounds.
    fn bound(&self, state: &mut State, current: usize, log: &RequestLog) -> Vec<usize> {
        let mut dropped = Vec::new();
        loop {
            let too_many = state.flows.len() > self.limits.max_flows.max(1);
            let too_long = log.len() > self.limits.max_requests.max(1);
            if !too_many && !too_long {
                break;
            }
            let Some(oldest) = state.flows.keys().copied().find(|f| *f != current) else {
                break;
            };
            let Some(gone) = state.flows.remove(&oldest) else {
                break;
            };
            state.by_client.retain(|_, f| *f != oldest);
            state.by_token.retain(|_, f| *f != oldest);
            state.by_registration.retain(|_, f| *f != oldest);
            // With it go the requests naming no client that would be placed in it: those on
            // its connections, and those before it started (it was the oldest).
            let assigned = &state.assigned;
            log.retain(|i, r| match assigned.get(&i) {
                Some(f) => *f != oldest,
                None => {
                    i > gone.first_index
                        && !r
                            .connection
                            .is_some_and(|c| gone.connections.contains(&(r.server, c)))
                }
            });
            state.assigned.retain(|_, f| *f != oldest);
            state.dropped_flows += 1;
            dropped.push(oldest);
        }
        // Only the current flow is left, or requests that name no client fill the log: the
        // oldest of those go.
        let excess = log.len().saturating_sub(self.limits.max_requests.max(1));
        if excess > 0 {
            let mut left = excess;
            let assigned = &state.assigned;
            log.retain(|i, _| {
                if left > 0 && !assigned.contains_key(&i) {
                    left -= 1;
                    false
                } else {
                    true
                }
            });
        }
        dropped
    }

    /// The refresh tokens issued to a flow, with the server that issued each.
    pub fn refresh_tokens(&self, flow: usize) -> Vec<(Server, String)> {
        self.lock()
            .flows
            .get(&flow)
            .map(|f| f.refresh_tokens.clone())
            .unwrap_or_default()
    }

    pub fn dropped_flows(&self) -> usize {
        self.lock().dropped_flows
    }

    /// The log split into flows, each request placed by the rules of the module docs; flows
    /// in the order they started.
    pub fn split(&self, log: Vec<(usize, RecordedRequest)>) -> Vec<Flow> {
        let state = self.lock();
        if state.flows.is_empty() {
            return vec![Flow {
                id: None,
                client_ids: Vec::new(),
                requests: log,
            }];
        }
        let mut placed: Vec<Option<usize>> = log
            .iter()
            .map(|(i, r)| {
                state.assigned.get(i).copied().or_else(|| {
                    r.location_param("code")
                        .and_then(|code| state.by_token.get(&code).copied())
                })
            })
            .collect();
        // 1. The same connection: the next placed request on it, else the last one before.
        let mut by_connection: HashMap<(Server, SocketAddr), Vec<usize>> = HashMap::new();
        for (position, (_, r)) in log.iter().enumerate() {
            if let Some(address) = r.connection {
                by_connection
                    .entry((r.server, address))
                    .or_default()
                    .push(position);
            }
        }
        for positions in by_connection.values() {
            let known: Vec<(usize, usize)> = positions
                .iter()
                .filter_map(|p| placed[*p].map(|f| (*p, f)))
                .collect();
            if known.is_empty() {
                continue;
            }
            for p in positions {
                if placed[*p].is_none() {
                    let next = known.iter().find(|(q, _)| q > p);
                    let before = known.iter().rev().find(|(q, _)| q < p);
                    placed[*p] = next.or(before).map(|(_, f)| *f);
                }
            }
        }
        // 2. and 3. The next flow to start, else the last one started.
        let starts: Vec<(usize, usize)> = state
            .flows
            .iter()
            .map(|(f, s)| (s.first_index, *f))
            .collect();
        for (position, (index, _)) in log.iter().enumerate() {
            if placed[position].is_none() {
                placed[position] = starts
                    .iter()
                    .find(|(start, _)| start > index)
                    .or_else(|| starts.iter().rev().find(|(start, _)| start < index))
                    .map(|(_, f)| *f);
            }
        }
        let mut flows: BTreeMap<usize, Flow> = state
            .flows
            .iter()
            .map(|(id, f)| {
                (
                    *id,
                    Flow {
                        id: Some(*id),
                        client_ids: f.client_ids.clone(),
                        requests: Vec::new(),
                    },
                )
            })
            .collect();
        for (entry, flow) in log.into_iter().zip(placed) {
            if let Some(flow) = flow.and_then(|f| flows.get_mut(&f)) {
                flow.requests.push(entry);
            }
        }
        flows.into_values().collect()
    }

    /// A registration request's redirect URIs and client name, when it is one.
    fn registration_signature(&self, request: &RecordedRequest) -> Option<String> {
        if request.method != "POST"
            || !self
                .registration_paths
                .iter()
                .any(|(server, path)| *server == request.server && *path == request.path)
        {
            return None;
        }
        let json = request.json.as_ref()?;
        let uris = json.get("redirect_uris")?;
        Some(format!(
            "{uris}|{}",
            json.get("client_name").unwrap_or(&Value::Null)
        ))
    }
}

/// The Client IDs a request names.
fn client_ids(request: &RecordedRequest) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    let mut add = |id: &str| {
        if !id.is_empty() && !ids.iter().any(|i| i == id) {
            ids.push(id.to_owned());
        }
    };
    if request.method == mcp_oauth_mocks::auth_server::FETCH_METHOD {
        add(&request.path);
    }
    if request.server != Server::ResourceServer {
        if let Some(id) = request.query_param("client_id") {
            add(id);
        }
        if let Some(id) = request.form_field("client_id") {
            add(id);
        }
        if let Some(credential) = &request.authorization
            && credential.scheme.eq_ignore_ascii_case("basic")
            && let Some(user) = basic_user(&credential.value)
        {
            add(&user);
        }
        if let Some(id) = request
            .response_json
            .as_ref()
            .and_then(|j| j.get("client_id"))
            .and_then(Value::as_str)
        {
            add(id);
        }
    } else if let Some(credential) = &request.authorization
        && let Some(id) = jwt_client_id(&credential.value)
    {
        add(&id);
    }
    ids
}

/// Tokens and codes a request presents.
fn tokens_presented(request: &RecordedRequest) -> Vec<String> {
    let mut tokens = Vec::new();
    if let Some(credential) = &request.authorization
        && !credential.scheme.eq_ignore_ascii_case("basic")
    {
        tokens.push(credential.value.clone());
    }
    for name in ["refresh_token", "code", "token"] {
        tokens.extend(request.form_field(name).map(str::to_owned));
    }
    tokens.extend(
        request
            .query
            .iter()
            .filter(|(n, _)| n == "access_token")
            .map(|(_, v)| v.clone()),
    );
    tokens
}

/// Tokens and codes issued to the request's client, or presented by it (so that a later
/// request with them is placed too).
fn tokens_issued(request: &RecordedRequest) -> Vec<String> {
    let mut tokens = tokens_presented(request);
    if let Some(json) = &request.response_json {
        for name in ["access_token", "refresh_token"] {
            tokens.extend(json.get(name).and_then(Value::as_str).map(str::to_owned));
        }
    }
    tokens.extend(request.location_param("code"));
    tokens
}

fn basic_user(value: &str) -> Option<String> {
    let decoded = STANDARD.decode(value.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, _) = text.split_once(':')?;
    Some(
        url::form_urlencoded::parse(format!("u={user}").as_bytes())
            .next()
            .map_or_else(|| user.to_owned(), |(_, v)| v.into_owned()),
    )
}

/// The `client_id` claim of a JWT access token (not verified: it only places the request).
fn jwt_client_id(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    claims.get("client_id")?.as_str().map(str::to_owned)
}
