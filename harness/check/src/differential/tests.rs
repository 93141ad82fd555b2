//! The differential on recorded flows: what it names, and what it leaves as candidates.

use mcp_oauth_reports::{Exchange, HttpRequestRecord, HttpResponseRecord};

use super::*;

const FORM: &str = "application/x-www-form-urlencoded";

fn exchange(step: &str, url: &str, body: Option<&str>, status: u16, answer: &str) -> Exchange {
    Exchange {
        step: step.to_owned(),
        request: HttpRequestRecord {
            method: if body.is_some() { "POST" } else { "GET" }.to_owned(),
            url: url.to_owned(),
            headers: body
                .map(|_| vec![("content-type".to_owned(), FORM.to_owned())])
                .unwrap_or_default(),
            body: body.map(str::to_owned),
        },
        response: Some(HttpResponseRecord {
            status,
            headers: Vec::new(),
            body: Some(answer.to_owned()),
        }),
        error: None,
        profile: None,
    }
}

/// A flow whose token request carries `token_params` and is answered `status`.
fn flow(profile: &'static str, token_params: &str, status: u16) -> Observed {
    let failed = status >= 400;
    let answer = if failed {
        r#"{"error":"server_error","error_description":"audience is required"}"#
    } else {
        r#"{"access_token":"[redacted]","token_type":"Bearer"}"#
    };
    let exchanges = vec![
        exchange(
            "authorization",
            &format!(
                "https://as.example/authorize?response_type=code&state=s-{profile}&{token_params}"
            ),
            None,
            302,
            "",
        ),
        exchange(
            "token",
            "https://as.example/token",
            Some(&format!(
                "grant_type=authorization_code&code=c-{profile}&{token_params}"
            )),
            status,
            answer,
        ),
    ];
    Observed {
        profile,
        failure: failed.then(|| {
            (
                diagnosis::new(
                    diagnosis::TOKEN_EXCHANGE_FAILED,
                    "The token exchange failed.",
                    "fix",
                ),
                "token-exchange".to_owned(),
            )
        }),
        answers: observe::answers(&exchanges),
        exchanges,
        left_behind: Vec::new(),
    }
}

#[tokio::test]
async fn a_lone_difference_names_the_cause_without_an_experiment() {
    let mut runs = vec![
        flow("pipelines", "scope=mcp", 500),
        flow(
            "mcp-2025-06-18",
            "scope=mcp&resource=https%3A%2F%2Fmcp.example%2Fmcp",
            200,
        ),
    ];
    let ran = explain(&mut runs, None).await;
    assert!(ran.is_empty());
    let (d, _) = runs[0].failure.as_ref().unwrap();
    assert_eq!(d.code, "audience-required");
    assert_eq!(
        d.party,
        Party::AuthorizationServer,
        "refused at the token endpoint"
    );
    assert_eq!(d.confirmed_by, None);
    assert!(d.message.contains("the only difference"), "{}", d.message);
    assert!(
        d.message.contains("\"audience is required\""),
        "{}",
        d.message
    );
    assert!(d.candidates.is_empty());
    let others: Vec<&Observed> = runs[1..].iter().collect();
    assert_eq!(runs[0].departs_at(&others), Some("token"));
}

#[tokio::test]
async fn two_differences_without_an_experiment_name_no_single_cause() {
    let mut runs = vec![
        flow("pipelines", "scope=mcp", 500),
        flow(
            "mcp-2026-07-28",
            "scope=mcp+offline_access&resource=https%3A%2F%2Fmcp.example%2Fmcp",
            200,
        ),
    ];
    explain(&mut runs, None).await;
    let (d, _) = runs[0].failure.as_ref().unwrap();
    // The observed diagnosis stands: nothing singled out `resource` over the scope.
    assert_eq!(d.code, "token-exchange-failed");
    assert_eq!(d.confirmed_by, None);
    assert_eq!(d.candidates.len(), 2, "{:?}", d.candidates);
    assert!(
        d.candidates
            .iter()
            .any(|c| c.starts_with("parameter `resource`: pipelines sends none"))
    );
    assert!(
        d.candidates
            .iter()
            .any(|c| c.starts_with("parameter `scope`"))
    );
    assert!(
        d.message.contains("no experiment could change one alone"),
        "{}",
        d.message
    );
}

#[tokio::test]
async fn a_refused_scope_difference_is_not_blamed_on_resource() {
    let mut runs = vec![
        flow("pipelines", "scope=mcp+offline_access", 500),
        flow("mcp-2025-11-25", "scope=mcp", 200),
    ];
    explain(&mut runs, None).await;
    let (d, _) = runs[0].failure.as_ref().unwrap();
    assert_eq!(d.code, "token-exchange-failed", "{}", d.message);
    assert!(d.message.contains("parameter `scope`"), "{}", d.message);
}

#[tokio::test]
async fn flows_that_send_the_same_requests_keep_their_diagnosis() {
    let mut runs = vec![
        flow("pipelines", "scope=mcp", 500),
        flow("mcp-2025-11-25", "scope=mcp", 200),
    ];
    explain(&mut runs, None).await;
    let (d, _) = runs[0].failure.as_ref().unwrap();
    assert_eq!(d.code, "token-exchange-failed");
    assert_eq!(d.message, "The token exchange failed.");
}

#[tokio::test]
async fn agreeing_flows_do_not_depart() {
    let mut runs = vec![
        flow("pipelines", "scope=mcp", 500),
        flow("mcp-2025-11-25", "scope=mcp&resource=x", 500),
    ];
    explain(&mut runs, None).await;
    assert_eq!(
        runs[0].failure.as_ref().unwrap().0.code,
        "token-exchange-failed"
    );
    let others: Vec<&Observed> = runs[1..].iter().collect();
    assert_eq!(runs[0].departs_at(&others), None);
}

#[tokio::test]
async fn an_explicit_invalid_target_names_the_cause_alone() {
    let mut run = flow("mcp-2025-11-25", "resource=x", 400);
    run.answers[1].error = Some("invalid_target".to_owned());
    let mut runs = vec![run];
    explain(&mut runs, None).await;
    let (d, _) = runs[0].failure.as_ref().unwrap();
    assert_eq!(d.code, "resource-rejected");
    assert_eq!(d.party, Party::AuthorizationServer);
}

#[test]
fn volatile_values_are_no_difference() {
    let a = exchange(
        "token",
        "https://as/token",
        Some("code=1&state=a&client_id=x&resource=r"),
        200,
        "{}",
    );
    let b = exchange(
        "token",
        "https://as/token",
        Some("code=2&state=b&client_id=y&resource=r"),
        200,
        "{}",
    );
    assert!(differences(&[a], &[b], "token").is_empty());
}

#[test]
fn an_experiment_variant_changes_one_thing_and_is_made_once() {
    let a = variant(
        &profile::PIPELINES,
        Knob::Resource,
        &profile::MCP_2025_11_25,
    );
    let b = variant(
        &profile::PIPELINES,
        Knob::Resource,
        &profile::MCP_2025_11_25,
    );
    assert!(std::ptr::eq(a, b));
    assert!(a.send_resource);
    assert_eq!(
        Profile {
            name: "pipelines",
            send_resource: false,
            ..a.clone()
        },
        profile::PIPELINES
    );
}
