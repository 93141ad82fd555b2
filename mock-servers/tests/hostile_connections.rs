//! Clients that open connections and leave them idle, or drip a request head or body: the mocks close
//! them after the header-read timeout, serve a bounded number at once, and answer a
//! well-behaved client meanwhile.

mod common;

use std::time::Duration;

use common::{GUARD, Mocks, start_with_limits};
use mcp_oauth_mocks::{ConnectionLimits, MockConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

/// Short enough that a test waits for it, long enough that a busy machine sends a request head
/// in time.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(2);

async fn idle_connections(addr: &str, count: usize) -> Vec<TcpStream> {
    let mut connections = Vec::with_capacity(count);
    for _ in 0..count {
        connections.push(TcpStream::connect(addr).await.expect("connect"));
    }
    connections
}

/// Waits until the server closes `stream` (end of stream or reset) and returns when it did.
async fn closed_by_server(stream: &mut TcpStream) -> Instant {
    let mut buf = [0u8; 1024];
    let closed = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return Instant::now(),
                // A 408 or similar answer before closing is fine.
                Ok(_) => {}
            }
        }
    };
    timeout(GUARD, closed)
        .await
        .expect("the server closes an idle connection within the hang guard")
}

async fn metadata_status(mocks: &Mocks) -> u16 {
    let url = mocks
        .servers
        .auth_server()
        .metadata_url()
        .expect("metadata is served");
    timeout(GUARD, mocks.http.get(url).send())
        .await
        .expect("answered within the hang guard")
        .expect("metadata request")
        .status()
        .as_u16()
}

#[tokio::test]
async fn hundreds_of_idle_connections_leave_the_servers_answering_and_are_closed() {
    let limits = ConnectionLimits {
        header_read_timeout: HEADER_READ_TIMEOUT,
        ..ConnectionLimits::default()
    };
    let mocks = start_with_limits(MockConfig::default(), limits).await;
    let mut idle = idle_connections(&mocks.as_addr(), 300).await;
    idle.extend(idle_connections(&mocks.rs_addr(), 300).await);

    // Meanwhile a well-behaved client gets its whole flow.
    let (_, _, tokens) = mocks.tokens().await;
    assert!(tokens["access_token"].is_string(), "{tokens}");

    // Idle connections are not kept: the server closes every one of them.
    for stream in &mut idle {
        closed_by_server(stream).await;
    }
    assert_eq!(metadata_status(&mocks).await, 200);
}

#[tokio::test]
async fn a_drip_fed_request_head_is_cut_off_at_the_header_read_timeout() {
    let limits = ConnectionLimits {
        header_read_timeout: HEADER_READ_TIMEOUT,
        ..ConnectionLimits::default()
    };
    let mocks = start_with_limits(MockConfig::default(), limits).await;
    let mut slowloris = TcpStream::connect(mocks.as_addr()).await.expect("connect");
    slowloris
        .write_all(b"GET /.well-known/oauth-authorization-server HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write a partial head");
    let started = Instant::now();
    // One header line per half second; the head never ends.
    let drip = async {
        for i in 0.. {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if slowloris
                .write_all(format!("X-Drip-{i}: a\r\n").as_bytes())
                .await
                .is_err()
            {
                return;
            }
        }
    };
    timeout(GUARD, drip)
        .await
        .expect("the server stops taking the drip within the hang guard");
    assert!(
        started.elapsed() >= HEADER_READ_TIMEOUT,
        "closed before the header-read timeout: {:?}",
        started.elapsed()
    );
    assert_eq!(metadata_status(&mocks).await, 200);
}

#[tokio::test]
async fn beyond_the_connection_limit_a_client_waits_for_an_idle_one_to_be_closed() {
    let limits = ConnectionLimits {
        header_read_timeout: HEADER_READ_TIMEOUT,
        max_connections: 4,
        ..ConnectionLimits::default()
    };
    let mocks = start_with_limits(MockConfig::default(), limits).await;
    let mut idle = idle_connections(&mocks.as_addr(), 4).await;
    // Let the server take all four before the fifth arrives.
    let mut first_closed = None;
    let request = metadata_status(&mocks);
    tokio::pin!(request);
    let status = loop {
        tokio::select! {
            status = &mut request => break status,
            at = closed_by_server(&mut idle[0]), if first_closed.is_none() => {
                first_closed = Some(at);
            }
        }
    };
    let answered = Instant::now();
    assert_eq!(status, 200);
    let first_closed = first_closed
        .expect("the fifth connection was served while four idle ones held every slot: no limit");
    assert!(first_closed <= answered);
}

#[tokio::test]
async fn a_drip_fed_request_body_is_cut_off_at_the_body_read_timeout() {
    let limits = ConnectionLimits {
        body_read_timeout: Duration::from_millis(500),
        ..ConnectionLimits::default()
    };
    let mocks = start_with_limits(MockConfig::default(), limits).await;
    let mut slow = TcpStream::connect(mocks.as_addr()).await.expect("connect");
    // The head is whole and prompt; the body it announces never comes in full.
    slow.write_all(
        b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=",
    )
    .await
    .expect("write the head and a start of the body");
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = async {
        let mut buf = [0u8; 1024];
        loop {
            match slow.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    };
    timeout(GUARD, read)
        .await
        .expect("the server gives up on the body within the hang guard");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let log = mocks.servers.log();
    assert_eq!(log.count(|r| r.path == "/token" && r.status == 408), 1);
    assert_eq!(metadata_status(&mocks).await, 200);
}

/// Behind the TLS front, a connection that sends nothing, or the first byte of a handshake and
/// no more, is closed at the header-read timeout like any idle one: neither the peek at its
/// first byte nor the handshake waits longer.
#[tokio::test]
async fn the_tls_front_closes_silent_and_stalled_handshakes_at_the_header_read_timeout() {
    let limits = ConnectionLimits {
        header_read_timeout: HEADER_READ_TIMEOUT,
        ..ConnectionLimits::default()
    };
    let mut config = MockConfig::default();
    config.resource_server.tls_terminating_proxy =
        Some(mcp_oauth_mocks::config::TlsProxy::ForwardedProtoIgnored);
    let mocks = start_with_limits(config, limits).await;
    let started = Instant::now();
    let mut silent = TcpStream::connect(mocks.rs_addr()).await.expect("connect");
    let mut stalled = TcpStream::connect(mocks.rs_addr()).await.expect("connect");
    // A TLS record header announcing a handshake, and nothing after it.
    stalled
        .write_all(&[22, 3, 1, 0, 200])
        .await
        .expect("write a partial record");
    for stream in [&mut silent, &mut stalled] {
        let closed = closed_by_server(stream).await;
        assert!(
            closed.duration_since(started) >= HEADER_READ_TIMEOUT,
            "closed before the header-read timeout: {:?}",
            closed.duration_since(started)
        );
    }
}
