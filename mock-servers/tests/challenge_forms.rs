//! The forms of a 401's `WWW-Authenticate` that `unauthenticated-challenge` reproduces, each
//! as real servers wrote it, and that a request with a token is still challenged in the
//! standard form.

mod common;

use common::{Mocks, start};
use mcp_oauth_mocks::MockConfig;
use mcp_oauth_mocks::config::{ChallengeForm, PrmLocation};
use reqwest::StatusCode;
use reqwest::header::WWW_AUTHENTICATE;

async fn challenge_of(mocks: &Mocks, token: Option<&str>) -> String {
    let mut request = mocks
        .http
        .post(mocks.servers.mcp_url())
        .header("accept", "application/json, text/event-stream")
        .json(&serde_json::json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the MCP server answers");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    response
        .headers()
        .get(WWW_AUTHENTICATE)
        .expect("a challenge")
        .to_str()
        .expect("ASCII")
        .to_owned()
}

async fn mocks_with(form: ChallengeForm, location: PrmLocation) -> Mocks {
    let mut config = MockConfig::default();
    config.resource_server.unauthenticated_challenge = form;
    config.resource_server.metadata_location = location;
    config.resource_server.custom_metadata_path =
        (location == PrmLocation::Custom).then(|| "/meta/prm.json".to_owned());
    config.resource_server.challenge_scope = Some("mcp:tools".to_owned());
    start(config).await
}

#[tokio::test]
async fn duplicate_parameters_name_the_root_first_and_the_metadata_second() {
    let mocks = mocks_with(
        ChallengeForm::DuplicateParameters,
        PrmLocation::PathInserted,
    )
    .await;
    let origin = mocks.servers.mcp_url().replace("/mcp", "");
    let challenge = challenge_of(&mocks, None).await;
    let root = format!("resource_metadata=\"{origin}/.well-known/oauth-protected-resource\"");
    let inserted =
        format!("resource_metadata=\"{origin}/.well-known/oauth-protected-resource/mcp\"");
    let (first, second) = (challenge.find(&root), challenge.find(&inserted));
    assert!(
        first.is_some() && second.is_some() && first < second,
        "{challenge}"
    );
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    // The first pointer leads nowhere; the second one to the metadata.
    let status = |url: String| {
        let http = mocks.http.clone();
        async move { http.get(url).send().await.unwrap().status() }
    };
    let prm = format!("{origin}/.well-known/oauth-protected-resource");
    assert_eq!(status(prm.clone()).await, StatusCode::NOT_FOUND);
    assert_eq!(status(format!("{prm}/mcp")).await, StatusCode::OK);
}

#[tokio::test]
async fn spaced_equals_and_single_quotes_are_written_as_named() {
    let mocks = mocks_with(ChallengeForm::SpacedEquals, PrmLocation::Custom).await;
    let metadata = mocks.servers.mcp_url().replace("/mcp", "/meta/prm.json");
    assert_eq!(
        challenge_of(&mocks, None).await,
        format!("Bearer resource_metadata = \"{metadata}\", scope = \"mcp:tools\"")
    );
    let mocks = mocks_with(ChallengeForm::SingleQuoted, PrmLocation::Custom).await;
    let metadata = mocks.servers.mcp_url().replace("/mcp", "/meta/prm.json");
    assert_eq!(
        challenge_of(&mocks, None).await,
        format!("Bearer resource_metadata='{metadata}', scope='mcp:tools'")
    );
}

#[tokio::test]
async fn dpop_then_bearer_lists_a_dpop_challenge_without_metadata_first() {
    let mocks = mocks_with(ChallengeForm::DpopThenBearer, PrmLocation::Custom).await;
    let metadata = mocks.servers.mcp_url().replace("/mcp", "/meta/prm.json");
    assert_eq!(
        challenge_of(&mocks, None).await,
        format!(
            "DPoP algs=\"ES256\", Bearer resource_metadata=\"{metadata}\", scope=\"mcp:tools\""
        )
    );
}

#[tokio::test]
async fn a_refused_token_is_challenged_in_the_standard_form_whatever_the_knob() {
    let mocks = mocks_with(ChallengeForm::SpacedEquals, PrmLocation::Custom).await;
    let challenge = challenge_of(&mocks, Some("not-a-token")).await;
    assert!(
        challenge.starts_with("Bearer error=\"invalid_token\""),
        "{challenge}"
    );
    assert!(!challenge.contains(" = "), "{challenge}");
}
