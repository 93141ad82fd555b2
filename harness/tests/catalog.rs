//! Every catalog scenario, under each of its profiles, against fresh mocks: its expectations
//! must hold, its full report must satisfy docs/report.schema.json, and its digest (checks and
//! exchanges, one line each) must match the reviewed snapshot.

mod common;

use std::sync::Arc;

use mcp_oauth_harness::cli::run_all;
use mcp_oauth_harness::profile;
use mcp_oauth_harness::scenario::{catalog_dir, load_catalog};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_meets_its_expectations_and_matches_its_snapshot() {
    let catalog = load_catalog(&catalog_dir()).expect("the catalog loads");
    let mut runs = Vec::new();
    for scenario in catalog {
        let scenario = Arc::new(scenario);
        for name in &scenario.profiles {
            runs.push((
                scenario.clone(),
                profile::by_name(name).expect("validated on load"),
            ));
        }
    }
    let reports = run_all(runs, 4).await.expect("every scenario runs");
    let schema = common::report_schema();
    let mut unmet = Vec::new();
    let mut invalid = Vec::new();
    for report in &reports {
        let name = report
            .scenario
            .clone()
            .unwrap_or_default()
            .replace('@', "__");
        insta::assert_snapshot!(name.clone(), common::digest(&common::normalize(report)));
        for error in common::schema_errors(&schema, report) {
            invalid.push(format!("{name}: {error}"));
        }
        for e in report.expectations.iter().filter(|e| !e.met) {
            unmet.push(format!(
                "{name}: expected {} to be {} but it was {}",
                e.description, e.expected, e.actual
            ));
        }
    }
    assert!(
        invalid.is_empty(),
        "reports that break docs/report.schema.json:\n{}",
        invalid.join("\n")
    );
    assert!(
        unmet.is_empty(),
        "unmet expectations:\n{}",
        unmet.join("\n")
    );
}
