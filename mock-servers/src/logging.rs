//! The middleware that writes every request into the [`RequestLog`].

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;

use crate::log::{RecordedRequest, RequestLog, Server};

/// Put on a token response by the token handler, so the log can say which grant it served.
#[derive(Debug, Clone)]
pub struct GrantTypeSeen(pub String);

pub fn with_request_log(router: Router, log: RequestLog, server: Server) -> Router {
    router.layer(middleware::from_fn(move |request: Request, next: Next| {
        let log = log.clone();
        async move {
            let method = request.method().to_string();
            let path = request.uri().path().to_owned();
            let response: Response = next.run(request).await;
            log.push(RecordedRequest {
                server,
                method,
                path,
                grant_type: response
                    .extensions()
                    .get::<GrantTypeSeen>()
                    .map(|g| g.0.clone())
                    .filter(|g| !g.is_empty()),
                status: response.status().as_u16(),
            });
            response
        }
    }))
}
