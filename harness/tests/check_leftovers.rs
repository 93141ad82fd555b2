//! What `check` leaves on the vendor's authorization server: one registration per profile flow
//! (the probes' registration is the consent step's client), each deleted afterwards with
//! RFC 7592 when the server offers it, and listed in `leftBehind` when it does not.

use std::sync::Arc;
use std::time::Duration;

use mcp_oauth_harness::check::{self, CheckOptions, CheckRun, Consent};
use mcp_oauth_mocks::clock::SystemClock;
use mcp_oauth_mocks::{MockConfig, MockServers};
use mcp_oauth_reports::{LeftBehind, Status};

async fn vendor(edit: impl FnOnce(&mut MockConfig)) -> MockServers {
    let mut config = MockConfig::default();
    edit(&mut config);
    MockServers::start(config, Arc::new(SystemClock))
        .await
        .expect("mock servers start")
}

async fn check(mocks: &MockServers, consent: Consent) -> CheckRun {
    check::check(CheckOptions {
        consent,
        redirect_port: 0,
        timeout: Duration::from_secs(10),
        ..CheckOptions::new(mocks.mcp_url())
    })
    .await
    .expect("the check runs")
}

fn left_behind(run: &CheckRun) -> &[LeftBehind] {
    &run.report.verdict.as_ref().expect("a verdict").left_behind
}

/// The mocks' registration log: (method, path) of every request to the registration endpoint.
fn registration_log(mocks: &MockServers) -> Vec<(String, String)> {
    mocks
        .log()
        .snapshot()
        .into_iter()
        .filter(|r| r.path.starts_with("/register"))
        .map(|r| (r.method, r.path))
        .collect()
}

#[tokio::test]
async fn every_registration_is_deleted_when_the_server_offers_rfc_7592() {
    let mocks = vendor(|_| {}).await;
    let run = check(&mocks, Consent::Headless).await;
    assert!(left_behind(&run).is_empty(), "{:?}", left_behind(&run));

    let log = registration_log(&mocks);
    let registered: Vec<&(String, String)> = log.iter().filter(|(m, _)| m == "POST").collect();
    let deleted: Vec<&(String, String)> = log.iter().filter(|(m, _)| m == "DELETE").collect();
    // One registration per observed profile flow (the probes' is the first flow's client),
    // and the refused fragment registration, which leaves nothing.
    let observed = run
        .report
        .verdict
        .as_ref()
        .unwrap()
        .profiles
        .iter()
        .filter(|p| p.verified)
        .count();
    assert_eq!(registered.len(), observed + 1, "{log:?}");
    assert_eq!(deleted.len(), observed, "{log:?}");
    for (_, path) in deleted {
        let client_id = path.trim_start_matches("/register/");
        assert!(
            mocks.auth_server().registered_client(client_id).is_none(),
            "{client_id} is still registered"
        );
    }

    // The report shows the deletion of the primary flow's client: a check and the exchange,
    // its token redacted.
    let deletions: Vec<_> = run
        .report
        .checks
        .iter()
        .filter(|c| c.id == "dcr-client-deleted")
        .collect();
    assert!(!deletions.is_empty());
    assert!(deletions.iter().all(|c| c.status == Status::Success));
    let delete = run
        .report
        .exchanges
        .iter()
        .find(|x| x.request.method == "DELETE" && x.step == "registration")
        .expect("the DELETE is recorded");
    let authorization = delete
        .request
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .map(|(_, value)| value.as_str());
    assert_eq!(authorization, Some("Bearer [redacted]"));
    assert_eq!(delete.response.as_ref().map(|r| r.status), Some(204));
}

#[tokio::test]
async fn without_rfc_7592_every_registration_is_listed_as_left_behind() {
    let mocks = vendor(|c| c.authorization_server.registration_management = false).await;
    let run = check(&mocks, Consent::Headless).await;
    let left = left_behind(&run);
    let registered: Vec<String> = registration_log(&mocks)
        .into_iter()
        .filter(|(m, _)| m == "POST")
        .map(|(_, p)| p)
        .collect();
    assert!(!left.is_empty());
    assert!(
        registration_log(&mocks).iter().all(|(m, _)| m == "POST"),
        "nothing to delete with"
    );
    for entry in left {
        assert!(
            mocks
                .auth_server()
                .registered_client(&entry.client_id)
                .is_some(),
            "{entry:?} is listed but not on the server"
        );
        assert!(
            entry.reason.contains("registration_client_uri"),
            "{entry:?}"
        );
    }
    // Every client on the server is listed: the refused fragment registration made none.
    assert_eq!(left.len(), registered.len() - 1, "{left:?}");
    let info: Vec<_> = run
        .report
        .checks
        .iter()
        .filter(|c| c.id == "dcr-client-deleted")
        .map(|c| c.status)
        .collect();
    assert!(
        !info.is_empty() && info.iter().all(|s| *s == Status::Info),
        "{info:?}"
    );
}

#[tokio::test]
async fn a_fragment_registration_that_is_accepted_is_a_leftover_and_deleted() {
    let mocks = vendor(|c| c.authorization_server.accept_fragment_redirect_uris = true).await;
    let run = check(&mocks, Consent::Skip).await;
    assert!(left_behind(&run).is_empty(), "{:?}", left_behind(&run));
    let log = registration_log(&mocks);
    let posts = log.iter().filter(|(m, _)| m == "POST").count();
    let deletes = log.iter().filter(|(m, _)| m == "DELETE").count();
    assert_eq!((posts, deletes), (2, 2), "{log:?}");

    let mocks = vendor(|c| {
        c.authorization_server.accept_fragment_redirect_uris = true;
        c.authorization_server.registration_management = false;
    })
    .await;
    let run = check(&mocks, Consent::Skip).await;
    let by: Vec<&str> = left_behind(&run)
        .iter()
        .map(|l| l.registered_by.as_str())
        .collect();
    assert_eq!(by, ["pipelines", "probes"], "{:?}", left_behind(&run));
}

#[tokio::test]
async fn the_mock_deletes_a_client_only_with_its_registration_access_token() {
    let mocks = vendor(|_| {}).await;
    let http = reqwest::Client::new();
    let register = format!("{}/register", mocks.auth_server().issuer());
    let registered: serde_json::Value = http
        .post(&register)
        .json(&serde_json::json!({ "redirect_uris": ["http://127.0.0.1:1/callback"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_id = registered["client_id"].as_str().unwrap().to_owned();
    let uri = registered["registration_client_uri"].as_str().unwrap();
    let token = registered["registration_access_token"].as_str().unwrap();
    assert_eq!(uri, format!("{register}/{client_id}"));

    let refresh = || {
        http.post(format!("{}/token", mocks.auth_server().issuer()))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", "unknown"),
                ("client_id", client_id.as_str()),
            ])
            .send()
    };
    let error = |body: serde_json::Value| body["error"].as_str().unwrap_or("").to_owned();
    assert_eq!(
        error(refresh().await.unwrap().json().await.unwrap()),
        "invalid_grant"
    );

    let wrong = http
        .delete(uri)
        .bearer_auth("rat_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let none = http.delete(uri).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert!(mocks.auth_server().registered_client(&client_id).is_some());

    let deleted = http.delete(uri).bearer_auth(token).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    assert!(mocks.auth_server().registered_client(&client_id).is_none());
    // The client is gone: its token requests are refused as from an unknown client.
    assert_eq!(
        error(refresh().await.unwrap().json().await.unwrap()),
        "invalid_client"
    );
    let again = http.delete(uri).bearer_auth(token).send().await.unwrap();
    assert_eq!(again.status(), 401);

    let unmanaged = vendor(|c| c.authorization_server.registration_management = false).await;
    let body: serde_json::Value = http
        .post(format!("{}/register", unmanaged.auth_server().issuer()))
        .json(&serde_json::json!({ "redirect_uris": ["http://127.0.0.1:1/callback"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body.get("registration_client_uri").is_none());
    assert!(body.get("registration_access_token").is_none());
}
