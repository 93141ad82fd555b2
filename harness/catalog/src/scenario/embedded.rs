//! The catalog compiled into the binary (harness/build.rs generates the table from
//! `scenarios/`), so that an installed or copied binary needs no source tree; and where a
//! command takes its scenarios from: that catalog, or a directory given with
//! `--scenarios-dir`.

use std::path::{Path, PathBuf};

use super::load::{LoadError, load_catalog, load_file, load_text, parse_all};
use super::model::Scenario;

include!(concat!(env!("OUT_DIR"), "/catalog.rs"));

/// The embedded scenario files as (file name, text), sorted by file name.
pub fn embedded_files() -> &'static [(&'static str, &'static str)] {
    EMBEDDED
}

/// Where scenarios come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogSource {
    /// The catalog compiled into the binary.
    Embedded,
    /// Every `*.toml` in a directory.
    Dir(PathBuf),
}

impl CatalogSource {
    /// The directory when one is given, else the embedded catalog.
    pub fn from_option(dir: Option<&Path>) -> Self {
        dir.map_or(CatalogSource::Embedded, |d| {
            CatalogSource::Dir(d.to_owned())
        })
    }

    /// Every scenario, sorted by file name.
    pub fn load_all(&self) -> Result<Vec<Scenario>, LoadError> {
        match self {
            CatalogSource::Dir(dir) => load_catalog(dir),
            CatalogSource::Embedded => parse_all(EMBEDDED, |(file, text)| {
                load_text(&embedded_path(file), text)
            }),
        }
    }

    /// The named scenarios only, sorted and without repeats (the catalog's order), or the
    /// name of one there is not: a process that runs one scenario parses one file, not the
    /// whole catalog.
    pub fn load_named(&self, names: &[String]) -> Result<Vec<Scenario>, NamedLoadError> {
        let mut names: Vec<&String> = names.iter().collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .map(|name| {
                if !self.contains(name) {
                    return Err(NamedLoadError::Unknown(name.clone()));
                }
                self.load(name).map_err(NamedLoadError::Load)
            })
            .collect()
    }

    /// Whether a scenario of this name exists (a plain name: no path in it).
    fn contains(&self, name: &str) -> bool {
        let plain = !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\']);
        let file = format!("{name}.toml");
        plain
            && match self {
                CatalogSource::Dir(dir) => dir.join(&file).is_file(),
                CatalogSource::Embedded => EMBEDDED.iter().any(|(f, _)| *f == file),
            }
    }

    /// One scenario by name.
    pub fn load(&self, name: &str) -> Result<Scenario, LoadError> {
        let file = format!("{name}.toml");
        match self {
            CatalogSource::Dir(dir) => load_file(&dir.join(file)),
            CatalogSource::Embedded => match EMBEDDED.iter().find(|(f, _)| *f == file) {
                Some((f, text)) => load_text(&embedded_path(f), text),
                None => Err(LoadError::Invalid {
                    path: embedded_path(&file),
                    message: format!(
                        "no scenario named {name:?}; `mcp-oauth-harness scenarios` lists them"
                    ),
                }),
            },
        }
    }

    /// How many scenarios the embedded catalog holds.
    pub fn embedded_len() -> usize {
        EMBEDDED.len()
    }
}

/// Why [`CatalogSource::load_named`] gave no scenarios.
#[derive(Debug, thiserror::Error)]
pub enum NamedLoadError {
    #[error("no scenario named {0:?}; `mcp-oauth-harness scenarios` lists them")]
    Unknown(String),
    #[error(transparent)]
    Load(LoadError),
}

/// The name errors give an embedded file: where it came from in the source tree.
fn embedded_path(file: &str) -> PathBuf {
    Path::new("scenarios").join(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn named_scenarios_come_sorted_once_each() {
        let loaded = CatalogSource::Embedded
            .load_named(&names(&[
                "scope-step-up",
                "dcr-happy-path",
                "scope-step-up",
            ]))
            .expect("both are in the catalog");
        let loaded: Vec<&str> = loaded.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(loaded, ["dcr-happy-path", "scope-step-up"]);
    }

    #[test]
    fn an_unknown_or_path_like_name_is_no_scenario() {
        let dir = CatalogSource::Dir(super::super::load::catalog_dir());
        for source in [CatalogSource::Embedded, dir] {
            for name in [
                "no-such-scenario",
                "../scenarios/dcr-happy-path",
                ".hidden",
                "",
            ] {
                let error = source.load_named(&names(&[name])).unwrap_err();
                assert!(
                    matches!(error, NamedLoadError::Unknown(ref n) if n == name),
                    "{name:?} under {source:?}: {error}"
                );
                assert!(error.to_string().contains("lists them"), "{error}");
            }
        }
    }
}
