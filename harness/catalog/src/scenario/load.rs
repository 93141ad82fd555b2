//! Loading and validating scenario files. Errors name the file, the line and the field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::model::{ActionKind, Expectations, Scenario};
use super::position::line_of;
use mcp_oauth_engine::flow::together::MAX_CALLS_TOGETHER;
use mcp_oauth_engine::{checks, diagnosis, profile, spec};

/// The grant types the harness sends; a count under any other name would always be 0, so an
/// expectation of 0 under a misspelt name would hold whatever happened.
const GRANT_TYPES: &[&str] = &[
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
    "urn:ietf:params:oauth:grant-type:token-exchange",
];

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// The catalog's directory in the source tree (for tests and benchmarks that run in the
/// checkout; the binary uses the embedded copy, `CatalogSource::Embedded`).
pub fn catalog_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios")
}

/// Every `*.toml` in `dir`, sorted by name.
pub fn load_catalog(dir: &Path) -> Result<Vec<Scenario>, LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|source| LoadError::Read {
        path: dir.to_owned(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    parse_all(&paths, |p| load_file(p))
}

/// `parse` applied to every item, the items split between two threads, results in the items'
/// order (the first error in that order wins). Parsing the whole catalog took about 4 ms, all
/// of it before `run` could start a single run; on two cores it takes about half that.
pub(super) fn parse_all<T: Sync, R: Send>(
    items: &[T],
    parse: impl Fn(&T) -> Result<R, LoadError> + Sync,
) -> Result<Vec<R>, LoadError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Below a handful of files a thread costs more than it saves.
    if cores < 2 || items.len() < 16 {
        return items.iter().map(&parse).collect();
    }
    let (first, second) = items.split_at(items.len() / 2);
    let parse = &parse;
    let (first, second) = std::thread::scope(|scope| {
        let other = scope.spawn(move || second.iter().map(parse).collect::<Vec<_>>());
        let first: Vec<_> = first.iter().map(parse).collect();
        (first, other.join())
    });
    let second = match second {
        Ok(second) => second,
        // A panic while parsing is a bug: the same panic, on this thread.
        Err(panic) => std::panic::resume_unwind(panic),
    };
    first.into_iter().chain(second).collect()
}

pub fn load_file(path: &Path) -> Result<Scenario, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: path.to_owned(),
        source,
    })?;
    load_text(path, &text)
}

/// Parses one scenario file's text; `path` names it in errors and must match its `name`.
pub(super) fn load_text(path: &Path, text: &str) -> Result<Scenario, LoadError> {
    let scenario = parse(text).map_err(|message| LoadError::Invalid {
        path: path.to_owned(),
        message,
    })?;
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    if scenario.name != stem {
        return Err(LoadError::Invalid {
            path: path.to_owned(),
            message: format!(
                "line 1: field `name` is {:?} but the file is {stem}.toml; they must match",
                scenario.name
            ),
        });
    }
    Ok(scenario)
}

/// Parses and validates scenario text; the error says where and what.
pub fn parse(text: &str) -> Result<Scenario, String> {
    let scenario: Scenario = toml::from_str(text).map_err(|e| e.to_string())?;
    validate(&scenario, text)?;
    Ok(scenario)
}

fn validate(scenario: &Scenario, text: &str) -> Result<(), String> {
    // Knob combinations the mocks cannot serve are refused here, against the file.
    scenario
        .mocks
        .validate()
        .map_err(|e| format!("[mocks.{}]: {}", e.knob, e.message))?;
    super::bounds::validate(scenario, text)?;
    if scenario.profiles.is_empty() {
        return Err("field `profiles` must name at least one profile".to_owned());
    }
    for name in &scenario.profiles {
        if profile::by_name(name).is_none() {
            return Err(format!(
                "field `profiles`: unknown profile {name:?}; known: {}",
                profile::names().join(", ")
            ));
        }
    }
    for id in &scenario.spec {
        if !spec::ALL.iter().any(|r| r.id == id) {
            return Err(format!(
                "field `spec`: unknown spec reference {id:?}; known: {}",
                spec::ALL
                    .iter()
                    .map(|r| r.id)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    for source in &scenario.seen_at {
        if source.trim().is_empty() || source.len() > 200 || source.contains('`') {
            return Err(format!(
                "field `seen-at`: {source:?} is not a source; write each public report as \"repo#issue\" or a provider's name, without backticks, up to 200 characters"
            ));
        }
    }
    if let Some(path) = &scenario.client.pasted_path
        && (!path.starts_with('/')
            || path.contains(['?', '#'])
            || path.contains(char::is_whitespace))
    {
        return Err(format!(
            "[client] field `pasted-path`: {path:?} must be a path starting with \"/\", without query, fragment or spaces"
        ));
    }
    if scenario.client.client_metadata_document_moved && !scenario.client.client_metadata_document {
        return Err(
            "[client] field `client-metadata-document-moved` needs `client-metadata-document = true`: only a published document can move".to_owned(),
        );
    }
    let client = &scenario.client;
    if client.client_metadata_document_delay_secs.is_some() {
        if !client.client_metadata_document {
            return Err(
                "[client] field `client-metadata-document-delay-secs` needs `client-metadata-document = true`: only a published document can be slow to answer".to_owned(),
            );
        }
        if client.client_metadata_document_moved {
            return Err(
                "[client] fields `client-metadata-document-moved` and `client-metadata-document-delay-secs` are each one failure of the fetch: give one of them".to_owned(),
            );
        }
    }
    if scenario.steps.is_empty() {
        return Err("field `steps` must list at least one step".to_owned());
    }
    for (index, step) in scenario.steps.iter().enumerate() {
        let line = line_of(text, step.span().start);
        let at = |field: &str, message: String| {
            format!("line {line}: steps[{index}] field `{field}`: {message}")
        };
        let step = step.get_ref();
        let needs = |present: bool, field: &str| {
            if present {
                Ok(())
            } else {
                Err(at(
                    field,
                    format!("required by action {:?}", step.action.as_str()),
                ))
            }
        };
        match step.action {
            ActionKind::CallTool => needs(step.tool.is_some(), "tool")?,
            ActionKind::CallToolsTogether => {
                needs(step.tool.is_some(), "tool")?;
                needs(step.count.is_some(), "count")?;
                let count = step.count.unwrap_or(0);
                if !(2..=MAX_CALLS_TOGETHER).contains(&count) {
                    return Err(at(
                        "count",
                        format!(
                            "{count} calls: call-tools-together starts from 2 to {MAX_CALLS_TOGETHER} calls at once"
                        ),
                    ));
                }
            }
            ActionKind::AdvanceClock => needs(step.seconds.is_some(), "seconds")?,
            ActionKind::FailNextRefreshes => needs(step.count.is_some(), "count")?,
            ActionKind::RestartOnPort => match step.port {
                None => needs(false, "port")?,
                Some(0) => return Err(at("port", "port 0 is no callback port".to_owned())),
                Some(_) => {}
            },
            ActionKind::ConnectGallery => match &step.entry {
                None => needs(false, "entry")?,
                Some(entry) => {
                    if let Some(problem) = entry.problem() {
                        return Err(at("entry", problem));
                    }
                }
            },
            ActionKind::SwitchAuthorizationServer
                if !scenario
                    .mocks
                    .resource_server
                    .alternate_authorization_server =>
            {
                return Err(at(
                    "action",
                    "switch-authorization-server needs [mocks.resource-server] alternate-authorization-server = true".to_owned(),
                ));
            }
            _ => {}
        }
        let delays = step.consent_delay_secs != 0 || step.code_redemption_delay_secs != 0;
        let authorizes = matches!(
            step.action,
            ActionKind::Connect | ActionKind::ConnectOnDemand | ActionKind::ConnectGallery
        );
        if delays && !authorizes {
            return Err(at(
                "consent-delay-secs",
                "delays belong to connect and connect-on-demand steps".to_owned(),
            ));
        }
        if let Some(code) = &step.expect_diagnosis {
            check_diagnosis(code).map_err(|m| at("expect-diagnosis", m))?;
        }
        if let Some(id) = step
            .expect_checks
            .keys()
            .find(|id| checks::by_id(id).is_none())
        {
            return Err(at("expect-checks", format!("unknown check id {id:?}")));
        }
        check_grant_types(&step.expect_token_requests)
            .map_err(|m| at("expect-token-requests", m))?;
    }
    check_expectations(&scenario.expect, scenario, "expect")?;
    if let Some(client) = &scenario.conformant_client {
        super::client::validate(
            client,
            scenario
                .mocks
                .resource_server
                .alternate_authorization_server,
            text,
        )?;
    }
    Ok(())
}

fn check_expectations(
    expect: &Expectations,
    scenario: &Scenario,
    table: &str,
) -> Result<(), String> {
    if let Some(code) = &expect.diagnosis
        && code != "none"
    {
        check_diagnosis(code).map_err(|m| format!("[{table}] field `diagnosis`: {m}"))?;
    }
    for id in expect.checks.keys() {
        if checks::by_id(id).is_none() {
            return Err(format!("[{table}.checks] unknown check id {id:?}"));
        }
    }
    for (id, fields) in &expect.check_details {
        if checks::by_id(id).is_none() {
            return Err(format!("[{table}.check-details] unknown check id {id:?}"));
        }
        if fields.is_empty() {
            return Err(format!(
                "[{table}.check-details] {id:?} names no field, so it would hold whenever the check is recorded"
            ));
        }
    }
    check_grant_types(&expect.token_requests)
        .map_err(|m| format!("[{table}.token-requests] {m}"))?;
    for (name, nested) in &expect.profiles {
        if !scenario.profiles.contains(name) {
            return Err(format!(
                "[{table}.profiles.{name}]: {name:?} is not in this scenario's `profiles`"
            ));
        }
        if !nested.profiles.is_empty() {
            return Err(format!(
                "[{table}.profiles.{name}] cannot nest further profiles"
            ));
        }
        check_expectations(nested, scenario, &format!("{table}.profiles.{name}"))?;
    }
    Ok(())
}

fn check_grant_types(counts: &BTreeMap<String, usize>) -> Result<(), String> {
    match counts.keys().find(|g| !GRANT_TYPES.contains(&g.as_str())) {
        Some(unknown) => Err(format!(
            "unknown grant type {unknown:?}; known: {}",
            GRANT_TYPES.join(", ")
        )),
        None => Ok(()),
    }
}

fn check_diagnosis(code: &str) -> Result<(), String> {
    if diagnosis::ALL_CODES.contains(&code) {
        Ok(())
    } else {
        Err(format!(
            "unknown diagnosis code {code:?}; known: {}",
            diagnosis::ALL_CODES.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name = "x"
description = "d"

[[steps]]
action = "connect"
"#;

    #[test]
    fn a_minimal_scenario_parses() {
        let s = parse(MINIMAL).unwrap();
        assert_eq!(s.profiles, ["pipelines"]);
        assert_eq!(s.steps.len(), 1);
    }

    #[test]
    fn an_unknown_field_names_line_and_field() {
        let text = format!("{MINIMAL}consent-dealy-secs = 3\n");
        let err = parse(&text).unwrap_err();
        assert!(
            err.contains("line 7") && err.contains("consent-dealy-secs"),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_knob_is_refused_with_its_name() {
        let text =
            format!("{MINIMAL}\n[mocks.authorization-server]\ndynamic-registraton = false\n");
        let err = parse(&text).unwrap_err();
        assert!(err.contains("dynamic-registraton"), "{err}");
    }

    #[test]
    fn a_missing_action_field_names_the_step_line() {
        let text = format!("{MINIMAL}\n[[steps]]\naction = \"call-tool\"\n");
        let err = parse(&text).unwrap_err();
        assert!(err.contains("line 8") && err.contains("`tool`"), "{err}");
    }

    #[test]
    fn a_knob_combination_the_mocks_cannot_serve_names_the_knob() {
        let text = format!("{MINIMAL}\n[mocks.resource-server]\ncustom-metadata-path = \"/x\"\n");
        let err = parse(&text).unwrap_err();
        assert!(err.contains("custom-metadata-path"), "{err}");
    }

    #[test]
    fn a_slow_document_needs_a_published_one_and_no_move() {
        let without = format!("{MINIMAL}\n[client]\nclient-metadata-document-delay-secs = 30\n");
        let err = parse(&without).unwrap_err();
        assert!(
            err.contains("client-metadata-document-delay-secs") && err.contains("needs"),
            "{err}"
        );
        let published = format!(
            "{MINIMAL}\n[client]\nclient-metadata-document = true\nclient-metadata-document-delay-secs = 30\n"
        );
        assert!(parse(&published).is_ok());
        let moved = format!("{published}client-metadata-document-moved = true\n");
        let err = parse(&moved).unwrap_err();
        assert!(err.contains("give one of them"), "{err}");
        let endless = published.replace("= 30", "= 99999999999");
        let err = parse(&endless).unwrap_err();
        assert!(err.contains("100 years"), "{err}");
    }

    #[test]
    fn switching_authorization_servers_needs_an_alternate_one() {
        let text = format!("{MINIMAL}\n[[steps]]\naction = \"switch-authorization-server\"\n");
        let err = parse(&text).unwrap_err();
        assert!(
            err.contains("line 8") && err.contains("alternate-authorization-server"),
            "{err}"
        );
        let text =
            format!("{text}\n[mocks.resource-server]\nalternate-authorization-server = true\n");
        assert!(parse(&text).is_ok());
    }

    #[test]
    fn unknown_codes_and_checks_are_refused() {
        let err = parse(&format!("{MINIMAL}\n[expect]\ndiagnosis = \"nope\"\n")).unwrap_err();
        assert!(err.contains("unknown diagnosis code"), "{err}");
        let err = parse(&format!("{MINIMAL}\n[expect.checks]\nnope = \"SUCCESS\"\n")).unwrap_err();
        assert!(err.contains("unknown check id"), "{err}");
        let err = parse(&format!(
            "{MINIMAL}\n[expect.check-details]\nnope = {{ x = 1 }}\n"
        ))
        .unwrap_err();
        assert!(err.contains("[expect.check-details]"), "{err}");
        let err = parse(&format!(
            "{MINIMAL}\n[expect.check-details]\nclient-id = {{}}\n"
        ))
        .unwrap_err();
        assert!(err.contains("names no field"), "{err}");
        let err = parse(&format!(
            "{MINIMAL}expect-checks = {{ nope = \"SUCCESS\" }}\n"
        ))
        .unwrap_err();
        assert!(
            err.contains("line 5") && err.contains("expect-checks"),
            "{err}"
        );
        let err = parse(&format!("profiles = [\"nope\"]\n{MINIMAL}")).unwrap_err();
        assert!(err.contains("unknown profile"), "{err}");
    }

    #[test]
    fn an_empty_seen_at_source_is_refused() {
        let err = parse(&format!("seen-at = [\" \"]\n{MINIMAL}")).unwrap_err();
        assert!(err.contains("field `seen-at`"), "{err}");
        let ok = parse(&format!("seen-at = [\"nutrition-mcp#51\"]\n{MINIMAL}"));
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[test]
    fn misspelt_grant_types_and_spec_ids_are_refused() {
        let err = parse(&format!(
            "{MINIMAL}\n[expect.token-requests]\nrefresh-token = 0\n"
        ))
        .unwrap_err();
        assert!(
            err.contains("unknown grant type \"refresh-token\""),
            "{err}"
        );
        let text = format!("{MINIMAL}expect-token-requests = {{ refresh = 0 }}\n");
        let err = parse(&text).unwrap_err();
        assert!(
            err.contains("line 5") && err.contains("expect-token-requests"),
            "{err}"
        );
        let err = parse(&format!("spec = [\"RFC9999-1\"]\n{MINIMAL}")).unwrap_err();
        assert!(err.contains("unknown spec reference"), "{err}");
    }
}
