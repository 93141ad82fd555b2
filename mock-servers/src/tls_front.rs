//! The TLS front of `tls-terminating-proxy`: the mock MCP server reached over https, as a
//! deployment behind a TLS-terminating proxy is.
//!
//! Each start makes its own certificate authority and a server certificate for `127.0.0.1`
//! and `localhost` signed by it (rcgen, aws-lc keys). Nothing trusts that authority unless
//! told to: the harness's own client is given [`TlsFront::authority_der`], a real client the
//! PEM file a runner writes from [`TlsFront::authority_pem`] (`NODE_EXTRA_CA_CERTS`,
//! `SSL_CERT_FILE`).
//!
//! The listener answers TLS and plain HTTP on the one port, told apart by the first byte a
//! connection sends (a TLS handshake record starts with 22): the plain side stands for the
//! deployment's port 80, so an `http://` URL the app writes about itself (what this failure
//! mode is) can be fetched as it can on a real host, and what follows is judged on the
//! metadata, not on a refused connection.

use std::sync::Arc;

use base64::Engine as _;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::aws_lc_rs;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The first byte of a TLS record carrying a handshake (RFC 8446 §5.1, `handshake(22)`).
pub(crate) const TLS_HANDSHAKE_RECORD: u8 = 22;

/// A server certificate, the authority that signed it, and the acceptor that serves it.
#[derive(Clone)]
pub struct TlsFront {
    acceptor: TlsAcceptor,
    authority_der: Vec<u8>,
}

impl std::fmt::Debug for TlsFront {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsFront").finish_non_exhaustive()
    }
}

impl TlsFront {
    /// A fresh authority and a certificate for the loopback names, signed by it.
    pub fn generate() -> Result<Self, String> {
        let failed = |what: &str, e: rcgen::Error| format!("cannot make the {what}: {e}");
        let mut params =
            CertificateParams::new(Vec::<String>::new()).map_err(|e| failed("TLS authority", e))?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "mcp-oauth-mocks test authority");
        let authority_key = KeyPair::generate().map_err(|e| failed("TLS authority key", e))?;
        let authority = CertifiedIssuer::self_signed(params, authority_key)
            .map_err(|e| failed("TLS authority", e))?;

        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .map_err(|e| failed("server certificate", e))?;
        params
            .distinguished_name
            .push(DnType::CommonName, "mcp-oauth-mocks MCP server");
        let key = KeyPair::generate().map_err(|e| failed("server key", e))?;
        let certificate = params
            .signed_by(&key, &authority)
            .map_err(|e| failed("server certificate", e))?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let chain: Vec<CertificateDer<'static>> = vec![certificate.der().clone()];
        let config = ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("cannot set the TLS versions: {e}"))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| format!("cannot use the server certificate: {e}"))?;
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            authority_der: authority.der().to_vec(),
        })
    }

    pub(crate) fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }

    /// The authority's certificate, DER: what a client must trust to reach the server.
    pub fn authority_der(&self) -> &[u8] {
        &self.authority_der
    }

    /// The authority's certificate as a PEM file's text.
    pub fn authority_pem(&self) -> String {
        let body = base64::engine::general_purpose::STANDARD.encode(&self.authority_der);
        let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
        for line in body.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
        pem
    }
}
