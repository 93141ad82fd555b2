//! The `mcp-oauth-harness` binary's crate: the command line ([`cli`]) over the engine
//! (`mcp-oauth-engine`), the live check (`mcp-oauth-check`), the catalog and its runner
//! (`mcp-oauth-catalog`) and the client judge (`mcp-oauth-judge`), which this library
//! re-exports under the module names they had when they were one crate.
//!
//! Start at [`flow`] for what the client does, [`scenario`] for the catalog format, and
//! [`runner`] for how a scenario becomes a report. `docs/ARCHITECTURE.md` has the map.

// The engine's modules, under the names the rest of this crate and its users have always used.
pub use mcp_oauth_engine::{
    checks, client_document, diagnosis, flow, http, private_files, profile, recorder, redact, spec,
    timestamp, token_store, user_agent, www_authenticate,
};

pub use mcp_oauth_check as check;
pub mod cli;
pub use mcp_oauth_catalog::{runner, scenario};
pub use mcp_oauth_judge::{judge, served, test_client};
