//! The knobs that make the mocks misbehave on request.
//!
//! Every knob deserializes straight from a scenario file's `[mocks.*]` tables (kebab-case keys,
//! unknown keys refused), and every default describes a conformant server, so a scenario only
//! names what is wrong with the server it describes.

mod client_forms;
mod dpop_forms;
mod grants;
mod numbers;
mod resource_forms;
mod token_forms;
mod validate;

use serde::{Deserialize, Serialize};

pub use client_forms::*;
pub use dpop_forms::*;
pub use grants::*;
pub use numbers::{MAX_COUNT, count_error};
pub use resource_forms::*;
pub use token_forms::*;
pub use validate::ConfigError;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct MockConfig {
    pub authorization_server: AuthServerConfig,
    pub resource_server: ResourceServerConfig,
}

impl MockConfig {
    /// Refuses values the servers cannot serve (a path without a leading `/`, a scope that is
    /// not an RFC 6749 scope token, a knob that only applies to another setting). `MockServers`
    /// runs this before binding any port.
    pub fn validate(&self) -> Result<(), ConfigError> {
        validate::validate(self)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct AuthServerConfig {
    /// A path under the origin that is part of the issuer identifier (`/tenant-a`), or empty.
    pub issuer_path: String,
    /// Serve authorization-server metadata at all (`false`: nowhere).
    pub metadata: bool,
    /// Which well-known URL the metadata is served at, for issuers with and without a path.
    pub metadata_location: AsMetadataLocation,
    /// Serve the authorization server on the MCP server's own origin (one listener, the
    /// authorization-server routes next to the MCP routes), as MCP 2025-03-26 servers did; its
    /// issuer is then that origin (plus `issuer-path`). With `metadata = false` and no
    /// `issuer-path` the endpoints are the 2025-03-26 defaults `/authorize`, `/token` and
    /// `/register` at that origin.
    pub co_located: bool,
    /// How the `issuer` in the metadata relates to the real issuer identifier.
    pub issuer_in_metadata: IssuerForm,
    /// Offer RFC 7591 dynamic client registration.
    pub dynamic_registration: bool,
    /// Make registration fail with this RFC 7591 §3.2.2 error.
    pub registration_error: Option<RegistrationError>,
    /// Clients registered out of band ("bring your own OAuth app").
    pub clients: Vec<PreregisteredClient>,
    /// Advertised and enforced for registered clients that are not public.
    pub token_endpoint_auth_methods: Vec<TokenEndpointAuthMethod>,
    /// Advertised PKCE methods; S256 is required whatever is advertised.
    pub code_challenge_methods: Vec<String>,
    /// Refuse authorization requests that carry neither `resource` nor `audience`.
    pub require_audience: bool,
    /// The RFC 9207 `iss` parameter on the authorization response.
    pub iss_parameter: IssParameter,
    /// Advertise `authorization_response_iss_parameter_supported: true` in the metadata
    /// (`false`: the field is left out, which RFC 9207 §3 reads as "not supported").
    pub advertise_iss_parameter: bool,
    /// The `state` on the redirect back to the client: the one the client sent, or another
    /// (a forged callback), which a client must refuse before redeeming the code
    /// (RFC 6749 §10.12).
    pub callback_state: CallbackState,
    /// What the (headless) person at the consent screen does.
    pub consent: Consent,
    /// Seconds an authorization code stays redeemable.
    pub code_lifetime_secs: u64,
    pub access_token_lifetime_secs: u64,
    pub issue_refresh_tokens: bool,
    /// Issue a new refresh token on every refresh; a reused old one revokes the whole family.
    pub rotate_refresh_tokens: bool,
    /// With rotation: seconds after a rotation during which the rotated-away refresh token is
    /// still honoured instead of revoking the family (better-auth's
    /// `refreshTokenReuseInterval`), so that calls racing one refresh do not lose the grant.
    pub refresh_reuse_grace_secs: u64,
    /// Advertise the RFC 7009 revocation endpoint in the metadata (it answers either way).
    pub revocation_endpoint: bool,
    /// A query the advertised `authorization_endpoint` already carries (`prompt=select_account`,
    /// as Google's and Entra's endpoints are often configured): RFC 6749 §3.1 says it MUST be
    /// retained when parameters are added, so an authorization request without these exact
    /// pairs (dropped, or swallowed by a second `?`) gets an error page.
    pub authorization_endpoint_query: Option<String>,
    /// Answer every `refresh_token` grant with 500 `server_error`, while the metadata still
    /// lists the grant (1mcp-app/agent#404).
    pub refresh_grant_server_error: bool,
    /// Answer this many refresh requests with 503 before serving them again.
    pub refresh_unavailable_count: u32,
    pub scopes_supported: Vec<String>,
    /// Redirect to whatever redirect_uri the request names, registered or not (an open
    /// redirector that hands codes to any site).
    pub open_redirect: bool,
    /// Register redirect URIs that carry a fragment, which RFC 6749 §3.1.2 forbids.
    pub accept_fragment_redirect_uris: bool,
    /// Answer refresh requests whose refresh token is unknown or revoked with 503
    /// temporarily_unavailable instead of 400 invalid_grant, so that a client cannot tell a
    /// revoked token from an outage.
    pub invalid_refresh_token_unavailable: bool,
    /// Refuse an authorization request that asks for a scope not in `scopes-supported` with a
    /// redirect carrying `error=invalid_scope` (so `offline_access` is refused unless listed).
    /// Off, the server grants whatever scope is requested.
    pub strict_scopes: bool,
    /// Client ID Metadata Documents (MCP 2025-11-25): advertise
    /// `client_id_metadata_document_supported: true` and accept, at the authorization and
    /// token endpoints, a `client_id` that is an https URL (or an http URL on a loopback host)
    /// by fetching the JSON document it names. Documents on loopback or private hosts are
    /// fetched only from origins allowed with `AuthServer::allow_client_documents_from`. Off,
    /// such a `client_id` is an unknown client.
    pub client_id_metadata_documents: bool,
    /// The largest client ID metadata document fetched, in bytes (default 64 KiB): a larger
    /// one fails the fetch, as authorization servers with a small limit do
    /// (workers-oauth-provider#156).
    pub client_metadata_document_max_bytes: usize,
    /// Register every client with this token-endpoint authentication method, whatever the
    /// registration request asked for (a confidential method comes with a `client_secret`), so
    /// that a client must follow the registration response rather than its own request.
    pub registration_auth_method: Option<TokenEndpointAuthMethod>,
    /// Refuse a registration request without `application_type` (`"web"` or `"native"`) with
    /// `invalid_client_metadata`.
    pub require_application_type: bool,
    /// Scopes this server never grants: the authorization succeeds, but codes and tokens carry
    /// the requested scope without them (the token response's `scope` says so, as RFC 6749
    /// §3.3 asks when the granted scope differs), so a step-up for one of them never helps.
    pub withhold_scopes: Vec<String>,
    /// Fail a code exchange that carries no RFC 8707 `resource` with this status (500, or a
    /// 4xx with the error code `token-without-resource-error`), as servers that strictly
    /// require an audience do at the token endpoint.
    pub token_without_resource_status: Option<u16>,
    /// The OAuth error code of that failure (`invalid_request`, `invalid_target`, ...).
    pub token_without_resource_error: String,
    /// Issue tokens requested without `resource` for this audience instead of none, so they are
    /// not bound to the MCP server (an MCP server checking the audience refuses them).
    pub audience_without_resource: Option<String>,
    /// Refuse any RFC 8707 `resource` at the token endpoint with 400 `invalid_target`, as
    /// Microsoft Entra ID v2 does (AADSTS9010010).
    pub refuse_resource: bool,
    /// RFC 7592 client management: registration responses carry `registration_client_uri`
    /// and `registration_access_token`, and DELETE on that URI (with the token) removes the
    /// client. Off, registrations cannot be managed (RFC 7592 is optional).
    pub registration_management: bool,
    /// Answer a CORS preflight (`OPTIONS`) at the token endpoint, and put
    /// `Access-Control-Allow-Origin` on its answers to requests that carry `Origin`, so that a
    /// browser-based client can redeem its code. Off, `OPTIONS /token` answers 405 without
    /// CORS headers (sentry-mcp#999).
    pub token_endpoint_cors: bool,
    /// How the token response spells `token_type` (Linear answers `"bearer"`).
    pub token_type: TokenTypeSpelling,
    /// How the token response gives `expires_in` (Entra answers a string).
    pub expires_in: ExpiresInForm,
    /// The media type of token responses (GitHub answers form-encoded unless the request
    /// accepts JSON).
    pub token_response_format: TokenResponseFormat,
    /// Answer token-endpoint errors with this status instead of 400/401 (GitHub answers 200
    /// with an `error` field).
    pub token_error_status: Option<u16>,
    /// The error code for a refresh token that is unknown, revoked or reused (obot answers
    /// `invalid_request` where RFC 6749 §5.2 says `invalid_grant`).
    pub invalid_refresh_token_error: DeadRefreshTokenError,
    /// Accept loopback redirect URIs (at registration and authorization) with only this
    /// spelling of the host (claude-code#86233: servers that take only `localhost`, or only
    /// `127.0.0.1`).
    pub loopback_redirect_host: LoopbackRedirectHost,
    /// The registration response answers `grant_types: null`, `response_types: null` and
    /// `token_endpoint_auth_method: ""` (mcp-auth-proxy#173).
    pub registration_response_nulls: bool,
    /// A registration response with a `client_secret` leaves out `client_secret_expires_at`,
    /// which RFC 7591 §3.2.1 requires with a secret (workers-oauth-provider#164).
    pub omit_client_secret_expires_at: bool,
    /// Answer every registration request with this status and an empty body.
    pub registration_failure_status: Option<u16>,
    /// Refuse a registration whose `grant_types` lacks `authorization_code` or
    /// `refresh_token` with `invalid_client_metadata` (fastmcp#2460).
    pub require_refresh_grant_type: bool,
    /// Issue an opaque access token (a random string, not a JWT: no MCP server can verify it)
    /// to an authorization that did not carry `audience`, and ignore RFC 8707 `resource`
    /// everywhere, as Auth0 does for a tenant without a default audience (vscode#274226).
    pub opaque_token_without_audience: bool,
    /// How the token endpoint reads client credentials (`body-client-id-only`: fastmcp#4600;
    /// `refuse-both`: Notion, python-sdk#3138).
    pub client_auth_reading: ClientAuthReading,
    /// How an unknown `client_id` is answered (better-auth#11035, supabase/mcp#355).
    pub unknown_client_answer: UnknownClientAnswer,
    /// When dynamically registered clients are forgotten, as after a restart.
    pub forget_registered_clients: ForgetRegisteredClients,
    /// Serve the RFC 6749 §4.4 client credentials grant to pre-registered confidential clients
    /// (a secret, or `private_key_jwt` client assertions), and list it in
    /// `grant_types_supported`.
    pub client_credentials: bool,
    /// Which key `private_key_jwt` assertions are verified with. A pre-registered client
    /// without a secret authenticates with assertions when `token-endpoint-auth-methods`
    /// lists `private_key_jwt`.
    pub client_assertion_key: ClientAssertionKey,
    /// Serve the RFC 7523 §2.1 JWT bearer grant (workload identity federation) to assertions
    /// from the workload issuer this server trusts, and list it in `grant_types_supported`.
    pub jwt_bearer: bool,
    /// The workload token handed out for that grant.
    pub workload_token: WorkloadToken,
    /// An enterprise identity provider at `{issuer}/idp/token` whose ID-JAGs the JWT bearer
    /// grant accepts (enterprise-managed authorization), and how it answers.
    pub token_exchange: TokenExchange,
    /// DPoP (RFC 9449): advertise ES256 and bind a token requested with a valid proof to its
    /// key (`cnf.jkt`, `token_type: DPoP`), and its refresh token to the same key (RFC 9449
    /// §5); an invalid proof is `invalid_dpop_proof`.
    pub dpop: bool,
    /// Whether the token endpoint demands a DPoP nonce (RFC 9449 §8). Needs `dpop`.
    pub dpop_nonce: DpopNonce,
}

impl Default for AuthServerConfig {
    fn default() -> Self {
        Self {
            issuer_path: String::new(),
            metadata: true,
            metadata_location: AsMetadataLocation::Oauth,
            co_located: false,
            issuer_in_metadata: IssuerForm::Exact,
            dynamic_registration: true,
            registration_error: None,
            clients: Vec::new(),
            token_endpoint_auth_methods: vec![TokenEndpointAuthMethod::None],
            code_challenge_methods: vec!["S256".to_owned()],
            require_audience: false,
            iss_parameter: IssParameter::Correct,
            advertise_iss_parameter: true,
            callback_state: CallbackState::Echo,
            consent: Consent::Approve,
            code_lifetime_secs: 60,
            access_token_lifetime_secs: 3600,
            issue_refresh_tokens: true,
            rotate_refresh_tokens: false,
            refresh_reuse_grace_secs: 0,
            revocation_endpoint: true,
            authorization_endpoint_query: None,
            refresh_grant_server_error: false,
            refresh_unavailable_count: 0,
            scopes_supported: vec!["mcp:tools".to_owned()],
            open_redirect: false,
            accept_fragment_redirect_uris: false,
            invalid_refresh_token_unavailable: false,
            strict_scopes: false,
            client_id_metadata_documents: false,
            client_metadata_document_max_bytes: crate::auth_server::MAX_DOCUMENT_BYTES,
            registration_auth_method: None,
            require_application_type: false,
            withhold_scopes: Vec::new(),
            token_without_resource_status: None,
            token_without_resource_error: "invalid_request".to_owned(),
            audience_without_resource: None,
            refuse_resource: false,
            registration_management: true,
            token_endpoint_cors: true,
            token_type: TokenTypeSpelling::Canonical,
            expires_in: ExpiresInForm::Number,
            token_response_format: TokenResponseFormat::Json,
            token_error_status: None,
            invalid_refresh_token_error: DeadRefreshTokenError::InvalidGrant,
            loopback_redirect_host: LoopbackRedirectHost::Any,
            registration_response_nulls: false,
            omit_client_secret_expires_at: false,
            registration_failure_status: None,
            require_refresh_grant_type: false,
            opaque_token_without_audience: false,
            client_auth_reading: ClientAuthReading::Standard,
            unknown_client_answer: UnknownClientAnswer::InvalidClient,
            forget_registered_clients: ForgetRegisteredClients::Never,
            client_credentials: false,
            client_assertion_key: ClientAssertionKey::HandedOut,
            jwt_bearer: false,
            workload_token: WorkloadToken::Valid,
            token_exchange: TokenExchange::Off,
            dpop: false,
            dpop_nonce: DpopNonce::None,
        }
    }
}

/// The well-known URL authorization-server metadata is served at. For an issuer without a path
/// the two OpenID forms are the same URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AsMetadataLocation {
    /// RFC 8414 §3.1: `/.well-known/oauth-authorization-server{issuer-path}`.
    Oauth,
    /// OpenID Connect Discovery with the suffix inserted as RFC 8414 §5 describes:
    /// `/.well-known/openid-configuration{issuer-path}`.
    OpenidInserted,
    /// OpenID Connect Discovery 1.0 §4: `{issuer-path}/.well-known/openid-configuration`.
    OpenidAppended,
    /// RFC 8414's form at the origin, `/.well-known/oauth-authorization-server`, whatever the
    /// issuer path: where the MCP spec's path-inserted candidates for an issuer with a path
    /// (GitHub's `/login/oauth`) all answer 404.
    Root,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IssuerForm {
    Exact,
    /// The issuer identifier with a `/` appended.
    TrailingSlash,
    /// The origin alone: the issuer identifier without its `issuer-path` (needs one).
    DropPath,
    /// The same issuer on another host (`localhost` for `127.0.0.1`), as an authorization
    /// server behind an identity vendor's domain says.
    OtherHost,
    /// The issuer identifier with a path it does not have (`/oauth2`) appended.
    ExtraPath,
    /// No `issuer` field at all, though RFC 8414 §2 requires it.
    Omitted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationError {
    InvalidRedirectUri,
    InvalidClientMetadata,
}

impl RegistrationError {
    pub fn code(self) -> &'static str {
        match self {
            RegistrationError::InvalidRedirectUri => "invalid_redirect_uri",
            RegistrationError::InvalidClientMetadata => "invalid_client_metadata",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PreregisteredClient {
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<String>,
    pub redirect_uris: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IssParameter {
    Correct,
    Omit,
    /// An issuer that is not this server's.
    Wrong,
    /// The issuer with a `/` appended: the same URL after RFC 3986 normalization when the
    /// issuer has no path, but not the same string, which is what RFC 9207 §2.4 compares.
    TrailingSlash,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallbackState {
    /// The `state` of the authorization request, unchanged.
    Echo,
    /// Another value than the one sent (the redirect still carries a good code), as in a
    /// callback an attacker forged: a client that redeems the code has not checked `state`.
    Wrong,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Consent {
    Approve,
    /// The person clicks "Deny": the redirect carries `error=access_denied`.
    Deny,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ResourceServerConfig {
    /// Where the MCP endpoint is mounted: `/mcp`, or `/` for a server at an origin.
    pub path: String,
    /// Where RFC 9728 protected-resource metadata is served.
    pub metadata_location: PrmLocation,
    /// The path of the metadata when `metadata-location = "custom"` (default
    /// [`DEFAULT_CUSTOM_METADATA_PATH`]); refused with any other location.
    pub custom_metadata_path: Option<String>,
    /// Put `resource_metadata` in the 401 challenge.
    pub resource_metadata_in_challenge: bool,
    /// How the `resource` in the metadata relates to the MCP endpoint URL.
    pub resource_in_metadata: ResourceForm,
    /// Accept only access tokens whose `aud` is this resource.
    pub require_audience: bool,
    /// Answer MCP requests without any token (a misconfigured server).
    pub allow_unauthenticated: bool,
    /// A scope (or space-separated scopes) every MCP request's access token must carry
    /// (`mcp:admin`): a valid token without it is answered 403 with `WWW-Authenticate: Bearer error="insufficient_scope",
    /// scope="<this scope>"` (RFC 6750 §3.1), the step-up challenge of MCP 2025-11-25.
    pub required_scope: Option<String>,
    /// The JSON-RPC methods `required-scope` applies to (`tools/list`, `tools/call`); empty:
    /// every MCP request. A step-up is asked for at the operation that needs more, while
    /// `initialize` with the first token goes through.
    pub scope_required_for: Vec<String>,
    /// The `scope` the 401 challenge names (RFC 6750 §3), telling a client what to request.
    pub challenge_scope: Option<String>,
    /// Start a second authorization server (its own port, keys, issuer and clients) that
    /// `MockServers::switch_authorization_server` moves the protected-resource metadata to.
    pub alternate_authorization_server: bool,
    /// Send a `WWW-Authenticate` header with 401 responses (RFC 6750 §3). Off, a 401 carries
    /// no header at all, so a client learns neither `resource_metadata` nor the scope from it
    /// and must discover the metadata at the well-known URLs. 403 `insufficient_scope`
    /// challenges are unaffected.
    pub www_authenticate: bool,
    /// Which scopes a 403 `insufficient_scope` challenge names when `required-scope` lists
    /// several.
    pub insufficient_scope_challenge: InsufficientScopeChallenge,
    /// How the metadata's `authorization_servers` entry is written.
    pub authorization_server_in_metadata: AuthorizationServerForm,
    /// The challenge of a 401 to a request without a token.
    pub unauthenticated_challenge: ChallengeForm,
    /// What a GET of a path nothing serves is answered with (the well-known URLs a client
    /// tries where there is no document). Not with a server at the origin (`path = "/"`),
    /// where the MCP endpoint answers every other path.
    pub unknown_path_answer: UnknownPathAnswer,
    /// Answer a request to the MCP path with 307 to the same path with a `/` appended, where
    /// the MCP endpoint really is (a Starlette `Mount`). Needs a `path` other than `/`.
    pub redirect_to_trailing_slash: bool,
    /// Answer requests that carry `Origin` with `Access-Control-Allow-Origin` and
    /// `Access-Control-Expose-Headers: WWW-Authenticate, Mcp-Session-Id`, so that a browser
    /// lets a client read the challenge. Off, the expose header is left out (twenty#19836).
    pub cors_expose_www_authenticate: bool,
    /// JSON-RPC methods answered without a token (`initialize`, `tools/list`): only the others
    /// (`tools/call`) are challenged, as some hosted MCP servers do. A request with a token is
    /// judged as usual.
    pub unauthenticated_methods: Vec<String>,
    /// How the `Authorization` scheme is compared: case-insensitively (RFC 9110 §11.1), or
    /// only the exact `Bearer` (servers behind Linear's and coder's proxies did).
    pub bearer_scheme: BearerScheme,
    /// Answer every request bearing a token with 401 `invalid_token`, valid or not: the MCP
    /// server refuses the tokens of the authorization server it advertises.
    pub refuse_all_tokens: bool,
    /// What `require-audience` compares the token's `aud` with: the MCP endpoint URL, or only
    /// its origin (workers-oauth-provider#108: a token whose `aud` has the path is refused).
    pub audience_form: AudienceForm,
    /// Accept an unsigned JWT (`alg: none`) as if it were signed, as libraries that honour the
    /// token's own `alg` do.
    pub accept_alg_none: bool,
    /// Read access tokens without verifying their signature: an altered or forged token is
    /// accepted as long as its claims look right.
    pub skip_signature_check: bool,
    /// Accept an access token whatever its `aud`, so a token issued for another resource works
    /// here too (RFC 8707 audience binding not enforced). Off, a token whose `aud` names
    /// another resource is refused even without `require-audience`.
    pub skip_audience_check: bool,
    /// Accept the access token in the `access_token` query parameter when no `Authorization`
    /// header is sent, which OAuth 2.1 and the MCP authorization spec forbid.
    pub accept_query_tokens: bool,
    /// Accept only the scheme spelt `Bearer`: `bearer` (which RFC 9110 §11.1 makes the same
    /// scheme) is refused with 401.
    pub refuse_lowercase_scheme: bool,
    /// Answer a token without `required-scope` with 403 whose challenge names neither
    /// `error="insufficient_scope"` nor the `scope`, so a client cannot step up.
    pub omit_insufficient_scope: bool,
    /// Keep accepting access tokens after their `exp`.
    pub accept_expired_tokens: bool,
    /// Let an expired access token through the HTTP layer and answer its tool calls with 200
    /// and a tool error, as a server that only passes the token on to another API does
    /// (ms-365-mcp-server#406): a client never sees the 401 that would make it refresh.
    pub expired_token_tool_error: bool,
    /// Read the `Authorization` header the way a `header.split(" ")[1]` parser does: the
    /// second word is the token whatever the scheme (`Token <t>`, or `Bearer <t> <u>`, is
    /// accepted), and a header with no second word (`Bearer`) crashes the handler: 500.
    pub lenient_authorization: bool,
    /// Ask the authorization server (RFC 7662 introspection) whether each verified access
    /// token is still active, so a token revoked at the RFC 7009 endpoint is refused at once.
    pub introspect_tokens: bool,
    /// Serve the protected-resource metadata at `/.well-known/oauth-protected-resource`
    /// followed by any path (and at the root), always naming the same `resource`, whatever
    /// path it was asked for (exa-mcp-server#387). Needs `metadata-location = "path-inserted"`.
    pub metadata_for_every_path: bool,
    /// Accept only DPoP-bound tokens, presented with `Authorization: DPoP` and a proof whose
    /// key is the token's `cnf.jkt`, with the request's `htm` and `htu`, a recent `iat`, an
    /// unused `jti` and the token's `ath` (RFC 9449 §7). Needs the authorization server's `dpop`.
    pub require_dpop: bool,
    /// Whether the MCP server demands a DPoP nonce (RFC 9449 §9). Needs `require-dpop`.
    pub dpop_nonce: DpopNonce,
    /// With `require-dpop`: accept a proof whose `jti` was seen before.
    pub accept_replayed_dpop_proofs: bool,
    /// With `require-dpop`: do not compare the proof's `htu` with the request's URL.
    pub skip_dpop_htu_check: bool,
    /// With `require-dpop`: accept a DPoP-bound token under `Bearer`, without a proof.
    pub accept_dpop_tokens_as_bearer: bool,
    /// Reach the MCP server over https, through a TLS-terminating proxy in front of it: the
    /// URL a user pastes is `https://`, and the form says which scheme the server writes in
    /// the URLs it announces (its metadata's `resource`, the challenge's `resource_metadata`,
    /// a co-located issuer). See [`crate::tls_front`].
    pub tls_terminating_proxy: Option<TlsProxy>,
}

/// Where `metadata-location = "custom"` serves the protected-resource metadata by default.
pub const DEFAULT_CUSTOM_METADATA_PATH: &str = "/meta/prm.json";

impl Default for ResourceServerConfig {
    fn default() -> Self {
        Self {
            path: "/mcp".to_owned(),
            metadata_location: PrmLocation::PathInserted,
            custom_metadata_path: None,
            resource_metadata_in_challenge: true,
            resource_in_metadata: ResourceForm::Exact,
            require_audience: false,
            allow_unauthenticated: false,
            required_scope: None,
            scope_required_for: Vec::new(),
            challenge_scope: None,
            alternate_authorization_server: false,
            www_authenticate: true,
            insufficient_scope_challenge: InsufficientScopeChallenge::Required,
            authorization_server_in_metadata: AuthorizationServerForm::Exact,
            unauthenticated_challenge: ChallengeForm::Standard,
            unknown_path_answer: UnknownPathAnswer::Empty404,
            redirect_to_trailing_slash: false,
            cors_expose_www_authenticate: true,
            unauthenticated_methods: Vec::new(),
            bearer_scheme: BearerScheme::AnyCase,
            refuse_all_tokens: false,
            audience_form: AudienceForm::Resource,
            accept_alg_none: false,
            skip_signature_check: false,
            skip_audience_check: false,
            accept_query_tokens: false,
            expired_token_tool_error: false,
            refuse_lowercase_scheme: false,
            omit_insufficient_scope: false,
            accept_expired_tokens: false,
            lenient_authorization: false,
            introspect_tokens: false,
            metadata_for_every_path: false,
            require_dpop: false,
            dpop_nonce: DpopNonce::None,
            accept_replayed_dpop_proofs: false,
            skip_dpop_htu_check: false,
            accept_dpop_tokens_as_bearer: false,
            tls_terminating_proxy: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_table_is_a_conformant_server() {
        let config: MockConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(config, MockConfig::default());
        assert!(config.authorization_server.dynamic_registration);
        assert_eq!(config.resource_server.path, "/mcp");
    }

    #[test]
    fn unknown_knobs_are_refused() {
        let err = serde_json::from_str::<MockConfig>(
            r#"{"authorization-server": {"dynamic-registraton": false}}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("dynamic-registraton"), "{err}");
    }
}
