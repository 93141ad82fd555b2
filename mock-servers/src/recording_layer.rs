//! The middleware that writes every request into the [`RequestLog`], with what the client sent
//! (query, form or JSON body, `Authorization`) and what the mock answered (status, redirect,
//! challenge, an authorization server's JSON), so that a judge can read a client's behaviour
//! from the log alone.

use axum::Router;
use axum::body::{Body, to_bytes};
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::listen::{BodyReadTimeout, ConnectionLimits};
use crate::request_log::{Credential, RecordedRequest, RequestLog, Server};

/// The largest request (or authorization-server response) body the mocks read; a larger
/// request is refused with 413 (and an `invalid_request` body) rather than read in part, so
/// no client can make a mock buffer more than this.
pub const MAX_RECORDED_BODY: usize = 1024 * 1024;

/// Put on a token response by the token handler, so the log can say which grant it served.
#[derive(Debug, Clone)]
pub struct GrantTypeSeen(pub String);

/// Put on a token response by the token handler: how the request authenticated its client,
/// as the handler read it.
#[derive(Debug, Clone)]
pub struct ClientAuthenticationSeen(pub crate::request_log::ClientAuthentication);

/// Put on a response by a handler that read the request body as a form whatever its
/// `Content-Type` (the token endpoint), so the log records the fields it acted on: a token
/// request sent as `text/plain` or JSON is then judged like any other.
#[derive(Debug, Clone, Copy)]
pub struct BodyReadAsForm;

pub fn with_request_log(router: Router, log: RequestLog, server: Server) -> Router {
    router.layer(middleware::from_fn(move |request: Request, next: Next| {
        let log = log.clone();
        async move { record(log, server, request, next).await }
    }))
}

async fn record(log: RequestLog, server: Server, request: Request, next: Next) -> Response {
    let at = log.now();
    let arrived = log.arrival();
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let query = pairs(request.uri().query().unwrap_or("").as_bytes());
    let authorization = credential(request.headers());
    let connection = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    let body_read_timeout = request
        .extensions()
        .get::<BodyReadTimeout>()
        .map_or(ConnectionLimits::DEFAULT_BODY_READ_TIMEOUT, |t| t.0);
    let kind = body_kind(request.headers());
    let (parts, body) = request.into_parts();
    // Every body is read here, up to the cap and no further, whatever its type claims: one
    // that declares more is refused before a byte of it is read.
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let too_large = declared.is_some_and(|length| length > MAX_RECORDED_BODY as u64);
    let too_large_answer = || {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body exceeds {MAX_RECORDED_BODY} bytes"),
        )
    };
    let read = if too_large {
        Err(too_large_answer())
    } else {
        match tokio::time::timeout(body_read_timeout, to_bytes(body, MAX_RECORDED_BODY)).await {
            Ok(Ok(bytes)) => Ok(bytes),
            Ok(Err(_)) => Err(too_large_answer()),
            Err(_) => Err((
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request body did not arrive within {} s",
                    body_read_timeout.as_secs_f64()
                ),
            )),
        }
    };
    // A body that is not read whole is recorded with the answer it got, and the connection
    // closed: what is left of the body cannot be told from the next request.
    let bytes = match read {
        Ok(bytes) => bytes,
        Err((status, message)) => {
            log.push(RecordedRequest {
                server,
                method,
                path,
                status: status.as_u16(),
                at,
                query,
                authorization,
                connection,
                arrived,
                ..RecordedRequest::default()
            });
            return closing(status, message);
        }
    };
    let (form, json) = match kind {
        BodyKind::Form => (pairs(&bytes), None),
        BodyKind::Json => (Vec::new(), serde_json::from_slice::<Value>(&bytes).ok()),
        BodyKind::Other => (Vec::new(), None),
    };
    let body = Body::from(bytes.clone());
    let response = next.run(Request::from_parts(parts, body)).await;
    let form = if kind != BodyKind::Form && response.extensions().get::<BodyReadAsForm>().is_some()
    {
        pairs(&bytes)
    } else {
        form
    };
    let status = response.status().as_u16();
    let grant_type = response
        .extensions()
        .get::<GrantTypeSeen>()
        .map(|g| g.0.clone())
        .filter(|g| !g.is_empty());
    let client_authentication = response
        .extensions()
        .get::<ClientAuthenticationSeen>()
        .map(|seen| seen.0.clone());
    let response_location = header_text(response.headers(), header::LOCATION);
    let www_authenticate = header_text(response.headers(), header::WWW_AUTHENTICATE);
    // An authorization server's JSON and the MCP server's metadata are kept (the judge reads
    // what was served); the MCP server's other answers are streams.
    let keeps_json = server != Server::ResourceServer || path.starts_with("/.well-known/");
    let (response, response_json) = if keeps_json && body_kind(response.headers()) == BodyKind::Json
    {
        let (parts, body) = response.into_parts();
        match to_bytes(body, MAX_RECORDED_BODY).await {
            Ok(bytes) => {
                let json = serde_json::from_slice::<Value>(&bytes).ok();
                (Response::from_parts(parts, Body::from(bytes)), json)
            }
            Err(_) => (StatusCode::INTERNAL_SERVER_ERROR.into_response(), None),
        }
    } else {
        (response, None)
    };
    log.push(RecordedRequest {
        server,
        method,
        path,
        grant_type,
        status,
        at,
        query,
        form,
        json,
        authorization,
        response_location,
        response_json,
        www_authenticate,
        connection,
        client_authentication,
        arrived,
        answered: 0,
    });
    response
}

/// 413 (too large) or 408 (too slow) with an RFC 6749 §5.2 error body, and the connection
/// closed: the rest of the body is never read.
fn closing(status: StatusCode, description: String) -> Response {
    let body = serde_json::json!({
        "error": "invalid_request",
        "error_description": description,
    });
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    response
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Form,
    Json,
    Other,
}

fn body_kind(headers: &HeaderMap) -> BodyKind {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        BodyKind::Form
    } else if content_type.starts_with("application/json") {
        BodyKind::Json
    } else {
        BodyKind::Other
    }
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn pairs(bytes: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(bytes)
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect()
}

fn credential(headers: &HeaderMap) -> Option<Credential> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    Some(Credential {
        scheme: scheme.to_owned(),
        value: rest.trim().to_owned(),
    })
}
