//! Any scenario file text: loaded or refused with a message, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_oauth_harness::scenario;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(message) = scenario::parse(text) {
            assert!(!message.is_empty());
        }
    }
});
