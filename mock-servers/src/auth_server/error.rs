//! Error answers, in the one place that decides their status and body.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

/// An RFC 6749 §5.2 / RFC 7591 §3.2.2 / RFC 7009 error, rendered as JSON with `no-store`.
#[derive(Debug)]
pub struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl OAuthError {
    pub fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }

    /// Not an OAuth error at all: `{"message": ...}`, as some frameworks answer.
    pub fn message_only(status: StatusCode, message: impl Into<String>) -> Self {
        Self::new(status, "", message)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = if self.error.is_empty() {
            json!({ "message": self.description })
        } else {
            json!({ "error": self.error, "error_description": self.description })
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"mock-authorization-server\""),
            );
        }
        response
    }
}

/// The page a person sees when the authorization server must not redirect back
/// (unknown client, unregistered redirect_uri: RFC 6749 §4.1.2.1).
#[derive(Debug)]
pub struct ErrorPage {
    pub title: &'static str,
    pub message: String,
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        let body = format!(
            "<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1><p>{message}</p></body></html>",
            title = escape_html(self.title),
            message = escape_html(&self.message),
        );
        (StatusCode::BAD_REQUEST, Html(body)).into_response()
    }
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
