//! RFC 7523 §2.2 client assertions (`private_key_jwt`, OpenID Connect Core §9): a short-lived
//! JWT signed with the client's private key, `iss` and `sub` its Client ID, `aud` the
//! authorization server's issuer, and a fresh `jti` each time.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, AlgorithmFamily, EncodingKey, Header};
use oauth2::ClientSecret;
use serde::Serialize;

/// How long a signed assertion is good for: RFC 7523 §3 asks for a short expiry.
pub const LIFETIME_SECS: u64 = 300;

/// The client's private key for its assertions. The PEM is kept as a secret (its `Debug`
/// redacts).
#[derive(Debug, Clone)]
pub struct SigningKey {
    pem: ClientSecret,
    algorithm: Algorithm,
}

impl SigningKey {
    /// A PKCS#8 PEM private key and the JWS algorithm name it signs with (`ES256`, `ES384`,
    /// `RS256`, `PS256`, `EdDSA`, ...). Errors say what is wrong, never the key.
    pub fn from_pem(pem: &str, algorithm: &str) -> Result<Self, String> {
        let algorithm: Algorithm = algorithm
            .parse()
            .map_err(|_| format!("{algorithm:?} is not a JWS signing algorithm name"))?;
        if matches!(
            algorithm,
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
        ) {
            return Err("an HMAC algorithm needs a shared secret, not a private key".to_owned());
        }
        let key = Self {
            pem: ClientSecret::new(pem.to_owned()),
            algorithm,
        };
        // Signing once names a key the signing library refuses (aws-lc takes RSA keys of 2048
        // to 8192 bits only) when it is given, not at the first assertion.
        jsonwebtoken::encode(&Header::new(algorithm), &(), &key.encoding_key()?).map_err(|e| {
            let sizes = match algorithm.family() {
                AlgorithmFamily::Rsa => " (RSA keys must be 2048 to 8192 bits)",
                _ => "",
            };
            format!("the private key cannot sign {algorithm:?}: {e}{sizes}")
        })?;
        Ok(key)
    }

    pub fn algorithm_name(&self) -> String {
        format!("{:?}", self.algorithm)
    }

    /// The PEM text, for the redactor.
    pub fn pem(&self) -> &str {
        self.pem.secret()
    }

    fn encoding_key(&self) -> Result<EncodingKey, String> {
        let pem = self.pem.secret().as_bytes();
        let key = match self.algorithm.family() {
            AlgorithmFamily::Ec => EncodingKey::from_ec_pem(pem),
            AlgorithmFamily::Ed => EncodingKey::from_ed_pem(pem),
            _ => EncodingKey::from_rsa_pem(pem),
        };
        key.map_err(|e| {
            format!(
                "the private key is not a PEM key for {:?}: {e}",
                self.algorithm
            )
        })
    }
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
    jti: String,
}

/// A signed assertion for `client_id` addressed to `audience`, issued at `now`.
pub fn sign(
    key: &SigningKey,
    client_id: &str,
    audience: &str,
    now: SystemTime,
) -> Result<String, String> {
    let iat = now
        .duration_since(UNIX_EPOCH)
        .map_err(|_| "the clock is before 1970".to_owned())?
        .as_secs();
    let claims = AssertionClaims {
        iss: client_id,
        sub: client_id,
        aud: audience,
        iat,
        exp: iat + LIFETIME_SECS,
        jti: random_jti(),
    };
    jsonwebtoken::encode(&Header::new(key.algorithm), &claims, &key.encoding_key()?)
        .map_err(|e| format!("signing failed: {e}"))
}

fn random_jti() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    const ED25519_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIC90xminbg0hcFga8aoj0fUaY8/VdqaXIQRVC89qmz71\n-----END PRIVATE KEY-----\n";

    #[test]
    fn an_assertion_names_the_client_and_the_audience() {
        let key = SigningKey::from_pem(ED25519_PEM, "EdDSA").expect("key");
        let now = UNIX_EPOCH + std::time::Duration::from_secs(1_767_225_600);
        let jwt = sign(&key, "app", "http://127.0.0.1:1", now).expect("signed");
        let header = jsonwebtoken::decode_header(&jwt).expect("header");
        assert_eq!(header.alg, Algorithm::EdDSA);
        use base64::Engine;
        use ed25519_dalek::pkcs8::DecodePrivateKey;
        let public = ed25519_dalek::SigningKey::from_pkcs8_pem(ED25519_PEM)
            .expect("pkcs8")
            .verifying_key();
        let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(public.as_bytes());
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.validate_exp = false;
        validation.set_audience(&["http://127.0.0.1:1"]);
        let claims = jsonwebtoken::decode::<serde_json::Value>(
            &jwt,
            &DecodingKey::from_ed_components(&x).expect("public key"),
            &validation,
        )
        .expect("claims")
        .claims;
        assert_eq!(claims["iss"], "app");
        assert_eq!(claims["sub"], "app");
        assert_eq!(claims["exp"], 1_767_225_600 + LIFETIME_SECS);
        let again = sign(&key, "app", "http://127.0.0.1:1", now).expect("signed");
        assert_ne!(jwt, again, "each assertion has its own jti");
    }

    const P256_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgN/HQNQl2Mqeb7mr1\nVmEDvBz/Fp7KWAE44xkDU9hje+GhRANCAATTJ7cyegbFrsnuyzuM2E13r/h3jLya\nUNsrN8gPzVaAAVKpCJJwX3/ZYFN0mN8UMRoDeG7puiRJgeT6qa0zd/Xn\n-----END PRIVATE KEY-----\n";

    #[test]
    fn es256_keys_sign_as_the_conformance_suite_hands_them_out() {
        let key = SigningKey::from_pem(P256_PEM, "ES256").expect("key");
        let jwt = sign(&key, "app", "http://127.0.0.1:1", SystemTime::now()).expect("signed");
        assert_eq!(
            jsonwebtoken::decode_header(&jwt).expect("header").alg,
            Algorithm::ES256
        );
    }

    /// The RSA keys in testdata/ were made for these tests alone (`openssl genpkey`).
    #[test]
    fn rsa_keys_sign_and_short_ones_are_refused_when_given() {
        let key = SigningKey::from_pem(include_str!("testdata/rsa-2048.pem"), "RS256")
            .expect("a 2048-bit key");
        let jwt = sign(&key, "app", "http://127.0.0.1:1", SystemTime::now()).expect("signed");
        assert_eq!(
            jsonwebtoken::decode_header(&jwt).expect("header").alg,
            Algorithm::RS256
        );
        let short = include_str!("testdata/rsa-1024.pem");
        let refused = SigningKey::from_pem(short, "RS256").expect_err("a 1024-bit key");
        assert!(refused.contains("2048 to 8192 bits"), "{refused}");
        let body = short.lines().nth(1).expect("a line of key material");
        assert!(!refused.contains(body), "{refused}");
    }

    #[test]
    fn bad_keys_and_algorithms_are_named_without_the_key() {
        let wrong = SigningKey::from_pem("not a key", "ES256").expect_err("not PEM");
        assert!(wrong.contains("ES256"), "{wrong}");
        assert!(!wrong.contains("not a key"), "{wrong}");
        let hmac = SigningKey::from_pem(ED25519_PEM, "HS256").expect_err("hmac");
        assert!(hmac.contains("HMAC"), "{hmac}");
        let unknown = SigningKey::from_pem(ED25519_PEM, "XX1").expect_err("unknown");
        assert!(unknown.contains("XX1"), "{unknown}");
    }
}
