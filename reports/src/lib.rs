//! The report model of the MCP OAuth conformance harness and its renderers.
//!
//! A [`Report`] is what one run of the client flow produced: the target, the profile the client
//! followed, the outcome (health and the single most useful diagnosis), every check with its
//! evidence, and the redacted HTTP exchanges. Renderers turn it into JSON (the contract other
//! tools read, documented in `docs/report-format.md`), Markdown, JUnit XML and HTML.
//!
//! This crate depends on nothing else of the project: anything that can build a `Report` can
//! render one.

mod model;
pub mod render;

pub use model::*;
