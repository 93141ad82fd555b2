//! The MCP OAuth conformance harness: the client flow engine, its checks and profiles, the
//! scenario runner and the CLI behind the `mcp-oauth-harness` binary.
//!
//! Start at [`flow`] for what the client does, [`scenario`] for the catalog format, and
//! [`runner`] for how a scenario becomes a report. `docs/ARCHITECTURE.md` has the map.

pub mod check;
pub mod checks;
pub mod cli;
pub mod client_document;
pub mod diagnosis;
pub mod flow;
pub mod http;
pub mod judge;
pub mod private_files;
pub mod profile;
pub mod recorder;
pub mod redact;
pub mod runner;
pub mod scenario;
pub mod served;
pub mod spec;
pub mod test_client;
pub mod timestamp;
pub mod token_store;
pub mod user_agent;
pub mod www_authenticate;
