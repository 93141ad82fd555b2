//! What the request log keeps of each request (what the client sent, what the mock answered),
//! the record hook, and the consent page.

use std::sync::{Arc, Mutex};

use mcp_oauth_mocks::clock::{Clock, SimulatedClock};
use mcp_oauth_mocks::request_log::Server;
use mcp_oauth_mocks::{MockConfig, MockServers};
use reqwest::header::LOCATION;
use serde_json::json;

const REDIRECT_URI: &str = "http://127.0.0.1:33418/callback";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn register(mocks: &MockServers, http: &reqwest::Client) -> String {
    let response = http
        .post(mocks.auth_server().endpoint("register"))
        .json(&json!({ "redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none" }))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    body["client_id"].as_str().unwrap().to_owned()
}

fn authorize_url(mocks: &MockServers, client_id: &str) -> String {
    let mut url = url::Url::parse(&mocks.auth_server().endpoint("authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair(
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        )
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", "state-1");
    url.to_string()
}

#[tokio::test]
async fn the_log_keeps_what_the_client_sent_and_what_the_mock_answered() {
    let clock = SimulatedClock::default();
    let mocks = MockServers::start(MockConfig::default(), clock.shared())
        .await
        .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let hook_seen = seen.clone();
    mocks.log().on_record(Arc::new(move |index, request| {
        hook_seen
            .lock()
            .unwrap()
            .push((index, request.path.clone()));
    }));
    let http = http();
    let client_id = register(&mocks, &http).await;
    let response = http
        .get(authorize_url(&mocks, &client_id))
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key(LOCATION));
    http.post(mocks.mcp_url())
        .bearer_auth("not-a-token")
        .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/call" }))
        .send()
        .await
        .unwrap();

    let log = mocks.log().snapshot();
    let registration = &log[0];
    assert_eq!(
        registration.json.as_ref().unwrap()["redirect_uris"][0],
        REDIRECT_URI
    );
    assert_eq!(
        registration.response_json.as_ref().unwrap()["client_id"],
        client_id.as_str()
    );
    let authorization = &log[1];
    assert_eq!(authorization.query_param("state"), Some("state-1"));
    assert_eq!(
        authorization.location_param("state").as_deref(),
        Some("state-1")
    );
    assert!(authorization.location_param("code").is_some());
    assert_eq!(authorization.at, clock.unix_seconds());
    let mcp = &log[2];
    assert_eq!(mcp.server, Server::ResourceServer);
    assert_eq!(mcp.status, 401);
    assert_eq!(mcp.jsonrpc_method(), Some("tools/call"));
    let credential = mcp.authorization.as_ref().unwrap();
    assert_eq!(
        (credential.scheme.as_str(), credential.value.as_str()),
        ("Bearer", "not-a-token")
    );
    assert!(
        mcp.www_authenticate
            .as_deref()
            .unwrap()
            .starts_with("Bearer")
    );
    // The hook saw every request, with its index in the log.
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 1, 2]);
    // Secrets stay out of the log's serialized form.
    let text = serde_json::to_string(&log).unwrap();
    assert!(
        !text.contains("not-a-token") && !text.contains("state-1"),
        "{text}"
    );
}

#[tokio::test]
async fn the_consent_page_asks_and_redirects_as_the_person_decides() {
    let clock = SimulatedClock::default();
    let mocks = MockServers::start(MockConfig::default(), clock.shared())
        .await
        .unwrap();
    mocks.auth_server().show_consent_page(true);
    let http = http();
    let client_id = register(&mocks, &http).await;
    for (decision, expect) in [("approve", "code"), ("deny", "error")] {
        let page = http
            .get(authorize_url(&mocks, &client_id))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("Approve") && html.contains("Deny"), "{html}");
        let id = html
            .split("name=\"request\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned();
        let origin = mocks.auth_server().origin().to_owned();
        let answer = http
            .post(format!(
                "{origin}{}",
                mocks.auth_server().consent_decision_path()
            ))
            .form(&[("request", id.as_str()), ("decision", decision)])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 302);
        let location = url::Url::parse(answer.headers()[LOCATION].to_str().unwrap()).unwrap();
        let params: Vec<String> = location
            .query_pairs()
            .map(|(n, _)| n.into_owned())
            .collect();
        assert!(params.iter().any(|p| p == expect), "{decision}: {location}");
        assert!(params.iter().any(|p| p == "state"));
        // A decision is taken once.
        let again = http
            .post(format!(
                "{origin}{}",
                mocks.auth_server().consent_decision_path()
            ))
            .form(&[("request", id.as_str()), ("decision", decision)])
            .send()
            .await
            .unwrap();
        assert_ne!(again.status(), 302);
    }
}

/// The token endpoint reads any body as a form; the log records the fields it read whatever
/// the `Content-Type` said, so a judge sees a code redeemed as `text/plain` like any other.
#[tokio::test]
async fn a_token_request_of_any_content_type_is_logged_with_the_fields_the_mock_read() {
    let mocks = MockServers::start(MockConfig::default(), SimulatedClock::default().shared())
        .await
        .unwrap();
    let http = http();
    let client_id = register(&mocks, &http).await;
    let response = http
        .get(authorize_url(&mocks, &client_id))
        .send()
        .await
        .unwrap();
    let location = url::Url::parse(response.headers()[LOCATION].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(n, _)| n == "code")
        .unwrap()
        .1
        .into_owned();
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", &code)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair(
            "code_verifier",
            "dBjftJeZ4CVP-mJ0kOeTh7FSkxWsoYNJo4wt6ZCtNl8",
        )
        .append_pair("client_id", &client_id)
        .finish();
    let redeemed = http
        .post(mocks.auth_server().endpoint("token"))
        .header("content-type", "text/plain")
        .body(body)
        .send()
        .await
        .unwrap();
    // Read as a form: it gets as far as the PKCE check (this test's verifier is not the
    // challenge's), past the grant type and the code.
    let answer = redeemed.text().await.unwrap();
    assert!(answer.contains("code_verifier"), "{answer}");
    http.post(mocks.auth_server().endpoint("token"))
        .json(&json!({ "grant_type": "refresh_token", "refresh_token": "rt" }))
        .send()
        .await
        .unwrap();

    let log = mocks.log().snapshot();
    let exchange = &log[2];
    assert_eq!(
        exchange.form_field("grant_type"),
        Some("authorization_code")
    );
    assert_eq!(exchange.form_field("code"), Some(code.as_str()));
    assert_eq!(exchange.form_field("client_id"), Some(client_id.as_str()));
    // A JSON body is kept as JSON, and as the form the mock read of it (no grant_type).
    let json = &log[3];
    assert_eq!(json.json.as_ref().unwrap()["grant_type"], "refresh_token");
    assert!(!json.form.is_empty());
    assert_eq!(json.form_field("grant_type"), None);
    // Only the token endpoint reads its body as a form: a registration stays JSON only.
    assert!(log[0].form.is_empty());
}

/// `callback-state = "wrong"`: the redirect carries a good code and another state.
#[tokio::test]
async fn a_wrong_callback_state_is_another_value_with_a_good_code() {
    let mut config = MockConfig::default();
    config.authorization_server.callback_state = mcp_oauth_mocks::config::CallbackState::Wrong;
    let mocks = MockServers::start(config, SimulatedClock::default().shared())
        .await
        .unwrap();
    let http = http();
    let client_id = register(&mocks, &http).await;
    http.get(authorize_url(&mocks, &client_id))
        .send()
        .await
        .unwrap();
    let authorization = &mocks.log().snapshot()[1];
    let returned = authorization.location_param("state").unwrap();
    assert_ne!(returned, "state-1");
    assert!(!returned.is_empty());
    assert!(authorization.location_param("code").is_some());
}
