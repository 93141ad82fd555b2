//! The authorization server's signing key: a fresh Ed25519 key per server, so access tokens are
//! real signed JWTs that the resource server (or anyone reading the JWKS) can verify.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer, SigningKey};
use jsonwebtoken::{Algorithm, DecodingKey, Header};
use serde::Serialize;
use serde_json::{Value, json};

pub const KEY_ID: &str = "mock-as-key-1";
pub const ALGORITHM: Algorithm = Algorithm::EdDSA;

#[derive(Clone)]
pub struct SigningKeys {
    /// Kept expanded: `jsonwebtoken::encode` would decode and expand the key (a hash and a
    /// scalar multiplication) for every token it signs.
    signing: SigningKey,
    pub(crate) decoding: DecodingKey,
    public_x: String,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeys")
            .field("kid", &KEY_ID)
            .field("x", &self.public_x)
            .finish_non_exhaustive()
    }
}

impl SigningKeys {
    pub fn generate() -> Result<Self, String> {
        let signing = SigningKey::generate(&mut rand::rngs::OsRng);
        let public_x = URL_SAFE_NO_PAD.encode(signing.verifying_key().as_bytes());
        let decoding = DecodingKey::from_ed_components(&public_x)
            .map_err(|e| format!("cannot build the verification key: {e}"))?;
        Ok(Self {
            signing,
            decoding,
            public_x,
        })
    }

    /// A compact JWS of `claims` under `header` (whose `alg` must be EdDSA), as
    /// `jsonwebtoken::encode` writes it: base64url(JSON header) "." base64url(JSON claims) "."
    /// base64url(signature).
    pub fn sign(&self, header: &Header, claims: &impl Serialize) -> Result<String, String> {
        if header.alg != ALGORITHM {
            return Err(format!(
                "this key signs {ALGORITHM:?}, not {:?}",
                header.alg
            ));
        }
        let message = format!("{}.{}", encoded_part(header)?, encoded_part(claims)?);
        let signature = self.signing.sign(message.as_bytes());
        Ok(format!(
            "{message}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        ))
    }

    /// The key the resource server verifies access tokens with.
    pub fn decoding_key(&self) -> DecodingKey {
        self.decoding.clone()
    }

    /// The RFC 7517 key set served at `jwks_uri`.
    pub fn jwks(&self) -> Value {
        json!({
            "keys": [{
                "kty": "OKP",
                "crv": "Ed25519",
                "alg": "EdDSA",
                "use": "sig",
                "kid": KEY_ID,
                "x": self.public_x,
            }]
        })
    }
}

/// One base64url-encoded JSON part of a JWS.
fn encoded_part(value: &impl Serialize) -> Result<String, String> {
    let json = serde_json::to_vec(value).map_err(|e| format!("cannot encode a JWT part: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}
