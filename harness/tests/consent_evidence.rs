//! Diagnoses of the consent step and of a refused token from evidence only, against real
//! loopback servers: a sign-in page that carries `redirect_uri` along is no redirect-URI
//! mismatch (the consent was not completed, and the page's title says which page it was);
//! only the server's own words make one. Auth0 console steps only when the answers show
//! Auth0, and an encrypted JWT (five parts) is no opaque token.

#[path = "common/hostile.rs"]
mod hostile;

use hostile::{
    Answer, RawRequest, RawServer, challenge, connect_and_test, connect_with, json, limits, mcp_ok,
    provider, response,
};
use mcp_oauth_harness::http::HttpClient;
use mcp_oauth_harness::redact::Redactor;

/// A provider whose authorization endpoint answers with `authorize(request)`: discovery and
/// metadata work, and the Client ID is brought (the case the old guess called a mismatch).
async fn consent_served_by(
    authorize: impl Fn(&RawRequest) -> Answer + Send + Sync + 'static,
) -> hostile::Run {
    let server = RawServer::start(move |request, base| {
        let route = request.path.split('?').next().unwrap_or("");
        match (request.method.as_str(), route) {
            ("POST", "/mcp") => challenge(base),
            ("GET", "/prm") => json(&serde_json::json!({
                "resource": format!("{base}/mcp"),
                "authorization_servers": [base],
            })),
            ("GET", "/.well-known/oauth-authorization-server") => json(&serde_json::json!({
                "issuer": base,
                "authorization_endpoint": format!("{base}/authorize"),
                "token_endpoint": format!("{base}/token"),
                "response_types_supported": ["code"],
                "code_challenge_methods_supported": ["S256"],
            })),
            ("GET", "/authorize") => authorize(request),
            _ => response("404 Not Found", &[], b""),
        }
    })
    .await;
    let url = format!("{}/mcp", server.uri());
    let http = HttpClient::new(limits(), Redactor::default()).expect("client");
    connect_with(&url, http, Some("brought-app")).await
}

fn html(status: &str, body: String) -> Answer {
    response(
        status,
        &[("content-type", "text/html; charset=utf-8")],
        body.as_bytes(),
    )
}

#[tokio::test]
async fn a_sign_in_page_carrying_redirect_uri_is_a_consent_not_completed() {
    let run = consent_served_by(|request| {
        let sent = request.query("redirect_uri").unwrap_or_default();
        html(
            "200 OK",
            format!(
                r#"<!doctype html><html><head><title>Sign in to Acme &amp; Co</title></head><body>
                <form method="post" action="/login"><input type="hidden" name="redirect_uri" value="{sent}">
                <input name="email"><button>Continue</button></form>
                <p>Trouble with your redirect_uri? Contact support.</p></body></html>"#
            ),
        )
    })
    .await;
    let diagnosis = run.diagnosis();
    assert_eq!(
        diagnosis.code,
        "consent-not-completed",
        "{}",
        run.explanation()
    );
    assert!(
        diagnosis
            .message
            .contains("titled \"Sign in to Acme & Co\""),
        "{}",
        diagnosis.message
    );
    assert!(
        diagnosis.remedy.contains("--authorize-with"),
        "{}",
        diagnosis.remedy
    );
}

#[tokio::test]
async fn a_redirect_to_a_sign_in_page_is_a_consent_not_completed_without_its_query() {
    let run = consent_served_by(|request| {
        let mut login = url::Url::parse("https://login.example.com/u/login").expect("url");
        login
            .query_pairs_mut()
            .append_pair("state", &request.query("state").unwrap_or_default())
            .append_pair(
                "redirect_uri",
                &request.query("redirect_uri").unwrap_or_default(),
            );
        response("302 Found", &[("location", login.as_str())], b"")
    })
    .await;
    let diagnosis = run.diagnosis();
    assert_eq!(
        diagnosis.code,
        "consent-not-completed",
        "{}",
        run.explanation()
    );
    assert!(
        diagnosis
            .message
            .contains("a redirect to https://login.example.com/u/login "),
        "{}",
        diagnosis.message
    );
    assert!(
        !diagnosis.message.contains("state="),
        "{}",
        diagnosis.message
    );
}

#[tokio::test]
async fn an_error_page_quoting_the_redirect_uri_is_a_mismatch() {
    let run = consent_served_by(|request| {
        let sent = request.query("redirect_uri").unwrap_or_default();
        html(
            "400 Bad Request",
            format!(
                "<html><head><title>Error</title></head><body><p>The redirect URI &quot;{sent}&quot; is not registered for this application.</p></body></html>"
            ),
        )
    })
    .await;
    assert_eq!(
        run.diagnosis().code,
        "redirect-uri-mismatch",
        "{}",
        run.explanation()
    );
}

#[tokio::test]
async fn an_oauth_error_naming_the_redirect_uri_is_a_mismatch() {
    let run = consent_served_by(|_| {
        response(
            "400 Bad Request",
            &[("content-type", "application/json")],
            br#"{"error":"invalid_request","error_description":"The redirect_uri is not whitelisted"}"#,
        )
    })
    .await;
    assert_eq!(
        run.diagnosis().code,
        "redirect-uri-mismatch",
        "{}",
        run.explanation()
    );
}

#[tokio::test]
async fn an_error_page_that_does_not_name_the_redirect_uri_is_an_error_page() {
    let run = consent_served_by(|_| {
        html(
            "400 Bad Request",
            "<html><head><title>Oops\u{1b}[2J</title></head><body>Something went wrong.</body></html>"
                .to_owned(),
        )
    })
    .await;
    let diagnosis = run.diagnosis();
    assert_eq!(
        diagnosis.code,
        "authorization-error-page",
        "{}",
        run.explanation()
    );
    assert!(
        diagnosis.message.contains("titled \"Oops\\u{1b}[2J\""),
        "the title is quoted with its escape shown: {}",
        diagnosis.message
    );
}

/// A provider issuing `access_token` (with these extra token-answer headers) whose MCP
/// endpoint refuses every token.
async fn refused_token(
    access_token: &'static str,
    headers: &'static [(&str, &str)],
) -> hostile::Run {
    let server = provider(
        move |_| {
            let body = serde_json::json!({
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 3600,
            })
            .to_string();
            let mut all = vec![
                ("content-type", "application/json"),
                ("cache-control", "no-store"),
            ];
            all.extend_from_slice(headers);
            response("200 OK", &all, body.as_bytes())
        },
        |request| {
            if request.header("authorization").is_some() {
                response(
                    "401 Unauthorized",
                    &[("www-authenticate", "Bearer error=\"invalid_token\"")],
                    b"",
                )
            } else {
                mcp_ok(request)
            }
        },
    )
    .await;
    connect_and_test(&format!("{}/mcp", server.uri())).await
}

#[tokio::test]
async fn an_opaque_token_refused_gets_generic_advice_unless_the_answers_show_auth0() {
    let run = refused_token("8f3kQ2xv0aZ-opaque", &[]).await;
    let diagnosis = run.diagnosis();
    assert_eq!(
        diagnosis.code,
        "opaque-token-refused",
        "{}",
        run.explanation()
    );
    assert!(!diagnosis.remedy.contains("Auth0"), "{}", diagnosis.remedy);
    assert!(
        !diagnosis.message.contains("Auth0"),
        "{}",
        diagnosis.message
    );
    assert!(
        diagnosis.remedy.contains("--audience"),
        "{}",
        diagnosis.remedy
    );

    let run = refused_token("8f3kQ2xv0aZ-opaque", &[("x-auth0-requestid", "3f2c9d")]).await;
    let diagnosis = run.diagnosis();
    assert_eq!(
        diagnosis.code,
        "opaque-token-refused",
        "{}",
        run.explanation()
    );
    assert!(
        diagnosis.remedy.contains("Auth0: Tenant Settings"),
        "{}",
        diagnosis.remedy
    );
}

#[tokio::test]
async fn an_encrypted_jwt_refused_is_no_opaque_token() {
    // {"alg":"RSA-OAEP","enc":"A256GCM"}: five parts, a JWE.
    let jwe = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a2V5.aXY.Y2lwaGVy.dGFn";
    let run = refused_token(jwe, &[]).await;
    let diagnosis = run.diagnosis();
    assert_ne!(
        diagnosis.code,
        "opaque-token-refused",
        "{}",
        run.explanation()
    );
    assert!(
        ["token-rejected", "fresh-token-refused"].contains(&diagnosis.code.as_str()),
        "{}",
        run.explanation()
    );
}
