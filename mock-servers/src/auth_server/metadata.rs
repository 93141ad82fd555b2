use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::AuthServer;
use crate::config::{AsMetadataLocation, IssuerForm};

/// RFC 8414 §2 metadata (OpenID Connect Discovery 1.0 §3 metadata when served at an
/// `openid-configuration` location).
pub async fn metadata(State(server): State<AuthServer>) -> Json<Value> {
    let config = server.config();
    let issuer = match config.issuer_in_metadata {
        IssuerForm::Exact => server.issuer(),
        IssuerForm::TrailingSlash => format!("{}/", server.issuer()),
    };
    let mut metadata = json!({
        "issuer": issuer,
        "authorization_endpoint": server.endpoint("authorize"),
        "token_endpoint": server.endpoint("token"),
        "revocation_endpoint": server.endpoint("revoke"),
        "jwks_uri": server.endpoint("jwks"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported":
            config.token_endpoint_auth_methods.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        "revocation_endpoint_auth_methods_supported":
            config.token_endpoint_auth_methods.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        "scopes_supported": config.scopes_supported,
    });
    if let Value::Object(fields) = &mut metadata {
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
        if config.client_id_metadata_documents {
            fields.insert("client_id_metadata_document_supported".into(), json!(true));
        }
        if config.metadata_location != AsMetadataLocation::Oauth {
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
