//! The authorization server's signing key: a fresh Ed25519 key per server, so access tokens are
//! real signed JWTs that the resource server (or anyone reading the JWKS) can verify.

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Header};
use serde::Serialize;
use serde_json::{Value, json};

pub const KEY_ID: &str = "mock-as-key-1";
pub const ALGORITHM: Algorithm = Algorithm::EdDSA;

#[derive(Clone)]
pub struct SigningKeys {
    /// Kept expanded: `jsonwebtoken::encode` would decode and expand the key (a hash and a
    /// scalar multiplication) for every token it signs.
    signing: Ed25519KeyPair,
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
        // The seed comes from the OS: aws-lc's own generator seeds itself from CPU jitter at
        // first use, which costs every process about 70 ms. Ed25519 signing needs no more
        // randomness than the seed.
        let mut seed = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
        let signing = Ed25519KeyPair::from_seed_unchecked(&seed)
            .map_err(|e| format!("cannot make the signing key: {e}"))?;
        let public_x = URL_SAFE_NO_PAD.encode(signing.public_key().as_ref());
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
        let signature = self
            .signing
            .try_sign(message.as_bytes())
            .map_err(|_| "cannot sign the token".to_owned())?;
        Ok(format!(
            "{message}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
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
