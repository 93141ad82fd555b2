//! Test support for the hostile-server tests: a raw TCP server that can misbehave below HTTP
//! (drip, reset, endless bodies, broken heads), the client flow run against it with small
//! limits, and the three things every hostile test asserts: the diagnosis names the problem,
//! the run ends within a generous bound of its timeout, and nothing panicked.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use mcp_oauth_harness::flow::{ClientFlow, ClientOptions, Pauses};
use mcp_oauth_harness::http::{HttpClient, HttpLimits};
use mcp_oauth_harness::profile;
use mcp_oauth_harness::redact::Redactor;
use mcp_oauth_harness::user_agent::UserAgent;
use mcp_oauth_mocks::clock::SimulatedClock;
use mcp_oauth_reports::{Check, Diagnosis, Status};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The timeout every hostile test gives the client.
pub const TIMEOUT: Duration = Duration::from_secs(1);
/// The body cap every hostile test gives the client.
pub const BODY_CAP: usize = 64 * 1024;
/// The bound on a whole run: generous, so that a slow machine never fails it, yet far below
/// what an unbounded read or a missing timeout would take.
pub const RUN_BOUND: Duration = Duration::from_secs(20);

pub fn limits() -> HttpLimits {
    HttpLimits {
        timeout: TIMEOUT,
        max_body_bytes: BODY_CAP,
    }
}

/// One request as the raw server read it.
#[derive(Debug, Clone)]
pub struct RawRequest {
    pub method: String,
    pub path: String,
    pub head: String,
    pub body: Vec<u8>,
}

impl RawRequest {
    /// The body as JSON, `Null` when it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }

    /// A query parameter of the request's path.
    pub fn query(&self, name: &str) -> Option<String> {
        let (_, query) = self.path.split_once('?')?;
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.into_owned())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// What the raw server does with a request.
pub enum Answer {
    /// Writes these bytes, then closes.
    Bytes(Vec<u8>),
    /// Writes the head, then chunks of `chunk` bytes until the client goes away.
    EndlessChunked { head: String, chunk: usize },
    /// Writes `head` at once, then `bytes` one at a time, `every` apart.
    Drip {
        head: Vec<u8>,
        bytes: Vec<u8>,
        every: Duration,
    },
    /// Writes the bytes, then resets the connection (RST, not FIN).
    ResetAfter(Vec<u8>),
}

/// A complete response with a body.
pub fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    let mut head = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("connection: close\r\n\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    Answer::Bytes(bytes)
}

pub fn json(body: &serde_json::Value) -> Answer {
    response(
        "200 OK",
        &[("content-type", "application/json")],
        body.to_string().as_bytes(),
    )
}

type Handler = dyn Fn(&RawRequest, &str) -> Answer + Send + Sync;

/// A server on 127.0.0.1 answering each request with `handler(request, own base URL)`.
pub struct RawServer {
    pub addr: SocketAddr,
    pub requests: Arc<Mutex<Vec<RawRequest>>>,
}

impl RawServer {
    pub async fn start(
        handler: impl Fn(&RawRequest, &str) -> Answer + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let base = format!("http://{addr}");
        let handler: Arc<Handler> = Arc::new(handler);
        let requests: Arc<Mutex<Vec<RawRequest>>> = Arc::default();
        let seen = requests.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let handler = handler.clone();
                let base = base.clone();
                let seen = seen.clone();
                tokio::spawn(async move { serve(stream, &*handler, &base, &seen).await });
            }
        });
        Self { addr, requests }
    }

    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<RawRequest> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

async fn serve(
    mut stream: TcpStream,
    handler: &Handler,
    base: &str,
    seen: &Mutex<Vec<RawRequest>>,
) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    seen.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(request.clone());
    match handler(&request, base) {
        Answer::Bytes(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Answer::EndlessChunked { head, chunk } => {
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let piece = format!("{chunk:x}\r\n{}\r\n", "x".repeat(chunk));
            // Ends when the client stops reading and closes: that is what is tested.
            while stream.write_all(piece.as_bytes()).await.is_ok() {}
        }
        Answer::Drip { head, bytes, every } => {
            if stream.write_all(&head).await.is_err() {
                return;
            }
            for byte in bytes {
                if stream.write_all(&[byte]).await.is_err() {
                    return;
                }
                tokio::time::sleep(every).await;
            }
        }
        Answer::ResetAfter(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.flush().await;
            #[allow(deprecated)]
            let _ = stream.set_linger(Some(Duration::ZERO));
            drop(stream);
        }
    }
}

/// Reads a request head and (when it has a content-length) its body.
async fn read_request(stream: &mut TcpStream) -> Option<RawRequest> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1024];
    let head_end = loop {
        let n = stream.read(&mut byte).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&byte[..n]);
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if buf.len() > 1024 * 1024 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut first = head.lines().next().unwrap_or("").split(' ');
    let mut request = RawRequest {
        method: first.next().unwrap_or("").to_owned(),
        path: first.next().unwrap_or("").to_owned(),
        head: head.clone(),
        body: Vec::new(),
    };
    let length: usize = request
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length && body.len() <= 1024 * 1024 {
        let n = stream.read(&mut byte).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&byte[..n]);
    }
    request.body = body;
    Some(request)
}

/// The answer of an MCP endpoint that asks for OAuth, pointing at its metadata at `/prm`.
pub fn challenge(base: &str) -> Answer {
    response(
        "401 Unauthorized",
        &[(
            "www-authenticate",
            &format!("Bearer resource_metadata=\"{base}/prm\""),
        )],
        b"",
    )
}

/// What a hostile run left behind.
pub struct Run {
    pub flow: ClientFlow,
    pub result: Result<(), Diagnosis>,
    pub elapsed: Duration,
}

impl Run {
    pub fn diagnosis(&self) -> &Diagnosis {
        match &self.result {
            Err(d) => d,
            Ok(()) => panic!("the run connected; checks: {:#?}", self.failed()),
        }
    }

    /// Checks that did not pass.
    pub fn failed(&self) -> Vec<&Check> {
        self.flow
            .checks()
            .iter()
            .filter(|c| matches!(c.status, Status::Failure | Status::Warning))
            .collect()
    }

    pub fn check(&self, id: &str) -> Option<&Check> {
        self.flow.checks().iter().find(|c| c.id == id)
    }

    /// The diagnosis and every failed check's message, for an assertion that the problem is
    /// named somewhere a person reads.
    pub fn explanation(&self) -> String {
        let mut text = String::new();
        if let Err(d) = &self.result {
            text.push_str(&format!("{}: {} ", d.code, d.message));
        }
        for check in self.failed() {
            text.push_str(&format!(
                "[{} {:?}: {}] ",
                check.id,
                check.status,
                check.error_message.as_deref().unwrap_or("")
            ));
        }
        text
    }

    /// Asserts the problem is named (each of `words` in the explanation, case-insensitive)
    /// and that the run was bounded in time.
    pub fn names(&self, words: &[&str]) {
        let text = self.explanation().to_ascii_lowercase();
        for word in words {
            assert!(
                text.contains(&word.to_ascii_lowercase()),
                "{word:?} is not named in: {}",
                self.explanation()
            );
        }
        assert!(self.elapsed < RUN_BOUND, "took {:?}", self.elapsed);
    }
}

/// The client flow (profile `pipelines`, which stops at failed discovery instead of guessing endpoints; headless consent) against `mcp_url`.
pub async fn connect(mcp_url: &str) -> Run {
    connect_with(
        mcp_url,
        HttpClient::new(limits(), Redactor::default()).expect("client"),
        None,
    )
    .await
}

/// [`connect`] with a brought Client ID, so no registration is needed.
pub async fn connect_with(mcp_url: &str, http: HttpClient, client_id: Option<&str>) -> Run {
    let mut options = ClientOptions::new(mcp_url.to_owned());
    options.client_id = client_id.map(str::to_owned);
    let mut flow = ClientFlow::new(
        options,
        &profile::PIPELINES,
        SimulatedClock::default().shared(),
        http.for_target(mcp_url),
    );
    let started = Instant::now();
    let result = tokio::time::timeout(
        RUN_BOUND,
        flow.connect(&UserAgent::Headless, &Pauses::default()),
    )
    .await
    .unwrap_or_else(|_| panic!("the run against {mcp_url} did not end within {RUN_BOUND:?}"));
    Run {
        flow,
        result,
        elapsed: started.elapsed(),
    }
}

/// [`connect`], then Test Connection (initialize and list the tools with the token), as
/// Pipelines does after the OAuth flow; both within the one bound.
pub async fn connect_and_test(mcp_url: &str) -> Run {
    let mut run = connect(mcp_url).await;
    if run.result.is_err() {
        return run;
    }
    let started = Instant::now();
    run.result = tokio::time::timeout(RUN_BOUND, run.flow.test_connection())
        .await
        .unwrap_or_else(|_| {
            panic!("Test Connection of {mcp_url} did not end within {RUN_BOUND:?}")
        });
    run.elapsed += started.elapsed();
    run
}

/// A server whose MCP endpoint challenges and whose metadata at `/prm` is `prm`; every other
/// path is 404.
pub async fn hostile_metadata(prm: impl Fn(&str) -> Answer + Send + Sync + 'static) -> RawServer {
    RawServer::start(move |request, base| match request.path.as_str() {
        "/mcp" => challenge(base),
        "/prm" => prm(base),
        _ => response("404 Not Found", &[], b""),
    })
    .await
}

/// A whole provider on one raw server: an MCP endpoint that challenges requests without a
/// token and answers those with one by `mcp`, protected-resource and authorization-server
/// metadata, registration (DCR), an authorization endpoint that approves at once, and a token
/// endpoint answering by `token`. What is hostile is what `token` and `mcp` answer.
pub async fn provider(
    token: impl Fn(&RawRequest) -> Answer + Send + Sync + 'static,
    mcp: impl Fn(&RawRequest) -> Answer + Send + Sync + 'static,
) -> RawServer {
    RawServer::start(move |request, base| {
        let route = request.path.split('?').next().unwrap_or("");
        match (request.method.as_str(), route) {
            ("POST", "/mcp") if request.header("authorization").is_none() => challenge(base),
            (_, "/mcp") => mcp(request),
            ("GET", "/prm") => json(&serde_json::json!({
                "resource": format!("{base}/mcp"),
                "authorization_servers": [base],
            })),
            ("GET", "/.well-known/oauth-authorization-server") => json(&serde_json::json!({
                "issuer": base,
                "authorization_endpoint": format!("{base}/authorize"),
                "token_endpoint": format!("{base}/token"),
                "registration_endpoint": format!("{base}/register"),
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["none"],
            })),
            ("POST", "/register") => {
                let mut client = request.json();
                client["client_id"] = "hostile-client".into();
                client["token_endpoint_auth_method"] = "none".into();
                let body = client.to_string();
                response(
                    "201 Created",
                    &[("content-type", "application/json")],
                    body.as_bytes(),
                )
            }
            ("GET", "/authorize") => {
                let mut callback =
                    url::Url::parse(&request.query("redirect_uri").unwrap_or_default())
                        .unwrap_or_else(|_| {
                            url::Url::parse("http://127.0.0.1:1/callback").expect("url")
                        });
                callback
                    .query_pairs_mut()
                    .append_pair("code", "hostile-code-0001")
                    .append_pair("state", &request.query("state").unwrap_or_default());
                response("302 Found", &[("location", callback.as_str())], b"")
            }
            ("POST", "/token") => token(request),
            _ => response("404 Not Found", &[], b""),
        }
    })
    .await
}

/// A token answer with this JSON body and `Cache-Control: no-store`.
pub fn token_answer(body: &str) -> Answer {
    response(
        "200 OK",
        &[
            ("content-type", "application/json"),
            ("cache-control", "no-store"),
        ],
        body.as_bytes(),
    )
}

/// An MCP server that works: initialize, tools/list (no tools) and every other request
/// answered with an empty result, notifications accepted.
pub fn mcp_ok(request: &RawRequest) -> Answer {
    if request.method != "POST" {
        return response("405 Method Not Allowed", &[("allow", "POST")], b"");
    }
    let message = request.json();
    let Some(id) = message.get("id").cloned() else {
        return response("202 Accepted", &[], b"");
    };
    let result = match message.get("method").and_then(serde_json::Value::as_str) {
        Some("initialize") => initialize_result(),
        Some("tools/list") => serde_json::json!({ "tools": [] }),
        _ => serde_json::json!({}),
    };
    json(&serde_json::json!({ "jsonrpc": "2.0", "id": id, "result": result }))
}

/// What a server answers to `initialize`.
pub fn initialize_result() -> serde_json::Value {
    serde_json::json!({
        "protocolVersion": "2025-06-18",
        "capabilities": { "tools": {} },
        "serverInfo": { "name": "hostile", "version": "1" },
    })
}
