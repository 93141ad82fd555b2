//! Every request the mocks receive, kept in order so that tests and scenario expectations can
//! judge afterwards what a client did ("record every request, judge after").

use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Server {
    AuthorizationServer,
    ResourceServer,
    /// The second authorization server (`alternate-authorization-server`).
    AlternateAuthorizationServer,
}

/// What the mocks saw of one request. Values are the mock's own: this log never leaves the
/// process, and the harness redacts what it reports.
#[derive(Debug, Clone, Serialize)]
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
}

#[derive(Debug, Clone, Default)]
pub struct RequestLog {
    entries: Arc<Mutex<Vec<RecordedRequest>>>,
}

impl RequestLog {
    pub fn push(&self, request: RecordedRequest) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(request);
    }

    pub fn snapshot(&self) -> Vec<RecordedRequest> {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many token requests of this grant type reached the authorization server.
    pub fn token_requests(&self, grant_type: &str) -> usize {
        self.snapshot()
            .iter()
            .filter(|r| r.grant_type.as_deref() == Some(grant_type))
            .count()
    }

    /// The client ID metadata document URLs a server fetched, in order.
    pub fn document_fetches(&self, server: Server) -> Vec<String> {
        self.snapshot()
            .into_iter()
            .filter(|r| r.server == server && r.method == crate::auth_server::FETCH_METHOD)
            .map(|r| r.path)
            .collect()
    }

    /// How many requests reached a path on a server.
    pub fn requests_to(&self, server: Server, path: &str) -> usize {
        self.snapshot()
            .iter()
            .filter(|r| r.server == server && r.path == path)
            .count()
    }
}
