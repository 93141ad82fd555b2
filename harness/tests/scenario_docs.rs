//! docs/scenarios.md lists the catalog; this test fails when the table and `scenarios/` drift
//! apart: a scenario without a row, a row without a scenario, or a row whose profiles, expected
//! diagnosis codes or spec references differ from the file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use mcp_oauth_harness::scenario::{Scenario, catalog_dir, load_catalog};

/// One row of the catalog table.
#[derive(Debug)]
struct Row {
    profiles: Vec<String>,
    outcome: String,
    spec: BTreeSet<String>,
}

const HEADER: &str = "| Scenario | Profiles | What the mock does | Expected outcome | Spec |";
const SEEN_HEADER: &str = "| Scenario | Seen at | What the provider does |";

fn docs() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/scenarios.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The backticked words of a cell, in order: "`a`, `b`" → [a, b].
fn backticked(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The rows of the markdown table headed `header`, by the scenario its first cell names; each
/// row has `width` cells.
fn table<'a>(markdown: &'a str, header: &str, width: usize) -> BTreeMap<String, Vec<&'a str>> {
    let mut lines = markdown.lines().skip_while(|l| l.trim() != header);
    assert!(
        lines.next().is_some(),
        "docs/scenarios.md has no table headed {header:?}"
    );
    let mut rows = BTreeMap::new();
    for line in lines.skip(1).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        assert_eq!(
            cells.len(),
            width,
            "a row of {header:?} needs {width} cells: {line}"
        );
        let names = backticked(cells[0]);
        assert_eq!(names.len(), 1, "the first cell names one scenario: {line}");
        let name = names[0].clone();
        assert!(
            rows.insert(name.clone(), cells).is_none(),
            "{name} has two rows in {header:?}"
        );
    }
    rows
}

/// The rows of the table that starts with [`HEADER`], by scenario name.
fn catalog_table(markdown: &str) -> BTreeMap<String, Row> {
    table(markdown, HEADER, 5)
        .into_iter()
        .map(|(name, cells)| {
            let row = Row {
                profiles: backticked(cells[1]),
                outcome: cells[3].to_owned(),
                spec: backticked(cells[4]).into_iter().collect(),
            };
            (name, row)
        })
        .collect()
}

/// The "Seen in the field" table: the sources each listed scenario names, by scenario name.
fn seen_in_the_field(markdown: &str) -> BTreeMap<String, Vec<String>> {
    table(markdown, SEEN_HEADER, 3)
        .into_iter()
        .map(|(name, cells)| (name, backticked(cells[1])))
        .collect()
}

/// Every diagnosis code a scenario expects at the end of a run, under any of its profiles.
fn expected_diagnoses(scenario: &Scenario) -> BTreeSet<String> {
    scenario
        .profiles
        .iter()
        .filter_map(|p| scenario.expectations_for(p).diagnosis.clone())
        .filter(|code| code != "none")
        .collect()
}

#[test]
fn the_docs_table_lists_exactly_the_catalog() {
    let catalog = load_catalog(&catalog_dir()).expect("the catalog loads");
    let rows = catalog_table(&docs());

    let in_catalog: BTreeSet<&str> = catalog.iter().map(|s| s.name.as_str()).collect();
    let in_docs: BTreeSet<&str> = rows.keys().map(String::as_str).collect();
    let undocumented: Vec<_> = in_catalog.difference(&in_docs).collect();
    let stale: Vec<_> = in_docs.difference(&in_catalog).collect();
    assert!(
        undocumented.is_empty() && stale.is_empty(),
        "docs/scenarios.md drifted from scenarios/: missing rows for {undocumented:?}; rows without a scenario: {stale:?}"
    );

    let mut drift = Vec::new();
    for scenario in &catalog {
        let row = &rows[&scenario.name];
        if row.profiles != scenario.profiles {
            drift.push(format!(
                "{}: profiles are {:?} in the file but {:?} in the docs",
                scenario.name, scenario.profiles, row.profiles
            ));
        }
        let spec: BTreeSet<String> = scenario.spec.iter().cloned().collect();
        if row.spec != spec {
            drift.push(format!(
                "{}: spec is {spec:?} in the file but {:?} in the docs",
                scenario.name, row.spec
            ));
        }
        for code in expected_diagnoses(scenario) {
            if !row.outcome.contains(&format!("`{code}`")) {
                drift.push(format!(
                    "{}: the expected outcome does not name the diagnosis `{code}`",
                    scenario.name
                ));
            }
        }
    }
    assert!(
        drift.is_empty(),
        "docs/scenarios.md drifted:\n{}",
        drift.join("\n")
    );
}

#[test]
fn the_seen_table_parser_reads_names_and_sources() {
    let markdown = format!("{SEEN_HEADER}\n|---|---|---|\n| `a` | `x#1`, `Sentry MCP` | m |\n");
    let rows = seen_in_the_field(&markdown);
    assert_eq!(rows["a"], ["x#1", "Sentry MCP"]);
}

#[test]
fn the_table_parser_reads_names_profiles_and_spec() {
    let markdown = format!(
        "# x\n\n{HEADER}\n|---|---|---|---|---|\n| `a` | `pipelines`, `mcp-2025-11-25` | m | fails with `d` | `RFC1-2` |\n\nafter\n"
    );
    let rows = catalog_table(&markdown);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows["a"].profiles, ["pipelines", "mcp-2025-11-25"]);
    assert!(rows["a"].outcome.contains("`d`"));
    assert!(rows["a"].spec.contains("RFC1-2"));
}
