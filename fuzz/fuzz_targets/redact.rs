//! Any text through the redactor: a registered secret never survives, and nothing panics on
//! odd encodings, `=`/`&` runs or JWT-like fragments.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_oauth_harness::redact::Redactor;

const SECRET: &str = "fuzz-canary-secret-0123";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let redactor = Redactor::default();
    redactor.register(SECRET);
    let holding = format!("{text}{SECRET}{text}");
    for shown in [
        redactor.text(&holding),
        redactor.body(&holding),
        redactor.url(&format!("https://h/p?{holding}")),
        redactor.form(&holding),
        redactor.header("x-anything", &holding),
    ] {
        assert!(!shown.contains(SECRET), "{shown}");
    }
    let _ = redactor.body(text);
});
