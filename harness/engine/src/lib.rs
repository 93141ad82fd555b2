//! The MCP OAuth client engine: everything a client does to reach an OAuth-protected MCP
//! server, each step recording the checks it answered and the evidence it saw.
//!
//! HTTP with an address policy and redaction ([`http`], [`redact`]), `WWW-Authenticate`
//! ([`www_authenticate`]), discovery, registration, authorization, tokens, MCP calls and
//! refresh ([`flow`]), the client profiles ([`profile`]), the catalog of questions a run answers
//! ([`checks`]), the recorder ([`recorder`]) and the diagnoses a failed step ends in
//! ([`diagnosis`]). Nothing here checks, judges or parses a command line: `check`, the client
//! judge and the CLI are built on this crate, and a vendor's own Rust test can run the flow with
//! it and `mcp-oauth-mocks` alone (`tests/vendor_flow.rs`).

pub mod checks;
pub mod client_document;
pub mod diagnosis;
pub mod flow;
pub mod http;
pub mod private_files;
pub mod profile;
pub mod recorder;
pub mod redact;
pub mod spec;
pub mod timestamp;
pub mod token_store;
pub mod user_agent;
pub mod www_authenticate;

/// The report model the engine writes its checks, evidence and outcomes in, re-exported so that
/// a vendor's test needs no other crate of ours than this one and the mocks.
pub use mcp_oauth_reports as reports;

/// This tool's name and version, as every report carries them.
pub fn tool_info() -> mcp_oauth_reports::ToolInfo {
    mcp_oauth_reports::ToolInfo {
        name: "mcp-oauth-harness".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    }
}
