//! How a client under test trusts the TLS front of a scenario's MCP server
//! (`tls-terminating-proxy`): as a user's client trusts the public authority that signed a real
//! server's certificate, through the variables its TLS stack reads. The authority is made for
//! the run and signs only the mocks' loopback certificate.
//!
//! - `SSL_CERT_FILE`: OpenSSL and Python's `ssl` (httpx with `trust_env`), and Rust's
//!   `rustls-native-certs` (reqwest's platform verifier, this tool's own `connect`).
//! - `NODE_EXTRA_CA_CERTS`: Node.js, beside its bundled roots.

use std::path::PathBuf;

use mcp_oauth_engine::private_files;
use mcp_oauth_mocks::MockServers;

/// The authority's PEM file, in a private directory removed when this is dropped: keep it until
/// the client has ended.
pub struct TrustFile {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl TrustFile {
    /// The file for `mocks`' TLS front, or `None` when the MCP server has none.
    pub fn for_mocks(mocks: &MockServers) -> std::io::Result<Option<Self>> {
        let Some(pem) = mocks.tls_authority_pem() else {
            return Ok(None);
        };
        let dir = private_files::scratch_dir("mcp-oauth-authority-")?;
        let path = dir.path().join("authority.pem");
        private_files::write_replacing(&path, pem.as_bytes(), private_files::Readers::Default)?;
        Ok(Some(Self { _dir: dir, path }))
    }

    /// Where the PEM file is.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// The variables that make the client's TLS stack trust the authority.
    pub fn environment(&self) -> [(&'static str, String); 2] {
        let path = self.path.display().to_string();
        [
            ("SSL_CERT_FILE", path.clone()),
            ("NODE_EXTRA_CA_CERTS", path),
        ]
    }
}
