//! Step 6: MCP over streamable HTTP with the access token attached, through rmcp (the official
//! Rust SDK). rmcp's HTTP client is wrapped so that every MCP message is recorded like the rest.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
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

use super::dpop::DpopKey;
use super::{FlowContext, StepResult};
use crate::checks;
use crate::diagnosis::Diagnosis;
use crate::http::HttpClient;
use mcp_oauth_mocks::clock::SharedClock;

mod dpop_headers;
mod post;
mod refusal;
pub mod tool_call;

use dpop_headers::NonceRetries;
use refusal::fail;

#[derive(Debug, Clone)]
pub enum Action {
    ListTools,
    CallTool { name: String, arguments: Value },
}

/// Opens an MCP session with the token, runs the action, closes the session. A 401 or 403 is a
/// failure like any other here; [`send`] leaves it to the caller.
pub async fn run(
    ctx: &mut FlowContext,
    mcp_url: &str,
    token: &AccessToken,
    action: Action,
) -> StepResult<Value> {
    match send(ctx, mcp_url, Some(token), action).await {
        Ok(value) => Ok(value),
        Err(failure) => Err(failure.into_diagnosis(ctx)),
    }
}

/// A 401 or 403 with its `WWW-Authenticate` challenge: the server asking for (more)
/// authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthChallenge {
    pub status: u16,
    pub header: String,
}

/// Why an MCP request did not succeed. A challenge is not judged yet: the caller knows
/// whether it can answer it by authorizing (again), or must report it as a failure.
#[derive(Debug)]
pub enum McpFailure {
    /// Recorded as a failed check, with its diagnosis.
    Failed(Diagnosis),
    /// The server challenged the request; nothing recorded yet.
    Challenged {
        check: &'static checks::CheckDef,
        challenge: AuthChallenge,
    },
}

impl McpFailure {
    /// Judges the failure as final: a challenge becomes a failed check and a diagnosis.
    pub fn into_diagnosis(self, ctx: &mut FlowContext) -> Diagnosis {
        match self {
            McpFailure::Failed(diagnosis) => diagnosis,
            McpFailure::Challenged { check, challenge } => {
                fail(ctx, check, "", Some((challenge.status, challenge.header)))
            }
        }
    }
}

/// Records a challenge the client is about to answer by authorizing: the step did not fail,
/// it asked for authorization.
pub fn note_challenge(ctx: &mut FlowContext, check: &checks::CheckDef, challenge: &AuthChallenge) {
    let header = ctx.http.redactor().text(&challenge.header);
    ctx.recorder.info(
        check,
        json!({ "status": challenge.status, "wwwAuthenticate": header }),
        format!(
            "the server asked for authorization (HTTP {} with WWW-Authenticate: {header})",
            challenge.status
        ),
    );
}

/// [`run`] without judging challenges, and with or without a token: an MCP client that has
/// not authorized yet talks to the server until it is challenged.
pub async fn send(
    ctx: &mut FlowContext,
    mcp_url: &str,
    token: Option<&AccessToken>,
    action: Action,
) -> Result<Value, McpFailure> {
    let timeout = ctx.http.limits().timeout;
    let mut config = StreamableHttpClientTransportConfig::with_uri(mcp_url.to_owned());
    config.auth_header = token.map(|t| t.secret().clone());
    config.max_sse_event_size = ctx.http.limits().max_body_bytes;
    let refusal = Refusal::default();
    let problem = Problem::default();
    let nonce_retries = NonceRetries::default();
    let transport = StreamableHttpClientTransport::with_client(
        RecordingClient {
            inner: ctx.http.reqwest(),
            http: ctx.http.clone(),
            refusal: refusal.clone(),
            problem: problem.clone(),
            dpop: ctx.dpop.clone(),
            clock: ctx.clock.clone(),
            nonce_retries: nonce_retries.clone(),
        },
        config,
    );
    let result = session_action(ctx, transport, action, &refusal, &problem, timeout).await;
    nonce_retries.record(ctx);
    result
}

async fn session_action(
    ctx: &mut FlowContext,
    transport: StreamableHttpClientTransport<RecordingClient>,
    action: Action,
    refusal: &Refusal,
    problem: &Problem,
    timeout: Duration,
) -> Result<Value, McpFailure> {
    let failed =
        |ctx: &mut FlowContext, check: &'static checks::CheckDef, error: &str| match refusal.take()
        {
            Some((status, header)) => McpFailure::Challenged {
                check,
                challenge: AuthChallenge { status, header },
            },
            // What the HTTP path found wrong with an answer says more than rmcp's wrapping of
            // it (or than a timeout after rmcp dropped the answer).
            None => {
                let error = problem.take().unwrap_or_else(|| error.to_owned());
                McpFailure::Failed(fail(ctx, check, &error, None))
            }
        };
    // The session's bound leaves the HTTP path's own timeout (the same length, per request)
    // room to end first and say what did not arrive: an open stream, an unfinished body.
    let session = match tokio::time::timeout(timeout + SESSION_GRACE, ().serve(transport)).await {
        Ok(Ok(session)) => session,
        Ok(Err(e)) => return Err(failed(ctx, &checks::MCP_INITIALIZE, &e.to_string())),
        Err(_) => {
            return Err(failed(
                ctx,
                &checks::MCP_INITIALIZE,
                &timed_out(timeout + SESSION_GRACE),
            ));
        }
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
                // The schemas travel with the names, so that a tool call can satisfy them
                // (tool_call::choose); the check records the names only.
                let schemas: Vec<&serde_json::Map<String, Value>> = tools
                    .tools
                    .iter()
                    .map(|t| t.input_schema.as_ref())
                    .collect();
                Ok(json!({ "tools": names, "inputSchemas": schemas }))
            }
            Ok(Err(e)) => Err(failed(ctx, &checks::MCP_TOOLS_LIST, &e.to_string())),
            Err(_) => Err(failed(ctx, &checks::MCP_TOOLS_LIST, &timed_out(timeout))),
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
                // The tool answered: the server accepted the token, whatever the tool made
                // of the call. Its error is the tool's business, not authorization's.
                Ok(Ok(result)) => {
                    let content = serde_json::to_value(&result.content).unwrap_or(Value::Null);
                    Ok(tool_answered_error(ctx, &name, content))
                }
                Ok(Err(rmcp::ServiceError::McpError(error))) if !refusal.is_set() => {
                    let answer = json!({ "code": error.code.0, "message": error.message });
                    Ok(tool_answered_error(ctx, &name, answer))
                }
                Ok(Err(e)) => Err(failed(ctx, &checks::MCP_TOOLS_CALL, &e.to_string())),
                Err(_) => Err(failed(ctx, &checks::MCP_TOOLS_CALL, &timed_out(timeout))),
            }
        }
    };
    let _ = session.cancel().await;
    result
}

/// Records a tool call that reached the tool with the token accepted and got an error from
/// the tool (`isError: true`) or a JSON-RPC error (such as -32602 for its arguments): INFO,
/// since the question the call asks, whether the token is accepted on tool calls, has its
/// answer, and the tool's own answer is quoted for whoever wants it.
fn tool_answered_error(ctx: &mut FlowContext, tool: &str, answer: Value) -> Value {
    let quoted = ctx.http.redactor().text(&answer.to_string());
    ctx.recorder.info(
        &checks::MCP_TOOLS_CALL,
        json!({ "tool": tool, "tokenAccepted": true, "toolError": quoted }),
        format!(
            "the server accepted the access token; the tool {tool:?} answered with an error: {quoted}"
        ),
    );
    json!({ "toolError": answer })
}

/// How much longer than one request's timeout the opening of a session may take.
const SESSION_GRACE: Duration = Duration::from_secs(1);

fn timed_out(timeout: Duration) -> String {
    format!("no answer within {} s", timeout.as_secs())
}

/// A 401 or 403 the MCP server answered, with its `WWW-Authenticate` challenge. rmcp's session
/// errors say only "Auth required", so the transport keeps the answer for the diagnosis.
#[derive(Debug, Clone, Default)]
struct Refusal(Arc<Mutex<Option<(u16, String)>>>);

impl Refusal {
    fn set(&self, status: u16, challenge: &str) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((status, challenge.to_owned()));
    }

    fn take(&self) -> Option<(u16, String)> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    fn is_set(&self) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }
}

/// The first thing the HTTP path found wrong with an MCP answer (an open stream, a body over
/// the cap, a response of another id, ...), as it told rmcp.
#[derive(Debug, Clone, Default)]
struct Problem(Arc<Mutex<Option<String>>>);

impl Problem {
    fn set(&self, problem: &str) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert_with(|| problem.to_owned());
    }

    fn take(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// rmcp's HTTP client: POSTs go through the one HTTP path (`post.rs`), which records them as
/// observed; DELETE and the GET stream use rmcp's reqwest client under the path's scheme and
/// address rules, the DELETE recorded as rmcp reports it.
#[derive(Clone)]
struct RecordingClient {
    inner: reqwest::Client,
    http: HttpClient,
    refusal: Refusal,
    problem: Problem,
    /// The flow's DPoP key, when it uses DPoP: every request with a token carries a proof
    /// and presents the token with the `DPoP` scheme.
    dpop: Option<Arc<DpopKey>>,
    clock: SharedClock,
    nonce_retries: NonceRetries,
}

/// What a DELETE got back, as rmcp reports it.
struct Answer {
    status: u16,
    body: Option<String>,
}

impl Answer {
    fn new(status: u16, body: Option<String>) -> Self {
        Self { status, body }
    }
}

impl RecordingClient {
    /// The one HTTP path's scheme and address rules, applied before rmcp sends anything.
    fn reachable(&self, uri: &str) -> Result<(), String> {
        self.http
            .check_reachable(uri)
            .map(|_| ())
            .map_err(|e| self.http.redactor().text(&e.to_string()))
    }

    /// The headers rmcp's reqwest client sends with a message, as it builds them (accept,
    /// bearer token only when there is one, session ID, rmcp's own headers), redacted.
    fn sent_headers(
        &self,
        method: &str,
        session_id: Option<&str>,
        auth_header: Option<&str>,
        custom_headers: &HashMap<HeaderName, HeaderValue>,
    ) -> Vec<(String, String)> {
        let redactor = self.http.redactor();
        let mut sent = vec![("user-agent".to_owned(), crate::http::USER_AGENT.to_owned())];
        if method != "DELETE" {
            sent.push((
                "accept".to_owned(),
                "text/event-stream, application/json".to_owned(),
            ));
        }
        if let Some(token) = auth_header {
            sent.push((
                "authorization".to_owned(),
                redactor.header("authorization", &format!("{} {token}", self.scheme())),
            ));
        }
        let mut custom: Vec<_> = custom_headers
            .iter()
            .map(|(name, value)| {
                let value = value.to_str().unwrap_or("[not text]");
                (
                    name.as_str().to_owned(),
                    redactor.header(name.as_str(), value),
                )
            })
            .collect();
        custom.sort();
        sent.extend(custom);
        if let Some(session) = session_id {
            sent.push((
                "mcp-session-id".to_owned(),
                redactor.header("mcp-session-id", session),
            ));
        }
        if method == "POST" {
            sent.push(("content-type".to_owned(), "application/json".to_owned()));
        }
        sent
    }

    fn record(
        &self,
        method: &str,
        uri: &str,
        sent: Vec<(String, String)>,
        body: Option<String>,
        outcome: Result<Answer, String>,
    ) {
        let redactor = self.http.redactor();
        let (response, error) = match outcome {
            Ok(answer) => (
                Some(HttpResponseRecord {
                    status: answer.status,
                    headers: Vec::new(),
                    body: answer.body.map(|b| redactor.body(&b)),
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
                headers: sent,
                body: body.map(|b| redactor.body(&b)),
            },
            response,
            error,
            profile: None,
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
        // Body limits are the one HTTP path's cap, applied to the whole answer.
        let _ = limits;
        self.post_through_http_path(
            &uri,
            message,
            session_id.as_deref(),
            auth_header.as_deref(),
            custom_headers,
        )
        .await
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), StreamableHttpError<Self::Error>> {
        let (auth_header, custom_headers) =
            self.with_proof("DELETE", &uri, auth_header, custom_headers);
        let sent = self.sent_headers(
            "DELETE",
            Some(&session_id),
            auth_header.as_deref(),
            &custom_headers,
        );
        if let Err(refused) = self.reachable(&uri) {
            self.record("DELETE", &uri, Vec::new(), None, Err(refused.clone()));
            return Err(StreamableHttpError::UnexpectedServerResponse(
                refused.into(),
            ));
        }
        let result = self
            .inner
            .delete_session(uri.clone(), session_id, auth_header, custom_headers)
            .await;
        let outcome = result
            .as_ref()
            .map(|_| Answer::new(200, None))
            .map_err(|e| e.to_string());
        self.record("DELETE", &uri, sent, None, outcome);
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
        // Not recorded (its timing races the POSTs, which would make reports differ from run
        // to run), but held to the same scheme and address rules.
        if let Err(refused) = self.reachable(&uri) {
            return Err(StreamableHttpError::UnexpectedServerResponse(
                refused.into(),
            ));
        }
        let (auth_header, custom_headers) =
            self.with_proof("GET", &uri, auth_header, custom_headers);
        self.inner
            .get_stream(uri, session_id, last_event_id, auth_header, custom_headers)
            .await
    }
}
