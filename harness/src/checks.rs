//! The check catalog: every question the harness asks, with a stable id, the spec it comes from
//! and the default fix. Ids are a contract (reports, baselines and scenario files name them).
//! Severity is not here: the profile decides how much a failed check matters.

use crate::spec::{self, SpecRef};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckDef {
    pub id: &'static str,
    pub name: &'static str,
    /// The question, as a sentence that is true when the check passes.
    pub description: &'static str,
    pub step: &'static str,
    pub spec: &'static [SpecRef],
    /// What the owner of the failing side should do.
    pub remedy: &'static str,
}

macro_rules! checks {
    ($($name:ident { id: $id:literal, step: $step:literal, name: $title:literal, description: $desc:literal, spec: [$($spec:ident),*], remedy: $remedy:literal $(,)? })*) => {
        $(pub const $name: CheckDef = CheckDef {
            id: $id,
            name: $title,
            description: $desc,
            step: $step,
            spec: &[$(spec::$spec),*],
            remedy: $remedy,
        };)*
        /// Every check, in flow order.
        pub const ALL: &[CheckDef] = &[$($name),*];
    };
}

checks! {
    MCP_REQUIRES_AUTH {
        id: "mcp-requires-auth", step: "probe",
        name: "MCP endpoint requires a token",
        description: "A request without an access token is answered 401 Unauthorized.",
        spec: [MCP_AUTHORIZATION, RFC6750_3],
        remedy: "Answer unauthenticated MCP requests with 401 and a WWW-Authenticate: Bearer challenge, not 200, 403, 404 or 5xx.",
    }
    WWW_AUTHENTICATE_BEARER {
        id: "www-authenticate-bearer", step: "probe",
        name: "401 carries a Bearer challenge",
        description: "The 401 response has a WWW-Authenticate header with a parsable Bearer challenge.",
        spec: [RFC6750_3, MCP_AUTHORIZATION],
        remedy: "Send `WWW-Authenticate: Bearer resource_metadata=\"<protected-resource metadata URL>\"` with every 401.",
    }
    WWW_AUTHENTICATE_RESOURCE_METADATA {
        id: "www-authenticate-resource-metadata", step: "probe",
        name: "Challenge points at the resource metadata",
        description: "The Bearer challenge carries resource_metadata with the protected-resource metadata URL.",
        spec: [RFC9728_5_1, MCP_AUTHORIZATION],
        remedy: "Add resource_metadata=\"<URL of /.well-known/oauth-protected-resource...>\" to the Bearer challenge.",
    }
    PRM_DISCOVERED {
        id: "prm-discovered", step: "discovery",
        name: "Protected-resource metadata found",
        description: "RFC 9728 protected-resource metadata is served as JSON at a location the spec names.",
        spec: [RFC9728_3, MCP_AUTHORIZATION],
        remedy: "Serve RFC 9728 metadata at /.well-known/oauth-protected-resource/<mcp path> (and point to it from the 401 challenge).",
    }
    PRM_RESOURCE_MATCHES {
        id: "prm-resource-matches", step: "discovery",
        name: "Metadata resource matches the URL",
        description: "The metadata's `resource` is the MCP server URL the user pasted.",
        spec: [RFC9728_3_3, RFC8707_2],
        remedy: "Paste the canonical URL the server announces as `resource`, or make the server announce the URL it is reached at.",
    }
    PRM_AUTHORIZATION_SERVERS {
        id: "prm-authorization-servers", step: "discovery",
        name: "Metadata names an authorization server",
        description: "The protected-resource metadata lists at least one authorization server issuer.",
        spec: [RFC9728_3, MCP_AUTHORIZATION],
        remedy: "List the authorization server's issuer URL in `authorization_servers`.",
    }
    AS_METADATA_DISCOVERED {
        id: "as-metadata-discovered", step: "discovery",
        name: "Authorization-server metadata found",
        description: "RFC 8414 (or OpenID) authorization-server metadata is served as JSON at a location the spec names.",
        spec: [RFC8414_3, MCP_AUTHORIZATION],
        remedy: "Serve RFC 8414 metadata at /.well-known/oauth-authorization-server (path-inserted for issuers with a path).",
    }
    AS_ISSUER_MATCHES {
        id: "as-issuer-matches", step: "discovery",
        name: "Issuer matches exactly",
        description: "The metadata's `issuer` is identical to the issuer identifier it was fetched for.",
        spec: [RFC8414_3_3],
        remedy: "Publish `issuer` exactly as the protected-resource metadata names the authorization server (same scheme, host, port, path and trailing slash).",
    }
    AS_METADATA_FIELDS {
        id: "as-metadata-fields", step: "discovery",
        name: "Metadata has the required endpoints",
        description: "The metadata has authorization_endpoint, token_endpoint and response_types_supported containing `code`.",
        spec: [RFC8414_3],
        remedy: "Add the missing fields to the authorization-server metadata.",
    }
    PKCE_S256_ADVERTISED {
        id: "pkce-s256-advertised", step: "discovery",
        name: "PKCE S256 advertised",
        description: "code_challenge_methods_supported is present and includes S256.",
        spec: [RFC7636_4, MCP_AUTHORIZATION],
        remedy: "Advertise `\"code_challenge_methods_supported\": [\"S256\"]` in the authorization-server metadata.",
    }
    DCR_AVAILABLE {
        id: "dcr-available", step: "registration",
        name: "Automatic client registration offered",
        description: "The metadata advertises a registration_endpoint (RFC 7591), so no Client ID has to be brought.",
        spec: [RFC7591_3, MCP_AUTHORIZATION],
        remedy: "Offer dynamic client registration, or tell users to create an OAuth app and paste its Client ID.",
    }
    DCR_REGISTRATION {
        id: "dcr-registration", step: "registration",
        name: "Dynamic registration succeeds",
        description: "Registering the client's metadata answers 201 with a client_id.",
        spec: [RFC7591_3, RFC7591_3_2_2],
        remedy: "Accept the client's registration request (loopback or https redirect URIs, token_endpoint_auth_method none).",
    }
    CLIENT_ID {
        id: "client-id", step: "registration",
        name: "Client has a Client ID",
        description: "The client has a Client ID: registered dynamically or brought by the user.",
        spec: [MCP_AUTHORIZATION, PIPELINES],
        remedy: "Register an OAuth app in the provider's developer console and paste its Client ID.",
    }
    AUTHORIZATION_REDIRECT {
        id: "authorization-redirect", step: "authorization",
        name: "Authorization server redirects back",
        description: "The authorization endpoint answers with a redirect to the client's registered callback.",
        spec: [RFC6749_4_1_2_1, RFC6749_3_1_2],
        remedy: "Add the client's exact callback URL to the OAuth app's allowed redirect URIs.",
    }
    PENDING_AUTHORIZATION_FRESH {
        id: "pending-authorization-fresh", step: "authorization",
        name: "Consent finished in time",
        description: "The callback arrived before the client's pending authorization state expired.",
        spec: [PIPELINES],
        remedy: "Complete the consent screen promptly; start the connection again if it sat idle.",
    }
    STATE_MATCHES {
        id: "state-matches", step: "authorization",
        name: "State round-trips",
        description: "The callback's `state` equals the one the client sent.",
        spec: [RFC6749_10_12],
        remedy: "Return the `state` parameter unchanged on the redirect.",
    }
    AUTHORIZATION_GRANTED {
        id: "authorization-granted", step: "authorization",
        name: "Authorization granted",
        description: "The callback carries an authorization code, not an error.",
        spec: [RFC6749_4_1_2_1],
        remedy: "See the error the authorization server returned.",
    }
    ISS_PARAMETER {
        id: "iss-parameter", step: "authorization",
        name: "Authorization response issuer",
        description: "The callback's `iss` (RFC 9207), when present or required, equals the issuer exactly.",
        spec: [RFC9207_2],
        remedy: "Send `iss` with the exact issuer identifier on every authorization response.",
    }
    TOKEN_EXCHANGE {
        id: "token-exchange", step: "token",
        name: "Code exchanged for tokens",
        description: "The token endpoint answers the authorization_code grant with 200 and a Bearer access token.",
        spec: [RFC6749_5_1, RFC7636_4],
        remedy: "Accept the authorization_code grant with the PKCE code_verifier and the same redirect_uri.",
    }
    TOKEN_NO_STORE {
        id: "token-response-no-store", step: "token",
        name: "Token responses are not cached",
        description: "Token responses carry Cache-Control: no-store.",
        spec: [RFC6749_5_1],
        remedy: "Send `Cache-Control: no-store` with token responses.",
    }
    REFRESH_TOKEN_ISSUED {
        id: "refresh-token-issued", step: "token",
        name: "Refresh token issued",
        description: "The token response includes a refresh token, so the connection outlives the access token.",
        spec: [RFC6749_6],
        remedy: "Issue refresh tokens to MCP clients, or users must re-run the OAuth flow whenever the access token expires.",
    }
    MCP_INITIALIZE {
        id: "mcp-initialize", step: "mcp",
        name: "MCP initialize with the token",
        description: "The MCP server accepts the access token and completes initialize.",
        spec: [MCP_LIFECYCLE, MCP_AUTHORIZATION],
        remedy: "Accept access tokens issued by the advertised authorization server for this resource.",
    }
    MCP_TOOLS_LIST {
        id: "mcp-tools-list", step: "mcp",
        name: "tools/list succeeds",
        description: "tools/list answers with the server's tools.",
        spec: [MCP_TOOLS],
        remedy: "Answer tools/list for authenticated sessions.",
    }
    MCP_TOOLS_CALL {
        id: "mcp-tools-call", step: "mcp",
        name: "tools/call succeeds",
        description: "A tool call with the access token attached succeeds.",
        spec: [MCP_TOOLS, MCP_AUTHORIZATION],
        remedy: "Accept the access token on tool calls.",
    }
    TOKEN_REFRESH {
        id: "token-refresh", step: "refresh",
        name: "Refresh before the call",
        description: "An access token near expiry is refreshed with the refresh_token grant before the call runs.",
        spec: [RFC6749_6, OAUTH21_7_5],
        remedy: "Accept refresh_token grants for live refresh tokens; answer 400 invalid_grant only for revoked or expired ones.",
    }
    TOKEN_STORE_ENCRYPTED {
        id: "token-store-encrypted", step: "token-store",
        name: "Refresh tokens encrypted at rest",
        description: "The persisted token store holds no plaintext refresh or access token.",
        spec: [PIPELINES],
        remedy: "Encrypt refresh tokens before persisting them.",
    }
    TOKEN_STORE_INTEGRITY {
        id: "token-store-integrity", step: "token-store",
        name: "Token store is intact",
        description: "The persisted token store decrypts and authenticates with the store key.",
        spec: [PIPELINES],
        remedy: "The token store was modified or the key changed: reconnect to run the OAuth flow again.",
    }
}

pub fn by_id(id: &str) -> Option<&'static CheckDef> {
    ALL.iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_kebab_case_and_documented() {
        let mut seen = HashSet::new();
        for check in ALL {
            assert!(seen.insert(check.id), "duplicate check id {}", check.id);
            assert!(
                check
                    .id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{} is not kebab-case",
                check.id
            );
            assert!(!check.spec.is_empty(), "{} has no spec reference", check.id);
            assert!(check.description.ends_with('.'), "{}", check.id);
        }
    }
}
