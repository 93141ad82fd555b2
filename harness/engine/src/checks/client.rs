//! The client judge's checks (`serve`, `test-client`): what someone else's client did, read
//! from the mocks' request log. Remedies speak to the client's developer.

use super::CheckDef;
use crate::spec;

checks! {
    CLIENT;
    CLIENT_PKCE_CHALLENGE {
        id: "client-pkce-challenge", step: "client-authorization",
        name: "Client sends a PKCE challenge",
        description: "Every authorization request carries a code_challenge.",
        spec: [RFC7636_4_3, MCP_AUTHORIZATION],
        remedy: "Generate a fresh code_verifier per authorization request and send its code_challenge (RFC 7636).",
    }
    CLIENT_PKCE_S256 {
        id: "client-pkce-s256", step: "client-authorization",
        name: "Client uses PKCE S256",
        description: "Every authorization request sets code_challenge_method=S256.",
        spec: [RFC7636_4_3, MCP_AUTHORIZATION],
        remedy: "Send code_challenge_method=S256 with a BASE64URL(SHA-256(code_verifier)) challenge; never plain.",
    }
    CLIENT_PKCE_VERIFIER {
        id: "client-pkce-verifier", step: "client-token",
        name: "Client's code_verifier matches",
        description: "Each code exchange sends the code_verifier whose S256 hash is the challenge of the authorization request that got the code.",
        spec: [RFC7636_4_6, MCP_AUTHORIZATION],
        remedy: "Keep the code_verifier of each authorization request and send exactly it with that request's code.",
    }
    CLIENT_STATE_ROUND_TRIP {
        id: "client-state-round-trip", step: "client-authorization",
        name: "Client sends a fresh state and checks it",
        description: "Every authorization request carries a state value, different for each request, and no code is redeemed from a callback whose state is not the one sent.",
        spec: [RFC6749_10_12, RFC9700_4_1],
        remedy: "Send an unguessable state with each authorization request, a new one each time, and compare it on the callback: refuse a callback whose state is not the one sent, without redeeming its code.",
    }
    CLIENT_REDIRECT_URI_CONSISTENT {
        id: "client-redirect-uri-consistent", step: "client-token",
        name: "Client repeats its redirect_uri",
        description: "Each code exchange sends the redirect_uri of the authorization request that got the code, character for character.",
        spec: [RFC6749_4_1_3, RFC6749_3_1_2],
        remedy: "Send the same redirect_uri string in the token request as in the authorization request.",
    }
    CLIENT_REDIRECT_URI_SAFE {
        id: "client-redirect-uri-safe", step: "client-authorization",
        name: "Client's redirect_uri is loopback or https",
        description: "Every redirect_uri the client sends is an http URL on a loopback host or an https URL.",
        spec: [RFC8252_7_3, MCP_AUTHORIZATION],
        remedy: "Use an https redirect URI, or http on 127.0.0.1 / [::1] / localhost for a native client.",
    }
    CLIENT_RESOURCE_INDICATOR {
        id: "client-resource-indicator", step: "client-token",
        name: "Client sends the resource indicator",
        description: "Authorization, token and refresh requests carry the same RFC 8707 resource: the MCP server's canonical URI.",
        spec: [RFC8707_2, MCP_AUTHORIZATION],
        remedy: "Send resource=<the resource of the protected-resource metadata> on the authorization, token and refresh requests, the same value on each.",
    }
    CLIENT_SCOPE_STEP_UP {
        id: "client-scope-step-up", step: "client-authorization",
        name: "Client steps up on insufficient_scope",
        description: "After a 403 insufficient_scope naming a scope, the client authorizes again asking for that scope (2025-11-25), together with the scope it asked for before (2026-07-28, SEP-2350). Both revisions say SHOULD, so a missing step-up is a WARNING.",
        spec: [RFC6750_3_1, MCP_AUTHORIZATION, MCP_2026_07_28_AUTHORIZATION],
        remedy: "On a 403 with WWW-Authenticate: Bearer error=\"insufficient_scope\", scope=\"...\", send the user through authorization again asking for the challenged scope (from 2026-07-28: with the scopes asked for before), then retry the refused request once.",
    }
    CLIENT_SCOPE_SELECTION {
        id: "client-scope-selection", step: "client-authorization",
        name: "Client picks the scope the spec says",
        description: "The first authorization request asks for the challenge's scope, else the metadata's scopes_supported, else no scope.",
        spec: [RFC6750_3, RFC9728_3, MCP_AUTHORIZATION],
        remedy: "Request the scope of the 401 challenge; without one, the protected-resource metadata's scopes_supported; without those, omit scope.",
    }
    CLIENT_TOKEN_AUTH_METHOD {
        id: "client-token-auth-method", step: "client-token",
        name: "Client authenticates as registered",
        description: "Token requests authenticate with the token_endpoint_auth_method the client is registered with.",
        spec: [RFC6749_2_3, RFC7591_2],
        remedy: "Authenticate at the token endpoint with the method the registration response (or the app's registration) gives: none, client_secret_post or client_secret_basic.",
    }
    CLIENT_REFRESH_SINGLE_FLIGHT {
        id: "client-refresh-single-flight", step: "client-token",
        name: "Client refreshes once per rotated token",
        description: "A refresh token the server rotated away (a refresh answered with a new one) is not sent again, in a later refresh or one racing the first: concurrent requests share one refresh.",
        spec: [RFC6749_6, RFC9700_4_14_2, OAUTH21_4_3_1],
        remedy: "Refresh once for all requests waiting on a token (single flight: the first caller refreshes, the others await its result), store the new refresh token before releasing them, and never send a rotated-away refresh token again; a server with reuse detection revokes the whole grant when it sees one.",
    }
    CLIENT_BEARER_HEADER {
        id: "client-bearer-header", step: "client-mcp",
        name: "Client sends Authorization: Bearer",
        description: "Once it has an access token, every request to the MCP endpoint carries it as Authorization: Bearer (the first request of a new sign-in after the server refused the token may carry none).",
        spec: [RFC6750_2_1, MCP_AUTHORIZATION],
        remedy: "Send `Authorization: Bearer <access token>` on every MCP request, including the SSE stream and session deletion.",
    }
    CLIENT_TOKEN_NOT_IN_QUERY {
        id: "client-token-not-in-query", step: "client-mcp",
        name: "No token in the query string",
        description: "No request to the MCP server carries an access token in its URL.",
        spec: [RFC6750_2_3, MCP_AUTHORIZATION],
        remedy: "Never put the access token in the URL (access_token=...); send it in the Authorization header only.",
    }
    CLIENT_DCR_REDIRECT_URIS {
        id: "client-dcr-redirect-uris", step: "client-registration",
        name: "Registration lists the redirect URIs",
        description: "The dynamic registration request lists redirect_uris, including every redirect_uri the client then uses.",
        spec: [RFC7591_2, MCP_AUTHORIZATION],
        remedy: "Register every redirect URI the client will send, in redirect_uris of the registration request.",
    }
    CLIENT_DCR_GRANT_TYPES {
        id: "client-dcr-grant-types", step: "client-registration",
        name: "Registration asks for the refresh grant",
        description: "The dynamic registration request lists grant_types with authorization_code and refresh_token.",
        spec: [RFC7591_2, MCP_2026_07_28_AUTHORIZATION],
        remedy: "Send \"grant_types\": [\"authorization_code\", \"refresh_token\"] in the registration request.",
    }
    CLIENT_DCR_APPLICATION_TYPE {
        id: "client-dcr-application-type", step: "client-registration",
        name: "Registration states the application type",
        description: "The dynamic registration request sets application_type: native for loopback redirect URIs, web otherwise.",
        spec: [MCP_2026_07_28_AUTHORIZATION, RFC7591_2],
        remedy: "Send \"application_type\": \"native\" (loopback or custom-scheme redirect URIs) or \"web\" in the registration request.",
    }
    CLIENT_DCR_AUTH_METHOD {
        id: "client-dcr-auth-method", step: "client-registration",
        name: "Registration states the auth method",
        description: "The dynamic registration request names its token_endpoint_auth_method.",
        spec: [RFC7591_2],
        remedy: "Send \"token_endpoint_auth_method\": \"none\" for a public client (RFC 7591 otherwise defaults to client_secret_basic).",
    }
    CLIENT_ISS_REFUSED {
        id: "client-iss-refused", step: "client-scenario",
        name: "Client refuses a bad iss",
        description: "After an authorization response whose iss is wrong (or missing where required), the client does not redeem the code.",
        spec: [RFC9207_2, MCP_2026_07_28_AUTHORIZATION],
        remedy: "Compare the callback's iss with the issuer the request went to, as a simple string, and drop the code when they differ (RFC 9207).",
    }
    CLIENT_METADATA_MISMATCH_REFUSED {
        id: "client-metadata-mismatch-refused", step: "client-scenario",
        name: "Client refuses mismatched metadata",
        description: "A protected-resource metadata resource, or an authorization-server issuer, that does not match exactly stops the client before authorization.",
        spec: [RFC9728_3_3, RFC8414_3_3],
        remedy: "Compare the metadata's resource with the MCP URL and the issuer with the one it was fetched for, exactly, and stop on a mismatch.",
    }
    CLIENT_REFRESH_BEFORE_EXPIRY {
        id: "client-refresh-before-expiry", step: "client-scenario",
        name: "Client refreshes before expiry",
        description: "The client refreshes its access token before it expires instead of presenting an expired one.",
        spec: [RFC6749_6, OAUTH21_7_5],
        remedy: "Track expires_in and refresh shortly before the access token expires, before the next request.",
    }
    CLIENT_NO_REFRESH_AFTER_INVALID_GRANT {
        id: "client-no-refresh-after-invalid-grant", step: "client-scenario",
        name: "Client drops a refused refresh token",
        description: "A refresh token answered with invalid_grant is not sent again.",
        spec: [RFC6749_5_2, RFC6749_6],
        remedy: "On invalid_grant, discard the refresh token and re-run authorization (or report the auth error); never retry it.",
    }
    CLIENT_REAUTHORIZATION_BOUNDED {
        id: "client-reauthorization-bounded", step: "client-scenario",
        name: "Client's re-authorization is bounded",
        description: "Refused tokens (401, 403) send the client back to authorization a bounded number of times, not in an endless loop.",
        spec: [RFC6750_3_1, MCP_AUTHORIZATION],
        remedy: "Limit re-authorization and step-up attempts per request (a few at most) and surface the error after that.",
    }
    CLIENT_REREGISTERS_AFTER_AS_CHANGE {
        id: "client-reregisters-after-as-change", step: "client-scenario",
        name: "Client registers at a new authorization server",
        description: "When the MCP server names another authorization server, the client registers there instead of reusing the Client ID of the old one.",
        spec: [RFC7591_3, MCP_2026_07_28_AUTHORIZATION],
        remedy: "Key registered clients by issuer; discover again on a 401 and register at an authorization server you hold no client for.",
    }
    CLIENT_SCENARIO_OUTCOME {
        id: "client-scenario-outcome", step: "client-scenario",
        name: "Client gets as far as a conformant one",
        description: "The client reached the outcome a conformant client reaches on this scenario.",
        spec: [MCP_AUTHORIZATION],
        remedy: "See the scenario's description and the failed checks above for what a conformant client does here.",
    }
    CLIENT_SCENARIO_PROFILE {
        id: "client-scenario-profile", step: "client-scenario",
        name: "Scenario written for this profile",
        description: "Recorded (INFO) only when the scenario does not list the profile the client is judged under: its outcome and severities are then that profile's, applied to a story written for others.",
        spec: [MCP_AUTHORIZATION],
        remedy: "Judge the client under one of the scenario's own profiles (--profile), or read its verdict as indicative.",
    }
    // `test-client`: the client under test as a process.
    CLIENT_PROCESS_FINISHED {
        id: "client-process-finished", step: "client-process",
        name: "Client process finishes in time",
        description: "The client command exited before the scenario's --timeout.",
        spec: [MCP_AUTHORIZATION],
        remedy: "Make the client exit once its work is done or has failed (a success or an error exit code), instead of waiting or retrying without end.",
    }
}

/// The questions a scenario's `[conformant-client]` section may ask about a client (`questions
/// = [...]`), each answered by the client judge from what the mocks served.
pub const SCENARIO_QUESTIONS: &[&CheckDef] = &[
    &CLIENT_ISS_REFUSED,
    &CLIENT_METADATA_MISMATCH_REFUSED,
    &CLIENT_REFRESH_BEFORE_EXPIRY,
    &CLIENT_NO_REFRESH_AFTER_INVALID_GRANT,
    &CLIENT_REAUTHORIZATION_BOUNDED,
    &CLIENT_REREGISTERS_AFTER_AS_CHANGE,
];
