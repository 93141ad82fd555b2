//! Any status and body from a token endpoint: read without a panic; tokens only from a 200.
#![no_main]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use mcp_oauth_harness::flow::token_response::ParsedTokenResponse;

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data {
        [a, b, rest @ ..] => (u16::from_le_bytes([*a, *b]), rest),
        _ => return,
    };
    let parsed = ParsedTokenResponse::parse(status, body);
    for now in [
        UNIX_EPOCH,
        UNIX_EPOCH + Duration::from_secs(1_767_225_600),
        SystemTime::UNIX_EPOCH + Duration::from_secs(u64::MAX / 2),
    ] {
        let _ = parsed.lifetime.expires_at(now);
        if parsed.tokens(now).is_some() {
            assert_eq!(parsed.status, 200);
        }
    }
});
