//! Hostile clients of the mocks, on real loopback servers: oversized bodies, malformed forms, a
//! thousand parameters, replayed codes and refresh tokens. The mocks refuse each with a clear
//! answer, read no more than their body cap, and keep serving.

mod common;

use common::{Mocks, RawAnswer, VERIFIER, raw_request, read_answer, redemption, start};
use mcp_oauth_mocks::{MAX_REQUEST_BODY, MockConfig};
use reqwest::StatusCode;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// The endpoints a client posts bodies to: `(server address, path, content type)`.
fn body_endpoints(mocks: &Mocks) -> Vec<(String, String, &'static str)> {
    vec![
        (
            mocks.as_addr(),
            mocks.path_of(&mocks.endpoint("register")),
            "application/json",
        ),
        (
            mocks.as_addr(),
            mocks.path_of(&mocks.endpoint("token")),
            "application/x-www-form-urlencoded",
        ),
        (
            mocks.rs_addr(),
            mocks.path_of(&mocks.servers.mcp_url()),
            "application/json",
        ),
        // A type the log does not parse is capped all the same.
        (
            mocks.rs_addr(),
            mocks.path_of(&mocks.servers.mcp_url()),
            "text/plain",
        ),
    ]
}

fn assert_too_large(answer: &RawAnswer, what: &str) {
    assert_eq!(answer.status, 413, "{what}: {answer:?}");
    assert_eq!(
        answer.json()["error"],
        "invalid_request",
        "{what}: {answer:?}"
    );
}

/// The server still does its job for a well-behaved client.
async fn assert_still_serving(mocks: &Mocks) {
    let (client_id, _, tokens) = mocks.tokens().await;
    assert!(tokens["access_token"].is_string(), "{client_id}: {tokens}");
}

#[tokio::test]
async fn a_body_declared_larger_than_the_cap_is_refused_before_it_is_read() {
    let mocks = start(MockConfig::default()).await;
    for (addr, path, content_type) in body_endpoints(&mocks) {
        let mut stream = TcpStream::connect(&addr).await.expect("connect");
        // Declares a gigabyte, sends 64 KiB of it and waits: a server that buffered the
        // whole body would never answer.
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            1u64 << 30
        );
        stream.write_all(head.as_bytes()).await.expect("write head");
        stream.write_all(&[b'a'; 64 * 1024]).await.expect("write");
        let answer = read_answer(&mut stream).await;
        assert_too_large(&answer, &format!("{path} ({content_type})"));
    }
    assert_still_serving(&mocks).await;
}

#[tokio::test]
async fn an_endless_chunked_body_is_cut_off_at_the_cap() {
    let mocks = start(MockConfig::default()).await;
    for (addr, path, content_type) in body_endpoints(&mocks) {
        let stream = TcpStream::connect(&addr).await.expect("connect");
        let (mut reader, mut writer) = stream.into_split();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        // No length declared: the writer would go on for 16 times the cap, and stops at the
        // first write the server no longer takes.
        let writing = tokio::spawn(async move {
            writer.write_all(head.as_bytes()).await.ok()?;
            let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "a".repeat(64 * 1024));
            for _ in 0..(16 * MAX_REQUEST_BODY / (64 * 1024)) {
                writer.write_all(chunk.as_bytes()).await.ok()?;
            }
            Some(writer)
        });
        let answer = read_answer(&mut reader).await;
        assert_too_large(&answer, &format!("{path} ({content_type}), chunked"));
        writing.abort();
    }
    assert_still_serving(&mocks).await;
}

#[tokio::test]
async fn a_body_at_the_cap_is_still_read() {
    let mocks = start(MockConfig::default()).await;
    let path = mocks.path_of(&mocks.endpoint("token"));
    // grant_type=x, padded with an ignored parameter to exactly the cap.
    let mut body = b"grant_type=x&pad=".to_vec();
    body.resize(MAX_REQUEST_BODY, b'a');
    let answer = raw_request(
        &mocks.as_addr(),
        &format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
        ),
        &body,
    )
    .await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert_eq!(
        answer.json()["error"],
        "unsupported_grant_type",
        "{answer:?}"
    );
}

#[tokio::test]
async fn malformed_forms_are_invalid_request_with_an_oauth_error_body() {
    let mocks = start(MockConfig::default()).await;
    let bodies: [(&str, &[u8]); 5] = [
        ("a stray %", b"grant_type=refresh_token&refresh_token=%zz"),
        (
            "a truncated escape",
            b"grant_type=refresh_token&refresh_token=abc%4",
        ),
        (
            "an escape that is not UTF-8",
            b"grant_type=refresh_token&refresh_token=%ff%fe",
        ),
        (
            "raw bytes that are not UTF-8",
            b"grant_type=refresh\xff_token",
        ),
        ("a name that is not UTF-8", b"grant\xc3_type=refresh_token"),
    ];
    for name in ["token", "revoke"] {
        let path = mocks.path_of(&mocks.endpoint(name));
        for (what, body) in bodies {
            let answer = raw_request(
                &mocks.as_addr(),
                &format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"),
                body,
            )
            .await;
            assert_eq!(answer.status, 400, "{name}, {what}: {answer:?}");
            let error = answer.json();
            assert_eq!(error["error"], "invalid_request", "{name}, {what}: {error}");
            assert!(
                error["error_description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{name}, {what}: {error}"
            );
        }
    }
    assert_still_serving(&mocks).await;
}

#[tokio::test]
async fn a_malformed_or_repeated_authorization_query_is_an_error_page_not_a_redirect() {
    let mocks = start(MockConfig::default()).await;
    let client_id = mocks.register().await;
    let path = mocks.path_of(&mocks.endpoint("authorize"));
    let good = format!(
        "response_type=code&client_id={client_id}&redirect_uri=http%3A%2F%2F127.0.0.1%3A33418%2Fcallback&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    );
    for (what, query) in [
        ("a stray %", format!("{good}&state=%zz")),
        ("an escape that is not UTF-8", format!("{good}&state=%ff")),
        ("a repeated state", format!("{good}&state=a&state=b")),
    ] {
        let answer = raw_request(
            &mocks.as_addr(),
            &format!("GET {path}?{query} HTTP/1.1\r\nHost: x"),
            b"",
        )
        .await;
        assert_eq!(answer.status, 400, "{what}: {answer:?}");
        assert!(
            !answer.head.to_ascii_lowercase().contains("location:"),
            "{what}: {answer:?}"
        );
        assert!(
            answer.body.contains("Invalid authorization request"),
            "{what}: {answer:?}"
        );
    }
    // The same request, well-formed, is answered with a code.
    let answer = raw_request(
        &mocks.as_addr(),
        &format!("GET {path}?{good}&state=s HTTP/1.1\r\nHost: x"),
        b"",
    )
    .await;
    assert_eq!(answer.status, 302, "{answer:?}");
}

#[tokio::test]
async fn malformed_registration_json_is_invalid_client_metadata() {
    let mocks = start(MockConfig::default()).await;
    let path = mocks.path_of(&mocks.endpoint("register"));
    for body in [
        &b"{\"redirect_uris\": ["[..],
        b"\xff\xfe",
        b"[[[[[[[[[[[[[[[[[[[[",
    ] {
        let answer = raw_request(
            &mocks.as_addr(),
            &format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"),
            body,
        )
        .await;
        assert_eq!(answer.status, 400, "{answer:?}");
        assert_eq!(
            answer.json()["error"],
            "invalid_client_metadata",
            "{answer:?}"
        );
    }
}

#[tokio::test]
async fn a_thousand_unknown_parameters_are_ignored_and_a_repeated_one_is_refused() {
    let mocks = start(MockConfig::default()).await;
    let (client_id, _, tokens) = mocks.tokens().await;
    let refresh_token = tokens["refresh_token"].as_str().expect("refresh_token");
    let names: Vec<String> = (0..1000).map(|i| format!("extra{i}")).collect();
    let mut form: Vec<(&str, &str)> = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", &client_id),
    ];
    form.extend(names.iter().map(|n| (n.as_str(), "x")));
    // RFC 6749 §3.2: unrecognized parameters are ignored.
    let (status, body) = mocks.token(&form).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // RFC 6749 §3.2: parameters MUST NOT be included more than once.
    form.push(("client_id", &client_id));
    let (status, body) = mocks.token(&form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_request", "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap_or("")
            .contains("client_id"),
        "{body}"
    );

    let thousand_grant_types = vec![("grant_type", "refresh_token"); 1000];
    let (status, body) = mocks.token(&thousand_grant_types).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_request", "{body}");
}

#[tokio::test]
async fn a_repeated_code_in_one_request_is_refused_without_spending_the_code() {
    let mocks = start(MockConfig::default()).await;
    let client_id = mocks.register().await;
    let code = mocks.code(&client_id).await;
    let mut form = redemption(&client_id, &code);
    form.push(("code", &code));
    let (status, body) = mocks.token(&form).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &"invalid_request".into()),
        "{body}"
    );
    let (status, body) = mocks.redeem(&client_id, &code).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the refused request did not spend the code: {body}"
    );
}

#[tokio::test]
async fn a_replayed_code_is_invalid_grant_and_revokes_the_refresh_token_issued_for_it() {
    let mocks = start(MockConfig::default()).await;
    let (client_id, code, tokens) = mocks.tokens().await;
    let refresh_token = tokens["refresh_token"].as_str().expect("refresh_token");

    let (status, body) = mocks.redeem(&client_id, &code).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_grant", "{body}");

    // RFC 6749 §4.1.2: the tokens issued from the code are revoked.
    let (status, body) = mocks.refresh(&client_id, refresh_token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_grant", "{body}");

    // Another client's grant is untouched.
    let (other, _, other_tokens) = mocks.tokens().await;
    let other_refresh = other_tokens["refresh_token"]
        .as_str()
        .expect("refresh_token");
    let (status, body) = mocks.refresh(&other, other_refresh).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_replayed_code_revokes_its_access_token_where_the_mcp_server_introspects() {
    // RFC 6749 §4.1.2 asks to revoke every token issued from a replayed code. The access
    // token is a self-contained JWT: only an MCP server that introspects sees the revocation.
    for introspects in [true, false] {
        let mut config = MockConfig::default();
        config.resource_server.introspect_tokens = introspects;
        let mocks = start(config).await;
        let (client_id, code, tokens) = mocks.tokens_for_the_mcp_server().await;
        let access_token = tokens["access_token"].as_str().expect("access_token");
        assert_eq!(mocks.mcp_status(access_token).await, StatusCode::OK);

        let (status, body) = mocks.redeem(&client_id, &code).await;
        assert_eq!(
            (status, &body["error"]),
            (StatusCode::BAD_REQUEST, &"invalid_grant".into())
        );

        let after = mocks.mcp_status(access_token).await;
        if introspects {
            assert_eq!(after, StatusCode::UNAUTHORIZED, "introspecting MCP server");
        } else {
            assert_eq!(
                after,
                StatusCode::OK,
                "a JWT lives out its lifetime without introspection"
            );
        }
        // Another client's access token is untouched.
        let (_, _, other) = mocks.tokens_for_the_mcp_server().await;
        let other = other["access_token"].as_str().expect("access_token");
        assert_eq!(mocks.mcp_status(other).await, StatusCode::OK);
    }
}

#[tokio::test]
async fn a_code_replayed_by_another_client_is_invalid_grant() {
    let mocks = start(MockConfig::default()).await;
    let (_, code, _) = mocks.tokens().await;
    let thief = mocks.register().await;
    let (status, body) = mocks.redeem(&thief, &code).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &"invalid_grant".into()),
        "{body}"
    );
    assert!(body.get("access_token").is_none(), "{body}");
}

#[tokio::test]
async fn a_replayed_rotated_refresh_token_is_invalid_grant_and_revokes_its_family() {
    let mut config = MockConfig::default();
    config.authorization_server.rotate_refresh_tokens = true;
    let mocks = start(config).await;
    let (client_id, _, tokens) = mocks.tokens().await;
    let first = tokens["refresh_token"]
        .as_str()
        .expect("refresh_token")
        .to_owned();

    let (status, rotated) = mocks.refresh(&client_id, &first).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let second = rotated["refresh_token"]
        .as_str()
        .expect("a rotated refresh_token");
    assert_ne!(second, first);

    let (status, body) = mocks.refresh(&client_id, &first).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_grant", "{body}");

    // The replay revoked the family: the newest token of it is dead too.
    let (status, body) = mocks.refresh(&client_id, second).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_grant", "{body}");
}

#[tokio::test]
async fn a_wrong_verifier_is_refused_and_the_log_holds_every_hostile_request() {
    let mocks = start(MockConfig::default()).await;
    let client_id = mocks.register().await;
    let code = mocks.code(&client_id).await;
    let wrong = format!("{VERIFIER}x");
    let mut form = redemption(&client_id, &code);
    form.retain(|(n, _)| *n != "code_verifier");
    form.push(("code_verifier", &wrong));
    let (status, body) = mocks.token(&form).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &"invalid_grant".into()),
        "{body}"
    );
    let statuses: Vec<u16> = mocks
        .servers
        .log()
        .snapshot()
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [201, 302, 400], "{statuses:?}");
}
