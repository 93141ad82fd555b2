//! What the MCP server's origin answers outside its routes: the paths nothing serves (where a
//! client looks for metadata that is not there), and the MCP path itself when the endpoint
//! really is one slash further.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ResourceServer;
use crate::config::UnknownPathAnswer;

/// A web app's page, as an SPA catch-all route serves for every path it does not know.
const APP_PAGE: &str = "<!doctype html>\n<html><head><title>App</title></head><body><div id=\"root\"></div><script src=\"/assets/app.js\"></script></body></html>\n";

pub async fn unknown_path(State(server): State<ResourceServer>) -> Response {
    match server.config().unknown_path_answer {
        UnknownPathAnswer::Empty404 => StatusCode::NOT_FOUND.into_response(),
        UnknownPathAnswer::Text404 => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Not Found",
        )
            .into_response(),
        UnknownPathAnswer::Html200 => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            APP_PAGE,
        )
            .into_response(),
    }
}

/// With `redirect-to-trailing-slash`, a request to the MCP path is answered 307 to the path
/// with a `/` appended, as a Starlette `Mount` does; the endpoint answers there.
pub async fn redirect_to_trailing_slash(
    State(server): State<ResourceServer>,
    request: Request,
    next: Next,
) -> Response {
    let mount = server.mount_path();
    if !server.config().redirect_to_trailing_slash || request.uri().path() != mount {
        return next.run(request).await;
    }
    let location = format!("{}{mount}/", server.origin());
    let mut response = StatusCode::TEMPORARY_REDIRECT.into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}
