//! Hostile answers to discovery: redirects the client must not follow, addresses a public
//! server must not send it to, malformed documents and headers. Each run is bounded and its
//! diagnosis or failed checks name the problem.

#[path = "common/hostile.rs"]
mod hostile;

use std::net::SocketAddr;

use hostile::{
    Answer, RawServer, challenge, connect, connect_with, hostile_metadata, json, limits, response,
};
use mcp_oauth_harness::http::HttpClient;
use mcp_oauth_harness::redact::Redactor;
use serde_json::json as j;

async fn redirecting_metadata(location: &'static str) -> hostile::Run {
    let server = hostile_metadata(move |base| {
        let target = location.replace("{base}", base);
        response("302 Found", &[("location", &target)], b"")
    })
    .await;
    let run = connect(&format!("{}/mcp", server.uri())).await;
    let prm_requests = server
        .requests()
        .iter()
        .filter(|r| r.path == "/prm")
        .count();
    assert_eq!(prm_requests, 1, "a redirect was followed");
    run
}

#[tokio::test]
async fn a_redirect_loop_is_not_followed() {
    let run = redirecting_metadata("{base}/prm").await;
    assert_eq!(run.diagnosis().code, "discovery-failed");
    run.names(&["/prm (302)"]);
}

#[tokio::test]
async fn a_redirect_to_a_file_url_is_not_followed() {
    let run = redirecting_metadata("file:///etc/passwd").await;
    assert_eq!(run.diagnosis().code, "discovery-failed");
    run.names(&["/prm (302)"]);
    assert!(!run.explanation().contains("root:"), "a file was read");
}

#[tokio::test]
async fn a_redirect_to_a_data_url_is_not_followed() {
    let run = redirecting_metadata("data:application/json,%7B%22resource%22%3A%22x%22%7D").await;
    assert_eq!(run.diagnosis().code, "discovery-failed");
    run.names(&["/prm (302)"]);
}

/// A server reached as `http://vendor.test:PORT`, which only the client resolves (to
/// loopback), so that it counts as public; its metadata names `authorization_server`.
async fn public_vendor_naming(authorization_server: &'static str) -> hostile::Run {
    let server = RawServer::start(move |request, base| {
        let public = base.replace("127.0.0.1", "vendor.test");
        match request.path.as_str() {
            "/mcp" => challenge(&public),
            "/prm" => json(&j!({
                "resource": format!("{public}/mcp"),
                "authorization_servers": [authorization_server],
            })),
            _ => response("404 Not Found", &[], b""),
        }
    })
    .await;
    let public = format!("http://vendor.test:{}/mcp", server.addr.port());
    let loopback: SocketAddr = "127.0.0.1:0".parse().expect("address");
    let http =
        HttpClient::with_resolved(limits(), Redactor::default(), &[("vendor.test", loopback)])
            .expect("client");
    connect_with(&public, http, None).await
}

#[tokio::test]
async fn metadata_pointing_at_the_link_local_metadata_service_is_refused() {
    let run = public_vendor_naming("http://169.254.169.254/latest").await;
    run.names(&["metadata-addresses-public", "169.254.169.254"]);
}

#[tokio::test]
async fn metadata_pointing_at_a_private_address_is_refused() {
    let run = public_vendor_naming("https://10.0.0.7").await;
    run.names(&["metadata-addresses-public", "10.0.0.7"]);
}

#[tokio::test]
async fn metadata_pointing_at_an_ipv6_link_local_address_is_refused() {
    let run = public_vendor_naming("https://[fe80::1]").await;
    run.names(&["metadata-addresses-public", "fe80::1"]);
}

#[tokio::test]
async fn metadata_pointing_at_loopback_from_a_public_target_is_refused() {
    let run = public_vendor_naming("http://127.0.0.1:1").await;
    run.names(&["metadata-addresses-public", "127.0.0.1:1"]);
}

async fn metadata_body(content_type: &'static str, body: Vec<u8>) -> hostile::Run {
    let server =
        hostile_metadata(move |_| response("200 OK", &[("content-type", content_type)], &body))
            .await;
    connect(&format!("{}/mcp", server.uri())).await
}

#[tokio::test]
async fn non_json_metadata_is_named() {
    let run = metadata_body("text/html", b"<html><body>Sign in</body></html>".to_vec()).await;
    assert_eq!(run.diagnosis().code, "discovery-failed");
    run.names(&["/prm (200, but not JSON)"]);
}

#[tokio::test]
async fn metadata_of_the_wrong_types_is_named() {
    let body = j!({"resource": 42, "authorization_servers": "not-a-list"}).to_string();
    let run = metadata_body("application/json", body.into_bytes()).await;
    run.names(&["resource"]);
}

#[tokio::test]
async fn deeply_nested_json_is_an_error_not_a_stack_overflow() {
    let depth = 200_000;
    let body = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    assert!(body.len() < hostile::BODY_CAP * 8);
    let server = hostile_metadata(move |_| {
        response(
            "200 OK",
            &[("content-type", "application/json")],
            body.as_bytes(),
        )
    })
    .await;
    // Within the cap of a client that allows it, so the parser, not the cap, is what is tested.
    let http = HttpClient::new(
        mcp_oauth_harness::http::HttpLimits {
            max_body_bytes: 1024 * 1024,
            ..limits()
        },
        Redactor::default(),
    )
    .expect("client");
    let url = format!("{}/mcp", server.uri());
    let run = connect_with(&url, http, None).await;
    assert_eq!(run.diagnosis().code, "discovery-failed");
    run.names(&["/prm (200, but not JSON)"]);
}

#[tokio::test]
async fn invalid_utf8_metadata_is_named() {
    let run = metadata_body(
        "application/json",
        b"{\"resource\": \"\xff\xfe\xc3\x28\"}".to_vec(),
    )
    .await;
    assert_eq!(run.diagnosis().code, "discovery-failed");
    run.names(&["/prm (200, but not JSON)"]);
}

async fn challenging_with(headers: Vec<(String, String)>) -> hostile::Run {
    let server = RawServer::start(move |request, _| match request.path.as_str() {
        "/mcp" => {
            let pairs: Vec<(&str, &str)> = headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            response("401 Unauthorized", &pairs, b"")
        }
        _ => response("404 Not Found", &[], b""),
    })
    .await;
    connect(&format!("{}/mcp", server.uri())).await
}

#[tokio::test]
async fn a_garbled_www_authenticate_is_a_failed_check() {
    let run = challenging_with(vec![("www-authenticate".into(), "Bearer ,,=,\"\\".into())]).await;
    run.names(&["www-authenticate-bearer"]);
}

#[tokio::test]
async fn duplicate_bearer_challenges_are_read_without_confusion() {
    // Two Bearer challenges naming different metadata: the first is used, and its absence
    // (404 here) is what the diagnosis names, not a parse failure.
    let run = challenging_with(vec![
        (
            "www-authenticate".into(),
            "Bearer resource_metadata=\"http://127.0.0.1:1/first\"".into(),
        ),
        (
            "www-authenticate".into(),
            "Bearer resource_metadata=\"http://127.0.0.1:1/second\"".into(),
        ),
    ])
    .await;
    assert_eq!(run.diagnosis().code, "discovery-failed");
    run.names(&["127.0.0.1:1/first"]);
}

#[tokio::test]
async fn a_giant_www_authenticate_is_bounded() {
    let giant = format!("Bearer realm=\"{}\"", "r".repeat(60 * 1024));
    let run = challenging_with(vec![("www-authenticate".into(), giant)]).await;
    assert_eq!(run.diagnosis().code, "discovery-failed");
    run.names(&["discovery failed"]);
}

#[tokio::test]
async fn thousands_of_headers_are_refused_with_a_reason() {
    let headers = (0..5000)
        .map(|i| (format!("x-junk-{i}"), "v".to_owned()))
        .collect();
    let run = challenging_with(headers).await;
    assert_eq!(run.diagnosis().code, "discovery-failed");
    run.names(&["message head is too large"]);
}

#[tokio::test]
async fn an_answer_that_is_not_http_is_named() {
    let server = RawServer::start(|_, _| Answer::Bytes(b"SSH-2.0-OpenSSH_9.6\r\n".to_vec())).await;
    let run = connect(&format!("{}/mcp", server.uri())).await;
    assert_eq!(run.diagnosis().code, "discovery-failed");
    run.names(&["invalid"]);
}
