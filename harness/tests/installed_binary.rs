//! A copied binary works anywhere: copied out of the build tree and run from a directory
//! outside the checkout, it runs a scenario of the catalog embedded in it and says which
//! catalog it carries.

use std::path::PathBuf;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_mcp-oauth-harness");

/// A fresh directory in the system's temporary directory, outside the checkout.
fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "mcp-oauth-harness-installed-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// The binary copied into `dir/bin`, run with `args` from `dir/work`.
fn copied(dir: &std::path::Path, args: &[&str]) -> Output {
    let bin = dir.join("bin");
    let work = dir.join("work");
    std::fs::create_dir_all(&bin).expect("bin directory");
    std::fs::create_dir_all(&work).expect("work directory");
    let copy = bin.join("mcp-oauth-harness");
    if !copy.exists() {
        std::fs::copy(BIN, &copy).expect("the binary copies");
    }
    Command::new(&copy)
        .args(args)
        .current_dir(&work)
        .env_remove("CARGO_MANIFEST_DIR")
        .output()
        .expect("the copied binary runs")
}

#[test]
fn a_copied_binary_runs_the_embedded_catalog_from_outside_the_checkout() {
    let dir = tempdir("run");
    let checkout = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf();
    assert!(
        !dir.starts_with(&checkout),
        "the temporary directory {} is inside the checkout",
        dir.display()
    );
    let output = copied(&dir, &["run", "dcr-happy-path"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("PASS dcr-happy-path"), "{stdout}");
    assert!(stdout.contains("scenarios: 1 passed, 0 failed"), "{stdout}");

    let output = copied(&dir, &["--version"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let scenarios = std::fs::read_dir(checkout.join("scenarios"))
        .expect("scenarios/")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
        .count();
    assert!(
        stdout.contains(&format!("catalog: {scenarios} scenarios (embedded")),
        "{stdout}"
    );

    let output = copied(&dir, &["run", "no-such-scenario"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no scenario named"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
