//! Forged copies of a real access token: altered, unsigned (`alg: none`), and re-signed with
//! a key the server never saw. Nothing here verifies anything; it only builds what a careless
//! server would accept.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::Signer;
use serde_json::{Value, json};

/// A JWT in compact serialization, its header and payload decoded.
#[derive(Debug, Clone)]
pub(super) struct Jwt {
    pub header: Value,
    pub payload: Value,
    encoded_payload: String,
    signature: Vec<u8>,
}

impl Jwt {
    /// `None` for anything but three base64url segments whose first two are JSON objects and
    /// whose header names an `alg`.
    pub fn parse(token: &str) -> Option<Self> {
        let mut parts = token.split('.');
        let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let decode = |part: &str| -> Option<Value> {
            let value: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()?;
            value.is_object().then_some(value)
        };
        let header_json = decode(header)?;
        header_json.get("alg")?.as_str()?;
        Some(Self {
            header: header_json,
            payload: decode(payload)?,
            encoded_payload: payload.to_owned(),
            signature: URL_SAFE_NO_PAD.decode(signature).ok()?,
        })
    }

    pub fn alg(&self) -> &str {
        self.header.get("alg").and_then(Value::as_str).unwrap_or("")
    }

    /// The same header and claims with `alg: none` and an empty signature (RFC 7519 §6.1).
    pub fn unsigned(&self) -> String {
        let mut header = self.header.clone();
        header["alg"] = json!("none");
        format!("{}.{}.", encode(&header), self.encoded_payload)
    }

    /// The same claims (and `kid`) signed EdDSA with a key made here and now.
    pub fn signed_by_unknown_key(&self) -> String {
        let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
        let mut header = self.header.clone();
        header["alg"] = json!("EdDSA");
        let input = format!("{}.{}", encode(&header), self.encoded_payload);
        let signature = key.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }
}

fn encode(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string().as_bytes())
}

/// The token with its signature altered (a JWT: the first signature byte flipped, so the
/// bytes differ, not only base64 padding bits) or, for an opaque token, its last characters.
pub(super) fn altered(token: &str) -> String {
    if let Some(jwt) = Jwt::parse(token)
        && !jwt.signature.is_empty()
        && let Some((input, _)) = token.rsplit_once('.')
    {
        let mut signature = jwt.signature.clone();
        signature[0] ^= 0x01;
        return format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature));
    }
    let chars: Vec<char> = token.chars().collect();
    let keep = chars.len().saturating_sub(4);
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| if i < keep { c } else { next_char(c) })
        .collect()
}

/// Another character of the same class, so the altered token keeps its alphabet.
fn next_char(c: char) -> char {
    match c {
        'a'..='y' | 'A'..='Y' | '0'..='8' => char::from_u32(c as u32 + 1).unwrap_or('x'),
        'z' => 'a',
        'Z' => 'A',
        '9' => '0',
        _ => 'x',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> String {
        let header = encode(&json!({ "alg": "EdDSA", "kid": "k1", "typ": "JWT" }));
        let payload = encode(&json!({ "iss": "https://as.example", "aud": "https://rs.example" }));
        format!("{header}.{payload}.{}", URL_SAFE_NO_PAD.encode([7u8; 64]))
    }

    #[test]
    fn only_three_segments_of_json_with_an_alg_are_a_jwt() {
        assert!(Jwt::parse(&sample()).is_some());
        assert!(Jwt::parse("opaque-token").is_none());
        assert!(Jwt::parse("a.b.c").is_none());
        assert!(Jwt::parse(&format!("{}.extra", sample())).is_none());
    }

    #[test]
    fn forged_copies_keep_the_claims_and_change_what_they_must() {
        let token = sample();
        let jwt = Jwt::parse(&token).unwrap();
        let unsigned = Jwt::parse(&jwt.unsigned()).unwrap();
        assert_eq!(unsigned.alg(), "none");
        assert!(jwt.unsigned().ends_with('.'));
        assert_eq!(unsigned.payload, jwt.payload);
        let resigned = Jwt::parse(&jwt.signed_by_unknown_key()).unwrap();
        assert_eq!(resigned.header["kid"], "k1");
        assert_eq!(resigned.payload, jwt.payload);
        assert_ne!(resigned.signature, jwt.signature);
    }

    #[test]
    fn an_altered_token_differs_in_its_bytes() {
        let token = sample();
        let altered_jwt = altered(&token);
        assert_ne!(altered_jwt, token);
        assert_ne!(
            Jwt::parse(&altered_jwt).unwrap().signature,
            Jwt::parse(&token).unwrap().signature
        );
        assert_eq!(altered("abcd1234"), "abcd2345");
        assert_eq!(altered("xyz9"), "yza0");
        assert_ne!(altered("ab"), "ab");
        assert_eq!(altered(""), "");
    }
}
