//! A hand-built report shared by the renderer and schema tests: every check status, a
//! diagnosis, met and unmet expectations, exchanges, and strings a hostile server could send.

use mcp_oauth_reports::*;
use serde_json::json;

/// What a hostile authorization server might put in an `error_description`: markup, the end of
/// a CDATA section, and a terminal escape (a control character XML forbids).
pub const HOSTILE: &str = "<script>alert(1)</script> ]]> \u{1b}[31m";

pub const MCP_AUTH: &str =
    "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization";

fn spec(id: &str, url: &str) -> SpecReference {
    SpecReference {
        id: id.into(),
        url: url.into(),
    }
}

#[allow(clippy::too_many_arguments)]
fn check(
    id: &str,
    name: &str,
    description: &str,
    status: Status,
    second: u32,
    step: &str,
    specs: Vec<SpecReference>,
) -> Check {
    Check {
        id: id.into(),
        name: name.into(),
        description: description.into(),
        status,
        timestamp: format!("2025-01-01T00:00:{second:02}Z"),
        spec_references: specs,
        details: None,
        error_message: None,
        remedy: None,
        step: step.into(),
    }
}

pub fn checks() -> Vec<Check> {
    let mcp = || spec("MCP-2025-11-25-authorization", MCP_AUTH);
    let rfc9728 = || {
        spec(
            "RFC9728-3",
            "https://www.rfc-editor.org/rfc/rfc9728#section-3",
        )
    };
    vec![
        check(
            "probe-returns-401",
            "Unauthenticated request is rejected",
            "An MCP request without a token gets 401 with a WWW-Authenticate challenge.",
            Status::Success,
            0,
            "probe",
            vec![mcp()],
        ),
        check(
            "prm-discovered",
            "Protected-resource metadata found",
            "The resource server publishes RFC 9728 metadata at a well-known URL.",
            Status::Success,
            0,
            "discovery",
            vec![rfc9728()],
        ),
        Check {
            details: Some(json!({ "source": "resource_metadata parameter of WWW-Authenticate" })),
            ..check(
                "prm-location",
                "Where the metadata URL came from",
                "Records how the client located the protected-resource metadata.",
                Status::Info,
                0,
                "discovery",
                vec![rfc9728()],
            )
        },
        Check {
            error_message: Some("The resource is http://mcp.test/mcp/, the server URL is http://mcp.test/mcp.".into()),
            remedy: Some("Publish the canonical server URL, without a trailing slash, as resource.".into()),
            ..check(
                "prm-resource-matches",
                "Metadata names this resource",
                "The resource in the protected-resource metadata is the server URL the client was given.",
                Status::Failure,
                0,
                "discovery",
                vec![spec("RFC9728-3.3", "https://www.rfc-editor.org/rfc/rfc9728#section-3.3")],
            )
        },
        Check {
            error_message: Some("code_challenge_methods_supported is absent; assuming S256".into()),
            remedy: Some(
                "Advertise code_challenge_methods_supported: [\"S256\"] in the authorization server metadata."
                    .into(),
            ),
            details: Some(json!({ "expected": ["S256"], "actual": null })),
            ..check(
                "pkce-s256-advertised",
                "PKCE S256 is advertised",
                "The authorization server metadata lists S256 in code_challenge_methods_supported.",
                Status::Warning,
                1,
                "discovery",
                vec![
                    spec("RFC8414-2", "https://www.rfc-editor.org/rfc/rfc8414#section-2"),
                    mcp(),
                ],
            )
        },
        Check {
            error_message: Some("The profile registers clients dynamically.".into()),
            ..check(
                "client-id-metadata-document",
                "Client ID metadata document accepted",
                "The authorization server accepts a URL client_id pointing at a metadata document.",
                Status::Skipped,
                1,
                "register",
                vec![mcp()],
            )
        },
        Check {
            error_message: Some(format!(
                "The authorization server rejected the redirect URI: invalid_request: {HOSTILE}"
            )),
            remedy: Some(
                "Add http://127.0.0.1:[port]/callback to the allowed redirect URIs of the OAuth app."
                    .into(),
            ),
            details: Some(json!({
                "expected": "a redirect to http://127.0.0.1:[port]/callback with a code",
                "actual": { "status": 400, "error": "invalid_request", "error_description": HOSTILE },
            })),
            ..check(
                "redirect-uri-accepted",
                "Redirect URI accepted",
                "The authorization endpoint accepts the client's registered redirect URI.",
                Status::Failure,
                2,
                "authorize",
                vec![spec(
                    "RFC6749-3.1.2",
                    "https://www.rfc-editor.org/rfc/rfc6749#section-3.1.2",
                )],
            )
        },
        Check {
            error_message: Some("Not reached: authorization failed.".into()),
            ..check(
                "token-exchanged",
                "Code exchanged for tokens",
                "The token endpoint issues an access token for the authorization code.",
                Status::Skipped,
                2,
                "token",
                vec![mcp()],
            )
        },
    ]
}

pub fn report() -> Report {
    let checks = checks();
    Report {
        schema_version: REPORT_SCHEMA_VERSION,
        tool: ToolInfo {
            name: "mcp-oauth-harness".into(),
            version: "0.1.0".into(),
        },
        scenario: Some("byo-app-redirect-uri-mismatch".into()),
        target: Target {
            url: "http://mcp.test/mcp".into(),
            kind: TargetKind::Mock,
        },
        profile: "pipelines".into(),
        outcome: Outcome {
            health: Health::Unhealthy,
            diagnosis: Some(Diagnosis {
                code: "redirect-uri-mismatch".into(),
                message: format!("The OAuth app does not allow the callback URL: {HOSTILE}"),
                remedy: "Add the platform's callback URL to the OAuth app's allowed redirect URIs, then connect again."
                    .into(),
                party: Party::AuthorizationServer,
                confirmed_by: None,
                candidates: Vec::new(),
            }),
        },
        expectations: vec![
            ExpectationResult {
                description: "diagnosis".into(),
                expected: "redirect-uri-mismatch".into(),
                actual: "redirect-uri-mismatch".into(),
                met: true,
            },
            ExpectationResult {
                description: "health after the flow".into(),
                expected: "unknown".into(),
                actual: "unhealthy".into(),
                met: false,
            },
        ],
        exchanges: vec![
            Exchange {
                step: "discovery".into(),
                request: HttpRequestRecord {
                    method: "GET".into(),
                    url: "http://mcp.test/.well-known/oauth-protected-resource/mcp".into(),
                    headers: vec![("accept".into(), "application/json".into())],
                    body: None,
                },
                response: Some(HttpResponseRecord {
                    status: 200,
                    headers: vec![("content-type".into(), "application/json".into())],
                    body: Some(
                        r#"{"resource":"http://mcp.test/mcp/","authorization_servers":["http://as.test"]}"#
                            .into(),
                    ),
                }),
                error: None,
                profile: None,
            },
            Exchange {
                step: "discovery".into(),
                request: HttpRequestRecord {
                    method: "GET".into(),
                    url: "http://as.test/.well-known/oauth-authorization-server".into(),
                    headers: vec![],
                    body: None,
                },
                response: None,
                error: Some("timed out after 10s".into()),
                profile: None,
            },
            Exchange {
                step: "discovery".into(),
                request: HttpRequestRecord {
                    method: "GET".into(),
                    url: "http://as.test/.well-known/openid-configuration".into(),
                    headers: vec![],
                    body: None,
                },
                response: Some(HttpResponseRecord {
                    status: 200,
                    headers: vec![("content-type".into(), "application/json".into())],
                    body: Some(
                        r#"{"issuer":"http://as.test","authorization_endpoint":"http://as.test/authorize","token_endpoint":"http://as.test/token"}"#
                            .into(),
                    ),
                }),
                error: None,
                profile: None,
            },
            Exchange {
                step: "authorize".into(),
                request: HttpRequestRecord {
                    method: "GET".into(),
                    url: "http://as.test/authorize?response_type=code&client_id=[client-id]&state=[redacted]"
                        .into(),
                    headers: vec![],
                    body: None,
                },
                response: Some(HttpResponseRecord {
                    status: 400,
                    headers: vec![("content-type".into(), "text/html".into())],
                    body: Some(format!("<html><body><h1>invalid_request</h1><p>{HOSTILE}</p></body></html>")),
                }),
                error: None,
                profile: None,
            },
        ],
        summary: Summary::of(&checks),
        checks,
        verdict: None,
        script: Vec::new(),
        client: None,
    }
}

/// A live check's verdict: one profile blocked by a hostile-worded issue, one connecting with a
/// caveat, one needing a Client ID.
pub fn verdict() -> Verdict {
    let issue = VerdictIssue {
        code: "audience-required".into(),
        check: "audience-optional".into(),
        message: format!("The authorization server requires an audience: {HOSTILE}"),
        remedy: "Make the audience parameter optional.".into(),
        party: Party::Deployment,
        confirmed_by: Some(ConfirmedBy::Experiment),
        candidates: Vec::new(),
    };
    Verdict {
        profiles: vec![
            ProfileVerdict {
                profile: "pipelines".into(),
                connects: Connects::No,
                verified: true,
                blockers: vec![issue.clone()],
                caveats: vec![],
                diagnosis: Some(issue.diagnosis()),
                inferred_because: None,
                departs_at: Some("authorization".into()),
            },
            ProfileVerdict {
                profile: "mcp-2025-11-25".into(),
                connects: Connects::Yes,
                verified: false,
                blockers: vec![],
                caveats: vec![VerdictIssue {
                    code: "transient-refresh-failure".into(),
                    check: "token-unknown-refresh-token".into(),
                    message: "Unknown refresh tokens get 503.".into(),
                    remedy: "Answer 400 invalid_grant.".into(),
                    party: Party::AuthorizationServer,
                    confirmed_by: None,
                    candidates: vec![format!("a candidate quoting the server: {HOSTILE}")],
                }],
                diagnosis: None,
                inferred_because: Some("not selected with --profiles".into()),
                departs_at: None,
            },
            ProfileVerdict {
                profile: "mcp-2026-07-28".into(),
                connects: Connects::WithClientId,
                verified: false,
                blockers: vec![],
                caveats: vec![],
                diagnosis: None,
                inferred_because: Some("no consent was run".into()),
                departs_at: None,
            },
        ],
        top_fix: Some(TopFix {
            code: issue.code,
            check: issue.check,
            message: issue.message,
            remedy: issue.remedy,
            party: issue.party,
            profiles: vec!["pipelines".into()],
        }),
        left_behind: vec![LeftBehind {
            client_id: "client-probe-1".into(),
            registered_by: "probes".into(),
            reason: "the registration response gave no registration_client_uri".into(),
        }],
    }
}
