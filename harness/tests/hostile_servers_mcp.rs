//! Hostile MCP answers after a successful OAuth flow: `initialize` answered with an event
//! stream that never ends, with a response of another id, or with a batch. Each run ends
//! within its timeout (and the session's grace) with a diagnosis that names what was wrong.

#[path = "common/hostile.rs"]
mod hostile;

use std::time::Duration;

use hostile::{
    Answer, connect_and_test, initialize_result, mcp_ok, provider, response, token_answer,
};
use serde_json::json;

const TOKENS: &str =
    r#"{"access_token":"at-hostile-mcp-0001","token_type":"Bearer","expires_in":3600}"#;

/// The flow against a provider whose MCP endpoint answers `initialize` by `initialize`, and
/// every other message as a working server does.
async fn initialize_answered(
    initialize: impl Fn(&serde_json::Value) -> Answer + Send + Sync + 'static,
) -> hostile::Run {
    let server = provider(
        |_| token_answer(TOKENS),
        move |request| {
            let message = request.json();
            if message["method"] == "initialize" {
                initialize(&message["id"])
            } else {
                mcp_ok(request)
            }
        },
    )
    .await;
    let run = connect_and_test(&format!("{}/mcp", server.uri())).await;
    assert_eq!(
        run.check("token-exchange").map(|c| c.status),
        Some(mcp_oauth_reports::Status::Success),
        "the OAuth part worked: {}",
        run.explanation()
    );
    run
}

fn event_stream_head() -> String {
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n".to_owned()
}

#[tokio::test]
async fn a_working_mcp_server_connects() {
    // The control: the same provider answering initialize well connects.
    let run = initialize_answered(|id| {
        hostile::json(&json!({ "jsonrpc": "2.0", "id": id, "result": initialize_result() }))
    })
    .await;
    assert!(run.result.is_ok(), "{}", run.explanation());
}

#[tokio::test]
async fn an_event_stream_that_never_ends_is_named() {
    // Keep-alive comments, a little at a time, and never the response: the stream stays open.
    let run = initialize_answered(|_| {
        let comment = b": still here\n\n";
        let chunk = format!(
            "{:x}\r\n{}\r\n",
            comment.len(),
            String::from_utf8_lossy(comment)
        );
        Answer::Drip {
            head: event_stream_head().into_bytes(),
            bytes: chunk.repeat(1000).into_bytes(),
            every: Duration::from_millis(5),
        }
    })
    .await;
    assert_eq!(run.diagnosis().code, "mcp-error");
    run.names(&[
        "mcp-initialize",
        "event stream that was still open after 1 s without the awaited message",
    ]);
    assert!(
        run.diagnosis()
            .message
            .starts_with("The MCP request failed: http://127.0.0.1:"),
        "the HTTP path's words, not the SDK's wrapping: {}",
        run.diagnosis().message
    );
}

#[tokio::test]
async fn an_endless_event_stream_is_bounded_by_the_body_cap() {
    let run = initialize_answered(|_| Answer::EndlessChunked {
        head: event_stream_head(),
        chunk: 4096,
    })
    .await;
    assert_eq!(run.diagnosis().code, "mcp-error");
    run.names(&["mcp-initialize", "larger than 65536 bytes"]);
}

#[tokio::test]
async fn a_response_with_the_wrong_id_is_named() {
    let run = initialize_answered(|_| {
        hostile::json(
            &json!({ "jsonrpc": "2.0", "id": "not-your-request", "result": initialize_result() }),
        )
    })
    .await;
    assert_eq!(run.diagnosis().code, "mcp-error");
    run.names(&[
        "mcp-initialize",
        "response with id \"not-your-request\"",
        "repeat its request's id",
    ]);
}

#[tokio::test]
async fn a_response_with_the_wrong_id_in_an_event_stream_is_named() {
    let run = initialize_answered(|_| {
        let data = json!({ "jsonrpc": "2.0", "id": 4242, "result": initialize_result() });
        response(
            "200 OK",
            &[("content-type", "text/event-stream")],
            format!("event: message\ndata: {data}\n\n").as_bytes(),
        )
    })
    .await;
    assert_eq!(run.diagnosis().code, "mcp-error");
    run.names(&["mcp-initialize", "response with id 4242"]);
}

#[tokio::test]
async fn a_batch_where_one_response_was_expected_is_named() {
    let run = initialize_answered(|id| {
        hostile::json(&json!([
            { "jsonrpc": "2.0", "id": id, "result": initialize_result() },
            { "jsonrpc": "2.0", "method": "notifications/message", "params": { "level": "info", "data": "hi" } },
        ]))
    })
    .await;
    assert_eq!(run.diagnosis().code, "mcp-error");
    run.names(&[
        "mcp-initialize",
        "JSON-RPC batch of 2 messages",
        "one response was expected",
    ]);
}
