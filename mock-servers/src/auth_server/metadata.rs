use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::AuthServer;
use crate::config::{AsMetadataLocation, IssuerForm};

/// The `issuer` the metadata gives (`issuer-in-metadata`), `None` when it gives none. The
/// callback's RFC 9207 `iss` names the same value, so that a server whose metadata is off is
/// at least consistent with itself.
pub(super) fn advertised_issuer(server: &AuthServer) -> Option<String> {
    match server.config().issuer_in_metadata {
        IssuerForm::Exact => Some(server.issuer()),
        IssuerForm::TrailingSlash => Some(format!("{}/", server.issuer())),
        IssuerForm::DropPath => Some(server.origin().to_owned()),
        IssuerForm::OtherHost => Some(server.issuer().replacen("127.0.0.1", "localhost", 1)),
        IssuerForm::ExtraPath => Some(format!("{}/oauth2", server.issuer())),
        IssuerForm::Omitted => None,
    }
}

/// RFC 8414 §2 metadata (OpenID Connect Discovery 1.0 §3 metadata when served at an
/// `openid-configuration` location).
pub async fn metadata(State(server): State<AuthServer>) -> Json<Value> {
    let config = server.config();
    let issuer = advertised_issuer(&server);
    let mut metadata = json!({
        "issuer": null,
        "authorization_endpoint": server.authorization_endpoint(),
        "token_endpoint": server.endpoint("token"),
        "revocation_endpoint": server.endpoint("revoke"),
        "introspection_endpoint": server.endpoint("introspect"),
        "jwks_uri": server.endpoint("jwks"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported":
            config.token_endpoint_auth_methods.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        "revocation_endpoint_auth_methods_supported":
            config.token_endpoint_auth_methods.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic"],
        "scopes_supported": config.scopes_supported,
    });
    if let Value::Object(fields) = &mut metadata {
        if !config.revocation_endpoint {
            fields.remove("revocation_endpoint");
            fields.remove("revocation_endpoint_auth_methods_supported");
        }
        match issuer {
            Some(issuer) => fields.insert("issuer".into(), json!(issuer)),
            None => fields.remove("issuer"),
        };
        if config.advertise_iss_parameter {
            fields.insert(
                "authorization_response_iss_parameter_supported".into(),
                json!(true),
            );
        }
        if !config.code_challenge_methods.is_empty() {
            fields.insert(
                "code_challenge_methods_supported".into(),
                json!(config.code_challenge_methods),
            );
        }
        if config.dynamic_registration {
            fields.insert(
                "registration_endpoint".into(),
                json!(server.endpoint("register")),
            );
        }
        let mut grants = vec!["authorization_code", "refresh_token"];
        if config.client_credentials {
            grants.push("client_credentials");
        }
        if config.jwt_bearer {
            grants.push("urn:ietf:params:oauth:grant-type:jwt-bearer");
        }
        fields.insert("grant_types_supported".into(), json!(grants));
        if config
            .token_endpoint_auth_methods
            .contains(&crate::config::TokenEndpointAuthMethod::PrivateKeyJwt)
        {
            fields.insert(
                "token_endpoint_auth_signing_alg_values_supported".into(),
                json!(["EdDSA"]),
            );
        }
        if config.dpop {
            fields.insert(
                "dpop_signing_alg_values_supported".into(),
                json!(crate::dpop::ALGORITHMS),
            );
        }
        if config.client_id_metadata_documents {
            fields.insert("client_id_metadata_document_supported".into(), json!(true));
        }
        if !matches!(
            config.metadata_location,
            AsMetadataLocation::Oauth | AsMetadataLocation::Root
        ) {
            // Required by OpenID Connect Discovery 1.0 §3.
            fields.insert("subject_types_supported".into(), json!(["public"]));
            fields.insert(
                "id_token_signing_alg_values_supported".into(),
                json!(["EdDSA"]),
            );
        }
    }
    Json(metadata)
}

pub async fn jwks(State(server): State<AuthServer>) -> Json<Value> {
    Json(server.keys().jwks())
}
