//! The TLS settings of every [`HttpClient`](super::HttpClient), made once per process, with the
//! system's root certificates loaded only when the first TLS handshake needs them.
//!
//! reqwest builds a rustls configuration for each client it builds, and on Linux that means
//! reading and parsing every system root certificate (rustls-platform-verifier loads them
//! eagerly): about as much work as the rest of a scenario run together. The configuration is
//! immutable, so one is built here, the way reqwest builds its own (the platform verifier,
//! aws-lc-rs, every TLS version rustls supports, ALPN `h2` then `http/1.1`), and each client
//! gets a copy with a session-resumption store of its own, so that no TLS state passes from
//! one client (one run, one profile flow) to another.
//!
//! The verifier itself is built on first use ([`LazyVerifier`]): a run against the embedded
//! mocks speaks plain http on loopback and never pays for the roots, and a process that does
//! reach an https server loads them once. A client told to trust authorities of its own (a
//! test's, the mocks' TLS front) judges their certificates with those alone
//! ([`client_config_trusting`]).

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ClientConfig, Resumption};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// The shared configuration, or why it could not be built.
static SHARED: OnceLock<Result<Arc<ClientConfig>, String>> = OnceLock::new();
/// The process's one platform verifier, built (its roots loaded) at the first handshake.
static SYSTEM: OnceLock<Arc<LazyVerifier>> = OnceLock::new();

/// A client's own copy of the process's TLS configuration.
pub fn client_config() -> Result<ClientConfig, String> {
    let shared = SHARED
        .get_or_init(|| build(system_verifier()).map(Arc::new))
        .clone()?;
    let mut config = (*shared).clone();
    config.resumption = Resumption::default();
    Ok(config)
}

/// [`client_config`], also trusting these DER certificates as authorities. A certificate they
/// sign is judged by them alone; any other goes to the process's platform verifier, whose
/// roots are then loaded (once). So a run against a TLS front of its own authority pays for
/// one small root store, not for the system's.
pub fn client_config_trusting(authorities: &[&[u8]]) -> Result<ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    for der in authorities {
        roots
            .add(CertificateDer::from(der.to_vec()))
            .map_err(|e| format!("a trusted authority is not a usable certificate: {e}"))?;
    }
    let own =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .map_err(|e| format!("cannot trust the given authorities: {e}"))?;
    build(Arc::new(OwnThenSystem {
        own,
        system: system_verifier(),
    }))
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn system_verifier() -> Arc<LazyVerifier> {
    SYSTEM
        .get_or_init(|| {
            Arc::new(LazyVerifier {
                provider: provider(),
                platform: OnceLock::new(),
            })
        })
        .clone()
}

fn build(verifier: Arc<dyn ServerCertVerifier>) -> Result<ClientConfig, String> {
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|e| format!("invalid TLS versions: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The given authorities first; a certificate none of them issued goes to the system's roots.
#[derive(Debug)]
struct OwnThenSystem {
    own: Arc<rustls::client::WebPkiServerVerifier>,
    system: Arc<LazyVerifier>,
}

impl ServerCertVerifier for OwnThenSystem {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.own.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)) => self
                .system
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now),
            verdict => verdict,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.own.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.own.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.own.supported_verify_schemes()
    }
}

/// The platform verifier, built when a handshake first asks for it. Building it can fail (no
/// system roots); then every handshake fails with that reason, and plain http still works.
#[derive(Debug)]
struct LazyVerifier {
    provider: Arc<CryptoProvider>,
    platform: OnceLock<Result<rustls_platform_verifier::Verifier, String>>,
}

impl LazyVerifier {
    fn platform(&self) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        self.platform
            .get_or_init(|| {
                rustls_platform_verifier::Verifier::new(self.provider.clone())
                    .map_err(|e| format!("cannot load the system's root certificates: {e}"))
            })
            .as_ref()
            .map_err(|reason| rustls::Error::General(reason.clone()))
    }
}

impl ServerCertVerifier for LazyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.platform()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.platform()?.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.platform()?.verify_tls13_signature(message, cert, dss)
    }

    /// What the platform verifier would answer (the provider's algorithms), without building
    /// it: the client hello is written before any certificate arrives.
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
