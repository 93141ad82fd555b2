//! PKCE as the client flow makes it (the `oauth2` crate's S256 pair, which
//! `flow::authorization` uses): the verifier's charset and length (RFC 7636 §4.1) and the S256
//! transform against the RFC 7636 Appendix B vector and an independent SHA-256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth2::{PkceCodeChallenge, PkceCodeVerifier};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

#[test]
fn s256_matches_rfc7636_appendix_b() {
    let verifier = PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
    let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
    assert_eq!(
        challenge.as_str(),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    assert_eq!(challenge.method().as_str(), "S256");
}

#[test]
fn generated_verifiers_are_unreserved_43_to_128_characters_and_unique() {
    let mut seen = std::collections::HashSet::new();
    for _ in 0..200 {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let secret = verifier.secret();
        assert!(
            (43..=128).contains(&secret.len()),
            "length {}",
            secret.len()
        );
        assert!(secret.chars().all(is_unreserved), "charset");
        assert_eq!(challenge.method().as_str(), "S256");
        assert_eq!(
            challenge.as_str(),
            URL_SAFE_NO_PAD.encode(Sha256::digest(secret.as_bytes()))
        );
        assert!(seen.insert(secret.clone()), "a verifier repeated");
        // The challenge is not the verifier: S256, never plain.
        assert_ne!(challenge.as_str(), secret);
    }
}

proptest! {
    #[test]
    fn s256_is_base64url_of_sha256_for_any_valid_verifier(verifier in "[A-Za-z0-9._~-]{43,128}") {
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier.clone()));
        prop_assert_eq!(challenge.as_str().len(), 43);
        prop_assert!(challenge.as_str().chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        prop_assert_eq!(challenge.as_str(), URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())));
    }

    #[test]
    fn random_verifiers_of_any_allowed_length_keep_the_charset(bytes in 32u32..=96) {
        let (_, verifier) = PkceCodeChallenge::new_random_sha256_len(bytes);
        let secret = verifier.secret();
        prop_assert!((43..=128).contains(&secret.len()), "length {}", secret.len());
        prop_assert!(secret.chars().all(is_unreserved));
    }
}
