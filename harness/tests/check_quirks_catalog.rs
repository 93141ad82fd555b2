//! `check URL` against the mocks of every catalog scenario that reproduces a real provider
//! (its `seen-at`): what the check reports there, the caveat, diagnosis or observation that
//! names the quirk, is listed in [`EXPECTED`], and the table and the catalog's `seen-at`
//! scenarios (with the few issue behaviours that have none) must match both ways, so no
//! real-world quirk goes without a `check` assertion.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use mcp_oauth_harness::check::{self, CheckOptions, CheckRun, Consent};
use mcp_oauth_harness::scenario::{Scenario, catalog_dir, load_catalog};
use mcp_oauth_mocks::MockServers;
use mcp_oauth_mocks::clock::SystemClock;
use mcp_oauth_reports::Status;
use serde_json::Value;

mod check_support;
use check_support::human;

use Status::{Failure, Info, Success, Warning};

/// What `check` reports against one scenario's mocks.
struct Expected {
    scenario: &'static str,
    /// The report's diagnosis (that of the `pipelines` flow), or none.
    diagnosis: Option<&'static str>,
    /// Codes some profile's verdict lists as a blocker or a caveat.
    verdict: &'static [&'static str],
    /// Checks every recording of which has this status.
    checks: &'static [(&'static str, Status)],
    /// A check, a field of its details and the value some recording has there.
    details: &'static [(&'static str, &'static str, &'static str)],
}

const fn row(scenario: &'static str) -> Expected {
    Expected {
        scenario,
        diagnosis: None,
        verdict: &[],
        checks: &[],
        details: &[],
    }
}

const EXPECTED: &[Expected] = &[
    // Discovery.
    Expected {
        details: &[
            ("prm-discovered", "location", "root"),
            ("as-metadata-discovered", "location", "oauth"),
        ],
        checks: &[("www-authenticate-resource-metadata", Warning)],
        ..row("quirk-metadata-root-only")
    },
    Expected {
        details: &[("prm-discovered", "location", "path-inserted")],
        checks: &[("www-authenticate-resource-metadata", Warning)],
        ..row("quirk-prm-path-only")
    },
    Expected {
        verdict: &["prm-missing"],
        checks: &[
            ("prm-discovered", Failure),
            ("as-metadata-discovered", Success),
        ],
        ..row("quirk-no-prm-root-as-metadata")
    },
    Expected {
        verdict: &["prm-missing"],
        checks: &[
            ("challenge-no-error-without-token", Warning),
            ("prm-discovered", Failure),
        ],
        ..row("quirk-realm-challenge")
    },
    Expected {
        checks: &[
            ("www-authenticate-well-formed", Warning),
            ("challenge-no-error-without-token", Warning),
        ],
        details: &[("prm-discovered", "location", "path-inserted")],
        ..row("challenge-duplicate-parameters")
    },
    Expected {
        checks: &[("www-authenticate-well-formed", Warning)],
        details: &[("prm-discovered", "location", "challenge")],
        ..row("challenge-loose-quoting")
    },
    Expected {
        checks: &[("www-authenticate-well-formed", Warning)],
        details: &[("prm-discovered", "location", "challenge")],
        ..row("challenge-multiple-schemes")
    },
    // The switch to another authorization server happens between two connections of the
    // scenario's script, and `check` meets the first server only; its app allows only the
    // :33418 callback, while `check` listens on a free port, which the server refuses by
    // name. `check`'s own binding of brought credentials: check_credentials_bound.rs.
    Expected {
        diagnosis: Some("redirect-uri-mismatch"),
        ..row("credentials-foreign-issuer")
    },
    Expected {
        ..row("cimd-fetch-failure")
    },
    Expected {
        ..row("cimd-fetch-failure-moved")
    },
    Expected {
        ..row("cimd-fetch-failure-timeout")
    },
    Expected {
        ..row("stale-registration-port-changed")
    },
    Expected {
        diagnosis: Some("issuer-mismatch"),
        checks: &[("as-issuer-matches", Failure)],
        ..row("quirk-issuer-drops-path")
    },
    Expected {
        diagnosis: Some("issuer-mismatch"),
        checks: &[("as-issuer-matches", Failure)],
        ..row("quirk-issuer-other-host")
    },
    Expected {
        diagnosis: Some("issuer-mismatch"),
        checks: &[("as-issuer-matches", Failure)],
        ..row("quirk-prm-authorization-server-trailing-slash")
    },
    Expected {
        diagnosis: Some("issuer-mismatch"),
        checks: &[("as-issuer-matches", Failure)],
        ..row("quirk-issuer-extra-path")
    },
    Expected {
        diagnosis: Some("discovery-failed"),
        checks: &[("as-metadata-discovered", Failure)],
        ..row("quirk-as-metadata-root-for-path-issuer")
    },
    Expected {
        diagnosis: Some("resource-mismatch"),
        checks: &[("prm-resource-matches", Failure)],
        ..row("quirk-prm-resource-origin-slash")
    },
    Expected {
        diagnosis: Some("resource-mismatch"),
        checks: &[("prm-resource-matches", Failure)],
        details: &[("prm-discovered", "location", "path-inserted")],
        ..row("quirk-prm-same-resource-any-path")
    },
    Expected {
        diagnosis: Some("resource-mismatch"),
        checks: &[("prm-resource-matches", Failure)],
        details: &[
            ("prm-discovered", "location", "challenge"),
            (
                "prm-resource-matches",
                "challengeNamesOtherResource",
                "true",
            ),
        ],
        ..row("quirk-prm-challenge-points-at-mcp-metadata")
    },
    Expected {
        // Reached over https with the mocks' own authority trusted: the http:// resource is
        // named as a proxy's lost scheme, and no URL is offered to paste.
        diagnosis: Some("resource-mismatch"),
        verdict: &["resource-mismatch"],
        checks: &[("prm-resource-matches", Failure)],
        details: &[
            ("prm-resource-matches", "schemeOnly", "true"),
            ("prm-resource-matches", "urlToPaste", "null"),
        ],
        ..row("prm-http-behind-tls-proxy")
    },
    Expected {
        checks: &[("well-known-no-html", Warning)],
        ..row("quirk-well-known-html")
    },
    Expected {
        checks: &[("well-known-404-body", Warning)],
        ..row("quirk-well-known-text-404")
    },
    Expected {
        details: &[("as-metadata-discovered", "location", "openid-appended")],
        checks: &[("as-metadata-discovered", Success)],
        ..row("quirk-keycloak-realm")
    },
    Expected {
        checks: &[("pkce-s256-advertised", Warning)],
        ..row("quirk-openid-without-pkce-methods")
    },
    Expected {
        diagnosis: Some("discovery-failed"),
        checks: &[("as-metadata-discovered", Failure)],
        ..row("quirk-as-metadata-without-issuer")
    },
    Expected {
        diagnosis: Some("client-id-missing"),
        checks: &[("client-id", Failure), ("dcr-available", Status::Info)],
        ..row("quirk-as-metadata-without-registration")
    },
    // Challenge and transport.
    Expected {
        verdict: &["auth-challenge-missing"],
        checks: &[("www-authenticate-bearer", Failure)],
        ..row("quirk-bare-401")
    },
    Expected {
        verdict: &["unauthenticated-access"],
        checks: &[("mcp-requires-auth", Failure)],
        ..row("quirk-open-initialize")
    },
    Expected {
        diagnosis: Some("mcp-endpoint-redirected"),
        checks: &[("mcp-endpoint-not-redirected", Failure)],
        ..row("quirk-mcp-redirect-trailing-slash")
    },
    Expected {
        checks: &[
            ("cors-exposes-www-authenticate", Warning),
            ("cors-token-preflight", Success),
        ],
        ..row("quirk-cors-no-expose")
    },
    Expected {
        checks: &[
            ("cors-token-preflight", Warning),
            ("cors-exposes-www-authenticate", Success),
        ],
        ..row("quirk-token-no-cors")
    },
    // Registration and client authentication.
    Expected {
        checks: &[("dcr-response-fields", Warning)],
        ..row("dcr-response-nulls")
    },
    Expected {
        checks: &[("dcr-secret-expiry", Warning)],
        ..row("dcr-secret-without-expiry")
    },
    Expected {
        // Our client registers both grants, so the refusal is never met.
        checks: &[("dcr-registration", Success), ("mcp-tools-list", Success)],
        ..row("dcr-requires-refresh-grant")
    },
    Expected {
        checks: &[("token-basic-client-id", Warning)],
        ..row("quirk-token-basic-client-id-ignored")
    },
    Expected {
        // Basic alone is sent, so the refusal of both is never met.
        checks: &[("token-exchange", Success), ("mcp-tools-list", Success)],
        details: &[(
            "dcr-registration",
            "tokenEndpointAuthMethod",
            "client_secret_basic",
        )],
        ..row("quirk-token-refuses-basic-and-body-client-id")
    },
    Expected {
        diagnosis: Some("dcr-rejected"),
        verdict: &["dcr-rejected"],
        checks: &[("dcr-registration", Failure)],
        ..row("redirect-uri-localhost-only")
    },
    Expected {
        // Registered and authorized with the callback chosen exactly.
        checks: &[("dcr-registration", Success), ("mcp-tools-list", Success)],
        ..row("redirect-uri-localhost-chosen")
    },
    // Token responses.
    Expected {
        checks: &[
            ("token-type-canonical", Warning),
            ("bearer-scheme-case-insensitive", Warning),
        ],
        ..row("token-type-lowercase")
    },
    Expected {
        checks: &[("token-response-json", Warning)],
        ..row("token-response-form-encoded")
    },
    Expected {
        verdict: &["token-error-nonconformant"],
        checks: &[("token-error-status", Warning)],
        ..row("token-error-status-200")
    },
    Expected {
        checks: &[("token-expires-in-number", Warning)],
        ..row("token-expires-in-string")
    },
    // Resource and audience.
    Expected {
        verdict: &["resource-rejected"],
        ..row("resource-refused")
    },
    Expected {
        diagnosis: Some("opaque-token-refused"),
        verdict: &["opaque-token-refused"],
        ..row("audience-opaque-token")
    },
    Expected {
        diagnosis: Some("token-rejected"),
        verdict: &["token-rejected"],
        checks: &[("mcp-initialize", Failure)],
        ..row("audience-origin-only")
    },
    Expected {
        // The endpoint's own query is kept, the request's parameters appended with `&`.
        details: &[(
            "authorization-redirect",
            "endpointQueryKept",
            "prompt=select_account",
        )],
        ..row("authorize-endpoint-with-query")
    },
    Expected {
        // Live, the token lives 60 s and the check waits 10 s at most: not observed (INFO),
        // never a guess. The catalog scenario waits it out on the simulated clock.
        checks: &[("expired-token-refused", Info)],
        ..row("expired-token-tool-error-200")
    },
    // Refresh and state.
    Expected {
        // A server error, tried once more at once: a second one is a grant that does not work.
        diagnosis: Some("refresh-grant-broken"),
        verdict: &["refresh-grant-broken"],
        ..row("refresh-grant-server-error")
    },
    Expected {
        // Rotation without grace: the rotated-away refresh token is refused at once.
        checks: &[("refresh-token-reuse-refused", Success)],
        details: &[("refresh-token-rotation", "rotated", "true")],
        ..row("refresh-rotation")
    },
    Expected {
        // Single-use refresh tokens: the rotated-away one is refused, with no grace window.
        checks: &[("refresh-token-reuse-refused", Success)],
        details: &[("refresh-token-reuse-refused", "graceWindow", "none")],
        ..row("refresh-concurrent-single-use")
    },
    Expected {
        verdict: &["token-error-nonconformant"],
        checks: &[("token-unknown-refresh-token", Failure)],
        ..row("refresh-token-invalid-request")
    },
    Expected {
        checks: &[
            ("unknown-client-error", Warning),
            ("dcr-registration-kept", Warning),
        ],
        ..row("quirk-unknown-client-invalid-grant")
    },
    Expected {
        // The old refresh token is kept and refreshes.
        checks: &[
            ("refresh-token-grant", Success),
            ("refresh-token-rotation", Warning),
        ],
        details: &[("refresh-token-rotation", "actual", "no refresh token")],
        ..row("refresh-without-refresh-token")
    },
    Expected {
        checks: &[
            ("unknown-client-error", Warning),
            ("dcr-registration-kept", Warning),
        ],
        ..row("quirk-client-forgotten-422")
    },
    Expected {
        diagnosis: Some("client-unknown"),
        verdict: &["client-unknown"],
        checks: &[
            ("refresh-token-grant", Failure),
            ("unknown-client-error", Warning),
        ],
        ..row("quirk-client-forgotten-at-refresh")
    },
    Expected {
        diagnosis: Some("token-rejected"),
        verdict: &["token-rejected"],
        ..row("mcp-refuses-valid-token")
    }, // Issue behaviours without a public report of their own.
    Expected {
        diagnosis: Some("dcr-rejected"),
        verdict: &["dcr-rejected"],
        checks: &[("dcr-registration", Failure)],
        ..row("dcr-server-error")
    },
    Expected {
        checks: &[("token-expiry-known", Status::Info)],
        ..row("token-expires-in-omitted")
    },
    Expected {
        checks: &[("token-expiry-known", Warning)],
        ..row("token-expires-in-zero")
    },
    Expected {
        // The refused scope is named as such, never as an audience requirement.
        diagnosis: Some("authorization-error"),
        verdict: &["authorization-error"],
        checks: &[("authorization-granted", Failure)],
        ..row("offline-access-not-listed")
    },
];

async fn check_scenario(scenario: &Scenario) -> CheckRun {
    let mocks = MockServers::start(scenario.mocks.clone(), Arc::new(SystemClock))
        .await
        .expect("mock servers start");
    let redirect_uri = scenario.client.redirect_uri.as_deref().map(|uri| {
        // The check's listener takes a free port; the host and path are what a server judges.
        let uri = uri.replacen(":33418", ":0", 1);
        mcp_oauth_harness::user_agent::loopback_uri::parse(&uri).expect("a loopback URI")
    });
    let options = CheckOptions {
        consent: Consent::Headless,
        redirect_port: 0,
        redirect_uri,
        timeout: Duration::from_secs(10),
        client_id: scenario.client.client_id.clone(),
        client_secret: scenario.client.client_secret.clone(),
        scope: scenario.client.scope.clone(),
        trusted_authorities: mocks
            .tls_authority_der()
            .map(<[u8]>::to_vec)
            .into_iter()
            .collect(),
        ..CheckOptions::new(scenario.client.pasted(&mocks.mcp_url()))
    };
    check::check(options).await.expect("the check runs")
}

fn detail_is(value: &Value, expected: &str) -> bool {
    match value {
        Value::String(s) => s == expected,
        other => serde_json::to_string(other).is_ok_and(|text| text == expected),
    }
}

/// What `run` lacks of `expected`, one line each.
fn unmet(run: &CheckRun, expected: &Expected) -> Vec<String> {
    let name = expected.scenario;
    let mut out = Vec::new();
    let diagnosis = run
        .report
        .outcome
        .diagnosis
        .as_ref()
        .map(|d| d.code.as_str());
    if diagnosis != expected.diagnosis {
        out.push(format!(
            "{name}: diagnosis {diagnosis:?}, expected {:?}",
            expected.diagnosis
        ));
    }
    let codes: BTreeSet<&str> = run
        .report
        .verdict
        .iter()
        .flat_map(|v| v.profiles.iter())
        .flat_map(|p| p.blockers.iter().chain(p.caveats.iter()))
        .map(|i| i.code.as_str())
        .collect();
    for code in expected.verdict {
        if !codes.contains(code) {
            out.push(format!(
                "{name}: no verdict names {code} (it names {codes:?})"
            ));
        }
    }
    for (id, status) in expected.checks {
        let statuses: Vec<Status> = run
            .report
            .checks
            .iter()
            .filter(|c| c.id == *id)
            .map(|c| c.status)
            .collect();
        if statuses.is_empty() || statuses.iter().any(|s| s != status) {
            out.push(format!(
                "{name}: {id} recorded {statuses:?}, expected every one {status:?}"
            ));
        }
    }
    for (id, field, value) in expected.details {
        let found = run.report.checks.iter().filter(|c| c.id == *id).any(|c| {
            c.details
                .as_ref()
                .and_then(|d| d.get(*field))
                .is_some_and(|v| detail_is(v, value))
        });
        if !found {
            out.push(format!("{name}: no {id} has {field} = {value}"));
        }
    }
    out
}

/// Issue behaviours with a scenario but no public report of their own (no `seen-at`).
const WITHOUT_SEEN_AT: &[&str] = &[
    "dcr-server-error",
    "token-expires-in-omitted",
    "token-expires-in-zero",
    "offline-access-not-listed",
];

#[test]
fn every_seen_at_scenario_has_a_check_row_and_every_row_a_scenario() {
    let catalog = load_catalog(&catalog_dir()).expect("the catalog loads");
    let seen: BTreeSet<&str> = catalog
        .iter()
        .filter(|s| !s.seen_at.is_empty())
        .map(|s| s.name.as_str())
        .collect();
    let seen: BTreeSet<&str> = seen
        .into_iter()
        .chain(WITHOUT_SEEN_AT.iter().copied())
        .collect();
    let rows: BTreeSet<&str> = EXPECTED.iter().map(|e| e.scenario).collect();
    assert_eq!(rows.len(), EXPECTED.len(), "a scenario has two rows");
    let missing: Vec<_> = seen.difference(&rows).collect();
    let stale: Vec<_> = rows.difference(&seen).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "seen-at scenarios without a check row: {missing:?}; rows for no seen-at scenario: {stale:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_names_every_real_world_quirk_it_meets() {
    let catalog = load_catalog(&catalog_dir()).expect("the catalog loads");
    let mut failures = Vec::new();
    for expected in EXPECTED {
        let Some(scenario) = catalog.iter().find(|s| s.name == expected.scenario) else {
            continue; // reported by the table test
        };
        let run = check_scenario(scenario).await;
        let lacking = unmet(&run, expected);
        if !lacking.is_empty() {
            failures.push(format!("{}\n{}", lacking.join("\n"), human(&run)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Rows a conformant server meets too: quirks our client never runs into (it sends what they
/// demand), or that the check observes without a caveat because the spec allows them.
const INDISTINGUISHABLE: &[&str] = &[
    // `check` publishes no client metadata document of its own: without `--client-metadata-url`
    // it registers, which this server allows, and connects.
    "cimd-fetch-failure",
    "cimd-fetch-failure-moved",
    "cimd-fetch-failure-timeout",
    // The port changes between two starts of a client; `check` authorizes on one callback.
    "stale-registration-port-changed",
    "dcr-requires-refresh-grant",
    // check_quirks_tokens.rs proves the chosen callback reaches the server exactly.
    "redirect-uri-localhost-chosen",
    // Live, its 60 s token outlives this test's --timeout, so the probe says "not observed";
    // the catalog scenario's probe-resource-server step waits it out on the simulated clock
    // and holds the FAILURE that quotes the tool error.
    "expired-token-tool-error-200",
    "refresh-without-refresh-token",
];

/// The table can fail: against the conformant mocks, every other row is unmet.
#[tokio::test]
async fn a_conformant_server_meets_no_quirk_row() {
    let catalog = load_catalog(&catalog_dir()).expect("the catalog loads");
    let conformant = catalog
        .iter()
        .find(|s| s.name == "health-unknown-after-callback")
        .expect("the conformant scenario");
    let run = check_scenario(conformant).await;
    let held: Vec<&str> = EXPECTED
        .iter()
        .filter(|e| unmet(&run, e).is_empty())
        .map(|e| e.scenario)
        .collect();
    assert_eq!(held, INDISTINGUISHABLE, "rows a conformant server meets");
}
