//! Any pasted URL or issuer: canonicalization and well-known URL construction never panic,
//! and what they build parses again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_oauth_harness::flow::discovery;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for built in discovery::auth_server_metadata_urls(text) {
        assert!(Url::parse(&built).is_ok(), "{built}");
    }
    let _ = discovery::compare_resource(text, text.trim_end_matches('/'));
    if let Ok(url) = Url::parse(text) {
        if url.cannot_be_a_base() {
            return;
        }
        let canonical = discovery::canonical_resource(&url);
        assert!(!canonical.contains('#'));
        for built in discovery::protected_resource_metadata_urls(&url) {
            assert!(Url::parse(&built).is_ok(), "{built}");
        }
    }
});
