//! Renderers: each turns a [`Report`](crate::Report) into one output format.

mod html;
mod json;
mod junit;
mod markdown;
pub mod markdown_text;
pub mod sections;
mod terminal;
pub mod text;

pub use html::html;
pub use json::{json, json_text};
pub use junit::{
    BaselineJudgement, JunitOptions, junit, junit_checks, junit_many, junit_many_with, junit_run,
    junit_with,
};
pub use markdown::{markdown, markdown_catalog};
pub use terminal::{TerminalStyle, TerminalText, mark, timeline, timeline_text};
