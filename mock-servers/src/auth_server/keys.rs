//! The authorization server's signing key: a fresh Ed25519 key per server, so access tokens are
//! real signed JWTs that the resource server (or anyone reading the JWKS) can verify.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde_json::{Value, json};

pub const KEY_ID: &str = "mock-as-key-1";
pub const ALGORITHM: Algorithm = Algorithm::EdDSA;

#[derive(Clone)]
pub struct SigningKeys {
    pub(crate) encoding: EncodingKey,
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
        let der = signing
            .to_pkcs8_der()
            .map_err(|e| format!("cannot encode the signing key: {e}"))?;
        let public_x = URL_SAFE_NO_PAD.encode(signing.verifying_key().as_bytes());
        let decoding = DecodingKey::from_ed_components(&public_x)
            .map_err(|e| format!("cannot build the verification key: {e}"))?;
        Ok(Self {
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            decoding,
            public_x,
        })
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
