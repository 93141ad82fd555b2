//! rmcp's POST of one MCP message, sent through the one HTTP path: the status, headers and
//! body in the report are the ones observed, and the scheme, address and body-size rules are
//! the path's. The answer is handed to rmcp as its own reqwest client would have: accepted, a
//! JSON message, or the events of an event stream (read until the awaited response arrived).

use std::borrow::Cow;
use std::collections::HashMap;

use futures::StreamExt;
use http::{HeaderName, HeaderValue};
use reqwest::Method;
use reqwest::header::HeaderMap;
use rmcp::model::{ClientJsonRpcMessage, JsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_client::{
    AuthRequiredError, HttpStatusError, InsufficientScopeError, StreamableHttpError,
    StreamableHttpPostResponse,
};
use serde_json::Value;
use sse_stream::{Error as SseError, Sse};

use super::RecordingClient;
use crate::flow::dpop;
use crate::http::{Body, HttpResponse};
use crate::www_authenticate;

type PostResult = Result<StreamableHttpPostResponse, StreamableHttpError<reqwest::Error>>;

impl RecordingClient {
    pub(super) async fn post_through_http_path(
        &self,
        uri: &str,
        message: ClientJsonRpcMessage,
        session_id: Option<&str>,
        auth_header: Option<&str>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> PostResult {
        let result = self
            .post_unexplained(uri, message, session_id, auth_header, custom_headers)
            .await;
        if let Err(StreamableHttpError::UnexpectedServerResponse(problem)) = &result {
            self.problem.set(problem);
        }
        result
    }

    async fn post_unexplained(
        &self,
        uri: &str,
        message: ClientJsonRpcMessage,
        session_id: Option<&str>,
        auth_header: Option<&str>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> PostResult {
        let mut headers = HeaderMap::new();
        headers.insert(
            "accept",
            HeaderValue::from_static("text/event-stream, application/json"),
        );
        if let Some(token) = auth_header {
            let value =
                HeaderValue::from_str(&format!("{} {token}", self.scheme())).map_err(|_| {
                    StreamableHttpError::UnexpectedServerResponse(Cow::from(
                        "the access token is not valid header text",
                    ))
                })?;
            headers.insert("authorization", value);
        }
        for (name, value) in custom_headers {
            headers.insert(name, value);
        }
        if let Some(session) = session_id
            && let Ok(value) = HeaderValue::from_str(session)
        {
            headers.insert("mcp-session-id", value);
        }
        let value = serde_json::to_value(&message).map_err(|e| {
            StreamableHttpError::UnexpectedServerResponse(Cow::Owned(e.to_string()))
        })?;
        // The id of the response this message awaits; notifications and responses await none.
        let awaited = match &message {
            JsonRpcMessage::Request(request) => serde_json::to_value(&request.id).ok(),
            _ => None,
        };
        let mut stop = |body: &[u8]| {
            awaited
                .as_ref()
                .is_some_and(|id| events(body).iter().any(|e| answers(e, id)))
        };
        let mut response = self
            .send_with_proof(uri, auth_header, &headers, &value, &mut stop)
            .await?;
        // RFC 9449 §9: a demanded nonce is supplied once, in a new proof.
        if let Some(key) = &self.dpop
            && auth_header.is_some()
        {
            let fresh = key.keep_nonce(dpop::Server::Resource, &response);
            if fresh && dpop::resource_server_wants_nonce(&response) {
                response = self
                    .send_with_proof(uri, auth_header, &headers, &value, &mut stop)
                    .await?;
                key.keep_nonce(dpop::Server::Resource, &response);
                self.nonce_retries
                    .push(!dpop::resource_server_wants_nonce(&response));
            }
        }
        if let Some(id) = &awaited
            && let Some(problem) = misanswered(&response, id)
        {
            return Err(StreamableHttpError::UnexpectedServerResponse(Cow::Owned(
                problem,
            )));
        }
        self.interpret(response, session_id.is_some(), awaited.is_none())
    }

    /// One POST through the one HTTP path, with a new DPoP proof when the flow uses DPoP.
    async fn send_with_proof(
        &self,
        uri: &str,
        auth_header: Option<&str>,
        headers: &HeaderMap,
        value: &Value,
        stop: &mut (dyn FnMut(&[u8]) -> bool + Send),
    ) -> Result<HttpResponse, StreamableHttpError<reqwest::Error>> {
        let mut headers = headers.clone();
        if let Some(proof) = auth_header.and_then(|token| self.proof("POST", uri, token))
            && let Ok(proof) = HeaderValue::from_str(&proof)
        {
            headers.insert("dpop", proof);
        }
        self.http
            .send_until(
                "mcp",
                Method::POST,
                uri,
                &headers,
                Body::Json(value.clone()),
                stop,
            )
            .await
            .map_err(|e| {
                StreamableHttpError::UnexpectedServerResponse(Cow::Owned(
                    self.http.redactor().text(&e.to_string()),
                ))
            })
    }

    /// What rmcp's own reqwest client makes of an answer (rmcp 3.11), from the observed one.
    fn interpret(
        &self,
        response: HttpResponse,
        session_was_attached: bool,
        awaits_no_response: bool,
    ) -> PostResult {
        let status = response.status.as_u16();
        let challenge = response.www_authenticate();
        match (status, challenge) {
            (401, Some(challenge)) => {
                self.refusal.set(401, &challenge);
                return Err(StreamableHttpError::AuthRequired(AuthRequiredError::new(
                    challenge,
                )));
            }
            (403, Some(challenge)) => {
                self.refusal.set(403, &challenge);
                let scope = www_authenticate::bearer_in([challenge.as_str()])
                    .ok()
                    .flatten()
                    .and_then(|c| c.param("scope").map(str::to_owned));
                return Err(StreamableHttpError::InsufficientScope(
                    InsufficientScopeError::new(challenge, scope),
                ));
            }
            _ => {}
        }
        if status == 202 || status == 204 {
            return Ok(StreamableHttpPostResponse::Accepted);
        }
        if status == 404 && session_was_attached {
            return Err(StreamableHttpError::SessionExpired);
        }
        let session = response.header("mcp-session-id").map(str::to_owned);
        let content_type = response
            .header("content-type")
            .unwrap_or("")
            .to_ascii_lowercase();
        if !response.status.is_success() {
            if let Ok(error @ JsonRpcMessage::Error(_)) =
                serde_json::from_slice::<ServerJsonRpcMessage>(&response.body)
            {
                return Ok(StreamableHttpPostResponse::Json(error, session));
            }
            if status == 429 || status >= 500 {
                let retry_after = response.header("retry-after").map(str::to_owned);
                return Err(HttpStatusError::new(status, retry_after).into());
            }
            let body = self.http.redactor().text(&response.text());
            let body: String = body.chars().take(512).collect();
            return Err(StreamableHttpError::UnexpectedServerResponse(Cow::Owned(
                format!("HTTP {status}: {body}"),
            )));
        }
        if response.body.is_empty() && awaits_no_response {
            return Ok(StreamableHttpPostResponse::Accepted);
        }
        if content_type.starts_with("text/event-stream") {
            let events: Vec<Result<Sse, SseError>> =
                events(&response.body).into_iter().map(Ok).collect();
            return Ok(StreamableHttpPostResponse::Sse(
                futures::stream::iter(events).boxed(),
                session,
            ));
        }
        if content_type.starts_with("application/json") {
            return match serde_json::from_slice::<ServerJsonRpcMessage>(&response.body) {
                Ok(message) => Ok(StreamableHttpPostResponse::Json(message, session)),
                Err(_) if awaits_no_response => Ok(StreamableHttpPostResponse::Accepted),
                Err(e) => Err(StreamableHttpError::UnexpectedServerResponse(Cow::Owned(
                    format!("the JSON answer is not a JSON-RPC message: {e}"),
                ))),
            };
        }
        if awaits_no_response {
            return Ok(StreamableHttpPostResponse::Accepted);
        }
        Err(StreamableHttpError::UnexpectedContentType(
            (!content_type.is_empty()).then_some(content_type),
        ))
    }
}

/// What is wrong with a successful answer that does not bring the response to request `id`
/// although it brings a response (JSON-RPC 2.0 §5: a response repeats its request's id;
/// MCP's streamable HTTP answers one request with one response, and has no batches since
/// 2025-06-18). `None` when the answer brings the response, or nothing that claims to be one.
fn misanswered(response: &HttpResponse, id: &Value) -> Option<String> {
    if !response.status.is_success() {
        return None;
    }
    let content_type = response
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    let messages: Vec<Value> = if content_type.starts_with("text/event-stream") {
        let events = events(&response.body);
        if events.iter().any(|e| answers(e, id)) {
            return None;
        }
        events
            .iter()
            .filter_map(|e| e.data.as_deref())
            .filter_map(|d| serde_json::from_str(d).ok())
            .collect()
    } else if content_type.starts_with("application/json") {
        serde_json::from_slice(&response.body)
            .ok()
            .into_iter()
            .collect()
    } else {
        return None;
    };
    let is_response = |m: &Value| m.get("result").is_some() || m.get("error").is_some();
    messages.iter().find_map(|message| match message {
        Value::Array(batch) => Some(format!(
            "the answer to request id {id} is a JSON array (a JSON-RPC batch of {} messages) where one response was expected; MCP's streamable HTTP answers a request with its single response and has had no batches since 2025-06-18",
            batch.len()
        )),
        m if is_response(m) && m.get("id") != Some(id) => Some(format!(
            "the answer to request id {id} is a response with id {}; JSON-RPC 2.0 §5 requires a response to repeat its request's id",
            m.get("id").map_or_else(|| "(none)".to_owned(), short)
        )),
        _ => None,
    })
}

/// A JSON value for a message, kept short: a hostile server's text stays short.
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 {
        text.chars().take(40).collect::<String>() + "…"
    } else {
        text
    }
}

/// Whether an event carries the JSON-RPC response (or error) to the request with this id.
fn answers(event: &Sse, id: &Value) -> bool {
    event
        .data
        .as_deref()
        .and_then(|d| serde_json::from_str::<Value>(d).ok())
        .is_some_and(|m| {
            m.get("id") == Some(id) && (m.get("result").is_some() || m.get("error").is_some())
        })
}

/// The complete events of an event stream read so far (WHATWG HTML §9.2.6): an event ends at
/// a blank line; an unfinished last event is not an event yet.
fn events(body: &[u8]) -> Vec<Sse> {
    let text = String::from_utf8_lossy(body);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut events = Vec::new();
    let mut current = Sse::default();
    let mut started = false;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            if started {
                events.push(std::mem::take(&mut current));
                started = false;
            }
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        started = true;
        match field {
            "data" => match &mut current.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => current.data = Some(value.to_owned()),
            },
            "event" => current.event = Some(value.to_owned()),
            "id" => current.id = Some(value.to_owned()),
            "retry" => current.retry = value.parse().ok(),
            _ => {}
        }
    }
    // The text after the last blank line is an unfinished event: not dispatched.
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_end_at_blank_lines_and_join_data_lines() {
        let body = b"id: 0\nretry: 3000\ndata:\n\n: comment\ndata: {\"id\":1,\ndata: \"result\":{}}\n\nevent: late\ndata: x";
        let events = events(body);
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(events[0].id.as_deref(), Some("0"));
        assert_eq!(events[0].retry, Some(3000));
        assert_eq!(
            events[1].data.as_deref(),
            Some("{\"id\":1,\n\"result\":{}}")
        );
        assert!(answers(&events[1], &json!(1)));
        assert!(!answers(&events[1], &json!(2)));
        assert!(!answers(&events[0], &json!(1)));
    }

    fn answer(content_type: &str, body: &str) -> HttpResponse {
        HttpResponse {
            url: "http://127.0.0.1:1/mcp".to_owned(),
            status: reqwest::StatusCode::OK,
            headers: crate::http::headers(&[("content-type", content_type)]),
            body: bytes::Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn a_response_with_another_id_or_a_batch_is_named() {
        let id = json!(0);
        let json = |body: &str| misanswered(&answer("application/json", body), &id);
        assert_eq!(json(r#"{"jsonrpc":"2.0","id":0,"result":{}}"#), None);
        assert!(
            json(r#"{"jsonrpc":"2.0","id":"x","result":{}}"#)
                .unwrap()
                .contains("with id \"x\"")
        );
        assert!(
            json(r#"[{"jsonrpc":"2.0","id":0,"result":{}}]"#)
                .unwrap()
                .contains("JSON-RPC batch of 1")
        );
        // A notification is no response: not judged here.
        assert_eq!(
            json(r#"{"jsonrpc":"2.0","method":"notifications/message"}"#),
            None
        );
        let sse = |body: &str| misanswered(&answer("text/event-stream", body), &id);
        assert_eq!(
            sse("data: {\"id\":5,\"result\":{}}\n\ndata: {\"id\":0,\"result\":{}}\n\n"),
            None
        );
        assert!(
            sse("data: {\"id\":5,\"result\":{}}\n\n")
                .unwrap()
                .contains("with id 5")
        );
    }

    #[test]
    fn crlf_streams_are_read_too() {
        let events = events(b"data: {\"id\":\"a\",\"error\":{}}\r\n\r\n");
        assert!(answers(&events[0], &json!("a")));
    }
}
