//! Hostile token responses behind a real discovery (protected-resource and authorization-server
//! metadata, registration, an approving authorization endpoint): fields missing, lifetimes
//! negative or huge, an unsigned JWT as the access token. Each run ends in bounded time with
//! the field named, in the diagnosis or in a failed check, and never a panic.

#[path = "common/hostile.rs"]
mod hostile;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hostile::{connect_and_test, mcp_ok, provider, token_answer};
use mcp_oauth_reports::Status;

/// The flow against a provider whose token endpoint answers the code exchange with `body`.
async fn tokens_answered(body: &str) -> (hostile::Run, hostile::RawServer) {
    let body = body.to_owned();
    let server = provider(move |_| token_answer(&body), mcp_ok).await;
    let run = connect_and_test(&format!("{}/mcp", server.uri())).await;
    (run, server)
}

fn mcp_calls_with_a_token(server: &hostile::RawServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.path == "/mcp" && r.header("authorization").is_some())
        .count()
}

#[tokio::test]
async fn a_well_formed_answer_connects() {
    // The control: the same provider with a complete answer connects, so every failure below
    // is the answer's doing.
    let (run, server) = tokens_answered(
        r#"{"access_token":"at-hostile-0001","token_type":"Bearer","expires_in":3600}"#,
    )
    .await;
    assert!(run.result.is_ok(), "{}", run.explanation());
    assert_eq!(
        run.check("token-exchange").map(|c| c.status),
        Some(Status::Success)
    );
    assert!(mcp_calls_with_a_token(&server) > 0);
}

#[tokio::test]
async fn an_answer_without_access_token_is_named() {
    let (run, server) = tokens_answered(r#"{"token_type":"Bearer","expires_in":3600}"#).await;
    assert_eq!(run.diagnosis().code, "token-exchange-failed");
    run.names(&["200 but no usable token", "no access_token"]);
    assert_eq!(mcp_calls_with_a_token(&server), 0);
}

#[tokio::test]
async fn an_access_token_that_is_not_a_string_is_named() {
    let (run, _) = tokens_answered(r#"{"access_token":{"value":"x"},"token_type":"Bearer"}"#).await;
    assert_eq!(run.diagnosis().code, "token-exchange-failed");
    run.names(&["access_token is an object, not a string"]);
}

#[tokio::test]
async fn an_answer_without_token_type_is_named() {
    let (run, server) = tokens_answered(r#"{"access_token":"at-hostile-0002"}"#).await;
    assert_eq!(run.diagnosis().code, "token-exchange-failed");
    run.names(&["200 but no usable token", "no token_type"]);
    assert!(
        !run.explanation().contains("at-hostile-0002"),
        "the token is redacted: {}",
        run.explanation()
    );
    assert_eq!(mcp_calls_with_a_token(&server), 0);
}

/// A complete answer but for `expires_in`, which is `lifetime` as JSON text.
async fn lifetime(lifetime: &str) -> hostile::Run {
    let (run, _) = tokens_answered(&format!(
        r#"{{"access_token":"at-hostile-0003","token_type":"Bearer","expires_in":{lifetime}}}"#
    ))
    .await;
    run
}

#[tokio::test]
async fn a_negative_lifetime_is_named_and_the_token_has_no_known_expiry() {
    let run = lifetime("-3600").await;
    assert!(run.result.is_ok(), "{}", run.explanation());
    run.names(&[
        "token-lifetime-plausible",
        "expires_in is -3600, not a non-negative integer",
    ]);
    assert_eq!(run.flow.tokens().and_then(|t| t.expires_at), None);
}

#[tokio::test]
async fn a_lifetime_of_u64_max_is_named() {
    let run = lifetime("18446744073709551615").await;
    assert!(run.result.is_ok(), "{}", run.explanation());
    run.names(&[
        "token-lifetime-plausible",
        "18446744073709551615 s, more than ten years",
    ]);
    assert_eq!(run.flow.tokens().and_then(|t| t.expires_at), None);
}

#[tokio::test]
async fn a_lifetime_of_forty_digits_is_named() {
    let run = lifetime(&"9".repeat(40)).await;
    assert!(run.result.is_ok(), "{}", run.explanation());
    run.names(&["token-lifetime-plausible", "more than ten years"]);
    assert_eq!(run.flow.tokens().and_then(|t| t.expires_at), None);
}

#[tokio::test]
async fn a_lifetime_of_1e30_is_named() {
    let run = lifetime("1e30").await;
    assert!(run.result.is_ok(), "{}", run.explanation());
    run.names(&["token-lifetime-plausible", "more than ten years"]);
    assert_eq!(run.flow.tokens().and_then(|t| t.expires_at), None);
}

fn jwt(header: &str, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(r#"{"iss":"hostile","sub":"someone","aud":"mcp"}"#)
    )
}

async fn access_token(token: &str) -> hostile::Run {
    let (run, _) = tokens_answered(&format!(
        r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":3600}}"#
    ))
    .await;
    run
}

#[tokio::test]
async fn an_alg_none_jwt_as_access_token_is_named() {
    let token = jwt(r#"{"alg":"none","typ":"at+jwt"}"#, "");
    let run = access_token(&token).await;
    run.names(&["access-token-signed", "unsigned JWT", "alg \"none\""]);
    assert_eq!(
        run.check("access-token-signed").map(|c| c.status),
        Some(Status::Failure)
    );
    assert!(!run.explanation().contains(&token), "the token is redacted");
}

#[tokio::test]
async fn a_jwt_without_a_signature_is_named() {
    let run = access_token(&jwt(r#"{"alg":"RS256","typ":"at+jwt"}"#, "")).await;
    run.names(&["access-token-signed", "unsigned JWT", "alg \"RS256\""]);
}

#[tokio::test]
async fn a_signed_jwt_is_not_judged_unsigned() {
    let run = access_token(&jwt(r#"{"alg":"RS256","typ":"at+jwt"}"#, "c2lnbmF0dXJl")).await;
    assert!(run.result.is_ok(), "{}", run.explanation());
    assert!(run.check("access-token-signed").is_none());
}
