//! Every request the mocks receive, kept in order so that tests, scenario expectations and the
//! client judge can decide afterwards what a client did ("record every request, judge after").

use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use serde_json::Value;

use crate::clock::SharedClock;

/// The method a [`RecordedRequest`] of a client ID metadata document fetch carries (the
/// mock authorization server's own request, recorded beside the client's); its path is the
/// document URL.
pub const FETCH_METHOD: &str = "FETCH";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Server {
    AuthorizationServer,
    #[default]
    ResourceServer,
    /// The second authorization server (`alternate-authorization-server`).
    AlternateAuthorizationServer,
}

/// What the mocks saw of one request. Values are the mock's own, secrets included: this log
/// never leaves the process, and whoever reports from it redacts. The fields that can hold a
/// secret are left out of its serialized form.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RecordedRequest {
    pub server: Server,
    /// The HTTP method, or `FETCH` for a client ID metadata document the authorization server
    /// fetched (its `path` is then the document URL, its `status` the document's HTTP status
    /// or 0 when none came).
    pub method: String,
    pub path: String,
    /// The OAuth grant type of a token request, when there was one.
    pub grant_type: Option<String>,
    /// The HTTP status the mock answered with.
    pub status: u16,
    /// When the request arrived, in seconds since the Unix epoch on the mocks' clock (0 when
    /// the log has no clock).
    pub at: u64,
    /// The query parameters, in order.
    #[serde(skip)]
    pub query: Vec<(String, String)>,
    /// The fields of an `application/x-www-form-urlencoded` body, in order; and of any body
    /// a mock read as a form whatever its type (the token endpoint's), as the mock read it.
    #[serde(skip)]
    pub form: Vec<(String, String)>,
    /// A JSON request body (a registration request, an MCP JSON-RPC message).
    #[serde(skip)]
    pub json: Option<Value>,
    /// The `Authorization` header, split into scheme and credential.
    #[serde(skip)]
    pub authorization: Option<Credential>,
    /// The response's `Location` header (an authorization response's redirect).
    #[serde(skip)]
    pub response_location: Option<String>,
    /// A JSON response body of an authorization server (tokens issued, a registration).
    #[serde(skip)]
    pub response_json: Option<Value>,
    /// The response's `WWW-Authenticate` header (the challenge a client was given).
    pub www_authenticate: Option<String>,
    /// The client's address of the connection the request came on (none for a request the
    /// mocks made themselves, such as a metadata document fetch): requests with the same
    /// address on the same server shared a connection.
    #[serde(skip)]
    pub connection: Option<std::net::SocketAddr>,
    /// How a token request authenticated its client, as the token endpoint read it, and the
    /// method the server holds for that client: the judge compares these, never the mocks'
    /// configuration.
    pub client_authentication: Option<ClientAuthentication>,
    /// Where the request's arrival falls among the log's events (arrivals and answers, counted
    /// from 1): with `answered`, tells two requests that overlapped from one sent after the
    /// other's answer. 0 until the log stamps it.
    #[serde(skip)]
    pub arrived: u64,
    /// Where its answer falls among the same events.
    #[serde(skip)]
    pub answered: u64,
}

/// A token request's client authentication as the token endpoint read it (RFC 6749 §2.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientAuthentication {
    /// The Client ID the request authenticated as (empty when it named none).
    #[serde(skip)]
    pub client_id: String,
    /// The method it used: `client_secret_basic`, `client_secret_post`, `private_key_jwt`,
    /// `none`.
    pub method: String,
    /// The method the server holds for that client; `None` when it knows no such client.
    pub registered: Option<String>,
}

/// An `Authorization` header as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// As sent (`Bearer`, `bearer`, `Basic`, ...).
    pub scheme: String,
    pub value: String,
}

impl RecordedRequest {
    /// Whether this request arrived before `earlier` was answered: the two overlapped, so
    /// this one cannot have been sent in response to that answer.
    pub fn overlapped(&self, earlier: &RecordedRequest) -> bool {
        self.arrived != 0 && earlier.answered != 0 && self.arrived < earlier.answered
    }

    /// The first query parameter of that name.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        first(&self.query, name)
    }

    /// The first form field of that name.
    pub fn form_field(&self, name: &str) -> Option<&str> {
        first(&self.form, name)
    }

    /// The JSON-RPC method of an MCP request, when its body is one message.
    pub fn jsonrpc_method(&self) -> Option<&str> {
        self.json.as_ref()?.get("method")?.as_str()
    }

    /// A `tools/call` the MCP server let through and answered 200.
    pub fn is_successful_tool_call(&self) -> bool {
        self.server == Server::ResourceServer
            && self.method == "POST"
            && self.status == 200
            && self.jsonrpc_method() == Some("tools/call")
    }

    /// A query parameter of the response's redirect (`code`, `state`, `iss`, `error`).
    pub fn location_param(&self, name: &str) -> Option<String> {
        let location = url::Url::parse(self.response_location.as_deref()?).ok()?;
        location
            .query_pairs()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.into_owned())
    }
}

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Called with every request (and its index in the log) as it is recorded, before the response
/// reaches the client, so that a reaction (a server-side trigger) is in place for the client's
/// next request.
pub type RecordHook = Arc<dyn Fn(usize, &RecordedRequest) + Send + Sync>;

#[derive(Clone, Default)]
pub struct RequestLog {
    /// Shared, so that a hook sees the recorded request without a copy of it (a request can
    /// carry whole JSON bodies, and `serve` records every one).
    entries: Arc<Mutex<Entries>>,
    clock: Option<SharedClock>,
    hook: Arc<Mutex<Option<RecordHook>>>,
    /// The last event counted: an arrival ([`RequestLog::arrival`]) or an answer (a push).
    events: Arc<std::sync::atomic::AtomicU64>,
}

/// The requests kept, each with its index: indices count every request ever recorded, so they
/// stay put when [`RequestLog::retain`] drops older ones.
#[derive(Debug, Default)]
struct Entries {
    kept: Vec<(usize, Arc<RecordedRequest>)>,
    recorded: usize,
}

impl std::fmt::Debug for RequestLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestLog")
            .field("entries", &self.entries)
            .finish_non_exhaustive()
    }
}

impl RequestLog {
    /// A log that stamps each request with the time on `clock`.
    pub fn with_clock(clock: SharedClock) -> Self {
        Self {
            clock: Some(clock),
            ..Self::default()
        }
    }

    /// The time requests are stamped with.
    pub fn now(&self) -> u64 {
        self.clock.as_ref().map_or(0, |c| c.unix_seconds())
    }

    /// Calls `hook` with every request recorded from now on (replacing an earlier hook).
    pub fn on_record(&self, hook: RecordHook) {
        *self.hook.lock().unwrap_or_else(PoisonError::into_inner) = Some(hook);
    }

    /// Counts a request's arrival: the number to stamp it with as `arrived`.
    pub fn arrival(&self) -> u64 {
        self.events
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1
    }

    pub fn push(&self, mut request: RecordedRequest) {
        request.answered = self.arrival();
        if request.arrived == 0 {
            // Nothing stamped its arrival (a fetch the mock made itself): it took no time.
            request.arrived = request.answered;
        }
        let hook = self
            .hook
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let request = Arc::new(request);
        let index = {
            let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            let index = entries.recorded;
            entries.recorded += 1;
            entries.kept.push((index, request.clone()));
            index
        };
        if let Some(hook) = hook {
            hook(index, &request);
        }
    }

    /// The requests kept, oldest first.
    pub fn snapshot(&self) -> Vec<RecordedRequest> {
        self.read(|entries| entries.map(|r| RecordedRequest::clone(r)).collect())
    }

    /// The requests kept, oldest first, each with its index (as the hook was given it).
    pub fn indexed_snapshot(&self) -> Vec<(usize, RecordedRequest)> {
        self.lock()
            .kept
            .iter()
            .map(|(i, r)| (*i, RecordedRequest::clone(r)))
            .collect()
    }

    /// How many requests are kept.
    pub fn len(&self) -> usize {
        self.lock().kept.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keeps only the requests for which `keep` (given each one's index) holds; the others are
    /// gone for good. Returns how many were dropped. A bounded reader (`serve`) drops whole
    /// client flows this way.
    pub fn retain(&self, mut keep: impl FnMut(usize, &RecordedRequest) -> bool) -> usize {
        let mut entries = self.lock();
        let before = entries.kept.len();
        entries.kept.retain(|(i, r)| keep(*i, r));
        before - entries.kept.len()
    }

    /// How many recorded requests match, counted under the lock without copying any.
    pub fn count(&self, matches: impl Fn(&RecordedRequest) -> bool) -> usize {
        self.read(|entries| entries.filter(|r| matches(r)).count())
    }

    /// How many token requests of this grant type reached the authorization server.
    pub fn token_requests(&self, grant_type: &str) -> usize {
        self.count(|r| r.grant_type.as_deref() == Some(grant_type))
    }

    /// The client ID metadata document URLs a server fetched, in order.
    pub fn document_fetches(&self, server: Server) -> Vec<String> {
        self.read(|entries| {
            entries
                .filter(|r| r.server == server && r.method == FETCH_METHOD)
                .map(|r| r.path.clone())
                .collect()
        })
    }

    /// How many requests reached a path on a server.
    pub fn requests_to(&self, server: Server, path: &str) -> usize {
        self.count(|r| r.server == server && r.path == path)
    }

    /// `f` over the requests recorded so far, oldest first, under the log's lock.
    fn read<T>(&self, f: impl FnOnce(&mut dyn Iterator<Item = &Arc<RecordedRequest>>) -> T) -> T {
        f(&mut self.lock().kept.iter().map(|(_, r)| r))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
