//! Embeds the scenario catalog (`../scenarios/*.toml`) as a generated table, so that an
//! installed or copied binary carries its catalog.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    embed_catalog();
    println!("cargo::rerun-if-changed=build.rs");
}

/// Writes `$OUT_DIR/catalog.rs`: one `(file name, include_str!(...))` entry per scenario file,
/// sorted by name, so the compiler re-reads a file whenever it changes.
fn embed_catalog() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_owned());
    let dir = Path::new(&manifest).join("../../scenarios");
    // The directory itself: adding or removing a scenario changes its modification time.
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut table = String::from("pub(super) const EMBEDDED: &[(&str, &str)] = &[\n");
    for path in &files {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let absolute = path.canonicalize().unwrap_or_else(|_| path.clone());
        println!("cargo::rerun-if-changed={}", absolute.display());
        let _ = writeln!(
            table,
            "    ({name:?}, include_str!({:?})),",
            absolute.display().to_string()
        );
    }
    table.push_str("];\n");
    let out = std::env::var("OUT_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    if let Err(e) = std::fs::write(out.join("catalog.rs"), table) {
        panic!("cannot write the embedded catalog table: {e}");
    }
}
