use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::ResourceServer;

/// RFC 9728 §2 protected-resource metadata.
pub async fn protected_resource_metadata(State(server): State<ResourceServer>) -> Json<Value> {
    Json(json!({
        "resource": server.announced_resource(),
        "authorization_servers": [server.announced_authorization_server()],
        "scopes_supported": server.inner.scopes,
        "bearer_methods_supported": ["header"],
        "resource_name": "Mock MCP server",
    }))
}
