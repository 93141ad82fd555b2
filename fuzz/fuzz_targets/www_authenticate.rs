//! Any header value: parsed or refused with a position inside it, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_oauth_harness::www_authenticate;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match www_authenticate::parse(text) {
        Ok(challenges) => assert!(!challenges.is_empty()),
        Err(e) => assert!(e.position <= text.chars().count()),
    }
    // Several fields, as a response may carry them.
    let fields: Vec<&str> = text.split('\n').collect();
    let _ = www_authenticate::bearer_in(fields.iter().copied());
});
