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
    ($list:ident; $($name:ident { id: $id:literal, step: $step:literal, name: $title:literal, description: $desc:literal, spec: [$($spec:ident),*], remedy: $remedy:literal $(,)? })*) => {
        $(pub const $name: CheckDef = CheckDef {
            id: $id,
            name: $title,
            description: $desc,
            step: $step,
            spec: &[$(spec::$spec),*],
            remedy: $remedy,
        };)*
        /// Every check of this catalog, in flow order.
        pub const $list: &[CheckDef] = &[$($name),*];
    };
}

checks! {
    SERVER;
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
    INVALID_TOKEN_REJECTED {
        id: "invalid-token-rejected", step: "probe",
        name: "Invalid token is refused",
        description: "A request with an invalid access token is answered 401 Unauthorized.",
        spec: [RFC6750_3_1, MCP_AUTHORIZATION],
        remedy: "Answer requests whose bearer token is invalid, expired or unknown with 401 and a WWW-Authenticate: Bearer challenge.",
    }
    INVALID_TOKEN_ERROR_CODE {
        id: "invalid-token-error-code", step: "probe",
        name: "Invalid token is named as such",
        description: "The 401 for an invalid access token carries error=\"invalid_token\" in its Bearer challenge.",
        spec: [RFC6750_3_1],
        remedy: "Add error=\"invalid_token\" to the Bearer challenge when a presented token is refused, so clients know to refresh or re-authorize.",
    }
    PRM_DISCOVERED {
        id: "prm-discovered", step: "discovery",
        name: "Protected-resource metadata found",
        description: "RFC 9728 protected-resource metadata is served as JSON at a location the spec names.",
        spec: [RFC9728_3, MCP_AUTHORIZATION],
        remedy: "Serve RFC 9728 metadata at /.well-known/oauth-protected-resource/<mcp path> (and point to it from the 401 challenge).",
    }
    PRM_WELL_FORMED {
        id: "prm-well-formed", step: "discovery",
        name: "Resource metadata is well formed",
        description: "The protected-resource metadata is a JSON object whose fields have the types RFC 9728 gives them.",
        spec: [RFC9728_3],
        remedy: "Serve the metadata as a JSON object (Content-Type: application/json) with `resource` a string and `authorization_servers` and `scopes_supported` arrays of strings.",
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
    PRM_SCOPES_SUPPORTED {
        id: "prm-scopes-supported", step: "discovery",
        name: "Resource metadata lists scopes",
        description: "The protected-resource metadata lists scopes_supported, so clients know which scopes to request.",
        spec: [RFC9728_3, MCP_AUTHORIZATION],
        remedy: "List the scopes an MCP client needs in `scopes_supported` of the protected-resource metadata.",
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
    AS_GRANT_TYPES {
        id: "as-grant-types", step: "discovery",
        name: "Grant types advertised",
        description: "grant_types_supported includes authorization_code and refresh_token.",
        spec: [RFC8414_2, RFC6749_6],
        remedy: "Advertise `\"grant_types_supported\": [\"authorization_code\", \"refresh_token\"]` in the authorization-server metadata.",
    }
    AS_TOKEN_AUTH_METHODS {
        id: "as-token-endpoint-auth-methods", step: "discovery",
        name: "Public clients supported",
        description: "token_endpoint_auth_methods_supported includes `none`, so public clients such as MCP clients can redeem codes.",
        spec: [RFC8414_2, RFC7591_2],
        remedy: "Support and advertise `none` in token_endpoint_auth_methods_supported for PKCE public clients.",
    }
    AS_ISS_PARAMETER_ADVERTISED {
        id: "as-iss-parameter-advertised", step: "discovery",
        name: "Authorization response iss advertised",
        description: "The metadata advertises authorization_response_iss_parameter_supported (RFC 9207 mix-up defence).",
        spec: [RFC9207_2],
        remedy: "Send `iss` on authorization responses and advertise authorization_response_iss_parameter_supported: true.",
    }
    CIMD_SUPPORTED {
        id: "cimd-supported", step: "discovery",
        name: "Client ID metadata documents",
        description: "The metadata advertises client_id_metadata_document_supported, so clients can use a URL as their Client ID.",
        spec: [CIMD, MCP_AUTHORIZATION],
        remedy: "Support client ID metadata documents and advertise client_id_metadata_document_supported: true.",
    }
    AS_DEFAULT_ENDPOINTS {
        id: "as-default-endpoints", step: "discovery",
        name: "2025-03-26 default endpoints",
        description: "Without any OAuth metadata, the server's origin serves the 2025-03-26 default endpoints /authorize, /token and /register.",
        spec: [MCP_2025_03_26_AUTHORIZATION],
        remedy: "Publish RFC 9728 protected-resource metadata and RFC 8414 authorization-server metadata: the default endpoints are a 2025-03-26 fallback that later revisions dropped.",
    }
    CLIENT_ID_METADATA_DOCUMENT {
        id: "client-id-metadata-document", step: "registration",
        name: "Client ID metadata document used",
        description: "The client identifies itself by the https URL of its Client ID metadata document, which the authorization server advertises support for.",
        spec: [CIMD, MCP_AUTHORIZATION],
        remedy: "Publish the client's metadata document at an https URL and give the client that URL (connect --client-metadata-url), or let it register dynamically.",
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
    DCR_REJECTS_FRAGMENT {
        id: "dcr-rejects-fragment-redirect", step: "registration",
        name: "Fragment redirect URI refused",
        description: "Registering a redirect URI that carries a fragment is refused with 400 invalid_redirect_uri.",
        spec: [RFC6749_3_1_2, RFC7591_3_2_2],
        remedy: "Validate registered redirect URIs: refuse those with a fragment (RFC 6749 §3.1.2) with 400 invalid_redirect_uri.",
    }
    CLIENT_ID {
        id: "client-id", step: "registration",
        name: "Client has a Client ID",
        description: "The client has a Client ID: registered dynamically or brought by the user.",
        spec: [MCP_AUTHORIZATION, PIPELINES],
        remedy: "Register an OAuth app in the provider's developer console and paste its Client ID.",
    }
    CLIENT_BOUND_TO_ISSUER {
        id: "client-bound-to-issuer", step: "registration",
        name: "Client ID stays with its issuer",
        description: "A registered Client ID is used only at the authorization server that issued it; a new authorization server gets a new registration.",
        spec: [MCP_2026_07_28_AUTHORIZATION, RFC7591_3],
        remedy: "Keep `authorization_servers` stable, or expect every client to register again when it changes.",
    }
    REGISTRATION_REDIRECT_URI_CURRENT {
        id: "registration-redirect-uri-current", step: "registration",
        name: "A registration is used with its own redirect URI",
        description: "A dynamically registered client is used again only with a redirect URI it registered: after its callback moved (another loopback port), it registers anew.",
        spec: [RFC7591_2, RFC6749_3_1_2, RFC8252_7_3],
        remedy: "Register again when the redirect URI changes (a callback port chosen at start), or keep the callback on one port. Authorization servers that compare loopback redirect URIs with their port refuse the old registration's Client ID; RFC 8252 §7.3 asks them to allow any port.",
    }
    AUTHORIZATION_REJECTS_UNREGISTERED_REDIRECT {
        id: "authorization-rejects-unregistered-redirect", step: "authorization",
        name: "No redirect to unregistered URIs",
        description: "An authorization request with a redirect_uri the client did not register is never redirected to it.",
        spec: [RFC6749_3_1_2, RFC6749_10_15, RFC9700_4_1],
        remedy: "Compare redirect_uri exactly against the client's registered URIs and show an error page, never a redirect, when it does not match (an open redirector leaks codes).",
    }
    AUDIENCE_OPTIONAL {
        id: "audience-optional", step: "authorization",
        name: "Audience is optional",
        description: "The authorization endpoint accepts a request without a resource or audience parameter.",
        spec: [RFC8707_2, PIPELINES],
        remedy: "Make the resource / audience parameter optional, defaulting to the MCP server, so that clients that do not send RFC 8707 `resource` can connect.",
    }
    OFFLINE_ACCESS_SCOPE {
        id: "offline-access-scope", step: "authorization",
        name: "offline_access requested as advertised",
        description: "offline_access is requested because, and only because, the authorization server lists it in scopes_supported.",
        spec: [MCP_2026_07_28_AUTHORIZATION],
        remedy: "List offline_access in the authorization server's scopes_supported when it issues refresh tokens for it.",
    }
    RESOURCE_INDICATOR {
        id: "resource-indicator", step: "authorization",
        name: "Resource indicator sent",
        description: "The request carries RFC 8707 `resource`: the MCP server's canonical URI, the same on the authorization, token and refresh requests.",
        spec: [RFC8707_2, MCP_AUTHORIZATION],
        remedy: "Accept RFC 8707 `resource` naming the MCP server on authorization, token and refresh requests, and issue tokens for that audience.",
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
    TOKEN_UNKNOWN_CODE {
        id: "token-unknown-code", step: "token",
        name: "Unknown code refused properly",
        description: "An unknown authorization code is answered 400 with a JSON invalid_grant error.",
        spec: [RFC6749_5_2],
        remedy: "Answer token requests with an unknown, used or expired code with 400 and `{\"error\": \"invalid_grant\"}` as JSON.",
    }
    TOKEN_UNKNOWN_REFRESH_TOKEN {
        id: "token-unknown-refresh-token", step: "token",
        name: "Unknown refresh token refused properly",
        description: "An unknown refresh token is answered 400 invalid_grant, not 401 or 5xx, so clients can tell revoked from transient.",
        spec: [RFC6749_5_2, RFC6749_6],
        remedy: "Answer refresh requests with an unknown, revoked or expired refresh token with 400 invalid_grant; keep 5xx for real outages, or clients retry forever instead of asking the user to reconnect.",
    }
    TOKEN_UNSUPPORTED_GRANT {
        id: "token-unsupported-grant-type", step: "token",
        name: "Unsupported grant named as such",
        description: "A grant type the server does not support is answered 400 unsupported_grant_type.",
        spec: [RFC6749_5_2],
        remedy: "Answer unknown grant types with 400 and `{\"error\": \"unsupported_grant_type\"}`.",
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
    SCOPE_STEP_UP {
        id: "scope-step-up", step: "mcp",
        name: "Step-up authorization",
        description: "A 403 insufficient_scope challenge names a scope the client obtains by authorizing again.",
        spec: [MCP_AUTHORIZATION, RFC6750_3_1],
        remedy: "Grant the scope the MCP server challenges for, or challenge only for scopes the authorization server grants to this client.",
    }
    REAUTHORIZATION {
        id: "reauthorization", step: "mcp",
        name: "Re-authorization after a refused token",
        description: "A 401 to a request that carried an access token is resolved by discovering and authorizing again.",
        spec: [MCP_AUTHORIZATION, RFC6750_3_1],
        remedy: "Accept the access tokens the advertised authorization server issues for this resource; answering 401 to fresh tokens sends clients round in circles.",
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
    REFRESH_GRANT {
        id: "refresh-token-grant", step: "refresh",
        name: "Refresh token grant works",
        description: "A refresh_token grant with the issued refresh token answers 200 with a new access token.",
        spec: [RFC6749_6],
        remedy: "Accept refresh_token grants for live refresh tokens from the client they were issued to.",
    }
    REFRESH_TOKEN_ROTATION {
        id: "refresh-token-rotation", step: "refresh",
        name: "Refresh tokens rotate",
        description: "A refresh of a public client's token issues a new refresh token (OAuth 2.1 replay protection).",
        spec: [OAUTH21_4_3_1],
        remedy: "Rotate refresh tokens of public clients on every refresh (or sender-constrain them), as OAuth 2.1 §4.3.1 requires.",
    }
    REFRESH_TOKEN_REUSE_REFUSED {
        id: "refresh-token-reuse-refused", step: "refresh",
        name: "Rotated-away refresh token refused",
        description: "Reusing a refresh token after it was rotated away is refused with 400 invalid_grant.",
        spec: [OAUTH21_4_3_1, RFC6749_5_2],
        remedy: "Refuse a refresh token once it has been rotated away (and revoke its family, which signals a replay).",
    }
    REVOCATION_ACCEPTED {
        id: "revocation-accepted", step: "revocation",
        name: "Revocation endpoint accepts the token",
        description: "The advertised RFC 7009 revocation endpoint answers 200 to the revocation of a refresh token.",
        spec: [RFC7009_2],
        remedy: "Accept RFC 7009 revocation requests from the client the token was issued to and answer 200.",
    }
    REVOKED_REFRESH_REFUSED {
        id: "revoked-refresh-token-refused", step: "revocation",
        name: "Revoked refresh token refused",
        description: "After revocation, the refresh token is refused with 400 invalid_grant.",
        spec: [RFC7009_2, RFC6749_5_2],
        remedy: "Invalidate refresh tokens on revocation and answer their later use with 400 invalid_grant.",
    }
    TOKEN_LIFETIME_PLAUSIBLE {
        id: "token-lifetime-plausible", step: "token",
        name: "Token lifetime is plausible",
        description: "The token response's expires_in is a non-negative integer number of seconds, at most ten years.",
        spec: [RFC6749_5_1],
        remedy: "Send expires_in as the access token's real lifetime in seconds; omit it rather than send a huge number meaning \"never\".",
    }
    ACCESS_TOKEN_SIGNED {
        id: "access-token-signed", step: "token",
        name: "A JWT access token is signed",
        description: "An access token issued as a JWT names a signing algorithm other than none and carries a signature.",
        spec: [RFC8725_3_1, RFC9068_4],
        remedy: "Sign JWT access tokens with the authorization server's key (RFC 9068 and RFC 8725 rule out `alg: none`): anyone who has seen an unsigned token can forge one, and a resource server that accepts it accepts forgeries.",
    }
    CALLBACK_PARAMETERS_UNIQUE {
        id: "callback-parameters-unique", step: "authorization",
        name: "Callback parameters are not repeated",
        description: "The authorization response carries each of code, state, iss and error at most once.",
        spec: [RFC6749_3_1, RFC6749_4_1_2_1],
        remedy: "Redirect to the callback with each response parameter once; a repeated code, state or iss is refused as ambiguous.",
    }
    METADATA_ADDRESSES_PUBLIC {
        id: "metadata-addresses-public", step: "discovery",
        name: "Server-named URLs stay off private addresses",
        description: "No URL that the remote server names (metadata, endpoints, challenges) points at a loopback or private address while the target itself is public.",
        spec: [MCP_SECURITY_BEST_PRACTICES],
        remedy: "Name only public https endpoints in metadata; a public server pointing clients at loopback or private addresses is refused as a request-forgery risk.",
    }
    DCR_CLIENT_DELETED {
        id: "dcr-client-deleted", step: "registration",
        name: "Registered client deleted afterwards",
        description: "A client the check registered dynamically is deleted afterwards with RFC 7592 (DELETE on its registration_client_uri with its registration_access_token), so nothing is left on the server.",
        spec: [RFC7592_2_3],
        remedy: "Return registration_client_uri and registration_access_token in registration responses and accept DELETE on that URI (RFC 7592), so clients can remove what they registered; until then, delete the clients listed in leftBehind by hand.",
    }
}

mod client;
mod client_auth;
mod dpop;
mod gallery;
mod grants;
mod quirks;
mod resource_server;
pub use client::*;
pub use client_auth::*;
pub use dpop::*;
pub use gallery::*;
pub use grants::*;
pub use quirks::*;
pub use resource_server::*;

/// Every check: the server-side catalog, the real-world quirks, its client-identity quirks,
/// the resource-server probes', the gallery's, the grants without a person, then the client
/// judge's.
pub fn all() -> impl Iterator<Item = &'static CheckDef> {
    SERVER
        .iter()
        .chain(QUIRKS)
        .chain(CLIENT_AUTH)
        .chain(DPOP)
        .chain(DPOP_RESOURCE_SERVER)
        .chain(RESOURCE_SERVER)
        .chain(GALLERY)
        .chain(GRANTS)
        .chain(CLIENT)
}

pub fn by_id(id: &str) -> Option<&'static CheckDef> {
    all().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_kebab_case_and_documented() {
        let mut seen = HashSet::new();
        for check in all() {
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
