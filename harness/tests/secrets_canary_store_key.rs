//! The store key as a canary: a key configured in the environment (or in a key file) seals the
//! token store of a run, and neither the key, nor the tokens it seals, appear in any report
//! rendering, the trace log or an error message. A bad key is refused with an error that says
//! what is wrong without quoting it. One test in its own binary, because it sets the process
//! environment.

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mcp_oauth_harness::profile;
use mcp_oauth_harness::runner::run_scenario_with_secrets;
use mcp_oauth_harness::scenario::{Scenario, catalog_dir, load_file};
use mcp_oauth_harness::token_store::{KEY_ENV, KEY_FILE_ENV};

#[path = "common/secrets.rs"]
mod secrets;

use secrets::{TraceLog, found_in, panic_messages, record_panics, report_leaks};

/// 32 bytes whose hex form is recognisable in any output.
const CANARY_KEY_HEX: &str = "ca11ab1e5ec0de00ca11ab1e5ec0de00ca11ab1e5ec0de00ca11ab1e5ec0de00";

fn set_env(name: &str, value: Option<&str>) {
    // SAFETY: this binary holds this one test, and the variables are set only between runs,
    // while no other thread of the process reads the environment.
    unsafe {
        match value {
            Some(value) => std::env::set_var(name, value),
            None => std::env::remove_var(name),
        }
    }
}

fn key_forms() -> Vec<String> {
    let bytes: Vec<u8> = (0..CANARY_KEY_HEX.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&CANARY_KEY_HEX[i..i + 2], 16).expect("hex"))
        .collect();
    vec![
        CANARY_KEY_HEX.to_owned(),
        CANARY_KEY_HEX.to_ascii_uppercase(),
        STANDARD.encode(&bytes),
        String::from_utf8_lossy(&bytes).into_owned(),
    ]
}

fn run(
    runtime: &tokio::runtime::Runtime,
    scenario: &Scenario,
) -> Result<(mcp_oauth_reports::Report, Vec<String>), String> {
    runtime
        .block_on(run_scenario_with_secrets(scenario, &profile::PIPELINES))
        .map_err(|e| e.to_string())
}

#[test]
fn a_configured_store_key_seals_the_store_and_never_leaks() {
    let log = TraceLog::global();
    record_panics();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let scenario = load_file(&catalog_dir().join("refresh-token-encrypted.toml")).expect("loads");
    let mut secrets = key_forms();
    let mut errors = Vec::new();

    // A key of the wrong length: the run refuses to start, naming the variable.
    set_env(KEY_ENV, Some(&CANARY_KEY_HEX[..40]));
    let error = run(&runtime, &scenario).expect_err("a 20-byte key is refused");
    assert!(
        error.contains(KEY_ENV) && error.contains("20 bytes"),
        "{error}"
    );
    secrets.push(CANARY_KEY_HEX[..40].to_owned());
    errors.push(error);

    // A key file that others may read: refused, naming the file and the fix.
    let dir = std::env::temp_dir().join(format!("store-key-canary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let key_file: PathBuf = dir.join("store.key");
    std::fs::write(&key_file, format!("{CANARY_KEY_HEX}\n")).expect("the key file");
    set_env(KEY_ENV, None);
    set_env(KEY_FILE_ENV, Some(&key_file.display().to_string()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        let error = run(&runtime, &scenario).expect_err("a shared key file is refused");
        assert!(
            error.contains(&key_file.display().to_string()) && error.contains("chmod 600"),
            "{error}"
        );
        errors.push(error);
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }

    // The key file, then the variable: the scenario's store round-trips and detects tampering.
    let mut reports = Vec::new();
    for source in ["file", "variable"] {
        if source == "variable" {
            set_env(KEY_FILE_ENV, None);
            set_env(KEY_ENV, Some(CANARY_KEY_HEX));
        }
        let (report, handled) = run(&runtime, &scenario).expect("the scenario runs");
        assert!(
            report.met_expectations(),
            "{source}: {:?}",
            report.expectations
        );
        secrets.extend(handled);
        reports.push(report);
    }
    set_env(KEY_ENV, None);
    let _ = std::fs::remove_dir_all(&dir);

    let mut found = Vec::new();
    for report in &reports {
        found.extend(report_leaks(report, &secrets));
    }
    for error in &errors {
        found.extend(found_in("an error message", error, &secrets));
    }
    found.extend(found_in("the trace log", &log.text(), &secrets));
    for message in panic_messages() {
        found.extend(found_in("a panic message", &message, &secrets));
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
    assert!(
        log.len() > 10_000,
        "the trace log holds only {} bytes",
        log.len()
    );
}
