//! The JSON rendering must satisfy the published schema, docs/report.schema.json, so that the
//! documented contract and the code cannot drift apart unnoticed.

mod common;

use mcp_oauth_reports::render;
use serde_json::{Value, json};

fn validator() -> jsonschema::Validator {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/report.schema.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let schema: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{path} is not a valid schema: {e}"))
}

fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn sample_report_matches_schema() {
    let instance: Value = serde_json::from_str(&render::json(&common::report())).unwrap();
    let errors = errors(&validator(), &instance);
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn minimal_live_report_matches_schema() {
    // Optional fields absent, nothing failed: the other end of the range of valid reports.
    let mut report = common::report();
    report.scenario = None;
    report.target.kind = mcp_oauth_reports::TargetKind::Live;
    report.outcome.diagnosis = None;
    report.expectations.clear();
    report.exchanges.clear();
    report.checks.clear();
    report.summary = mcp_oauth_reports::Summary::of(&report.checks);
    let instance: Value = serde_json::from_str(&render::json(&report)).unwrap();
    let errors = errors(&validator(), &instance);
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn schema_rejects_what_the_contract_forbids() {
    let validator = validator();
    let valid: Value = serde_json::from_str(&render::json(&common::report())).unwrap();
    let broken = |edit: &dyn Fn(&mut Value)| {
        let mut v = valid.clone();
        edit(&mut v);
        !validator.is_valid(&v)
    };
    assert!(broken(&|v| v["checks"][0]["status"] = json!("PASSED")));
    assert!(broken(&|v| v["outcome"]["health"] = json!("degraded")));
    assert!(broken(&|v| v["target"]["kind"] = json!("staging")));
    assert!(broken(&|v| {
        v["checks"][0].as_object_mut().unwrap().remove("timestamp");
    }));
    assert!(broken(&|v| {
        v["outcome"].as_object_mut().unwrap().remove("diagnosis");
    }));
    assert!(broken(&|v| v["checks"][0]["timestamp"] = json!("yesterday")));
    assert!(broken(&|v| v["summary"]["extra"] = json!(1)));
}

#[test]
fn documented_example_matches_schema() {
    // The example in docs/report-format.md is what readers copy; it must stay valid.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/report-format.md");
    let doc = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let start = doc.find("```json\n").expect("a JSON example") + "```json\n".len();
    let end = start
        + doc[start..]
            .find("```")
            .expect("the example's closing fence");
    let example: Value = serde_json::from_str(&doc[start..end]).expect("the example is JSON");
    let errors = errors(&validator(), &example);
    assert!(errors.is_empty(), "{errors:#?}");
    // And it is a report the model reads.
    serde_json::from_value::<mcp_oauth_reports::Report>(example).unwrap();
}

#[test]
fn live_report_with_a_verdict_matches_schema() {
    let mut report = common::report();
    report.scenario = None;
    report.target.kind = mcp_oauth_reports::TargetKind::Live;
    report.expectations.clear();
    report.verdict = Some(common::verdict());
    let instance: Value = serde_json::from_str(&render::json(&report)).unwrap();
    let validator = validator();
    let errors = errors(&validator, &instance);
    assert!(errors.is_empty(), "{errors:#?}");
    // Round-trips through the model.
    let parsed: mcp_oauth_reports::Report = serde_json::from_value(instance.clone()).unwrap();
    assert_eq!(parsed, report);
    // And the schema holds the verdict to its contract.
    let broken = |edit: &dyn Fn(&mut Value)| {
        let mut v = instance.clone();
        edit(&mut v);
        !validator.is_valid(&v)
    };
    assert!(broken(
        &|v| v["verdict"]["profiles"][0]["connects"] = json!("maybe")
    ));
    assert!(broken(&|v| {
        v["verdict"]["profiles"][0]
            .as_object_mut()
            .unwrap()
            .remove("verified");
    }));
    assert!(broken(
        &|v| v["verdict"]["topFix"]["code"] = json!("Not Kebab")
    ));
}

#[test]
fn a_report_with_its_script_matches_schema_and_a_bad_script_does_not() {
    let mut report = common::report();
    report.script = vec![mcp_oauth_reports::ScriptStep {
        action: "call-tool".into(),
        checks: 2,
        exchanges: 1,
    }];
    let mut instance: Value = serde_json::from_str(&render::json(&report)).unwrap();
    let validator = validator();
    let found = errors(&validator, &instance);
    assert!(found.is_empty(), "{found:#?}");
    instance["script"][0]["checks"] = json!(-1);
    instance["script"][0]["extra"] = json!(true);
    assert!(!errors(&validator, &instance).is_empty());
}
