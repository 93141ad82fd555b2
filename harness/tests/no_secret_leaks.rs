//! No secret the mocks hand out (codes, access and refresh tokens, client secrets) may appear in
//! any rendering of any catalog report.

use mcp_oauth_harness::profile;
use mcp_oauth_harness::runner::run_scenario_with_secrets;
use mcp_oauth_harness::scenario::{catalog_dir, load_catalog};
use mcp_oauth_reports::render;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_report_of_any_scenario_contains_a_secret() {
    let catalog = load_catalog(&catalog_dir()).expect("the catalog loads");
    let mut secrets_seen = 0;
    for scenario in &catalog {
        for name in &scenario.profiles {
            let profile = profile::by_name(name).expect("validated on load");
            let (report, secrets) = run_scenario_with_secrets(scenario, profile)
                .await
                .expect("the scenario runs");
            secrets_seen += secrets.len();
            let renderings = [
                ("json", render::json(&report)),
                ("markdown", render::markdown(&report)),
                ("junit", render::junit(&report)),
                ("html", render::html(&report)),
            ];
            for secret in &secrets {
                for (format, text) in &renderings {
                    assert!(
                        !text.contains(secret.as_str()),
                        "{} ({name}): the {format} report contains a secret the server issued",
                        scenario.name
                    );
                }
            }
        }
    }
    // The catalog issues codes and tokens: a test that saw none would prove nothing.
    assert!(secrets_seen > 50, "only {secrets_seen} secrets were issued");
}
