//! CORS at the token endpoint, for browser-based clients: a browser sends the code exchange
//! only after a preflight `OPTIONS` is answered with the CORS headers, and hands the answer to
//! the page only when it carries `Access-Control-Allow-Origin`.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};

use super::{AuthServer, token};

/// `POST` for the token request; with `token-endpoint-cors`, `OPTIONS` for the preflight and
/// the allow-origin header on answers to requests that carry `Origin`.
pub(super) fn token_route(server: &AuthServer) -> MethodRouter<AuthServer> {
    let route = post(token::token);
    if !server.config().token_endpoint_cors {
        return route;
    }
    route
        .options(preflight)
        .layer(middleware::from_fn_with_state(server.clone(), allow_origin))
}

async fn preflight() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("authorization, content-type, accept"),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

async fn allow_origin(State(_): State<AuthServer>, request: Request, next: Next) -> Response {
    let has_origin = request.headers().contains_key(header::ORIGIN);
    let mut response = next.run(request).await;
    if has_origin {
        response.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
    response
}
