//! What a request sends ([`Body`]) and what comes back ([`HttpResponse`]): the body read
//! within the cap, and the header readings the flow and `check` make of it.

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// A response whose body has been read (within the cap).
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub url: String,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every value of a header, in the order received (repeated fields are kept).
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    }

    /// The Bearer challenge among all `WWW-Authenticate` fields (RFC 9110 §11.6.1), not only
    /// the first one's.
    pub fn bearer_challenge(
        &self,
    ) -> Result<Option<crate::www_authenticate::Challenge>, crate::www_authenticate::ParseError>
    {
        crate::www_authenticate::bearer_in(self.header_values("www-authenticate"))
    }

    /// All `WWW-Authenticate` fields combined into one list, or `None` when there is none.
    pub fn www_authenticate(&self) -> Option<String> {
        let fields = self.header_values("www-authenticate");
        (!fields.is_empty()).then(|| crate::www_authenticate::combined(fields))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn is_json(&self) -> bool {
        self.header("content-type").is_some_and(|ct| {
            let ct = ct.to_ascii_lowercase();
            ct.starts_with("application/json") || ct.contains("+json")
        })
    }
}

/// What a request sends as its body.
#[derive(Debug, Clone)]
pub enum Body {
    Empty,
    Form(Vec<(String, String)>),
    Json(serde_json::Value),
}
