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
use crate::request_log::{RecordedRequest, RequestLog, Server};

/// How long a document fetch may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest document accepted.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
/// The method a [`RecordedRequest`] of a document fetch carries; its path is the document URL.
pub const FETCH_METHOD: &str = "FETCH";

#[derive(Debug, thiserror::Error)]
pub enum CimdError {
    #[error(
        "client_id {0:?} is not an acceptable client ID metadata document URL: it must be https (http only on a loopback host), without a fragment or credentials"
    )]
    UrlNotAllowed(String),
    #[error("cannot fetch the client ID metadata document at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the client ID metadata document at {url} answered HTTP {status} instead of 200")]
    Status { url: String, status: u16 },
    #[error("the client ID metadata document at {url} is larger than {MAX_DOCUMENT_BYTES} bytes")]
    TooLarge { url: String },
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
pub async fn resolve(log: &RequestLog, role: Server, client_id: &str) -> Result<Client, CimdError> {
    let url = allowed_url(client_id)?;
    let (status, body) = fetch(&url).await;
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

/// https anywhere; http only to a loopback host; never a fragment or userinfo.
fn allowed_url(client_id: &str) -> Result<Url, CimdError> {
    let refuse = || CimdError::UrlNotAllowed(client_id.to_owned());
    let url = Url::parse(client_id).map_err(|_| refuse())?;
    let loopback = match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(refuse()),
    };
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    if !scheme_ok
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(refuse());
    }
    Ok(url)
}

/// The client every fetch uses, built once per process: building one loads the system's root
/// certificates, which cost more than the rest of a scenario run. It keeps no idle
/// connections, so no fetch reuses a connection another mock (another run) opened.
fn fetch_client() -> Result<&'static reqwest::Client, String> {
    static CLIENT: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(FETCH_TIMEOUT)
                .pool_max_idle_per_host(0)
                .no_proxy()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// GETs the document without following redirects, within the time and size limits. Returns
/// the status (when a response came) and the body.
async fn fetch(url: &Url) -> (Option<u16>, Result<Vec<u8>, CimdError>) {
    let unreachable = |reason: String| CimdError::Unreachable {
        url: url.to_string(),
        reason,
    };
    let client = match fetch_client() {
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
    };
    let declared = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_DOCUMENT_BYTES) {
        return (Some(status), Err(too_large()));
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                    return (Some(status), Err(too_large()));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return (Some(status), Ok(body)),
            Err(e) => return (Some(status), Err(unreachable(describe(&e)))),
        }
    }
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        format!("no answer within {} s", FETCH_TIMEOUT.as_secs())
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
    fn document_urls_are_https_or_loopback_http() {
        for ok in [
            "https://client.example/metadata.json",
            "http://127.0.0.1:8080/client.json",
            "http://localhost/client.json",
            "http://[::1]:9/client.json",
        ] {
            assert!(allowed_url(ok).is_ok(), "{ok}");
        }
        for refused in [
            "http://client.example/metadata.json",
            "http://10.0.0.1/client.json",
            "https://client.example/metadata.json#frag",
            "https://user:pw@client.example/metadata.json",
            "ftp://client.example/metadata.json",
        ] {
            assert!(allowed_url(refused).is_err(), "{refused}");
        }
        assert!(is_document_url("HTTPS://client.example/x"));
        assert!(!is_document_url("dcr-client-1"));
    }
}
