//! Step 6: MCP over streamable HTTP with the access token attached, through rmcp (the official
//! Rust SDK). rmcp's HTTP client is wrapped so that every MCP message is recorded like the rest.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::BoxStream;
use http::{HeaderName, HeaderValue};
use mcp_oauth_reports::{Exchange, HttpRequestRecord, HttpResponseRecord};
use oauth2::AccessToken;
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ClientJsonRpcMessage};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::{
    StreamableHttpClient, StreamableHttpClientTransportConfig, StreamableHttpError,
    StreamableHttpPostResponse, StreamableHttpResponseLimits,
};
use serde_json::{Value, json};
use sse_stream::{Error as SseError, Sse};

use super::{FlowContext, StepResult};
use crate::checks;
use crate::diagnosis::{self, Diagnosis};
use crate::http::HttpClient;

#[derive(Debug, Clone)]
pub enum Action {
    ListTools,
    CallTool { name: String, arguments: Value },
}

/// Opens an MCP session with the token, runs the action, closes the session.
pub async fn run(
    ctx: &mut FlowContext,
    mcp_url: &str,
    token: &AccessToken,
    action: Action,
) -> StepResult<Value> {
    let timeout = ctx.http.limits().timeout;
    let mut config = StreamableHttpClientTransportConfig::with_uri(mcp_url.to_owned());
    config.auth_header = Some(token.secret().clone());
    let transport = StreamableHttpClientTransport::with_client(
        RecordingClient {
            inner: ctx.http.reqwest(),
            http: ctx.http.clone(),
        },
        config,
    );
    let session = match tokio::time::timeout(timeout, ().serve(transport)).await {
        Ok(Ok(session)) => session,
        Ok(Err(e)) => return Err(fail(ctx, &checks::MCP_INITIALIZE, &e.to_string())),
        Err(_) => return Err(fail(ctx, &checks::MCP_INITIALIZE, &timed_out(timeout))),
    };
    let server = session.peer_info().map(|info| {
        json!({
            "protocolVersion": info.protocol_version.to_string(),
            "serverName": info.server_info.as_ref().map(|s| s.name.clone()),
        })
    });
    ctx.recorder
        .pass(&checks::MCP_INITIALIZE, server.unwrap_or(Value::Null));

    let result = match action {
        Action::ListTools => match tokio::time::timeout(timeout, session.list_tools(None)).await {
            Ok(Ok(tools)) => {
                let names: Vec<&str> = tools.tools.iter().map(|t| t.name.as_ref()).collect();
                ctx.recorder
                    .pass(&checks::MCP_TOOLS_LIST, json!({ "tools": names }));
                Ok(json!({ "tools": names }))
            }
            Ok(Err(e)) => Err(fail(ctx, &checks::MCP_TOOLS_LIST, &e.to_string())),
            Err(_) => Err(fail(ctx, &checks::MCP_TOOLS_LIST, &timed_out(timeout))),
        },
        Action::CallTool { name, arguments } => {
            let mut params = CallToolRequestParams::new(name.clone());
            if let Value::Object(arguments) = arguments {
                params = params.with_arguments(arguments);
            }
            match tokio::time::timeout(timeout, session.call_tool(params)).await {
                Ok(Ok(result)) if result.is_error != Some(true) => {
                    let content = serde_json::to_value(&result.content).unwrap_or(Value::Null);
                    ctx.recorder.pass(
                        &checks::MCP_TOOLS_CALL,
                        json!({ "tool": name, "content": content }),
                    );
                    Ok(content)
                }
                Ok(Ok(result)) => {
                    let content = serde_json::to_value(&result.content).unwrap_or(Value::Null);
                    Err(fail(
                        ctx,
                        &checks::MCP_TOOLS_CALL,
                        &format!("the tool reported an error: {content}"),
                    ))
                }
                Ok(Err(e)) => Err(fail(ctx, &checks::MCP_TOOLS_CALL, &e.to_string())),
                Err(_) => Err(fail(ctx, &checks::MCP_TOOLS_CALL, &timed_out(timeout))),
            }
        }
    };
    let _ = session.cancel().await;
    result
}

fn timed_out(timeout: Duration) -> String {
    format!("no answer within {} s", timeout.as_secs())
}

fn fail(ctx: &mut FlowContext, check: &checks::CheckDef, error: &str) -> Diagnosis {
    let error = ctx.http.redactor().text(error);
    let auth = error.contains("401")
        || error
            .to_ascii_lowercase()
            .contains("authorization required")
        || error.contains("invalid_token");
    ctx.recorder.fail(
        check,
        json!({ "error": error }),
        format!("MCP request failed: {error}"),
    );
    if auth {
        diagnosis::new(
            diagnosis::TOKEN_REJECTED,
            format!("The MCP server refused the access token: {error}"),
            "The MCP server must accept access tokens from the authorization server it advertises (check the audience and issuer it expects); reconnecting gets a new token.",
        )
    } else {
        diagnosis::new(
            diagnosis::MCP_ERROR,
            format!("The MCP request failed: {error}"),
            "Check the MCP server's logs; the OAuth part of the connection worked.",
        )
    }
}

/// rmcp's reqwest client with every message recorded (bodies redacted like all exchanges).
#[derive(Clone)]
struct RecordingClient {
    inner: reqwest::Client,
    http: HttpClient,
}

impl RecordingClient {
    fn record(
        &self,
        method: &str,
        uri: &str,
        body: Option<String>,
        outcome: Result<(u16, Option<String>), String>,
    ) {
        let redactor = self.http.redactor();
        let (response, error) = match outcome {
            Ok((status, body)) => (
                Some(HttpResponseRecord {
                    status,
                    headers: Vec::new(),
                    body: body.map(|b| redactor.body(&b)),
                }),
                None,
            ),
            Err(e) => (None, Some(redactor.text(&e))),
        };
        self.http.record(Exchange {
            step: "mcp".to_owned(),
            request: HttpRequestRecord {
                method: method.to_owned(),
                url: redactor.url(uri),
                headers: vec![("authorization".to_owned(), "Bearer [redacted]".to_owned())],
                body: body.map(|b| redactor.body(&b)),
            },
            response,
            error,
        });
    }
}

impl StreamableHttpClient for RecordingClient {
    type Error = reqwest::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<StreamableHttpPostResponse, StreamableHttpError<Self::Error>> {
        self.post_message_with_response_limits(
            uri,
            message,
            session_id,
            auth_header,
            custom_headers,
            StreamableHttpResponseLimits::default(),
        )
        .await
    }

    async fn post_message_with_response_limits(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        limits: StreamableHttpResponseLimits,
    ) -> Result<StreamableHttpPostResponse, StreamableHttpError<Self::Error>> {
        let body = serde_json::to_string(&message).ok();
        let result = self
            .inner
            .post_message_with_response_limits(
                uri.clone(),
                message,
                session_id,
                auth_header,
                custom_headers,
                limits,
            )
            .await;
        let outcome = match &result {
            Ok(StreamableHttpPostResponse::Accepted) => Ok((202, None)),
            Ok(StreamableHttpPostResponse::Json(reply, _)) => {
                Ok((200, serde_json::to_string(reply).ok()))
            }
            Ok(StreamableHttpPostResponse::Sse(..)) => {
                Ok((200, Some("(text/event-stream)".to_owned())))
            }
            Ok(_) => Ok((200, None)),
            Err(e) => Err(e.to_string()),
        };
        self.record("POST", &uri, body, outcome);
        result
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), StreamableHttpError<Self::Error>> {
        let result = self
            .inner
            .delete_session(uri.clone(), session_id, auth_header, custom_headers)
            .await;
        let outcome = result
            .as_ref()
            .map(|_| (200, None))
            .map_err(|e| e.to_string());
        self.record("DELETE", &uri, None, outcome);
        result
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, StreamableHttpError<Self::Error>> {
        self.inner
            .get_stream(uri, session_id, last_event_id, auth_header, custom_headers)
            .await
    }
}
