//! The file parsers people hand the tool (scenario files, `check` baselines, `check --targets`
//! and gallery files) never panic, whatever the text; a file broken on one line is refused
//! with an error that names that line.

use std::path::Path;

use mcp_oauth_harness::check::baseline::Baseline;
use mcp_oauth_harness::check::targets;
use mcp_oauth_harness::scenario::{self, catalog_dir};
use proptest::prelude::*;

fn no_env(_: &str) -> Option<String> {
    None
}

const TARGETS_YAML: &str = "targets:\n  - name: acme\n    url: https://mcp.acme.example/mcp\n  - name: globex\n    url: https://globex.example/mcp\n    client-id: app\n    profile: mcp-2025-11-25\n    scope: mcp:tools\n";
const TARGETS_TOML: &str = "[[targets]]\nname = \"acme\"\nurl = \"https://mcp.acme.example/mcp\"\n\n[[targets]]\nname = \"globex\"\nurl = \"https://globex.example/mcp\"\nclient-id = \"app\"\n";
const BASELINE: &str = "server:\n  - registration\n  - discovery:pkce-s256-advertised\n";

fn a_catalog_scenario() -> String {
    let path = catalog_dir().join("dcr-happy-path.toml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `text` with `garbage` put in at a char boundary near `at`.
fn spliced(text: &str, at: usize, garbage: &str) -> String {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    format!("{}{garbage}{}", &text[..at], &text[at..])
}

/// `text` with its line `line` (0-based, modulo the line count) replaced by `replacement`;
/// returns the text and the 1-based number of the replaced line.
fn with_line(text: &str, line: usize, replacement: &str) -> (String, usize) {
    let lines: Vec<&str> = text.lines().collect();
    let index = line % lines.len();
    let mut out: Vec<&str> = lines.clone();
    out[index] = replacement;
    (out.join("\n") + "\n", index + 1)
}

fn names_line(message: &str, line: usize) -> bool {
    message.contains(&format!("line {line}")) || message.contains(&format!(":{line}:"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn the_scenario_parser_never_panics(text in ".{0,400}") {
        let _ = scenario::parse(&text);
    }

    #[test]
    fn a_mutated_scenario_never_panics(at in any::<usize>(), garbage in "[\\[\\]\"'=#{}\n a-z0-9.-]{1,12}") {
        let _ = scenario::parse(&spliced(&a_catalog_scenario(), at, &garbage));
    }

    #[test]
    fn a_scenario_broken_on_one_line_names_it(line in any::<usize>(), junk in "[a-z]{1,8}") {
        let (text, number) = with_line(&a_catalog_scenario(), line, &format!("{junk} = \"unterminated"));
        let error = scenario::parse(&text).expect_err("an unterminated string is refused");
        prop_assert!(names_line(&error, number), "line {number} not named in: {error}");
    }

    #[test]
    fn the_baseline_parser_never_panics(text in ".{0,300}") {
        let _ = Baseline::parse(Path::new("baseline.yaml"), &text);
    }

    #[test]
    fn a_mutated_baseline_never_panics(at in any::<usize>(), garbage in "[-:\\[\\]{}\"' \na-z]{1,10}") {
        let _ = Baseline::parse(Path::new("baseline.yaml"), &spliced(BASELINE, at, &garbage));
    }

    #[test]
    fn a_baseline_entry_that_is_unknown_names_its_line(step in "[a-z]{3,10}") {
        prop_assume!(step != "registration" && step != "discovery");
        let text = format!("server:\n  - registration\n  - {step}-nope:some-check\n");
        let error = Baseline::parse(Path::new("b.yaml"), &text).expect_err("unknown step");
        prop_assert_eq!(error.line, Some(3), "{}", error);
        prop_assert!(error.to_string().starts_with("b.yaml:3: "), "{}", error);
    }

    #[test]
    fn the_targets_parsers_never_panic(text in ".{0,300}") {
        let _ = targets::parse(Path::new("targets.yaml"), &text, &no_env);
        let _ = targets::parse(Path::new("targets.toml"), &text, &no_env);
    }

    #[test]
    fn mutated_targets_files_never_panic(at in any::<usize>(), garbage in "[-:\\[\\]{}\"'= \na-z]{1,10}") {
        let _ = targets::parse(Path::new("t.yaml"), &spliced(TARGETS_YAML, at, &garbage), &no_env);
        let _ = targets::parse(Path::new("t.toml"), &spliced(TARGETS_TOML, at, &garbage), &no_env);
    }

    #[test]
    fn a_toml_targets_file_broken_on_one_line_names_it(line in any::<usize>()) {
        let (text, number) = with_line(TARGETS_TOML, line, "url = \"unterminated");
        let error = targets::parse(Path::new("t.toml"), &text, &no_env).expect_err("refused");
        prop_assert!(error.to_string().starts_with(&format!("t.toml:{number}: ")), "line {number}: {error}");
    }

    #[test]
    fn a_yaml_targets_file_broken_on_one_line_names_it(line in 1usize..8) {
        // An unterminated flow sequence on a value line.
        let (text, number) = with_line(TARGETS_YAML, line, "    scope: [unterminated");
        let error = targets::parse(Path::new("t.yaml"), &text, &no_env).expect_err("refused");
        let message = error.to_string();
        let named = (number..=number + 1).any(|n| message.starts_with(&format!("t.yaml:{n}: ")));
        prop_assert!(named, "line {number}: {message}");
    }
}

#[test]
fn the_unmutated_files_parse() {
    // The mutations above start from files that are valid, so a refusal is the mutation's.
    scenario::parse(&a_catalog_scenario()).expect("the catalog file parses");
    Baseline::parse(Path::new("b.yaml"), BASELINE).expect("the baseline parses");
    targets::parse(Path::new("t.yaml"), TARGETS_YAML, &no_env).expect("yaml parses");
    targets::parse(Path::new("t.toml"), TARGETS_TOML, &no_env).expect("toml parses");
}
