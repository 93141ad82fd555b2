//! The MCP server behind the bearer layer: one `echo` tool with a required argument, enough to
//! prove a tool call works (and that a client fills in what the tool's schema requires).

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::json;

#[derive(Debug, Clone, Copy)]
pub struct EchoServer;

/// Marks a request whose access token had expired and was let through
/// (`expired-token-tool-error`): its tool calls fail as the API behind the tool would.
#[derive(Debug, Clone, Copy)]
pub struct ExpiredTokenPassedOn;

impl ServerHandler for EchoServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_instructions("Mock MCP server of the MCP OAuth conformance harness")
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let schema = json!({
            "type": "object",
            "properties": { "text": { "type": "string", "description": "what to echo" } },
            "required": ["text"],
        });
        let schema = match schema {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        Ok(ListToolsResult::with_all_items(vec![Tool::new(
            "echo",
            "Returns its text argument",
            Arc::new(schema),
        )]))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let expired = context
            .extensions
            .get::<axum::http::request::Parts>()
            .is_some_and(|parts| parts.extensions.get::<ExpiredTokenPassedOn>().is_some());
        if expired {
            return Ok(CallToolResult::error(vec![ContentBlock::text(
                "Error: the downstream API answered 401 Unauthorized: InvalidAuthenticationToken, the access token has expired",
            )])
            .into());
        }
        if request.name != "echo" {
            return Err(ErrorData::invalid_params(
                format!("unknown tool {:?}", request.name),
                None,
            ));
        }
        // Arguments are validated against the input schema, as the SDKs' servers do: a
        // client that leaves out `text` gets the tool's error, not an empty echo.
        let text = request
            .arguments
            .as_ref()
            .and_then(|args| args.get("text"))
            .and_then(|v| v.as_str());
        Ok(match text {
            Some(text) => CallToolResult::success(vec![ContentBlock::text(text.to_owned())]),
            None => CallToolResult::error(vec![ContentBlock::text(
                "Input validation error: 'text' is a required property of type string",
            )]),
        }
        .into())
    }
}
