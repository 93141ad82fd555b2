//! Checks a configuration before any server starts, so that a knob's value that cannot be
//! served is reported by name instead of surfacing as a routing panic or a malformed header.

use super::{InsufficientScopeChallenge, IssuerForm, MockConfig, PrmLocation, UnknownPathAnswer};

/// A knob whose value cannot be served, named by its TOML path under `[mocks]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("mocks.{knob}: {message}")]
pub struct ConfigError {
    pub knob: &'static str,
    pub message: String,
}

impl ConfigError {
    pub(super) fn new(knob: &'static str, message: impl Into<String>) -> Self {
        Self {
            knob,
            message: message.into(),
        }
    }
}

pub(super) fn validate(config: &MockConfig) -> Result<(), ConfigError> {
    let auth = &config.authorization_server;
    let resource = &config.resource_server;
    super::numbers::validate(auth)?;
    if !auth.issuer_path.is_empty() {
        route_path("authorization-server.issuer-path", &auth.issuer_path)?;
        if auth.issuer_path.ends_with('/') {
            return Err(ConfigError::new(
                "authorization-server.issuer-path",
                "must not end with \"/\"",
            ));
        }
    }
    if let Some(status) = auth.token_without_resource_status
        && !(400..=599).contains(&status)
    {
        return Err(ConfigError::new(
            "authorization-server.token-without-resource-status",
            "must be an error status, 400 to 599",
        ));
    }
    if let Some(status) = auth.token_error_status
        && !(200..=599).contains(&status)
    {
        return Err(ConfigError::new(
            "authorization-server.token-error-status",
            "must be a final status, 200 to 599",
        ));
    }
    if let Some(status) = auth.registration_failure_status
        && !(400..=599).contains(&status)
    {
        return Err(ConfigError::new(
            "authorization-server.registration-failure-status",
            "must be an error status, 400 to 599",
        ));
    }
    super::dpop_forms::validate(auth, resource)?;
    route_path("resource-server.path", &resource.path)?;
    if let Some(path) = &resource.custom_metadata_path {
        if resource.metadata_location != PrmLocation::Custom {
            return Err(ConfigError::new(
                "resource-server.custom-metadata-path",
                "is only used with metadata-location = \"custom\"",
            ));
        }
        route_path("resource-server.custom-metadata-path", path)?;
        if path == "/" {
            return Err(ConfigError::new(
                "resource-server.custom-metadata-path",
                "must name a path below the origin, not \"/\"",
            ));
        }
        if path.trim_end_matches('/') == resource.path.trim_end_matches('/') {
            return Err(ConfigError::new(
                "resource-server.custom-metadata-path",
                "must differ from the MCP endpoint's path",
            ));
        }
    }
    let points_at_metadata = !matches!(
        resource.unauthenticated_challenge,
        super::ChallengeForm::Standard | super::ChallengeForm::RealmInvalidToken
    );
    if points_at_metadata
        && (resource.metadata_location == PrmLocation::None
            || !resource.resource_metadata_in_challenge)
    {
        return Err(ConfigError::new(
            "resource-server.unauthenticated-challenge",
            "writes resource_metadata, so it needs protected-resource metadata (metadata-location other than \"none\") and resource-metadata-in-challenge",
        ));
    }
    if resource.audience_form != super::AudienceForm::Resource && !resource.require_audience {
        return Err(ConfigError::new(
            "resource-server.audience-form",
            "is only used with require-audience",
        ));
    }
    if let Some(scope) = &resource.required_scope {
        scope_value("resource-server.required-scope", scope)?;
    }
    if let Some(scope) = &resource.challenge_scope {
        scope_value("resource-server.challenge-scope", scope)?;
    }
    if resource.insufficient_scope_challenge != InsufficientScopeChallenge::Required
        && resource.required_scope.is_none()
    {
        return Err(ConfigError::new(
            "resource-server.insufficient-scope-challenge",
            "is only used with required-scope",
        ));
    }
    if auth.issuer_in_metadata == IssuerForm::DropPath && auth.issuer_path.is_empty() {
        return Err(ConfigError::new(
            "authorization-server.issuer-in-metadata",
            "\"drop-path\" needs an issuer-path to drop",
        ));
    }
    let at_origin = resource.path.trim_end_matches('/').is_empty();
    if at_origin && resource.redirect_to_trailing_slash {
        return Err(ConfigError::new(
            "resource-server.redirect-to-trailing-slash",
            "needs a path other than \"/\"",
        ));
    }
    if at_origin && resource.unknown_path_answer != UnknownPathAnswer::Empty404 {
        return Err(ConfigError::new(
            "resource-server.unknown-path-answer",
            "needs a path other than \"/\": a server at the origin answers every path",
        ));
    }
    if !resource.unauthenticated_methods.is_empty() && resource.allow_unauthenticated {
        return Err(ConfigError::new(
            "resource-server.unauthenticated-methods",
            "is pointless with allow-unauthenticated, which opens every method",
        ));
    }
    if let Some(method) = resource
        .unauthenticated_methods
        .iter()
        .find(|m| m.is_empty() || m.contains(char::is_whitespace))
    {
        return Err(ConfigError::new(
            "resource-server.unauthenticated-methods",
            format!("{method:?} is not a JSON-RPC method name"),
        ));
    }
    if !resource.scope_required_for.is_empty() && resource.required_scope.is_none() {
        return Err(ConfigError::new(
            "resource-server.scope-required-for",
            "is only used with required-scope",
        ));
    }
    if let Some(method) = resource
        .scope_required_for
        .iter()
        .find(|m| m.is_empty() || m.contains(char::is_whitespace))
    {
        return Err(ConfigError::new(
            "resource-server.scope-required-for",
            format!("{method:?} is not a JSON-RPC method name"),
        ));
    }
    if resource.omit_insufficient_scope && resource.required_scope.is_none() {
        return Err(ConfigError::new(
            "resource-server.omit-insufficient-scope",
            "is only used with required-scope",
        ));
    }
    if resource.skip_audience_check && resource.require_audience {
        return Err(ConfigError::new(
            "resource-server.skip-audience-check",
            "contradicts require-audience = true",
        ));
    }
    for scope in &auth.withhold_scopes {
        // One token per entry: a space would withhold a scope string no request splits into.
        if scope.contains(' ') {
            return Err(ConfigError::new(
                "authorization-server.withhold-scopes",
                format!("{scope:?} must be a single scope token"),
            ));
        }
        scope_value("authorization-server.withhold-scopes", scope)?;
    }
    audience_quirks(config)?;
    client_knobs(auth)
}

/// The Auth0 and exa knobs: each only makes sense with the settings it changes.
fn audience_quirks(config: &MockConfig) -> Result<(), ConfigError> {
    let auth = &config.authorization_server;
    let resource = &config.resource_server;
    if resource.metadata_for_every_path && resource.metadata_location != PrmLocation::PathInserted {
        return Err(ConfigError::new(
            "resource-server.metadata-for-every-path",
            "needs metadata-location = \"path-inserted\"",
        ));
    }
    if auth.opaque_token_without_audience {
        let contradicted = [
            (
                auth.audience_without_resource.is_some(),
                "audience-without-resource",
            ),
            (auth.refuse_resource, "refuse-resource"),
            (
                auth.token_without_resource_status.is_some(),
                "token-without-resource-status",
            ),
        ];
        if let Some((_, knob)) = contradicted.iter().find(|(set, _)| *set) {
            return Err(ConfigError::new(
                "authorization-server.opaque-token-without-audience",
                format!("ignores `resource`, which contradicts {knob}"),
            ));
        }
    }
    Ok(())
}

/// The client-handling knobs, each of which needs the setting it misbehaves in.
fn client_knobs(auth: &super::AuthServerConfig) -> Result<(), ConfigError> {
    use super::{ClientAuthReading, ForgetRegisteredClients, TokenEndpointAuthMethod};
    let basic = TokenEndpointAuthMethod::ClientSecretBasic;
    if auth.client_auth_reading != ClientAuthReading::Standard
        && !auth.token_endpoint_auth_methods.contains(&basic)
    {
        return Err(ConfigError::new(
            "authorization-server.client-auth-reading",
            "is only used with client_secret_basic in token-endpoint-auth-methods",
        ));
    }
    let assertions = auth
        .token_endpoint_auth_methods
        .contains(&TokenEndpointAuthMethod::PrivateKeyJwt);
    if auth.client_assertion_key != super::ClientAssertionKey::HandedOut && !assertions {
        return Err(ConfigError::new(
            "authorization-server.client-assertion-key",
            "is only used with private_key_jwt in token-endpoint-auth-methods",
        ));
    }
    if auth.client_credentials
        && !auth
            .clients
            .iter()
            .any(|c| c.client_secret.is_some() || assertions)
    {
        return Err(ConfigError::new(
            "authorization-server.client-credentials",
            "needs a pre-registered confidential client in `clients` (a client-secret, or private_key_jwt in token-endpoint-auth-methods)",
        ));
    }
    if auth.token_exchange != super::TokenExchange::Off && !auth.jwt_bearer {
        return Err(ConfigError::new(
            "authorization-server.token-exchange",
            "is only used with jwt-bearer",
        ));
    }
    if auth.workload_token != super::WorkloadToken::Valid && !auth.jwt_bearer {
        return Err(ConfigError::new(
            "authorization-server.workload-token",
            "is only used with jwt-bearer",
        ));
    }
    if auth.forget_registered_clients != ForgetRegisteredClients::Never
        && !auth.dynamic_registration
    {
        return Err(ConfigError::new(
            "authorization-server.forget-registered-clients",
            "is only used with dynamic-registration",
        ));
    }
    Ok(())
}

/// A path the servers can route: absolute, and free of what the router reads as parameters.
fn route_path(knob: &'static str, path: &str) -> Result<(), ConfigError> {
    if !path.starts_with('/') {
        return Err(ConfigError::new(
            knob,
            format!("{path:?} must start with \"/\""),
        ));
    }
    if let Some(c) = path
        .chars()
        .find(|c| matches!(c, '{' | '}' | '*' | '?' | '#') || c.is_whitespace())
    {
        return Err(ConfigError::new(
            knob,
            format!("{path:?} must not contain {c:?}"),
        ));
    }
    Ok(())
}

/// RFC 6749 §3.3: space-delimited tokens of `%x21 / %x23-5B / %x5D-7E`, which also keeps the
/// value safe inside a quoted `WWW-Authenticate` parameter.
fn scope_value(knob: &'static str, scope: &str) -> Result<(), ConfigError> {
    let valid_char = |c: char| matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E');
    let tokens: Vec<&str> = scope.split(' ').collect();
    if tokens
        .iter()
        .any(|t| t.is_empty() || !t.chars().all(valid_char))
    {
        return Err(ConfigError::new(
            knob,
            format!("{scope:?} is not a space-separated list of RFC 6749 scope tokens"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knob_of(config: &MockConfig) -> Option<&'static str> {
        validate(config).err().map(|e| e.knob)
    }

    #[test]
    fn a_token_error_status_is_a_final_status() {
        let mut config = MockConfig::default();
        config.authorization_server.token_error_status = Some(200);
        assert_eq!(knob_of(&config), None);
        config.authorization_server.token_error_status = Some(100);
        assert_eq!(
            knob_of(&config),
            Some("authorization-server.token-error-status")
        );
    }

    #[test]
    fn a_challenge_that_points_at_metadata_needs_metadata_to_point_at() {
        let mut config = MockConfig::default();
        config.resource_server.unauthenticated_challenge =
            super::super::ChallengeForm::SpacedEquals;
        assert_eq!(knob_of(&config), None);
        config.resource_server.metadata_location = PrmLocation::None;
        assert_eq!(
            knob_of(&config),
            Some("resource-server.unauthenticated-challenge")
        );
        config.resource_server.unauthenticated_challenge =
            super::super::ChallengeForm::RealmInvalidToken;
        assert_eq!(knob_of(&config), None);
    }

    #[test]
    fn the_default_configuration_is_valid() {
        assert_eq!(validate(&MockConfig::default()), Ok(()));
    }

    #[test]
    fn paths_must_be_absolute_and_free_of_route_syntax() {
        let mut config = MockConfig::default();
        config.authorization_server.issuer_path = "tenant-a".into();
        assert_eq!(knob_of(&config), Some("authorization-server.issuer-path"));
        config.authorization_server.issuer_path = "/tenant-a/".into();
        assert_eq!(knob_of(&config), Some("authorization-server.issuer-path"));
        config.authorization_server.issuer_path = "/{tenant}".into();
        assert_eq!(knob_of(&config), Some("authorization-server.issuer-path"));
        config.authorization_server.issuer_path = "/tenant-a".into();
        assert_eq!(knob_of(&config), None);

        config.resource_server.path = "mcp".into();
        assert_eq!(knob_of(&config), Some("resource-server.path"));
        config.resource_server.path = "/".into();
        assert_eq!(knob_of(&config), None);
    }

    #[test]
    fn a_custom_metadata_path_needs_the_custom_location_and_its_own_path() {
        let mut config = MockConfig::default();
        config.resource_server.custom_metadata_path = Some("/meta/prm.json".into());
        assert_eq!(
            knob_of(&config),
            Some("resource-server.custom-metadata-path")
        );
        config.resource_server.metadata_location = PrmLocation::Custom;
        assert_eq!(knob_of(&config), None);
        config.resource_server.custom_metadata_path = Some("/mcp".into());
        assert_eq!(
            knob_of(&config),
            Some("resource-server.custom-metadata-path")
        );
    }

    #[test]
    fn scopes_in_challenges_must_be_scope_tokens() {
        let mut config = MockConfig::default();
        config.resource_server.challenge_scope = Some("mcp:tools mcp:admin".into());
        config.resource_server.required_scope = Some("mcp:admin".into());
        assert_eq!(knob_of(&config), None);
        config.resource_server.challenge_scope = Some("mcp:tools  mcp:admin".into());
        assert_eq!(knob_of(&config), Some("resource-server.challenge-scope"));
        config.resource_server.challenge_scope = None;
        config.resource_server.required_scope = Some("a\\b".into());
        assert_eq!(knob_of(&config), Some("resource-server.required-scope"));
        config.resource_server.required_scope = Some(String::new());
        assert_eq!(knob_of(&config), Some("resource-server.required-scope"));
    }

    #[test]
    fn withheld_scopes_are_single_tokens_and_first_missing_needs_a_required_scope() {
        let mut config = MockConfig::default();
        config.authorization_server.withhold_scopes = vec!["mcp:billing".into()];
        assert_eq!(knob_of(&config), None);
        config.authorization_server.withhold_scopes = vec!["mcp:a mcp:b".into()];
        assert_eq!(
            knob_of(&config),
            Some("authorization-server.withhold-scopes")
        );
        config.authorization_server.withhold_scopes = Vec::new();
        config.resource_server.insufficient_scope_challenge =
            InsufficientScopeChallenge::FirstMissing;
        assert_eq!(
            knob_of(&config),
            Some("resource-server.insufficient-scope-challenge")
        );
        config.resource_server.required_scope = Some("mcp:admin mcp:audit".into());
        assert_eq!(knob_of(&config), None);
    }

    #[test]
    fn quirk_knobs_need_the_setting_they_change() {
        let mut config = MockConfig::default();
        config.authorization_server.issuer_in_metadata = IssuerForm::DropPath;
        assert_eq!(
            knob_of(&config),
            Some("authorization-server.issuer-in-metadata")
        );
        config.authorization_server.issuer_path = "/tenant-a".into();
        assert_eq!(knob_of(&config), None);

        let mut config = MockConfig::default();
        config.resource_server.path = "/".into();
        config.resource_server.redirect_to_trailing_slash = true;
        assert_eq!(
            knob_of(&config),
            Some("resource-server.redirect-to-trailing-slash")
        );
        config.resource_server.redirect_to_trailing_slash = false;
        config.resource_server.unknown_path_answer = UnknownPathAnswer::Html200;
        assert_eq!(
            knob_of(&config),
            Some("resource-server.unknown-path-answer")
        );
        config.resource_server.path = "/mcp".into();
        assert_eq!(knob_of(&config), None);

        config.resource_server.unauthenticated_methods = vec!["tools list".into()];
        assert_eq!(
            knob_of(&config),
            Some("resource-server.unauthenticated-methods")
        );
        config.resource_server.unauthenticated_methods = vec!["tools/list".into()];
        assert_eq!(knob_of(&config), None);
        config.resource_server.allow_unauthenticated = true;
        assert_eq!(
            knob_of(&config),
            Some("resource-server.unauthenticated-methods")
        );
    }

    #[test]
    fn the_audience_quirks_need_the_settings_they_change() {
        let mut config = MockConfig::default();
        config.resource_server.metadata_for_every_path = true;
        assert_eq!(knob_of(&config), None);
        config.resource_server.metadata_location = PrmLocation::Root;
        assert_eq!(
            knob_of(&config),
            Some("resource-server.metadata-for-every-path")
        );

        let mut config = MockConfig::default();
        config.authorization_server.opaque_token_without_audience = true;
        assert_eq!(knob_of(&config), None);
        config.authorization_server.refuse_resource = true;
        assert_eq!(
            knob_of(&config),
            Some("authorization-server.opaque-token-without-audience")
        );
    }

    #[test]
    fn token_validation_knobs_that_cannot_apply_are_refused() {
        let mut config = MockConfig::default();
        config.resource_server.omit_insufficient_scope = true;
        assert_eq!(
            knob_of(&config),
            Some("resource-server.omit-insufficient-scope")
        );
        config.resource_server.required_scope = Some("mcp:admin".into());
        assert_eq!(knob_of(&config), None);
        config.resource_server.skip_audience_check = true;
        config.resource_server.require_audience = true;
        assert_eq!(
            knob_of(&config),
            Some("resource-server.skip-audience-check")
        );
    }

    #[test]
    fn client_handling_knobs_need_the_setting_they_misbehave_in() {
        use crate::config::{ClientAuthReading, ForgetRegisteredClients, TokenEndpointAuthMethod};
        let mut config = MockConfig::default();
        config.authorization_server.client_auth_reading = ClientAuthReading::RefuseBoth;
        assert_eq!(
            knob_of(&config),
            Some("authorization-server.client-auth-reading")
        );
        config.authorization_server.token_endpoint_auth_methods =
            vec![TokenEndpointAuthMethod::ClientSecretBasic];
        assert_eq!(knob_of(&config), None);
        config.authorization_server.forget_registered_clients =
            ForgetRegisteredClients::AfterFirstAuthorization;
        config.authorization_server.dynamic_registration = false;
        assert_eq!(
            knob_of(&config),
            Some("authorization-server.forget-registered-clients")
        );
    }

    #[test]
    fn grant_knobs_need_a_client_that_can_use_them() {
        use crate::config::{ClientAssertionKey, PreregisteredClient, TokenEndpointAuthMethod};
        let mut config = MockConfig::default();
        config.authorization_server.client_credentials = true;
        assert_eq!(
            knob_of(&config),
            Some("authorization-server.client-credentials")
        );
        config.authorization_server.clients = vec![PreregisteredClient {
            client_id: "machine".into(),
            client_secret: Some("machine-secret-0123".into()),
            redirect_uris: Vec::new(),
        }];
        assert_eq!(knob_of(&config), None);
        config.authorization_server.client_assertion_key = ClientAssertionKey::Mismatched;
        assert_eq!(
            knob_of(&config),
            Some("authorization-server.client-assertion-key")
        );
        config.authorization_server.token_endpoint_auth_methods =
            vec![TokenEndpointAuthMethod::PrivateKeyJwt];
        assert_eq!(knob_of(&config), None);
        config.authorization_server.workload_token = crate::config::WorkloadToken::Expired;
        assert_eq!(
            knob_of(&config),
            Some("authorization-server.workload-token")
        );
        config.authorization_server.jwt_bearer = true;
        assert_eq!(knob_of(&config), None);
    }
}
