//! Fixtures for the unit tests of single steps: a flow with no server behind it.

use std::sync::Arc;

use mcp_oauth_mocks::clock::SystemClock;

use super::discovery::{AuthServerMetadata, DiscoveredServer, Endpoints};
use super::{ClientFlow, ClientOptions};
use crate::http::{HttpClient, HttpLimits};
use crate::profile::Profile;
use crate::redact::Redactor;

pub const MCP_URL: &str = "https://mcp.example.com/mcp";

pub fn flow(profile: &'static Profile) -> ClientFlow {
    let http = HttpClient::new(HttpLimits::default(), Redactor::default()).unwrap();
    ClientFlow::new(
        ClientOptions::new(MCP_URL),
        profile,
        Arc::new(SystemClock),
        http,
    )
}

/// A discovered server whose authorization server lists `scopes_supported`.
pub fn server(scopes_supported: Option<&[&str]>) -> DiscoveredServer {
    let issuer = "https://auth.example.com".to_owned();
    DiscoveredServer {
        resource: MCP_URL.to_owned(),
        resource_from_metadata: true,
        scopes_supported: Vec::new(),
        issuer: issuer.clone(),
        metadata: AuthServerMetadata {
            issuer: Some(issuer),
            scopes_supported: scopes_supported
                .map(|scopes| scopes.iter().map(|s| (*s).to_owned()).collect()),
            ..AuthServerMetadata::default()
        },
        endpoints: Endpoints {
            authorization: "https://auth.example.com/authorize".to_owned(),
            token: "https://auth.example.com/token".to_owned(),
        },
    }
}
