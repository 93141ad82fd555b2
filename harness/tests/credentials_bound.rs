//! A Client ID and secret the user brought belong to the authorization server they were first
//! used at: when a server's metadata names another one (`credentials-foreign-issuer`), nothing
//! of them reaches it, in any request, under any profile the scenario runs (GHSA-6qxp-vccf-f47h).

use mcp_oauth_harness::profile;
use mcp_oauth_harness::runner::run_scenario;
use mcp_oauth_harness::scenario::{catalog_dir, load_catalog};
use url::Url;

const CLIENT_ID: &str = "byo-confidential-app";

fn origin(url: &str) -> String {
    Url::parse(url).map_or_else(|_| url.to_owned(), |u| u.origin().ascii_serialization())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brought_credentials_never_reach_another_authorization_server() {
    let catalog = load_catalog(&catalog_dir()).expect("the catalog loads");
    let scenario = catalog
        .iter()
        .find(|s| s.name == "credentials-foreign-issuer")
        .expect("the scenario is in the catalog");
    for name in &scenario.profiles {
        let profile = profile::by_name(name).expect("a known profile");
        let report = run_scenario(scenario, profile)
            .await
            .expect("the scenario runs");
        // The authorization servers in the order discovery met them: the first, then the
        // one the metadata named after the switch.
        let mut issuers: Vec<String> = Vec::new();
        for check in report
            .checks
            .iter()
            .filter(|c| c.id == "as-metadata-discovered")
        {
            let issuer = check.details.as_ref().and_then(|d| d.get("issuer"));
            if let Some(issuer) = issuer.and_then(|i| i.as_str())
                && !issuers.iter().any(|known| known == issuer)
            {
                issuers.push(issuer.to_owned());
            }
        }
        assert_eq!(
            issuers.len(),
            2,
            "{name}: both servers discovered: {issuers:?}"
        );
        let foreign = origin(&issuers[1]);
        let sent_there: Vec<&str> = report
            .exchanges
            .iter()
            .filter(|e| origin(&e.request.url) == foreign)
            .map(|e| e.request.url.as_str())
            .collect();
        assert!(!sent_there.is_empty(), "{name}: its metadata was fetched");
        for exchange in report
            .exchanges
            .iter()
            .filter(|e| origin(&e.request.url) == foreign)
        {
            let request = &exchange.request;
            let mut sent = vec![
                request.url.clone(),
                request.body.clone().unwrap_or_default(),
            ];
            sent.extend(request.headers.iter().map(|(_, v)| v.clone()));
            // The report redacts secrets, so the Client ID, which it keeps, stands for both;
            // check_credentials_bound.rs reads the mocks' own log for the secret.
            for text in &sent {
                assert!(
                    !text.contains(CLIENT_ID),
                    "{name}: the Client ID went to {foreign}: {text}"
                );
            }
            // No authorization, registration or token request: only discovery.
            assert!(
                request.url.contains("/.well-known/"),
                "{name}: {} {} went to the foreign server",
                request.method,
                request.url
            );
        }
    }
}
