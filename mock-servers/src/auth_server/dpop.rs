//! DPoP at the token endpoint (RFC 9449 §5, §8): a request with a valid proof gets a token
//! bound to the proof's key; an invalid or replayed proof is `invalid_dpop_proof`; a proof
//! without the nonce demanded is `use_dpop_nonce` with the nonce in `DPoP-Nonce`.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AuthServer;
use crate::dpop::{self, Expected};

/// The key thumbprint a token of this request is bound to (`None`: a Bearer token), or the
/// answer refusing the proof.
pub(super) fn binding(
    server: &AuthServer,
    headers: &HeaderMap,
) -> Result<Option<String>, Box<Response>> {
    let config = server.config();
    if !config.dpop {
        return Ok(None);
    }
    let proof = match dpop::header(headers) {
        Ok(Some(proof)) => proof,
        Ok(None) => return Ok(None),
        Err(why) => return Err(Box::new(invalid(why))),
    };
    let endpoint = server.endpoint("token");
    let expected = Expected {
        method: "POST",
        url: &endpoint,
        access_token: None,
        now: server.now(),
        check_htu: true,
    };
    let verified = dpop::verify(proof, &expected).map_err(|why| Box::new(invalid(&why)))?;
    if !server.inner.dpop.replay.first_use(&verified.jti) {
        let why = "the DPoP proof was used before (its jti is not new)";
        return Err(Box::new(invalid(why)));
    }
    if let Some(nonce) =
        server
            .inner
            .dpop
            .nonce_demand(config.dpop_nonce, "as-nonce", verified.nonce.as_deref())
    {
        let body = json!({
            "error": "use_dpop_nonce",
            "error_description": "the authorization server requires a DPoP nonce in the proof",
        });
        let mut response = (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
        if let Ok(value) = HeaderValue::from_str(&nonce) {
            response.headers_mut().insert("dpop-nonce", value);
        }
        return Err(Box::new(response));
    }
    Ok(Some(verified.jkt))
}

fn invalid(why: &str) -> Response {
    let body = json!({ "error": "invalid_dpop_proof", "error_description": why });
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}
