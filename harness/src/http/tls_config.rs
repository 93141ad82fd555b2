//! The TLS settings of every [`HttpClient`](super::HttpClient), made once per process.
//!
//! reqwest builds a rustls configuration for each client it builds, and on Linux that means
//! reading and parsing every system root certificate (rustls-platform-verifier loads them
//! eagerly): about as much work as the rest of a scenario run together. The configuration is
//! immutable, so one is built here, the way reqwest builds its own (the platform verifier,
//! aws-lc-rs, every TLS version rustls supports, ALPN `h2` then `http/1.1`), and each client
//! gets a copy with a session-resumption store of its own, so that no TLS state passes from
//! one client (one run, one profile flow) to another.

use std::sync::{Arc, OnceLock};

use rustls::ClientConfig;
use rustls::client::Resumption;

/// The shared configuration, or why it could not be built (no system roots, say).
static SHARED: OnceLock<Result<Arc<ClientConfig>, String>> = OnceLock::new();

/// A client's own copy of the process's TLS configuration.
pub fn client_config() -> Result<ClientConfig, String> {
    let shared = SHARED.get_or_init(|| build().map(Arc::new)).clone()?;
    let mut config = (*shared).clone();
    config.resumption = Resumption::default();
    Ok(config)
}

fn build() -> Result<ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone())
        .map_err(|e| format!("cannot load the system's root certificates: {e}"))?;
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|e| format!("invalid TLS versions: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}
