//! The scenario catalog and its runner: scenarios as data (`scenarios/*.toml`, embedded in the
//! binary at build time), the expectations each states, and the runner that starts a
//! scenario's mocks, drives the engine's flow through its steps on a simulated clock and
//! turns what happened into a report.

pub mod runner;
pub mod scenario;
