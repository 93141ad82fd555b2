//! What the hostile-client tests share: mocks on loopback, a well-behaved OAuth client for the
//! happy path, and a raw TCP client for what reqwest cannot be made to send.

#![allow(dead_code)]

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mcp_oauth_mocks::clock::SimulatedClock;
use mcp_oauth_mocks::{ConnectionLimits, MockConfig, MockServers};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const REDIRECT_URI: &str = "http://127.0.0.1:33418/callback";
/// RFC 7636 Appendix B.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// The hang guard of every raw exchange: generous, never a speed assertion.
pub const GUARD: Duration = Duration::from_secs(60);

pub struct Mocks {
    pub servers: MockServers,
    pub clock: SimulatedClock,
    pub http: reqwest::Client,
}

pub async fn start(config: MockConfig) -> Mocks {
    start_with_limits(config, ConnectionLimits::default()).await
}

pub async fn start_with_limits(config: MockConfig, limits: ConnectionLimits) -> Mocks {
    let clock = SimulatedClock::default();
    let servers = MockServers::start_with_limits(config, clock.shared(), limits)
        .await
        .expect("mock servers start");
    // No kept-alive connections: a test with a short header-read timeout has the server
    // close idle ones, and a pooled connection closed as a request goes out fails with
    // IncompleteMessage (seen in CI), which says nothing about the server.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .expect("HTTP client");
    Mocks {
        servers,
        clock,
        http,
    }
}

impl Mocks {
    pub fn endpoint(&self, name: &str) -> String {
        format!("{}/{name}", self.servers.issuer())
    }

    /// `host:port` of the authorization server.
    pub fn as_addr(&self) -> String {
        host_port(self.servers.auth_server().origin())
    }

    /// `host:port` of the MCP server.
    pub fn rs_addr(&self) -> String {
        host_port(self.servers.resource_server().origin())
    }

    /// The path part of an endpoint URL.
    pub fn path_of(&self, url: &str) -> String {
        url::Url::parse(url)
            .expect("absolute URL")
            .path()
            .to_owned()
    }

    pub async fn register(&self) -> String {
        let response = self
            .http
            .post(self.endpoint("register"))
            .json(&json!({
                "redirect_uris": [REDIRECT_URI],
                "token_endpoint_auth_method": "none",
            }))
            .send()
            .await
            .expect("registration request");
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.expect("registration JSON");
        body["client_id"].as_str().expect("client_id").to_owned()
    }

    pub async fn code(&self, client_id: &str) -> String {
        self.code_with(client_id, &[]).await
    }

    /// An authorization code for `client_id`, with `extra` parameters on the request.
    pub async fn code_with(&self, client_id: &str, extra: &[(&str, &str)]) -> String {
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
        let mut query = vec![
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT_URI),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("state", "s"),
        ];
        query.extend_from_slice(extra);
        let response = self
            .http
            .get(self.endpoint("authorize"))
            .query(&query)
            .send()
            .await
            .expect("authorization request");
        assert_eq!(response.status(), StatusCode::FOUND);
        let location = response.headers()["location"].to_str().expect("Location");
        url::Url::parse(location)
            .expect("absolute Location")
            .query_pairs()
            .find(|(n, _)| n == "code")
            .expect("code in the redirect")
            .1
            .into_owned()
    }

    pub async fn token(&self, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.endpoint("token"))
            .form(form)
            .send()
            .await
            .expect("token request");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn redeem(&self, client_id: &str, code: &str) -> (StatusCode, Value) {
        self.token(&redemption(client_id, code)).await
    }

    pub async fn refresh(&self, client_id: &str, refresh_token: &str) -> (StatusCode, Value) {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client_id),
        ])
        .await
    }

    /// Registers, authorizes and redeems: `(client_id, code, token response)`.
    pub async fn tokens(&self) -> (String, String, Value) {
        let client_id = self.register().await;
        let code = self.code(&client_id).await;
        let (status, body) = self.redeem(&client_id, &code).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        (client_id, code, body)
    }
}

impl Mocks {
    /// Registers, authorizes and redeems for the MCP server as the `resource` (RFC 8707), so
    /// that the access token is one the MCP server accepts: `(client_id, code, response)`.
    pub async fn tokens_for_the_mcp_server(&self) -> (String, String, Value) {
        let resource = self.servers.mcp_url();
        let client_id = self.register().await;
        let code = self.code_with(&client_id, &[("resource", &resource)]).await;
        let mut form = redemption(&client_id, &code);
        form.push(("resource", &resource));
        let (status, body) = self.token(&form).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        (client_id, code, body)
    }

    /// The MCP server's status for an `initialize` carrying `access_token`.
    pub async fn mcp_status(&self, access_token: &str) -> StatusCode {
        self.http
            .post(self.servers.mcp_url())
            .bearer_auth(access_token)
            .header("accept", "application/json, text/event-stream")
            .json(&json!({
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "hostile-clients", "version": "0"}
                }
            }))
            .send()
            .await
            .expect("MCP request")
            .status()
    }
}

pub fn redemption<'a>(client_id: &'a str, code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", VERIFIER),
        ("client_id", client_id),
    ]
}

fn host_port(origin: &str) -> String {
    origin.trim_start_matches("http://").to_owned()
}

/// An answer read off a raw socket.
#[derive(Debug)]
pub struct RawAnswer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl RawAnswer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// Reads one HTTP/1.1 answer from `stream`: up to its end, or until the connection closes or
/// is reset (a server that refuses a body unread may reset once it has answered).
pub async fn read_answer(stream: &mut (impl AsyncRead + Unpin)) -> RawAnswer {
    let read = async {
        let mut bytes = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            if let Some(answer) = complete_answer(&bytes) {
                return Some(answer);
            }
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return complete_answer(&bytes).or_else(|| partial(&bytes)),
                Ok(n) => bytes.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(GUARD, read)
        .await
        .expect("the server answers within the hang guard")
        .expect("the server answered with an HTTP head")
}

fn split_head(bytes: &[u8]) -> Option<(String, &[u8])> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    Some((
        String::from_utf8_lossy(&bytes[..end]).into_owned(),
        &bytes[end + 4..],
    ))
}

fn status_of(head: &str) -> Option<u16> {
    head.split(' ').nth(1)?.parse().ok()
}

fn complete_answer(bytes: &[u8]) -> Option<RawAnswer> {
    let (head, rest) = split_head(bytes)?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    (rest.len() >= length).then(|| RawAnswer {
        status: status_of(&head).unwrap_or(0),
        body: String::from_utf8_lossy(&rest[..length]).into_owned(),
        head,
    })
}

fn partial(bytes: &[u8]) -> Option<RawAnswer> {
    let (head, rest) = split_head(bytes)?;
    Some(RawAnswer {
        status: status_of(&head)?,
        body: String::from_utf8_lossy(rest).into_owned(),
        head,
    })
}

/// Sends `head` (the request line and headers, without the blank line) and `body` on a new
/// connection to `addr`, and reads the answer.
pub async fn raw_request(addr: &str, head: &str, body: &[u8]) -> RawAnswer {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut request = format!("{head}\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    request.extend_from_slice(body);
    stream.write_all(&request).await.expect("write request");
    read_answer(&mut stream).await
}
