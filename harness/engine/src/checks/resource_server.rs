//! The resource-server probes' checks (`check`, after consent): does the MCP server refuse the
//! tokens it must refuse? Each is reported with step `resource-server`.

use super::CheckDef;
use crate::spec;

checks! {
    RESOURCE_SERVER;
    BEARER_WITHOUT_TOKEN_REFUSED {
        id: "bearer-without-token-refused", step: "resource-server",
        name: "Bearer without a token is refused",
        description: "A request whose Authorization header is `Bearer` with no token is answered 401 (or 400 invalid_request).",
        spec: [RFC6750_2_1, RFC6750_3_1, MCP_AUTHORIZATION],
        remedy: "Treat an Authorization header without exactly one token after `Bearer` as no credentials: answer 401 with a WWW-Authenticate: Bearer challenge.",
    }
    BEARER_TWO_TOKENS_REFUSED {
        id: "bearer-two-tokens-refused", step: "resource-server",
        name: "Bearer with two tokens is refused",
        description: "A request whose Authorization header carries two tokens after `Bearer` (the real one first) is answered 401 (or 400 invalid_request).",
        spec: [RFC6750_2_1, RFC6750_3_1, MCP_AUTHORIZATION],
        remedy: "Parse the Authorization header as `Bearer` followed by exactly one token (RFC 6750 §2.1); refuse anything else with 401 rather than picking one of the tokens.",
    }
    OTHER_SCHEME_REFUSED {
        id: "other-scheme-refused", step: "resource-server",
        name: "Another scheme is refused",
        description: "The real access token sent under another authentication scheme (`Token ...`) is answered 401 (or 400 invalid_request).",
        spec: [RFC6750_2_1, RFC9110_11_1, MCP_AUTHORIZATION],
        remedy: "Accept access tokens only under the Bearer scheme: check the scheme name before reading the token.",
    }
    BEARER_SCHEME_CASE_INSENSITIVE {
        id: "bearer-scheme-case-insensitive", step: "resource-server",
        name: "Lower-case bearer is accepted",
        description: "The real access token under the scheme spelt `bearer` is accepted, since authentication schemes are case-insensitive.",
        spec: [RFC9110_11_1, RFC6750_2_1],
        remedy: "Compare the scheme case-insensitively (RFC 9110 §11.1): clients that copy the token response's token_type (often \"bearer\") into the header send lower case, as LiteLLM's MCP bridge (BerriAI/litellm#34743) and agent-swarm (desplega-ai/agent-swarm#368) did.",
    }
    ALTERED_TOKEN_REFUSED {
        id: "altered-token-refused", step: "resource-server",
        name: "Altered token is refused",
        description: "The real access token with its signature (or, when opaque, its last characters) altered is answered 401 with error=\"invalid_token\".",
        spec: [RFC6750_3_1, MCP_AUTHORIZATION],
        remedy: "Verify every access token's signature against the authorization server's keys (or look opaque tokens up exactly) and answer a mismatch with 401 error=\"invalid_token\".",
    }
    UNSIGNED_JWT_REFUSED {
        id: "unsigned-jwt-refused", step: "resource-server",
        name: "Unsigned JWT is refused",
        description: "A copy of the real JWT access token with `alg: none` and no signature is answered 401.",
        spec: [RFC8725_3_1, RFC9068_4, RFC6750_3_1],
        remedy: "Accept only the signing algorithms the authorization server uses (its JWKS / metadata), never the token's own `alg: none`: pin the algorithm list in the JWT library.",
    }
    FOREIGN_SIGNED_JWT_REFUSED {
        id: "foreign-signed-jwt-refused", step: "resource-server",
        name: "JWT signed by an unknown key is refused",
        description: "A copy of the real JWT access token re-signed with a key the server never saw (same claims, same kid) is answered 401.",
        spec: [RFC7519_7_2, RFC9068_4, RFC6750_3_1],
        remedy: "Verify JWT signatures with the authorization server's published keys only (jwks_uri); a token whose signature does not verify is invalid whatever its claims say.",
    }
    SIBLING_AUDIENCE_REFUSED {
        id: "sibling-audience-refused", step: "resource-server",
        name: "Token for another resource is refused",
        description: "An access token the same authorization server issued for a sibling resource (RFC 8707 resource set to another URL) is answered 401.",
        spec: [RFC8707_2, RFC9068_4, MCP_AUTHORIZATION],
        remedy: "Check that each access token's audience (aud, or the introspected resource) is this MCP server; refuse tokens issued for other resources with 401 error=\"invalid_token\" (token audience binding).",
    }
    QUERY_TOKEN_REFUSED {
        id: "query-token-refused", step: "resource-server",
        name: "Token in the query string is refused",
        description: "The real access token in `?access_token=` with no Authorization header is answered 401.",
        spec: [OAUTH21_5_2, MCP_AUTHORIZATION],
        remedy: "Read access tokens from the Authorization header only: OAuth 2.1 and the MCP authorization spec forbid tokens in the query string, where logs and referrers leak them.",
    }
    EXPIRED_TOKEN_REFUSED {
        id: "expired-token-refused", step: "resource-server",
        name: "Expired token is refused",
        description: "The real access token, presented after its expires_in has passed, is answered 401.",
        spec: [RFC6750_3_1, RFC9068_4, MCP_AUTHORIZATION],
        remedy: "Check the access token's expiry (exp, or introspection's active) on every request and answer an expired token with 401 error=\"invalid_token\".",
    }
    REVOKED_TOKEN_REFUSED {
        id: "revoked-token-refused", step: "resource-server",
        name: "Revoked token is refused",
        description: "An access token revoked at the RFC 7009 revocation endpoint is answered 401 afterwards.",
        spec: [RFC7009_2_1, RFC7009_2],
        remedy: "To make revocation take at once, introspect access tokens (RFC 7662) or keep their lifetime short; self-contained JWTs stay valid until they expire.",
    }
    INSUFFICIENT_SCOPE_CHALLENGED {
        id: "insufficient-scope-challenged", step: "resource-server",
        name: "Too narrow a token gets the step-up challenge",
        description: "A valid token with fewer scopes than a request needs is answered 403 with error=\"insufficient_scope\" and the scope needed.",
        spec: [RFC6750_3_1, MCP_AUTHORIZATION],
        remedy: "Answer a valid token that lacks a needed scope with 403 and WWW-Authenticate: Bearer error=\"insufficient_scope\", scope=\"<the scopes needed>\", so clients can step up (MCP 2025-11-25).",
    }
    PROBE_SIDE_EFFECTS {
        id: "probe-side-effects", step: "resource-server",
        name: "What the probes changed",
        description: "What the resource-server probes did that changes state at the authorization server (refresh requests that rotate or spend the refresh token, a revoked access token), recorded so that no later answer they explain is blamed on the server.",
        spec: [OAUTH21_4_3_1, RFC7009_2_1],
        remedy: "Nothing to fix: the harness records its own actions.",
    }
}
