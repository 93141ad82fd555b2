//! A scenario whose expectations hold whatever happens proves nothing. For every catalog
//! scenario, [`MUTATIONS`] names one change to a mock knob or to what the harness is given that
//! breaks the scenario's story; the mutated scenario must then have at least one unmet
//! expectation. Adding a scenario without a mutation fails this test.

use std::collections::BTreeSet;

use mcp_oauth_harness::flow::DEFAULT_REDIRECT_URI;
use mcp_oauth_harness::profile;
use mcp_oauth_harness::runner::run_scenario;
use mcp_oauth_harness::scenario::{
    ActionKind, PastedUrl, Scenario, Step, catalog_dir, load_catalog,
};
use mcp_oauth_mocks::config::{Consent, IssuerForm, PrmLocation, ResourceForm};

struct Mutation {
    scenario: &'static str,
    /// What changes, and why the story no longer holds.
    change: &'static str,
    mutate: fn(&mut Scenario),
}

/// The first step of the script with this action.
fn step(scenario: &mut Scenario, action: ActionKind) -> &mut Step {
    scenario
        .steps
        .iter_mut()
        .map(|s| s.get_mut())
        .find(|s| s.action == action)
        .unwrap_or_else(|| panic!("the script has no {} step", action.as_str()))
}

const MUTATIONS: &[Mutation] = &[
    Mutation {
        scenario: "audience-required",
        change: "the authorization server stops requiring an audience, so Pipelines connects",
        mutate: |s| s.mocks.authorization_server.require_audience = false,
    },
    Mutation {
        scenario: "byo-client",
        change: "the user pastes no Client ID, and there is no registration to fall back on",
        mutate: |s| s.client.client_id = None,
    },
    Mutation {
        scenario: "byo-client-secret-basic",
        change: "the user pastes the Client ID without its secret, so the harness authenticates as a public client, which the server refuses",
        mutate: |s| s.client.client_secret = None,
    },
    Mutation {
        scenario: "byo-client-secret-post",
        change: "the user pastes the Client ID without its secret, so the harness authenticates as a public client, which the server refuses",
        mutate: |s| s.client.client_secret = None,
    },
    Mutation {
        scenario: "client-id-missing",
        change: "the authorization server offers dynamic registration, so no Client ID is needed",
        mutate: |s| s.mocks.authorization_server.dynamic_registration = true,
    },
    Mutation {
        scenario: "code-expiry",
        change: "codes live 120 s, so the code redeemed after 61 s is still good",
        mutate: |s| s.mocks.authorization_server.code_lifetime_secs = 120,
    },
    Mutation {
        scenario: "consent-denied",
        change: "the person approves the consent screen",
        mutate: |s| s.mocks.authorization_server.consent = Consent::Approve,
    },
    Mutation {
        scenario: "dcr-happy-path",
        change: "the authorization server offers no dynamic registration, and no Client ID is given",
        mutate: |s| s.mocks.authorization_server.dynamic_registration = false,
    },
    Mutation {
        scenario: "dcr-rejected",
        change: "registration accepts the client",
        mutate: |s| s.mocks.authorization_server.registration_error = None,
    },
    Mutation {
        scenario: "dcr-rejected-client-metadata",
        change: "registration accepts the client",
        mutate: |s| s.mocks.authorization_server.registration_error = None,
    },
    Mutation {
        scenario: "discovery-failed",
        change: "the MCP server serves its protected-resource metadata again",
        mutate: |s| s.mocks.resource_server.metadata_location = PrmLocation::PathInserted,
    },
    Mutation {
        scenario: "health-unknown-after-callback",
        change: "the person denies consent, so the connect fails and health is unhealthy, not unknown",
        mutate: |s| s.mocks.authorization_server.consent = Consent::Deny,
    },
    Mutation {
        scenario: "near-expiry-refresh",
        change: "access tokens live 7200 s, so after 3400 s the token is outside the refresh window and the call does not refresh",
        mutate: |s| s.mocks.authorization_server.access_token_lifetime_secs = 7200,
    },
    Mutation {
        scenario: "redirect-uri-mismatch",
        change: "the app's allowed redirect URIs include the harness's callback",
        mutate: |s| {
            for client in &mut s.mocks.authorization_server.clients {
                client.redirect_uris.push(DEFAULT_REDIRECT_URI.to_owned());
            }
        },
    },
    Mutation {
        scenario: "refresh-rotation",
        change: "the authorization server issues no refresh tokens, so the first call after expiry cannot refresh",
        mutate: |s| s.mocks.authorization_server.issue_refresh_tokens = false,
    },
    Mutation {
        scenario: "refresh-token-encrypted",
        change: "the store is saved again instead of tampered with, so the second load succeeds",
        mutate: |s| step(s, ActionKind::TamperTokenStore).action = ActionKind::SaveTokenStore,
    },
    Mutation {
        scenario: "revoked-refresh",
        change: "access tokens live 7200 s, so the call after 3600 s needs no refresh and never meets the revoked refresh token",
        mutate: |s| s.mocks.authorization_server.access_token_lifetime_secs = 7200,
    },
    Mutation {
        scenario: "state-expiry",
        change: "the person finishes the consent screen within 30 s",
        mutate: |s| step(s, ActionKind::Connect).consent_delay_secs = 30,
    },
    Mutation {
        scenario: "token-audience-rejected",
        change: "the MCP server stops checking the token's audience, so Pipelines' token is accepted",
        mutate: |s| s.mocks.resource_server.require_audience = false,
    },
    Mutation {
        scenario: "trailing-slash-issuer",
        change: "the metadata gives the issuer exactly",
        mutate: |s| s.mocks.authorization_server.issuer_in_metadata = IssuerForm::Exact,
    },
    Mutation {
        scenario: "trailing-slash-origin-only",
        change: "the MCP server moves to /mcp, where a pasted trailing slash is a different URL",
        mutate: |s| s.mocks.resource_server.path = "/mcp".to_owned(),
    },
    Mutation {
        scenario: "trailing-slash-pasted-url",
        change: "the user pastes the canonical URL, without the trailing slash",
        mutate: |s| s.client.pasted_url = PastedUrl::Exact,
    },
    Mutation {
        scenario: "trailing-slash-prm-resource",
        change: "the metadata names the endpoint URL exactly",
        mutate: |s| s.mocks.resource_server.resource_in_metadata = ResourceForm::Exact,
    },
    Mutation {
        scenario: "transient-refresh-failure",
        change: "the token endpoint answers every refresh",
        mutate: |s| s.mocks.authorization_server.refresh_unavailable_count = 0,
    },
];

#[test]
fn every_catalog_scenario_has_exactly_one_mutation() {
    let catalog = load_catalog(&catalog_dir()).expect("the catalog loads");
    let in_catalog: BTreeSet<&str> = catalog.iter().map(|s| s.name.as_str()).collect();
    let mut in_table = BTreeSet::new();
    for m in MUTATIONS {
        assert!(
            in_table.insert(m.scenario),
            "{} has two mutations",
            m.scenario
        );
    }
    let missing: Vec<_> = in_catalog.difference(&in_table).collect();
    let stale: Vec<_> = in_table.difference(&in_catalog).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "scenarios without a mutation: {missing:?}; mutations for no scenario: {stale:?}"
    );
}

/// Runs the mutated scenario under each of its profiles; returns the unmet expectations.
async fn unmet_after(scenario: &Scenario, mutation: &Mutation) -> Vec<String> {
    let mut mutated = scenario.clone();
    (mutation.mutate)(&mut mutated);
    let mut unmet = Vec::new();
    for name in &mutated.profiles {
        let profile = profile::by_name(name).expect("validated on load");
        let report = run_scenario(&mutated, profile)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", scenario.name));
        unmet.extend(report.expectations.iter().filter(|e| !e.met).map(|e| {
            format!(
                "{name}: {} = {} (got {})",
                e.description, e.expected, e.actual
            )
        }));
    }
    unmet
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_mutation_leaves_an_expectation_unmet() {
    let catalog = load_catalog(&catalog_dir()).expect("the catalog loads");
    let mut holding = Vec::new();
    for mutation in MUTATIONS {
        let Some(scenario) = catalog.iter().find(|s| s.name == mutation.scenario) else {
            continue; // reported by every_catalog_scenario_has_exactly_one_mutation
        };
        if unmet_after(scenario, mutation).await.is_empty() {
            holding.push(format!("{} (mutation: {})", scenario.name, mutation.change));
        }
    }
    assert!(
        holding.is_empty(),
        "these scenarios still meet every expectation after their mutation, so their expectations cannot fail:\n{}",
        holding.join("\n")
    );
}
