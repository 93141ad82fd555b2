//! The one HTTP path: every request the client flow makes goes through [`HttpClient`], which sets
//! timeouts, caps body sizes, never follows redirects on its own, refuses URLs a step must not
//! reach, and records a redacted [`Exchange`] for the report.

use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use mcp_oauth_reports::{Exchange, HttpRequestRecord, HttpResponseRecord};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use url::Url;

use crate::redact::Redactor;

/// Bodies longer than this are refused: a hostile server cannot make the client read forever.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// How much of a body a report keeps.
const RECORDED_BODY_CHARS: usize = 4096;
/// Headers worth keeping in a report; the rest (dates, server banners) only add noise.
const RECORDED_HEADERS: &[&str] = &[
    "authorization",
    "content-type",
    "www-authenticate",
    "location",
    "cache-control",
    "mcp-protocol-version",
];

#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    pub timeout: Duration,
    pub max_body_bytes: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{url} is not an http(s) URL")]
    Scheme { url: String },
    #[error(
        "{url} uses plain http on a non-loopback host; OAuth 2.1 requires https except on loopback"
    )]
    InsecureHost { url: String },
    #[error("{url} did not answer within {seconds} s")]
    Timeout { url: String, seconds: u64 },
    #[error("cannot reach {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("{url} sent a body larger than {limit} bytes; it was not read further")]
    BodyTooLarge { url: String, limit: usize },
    #[error("the request to {url} could not be built: {reason}")]
    Build { url: String, reason: String },
    /// The person (or the command standing in for them) did not bring the callback back.
    #[error("the consent step did not complete: {reason}")]
    Consent { reason: String },
}

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

#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    limits: HttpLimits,
    redactor: Redactor,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
}

impl HttpClient {
    pub fn new(limits: HttpLimits, redactor: Redactor) -> Result<Self, HttpError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(limits.timeout)
            .connect_timeout(limits.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("mcp-oauth-harness/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HttpError::Build {
                url: String::new(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            client,
            limits,
            redactor,
            exchanges: Arc::default(),
        })
    }

    /// The configured reqwest client, for the MCP transport (same timeouts, no redirects).
    pub fn reqwest(&self) -> reqwest::Client {
        self.client.clone()
    }

    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    pub fn limits(&self) -> HttpLimits {
        self.limits
    }

    /// Everything recorded so far, in order.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.exchanges
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn record(&self, exchange: Exchange) {
        self.exchanges
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(exchange);
    }

    pub async fn get(&self, step: &str, url: &str) -> Result<HttpResponse, HttpError> {
        self.send(step, Method::GET, url, &HeaderMap::new(), Body::Empty)
            .await
    }

    /// Sends one request and reads the response body within the cap. Records either way.
    pub async fn send(
        &self,
        step: &str,
        method: Method,
        url: &str,
        headers: &HeaderMap,
        body: Body,
    ) -> Result<HttpResponse, HttpError> {
        let mut request = HttpRequestRecord {
            method: method.to_string(),
            url: self.redactor.url(url),
            headers: self.recorded_headers(headers),
            body: None,
        };
        let result = self
            .send_unrecorded(method, url, headers, &body, &mut request)
            .await;
        let exchange = match &result {
            Ok(response) => Exchange {
                step: step.to_owned(),
                request,
                response: Some(HttpResponseRecord {
                    status: response.status.as_u16(),
                    headers: self.recorded_headers(&response.headers),
                    body: self.recorded_body(&response.body),
                }),
                error: None,
            },
            Err(error) => Exchange {
                step: step.to_owned(),
                request,
                response: None,
                error: Some(self.redactor.text(&error.to_string())),
            },
        };
        self.record(exchange);
        result
    }

    async fn send_unrecorded(
        &self,
        method: Method,
        url: &str,
        headers: &HeaderMap,
        body: &Body,
        record: &mut HttpRequestRecord,
    ) -> Result<HttpResponse, HttpError> {
        let parsed = check_reachable(url)?;
        let mut builder = self.client.request(method, parsed).headers(headers.clone());
        match body {
            Body::Empty => {}
            Body::Form(fields) => {
                let encoded = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(fields)
                    .finish();
                record.body = Some(self.redactor.form(&encoded));
                record.headers.push((
                    "content-type".into(),
                    "application/x-www-form-urlencoded".into(),
                ));
                builder = builder
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(encoded);
            }
            Body::Json(value) => {
                let mut shown = value.clone();
                self.redactor.json(&mut shown);
                record.body = Some(shown.to_string());
                record
                    .headers
                    .push(("content-type".into(), "application/json".into()));
                builder = builder.json(value);
            }
        }
        let mut response = builder.send().await.map_err(|e| self.classify(url, e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(url, e))? {
            if body.len() + chunk.len() > self.limits.max_body_bytes {
                return Err(HttpError::BodyTooLarge {
                    url: self.redactor.url(url),
                    limit: self.limits.max_body_bytes,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            url: url.to_owned(),
            status,
            headers,
            body: Bytes::from(body),
        })
    }

    fn classify(&self, url: &str, error: reqwest::Error) -> HttpError {
        let url = self.redactor.url(url);
        if error.is_timeout() {
            HttpError::Timeout {
                url,
                seconds: self.limits.timeout.as_secs(),
            }
        } else {
            // reqwest's message may carry the URL (with its query): scrub it too.
            let mut reason = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(inner) = source {
                reason = format!("{reason}: {inner}");
                source = inner.source();
            }
            HttpError::Connect {
                url,
                reason: self.redactor.text(&reason),
            }
        }
    }

    fn recorded_headers(&self, headers: &HeaderMap) -> Vec<(String, String)> {
        RECORDED_HEADERS
            .iter()
            .filter_map(|name| {
                let value = headers.get(*name)?.to_str().unwrap_or("[not text]");
                Some(((*name).to_owned(), self.redactor.header(name, value)))
            })
            .collect()
    }

    fn recorded_body(&self, body: &[u8]) -> Option<String> {
        if body.is_empty() {
            return None;
        }
        let text = String::from_utf8_lossy(body);
        let mut shown = self.redactor.body(&text);
        if shown.chars().count() > RECORDED_BODY_CHARS {
            shown = shown.chars().take(RECORDED_BODY_CHARS).collect::<String>() + "…[truncated]";
        }
        Some(shown)
    }
}

/// Only http(s); plain http only to loopback hosts (OAuth 2.1 §1.5).
pub fn check_reachable(url: &str) -> Result<Url, HttpError> {
    let parsed = Url::parse(url).map_err(|e| HttpError::Build {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(&parsed) => Ok(parsed),
        "http" => Err(HttpError::InsecureHost {
            url: url.to_owned(),
        }),
        _ => Err(HttpError::Scheme {
            url: url.to_owned(),
        }),
    }
}

pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Builds a header map from pairs, skipping values that are not valid header text.
pub fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            map.insert(name, value);
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_refused_off_loopback() {
        assert!(check_reachable("http://127.0.0.1:8080/x").is_ok());
        assert!(check_reachable("http://localhost/x").is_ok());
        assert!(check_reachable("http://[::1]:9/x").is_ok());
        assert!(matches!(
            check_reachable("http://mcp.example.com/x"),
            Err(HttpError::InsecureHost { .. })
        ));
        assert!(matches!(
            check_reachable("file:///etc/passwd"),
            Err(HttpError::Scheme { .. })
        ));
        assert!(check_reachable("https://mcp.example.com/x").is_ok());
    }
}
