//! Any `check --targets` / gallery text, as YAML and as TOML: read or refused naming the
//! file, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mcp_oauth_harness::check::targets;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let env = |name: &str| (name == "SET").then(|| "value".to_owned());
    for file in ["targets.yaml", "targets.toml"] {
        if let Err(error) = targets::parse(Path::new(file), text, &env) {
            assert!(!error.to_string().is_empty());
        }
    }
});
