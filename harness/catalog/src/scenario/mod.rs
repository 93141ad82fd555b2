//! Scenario files: one declarative TOML file per failure mode in `scenarios/`. A scenario
//! configures the mocks, scripts what the user and the platform do, and states what must come
//! of it. The format is documented in `docs/scenarios.md`.

mod bounds;
mod check_expectation;
mod client;
mod embedded;
mod gallery;
mod load;
mod model;
mod position;

pub use bounds::{MAX_STEPS, MAX_TRIGGERS};
pub use check_expectation::{AT_LEAST_ONCE, CheckExpectation};
pub use client::*;
pub use embedded::{CatalogSource, NamedLoadError, embedded_files};
pub use gallery::InlineEntry;
pub use load::{LoadError, catalog_dir, load_catalog, load_file, parse};
pub use model::*;
