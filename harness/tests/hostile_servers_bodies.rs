//! Hostile bodies and connections: endless, huge, compressed, drip-fed, cut off. Each run ends
//! within its timeout or at the body cap, with a diagnosis that names what the server did.

#[path = "common/hostile.rs"]
mod hostile;

use std::time::Duration;

use hostile::{Answer, BODY_CAP, connect, hostile_metadata, response};

/// A body that deflates to `inflated` zero bytes: the classic compression bomb.
fn zeros(inflated: usize) -> Vec<u8> {
    vec![0u8; inflated]
}

#[tokio::test]
async fn an_endless_chunked_body_is_cut_at_the_cap() {
    let server = hostile_metadata(|_| Answer::EndlessChunked {
        head: "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n".into(),
        chunk: 8192,
    })
    .await;
    let run = connect(&format!("{}/mcp", server.uri())).await;
    assert_eq!(run.diagnosis().code, "discovery-failed");
    run.names(&[&format!("larger than {BODY_CAP} bytes")]);
}

#[tokio::test]
async fn a_gigabyte_content_length_is_refused_without_reading_it() {
    let server = hostile_metadata(|_| Answer::EndlessChunked {
        // Declares a gigabyte and starts sending it (as one endless run of chunk framing
        // that the declared length makes plain data).
        head: "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1073741824\r\n\r\n".into(),
        chunk: 8192,
    })
    .await;
    let run = connect(&format!("{}/mcp", server.uri())).await;
    assert_eq!(run.diagnosis().code, "discovery-failed");
    run.names(&[&format!("larger than {BODY_CAP} bytes")]);
}

#[tokio::test]
async fn a_gzip_bomb_is_refused_undecoded() {
    // The client asks for no encoding and decodes none: an encoded body is refused as such,
    // so the inflated size never matters and the raw body is never read past the head.
    let bomb = zeros(BODY_CAP * 4);
    let server = hostile_metadata(move |_| {
        response(
            "200 OK",
            &[
                ("content-type", "application/json"),
                ("content-encoding", "gzip"),
            ],
            &bomb,
        )
    })
    .await;
    let run = connect(&format!("{}/mcp", server.uri())).await;
    assert_eq!(run.diagnosis().code, "discovery-failed");
    run.names(&["content-encoding gzip", "does not decode"]);
}

#[tokio::test]
async fn a_deflate_bomb_is_refused_undecoded() {
    let server = hostile_metadata(|_| {
        response(
            "200 OK",
            &[
                ("content-type", "application/json"),
                ("content-encoding", "deflate"),
            ],
            &zeros(1024),
        )
    })
    .await;
    let run = connect(&format!("{}/mcp", server.uri())).await;
    assert_eq!(run.diagnosis().code, "discovery-failed");
    run.names(&["content-encoding deflate"]);
}

#[tokio::test]
async fn a_drip_fed_body_ends_at_the_timeout() {
    // The head at once, then the body a byte every 300 ms: never stalled long, never done.
    let server = hostile_metadata(|_| Answer::Drip {
        head: b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n"
            .to_vec(),
        bytes: vec![b' '; 100],
        every: Duration::from_millis(300),
    })
    .await;
    let run = connect(&format!("{}/mcp", server.uri())).await;
    assert_eq!(run.diagnosis().code, "discovery-failed");
    run.names(&["answered, but its body did not arrive in full within 1 s"]);
}

#[tokio::test]
async fn a_slowloris_head_ends_at_the_timeout() {
    let server = hostile_metadata(|_| {
        let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
        head.extend(b"x-slow: ".iter().chain(&[b'a'; 200]));
        Answer::Drip {
            head: Vec::new(),
            bytes: head,
            every: Duration::from_millis(50),
        }
    })
    .await;
    let run = connect(&format!("{}/mcp", server.uri())).await;
    assert_eq!(run.diagnosis().code, "discovery-failed");
    run.names(&["did not answer within 1 s"]);
}

#[tokio::test]
async fn a_reset_in_the_middle_of_a_body_is_named() {
    let server = hostile_metadata(|_| {
        let mut bytes =
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n{\"resource\":"
                .to_vec();
        bytes.extend(std::iter::repeat_n(b' ', 500));
        Answer::ResetAfter(bytes)
    })
    .await;
    let run = connect(&format!("{}/mcp", server.uri())).await;
    assert_eq!(run.diagnosis().code, "discovery-failed");
    run.names(&["connection", "reset"]);
}

#[tokio::test]
async fn a_body_cut_short_of_its_length_is_named() {
    let server = hostile_metadata(|_| {
        Answer::Bytes(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n{\"resource\":".to_vec(),
        )
    })
    .await;
    let run = connect(&format!("{}/mcp", server.uri())).await;
    assert_eq!(run.diagnosis().code, "discovery-failed");
    run.names(&["body"]);
}

#[tokio::test]
async fn a_server_that_closes_without_answering_is_named() {
    let server = hostile_metadata(|_| Answer::Bytes(Vec::new())).await;
    let run = connect(&format!("{}/mcp", server.uri())).await;
    assert_eq!(run.diagnosis().code, "discovery-failed");
    run.names(&["closed"]);
}
