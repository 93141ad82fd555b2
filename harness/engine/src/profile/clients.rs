//! Profiles that behave like real clients at pinned versions. Each behaviour that departs from
//! the spec revision the client follows is data here, with its source; docs/profiles.md lists
//! them all, and interop/real-clients/run.sh proves each profile against its real client on
//! every catalog scenario that judges a client.
//!
//! A comparison a client does not make is an override below FAILURE (the client goes on, and
//! the report says which spec rule it skipped); a quirk the engine tolerates but the client
//! does not is an override to FAILURE (the client stops there, as the real one does).

use std::time::Duration;

use mcp_oauth_reports::Status;

use super::DpopUse;
use super::{
    AUDIENCE_INFO, DCR_BEFORE_2026, IssPolicy, IssuerComparison, Profile, ResourceComparison,
    SeverityOverride, StepUpScope,
};
use super::{AuthorizationQuery, ChallengeReading, Repeated, ResourceWritten};
use crate::checks::{self, CheckDef};
use crate::diagnosis;

const fn goes_on(check: &'static CheckDef, why: &'static str) -> SeverityOverride {
    SeverityOverride {
        check,
        status: Status::Warning,
        why,
    }
}

const fn stops(check: &'static CheckDef, why: &'static str) -> SeverityOverride {
    SeverityOverride {
        check,
        status: Status::Failure,
        why,
    }
}

const TS_SDK_2_4_OVERRIDES: &[SeverityOverride] = &[
    AUDIENCE_INFO,
    DCR_BEFORE_2026[0],
    DCR_BEFORE_2026[1],
    stops(
        &checks::WELL_KNOWN_NO_HTML,
        "the TypeScript SDK 2.4 parses a 200 answer as metadata and fails on a body that is not JSON, without trying the next location",
    ),
    stops(
        &checks::DCR_RESPONSE_FIELDS,
        "the TypeScript SDK 2.4 validates the registration response against its schema and refuses null fields",
    ),
    stops(
        &checks::TOKEN_RESPONSE_JSON,
        "the TypeScript SDK 2.4 parses the token response as JSON only",
    ),
    stops(
        &checks::TOKEN_BASIC_CLIENT_ID,
        "the TypeScript SDK 2.4 does not retry a refused Basic authentication with client_id in the body",
    ),
    stops(
        &checks::UNKNOWN_CLIENT_ERROR,
        "the TypeScript SDK 2.4 recognises an unknown client only by invalid_client",
    ),
];

/// `@modelcontextprotocol/client` 2.4.0, the official TypeScript client SDK, as an application
/// built on it uses it (interop/real-stacks/clients/ts-sdk/driver.mjs).
pub const TS_SDK_2_4: Profile = Profile {
    name: "ts-sdk-2.4",
    summary: "The official TypeScript MCP client SDK, @modelcontextprotocol/client 2.4.0",
    emulates: Some("@modelcontextprotocol/client@2.4.0"),
    send_resource: true,
    // The SDK sends `resource` only when protected-resource metadata was found.
    resource_needs_metadata: true,
    resource_written: ResourceWritten::AsNamed,
    authorization_query: AuthorizationQuery::Appended,
    // extractWWWAuthenticateParams (AUTH l.896): a pattern per parameter, read when the
    // header's first word is Bearer or DPoP.
    challenge_reading: ChallengeReading::Pattern {
        schemes: &["bearer", "dpop"],
        repeated: Repeated::First,
    },
    // discoverOAuthServerInfo (AUTH l.1179-1198): the challenge's resource_metadata alone; a
    // failed fetch is metadata absent, with no well-known fallback.
    well_known_after_challenge: false,
    refresh_window: Duration::ZERO,
    pending_authorization_lifetime: Duration::from_secs(600),
    // finishAuth compares `iss` when present and requires it when the metadata advertises
    // authorization_response_iss_parameter_supported.
    iss: IssPolicy::RequireWhenAdvertised,
    // An expected issuer ending in `/` also matches the metadata's issuer without it.
    issuer_match: IssuerComparison::ExpectedSlashOptional,
    // checkResourceAllowed: the metadata's resource may be a same-origin path prefix.
    resource_match: ResourceComparison::SameOriginPrefix,
    // startAuthorization refuses only a list of methods that lacks S256.
    s256_assumed_when_unlisted: true,
    default_endpoints_fallback: true,
    openid_discovery: true,
    client_id_metadata_document: false,
    send_application_type: true,
    request_offline_access: false,
    // Step-up asks for the union of the scopes (authInternal).
    step_up_scope: StepUpScope::UnionWithPrevious,
    steps_up: true,
    scope_from_challenge: true,
    scope_from_authorization_server: false,
    max_reauthorizations: 2,
    max_step_ups: 2,
    token_accept_json: true,
    client_id_with_basic: false,
    // authInternal: a 401 with a refresh token refreshes first; a refused refresh authorizes
    // again on invalid_grant, on invalid_client (registering again) and on an answer that is
    // not OAuth; invalid_request and temporarily_unavailable end the flow.
    refresh_on_401: true,
    reauthorizes_after_refresh: &[
        diagnosis::REFRESH_REVOKED,
        diagnosis::CLIENT_REGISTRATION_GONE,
        diagnosis::TOKEN_ENDPOINT_MISCONFIGURED,
        diagnosis::CLIENT_UNKNOWN,
        // `server_error` is a ServerError, answered by a new authorization (AUTH
        // `authInternal`); `temporarily_unavailable` is thrown.
        diagnosis::REFRESH_SERVER_ERROR,
        diagnosis::REFRESH_GRANT_BROKEN,
    ],
    renew_forgotten_client: true,
    dpop: DpopUse::Never,
    severity_overrides: TS_SDK_2_4_OVERRIDES,
};

/// `mcp-remote` 0.15.1, the stdio proxy desktop clients use for remote servers. Its OAuth
/// code is `@modelcontextprotocol/client` 2.0.0, bundled, under its own provider.
pub const MCP_REMOTE_0_15: Profile = Profile {
    name: "mcp-remote-0.15",
    summary: "mcp-remote 0.15.1, the stdio-to-HTTP proxy desktop MCP clients use",
    emulates: Some("mcp-remote@0.15.1"),
    // NodeOAuthClientProvider refreshes before every request within a fixed 60 s margin.
    refresh_window: Duration::from_secs(60),
    // The bundled SDK 2.0.0 sends `new URL(resource).href` (selectResourceURL,
    // startAuthorization): a bare-origin resource gains a `/`.
    resource_written: ResourceWritten::UrlSerialized,
    // One browser authorization per start: a second one is completed up to the callback and
    // dropped (connectToRemoteServer).
    max_reauthorizations: 0,
    // But one step-up per request, the bundled SDK's own (DEFAULT_MAX_STEP_UP_RETRIES = 1,
    // _stepUpAuthorizeInner), with mcp-remote supplying the browser round trip mid-session.
    max_step_ups: 1,
    // SDK 2.0.0's extractWWWAuthenticateParams reads the header only when its first word is
    // Bearer.
    challenge_reading: ChallengeReading::Pattern {
        schemes: &["bearer"],
        repeated: Repeated::First,
    },
    severity_overrides: MCP_REMOTE_0_15_OVERRIDES,
    ..TS_SDK_2_4
};

const MCP_REMOTE_0_15_OVERRIDES: &[SeverityOverride] = &[
    AUDIENCE_INFO,
    DCR_BEFORE_2026[0],
    DCR_BEFORE_2026[1],
    goes_on(
        &checks::STATE_MATCHES,
        "mcp-remote 0.15 uses the callback's state only to find a saved PKCE verifier and redeems a code whose state it never issued",
    ),
    stops(
        &checks::WELL_KNOWN_NO_HTML,
        "the bundled TypeScript SDK 2.0 parses a 200 answer as metadata and fails on a body that is not JSON",
    ),
    stops(
        &checks::DCR_RESPONSE_FIELDS,
        "the bundled TypeScript SDK 2.0 refuses null fields in the registration response",
    ),
    stops(
        &checks::TOKEN_RESPONSE_JSON,
        "the bundled TypeScript SDK 2.0 parses the token response as JSON only",
    ),
    stops(
        &checks::TOKEN_BASIC_CLIENT_ID,
        "the bundled TypeScript SDK 2.0 does not retry a refused Basic authentication with client_id in the body",
    ),
    stops(
        &checks::UNKNOWN_CLIENT_ERROR,
        "the bundled TypeScript SDK 2.0 recognises an unknown client only by invalid_client",
    ),
];

const INSPECTOR_2_12_OVERRIDES: &[SeverityOverride] = &[
    AUDIENCE_INFO,
    DCR_BEFORE_2026[0],
    DCR_BEFORE_2026[1],
    goes_on(
        &checks::STATE_MATCHES,
        "the Inspector 2.12 CLI configures no per-flow store, so the callback's state is never compared and a code with a foreign state is redeemed",
    ),
    stops(
        &checks::WELL_KNOWN_NO_HTML,
        "the TypeScript SDK 2.3 inside parses a 200 answer as metadata and fails on a body that is not JSON",
    ),
    stops(
        &checks::DCR_RESPONSE_FIELDS,
        "the TypeScript SDK 2.3 inside refuses null fields in the registration response",
    ),
    stops(
        &checks::TOKEN_RESPONSE_JSON,
        "the TypeScript SDK 2.3 inside parses the token response as JSON only",
    ),
    stops(
        &checks::TOKEN_BASIC_CLIENT_ID,
        "the TypeScript SDK 2.3 inside does not retry a refused Basic authentication with client_id in the body",
    ),
    stops(
        &checks::UNKNOWN_CLIENT_ERROR,
        "the TypeScript SDK 2.3 inside recognises an unknown client only by invalid_client",
    ),
];

const AI_SDK_MCP_2_0_OVERRIDES: &[SeverityOverride] = &[
    AUDIENCE_INFO,
    DCR_BEFORE_2026[0],
    DCR_BEFORE_2026[1],
    stops(
        &checks::WELL_KNOWN_NO_HTML,
        "the AI SDK 2.0 fails on an authorization-server metadata answer that is not JSON",
    ),
    stops(
        &checks::DCR_RESPONSE_FIELDS,
        "the AI SDK 2.0 parses the registration response with a strict schema (nulls refused)",
    ),
    stops(
        &checks::TOKEN_RESPONSE_JSON,
        "the AI SDK 2.0 parses the token response as JSON only",
    ),
    stops(
        &checks::TOKEN_EXPIRES_IN_NUMBER,
        "the AI SDK 2.0 requires expires_in to be a number",
    ),
    stops(
        &checks::TOKEN_BASIC_CLIENT_ID,
        "the AI SDK 2.0 does not retry a refused Basic authentication with client_id in the body",
    ),
    stops(
        &checks::UNKNOWN_CLIENT_ERROR,
        "the AI SDK 2.0 recognises an unknown client only by invalid_client or unauthorized_client",
    ),
];

/// `@ai-sdk/mcp` 2.0.99, the Vercel AI SDK's MCP client (its own OAuth code).
pub const AI_SDK_MCP_2_0: Profile = Profile {
    name: "ai-sdk-mcp-2.0",
    summary: "The Vercel AI SDK's MCP client, @ai-sdk/mcp 2.0.99",
    emulates: Some("@ai-sdk/mcp@2.0.99"),
    // `resource` on every request: the metadata's, else the MCP URL.
    resource_needs_metadata: false,
    // Compared when present, never required.
    iss: IssPolicy::CheckWhenPresent,
    issuer_match: IssuerComparison::OriginSlashOptional,
    // Refuses when S256 is not listed, absent list included.
    s256_assumed_when_unlisted: false,
    // A refused refresh, whatever the error, leads to a new authorization.
    reauthorizes_after_refresh: &[
        diagnosis::REFRESH_REVOKED,
        diagnosis::CLIENT_REGISTRATION_GONE,
        diagnosis::TOKEN_ENDPOINT_MISCONFIGURED,
        diagnosis::CLIENT_UNKNOWN,
        diagnosis::REFRESH_INVALID_REQUEST,
        diagnosis::REFRESH_REFUSED,
        diagnosis::TRANSIENT_REFRESH_FAILURE,
        diagnosis::REFRESH_SERVER_ERROR,
        diagnosis::REFRESH_GRANT_BROKEN,
    ],
    // No step-up: a 403 is final; one refresh or authorization per request.
    steps_up: false,
    max_reauthorizations: 1,
    max_step_ups: 1,
    severity_overrides: AI_SDK_MCP_2_0_OVERRIDES,
    // The metadata's resource verbatim, except that a pathless URL loses its trailing slash
    // (dist/index.js `resourceUrlStripSlash`, `selectResourceURL`).
    resource_written: ResourceWritten::PathlessSlashStripped,
    // dist/index.js `extractWWWAuthenticateParams`: read only when the first word is Bearer.
    challenge_reading: ChallengeReading::Pattern {
        schemes: &["bearer"],
        repeated: Repeated::First,
    },
    ..TS_SDK_2_4
};

/// `@modelcontextprotocol/inspector` 2.12.0, its command-line client (on
/// `@modelcontextprotocol/client` 2.3.1).
pub const INSPECTOR_2_12: Profile = Profile {
    name: "inspector-2.12",
    summary: "The MCP Inspector's command-line client, @modelcontextprotocol/inspector 2.12.0",
    emulates: Some("@modelcontextprotocol/inspector@2.12.0"),
    // The scope is the metadata's scopes_supported, never the challenge's.
    scope_from_challenge: false,
    // One interactive authorization per invocation: a 401 after it is not retried.
    max_reauthorizations: 0,
    max_step_ups: 0,
    // The CLI reads the 401 itself (parseWwwAuthenticateBearer): the params after the first
    // `Bearer`, each match written into an object, so a repeated parameter's last value wins.
    challenge_reading: ChallengeReading::Pattern {
        schemes: &[],
        repeated: Repeated::Last,
    },
    severity_overrides: INSPECTOR_2_12_OVERRIDES,
    ..TS_SDK_2_4
};

const PYTHON_SDK_2_3_OVERRIDES: &[SeverityOverride] = &[
    AUDIENCE_INFO,
    DCR_BEFORE_2026[0],
    DCR_BEFORE_2026[1],
    goes_on(
        &checks::PKCE_S256_ADVERTISED,
        "the Python SDK 2.3 always sends an S256 challenge and never reads code_challenge_methods_supported (mcp/client/auth/oauth2.py)",
    ),
    stops(
        &checks::TOKEN_RESPONSE_JSON,
        "the Python SDK 2.3 parses the token response as JSON only",
    ),
    stops(
        &checks::UNKNOWN_CLIENT_ERROR,
        "the Python SDK 2.3 registers again only when the authorization server changes, never for a forgotten client",
    ),
];

/// `mcp` 2.3.0 on PyPI, the official Python SDK's OAuthClientProvider (an httpx Auth).
pub const PYTHON_SDK_2_3: Profile = Profile {
    name: "python-sdk-2.3",
    summary: "The official Python MCP SDK's OAuthClientProvider, mcp 2.3.0",
    emulates: Some("mcp@2.3.0"),
    // f"{auth_endpoint}?{urlencode(auth_params)}" (client/auth/oauth2.py, python-sdk#3505):
    // an endpoint with a query gets a second `?`.
    authorization_query: AuthorizationQuery::QuestionMark,
    // extract_field_from_www_auth (client/auth/utils.py): a pattern per parameter over the
    // whole header, whatever its scheme.
    challenge_reading: ChallengeReading::Pattern {
        schemes: &[],
        repeated: Repeated::First,
    },
    // build_protected_resource_metadata_discovery_urls: the challenge's URL, then the
    // path-inserted and root well-known URLs.
    well_known_after_challenge: true,
    send_resource: true,
    // `resource` when protected-resource metadata exists (or the 401'd request carried a
    // protocol version of 2025-06-18 or later, which the first one never does).
    resource_needs_metadata: true,
    // Refreshes only once its own clock says the token expired.
    resource_written: ResourceWritten::AsNamed,
    refresh_window: Duration::ZERO,
    pending_authorization_lifetime: Duration::from_secs(600),
    iss: IssPolicy::RequireWhenAdvertised,
    issuer_match: IssuerComparison::Identical,
    // check_resource_allowed: any same-origin parent path, trailing slashes ignored.
    resource_match: ResourceComparison::SameOriginParent,
    s256_assumed_when_unlisted: true,
    default_endpoints_fallback: true,
    openid_discovery: true,
    client_id_metadata_document: false,
    send_application_type: true,
    // The scope is asked for as chosen, offline_access included whether or not listed.
    request_offline_access: false,
    step_up_scope: StepUpScope::UnionWithPrevious,
    steps_up: true,
    scope_from_challenge: true,
    // The last fallback of the SDK's scope selection (OAuthContext.get_scope).
    scope_from_authorization_server: true,
    // A 401 is never answered with a refresh: the SDK discovers and authorizes again, once
    // per request.
    max_reauthorizations: 1,
    max_step_ups: 1,
    // The token requests carry no Accept header, and client_id goes in the body beside the
    // Basic credentials (python-sdk#3138).
    token_accept_json: false,
    client_id_with_basic: true,
    refresh_on_401: false,
    reauthorizes_after_refresh: &[],
    renew_forgotten_client: false,
    dpop: DpopUse::Never,
    severity_overrides: PYTHON_SDK_2_3_OVERRIDES,
};

pub const ALL: &[&Profile] = &[
    &MCP_REMOTE_0_15,
    &TS_SDK_2_4,
    &PYTHON_SDK_2_3,
    &AI_SDK_MCP_2_0,
    &INSPECTOR_2_12,
];
