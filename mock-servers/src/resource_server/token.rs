//! Access-token validation of the bearer layer: signature, issuer, expiry and audience, each
//! with a knob that turns it off the way real servers get it wrong.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Validation;
use serde::Deserialize;

use super::ResourceServer;
use crate::auth_server::keys::ALGORITHM;
use crate::config::AudienceForm;

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Claims {
    iss: String,
    pub(super) exp: u64,
    #[serde(default)]
    aud: Option<String>,
    #[serde(default)]
    pub(super) scope: Option<String>,
    /// RFC 9449 §6: the DPoP key the token is bound to.
    #[serde(default)]
    pub(super) cnf: Option<Confirmation>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Confirmation {
    #[serde(default)]
    pub(super) jkt: Option<String>,
}

/// The token's claims when this server accepts it, else why not (for `error_description`).
pub(super) fn verify(server: &ResourceServer, token: &str) -> Result<Claims, &'static str> {
    let config = server.config();
    let verified = &server.inner.verified;
    let generation = verified.generation();
    let trust = server.trust();
    let issued_elsewhere = "the access token was issued by another authorization server";
    let malformed = "the access token is malformed or its signature is invalid";
    // A remembered token had its signature checked, so its `alg` is not `none`: the header is
    // read only for a token seen first, and only by a server that accepts unsigned ones.
    let unsigned = || unverified_header_alg(token).as_deref() == Some("none");
    let insecure =
        || jsonwebtoken::dangerous::insecure_decode_claims::<Claims>(token).map_err(|_| malformed);
    let claims = if config.skip_signature_check {
        insecure()?
    } else if let Some(claims) = verified.get(token) {
        claims
    } else if config.accept_alg_none && unsigned() {
        insecure()?
    } else {
        let mut validation = Validation::new(ALGORITHM);
        // Expiry and audience are checked against the shared (possibly simulated) clock below.
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        match jsonwebtoken::decode::<Claims>(token, &trust.key, &validation) {
            Ok(data) => {
                verified.remember(generation, token, &data.claims);
                data.claims
            }
            // Signed by a key this server does not trust, but naming an issuer: say which
            // problem it is, as a server that knows its authorization server would.
            Err(_) if unverified_issuer(token).is_some_and(|iss| iss != trust.issuer) => {
                return Err(issued_elsewhere);
            }
            Err(_) => return Err(malformed),
        }
    };
    if claims.iss != trust.issuer {
        return Err(issued_elsewhere);
    }
    if !config.accept_expired_tokens
        && !config.expired_token_tool_error
        && claims.exp <= server.inner.clock.unix_seconds()
    {
        return Err("the access token expired");
    }
    if !config.skip_audience_check {
        let ours = |aud: &str| match config.audience_form {
            AudienceForm::Resource => aud == server.url() || aud == server.announced_resource(),
            AudienceForm::Origin => aud == server.origin(),
        };
        match claims.aud.as_deref() {
            Some(aud) if !ours(aud) => {
                return Err("the access token is not meant for this resource (aud)");
            }
            None if config.require_audience => {
                return Err("the access token is not meant for this resource (aud)");
            }
            _ => {}
        }
    }
    Ok(claims)
}

fn unverified_part(token: &str, index: usize) -> Option<serde_json::Value> {
    let part = token.split('.').nth(index)?;
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The `alg` of a JWT header, read without verifying anything.
fn unverified_header_alg(token: &str) -> Option<String> {
    unverified_part(token, 0)?
        .get("alg")?
        .as_str()
        .map(str::to_owned)
}

/// The `iss` of a JWT, read without verifying it (only to word an error).
fn unverified_issuer(token: &str) -> Option<String> {
    unverified_part(token, 1)?
        .get("iss")?
        .as_str()
        .map(str::to_owned)
}
