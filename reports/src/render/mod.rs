//! Renderers: each turns a [`Report`](crate::Report) into one output format.

mod html;
mod json;
mod junit;
mod markdown;
mod text;

pub use html::html;
pub use json::json;
pub use junit::{JunitOptions, junit, junit_many, junit_many_with, junit_with};
pub use markdown::markdown;
