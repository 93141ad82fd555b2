//! The knobs that make the mocks misbehave on request.
//!
//! Every knob deserializes straight from a scenario file's `[mocks.*]` tables (kebab-case keys,
//! unknown keys refused), and every default describes a conformant server, so a scenario only
//! names what is wrong with the server it describes.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct MockConfig {
    pub authorization_server: AuthServerConfig,
    pub resource_server: ResourceServerConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct AuthServerConfig {
    /// A path under the origin that is part of the issuer identifier (`/tenant-a`), or empty.
    pub issuer_path: String,
    /// Serve RFC 8414 metadata at all.
    pub metadata: bool,
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
    /// What the (headless) person at the consent screen does.
    pub consent: Consent,
    /// Seconds an authorization code stays redeemable.
    pub code_lifetime_secs: u64,
    pub access_token_lifetime_secs: u64,
    pub issue_refresh_tokens: bool,
    /// Issue a new refresh token on every refresh; a reused old one revokes the whole family.
    pub rotate_refresh_tokens: bool,
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
}

impl Default for AuthServerConfig {
    fn default() -> Self {
        Self {
            issuer_path: String::new(),
            metadata: true,
            issuer_in_metadata: IssuerForm::Exact,
            dynamic_registration: true,
            registration_error: None,
            clients: Vec::new(),
            token_endpoint_auth_methods: vec![TokenEndpointAuthMethod::None],
            code_challenge_methods: vec!["S256".to_owned()],
            require_audience: false,
            iss_parameter: IssParameter::Correct,
            consent: Consent::Approve,
            code_lifetime_secs: 60,
            access_token_lifetime_secs: 3600,
            issue_refresh_tokens: true,
            rotate_refresh_tokens: false,
            refresh_unavailable_count: 0,
            scopes_supported: vec!["mcp:tools".to_owned()],
            open_redirect: false,
            accept_fragment_redirect_uris: false,
            invalid_refresh_token_unavailable: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IssuerForm {
    Exact,
    /// The issuer identifier with a `/` appended.
    TrailingSlash,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenEndpointAuthMethod {
    None,
    ClientSecretBasic,
    ClientSecretPost,
}

impl TokenEndpointAuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenEndpointAuthMethod::None => "none",
            TokenEndpointAuthMethod::ClientSecretBasic => "client_secret_basic",
            TokenEndpointAuthMethod::ClientSecretPost => "client_secret_post",
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
    /// Put `resource_metadata` in the 401 challenge.
    pub resource_metadata_in_challenge: bool,
    /// How the `resource` in the metadata relates to the MCP endpoint URL.
    pub resource_in_metadata: ResourceForm,
    /// Accept only access tokens whose `aud` is this resource.
    pub require_audience: bool,
    /// Answer MCP requests without any token (a misconfigured server).
    pub allow_unauthenticated: bool,
}

impl Default for ResourceServerConfig {
    fn default() -> Self {
        Self {
            path: "/mcp".to_owned(),
            metadata_location: PrmLocation::PathInserted,
            resource_metadata_in_challenge: true,
            resource_in_metadata: ResourceForm::Exact,
            require_audience: false,
            allow_unauthenticated: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrmLocation {
    /// `/.well-known/oauth-protected-resource/<path>` (RFC 9728 §3.1).
    PathInserted,
    /// `/.well-known/oauth-protected-resource` at the origin only.
    Root,
    /// Nowhere.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceForm {
    Exact,
    /// The endpoint URL with a `/` appended.
    TrailingSlash,
    /// The same path on another host.
    OtherHost,
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
