//! The middleware that writes every request into the [`RequestLog`], with what the client sent
//! (query, form or JSON body, `Authorization`) and what the mock answered (status, redirect,
//! challenge, an authorization server's JSON), so that a judge can read a client's behaviour
//! from the log alone.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::request_log::{Credential, RecordedRequest, RequestLog, Server};

/// The largest request (or authorization-server response) body the log reads; a larger
/// request is refused with 413 rather than recorded in part.
pub const MAX_RECORDED_BODY: usize = 1024 * 1024;

/// Put on a token response by the token handler, so the log can say which grant it served.
#[derive(Debug, Clone)]
pub struct GrantTypeSeen(pub String);

pub fn with_request_log(router: Router, log: RequestLog, server: Server) -> Router {
    router.layer(middleware::from_fn(move |request: Request, next: Next| {
        let log = log.clone();
        async move { record(log, server, request, next).await }
    }))
}

async fn record(log: RequestLog, server: Server, request: Request, next: Next) -> Response {
    let at = log.now();
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let query = pairs(request.uri().query().unwrap_or("").as_bytes());
    let authorization = credential(request.headers());
    let kind = body_kind(request.headers());
    let (parts, body) = request.into_parts();
    let (form, json, body) = if kind == BodyKind::Other {
        (Vec::new(), None, body)
    } else {
        let Ok(bytes) = to_bytes(body, MAX_RECORDED_BODY).await else {
            log.push(RecordedRequest {
                server,
                method,
                path,
                status: StatusCode::PAYLOAD_TOO_LARGE.as_u16(),
                at,
                query,
                authorization,
                ..RecordedRequest::default()
            });
            return StatusCode::PAYLOAD_TOO_LARGE.into_response();
        };
        let (form, json) = match kind {
            BodyKind::Form => (pairs(&bytes), None),
            _ => (Vec::new(), serde_json::from_slice::<Value>(&bytes).ok()),
        };
        (form, json, Body::from(bytes))
    };
    let response = next.run(Request::from_parts(parts, body)).await;
    let status = response.status().as_u16();
    let grant_type = response
        .extensions()
        .get::<GrantTypeSeen>()
        .map(|g| g.0.clone())
        .filter(|g| !g.is_empty());
    let response_location = header_text(response.headers(), header::LOCATION);
    let www_authenticate = header_text(response.headers(), header::WWW_AUTHENTICATE);
    // Only an authorization server's JSON is kept: the MCP server's answers are streams.
    let (response, response_json) =
        if server != Server::ResourceServer && body_kind(response.headers()) == BodyKind::Json {
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
    });
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
