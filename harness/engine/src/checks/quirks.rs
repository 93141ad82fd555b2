//! The checks of real-world quirks a server shows and a robust client steps over: web pages
//! and plain-text bodies at well-known URLs, challenges clients read differently, a redirected
//! MCP endpoint, CORS for browser clients, token and registration answers in unusual forms.
//! Recorded only when met (docs/ARCHITECTURE.md), so a conformant server's report has none.

use super::CheckDef;
use crate::spec;

checks! {
    QUIRKS;
    WWW_AUTHENTICATE_WELL_FORMED {
        id: "www-authenticate-well-formed", step: "probe",
        name: "Every client reads the challenge alike",
        description: "The 401's WWW-Authenticate names each parameter once per challenge, writes `name=\"value\"` without whitespace around `=`, lists the Bearer challenge first and names resource_metadata in every Bearer and DPoP challenge.",
        spec: [RFC9110_11_2, RFC9110_11_6_1, RFC9728_5_1],
        remedy: "Write one Bearer challenge, first in the header, with each parameter once as `name=\"value\"`, and resource_metadata in every Bearer and DPoP challenge; a layer that adds its own resource_metadata must replace the one already there (sentry-mcp#939).",
    }
    WELL_KNOWN_NO_HTML {
        id: "well-known-no-html", step: "discovery",
        name: "Well-known URLs do not answer with a web page",
        description: "No well-known metadata URL the client tried answered 200 with a body that is not JSON (an HTML page from a web app's catch-all route).",
        spec: [RFC9728_3, RFC8414_3, MCP_AUTHORIZATION],
        remedy: "Answer /.well-known/ paths that hold no document with 404, not the web app's HTML page (an SPA catch-all route): clients that parse every 200 as JSON stop at the first such answer instead of trying the next location (outline#11572, rust-sdk#544).",
    }
    WELL_KNOWN_404_BODY {
        id: "well-known-404-body", step: "discovery",
        name: "Well-known 404s have an empty or JSON body",
        description: "Well-known metadata URLs without a document answer 404 with an empty or JSON body.",
        spec: [RFC9728_3, RFC8414_3, MCP_AUTHORIZATION],
        remedy: "Nothing is wrong by the spec; but clients that parse every error body as JSON crash on a plain-text 404 (datagouv-mcp#26): an empty or JSON body avoids it.",
    }
    MCP_ENDPOINT_NOT_REDIRECTED {
        id: "mcp-endpoint-not-redirected", step: "probe",
        name: "The MCP endpoint answers where it was pasted",
        description: "The pasted MCP URL answers the request itself rather than redirecting to another URL.",
        spec: [RFC9110_15_4_8, MCP_AUTHORIZATION],
        remedy: "Paste the URL the redirect names (the canonical MCP endpoint); clients do not follow a redirect of a POST with a token, and the resource the token is for would differ.",
    }
    CHALLENGE_NO_ERROR_WITHOUT_TOKEN {
        id: "challenge-no-error-without-token", step: "probe",
        name: "A tokenless request gets a challenge without an error",
        description: "The 401 to a request that carried no token has a Bearer challenge without an error code.",
        spec: [RFC6750_3_1, MCP_AUTHORIZATION],
        remedy: "Leave `error` out of the challenge to a request without credentials (RFC 6750 §3.1 says SHOULD NOT), and send resource_metadata instead: clients that read error=\"invalid_token\" as a rejected token try to refresh one they never had.",
    }
    CORS_EXPOSES_WWW_AUTHENTICATE {
        id: "cors-exposes-www-authenticate", step: "probe",
        name: "Browser clients can read the challenge",
        description: "A 401 to a request with an Origin carries Access-Control-Allow-Origin and exposes WWW-Authenticate (Access-Control-Expose-Headers).",
        spec: [FETCH_CORS, RFC9728_5_1],
        remedy: "Answer requests that carry Origin with Access-Control-Allow-Origin and `Access-Control-Expose-Headers: WWW-Authenticate, Mcp-Session-Id`: without it, browser-based clients cannot read the challenge and never find the metadata (twenty#19836). Non-browser clients are unaffected.",
    }
    CORS_TOKEN_PREFLIGHT {
        id: "cors-token-preflight", step: "token",
        name: "Browser clients can reach the token endpoint",
        description: "A CORS preflight (OPTIONS) at the token endpoint is answered 2xx with Access-Control-Allow-Origin and POST allowed.",
        spec: [FETCH_CORS, RFC8414_3],
        remedy: "Answer OPTIONS at the token endpoint with Access-Control-Allow-Origin, Access-Control-Allow-Methods: POST and the request headers allowed: without it, browser-based clients cannot redeem the code (sentry-mcp#999). Non-browser clients are unaffected.",
    }
    TOKEN_RESPONSE_JSON {
        id: "token-response-json", step: "token",
        name: "Token response is JSON",
        description: "The token endpoint answers application/json, as RFC 6749 §5.1 requires, to a request that accepts it.",
        spec: [RFC6749_5_1],
        remedy: "Answer token requests with application/json (GitHub's form-encoded default breaks clients that parse JSON; python-sdk#1523).",
    }
    TOKEN_ERROR_STATUS {
        id: "token-error-status", step: "token",
        name: "Token errors have an error status",
        description: "A token endpoint error is answered with status 400 (or 401 for client authentication), not 200.",
        spec: [RFC6749_5_2],
        remedy: "Answer token-endpoint errors with 400 (401 for invalid_client): clients that trust status 200 read the error as a token response (GitHub; python-sdk#1523).",
    }
    TOKEN_TYPE_CANONICAL {
        id: "token-type-canonical", step: "token",
        name: "token_type is spelt Bearer",
        description: "The token response's token_type is `Bearer`, as RFC 6750 §6.1.1 registers it.",
        spec: [RFC6749_5_1, RFC6750_3],
        remedy: "Send token_type \"Bearer\": clients that copy token_type into the Authorization header send `bearer`, which MCP servers comparing the scheme exactly refuse (Linear; coder#23516).",
    }
    TOKEN_EXPIRES_IN_NUMBER {
        id: "token-expires-in-number", step: "token",
        name: "expires_in is a number",
        description: "The token response's expires_in, when present, is a JSON number of seconds.",
        spec: [RFC6749_5_1],
        remedy: "Send expires_in as a JSON number: clients that validate the token response's types strictly (the MCP TypeScript SDK; typescript-sdk#1111) refuse a string.",
    }
    TOKEN_EXPIRY_KNOWN {
        id: "token-expiry-known", step: "token",
        name: "Token lifetime is given",
        description: "The token response gives the access token's lifetime as a positive expires_in.",
        spec: [RFC6749_5_1],
        remedy: "Send expires_in with the access token's real lifetime: without it clients learn of expiry only when a call is refused, and 0 makes them refresh before every call.",
    }
    DCR_RESPONSE_FIELDS {
        id: "dcr-response-fields", step: "registration",
        name: "Registration response fields are well formed",
        description: "The registration response gives grant_types, response_types and redirect_uris as arrays and names the token_endpoint_auth_method, as RFC 7591 §3.2.1 echoes them.",
        spec: [RFC7591_3],
        remedy: "Echo the registered metadata in the registration response, or leave a field out; null arrays and an empty token_endpoint_auth_method break clients that validate the response (mcp-auth-proxy#173).",
    }
    DCR_SECRET_EXPIRY {
        id: "dcr-secret-expiry", step: "registration",
        name: "Client secret comes with its expiry",
        description: "A registration response that issues a client_secret also gives client_secret_expires_at, as RFC 7591 §3.2.1 requires.",
        spec: [RFC7591_3],
        remedy: "Send client_secret_expires_at with every client_secret (0 when it does not expire): clients that validate the response refuse it without (workers-oauth-provider#164).",
    }
}
