//! Hostile TLS: a server on 127.0.0.1 whose certificate is self-signed, expired, or for another
//! host. Certificates are made at test time (rcgen) and served with rustls; the client trusts
//! the test's own authority, so that each failure is the one named and no other. Each run ends
//! with a message naming the certificate's problem, within its timeout, and nothing can turn
//! the check off (there is no `--insecure`).

#[path = "common/hostile.rs"]
mod hostile;

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};

use hostile::{connect_with, limits};
use mcp_oauth_harness::http::HttpClient;
use mcp_oauth_harness::redact::Redactor;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, date_time_ymd,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::aws_lc_rs;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

const BIN: &str = env!("CARGO_BIN_EXE_mcp-oauth-harness");

/// The test's own certificate authority, which the client is told to trust.
fn authority() -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "Hostile test authority");
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("authority")
}

/// When a certificate is valid: `Now` is the default window rcgen gives (it covers today).
enum Validity {
    Now,
    Expired,
}

/// A server certificate for `names`, signed by `issuer` or, without one, by its own key.
fn certificate(
    names: &[&str],
    validity: Validity,
    issuer: Option<&CertifiedIssuer<'static, KeyPair>>,
) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = CertificateParams::new(names).expect("params");
    params
        .distinguished_name
        .push(DnType::CommonName, "hostile server");
    if let Validity::Expired = validity {
        params.not_before = date_time_ymd(2019, 1, 1);
        params.not_after = date_time_ymd(2020, 1, 1);
    }
    let key = KeyPair::generate().expect("key");
    let cert = match issuer {
        Some(issuer) => params.signed_by(&key, issuer),
        None => params.self_signed(&key),
    }
    .expect("certificate");
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    (cert.der().clone(), key)
}

/// An https server on 127.0.0.1 with this certificate: its MCP endpoint challenges, pointing
/// at `/prm`, and every other path is 404. It keeps the paths it was asked for.
struct TlsServer {
    addr: SocketAddr,
    paths: Arc<Mutex<Vec<String>>>,
}

impl TlsServer {
    async fn start(cert: CertificateDer<'static>, key: PrivateKeyDer<'static>) -> Self {
        let config = ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .expect("server config");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let paths: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = paths.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (acceptor, seen) = (acceptor.clone(), seen.clone());
                tokio::spawn(async move {
                    // A refused certificate ends the handshake here: that is what is tested.
                    let Ok(mut stream) = acceptor.accept(stream).await else {
                        return;
                    };
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let path = head.split(' ').nth(1).unwrap_or("").to_owned();
                    seen.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(path.clone());
                    let answer = if path == "/mcp" {
                        format!(
                            "HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Bearer resource_metadata=\"https://{addr}/prm\"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                        )
                    } else {
                        "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                            .to_owned()
                    };
                    let _ = stream.write_all(answer.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Self { addr, paths }
    }

    fn url(&self) -> String {
        format!("https://{}/mcp", self.addr)
    }

    fn paths(&self) -> Vec<String> {
        self.paths
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The client flow against `server`, trusting `authority` beside the system's authorities.
async fn connect_trusting(
    server: &TlsServer,
    authority: &CertifiedIssuer<'static, KeyPair>,
) -> hostile::Run {
    let http = HttpClient::with_authorities(
        limits(),
        Redactor::default(),
        &[],
        &[authority.der().as_ref()],
    )
    .expect("client");
    connect_with(&server.url(), http, None).await
}

#[tokio::test]
async fn a_certificate_from_a_trusted_authority_is_accepted() {
    // The control: the same server with a good certificate is talked to over TLS, so the
    // refusals below are the certificates' doing, not the test server's.
    let authority = authority();
    let (cert, key) = certificate(&["127.0.0.1"], Validity::Now, Some(&authority));
    let server = TlsServer::start(cert, key).await;
    let run = connect_trusting(&server, &authority).await;
    assert_eq!(run.diagnosis().code, "discovery-failed");
    assert!(
        server.paths().iter().any(|p| p == "/prm"),
        "the metadata was asked for over TLS: {:?}",
        server.paths()
    );
    assert!(!run.explanation().contains("TLS"), "{}", run.explanation());
}

#[tokio::test]
async fn a_self_signed_certificate_is_named() {
    let authority = authority();
    let (cert, key) = certificate(&["127.0.0.1"], Validity::Now, None);
    let server = TlsServer::start(cert, key).await;
    let run = connect_trusting(&server, &authority).await;
    assert_eq!(run.diagnosis().code, "discovery-failed");
    run.names(&["refused at the TLS handshake", "self-signed"]);
    assert!(server.paths().is_empty(), "no request was sent");
}

#[tokio::test]
async fn an_expired_certificate_is_named() {
    let authority = authority();
    let (cert, key) = certificate(&["127.0.0.1"], Validity::Expired, Some(&authority));
    let server = TlsServer::start(cert, key).await;
    let run = connect_trusting(&server, &authority).await;
    assert_eq!(run.diagnosis().code, "discovery-failed");
    run.names(&[
        "refused at the TLS handshake",
        "expired: it was valid until 2020-01-01",
    ]);
    assert!(server.paths().is_empty(), "no request was sent");
}

#[tokio::test]
async fn a_certificate_for_another_host_is_named() {
    let authority = authority();
    let (cert, key) = certificate(&["elsewhere.test"], Validity::Now, Some(&authority));
    let server = TlsServer::start(cert, key).await;
    let run = connect_trusting(&server, &authority).await;
    assert_eq!(run.diagnosis().code, "discovery-failed");
    run.names(&[
        "refused at the TLS handshake",
        "host name mismatch",
        "does not name 127.0.0.1",
        "elsewhere.test",
    ]);
    assert!(server.paths().is_empty(), "no request was sent");
}

/// `check` on `url`, as a person runs it: stdout and stderr together, and the exit code.
async fn check(args: &[&str], url: &str) -> (Option<i32>, String) {
    let output = tokio::process::Command::new(BIN)
        .arg("check")
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("the binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!text.contains("panicked"), "{text}");
    (output.status.code(), text)
}

#[tokio::test]
async fn check_names_a_self_signed_certificate() {
    let (cert, key) = certificate(&["127.0.0.1", "localhost"], Validity::Now, None);
    let server = TlsServer::start(cert, key).await;
    let started = std::time::Instant::now();
    let (code, text) = check(&["--headless", "--timeout", "2"], &server.url()).await;
    assert!(
        started.elapsed() < hostile::RUN_BOUND,
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("refused at the TLS handshake"), "{text}");
    assert!(text.contains("self-signed"), "{text}");
}

#[tokio::test]
async fn check_names_an_expired_certificate_before_its_issuer() {
    // Expiry is judged before the issuer is looked for: even untrusted, an expired
    // certificate is named as expired.
    let (cert, key) = certificate(&["127.0.0.1"], Validity::Expired, None);
    let server = TlsServer::start(cert, key).await;
    let (code, text) = check(&["--headless", "--timeout", "2"], &server.url()).await;
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("certificate has expired"), "{text}");
}

#[tokio::test]
async fn there_is_no_insecure_option() {
    let (cert, key) = certificate(&["127.0.0.1"], Validity::Now, None);
    let server = TlsServer::start(cert, key).await;
    let (code, text) = check(&["--headless", "--insecure"], &server.url()).await;
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("--insecure"), "{text}");
    assert!(
        server.paths().is_empty(),
        "nothing was sent: {:?}",
        server.paths()
    );
}
