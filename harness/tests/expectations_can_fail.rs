//! A scenario whose expectations hold whatever happens proves nothing. For every catalog
//! scenario, [`MUTATIONS`] names changes to a mock knob or to what the harness is given that
//! break the scenario's story. Each profile the scenario declares is judged on its own: under
//! every one of them, some mutation must leave an expectation unmet, so that no profile's
//! expectations can hold whatever happens. Adding a scenario, or a profile to a scenario,
//! without a mutation that breaks it fails this test.

use std::collections::{BTreeMap, BTreeSet};

use mcp_oauth_harness::flow::DEFAULT_REDIRECT_URI;
use mcp_oauth_harness::flow::dpop::DpopUse;
use mcp_oauth_harness::profile;
use mcp_oauth_harness::runner::run_scenario;
use mcp_oauth_harness::scenario::{
    ActionKind, PastedUrl, Scenario, Step, catalog_dir, load_catalog,
};
use mcp_oauth_mocks::config::{
    AsMetadataLocation, CallbackState, Consent, DpopNonce, InsufficientScopeChallenge,
    IssParameter, IssuerForm, PrmLocation, ResourceForm, TlsProxy, TokenEndpointAuthMethod,
};

struct Mutation {
    scenario: &'static str,
    /// What changes, and why the story no longer holds.
    change: &'static str,
    mutate: fn(&mut Scenario),
}

/// The 401's challenge in its standard form: `Bearer resource_metadata="…"`, each parameter
/// once, no error code.
fn standard_challenge(scenario: &mut Scenario) {
    scenario.mocks.resource_server.unauthenticated_challenge =
        mcp_oauth_mocks::config::ChallengeForm::Standard;
}

/// The first step of the script with this action.
fn step(scenario: &mut Scenario, action: ActionKind) -> &mut Step {
    scenario
        .steps
        .iter_mut()
        .map(|s| s.get_mut())
        .find(|s| s.action == action)
        .unwrap_or_else(|| panic!("the script has no {} step", action.as_str()))
}

const MUTATIONS: &[Mutation] = &[
    Mutation {
        scenario: "as-metadata-openid-appended",
        change: "the metadata moves to the RFC 8414 location, so it is not found where the OpenID appended form puts it",
        mutate: |s| s.mocks.authorization_server.metadata_location = AsMetadataLocation::Oauth,
    },
    Mutation {
        scenario: "as-metadata-openid-inserted",
        change: "the metadata moves to the RFC 8414 location, so it is not found where the OpenID inserted form puts it",
        mutate: |s| s.mocks.authorization_server.metadata_location = AsMetadataLocation::Oauth,
    },
    Mutation {
        scenario: "as-metadata-openid-root",
        change: "the metadata moves to the RFC 8414 location, so it is not found at openid-configuration",
        mutate: |s| s.mocks.authorization_server.metadata_location = AsMetadataLocation::Oauth,
    },
    Mutation {
        scenario: "as-metadata-path-issuer",
        change: "the metadata moves to the OpenID appended location, so it is not found where RFC 8414 inserts the path",
        mutate: |s| {
            s.mocks.authorization_server.metadata_location = AsMetadataLocation::OpenidAppended
        },
    },
    Mutation {
        scenario: "as-migration-reregisters",
        change: "the MCP server stays with its authorization server, so the second run needs no new registration",
        mutate: |s| {
            step(s, ActionKind::SwitchAuthorizationServer).action = ActionKind::RevokeRefreshTokens
        },
    },
    Mutation {
        scenario: "audience-required",
        change: "the authorization server stops requiring an audience, so Pipelines connects",
        mutate: |s| s.mocks.authorization_server.require_audience = false,
    },
    Mutation {
        scenario: "audience-required",
        change: "the metadata names the MCP server on another host, so the resource the 2025-11-25 client sends is refused before consent",
        mutate: |s| s.mocks.resource_server.resource_in_metadata = ResourceForm::OtherHost,
    },
    Mutation {
        scenario: "backcompat-2025-03-26-default-endpoints",
        change: "the authorization server moves off the MCP server's origin, so the default endpoints there do not exist",
        mutate: |s| s.mocks.authorization_server.co_located = false,
    },
    Mutation {
        scenario: "backcompat-2025-03-26-default-endpoints",
        change: "the co-located authorization server serves its metadata, so Pipelines finds it on the origin and connects",
        mutate: |s| s.mocks.authorization_server.metadata = true,
    },
    Mutation {
        scenario: "backcompat-2025-03-26-origin-metadata",
        change: "the authorization server moves off the MCP server's origin, so no metadata is found there",
        mutate: |s| s.mocks.authorization_server.co_located = false,
    },
    Mutation {
        scenario: "byo-client",
        change: "the user pastes no Client ID, and there is no registration to fall back on",
        mutate: |s| s.client.client_id = None,
    },
    Mutation {
        scenario: "byo-client-secret-basic",
        change: "the user pastes the Client ID without its secret, so the harness authenticates as a public client, which the server refuses",
        mutate: |s| s.client.client_secret = None,
    },
    Mutation {
        scenario: "byo-client-secret-post",
        change: "the user pastes the Client ID without its secret, so the harness authenticates as a public client, which the server refuses",
        mutate: |s| s.client.client_secret = None,
    },
    Mutation {
        scenario: "callback-state-wrong",
        change: "the callback returns the state the client sent, so the code is redeemed and the client connects",
        mutate: |s| s.mocks.authorization_server.callback_state = CallbackState::Echo,
    },
    Mutation {
        scenario: "client-credentials-basic",
        change: "the client holds no secret, so the client credentials grant has no credential to authenticate with",
        mutate: |s| s.client.client_secret = None,
    },
    Mutation {
        scenario: "client-credentials-basic",
        change: "the authorization server does not serve the client credentials grant",
        mutate: |s| s.mocks.authorization_server.client_credentials = false,
    },
    Mutation {
        scenario: "client-credentials-private-key-jwt",
        change: "the public key the server holds is not the client's, so its assertions do not verify",
        mutate: |s| {
            s.mocks.authorization_server.client_assertion_key =
                mcp_oauth_mocks::config::ClientAssertionKey::Mismatched
        },
    },
    Mutation {
        scenario: "client-credentials-assertion-refused",
        change: "the server verifies with the key it handed out, so the assertion is accepted",
        mutate: |s| {
            s.mocks.authorization_server.client_assertion_key =
                mcp_oauth_mocks::config::ClientAssertionKey::HandedOut
        },
    },
    Mutation {
        scenario: "wif-jwt-bearer",
        change: "the workload token handed out is addressed to another server",
        mutate: |s| {
            s.mocks.authorization_server.workload_token =
                mcp_oauth_mocks::config::WorkloadToken::WrongAudience
        },
    },
    Mutation {
        scenario: "wif-assertion-expired",
        change: "the workload token handed out is still good",
        mutate: |s| {
            s.mocks.authorization_server.workload_token =
                mcp_oauth_mocks::config::WorkloadToken::Valid
        },
    },
    Mutation {
        scenario: "enterprise-managed-authorization",
        change: "the identity provider refuses the token exchange",
        mutate: |s| {
            s.mocks.authorization_server.token_exchange =
                mcp_oauth_mocks::config::TokenExchange::Refuse
        },
    },
    Mutation {
        scenario: "enterprise-token-exchange-refused",
        change: "the identity provider issues the ID-JAG",
        mutate: |s| {
            s.mocks.authorization_server.token_exchange =
                mcp_oauth_mocks::config::TokenExchange::Issue
        },
    },
    Mutation {
        scenario: "enterprise-stale-id-jag",
        change: "the identity provider issues a current ID-JAG",
        mutate: |s| {
            s.mocks.authorization_server.token_exchange =
                mcp_oauth_mocks::config::TokenExchange::Issue
        },
    },
    Mutation {
        scenario: "client-id-missing",
        change: "the authorization server offers dynamic registration, so no Client ID is needed",
        mutate: |s| s.mocks.authorization_server.dynamic_registration = true,
    },
    Mutation {
        scenario: "code-expiry",
        change: "codes live 120 s, so the code redeemed after 61 s is still good",
        mutate: |s| s.mocks.authorization_server.code_lifetime_secs = 120,
    },
    Mutation {
        scenario: "consent-denied",
        change: "the person approves the consent screen",
        mutate: |s| s.mocks.authorization_server.consent = Consent::Approve,
    },
    Mutation {
        scenario: "dcr-happy-path",
        change: "the authorization server offers no dynamic registration, and no Client ID is given",
        mutate: |s| s.mocks.authorization_server.dynamic_registration = false,
    },
    Mutation {
        scenario: "dcr-rejected",
        change: "registration accepts the client",
        mutate: |s| s.mocks.authorization_server.registration_error = None,
    },
    Mutation {
        scenario: "dcr-rejected-client-metadata",
        change: "registration accepts the client",
        mutate: |s| s.mocks.authorization_server.registration_error = None,
    },
    Mutation {
        scenario: "discovery-failed",
        change: "the MCP server serves its protected-resource metadata again",
        mutate: |s| s.mocks.resource_server.metadata_location = PrmLocation::PathInserted,
    },
    Mutation {
        scenario: "dpop-happy-path",
        change: "the client is told never to use DPoP, so the 2026-07-28 client's Bearer token is refused",
        mutate: |s| s.client.dpop = Some(DpopUse::Never),
    },
    Mutation {
        scenario: "dpop-happy-path",
        change: "the client is told to use DPoP whatever its profile, so Pipelines connects",
        mutate: |s| s.client.dpop = Some(DpopUse::Always),
    },
    Mutation {
        scenario: "dpop-nonce-authorization-server",
        change: "the token endpoint demands no nonce, so there is nothing to retry",
        mutate: |s| s.mocks.authorization_server.dpop_nonce = DpopNonce::None,
    },
    Mutation {
        scenario: "dpop-nonce-resource-server",
        change: "the MCP server demands no nonce, so there is nothing to retry",
        mutate: |s| s.mocks.resource_server.dpop_nonce = DpopNonce::None,
    },
    Mutation {
        scenario: "dpop-nonce-never-satisfied",
        change: "the token endpoint accepts the nonce it issued, so the retry succeeds",
        mutate: |s| s.mocks.authorization_server.dpop_nonce = DpopNonce::Required,
    },
    Mutation {
        scenario: "dpop-replayed-proof-accepted",
        change: "the MCP server records the proofs it accepted, so the replay is refused",
        mutate: |s| s.mocks.resource_server.accept_replayed_dpop_proofs = false,
    },
    Mutation {
        scenario: "dpop-resource-server-probes",
        change: "the MCP server accepts a bound token as a Bearer token, so that probe fails",
        mutate: |s| s.mocks.resource_server.accept_dpop_tokens_as_bearer = true,
    },
    Mutation {
        scenario: "dpop-scheme-refused",
        change: "the MCP server accepts only DPoP-bound tokens, so Bearer is refused and DPoP connects",
        mutate: |s| s.mocks.resource_server.require_dpop = true,
    },
    Mutation {
        scenario: "tool-argument-required",
        change: "the MCP server refuses every token, so the call never reaches the tool",
        mutate: |s| s.mocks.resource_server.refuse_all_tokens = true,
    },
    Mutation {
        scenario: "dpop-wrong-htu-accepted",
        change: "the MCP server compares htu again, so the proof for another URL is refused",
        mutate: |s| s.mocks.resource_server.skip_dpop_htu_check = false,
    },
    Mutation {
        scenario: "gallery-dcr-removed",
        change: "the authorization server offers registration again, so the entry connects",
        mutate: |s| s.mocks.authorization_server.dynamic_registration = true,
    },
    Mutation {
        scenario: "gallery-drift",
        change: "the authorization server serves no metadata, so the stale pin cannot be shown",
        mutate: |s| s.mocks.authorization_server.metadata = false,
    },
    Mutation {
        scenario: "gallery-pinned-endpoints",
        change: "the entry pins no token endpoint, so the broken discovery stops it",
        mutate: |s| {
            if let Some(entry) = &mut step(s, ActionKind::ConnectGallery).entry {
                entry.token_endpoint = None;
            }
        },
    },
    Mutation {
        scenario: "health-unknown-after-callback",
        change: "the person denies consent, so the connect fails and health is unhealthy, not unknown",
        mutate: |s| s.mocks.authorization_server.consent = Consent::Deny,
    },
    Mutation {
        scenario: "iss-advertised-missing",
        change: "the callback carries iss, so the 2026-07-28 client accepts it",
        mutate: |s| s.mocks.authorization_server.iss_parameter = IssParameter::Correct,
    },
    Mutation {
        scenario: "iss-advertised-present",
        change: "the callback leaves iss out although it is advertised, so the 2026-07-28 client refuses",
        mutate: |s| s.mocks.authorization_server.iss_parameter = IssParameter::Omit,
    },
    Mutation {
        scenario: "iss-normalized",
        change: "iss names the issuer exactly, without the trailing slash",
        mutate: |s| s.mocks.authorization_server.iss_parameter = IssParameter::Correct,
    },
    Mutation {
        scenario: "iss-not-advertised-absent",
        change: "the metadata advertises iss, so its absence is refused by the 2026-07-28 client",
        mutate: |s| s.mocks.authorization_server.advertise_iss_parameter = true,
    },
    Mutation {
        scenario: "iss-not-advertised-present",
        change: "the unadvertised iss names another issuer, which every client refuses",
        mutate: |s| s.mocks.authorization_server.iss_parameter = IssParameter::Wrong,
    },
    Mutation {
        scenario: "iss-wrong",
        change: "iss names the right issuer",
        mutate: |s| s.mocks.authorization_server.iss_parameter = IssParameter::Correct,
    },
    Mutation {
        scenario: "issuer-mismatch-refused",
        change: "the metadata gives the issuer exactly",
        mutate: |s| s.mocks.authorization_server.issuer_in_metadata = IssuerForm::Exact,
    },
    Mutation {
        scenario: "near-expiry-refresh",
        change: "access tokens live 7200 s, so after 3400 s the token is outside the refresh window and the call does not refresh",
        mutate: |s| s.mocks.authorization_server.access_token_lifetime_secs = 7200,
    },
    Mutation {
        scenario: "resource-exact-echo",
        change: "the metadata names the same path on another host, so the resource it names is not this server's and the client stops before authorization",
        mutate: |s| s.mocks.resource_server.resource_in_metadata = ResourceForm::OtherHost,
    },
    Mutation {
        scenario: "authorize-endpoint-with-query",
        change: "the endpoint's query names response_type, which every authorization request also sends: the server refuses the repeated parameter",
        mutate: |s| {
            s.mocks.authorization_server.authorization_endpoint_query =
                Some("response_type=code".to_owned())
        },
    },
    Mutation {
        scenario: "expired-token-tool-error-200",
        change: "the MCP server checks expiry itself and answers an expired token with 401, so the probe's expectation of a FAILURE is unmet",
        mutate: |s| s.mocks.resource_server.expired_token_tool_error = false,
    },
    Mutation {
        scenario: "refresh-grant-server-error",
        change: "the refresh grant works again, so the refreshes succeed and nothing is diagnosed",
        mutate: |s| s.mocks.authorization_server.refresh_grant_server_error = false,
    },
    Mutation {
        scenario: "refresh-concurrent-single-use",
        change: "access tokens live 7200 s, so 5 s before the hour the batch has no refresh to share and the counts are off",
        mutate: |s| s.mocks.authorization_server.access_token_lifetime_secs = 7200,
    },
    Mutation {
        scenario: "offline-access-listed",
        change: "the authorization server stops listing offline_access, so the 2026-07-28 client does not add it",
        mutate: |s| s.mocks.authorization_server.scopes_supported = vec!["mcp:tools".to_owned()],
    },
    Mutation {
        scenario: "offline-access-listed",
        change: "the authorization server issues no refresh tokens, so neither client gets the one it asked for",
        mutate: |s| s.mocks.authorization_server.issue_refresh_tokens = false,
    },
    Mutation {
        scenario: "offline-access-not-listed",
        change: "the authorization server lists offline_access, so every client may ask for it",
        mutate: |s| {
            s.mocks
                .authorization_server
                .scopes_supported
                .push("offline_access".to_owned())
        },
    },
    Mutation {
        scenario: "pkce-not-advertised",
        change: "the metadata advertises S256",
        mutate: |s| s.mocks.authorization_server.code_challenge_methods = vec!["S256".to_owned()],
    },
    Mutation {
        scenario: "pkce-without-s256",
        change: "the metadata advertises S256",
        mutate: |s| s.mocks.authorization_server.code_challenge_methods = vec!["S256".to_owned()],
    },
    Mutation {
        scenario: "prm-custom-location",
        change: "the challenge stops naming the metadata, which then sits where no client looks",
        mutate: |s| s.mocks.resource_server.resource_metadata_in_challenge = false,
    },
    Mutation {
        scenario: "prm-from-header",
        change: "the challenge stops naming the metadata, so the client finds it at a well-known URL instead",
        mutate: |s| s.mocks.resource_server.resource_metadata_in_challenge = false,
    },
    Mutation {
        scenario: "prm-no-challenge-header",
        change: "401 responses carry the Bearer challenge again, so the header check passes",
        mutate: |s| s.mocks.resource_server.www_authenticate = true,
    },
    Mutation {
        scenario: "prm-path-inserted",
        change: "the metadata moves to the origin's well-known URL",
        mutate: |s| s.mocks.resource_server.metadata_location = PrmLocation::Root,
    },
    Mutation {
        scenario: "prm-root-fallback",
        change: "the metadata moves to the path-inserted well-known URL, so no fallback is needed",
        mutate: |s| s.mocks.resource_server.metadata_location = PrmLocation::PathInserted,
    },
    Mutation {
        scenario: "reauthorization-retry-limit",
        change: "access tokens live an hour, so the MCP server accepts the first one",
        mutate: |s| s.mocks.authorization_server.access_token_lifetime_secs = 3600,
    },
    Mutation {
        scenario: "redirect-uri-mismatch",
        change: "the app's allowed redirect URIs include the harness's callback",
        mutate: |s| {
            for client in &mut s.mocks.authorization_server.clients {
                client.redirect_uris.push(DEFAULT_REDIRECT_URI.to_owned());
            }
        },
    },
    Mutation {
        scenario: "refresh-rotation",
        change: "the authorization server issues no refresh tokens, so the first call after expiry cannot refresh",
        mutate: |s| s.mocks.authorization_server.issue_refresh_tokens = false,
    },
    Mutation {
        scenario: "refresh-token-encrypted",
        change: "the store is saved again instead of tampered with, so the second load succeeds",
        mutate: |s| step(s, ActionKind::TamperTokenStore).action = ActionKind::SaveTokenStore,
    },
    Mutation {
        scenario: "registration-cimd",
        change: "the harness publishes no metadata document, so every client registers",
        mutate: |s| s.client.client_metadata_document = false,
    },
    Mutation {
        scenario: "registration-cimd",
        change: "the authorization server offers no dynamic registration, so the clients without a document have no way to a Client ID",
        mutate: |s| s.mocks.authorization_server.dynamic_registration = false,
    },
    Mutation {
        scenario: "registration-dcr-application-type",
        change: "the authorization server stops requiring application_type, so the 2025-11-25 client registers too",
        mutate: |s| s.mocks.authorization_server.require_application_type = false,
    },
    Mutation {
        scenario: "registration-dcr-application-type",
        change: "the authorization server offers no dynamic registration, so the 2026-07-28 client cannot register either",
        mutate: |s| s.mocks.authorization_server.dynamic_registration = false,
    },
    Mutation {
        scenario: "registration-priority-exhausted",
        change: "the authorization server offers dynamic registration, a way to a Client ID",
        mutate: |s| s.mocks.authorization_server.dynamic_registration = true,
    },
    Mutation {
        scenario: "registration-priority-preregistered",
        change: "the user brings no Client ID, so the client uses its document or registers",
        mutate: |s| s.client.client_id = None,
    },
    Mutation {
        scenario: "resource-indicator-canonical",
        change: "the MCP server moves to /mcp, where the pasted trailing slash names another resource than the server's",
        mutate: |s| s.mocks.resource_server.path = "/mcp".to_owned(),
    },
    Mutation {
        scenario: "resource-mismatch-refused",
        change: "the metadata names the MCP server exactly",
        mutate: |s| s.mocks.resource_server.resource_in_metadata = ResourceForm::Exact,
    },
    Mutation {
        scenario: "revoked-refresh",
        change: "access tokens live 7200 s, so the call after 3600 s needs no refresh and never meets the revoked refresh token",
        mutate: |s| s.mocks.authorization_server.access_token_lifetime_secs = 7200,
    },
    Mutation {
        scenario: "rs-alg-none-accepted",
        change: "the MCP server refuses alg: none, so the unsigned copy is refused",
        mutate: |s| s.mocks.resource_server.accept_alg_none = false,
    },
    Mutation {
        scenario: "rs-audience-unchecked",
        change: "the MCP server checks the audience, so the sibling resource's token is refused",
        mutate: |s| s.mocks.resource_server.skip_audience_check = false,
    },
    Mutation {
        scenario: "rs-expired-token-accepted",
        change: "the MCP server checks expiry, so the waited-out token is refused",
        mutate: |s| s.mocks.resource_server.accept_expired_tokens = false,
    },
    Mutation {
        scenario: "rs-forbidden-without-insufficient-scope",
        change: "the 403 names insufficient_scope and the scope, as the step-up contract asks",
        mutate: |s| s.mocks.resource_server.omit_insufficient_scope = false,
    },
    Mutation {
        scenario: "rs-lowercase-scheme-refused",
        change: "the MCP server compares the scheme case-insensitively, so bearer is accepted",
        mutate: |s| s.mocks.resource_server.refuse_lowercase_scheme = false,
    },
    Mutation {
        scenario: "rs-lenient-authorization",
        change: "the MCP server parses `Bearer` and exactly one token, so the malformed headers are refused",
        mutate: |s| s.mocks.resource_server.lenient_authorization = false,
    },
    Mutation {
        scenario: "rs-query-token-accepted",
        change: "the MCP server reads the header only, so the query-string token is refused",
        mutate: |s| s.mocks.resource_server.accept_query_tokens = false,
    },
    Mutation {
        scenario: "rs-revocation-introspected",
        change: "the MCP server trusts its JWTs until they expire, so the revoked token is still accepted (INFO)",
        mutate: |s| s.mocks.resource_server.introspect_tokens = false,
    },
    Mutation {
        scenario: "rs-signature-unchecked",
        change: "the MCP server verifies signatures, so the altered and re-signed tokens are refused",
        mutate: |s| s.mocks.resource_server.skip_signature_check = false,
    },
    Mutation {
        scenario: "scope-from-challenge",
        change: "the challenge names no scope, so the client asks for the metadata's mcp:tools and lacks mcp:read",
        mutate: |s| s.mocks.resource_server.challenge_scope = None,
    },
    Mutation {
        scenario: "scope-from-prm",
        change: "the metadata stops listing mcp:read, so the client does not ask for it",
        mutate: |s| s.mocks.authorization_server.scopes_supported = vec!["mcp:tools".to_owned()],
    },
    Mutation {
        scenario: "scope-omitted",
        change: "the user asks for a scope, which the authorization server refuses",
        mutate: |s| s.client.scope = Some("mcp:tools".to_owned()),
    },
    Mutation {
        scenario: "scope-step-up",
        change: "the MCP server requires no further scope, so nobody steps up",
        mutate: |s| {
            s.mocks.resource_server.required_scope = None;
            s.mocks.resource_server.scope_required_for.clear();
        },
    },
    Mutation {
        scenario: "scope-step-up-refused",
        change: "the authorization server grants any scope, so the step-up succeeds",
        mutate: |s| s.mocks.authorization_server.strict_scopes = false,
    },
    Mutation {
        scenario: "scope-step-up-retry-limit",
        change: "the 403 names every required scope at once, so the spec client asks for mcp:billing in its first step-up and, refused it again, stops at once without reaching the limit",
        mutate: |s| {
            s.mocks.resource_server.insufficient_scope_challenge =
                InsufficientScopeChallenge::Required
        },
    },
    Mutation {
        scenario: "scope-step-up-retry-limit",
        change: "the MCP server requires only mcp:tools, the scope its challenge names, so Pipelines' first token is enough",
        mutate: |s| s.mocks.resource_server.required_scope = Some("mcp:tools".to_owned()),
    },
    Mutation {
        scenario: "state-expiry",
        change: "the person finishes the consent screen within 30 s",
        mutate: |s| step(s, ActionKind::Connect).consent_delay_secs = 30,
    },
    Mutation {
        scenario: "token-audience-rejected",
        change: "the MCP server stops checking the token's audience, so Pipelines' token is accepted",
        mutate: |s| s.mocks.resource_server.require_audience = false,
    },
    Mutation {
        scenario: "token-audience-rejected",
        change: "the metadata names the MCP server on another host, so the resource the 2025-11-25 client sends is refused before consent",
        mutate: |s| s.mocks.resource_server.resource_in_metadata = ResourceForm::OtherHost,
    },
    Mutation {
        scenario: "token-auth-from-dcr-response",
        change: "registration hands out client_secret_basic instead, which the client then uses",
        mutate: |s| {
            s.mocks.authorization_server.registration_auth_method =
                Some(TokenEndpointAuthMethod::ClientSecretBasic)
        },
    },
    Mutation {
        scenario: "token-auth-from-dcr-response-basic",
        change: "registration hands out client_secret_post instead, which the client then uses",
        mutate: |s| {
            s.mocks.authorization_server.registration_auth_method =
                Some(TokenEndpointAuthMethod::ClientSecretPost)
        },
    },
    Mutation {
        scenario: "trailing-slash-issuer",
        change: "the metadata gives the issuer exactly",
        mutate: |s| s.mocks.authorization_server.issuer_in_metadata = IssuerForm::Exact,
    },
    Mutation {
        scenario: "trailing-slash-origin-only",
        change: "the MCP server moves to /mcp, where a pasted trailing slash is a different URL",
        mutate: |s| s.mocks.resource_server.path = "/mcp".to_owned(),
    },
    Mutation {
        scenario: "trailing-slash-pasted-url",
        change: "the user pastes the canonical URL, without the trailing slash",
        mutate: |s| s.client.pasted_url = PastedUrl::Exact,
    },
    Mutation {
        scenario: "trailing-slash-prm-resource",
        change: "the metadata names the endpoint URL exactly",
        mutate: |s| s.mocks.resource_server.resource_in_metadata = ResourceForm::Exact,
    },
    Mutation {
        scenario: "transient-refresh-failure",
        change: "the token endpoint answers every refresh",
        mutate: |s| s.mocks.authorization_server.refresh_unavailable_count = 0,
    },
    Mutation {
        scenario: "token-requires-resource",
        change: "the token endpoint no longer requires resource, so Pipelines connects",
        mutate: |s| s.mocks.authorization_server.token_without_resource_status = None,
    },
    Mutation {
        scenario: "token-unbound-without-resource",
        change: "the MCP server stops checking the token's audience, so Pipelines' token is accepted",
        mutate: |s| s.mocks.resource_server.require_audience = false,
    },
    Mutation {
        scenario: "resource-refused",
        change: "the token endpoint accepts resource, so the spec profile connects",
        mutate: |s| s.mocks.authorization_server.refuse_resource = false,
    },
    Mutation {
        scenario: "resource-refused",
        change: "the authorization server stops offering dynamic registration, so Pipelines has no Client ID",
        mutate: |s| s.mocks.authorization_server.dynamic_registration = false,
    },
    Mutation {
        scenario: "token-requires-resource",
        change: "the metadata names the MCP server on another host, so the resource the 2025-11-25 client sends is refused before consent",
        mutate: |s| s.mocks.resource_server.resource_in_metadata = ResourceForm::OtherHost,
    },
    Mutation {
        scenario: "token-unbound-without-resource",
        change: "the metadata names the MCP server on another host, so the resource the 2025-11-25 client sends is refused before consent",
        mutate: |s| s.mocks.resource_server.resource_in_metadata = ResourceForm::OtherHost,
    },
    // Real-world quirks: discovery, challenge and transport.
    Mutation {
        scenario: "quirk-metadata-root-only",
        change: "the metadata moves to the path-inserted well-known URL, so the root is not where it is found",
        mutate: |s| s.mocks.resource_server.metadata_location = PrmLocation::PathInserted,
    },
    Mutation {
        scenario: "quirk-prm-path-only",
        change: "the metadata moves to the root, so it is not found path-inserted",
        mutate: |s| s.mocks.resource_server.metadata_location = PrmLocation::Root,
    },
    Mutation {
        scenario: "quirk-no-prm-root-as-metadata",
        change: "the authorization server publishes no metadata, so the origin has none to fall back to",
        mutate: |s| s.mocks.authorization_server.metadata = false,
    },
    Mutation {
        scenario: "quirk-realm-challenge",
        change: "the challenge is the standard one, without an error code",
        mutate: standard_challenge,
    },
    Mutation {
        scenario: "credentials-foreign-issuer",
        change: "the new authorization server offers registration, so the client registers there",
        mutate: |s| s.mocks.authorization_server.dynamic_registration = true,
    },
    Mutation {
        scenario: "cimd-fetch-failure",
        change: "the authorization server reads documents of up to 64 KiB, so the harness's is used",
        mutate: |s| {
            s.mocks
                .authorization_server
                .client_metadata_document_max_bytes = 64 * 1024
        },
    },
    Mutation {
        scenario: "cimd-fetch-failure-moved",
        change: "the document is still at its URL, so the authorization server uses it",
        mutate: |s| s.client.client_metadata_document_moved = false,
    },
    Mutation {
        scenario: "cimd-fetch-failure-timeout",
        change: "the document's host answers within the authorization server's 5 s, so it is used",
        mutate: |s| s.client.client_metadata_document_delay_secs = Some(5),
    },
    Mutation {
        scenario: "prm-http-behind-tls-proxy",
        change: "the server honours the proxy's X-Forwarded-Proto, so it announces the https URL it is reached at",
        mutate: |s| {
            s.mocks.resource_server.tls_terminating_proxy = Some(TlsProxy::ForwardedProtoHonoured)
        },
    },
    Mutation {
        scenario: "stale-registration-port-changed",
        change: "the client starts again on the same callback port, so its registration holds",
        mutate: |s| step(s, ActionKind::RestartOnPort).port = Some(33418),
    },
    Mutation {
        scenario: "challenge-duplicate-parameters",
        change: "the challenge is the standard one: resource_metadata once, no error code",
        mutate: standard_challenge,
    },
    Mutation {
        scenario: "challenge-loose-quoting",
        change: "the challenge is written `name=\"value\"`",
        mutate: standard_challenge,
    },
    Mutation {
        scenario: "challenge-multiple-schemes",
        change: "the challenge is the Bearer one alone",
        mutate: standard_challenge,
    },
    Mutation {
        scenario: "quirk-issuer-drops-path",
        change: "the metadata gives the issuer exactly",
        mutate: |s| s.mocks.authorization_server.issuer_in_metadata = IssuerForm::Exact,
    },
    Mutation {
        scenario: "quirk-issuer-other-host",
        change: "the metadata gives the issuer exactly",
        mutate: |s| s.mocks.authorization_server.issuer_in_metadata = IssuerForm::Exact,
    },
    Mutation {
        scenario: "quirk-prm-authorization-server-trailing-slash",
        change: "the protected-resource metadata names the issuer exactly",
        mutate: |s| {
            s.mocks.resource_server.authorization_server_in_metadata =
                mcp_oauth_mocks::config::AuthorizationServerForm::Exact
        },
    },
    Mutation {
        scenario: "quirk-issuer-extra-path",
        change: "the metadata gives the issuer exactly",
        mutate: |s| s.mocks.authorization_server.issuer_in_metadata = IssuerForm::Exact,
    },
    Mutation {
        scenario: "quirk-as-metadata-root-for-path-issuer",
        change: "the metadata moves to the path-inserted RFC 8414 location",
        mutate: |s| s.mocks.authorization_server.metadata_location = AsMetadataLocation::Oauth,
    },
    Mutation {
        scenario: "quirk-prm-resource-origin-slash",
        change: "the metadata names the endpoint URL exactly",
        mutate: |s| s.mocks.resource_server.resource_in_metadata = ResourceForm::Exact,
    },
    Mutation {
        scenario: "quirk-well-known-html",
        change: "unknown paths answer an empty 404, so there is no page to warn about",
        mutate: |s| {
            s.mocks.resource_server.unknown_path_answer =
                mcp_oauth_mocks::config::UnknownPathAnswer::Empty404
        },
    },
    Mutation {
        scenario: "quirk-well-known-text-404",
        change: "unknown paths answer an empty 404",
        mutate: |s| {
            s.mocks.resource_server.unknown_path_answer =
                mcp_oauth_mocks::config::UnknownPathAnswer::Empty404
        },
    },
    Mutation {
        scenario: "quirk-keycloak-realm",
        change: "the metadata moves to the root, where no client looks for an issuer with a path",
        mutate: |s| s.mocks.authorization_server.metadata_location = AsMetadataLocation::Root,
    },
    Mutation {
        scenario: "quirk-keycloak-realm",
        change: "the metadata is RFC 8414's, where a 2025-06-18 client finds it",
        mutate: |s| s.mocks.authorization_server.metadata_location = AsMetadataLocation::Oauth,
    },
    Mutation {
        scenario: "quirk-openid-without-pkce-methods",
        change: "the metadata is RFC 8414's, where a 2025-06-18 client finds it",
        mutate: |s| s.mocks.authorization_server.metadata_location = AsMetadataLocation::Oauth,
    },
    Mutation {
        scenario: "quirk-openid-without-pkce-methods",
        change: "the metadata advertises S256",
        mutate: |s| s.mocks.authorization_server.code_challenge_methods = vec!["S256".to_owned()],
    },
    Mutation {
        scenario: "quirk-as-metadata-without-issuer",
        change: "the metadata gives the issuer exactly",
        mutate: |s| s.mocks.authorization_server.issuer_in_metadata = IssuerForm::Exact,
    },
    Mutation {
        scenario: "quirk-as-metadata-without-registration",
        change: "the authorization server offers dynamic registration",
        mutate: |s| s.mocks.authorization_server.dynamic_registration = true,
    },
    Mutation {
        scenario: "quirk-bare-401",
        change: "the 401 carries its challenge",
        mutate: |s| s.mocks.resource_server.www_authenticate = true,
    },
    Mutation {
        scenario: "quirk-mcp-redirect-trailing-slash",
        change: "the endpoint answers at the pasted path",
        mutate: |s| s.mocks.resource_server.redirect_to_trailing_slash = false,
    },
    Mutation {
        scenario: "quirk-cors-no-expose",
        change: "the 401 exposes WWW-Authenticate to browsers, so the browser probe's caveat no longer fires",
        mutate: |s| s.mocks.resource_server.cors_expose_www_authenticate = true,
    },
    Mutation {
        scenario: "quirk-token-no-cors",
        change: "the token endpoint answers the CORS preflight, so the browser probe's caveat no longer fires",
        mutate: |s| s.mocks.authorization_server.token_endpoint_cors = true,
    },
    Mutation {
        scenario: "quirk-open-initialize",
        change: "every method demands a token, so the tokenless probe is challenged and mcp-requires-auth is a SUCCESS",
        mutate: |s| s.mocks.resource_server.unauthenticated_methods = Vec::new(),
    },
    // Real-world quirks: registration, token responses, audience, refresh.
    Mutation {
        scenario: "token-type-lowercase",
        change: "the token response spells token_type Bearer, so there is nothing to warn about",
        mutate: |s| {
            s.mocks.authorization_server.token_type =
                mcp_oauth_mocks::config::TokenTypeSpelling::Canonical
        },
    },
    Mutation {
        scenario: "token-response-form-encoded",
        change: "the token endpoint answers JSON, so no form is read",
        mutate: |s| {
            s.mocks.authorization_server.token_response_format =
                mcp_oauth_mocks::config::TokenResponseFormat::Json
        },
    },
    Mutation {
        scenario: "token-error-status-200",
        change: "token errors are answered 400, so no error arrives with status 200",
        mutate: |s| s.mocks.authorization_server.token_error_status = None,
    },
    Mutation {
        scenario: "token-expires-in-string",
        change: "expires_in is a JSON number, so there is no string to warn about",
        mutate: |s| {
            s.mocks.authorization_server.expires_in = mcp_oauth_mocks::config::ExpiresInForm::Number
        },
    },
    Mutation {
        scenario: "token-expires-in-omitted",
        change: "expires_in is given, so the lifetime is known and the call 3400 s later refreshes first",
        mutate: |s| {
            s.mocks.authorization_server.expires_in = mcp_oauth_mocks::config::ExpiresInForm::Number
        },
    },
    Mutation {
        scenario: "token-expires-in-zero",
        change: "expires_in is the real hour, so no call refreshes",
        mutate: |s| {
            s.mocks.authorization_server.expires_in = mcp_oauth_mocks::config::ExpiresInForm::Number
        },
    },
    Mutation {
        scenario: "refresh-without-refresh-token",
        change: "refresh tokens rotate, so each refresh replaces the refresh token instead of keeping it",
        mutate: |s| s.mocks.authorization_server.rotate_refresh_tokens = true,
    },
    Mutation {
        scenario: "refresh-token-invalid-request",
        change: "a revoked refresh token is answered invalid_grant, so the diagnosis is refresh-revoked",
        mutate: |s| {
            s.mocks.authorization_server.invalid_refresh_token_error =
                mcp_oauth_mocks::config::DeadRefreshTokenError::InvalidGrant
        },
    },
    Mutation {
        scenario: "mcp-refuses-valid-token",
        change: "the MCP server accepts valid tokens, so every profile connects",
        mutate: |s| s.mocks.resource_server.refuse_all_tokens = false,
    },
    Mutation {
        scenario: "redirect-uri-localhost-only",
        change: "the authorization server accepts every loopback spelling, so the default callback registers",
        mutate: |s| {
            s.mocks.authorization_server.loopback_redirect_host =
                mcp_oauth_mocks::config::LoopbackRedirectHost::Any
        },
    },
    Mutation {
        scenario: "redirect-uri-localhost-chosen",
        change: "the authorization server accepts only 127.0.0.1, so the chosen localhost callback is refused",
        mutate: |s| {
            s.mocks.authorization_server.loopback_redirect_host =
                mcp_oauth_mocks::config::LoopbackRedirectHost::Ipv4
        },
    },
    Mutation {
        scenario: "dcr-response-nulls",
        change: "the registration response echoes the metadata, so there is nothing to warn about",
        mutate: |s| s.mocks.authorization_server.registration_response_nulls = false,
    },
    Mutation {
        scenario: "dcr-secret-without-expiry",
        change: "the secret comes with client_secret_expires_at, so there is nothing to warn about",
        mutate: |s| s.mocks.authorization_server.omit_client_secret_expires_at = false,
    },
    Mutation {
        scenario: "dcr-server-error",
        change: "registration works, so the client connects",
        mutate: |s| s.mocks.authorization_server.registration_failure_status = None,
    },
    Mutation {
        scenario: "dcr-requires-refresh-grant",
        change: "the server refuses the registration's metadata, as it refuses a client that leaves out refresh_token",
        mutate: |s| {
            s.mocks.authorization_server.registration_error =
                Some(mcp_oauth_mocks::config::RegistrationError::InvalidClientMetadata)
        },
    },
    Mutation {
        scenario: "quirk-token-basic-client-id-ignored",
        change: "the token endpoint reads the client ID from the Basic header, so nothing is retried or warned about",
        mutate: |s| {
            s.mocks.authorization_server.client_auth_reading =
                mcp_oauth_mocks::config::ClientAuthReading::Standard
        },
    },
    Mutation {
        scenario: "quirk-token-refuses-basic-and-body-client-id",
        change: "the token endpoint ignores the Basic header's client ID, so the exchange is refused once and retried with client_id in the body too",
        mutate: |s| {
            s.mocks.authorization_server.client_auth_reading =
                mcp_oauth_mocks::config::ClientAuthReading::BodyClientIdOnly
        },
    },
    Mutation {
        scenario: "quirk-unknown-client-invalid-grant",
        change: "the authorization server keeps its registrations, so the client registers and authorizes once",
        mutate: |s| {
            s.mocks.authorization_server.forget_registered_clients =
                mcp_oauth_mocks::config::ForgetRegisteredClients::Never
        },
    },
    Mutation {
        scenario: "quirk-unknown-client-invalid-grant",
        change: "the authorization server forgets every registration, so the one re-registration does not help and the connect fails",
        mutate: |s| {
            s.mocks.authorization_server.forget_registered_clients =
                mcp_oauth_mocks::config::ForgetRegisteredClients::AfterEveryAuthorization
        },
    },
    Mutation {
        scenario: "quirk-client-forgotten-422",
        change: "the authorization server keeps its registrations, so the client registers and authorizes once",
        mutate: |s| {
            s.mocks.authorization_server.forget_registered_clients =
                mcp_oauth_mocks::config::ForgetRegisteredClients::Never
        },
    },
    Mutation {
        scenario: "quirk-client-forgotten-422",
        change: "the unknown client is answered invalid_client, so there is no non-OAuth answer to warn about",
        mutate: |s| {
            s.mocks.authorization_server.unknown_client_answer =
                mcp_oauth_mocks::config::UnknownClientAnswer::InvalidClient
        },
    },
    Mutation {
        scenario: "quirk-client-forgotten-at-refresh",
        change: "the authorization server keeps its registrations, so the refresh works and no client registers again",
        mutate: |s| {
            s.mocks.authorization_server.forget_registered_clients =
                mcp_oauth_mocks::config::ForgetRegisteredClients::Never
        },
    },
    Mutation {
        scenario: "quirk-client-forgotten-at-refresh",
        change: "the client is forgotten before the code exchange, so it registers again at the token step and the refresh works",
        mutate: |s| {
            s.mocks.authorization_server.forget_registered_clients =
                mcp_oauth_mocks::config::ForgetRegisteredClients::AfterFirstAuthorization
        },
    },
    Mutation {
        scenario: "audience-origin-only",
        change: "the MCP server expects its own URL as aud, so the spec client's token is accepted",
        mutate: |s| {
            s.mocks.resource_server.audience_form = mcp_oauth_mocks::config::AudienceForm::Resource
        },
    },
    Mutation {
        scenario: "audience-origin-only",
        change: "the MCP server checks no audience, so every profile connects",
        mutate: |s| {
            s.mocks.resource_server.require_audience = false;
            s.mocks.resource_server.audience_form = mcp_oauth_mocks::config::AudienceForm::Resource;
        },
    },
    Mutation {
        scenario: "audience-opaque-token",
        change: "the authorization server issues a JWT without being sent audience, so every profile connects",
        mutate: |s| s.mocks.authorization_server.opaque_token_without_audience = false,
    },
    Mutation {
        scenario: "quirk-prm-same-resource-any-path",
        change: "the user pastes the endpoint's own path, which the metadata names, so every profile connects",
        mutate: |s| s.client.pasted_path = None,
    },
    Mutation {
        scenario: "quirk-prm-same-resource-any-path",
        change: "the metadata is served only for /mcp, so at /mcp/oauth none is found and discovery fails instead",
        mutate: |s| s.mocks.resource_server.metadata_for_every_path = false,
    },
    Mutation {
        scenario: "quirk-prm-challenge-points-at-mcp-metadata",
        change: "the user pastes /mcp, the endpoint the challenge's metadata names, so every profile connects",
        mutate: |s| s.client.pasted_path = None,
    },
    Mutation {
        scenario: "quirk-prm-challenge-points-at-mcp-metadata",
        change: "the challenge carries no resource_metadata, so the metadata is found by path insertion and the challenge is not what points elsewhere",
        mutate: |s| s.mocks.resource_server.resource_metadata_in_challenge = false,
    },
];

#[test]
fn every_catalog_scenario_has_a_mutation() {
    let catalog = load_catalog(&catalog_dir()).expect("the catalog loads");
    let in_catalog: BTreeSet<&str> = catalog.iter().map(|s| s.name.as_str()).collect();
    let in_table: BTreeSet<&str> = MUTATIONS.iter().map(|m| m.scenario).collect();
    let mut changes = BTreeSet::new();
    for m in MUTATIONS {
        assert!(
            changes.insert((m.scenario, m.change)),
            "{} lists the same mutation twice",
            m.scenario
        );
    }
    let missing: Vec<_> = in_catalog.difference(&in_table).collect();
    let stale: Vec<_> = in_table.difference(&in_catalog).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "scenarios without a mutation: {missing:?}; mutations for no scenario: {stale:?}"
    );
}

/// Runs the mutated scenario under each of its profiles; returns, per profile, the unmet
/// expectations (empty where the mutation left every expectation of that profile met).
async fn unmet_after(scenario: &Scenario, mutation: &Mutation) -> BTreeMap<String, Vec<String>> {
    let mut mutated = scenario.clone();
    (mutation.mutate)(&mut mutated);
    let mut unmet = BTreeMap::new();
    for name in &mutated.profiles {
        let profile = profile::by_name(name).expect("validated on load");
        let report = run_scenario(&mutated, profile)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", scenario.name));
        let failed = report
            .expectations
            .iter()
            .filter(|e| !e.met)
            .map(|e| format!("{} = {} (got {})", e.description, e.expected, e.actual))
            .collect();
        unmet.insert(name.clone(), failed);
    }
    unmet
}

/// The profiles of `scenario` under which none of `mutations` leaves an expectation unmet.
fn unbroken_profiles(
    scenario: &Scenario,
    results: &[BTreeMap<String, Vec<String>>],
) -> Vec<String> {
    scenario
        .profiles
        .iter()
        .filter(|profile| {
            results
                .iter()
                .all(|per_profile| per_profile.get(*profile).is_none_or(Vec::is_empty))
        })
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_profile_of_every_scenario_can_fail() {
    let catalog = load_catalog(&catalog_dir()).expect("the catalog loads");
    let mut holding = Vec::new();
    for scenario in &catalog {
        let mutations: Vec<&Mutation> = MUTATIONS
            .iter()
            .filter(|m| m.scenario == scenario.name)
            .collect();
        if mutations.is_empty() {
            continue; // reported by every_catalog_scenario_has_a_mutation
        }
        let mut results = Vec::new();
        for mutation in &mutations {
            results.push(unmet_after(scenario, mutation).await);
        }
        let unbroken = unbroken_profiles(scenario, &results);
        if !unbroken.is_empty() {
            let changes: Vec<&str> = mutations.iter().map(|m| m.change).collect();
            holding.push(format!(
                "{} under {} (mutations: {})",
                scenario.name,
                unbroken.join(", "),
                changes.join("; ")
            ));
        }
    }
    assert!(
        holding.is_empty(),
        "these scenarios still meet every expectation of these profiles after each of their mutations, so those expectations cannot fail:\n{}",
        holding.join("\n")
    );
}

/// The rule itself must be able to fail: a profile that no mutation breaks is reported even
/// when another profile of the same scenario is broken.
#[test]
fn a_profile_left_unbroken_is_reported_even_when_another_profile_breaks() {
    let scenario = mcp_oauth_harness::scenario::parse(
        "name = \"x\"\ndescription = \"d\"\nprofiles = [\"pipelines\", \"mcp-2025-11-25\"]\n[[steps]]\naction = \"connect\"\n",
    )
    .expect("the sample parses");
    let one_mutation = BTreeMap::from([
        (
            "pipelines".to_owned(),
            vec!["health = healthy (got unhealthy)".to_owned()],
        ),
        ("mcp-2025-11-25".to_owned(), Vec::new()),
    ]);
    assert_eq!(
        unbroken_profiles(&scenario, std::slice::from_ref(&one_mutation)),
        ["mcp-2025-11-25"]
    );
    let another = BTreeMap::from([
        ("pipelines".to_owned(), Vec::new()),
        ("mcp-2025-11-25".to_owned(), vec!["x".to_owned()]),
    ]);
    assert!(unbroken_profiles(&scenario, &[one_mutation, another]).is_empty());
}

/// The CORS quirks' mutations turn their knob off: what they must break is the browser
/// probe's caveat itself, under every profile, and nothing else (non-browser clients never
/// depended on the knob).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cors_mutations_break_the_browser_caveat_itself() {
    let catalog = load_catalog(&catalog_dir()).expect("the catalog loads");
    for (name, check) in [
        ("quirk-cors-no-expose", "cors-exposes-www-authenticate"),
        ("quirk-token-no-cors", "cors-token-preflight"),
    ] {
        let scenario = catalog
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("{name} is in the catalog"));
        let mutation = MUTATIONS
            .iter()
            .find(|m| m.scenario == name)
            .expect("a mutation");
        for (profile, unmet) in unmet_after(scenario, mutation).await {
            assert!(!unmet.is_empty(), "{name} under {profile}: nothing unmet");
            assert!(
                unmet.iter().all(|e| e.contains(check)),
                "{name} under {profile}: unmet for another reason than {check}: {unmet:?}"
            );
        }
    }
}
