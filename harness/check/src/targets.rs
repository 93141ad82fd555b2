//! A list of targets to check in one run, concurrently, with one summary: a vendor's several
//! environments, or a user's own gallery of providers.
//!
//! YAML (`.yaml`, `.yml`) or TOML (`.toml`), chosen by the file's extension:
//!
//! ```yaml
//! targets:
//!   - name: acme
//!     url: https://mcp.acme.example/mcp
//!   - name: globex
//!     url: https://globex.example/mcp
//!     client-id: my-oauth-app
//!     client-secret-env: MCP_OAUTH_GLOBEX_SECRET   # the secret stays out of the file
//!     profile: mcp-2025-11-25
//!     scope: mcp:tools
//!     baseline: globex-baseline.yaml            # relative to this file
//!   - name: initech                             # a provider-gallery entry (docs/gallery.md)
//!     url: https://mcp.initech.example/mcp
//!     flow: client-id                           # dcr | client-id | client-metadata-url
//!     client-id: initech-app
//!     token-endpoint: https://login.initech.example/oauth/token   # pinned endpoints
//!     authorization-endpoint: https://login.initech.example/oauth/authorize
//! ```
//!
//! `client-secret-env` names a variable the file may read ([`file_env`]): `MCP_OAUTH_*`, or a
//! name the command line allows. The secret it holds is sent only by the flows after consent,
//! never by the probes (`CheckOptions::client_secret_origin`).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::baseline::{Baseline, BaselineError};
use crate::file_env::{self, AllowedEnv};
use mcp_oauth_engine::flow::{PinnedEndpoints, RegistrationFlow};
use mcp_oauth_engine::http::is_loopback;
use mcp_oauth_engine::profile::{self, Profile};

/// One target as the file gives it, checked and resolved.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub url: String,
    pub client_id: Option<String>,
    /// Read from the variable `client-secret-env` names, so never the command line's.
    pub client_secret: Option<String>,
    pub profile: Option<&'static Profile>,
    pub scope: Option<String>,
    pub baseline: Option<Baseline>,
    /// The registration the entry prescribes (`flow`); `None`: as discovery decides.
    pub flow: Option<RegistrationFlow>,
    pub client_metadata_url: Option<String>,
    /// Endpoints pinned for providers whose discovery is broken or absent.
    pub pinned: PinnedEndpoints,
}

impl Target {
    /// Whether the entry makes promises beyond its URL that live discovery can contradict.
    pub fn is_gallery_entry(&self) -> bool {
        self.flow.is_some() || !self.pinned.is_empty()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    targets: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Entry {
    name: String,
    url: String,
    #[serde(default)]
    client_id: Option<String>,
    /// The environment variable that holds the client secret.
    #[serde(default)]
    client_secret_env: Option<String>,
    #[serde(default)]
    profile: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    baseline: Option<PathBuf>,
    #[serde(default)]
    flow: Option<String>,
    #[serde(default)]
    client_metadata_url: Option<String>,
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    authorization_endpoint: Option<String>,
    #[serde(default)]
    token_endpoint: Option<String>,
    #[serde(default)]
    registration_endpoint: Option<String>,
    #[serde(default)]
    revocation_endpoint: Option<String>,
}

/// A targets file that cannot be used, with the file and line at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetsError {
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    File {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
    #[error(transparent)]
    Baseline(#[from] BaselineError),
}

/// Reads a targets file; `allowed` are the names beyond `MCP_OAUTH_*` it may read.
pub fn load(path: &Path, allowed: &AllowedEnv) -> Result<Vec<Target>, TargetsError> {
    let text = std::fs::read_to_string(path).map_err(|e| TargetsError::File {
        path: path.to_owned(),
        line: None,
        message: format!("cannot read the targets file: {e}"),
    })?;
    parse_allowing(path, &text, &|name| std::env::var(name).ok(), allowed)
}

/// Parses a targets file that may read only `MCP_OAUTH_*` variables; `env` looks them up.
pub fn parse(
    path: &Path,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Target>, TargetsError> {
    parse_allowing(path, text, env, &AllowedEnv::default())
}

/// Parses a targets file; `env` looks up client secrets among the names `allowed` lets the
/// file read, and baselines are read relative to the file.
pub fn parse_allowing(
    path: &Path,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
    allowed: &AllowedEnv,
) -> Result<Vec<Target>, TargetsError> {
    let error = |line: Option<usize>, message: String| TargetsError::File {
        path: path.to_owned(),
        line,
        message,
    };
    let is_toml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    let file: File = if is_toml {
        toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].lines().count().max(1));
            error(line, format!("not a targets file: {}", e.message()))
        })?
    } else {
        serde_norway::from_str(text).map_err(|e| {
            error(
                e.location().map(|l| l.line()),
                format!("not a targets file (a YAML mapping with a `targets` list): {e}"),
            )
        })?
    };
    if file.targets.is_empty() {
        return Err(error(None, "the file lists no targets".to_owned()));
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let mut targets: Vec<Target> = Vec::new();
    for entry in file.targets {
        let line = line_of(text, &entry.name);
        let name = entry.name.trim().to_owned();
        if name.is_empty() {
            return Err(error(line, "a target has an empty name".to_owned()));
        }
        if targets.iter().any(|t| t.name == name) {
            return Err(error(line, format!("target {name:?} is listed twice")));
        }
        if let Err(e) = url::Url::parse(&entry.url) {
            return Err(error(
                line,
                format!(
                    "target {name:?}: url {:?} is not an absolute URL: {e}",
                    entry.url
                ),
            ));
        }
        let profile = match &entry.profile {
            None => None,
            Some(p) => Some(profile::by_name(p).ok_or_else(|| {
                error(
                    line,
                    format!(
                        "target {name:?}: unknown profile {p:?}; known: {}",
                        profile::names().join(", ")
                    ),
                )
            })?),
        };
        let client_secret = match &entry.client_secret_env {
            None => None,
            Some(var) => {
                let at = field_line(text, line, "client-secret-env").or(line);
                if !allowed.permits(var) {
                    return Err(error(
                        at,
                        format!("target {name:?}: {}", file_env::refusal(var)),
                    ));
                }
                Some(env(var).ok_or_else(|| {
                    error(
                        at,
                        format!(
                            "target {name:?}: the environment variable {var} (client-secret-env) is not set"
                        ),
                    )
                })?)
            }
        };
        let gallery = gallery_fields(&entry).map_err(|(field, message)| {
            error(
                field_line(text, line, field).or(line),
                format!("target {name:?}: {field}: {message}"),
            )
        })?;
        let baseline = match &entry.baseline {
            None => None,
            Some(file) => Some(Baseline::load(&base.join(file))?),
        };
        targets.push(Target {
            name,
            url: entry.url,
            client_id: entry.client_id,
            client_secret,
            profile,
            scope: entry.scope,
            baseline,
            flow: gallery.0,
            client_metadata_url: entry.client_metadata_url,
            pinned: gallery.1,
        });
    }
    Ok(targets)
}

/// The entries named by `--provider` (all when none is named), in the file's order; a name
/// the file does not list is an error naming the ones it does.
pub fn select(targets: Vec<Target>, names: &[String], path: &Path) -> Result<Vec<Target>, String> {
    if names.is_empty() {
        return Ok(targets);
    }
    if let Some(unknown) = names
        .iter()
        .find(|n| !targets.iter().any(|t| &t.name == *n))
    {
        let listed: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
        return Err(format!(
            "{}: no entry named {unknown:?}; the file lists: {}",
            path.display(),
            listed.join(", ")
        ));
    }
    Ok(targets
        .into_iter()
        .filter(|t| names.contains(&t.name))
        .collect())
}

/// The gallery fields, checked: the flow is known and has what it needs, and every pinned
/// endpoint is an absolute https URL (http only on loopback). Errors name the field.
fn gallery_fields(
    entry: &Entry,
) -> Result<(Option<RegistrationFlow>, PinnedEndpoints), (&'static str, String)> {
    let flow = match entry.flow.as_deref() {
        None => None,
        Some(name) => Some(RegistrationFlow::parse(name).ok_or_else(|| {
            (
                "flow",
                format!(
                    "unknown flow {name:?}; known: {}",
                    RegistrationFlow::NAMES.join(", ")
                ),
            )
        })?),
    };
    match flow {
        Some(RegistrationFlow::ClientId) if entry.client_id.is_none() => {
            return Err((
                "client-id",
                "`flow: client-id` needs the entry's client-id".to_owned(),
            ));
        }
        Some(RegistrationFlow::Dcr) if entry.client_id.is_some() => {
            return Err((
                "client-id",
                "`flow: dcr` registers its own client: remove client-id, or say `flow: client-id`"
                    .to_owned(),
            ));
        }
        Some(RegistrationFlow::ClientMetadataUrl) if entry.client_metadata_url.is_none() => {
            return Err((
                "client-metadata-url",
                "`flow: client-metadata-url` needs the entry's client-metadata-url".to_owned(),
            ));
        }
        _ => {}
    }
    if let Some(url) = &entry.client_metadata_url {
        endpoint_url(url).map_err(|m| ("client-metadata-url", m))?;
    }
    let pinned = PinnedEndpoints {
        issuer: entry.issuer.clone(),
        authorization_endpoint: entry.authorization_endpoint.clone(),
        token_endpoint: entry.token_endpoint.clone(),
        registration_endpoint: entry.registration_endpoint.clone(),
        revocation_endpoint: entry.revocation_endpoint.clone(),
    };
    for (field, value) in pinned.fields() {
        if let Some(value) = value {
            endpoint_url(value).map_err(|m| (field, m))?;
        }
    }
    Ok((flow, pinned))
}

/// An absolute https URL, or http on a loopback host.
fn endpoint_url(text: &str) -> Result<(), String> {
    let url = url::Url::parse(text).map_err(|e| format!("{text:?} is not an absolute URL: {e}"))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        _ => Err(format!(
            "{text:?} must be an https URL (http only on a loopback host)"
        )),
    }
}

/// The line of `field` within the entry that starts at `entry_line`.
fn field_line(source: &str, entry_line: Option<usize>, field: &str) -> Option<usize> {
    let start = entry_line?;
    source
        .lines()
        .enumerate()
        .skip(start - 1)
        .take_while(|(i, line)| *i + 1 == start || !line.contains("name"))
        .find(|(_, line)| {
            let line = line.trim_start().trim_start_matches("- ");
            line.starts_with(&format!("{field}:")) || line.starts_with(&format!("{field} ="))
        })
        .map(|(i, _)| i + 1)
}

fn line_of(source: &str, name: &str) -> Option<usize> {
    source
        .lines()
        .position(|line| line.contains("name") && line.contains(name))
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn yaml_and_toml_list_the_same_targets() {
        let yaml = "targets:\n  - name: acme\n    url: https://mcp.acme.example/mcp\n  - name: globex\n    url: https://globex.example/mcp\n    client-id: app\n    client-secret-env: MCP_OAUTH_GLOBEX_SECRET\n    profile: mcp-2025-11-25\n";
        let env = |name: &str| (name == "MCP_OAUTH_GLOBEX_SECRET").then(|| "s3cret".to_owned());
        let targets = parse(Path::new("targets.yaml"), yaml, &env).unwrap();
        assert_eq!(targets.len(), 2);
        assert_eq!(targets[1].client_secret.as_deref(), Some("s3cret"));
        assert_eq!(targets[1].profile.unwrap().name, "mcp-2025-11-25");

        let toml = "[[targets]]\nname = \"acme\"\nurl = \"https://mcp.acme.example/mcp\"\n";
        let targets = parse(Path::new("targets.toml"), toml, &no_env).unwrap();
        assert_eq!(targets[0].name, "acme");
    }

    #[test]
    fn mistakes_are_named_with_file_and_line() {
        let err = parse(
            Path::new("t.yaml"),
            "targets:\n  - name: acme\n    url: https://a.example/mcp\n    clientid: x\n",
            &no_env,
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("t.yaml:"), "{err}");
        assert!(err.to_string().contains("clientid"), "{err}");

        let err = parse(
            Path::new("t.yaml"),
            "targets:\n  - name: acme\n    url: not a url\n",
            &no_env,
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("t.yaml:2:"), "{err}");

        let err = parse(
            Path::new("t.yaml"),
            "targets:\n  - name: a\n    url: https://a.example/\n  - name: a\n    url: https://b.example/\n",
            &no_env,
        )
        .unwrap_err();
        assert!(err.to_string().contains("listed twice"), "{err}");

        let err = parse(
            Path::new("t.yaml"),
            "targets:\n  - name: a\n    url: https://a.example/\n    client-secret-env: MCP_OAUTH_NOPE\n",
            &no_env,
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("t.yaml:4:"), "{err}");
        assert!(err.to_string().contains("MCP_OAUTH_NOPE"), "{err}");
        assert!(err.to_string().contains("is not set"), "{err}");

        let err = parse(Path::new("t.toml"), "[[targets]]\nname = 1\n", &no_env).unwrap_err();
        assert!(err.to_string().starts_with("t.toml:2:"), "{err}");

        let err = parse(Path::new("t.yaml"), "targets: []\n", &no_env).unwrap_err();
        assert!(err.to_string().contains("no targets"), "{err}");
    }

    /// Every variable is set, so only the rule can refuse; and a read is remembered.
    fn reading(read: &std::cell::RefCell<Vec<String>>) -> impl Fn(&str) -> Option<String> + '_ {
        move |name: &str| {
            read.borrow_mut().push(name.to_owned());
            Some(format!("value of {name}"))
        }
    }

    #[test]
    fn a_file_names_only_prefixed_variables_unless_the_command_line_allows_the_name() {
        let yaml = |var: &str| {
            format!(
                "targets:\n  - name: globex\n    url: https://globex.example/mcp\n    client-id: app\n    client-secret-env: {var}\n"
            )
        };
        let read = std::cell::RefCell::new(Vec::new());
        let env = reading(&read);

        let err = parse(Path::new("gallery.yaml"), &yaml("HOME"), &env).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("gallery.yaml:5: "), "{text}");
        assert!(
            text.contains("\"globex\"") && text.contains("HOME"),
            "{text}"
        );
        assert!(text.contains(file_env::RULE), "{text}");
        assert!(read.borrow().is_empty(), "refused before reading: {read:?}");

        let targets = parse(Path::new("gallery.yaml"), &yaml("MCP_OAUTH_X"), &env).unwrap();
        assert_eq!(
            targets[0].client_secret.as_deref(),
            Some("value of MCP_OAUTH_X")
        );

        let allowed = AllowedEnv::new(["GLOBEX_SECRET".to_owned()]);
        let targets = parse_allowing(
            Path::new("gallery.yaml"),
            &yaml("GLOBEX_SECRET"),
            &env,
            &allowed,
        )
        .unwrap();
        assert_eq!(
            targets[0].client_secret.as_deref(),
            Some("value of GLOBEX_SECRET")
        );
        let err =
            parse_allowing(Path::new("gallery.yaml"), &yaml("HOME"), &env, &allowed).unwrap_err();
        assert!(err.to_string().contains("--allow-env HOME"), "{err}");

        let toml = "[[targets]]\nname = \"globex\"\nurl = \"https://globex.example/mcp\"\nclient-secret-env = \"GITHUB_TOKEN\"\n";
        let err = parse(Path::new("gallery.toml"), toml, &env).unwrap_err();
        assert!(err.to_string().starts_with("gallery.toml:4: "), "{err}");
        assert_eq!(
            *read.borrow(),
            ["MCP_OAUTH_X", "GLOBEX_SECRET"],
            "only the permitted names were read"
        );
    }
}
