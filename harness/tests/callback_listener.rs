//! The loopback callback listener that receives the authorization response in browser and
//! `--authorize-with` consents: it listens on loopback only, answers what is not an
//! authorization response with a page and goes on waiting, tells the person what happened
//! without echoing the code, stops with the consent, and waits no longer than its timeout.

use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

use mcp_oauth_harness::user_agent::LoopbackCallback;

async fn get(port: u16, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}{path}"))
        .send()
        .await
        .expect("the listener answers")
}

/// This machine's address on its default route, when it has one other than loopback. A UDP
/// "connect" sends nothing; it only picks the source address.
fn non_loopback_address() -> Option<IpAddr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[tokio::test]
async fn the_listener_is_reachable_on_loopback_only() {
    let callback = LoopbackCallback::new(0).unwrap();
    let _waiter = callback.listen().await.unwrap();
    let port = callback.port();
    assert!(callback.redirect_uri().starts_with("http://127.0.0.1:"));
    assert!(TcpStream::connect(("127.0.0.1", port)).is_ok());
    match non_loopback_address() {
        Some(ip) => {
            let reached =
                TcpStream::connect_timeout(&SocketAddr::new(ip, port), Duration::from_secs(5));
            assert!(reached.is_err(), "the callback answered on {ip}:{port}");
        }
        None => eprintln!(
            "callback_listener: this machine has no non-loopback address; only loopback reachability was checked"
        ),
    }
}

#[tokio::test]
async fn unrelated_requests_get_a_page_and_the_consent_goes_on() {
    let callback = LoopbackCallback::new(0).unwrap();
    let mut waiter = callback.listen().await.unwrap();
    let port = callback.port();

    let favicon = get(port, "/favicon.ico").await;
    assert_eq!(favicon.status(), 404);
    assert!(
        favicon
            .text()
            .await
            .unwrap()
            .contains("only the OAuth callback")
    );
    let bare = get(port, "/callback?foo=bar").await;
    assert_eq!(bare.status(), 400);
    assert!(
        bare.text()
            .await
            .unwrap()
            .contains("Not an authorization response")
    );
    assert_eq!(waiter.try_next(), None, "neither request ends the consent");

    let answer = get(port, "/callback?code=secret-code-123&state=s1").await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["cache-control"], "no-store");
    assert_eq!(answer.headers()["referrer-policy"], "no-referrer");
    let page = answer.text().await.unwrap();
    assert!(page.contains("You can close this tab"), "{page}");
    assert!(
        !page.contains("secret-code-123"),
        "the page echoes the code"
    );
    let received = waiter.next().await.expect("the authorization response");
    assert_eq!(
        received,
        format!("http://127.0.0.1:{port}/callback?code=secret-code-123&state=s1")
    );

    // An error response is an authorization response too: the flow reports it.
    let denied = get(port, "/callback?error=access_denied&state=s1").await;
    assert_eq!(denied.status(), 200);
    assert!(waiter.next().await.unwrap().contains("error=access_denied"));
}

#[tokio::test]
async fn the_listener_stops_with_the_consent() {
    // A fixed port is bound only while a consent waits, so that runs can take turns on it.
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let callback = LoopbackCallback::new(port).unwrap();
    let waiter = callback.listen().await.unwrap();
    assert_eq!(get(port, "/favicon.ico").await.status(), 404);
    drop(waiter);
    // Graceful shutdown is asynchronous: wait for the refusal, bounded.
    let mut closed = false;
    for _ in 0..200 {
        if TcpStream::connect(("127.0.0.1", port)).is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(closed, "the listener still accepts after the consent ended");
    // And the port is free for the next consent.
    let again = callback.listen().await.unwrap();
    drop(again);
}

#[tokio::test]
async fn the_wait_ends_at_the_timeout() {
    let callback = LoopbackCallback::new(0).unwrap();
    let mut waiter = callback.listen().await.unwrap();
    let started = std::time::Instant::now();
    // Nobody answers: the wait gives up at its timeout (a lower bound only, so a busy machine
    // cannot make this fail).
    assert_eq!(waiter.wait(Duration::from_millis(200)).await, None);
    assert!(started.elapsed() >= Duration::from_millis(200));
}
