//! The one HTTP path: every request the client flow makes goes through [`HttpClient`], which sets
//! timeouts, caps body sizes, never follows redirects on its own, refuses URLs a step must not
//! reach, and records a redacted [`Exchange`] for the report.

use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use mcp_oauth_reports::{Exchange, HttpRequestRecord, HttpResponseRecord};
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::redact::Redactor;

pub mod address;
mod message;
pub mod tls;
mod tls_config;

pub use address::AddressPolicy;
pub use message::{Body, HttpResponse};

/// Bodies longer than this are refused: a hostile server cannot make the client read forever.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// How much of a body a report keeps.
const RECORDED_BODY_CHARS: usize = 4096;
/// Headers a report leaves out: transport bookkeeping whose values change from run to run
/// (dates, lengths that depend on port numbers) and say nothing about OAuth or MCP. Every
/// other header is recorded, in order, repeats kept, secret values redacted.
const UNRECORDED_HEADERS: &[&str] = &[
    "date",
    "content-length",
    "connection",
    "keep-alive",
    "transfer-encoding",
];
/// What the client calls itself, on every request (set per request so that the record shows it).
pub const USER_AGENT: &str = concat!("mcp-oauth-harness/", env!("CARGO_PKG_VERSION"));

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
    #[error(
        "{url} was refused: it names a loopback or private address, and the target is a public server (only a target on such an address may point the client there)"
    )]
    PrivateAddress { url: String },
    #[error("{url} did not answer within {seconds} s")]
    Timeout { url: String, seconds: u64 },
    /// The server answered, but its body did not arrive in full in time (a drip-fed body).
    #[error("{url} answered, but its body did not arrive in full within {seconds} s")]
    BodyTimeout { url: String, seconds: u64 },
    /// An event stream that stayed open without bringing what the request awaited.
    #[error(
        "{url} answered with an event stream that was still open after {seconds} s without the awaited message; it was not read further"
    )]
    StreamOpen { url: String, seconds: u64 },
    /// The TLS handshake failed: the certificate was refused, or no protocol was agreed. There
    /// is no option to skip certificate checks.
    #[error("{url} was refused at the TLS handshake: {reason}")]
    Tls { url: String, reason: String },
    #[error("cannot reach {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("{url} sent a body larger than {limit} bytes; it was not read further")]
    BodyTooLarge { url: String, limit: usize },
    /// The client sends no `accept-encoding` and decodes nothing, so an encoded body (a
    /// compression bomb, or a server ignoring RFC 9110 §12.5.3) is refused unread.
    #[error(
        "{url} answered with content-encoding {encoding}, which the client did not ask for and does not decode; the body was not read"
    )]
    Encoding { url: String, encoding: String },
    #[error("the request to {url} could not be built: {reason}")]
    Build { url: String, reason: String },
    /// The person (or the command standing in for them) did not bring the callback back.
    #[error("the consent step did not complete: {reason}")]
    Consent { reason: String },
}

#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    limits: HttpLimits,
    redactor: Redactor,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
    policy: AddressPolicy,
    /// Names the client resolves to a loopback address itself (tests), which plain http may
    /// reach like any loopback host.
    loopback_names: Arc<Vec<String>>,
    /// URLs the address policy refused, for the report's `metadata-addresses-public` check.
    refused: Arc<Mutex<Vec<String>>>,
}

impl HttpClient {
    pub fn new(limits: HttpLimits, redactor: Redactor) -> Result<Self, HttpError> {
        Self::with_resolved(limits, redactor, &[])
    }

    /// A client that resolves the given names to the given addresses instead of asking DNS:
    /// lets a test give a loopback server a public-looking name.
    pub fn with_resolved(
        limits: HttpLimits,
        redactor: Redactor,
        resolved: &[(&str, std::net::SocketAddr)],
    ) -> Result<Self, HttpError> {
        Self::with_authorities(limits, redactor, resolved, &[])
    }

    /// [`with_resolved`](Self::with_resolved), also trusting these DER certificates as
    /// certificate authorities beside the system's (a test's own authority). This adds trust
    /// in named certificates; no constructor turns certificate checks off.
    pub fn with_authorities(
        limits: HttpLimits,
        redactor: Redactor,
        resolved: &[(&str, std::net::SocketAddr)],
        authorities: &[&[u8]],
    ) -> Result<Self, HttpError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(limits.timeout)
            .connect_timeout(limits.timeout.min(Duration::from_secs(10)))
            .user_agent(USER_AGENT);
        for (name, addr) in resolved {
            builder = builder.resolve(name, *addr);
        }
        // The process's TLS settings (system roots loaded once, at the first handshake that
        // needs them), in a copy of this client's own, with the given authorities first.
        let tls = if authorities.is_empty() {
            tls_config::client_config()
        } else {
            tls_config::client_config_trusting(authorities)
        }
        .map_err(|reason| HttpError::Build {
            url: String::new(),
            reason,
        })?;
        builder = builder.tls_backend_preconfigured(tls);
        let client = builder.build().map_err(|e| HttpError::Build {
            url: String::new(),
            reason: e.to_string(),
        })?;
        let loopback_names = resolved
            .iter()
            .filter(|(_, addr)| address::is_loopback_ip(addr.ip()))
            .map(|(name, _)| name.to_ascii_lowercase())
            .collect();
        Ok(Self {
            client,
            limits,
            redactor,
            exchanges: Arc::default(),
            policy: AddressPolicy::Open,
            loopback_names: Arc::new(loopback_names),
            refused: Arc::default(),
        })
    }

    /// A client with the same settings (limits, redaction, resolved names, trusted
    /// authorities) and a record of its own: nothing exchanged or refused so far, no target.
    /// For one more independent flow against the same server.
    pub fn fresh(&self) -> Self {
        Self {
            client: self.client.clone(),
            limits: self.limits,
            redactor: self.redactor.clone(),
            exchanges: Arc::default(),
            policy: AddressPolicy::Open,
            loopback_names: self.loopback_names.clone(),
            refused: Arc::default(),
        }
    }

    /// The same client, judging every URL by where `target` (the URL the user gave) lives: a
    /// public target may not send the client to loopback or private addresses.
    pub fn for_target(mut self, target: &str) -> Self {
        self.policy = AddressPolicy::for_target(target);
        self
    }

    pub fn address_policy(&self) -> AddressPolicy {
        self.policy
    }

    /// URLs refused by the address policy so far (redacted), oldest first; each taken once.
    pub fn take_refused(&self) -> Vec<String> {
        std::mem::take(&mut *self.refused.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The scheme rule (plain http only to loopback) and the address policy, for `url`.
    pub fn check_reachable(&self, url: &str) -> Result<Url, HttpError> {
        let parsed = Url::parse(url).map_err(|e| HttpError::Build {
            url: self.redactor.url(url),
            reason: e.to_string(),
        })?;
        if self.policy.refuses(&parsed) {
            let shown = self.redactor.url(url);
            self.refused
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(shown.clone());
            return Err(HttpError::PrivateAddress { url: shown });
        }
        let resolved_to_loopback = parsed.host_str().is_some_and(|h| {
            self.loopback_names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(h))
        });
        match parsed.scheme() {
            "http" if resolved_to_loopback => Ok(parsed),
            _ => judge_scheme(parsed, url),
        }
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

    /// The same client recording into a log of its own: requests that run at the same time
    /// each on a branch are put back in a fixed order by [`HttpClient::rejoin`], not in the
    /// order the network happened to answer them.
    pub fn branch(&self) -> Self {
        Self {
            exchanges: Arc::default(),
            ..self.clone()
        }
    }

    /// Appends what `branch` recorded to this client's log.
    pub fn rejoin(&self, branch: &HttpClient) {
        let taken = std::mem::take(
            &mut *branch
                .exchanges
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        self.exchanges
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(taken);
    }

    /// How many exchanges are recorded so far (without copying them).
    pub fn exchange_count(&self) -> usize {
        self.exchanges
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
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
        self.send_until(step, method, url, headers, body, &mut |_| false)
            .await
    }

    /// [`send`](Self::send), but stops reading the body once `stop` says the part read so far
    /// is enough (an event stream that has delivered the awaited answer). Records what was read.
    pub async fn send_until(
        &self,
        step: &str,
        method: Method,
        url: &str,
        headers: &HeaderMap,
        body: Body,
        stop: &mut (dyn FnMut(&[u8]) -> bool + Send),
    ) -> Result<HttpResponse, HttpError> {
        let mut request = HttpRequestRecord {
            method: method.to_string(),
            url: self.redactor.url(url),
            headers: Vec::new(),
            body: None,
        };
        let result = self
            .send_unrecorded(method, url, headers, &body, &mut request, stop)
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
                profile: None,
            },
            Err(error) => Exchange {
                step: step.to_owned(),
                request,
                response: None,
                error: Some(self.redactor.text(&error.to_string())),
                profile: None,
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
        stop: &mut (dyn FnMut(&[u8]) -> bool + Send),
    ) -> Result<HttpResponse, HttpError> {
        let parsed = self.check_reachable(url)?;
        let mut builder = self
            .client
            .request(method, parsed)
            .header("user-agent", USER_AGENT)
            .headers(headers.clone());
        match body {
            Body::Empty => {}
            Body::Form(fields) => {
                let encoded = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(fields)
                    .finish();
                record.body = Some(self.redactor.form(&encoded));
                builder = builder
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(encoded);
            }
            Body::Json(value) => {
                let mut shown = value.clone();
                self.redactor.json(&mut shown);
                record.body = Some(shown.to_string());
                builder = builder.json(value);
            }
        }
        // The headers recorded are those of the request as built, so the record says exactly
        // what was sent (reqwest adds only `host`, implied by the URL, and `accept: */*` when
        // no accept was given).
        let built = builder.build().map_err(|e| HttpError::Build {
            url: self.redactor.url(url),
            reason: self.redactor.text(&e.to_string()),
        })?;
        record.headers = self.recorded_headers(built.headers());
        let mut response = self
            .client
            .execute(built)
            .await
            .map_err(|e| self.classify(url, e))?;
        let status = response.status();
        let headers = response.headers().clone();
        if let Some(encoding) = unrequested_encoding(&headers) {
            return Err(HttpError::Encoding {
                url: self.redactor.url(url),
                encoding,
            });
        }
        let event_stream = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| {
                t.trim()
                    .to_ascii_lowercase()
                    .starts_with("text/event-stream")
            });
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.classify_body(url, e, event_stream))?
        {
            if body.len() + chunk.len() > self.limits.max_body_bytes {
                return Err(HttpError::BodyTooLarge {
                    url: self.redactor.url(url),
                    limit: self.limits.max_body_bytes,
                });
            }
            body.extend_from_slice(&chunk);
            if stop(&body) {
                break;
            }
        }
        Ok(HttpResponse {
            url: url.to_owned(),
            status,
            headers,
            body: Bytes::from(body),
        })
    }

    /// An error while the body was read, after the head had arrived: a timeout then is a
    /// body (or an event stream) that did not end, not a server that did not answer.
    fn classify_body(&self, url: &str, error: reqwest::Error, event_stream: bool) -> HttpError {
        if !error.is_timeout() {
            return self.classify(url, error);
        }
        let (url, seconds) = (self.redactor.url(url), self.limits.timeout.as_secs());
        if event_stream {
            HttpError::StreamOpen { url, seconds }
        } else {
            HttpError::BodyTimeout { url, seconds }
        }
    }

    fn classify(&self, url: &str, error: reqwest::Error) -> HttpError {
        let url = self.redactor.url(url);
        if error.is_timeout() {
            HttpError::Timeout {
                url,
                seconds: self.limits.timeout.as_secs(),
            }
        } else if let Some(reason) = tls::reason(&error) {
            HttpError::Tls {
                url,
                reason: self.redactor.text(&reason),
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

    /// Every header but the transport noise, in the map's order (values of one name stay
    /// together, in the order they came), values redacted.
    pub fn recorded_headers(&self, headers: &HeaderMap) -> Vec<(String, String)> {
        headers
            .iter()
            .filter(|(name, _)| !UNRECORDED_HEADERS.contains(&name.as_str()))
            .map(|(name, value)| {
                let value = value.to_str().unwrap_or("[not text]");
                (
                    name.as_str().to_owned(),
                    self.redactor.header(name.as_str(), value),
                )
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

/// The `content-encoding` of a response, unless it is absent or `identity`.
fn unrequested_encoding(headers: &HeaderMap) -> Option<String> {
    let encodings: Vec<String> = headers
        .get_all("content-encoding")
        .iter()
        .map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|v| !v.is_empty() && v != "identity")
        .collect();
    // A hostile server's header text goes into a message: keep it short.
    (!encodings.is_empty()).then(|| encodings.join(", ").chars().take(64).collect())
}

/// Only http(s); plain http only to loopback hosts (OAuth 2.1 §1.5).
pub fn check_reachable(url: &str) -> Result<Url, HttpError> {
    let parsed = Url::parse(url).map_err(|e| HttpError::Build {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    judge_scheme(parsed, url)
}

/// The scheme rule for a parsed `url`: https anywhere, plain http only to loopback.
fn judge_scheme(parsed: Url, url: &str) -> Result<Url, HttpError> {
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
