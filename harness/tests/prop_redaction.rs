//! Redaction, end to end through every renderer: a report whose every text field was filled
//! the way the engine fills it (URLs, headers, bodies and messages through the run's
//! `Redactor`) holds no secret in any `reports::render` format, whatever the secret and
//! wherever it sat.

use mcp_oauth_harness::http::{HttpClient, HttpLimits, headers};
use mcp_oauth_harness::redact::Redactor;
use mcp_oauth_reports::{
    Check, Diagnosis, Exchange, Health, HttpRequestRecord, HttpResponseRecord, Outcome, Report,
    Status, Summary, Target, TargetKind, ToolInfo, render,
};
use proptest::prelude::*;
use serde_json::json;

/// Every renderer the CLI offers, by name.
fn renderings(report: &Report) -> Vec<(&'static str, String)> {
    vec![
        ("json", render::json(report)),
        ("markdown", render::markdown(report)),
        ("junit", render::junit(report)),
        ("html", render::html(report)),
    ]
}

/// A report built as the engine builds one: each secret-bearing value passed through the
/// redactor at the point of recording, never afterwards.
fn report_holding(secret: &str, jwt: &str, free_text: &str) -> Report {
    let redactor = Redactor::default();
    redactor.register(secret);
    let http = HttpClient::new(HttpLimits::default(), redactor.clone()).expect("client builds");
    let request_headers = headers(&[
        ("authorization", &format!("Bearer {secret}")),
        ("mcp-session-id", secret),
        ("x-echo", &format!("{free_text}{secret}")),
    ]);
    let response_headers = headers(&[
        (
            "location",
            &format!("http://127.0.0.1:9/cb?code={secret}&state=s&x={jwt}"),
        ),
        (
            "www-authenticate",
            &format!("Bearer error=\"invalid_token\", error_description=\"{secret}\""),
        ),
        ("set-cookie", &format!("session={secret}")),
    ]);
    // As a client sends it in a query or a form body: encoded.
    let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let url = redactor.url(&format!(
        "https://as.example/authorize?client_id=app&state={secret}&code_challenge=abc&login_hint={encoded}#{jwt}"
    ));
    let form = redactor.form(&format!(
        "grant_type=authorization_code&code={secret}&code_verifier={secret}&client_secret={secret}&note={encoded}"
    ));
    let body = redactor.body(
        &json!({
            "access_token": secret,
            "refresh_token": secret,
            "token_type": "Bearer",
            "nested": [{"note": format!("{free_text} {secret}")}, jwt],
        })
        .to_string(),
    );
    let message = redactor.text(&format!("the server refused {secret} ({jwt}): {free_text}"));
    let check = Check {
        id: "token-exchange".into(),
        name: redactor.text(&format!("token {secret}")),
        description: "the code is exchanged for tokens".into(),
        status: Status::Failure,
        timestamp: "2026-01-01T00:00:00Z".into(),
        spec_references: Vec::new(),
        details: Some({
            let mut details = json!({"expected": "200", "actual": secret, "token": jwt});
            redactor.json(&mut details);
            details
        }),
        error_message: Some(message.clone()),
        remedy: Some(redactor.text(&format!("revoke {secret}"))),
        step: "token".into(),
    };
    let exchange = Exchange {
        step: "token".into(),
        request: HttpRequestRecord {
            method: "POST".into(),
            url,
            headers: http.recorded_headers(&request_headers),
            body: Some(form),
        },
        response: Some(HttpResponseRecord {
            status: 400,
            headers: http.recorded_headers(&response_headers),
            body: Some(body),
        }),
        error: Some(message.clone()),
        profile: None,
    };
    let checks = vec![check];
    Report {
        schema_version: mcp_oauth_reports::REPORT_SCHEMA_VERSION,
        tool: ToolInfo {
            name: "mcp-oauth-harness".into(),
            version: "0".into(),
        },
        scenario: None,
        target: Target {
            url: redactor.url(&format!("https://mcp.example/mcp?token={secret}")),
            kind: TargetKind::Live,
        },
        profile: "pipelines".into(),
        outcome: Outcome {
            health: Health::Unhealthy,
            diagnosis: Some(Diagnosis {
                code: "token-exchange-failed".into(),
                message,
                remedy: redactor.text(&format!("do not send {secret}")),
                party: mcp_oauth_reports::Party::AuthorizationServer,
                confirmed_by: None,
                candidates: vec![redactor.text(&format!("a candidate quoting {secret}"))],
            }),
        },
        expectations: Vec::new(),
        summary: Summary::of(&checks),
        checks,
        exchanges: vec![exchange],
        verdict: None,
        script: Vec::new(),
        client: None,
    }
}

/// A compact JWS (signed, or unsigned with an empty signature) or a five-part JWE (with or
/// without an encrypted key), in base64url segments.
fn jwt() -> impl Strategy<Value = String> {
    let signed = (
        "[A-Za-z0-9_-]{4,30}",
        "[A-Za-z0-9_-]{4,60}",
        "[A-Za-z0-9_-]{0,40}",
    )
        .prop_map(|(h, p, s)| format!("eyJ{h}.eyJ{p}.{s}x"));
    let unsigned =
        ("[A-Za-z0-9_-]{4,30}", "[A-Za-z0-9_-]{4,60}").prop_map(|(h, p)| format!("eyJ{h}.eyJ{p}."));
    let encrypted = (
        "[A-Za-z0-9_-]{4,30}",
        "[A-Za-z0-9_-]{0,40}",
        "[A-Za-z0-9_-]{4,20}",
        "[A-Za-z0-9_-]{4,60}",
        "[A-Za-z0-9_-]{4,20}",
    )
        .prop_map(|(h, k, iv, c, t)| format!("eyJ{h}.{k}.{iv}.{c}.{t}"));
    prop_oneof![signed, unsigned, encrypted]
}

/// A registered secret: plain, or with characters a URL or a form must percent-encode.
fn secret() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9-]{12,48}",
        "[A-Za-z0-9]{6,20}[ +/%@:;,!$*=?]{1,4}[A-Za-z0-9]{4,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn no_secret_survives_any_renderer(
        secret in secret(),
        token in jwt(),
        free_text in "[ -~]{0,30}",
    ) {
        let report = report_holding(&secret, &token, &free_text);
        let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        for (format, text) in renderings(&report) {
            prop_assert!(!text.contains(&secret), "{format} holds the registered secret");
            prop_assert!(!text.contains(&encoded), "{format} holds the encoded secret");
            prop_assert!(!text.contains(&token), "{format} holds the JWT");
        }
    }
}

#[test]
fn the_renderers_are_fed_something_to_redact() {
    // The property above would hold vacuously if the report lost its fields on the way.
    let report = report_holding("canary-secret-0123456789", "eyJa.eyJb.cx", "plain words");
    for (format, text) in renderings(&report) {
        assert!(text.contains("[redacted]"), "{format} shows no redaction");
        assert!(text.contains("plain words"), "{format} lost the free text");
    }
}
