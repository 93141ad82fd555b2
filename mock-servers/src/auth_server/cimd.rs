//! Client ID Metadata Documents (MCP 2025-11-25, draft-ietf-oauth-client-id-metadata-document):
//! a `client_id` that is a URL names a JSON document, fetched by the authorization server, that
//! describes the client. This module fetches and vets that document.

use std::sync::OnceLock;
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_LENGTH};
use serde::Deserialize;
use url::{Host, Url};

use super::store::Client;
use crate::config::TokenEndpointAuthMethod;
use crate::request_log::{FETCH_METHOD, RecordedRequest, RequestLog, Server};

/// How long a document fetch may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest document accepted unless `client-metadata-document-max-bytes` says otherwise.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum CimdError {
    #[error(
        "client_id {0:?} is not an acceptable client ID metadata document URL: it must be https (http only on a loopback host), without a fragment or credentials"
    )]
    UrlNotAllowed(String),
    #[error(
        "client_id {0:?} names a client ID metadata document on a loopback or private host, which this authorization server fetches only from the origins it was told to allow; publish the document at a public https URL"
    )]
    OriginNotAllowed(String),
    #[error("cannot fetch the client ID metadata document at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the client ID metadata document at {url} answered HTTP {status} instead of 200")]
    Status { url: String, status: u16 },
    #[error("the client ID metadata document at {url} is larger than {limit} bytes")]
    TooLarge { url: String, limit: usize },
    #[error("the client ID metadata document at {url} is not client metadata JSON: {reason}")]
    NotClientMetadata { url: String, reason: String },
    #[error(
        "the client ID metadata document at {url} gives client_id {found:?}, which must equal the URL it is served from"
    )]
    ClientIdMismatch { url: String, found: Option<String> },
    #[error("the client ID metadata document at {url} lists no redirect_uris")]
    NoRedirectUris { url: String },
    #[error(
        "the client ID metadata document at {url} must declare token_endpoint_auth_method \"none\" (found {found:?})"
    )]
    AuthMethod { url: String, found: Option<String> },
}

#[derive(Debug, Deserialize)]
struct Document {
    client_id: Option<String>,
    redirect_uris: Option<Vec<String>>,
    token_endpoint_auth_method: Option<String>,
    application_type: Option<String>,
}

/// Whether a `client_id` is meant as a document URL (as opposed to an opaque identifier).
pub fn is_document_url(client_id: &str) -> bool {
    let lower = client_id.get(..8).unwrap_or(client_id).to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// Fetches the document `client_id` names, records the fetch in `log` under `role`, and turns
/// an acceptable document into the public client it describes.
/// Documents on loopback or private hosts are fetched only from `allowed_origins`.
pub async fn resolve(
    log: &RequestLog,
    role: Server,
    client_id: &str,
    allowed_origins: &[String],
    max_bytes: usize,
) -> Result<Client, CimdError> {
    let url = allowed_url(client_id, allowed_origins)?;
    let started = log.now();
    let (mut status, mut body) = fetch(&url, max_bytes).await;
    // An answer the run's clock says came after the time limit is one this server gave up
    // waiting for: on a simulated clock the wait passes no real time, so reqwest's own timeout
    // never fires there.
    if log.now().saturating_sub(started) > FETCH_TIMEOUT.as_secs() {
        status = None;
        body = Err(CimdError::Unreachable {
            url: url.to_string(),
            reason: no_answer_in_time(),
        });
    }
    log.push(RecordedRequest {
        server: role,
        method: FETCH_METHOD.to_owned(),
        path: client_id.to_owned(),
        status: status.unwrap_or(0),
        at: log.now(),
        ..RecordedRequest::default()
    });
    let document: Document =
        serde_json::from_slice(&body?).map_err(|e| CimdError::NotClientMetadata {
            url: client_id.to_owned(),
            reason: e.to_string(),
        })?;
    vet(client_id, document)
}

/// https on a public host; on a loopback or private host only from an allowed origin, where
/// http is accepted on loopback; never a fragment or userinfo.
fn allowed_url(client_id: &str, allowed_origins: &[String]) -> Result<Url, CimdError> {
    let refuse = || CimdError::UrlNotAllowed(client_id.to_owned());
    let url = Url::parse(client_id).map_err(|_| refuse())?;
    let Some(host) = url.host() else {
        return Err(refuse());
    };
    let loopback = match host {
        Host::Domain(name) => is_localhost_name(name),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    };
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    if !scheme_ok
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(refuse());
    }
    if is_local_host(&host) && !allowed_origins.contains(&url.origin().ascii_serialization()) {
        return Err(CimdError::OriginNotAllowed(client_id.to_owned()));
    }
    Ok(url)
}

/// The origin of `url` as [`allowed_url`] compares it (`http://127.0.0.1:8080`).
pub fn origin_of(url: &str) -> Result<String, String> {
    let parsed = Url::parse(url).map_err(|e| format!("{url:?} is not an absolute URL: {e}"))?;
    match parsed.origin() {
        origin @ url::Origin::Tuple(..) => Ok(origin.ascii_serialization()),
        url::Origin::Opaque(_) => Err(format!("{url:?} has no origin (scheme, host and port)")),
    }
}

fn is_localhost_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// This machine or a private network, judged as written (the harness's address policy draws
/// the same line; the mocks depend on nothing of the harness): `localhost`, loopback, RFC 1918
/// and RFC 4193 private, link-local, unspecified and CGNAT addresses.
fn is_local_host(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => is_localhost_name(name),
        Host::Ipv4(ip) => is_local_v4(*ip),
        Host::Ipv6(ip) => match ip.to_ipv4_mapped() {
            Some(v4) => is_local_v4(v4),
            None => {
                let first = ip.segments()[0];
                ip.is_loopback()
                    || ip.is_unspecified()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80
            }
        },
    }
}

fn is_local_v4(ip: std::net::Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || (a == 100 && (64..128).contains(&b))
}

/// The client a fetch of `url` uses, built once per process and kept: building one that
/// trusts the system's roots means reading and parsing every root certificate, which costs
/// more than the rest of a scenario run, and only an https document needs them. A document on
/// loopback http (every one the catalog's clients publish) is fetched by a client that loads
/// none. Neither keeps idle connections, so no fetch reuses a connection another mock (another
/// run) opened.
fn fetch_client(url: &Url) -> Result<&'static reqwest::Client, String> {
    type Built = OnceLock<Result<reqwest::Client, String>>;
    static WITH_SYSTEM_ROOTS: Built = OnceLock::new();
    static PLAIN_HTTP: Built = OnceLock::new();
    let builder = || {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(FETCH_TIMEOUT)
            .pool_max_idle_per_host(0)
            .no_proxy()
    };
    let client = if url.scheme() == "http" {
        // It trusts no root at all: it is given http URLs only and follows no redirect, so
        // no certificate ever reaches it.
        PLAIN_HTTP.get_or_init(|| {
            builder()
                .tls_certs_only(Vec::new())
                .build()
                .map_err(|e| e.to_string())
        })
    } else {
        WITH_SYSTEM_ROOTS.get_or_init(|| builder().build().map_err(|e| e.to_string()))
    };
    client.as_ref().map_err(Clone::clone)
}

/// GETs the document without following redirects, within the time limit and `max_bytes`.
/// Returns the status (when a response came) and the body.
async fn fetch(url: &Url, max_bytes: usize) -> (Option<u16>, Result<Vec<u8>, CimdError>) {
    let unreachable = |reason: String| CimdError::Unreachable {
        url: url.to_string(),
        reason,
    };
    let client = match fetch_client(url) {
        Ok(client) => client,
        Err(e) => return (None, Err(unreachable(format!("no HTTP client: {e}")))),
    };
    let response = client
        .get(url.clone())
        .header(ACCEPT, "application/json")
        .send()
        .await;
    let mut response = match response {
        Ok(response) => response,
        Err(e) => return (None, Err(unreachable(describe(&e)))),
    };
    let status = response.status().as_u16();
    if status != 200 {
        return (
            Some(status),
            Err(CimdError::Status {
                url: url.to_string(),
                status,
            }),
        );
    }
    let too_large = || CimdError::TooLarge {
        url: url.to_string(),
        limit: max_bytes,
    };
    let declared = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > max_bytes) {
        return (Some(status), Err(too_large()));
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > max_bytes {
                    return (Some(status), Err(too_large()));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return (Some(status), Ok(body)),
            Err(e) => return (Some(status), Err(unreachable(describe(&e)))),
        }
    }
}

fn no_answer_in_time() -> String {
    format!("no answer within {} s", FETCH_TIMEOUT.as_secs())
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        no_answer_in_time()
    } else {
        let mut text = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }
}

/// The document must name itself, list redirect URIs, and be a public client.
fn vet(url: &str, document: Document) -> Result<Client, CimdError> {
    if document.client_id.as_deref() != Some(url) {
        return Err(CimdError::ClientIdMismatch {
            url: url.to_owned(),
            found: document.client_id,
        });
    }
    let redirect_uris = document.redirect_uris.unwrap_or_default();
    if redirect_uris.is_empty() {
        return Err(CimdError::NoRedirectUris {
            url: url.to_owned(),
        });
    }
    // RFC 7591 §2 makes an absent method client_secret_basic, which a document cannot use.
    if document.token_endpoint_auth_method.as_deref() != Some("none") {
        return Err(CimdError::AuthMethod {
            url: url.to_owned(),
            found: document.token_endpoint_auth_method,
        });
    }
    Ok(Client {
        id: url.to_owned(),
        secret: None,
        redirect_uris,
        auth_method: TokenEndpointAuthMethod::None,
        application_type: document.application_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_urls_are_public_https_or_from_an_allowed_local_origin() {
        let allowed = ["http://127.0.0.1:8080".to_owned()];
        for ok in [
            "https://client.example/metadata.json",
            "http://127.0.0.1:8080/client.json",
            "http://127.0.0.1:8080/other.json",
        ] {
            assert!(allowed_url(ok, &allowed).is_ok(), "{ok}");
        }
        for refused in [
            "http://client.example/metadata.json",
            "http://10.0.0.1/client.json",
            "https://client.example/metadata.json#frag",
            "https://user:pw@client.example/metadata.json",
            "ftp://client.example/metadata.json",
        ] {
            assert!(
                matches!(
                    allowed_url(refused, &allowed),
                    Err(CimdError::UrlNotAllowed(_))
                ),
                "{refused}"
            );
        }
        // Local hosts outside the allowed origins, whatever the scheme or port.
        for unlisted in [
            "http://127.0.0.1:8081/client.json",
            "https://127.0.0.1:8080/client.json",
            "http://localhost:8080/client.json",
            "http://[::1]:9/client.json",
            "https://10.0.0.1/client.json",
            "https://169.254.169.254/latest/meta-data",
            "https://[fd00::1]/client.json",
            "https://admin.localhost/client.json",
        ] {
            assert!(
                matches!(
                    allowed_url(unlisted, &allowed),
                    Err(CimdError::OriginNotAllowed(_))
                ),
                "{unlisted}"
            );
        }
        assert!(is_document_url("HTTPS://client.example/x"));
        assert!(!is_document_url("dcr-client-1"));
    }

    #[test]
    fn origins_are_compared_as_scheme_host_and_port() {
        assert_eq!(
            origin_of("http://127.0.0.1:8080/client.json").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            origin_of("https://Client.Example/x").unwrap(),
            "https://client.example"
        );
        assert!(origin_of("not a url").is_err());
    }
}
