//! Any baseline text: read or refused naming the file, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mcp_oauth_harness::check::baseline::Baseline;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(error) = Baseline::parse(Path::new("baseline.yaml"), text) {
            assert!(error.to_string().starts_with("baseline.yaml"));
        }
    }
});
