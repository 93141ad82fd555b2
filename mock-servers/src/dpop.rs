//! DPoP proofs (RFC 9449 §4.3) as both mocks check them: the token endpoint, to bind a token
//! to the proof's key, and the MCP server, to hold a bound token to its proof.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The algorithms the mocks advertise and accept.
pub const ALGORITHMS: &[&str] = &["ES256"];

/// How far a proof's `iat` may be from the server's clock, either way.
pub const IAT_WINDOW_SECS: u64 = 300;

/// What a proof must match.
#[derive(Debug)]
pub struct Expected<'a> {
    pub method: &'a str,
    /// The request's URL without query and fragment.
    pub url: &'a str,
    /// The access token presented with it (resource requests): `ath` must be its hash.
    pub access_token: Option<&'a str>,
    /// The server's clock, in seconds since the epoch.
    pub now: u64,
    /// Compare `htu` with `url` (off only for a lax server).
    pub check_htu: bool,
}

/// A proof that verified: its key's thumbprint, and the nonce it carried.
#[derive(Debug, Clone)]
pub struct Proof {
    pub jkt: String,
    pub jti: String,
    pub nonce: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ProofClaims {
    jti: Option<String>,
    htm: Option<String>,
    htu: Option<String>,
    iat: Option<u64>,
    ath: Option<String>,
    nonce: Option<String>,
}

/// The one `DPoP` header of a request: `Ok(None)` without one, an error for several.
pub fn header(headers: &HeaderMap) -> Result<Option<&str>, &'static str> {
    let mut values = headers.get_all("dpop").iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err("more than one DPoP header");
    }
    first
        .to_str()
        .map(Some)
        .map_err(|_| "the DPoP header is not text")
}

/// Verifies a proof (RFC 9449 §4.3): a `dpop+jwt` signed with an accepted algorithm by the
/// public key in its header, naming this request (`htm`, `htu`), made within the window
/// (`iat`), with a `jti` and, for a resource request, the token's `ath`. Replay and nonce are
/// the caller's.
pub fn verify(proof: &str, expected: &Expected<'_>) -> Result<Proof, String> {
    let header = jsonwebtoken::decode_header(proof)
        .map_err(|_| "the DPoP proof is not a well-formed JWT".to_owned())?;
    if header.typ.as_deref() != Some("dpop+jwt") {
        return Err("the DPoP proof's typ is not dpop+jwt".to_owned());
    }
    if header.alg != Algorithm::ES256 {
        return Err(format!(
            "the DPoP proof is signed with {:?}; this server accepts {}",
            header.alg,
            ALGORITHMS.join(", ")
        ));
    }
    let jwk = header
        .jwk
        .ok_or_else(|| "the DPoP proof has no jwk header".to_owned())?;
    let key = DecodingKey::from_jwk(&jwk)
        .map_err(|_| "the DPoP proof's jwk is not a usable public key".to_owned())?;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<ProofClaims>(proof, &key, &validation)
        .map_err(|_| "the DPoP proof's signature does not verify".to_owned())?
        .claims;
    let jti = claims
        .jti
        .filter(|j| !j.is_empty())
        .ok_or_else(|| "the DPoP proof has no jti".to_owned())?;
    if claims.htm.as_deref() != Some(expected.method) {
        return Err(format!(
            "the DPoP proof's htm is {:?}, not {}",
            claims.htm.unwrap_or_default(),
            expected.method
        ));
    }
    let htu = claims.htu.unwrap_or_default();
    if expected.check_htu
        && (htu.contains(['?', '#']) || normalized(&htu) != normalized(expected.url))
    {
        return Err(format!(
            "the DPoP proof's htu is {htu:?}, not {}",
            expected.url
        ));
    }
    let iat = claims
        .iat
        .ok_or_else(|| "the DPoP proof has no iat".to_owned())?;
    if iat.abs_diff(expected.now) > IAT_WINDOW_SECS {
        return Err(format!(
            "the DPoP proof's iat is {} s from this server's clock (at most {IAT_WINDOW_SECS} s)",
            iat.abs_diff(expected.now)
        ));
    }
    if let Some(token) = expected.access_token {
        let hash = URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()));
        if claims.ath.as_deref() != Some(hash.as_str()) {
            return Err(
                "the DPoP proof's ath is not the hash of the access token presented".to_owned(),
            );
        }
    }
    let jkt = jwk
        .thumbprint(ThumbprintHash::SHA256)
        .map_err(|_| "the DPoP proof's jwk has no thumbprint".to_owned())?;
    Ok(Proof {
        jkt,
        jti,
        nonce: claims.nonce,
    })
}

/// A URL compared as RFC 9449 §4.3 says (scheme and host case-insensitive): parsed, without
/// query and fragment; text that does not parse compares as written.
fn normalized(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            parsed.set_query(None);
            parsed.set_fragment(None);
            parsed.to_string()
        }
        Err(_) => url.to_owned(),
    }
}

/// The `jti`s a server has seen: a proof used twice is refused (RFC 9449 §11.1).
#[derive(Debug, Default)]
pub struct Replay(Mutex<HashSet<String>>);

impl Replay {
    /// True the first time a `jti` is seen.
    pub fn first_use(&self, jti: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(jti.to_owned())
    }
}

/// What one server keeps for DPoP: the `jti`s it has seen and its nonce.
#[derive(Debug, Default)]
pub struct ServerState {
    pub replay: Replay,
    nonce: std::sync::atomic::AtomicU64,
}

impl ServerState {
    /// The nonce to demand (`use_dpop_nonce`) when a proof carrying `sent` does not satisfy
    /// `mode`; `None` when it does. Nonces are `PREFIX-N`: a `required` server keeps one, a
    /// `never-satisfied` one makes a new one for every proof.
    pub fn nonce_demand(
        &self,
        mode: crate::config::DpopNonce,
        prefix: &str,
        sent: Option<&str>,
    ) -> Option<String> {
        use std::sync::atomic::Ordering;
        match mode {
            crate::config::DpopNonce::None => None,
            crate::config::DpopNonce::Required => {
                let current = format!("{prefix}-{}", self.nonce.load(Ordering::SeqCst) + 1);
                (sent != Some(current.as_str())).then_some(current)
            }
            crate::config::DpopNonce::NeverSatisfied => Some(format!(
                "{prefix}-{}",
                self.nonce.fetch_add(1, Ordering::SeqCst) + 1
            )),
        }
    }
}
