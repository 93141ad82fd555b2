//! DPoP (RFC 9449): a proof-of-possession JWT on every token request and every MCP request,
//! so that the access token is bound to a key only this client holds.
//!
//! One P-256 key per flow (ES256), made when the flow first decides to use DPoP; its public
//! JWK rides in each proof's header. A proof names the request (`htm`, `htu` without query or
//! fragment), when it was made (`iat`, from the flow's clock), a fresh `jti`, and on resource
//! requests `ath`, the hash of the access token. A server that demands a nonce
//! (`use_dpop_nonce` with a `DPoP-Nonce` header, §8 at the token endpoint, §9 at the resource
//! server) gets the request again, once, with that nonce in the proof; the newest nonce each
//! server sent is kept for the next proof to it.

use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::FlowContext;
use super::discovery::{AuthServerMetadata, DiscoveredServer};
use super::token_response::ParsedTokenResponse;
use crate::checks;
use crate::http::HttpResponse;
use crate::www_authenticate;

/// The one algorithm this client signs proofs with.
pub const ALGORITHM: &str = "ES256";

/// Which server a nonce came from: nonces are per server (RFC 9449 §8, §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    Authorization,
    Resource,
}

pub use crate::profile::DpopUse;

// What a profile's DPoP setting means at a given server: the setting itself is the profile's.
impl DpopUse {
    /// Whether a flow against a server with this metadata uses DPoP.
    pub fn applies(self, metadata: &AuthServerMetadata) -> bool {
        match self {
            DpopUse::Never => false,
            DpopUse::Always => true,
            DpopUse::WhenAdvertised => advertises_es256(metadata),
        }
    }

    /// Whether a flow uses DPoP at a server that does (`true`) or does not advertise ES256.
    pub fn applies_when_advertised(self, advertised: bool) -> bool {
        match self {
            DpopUse::Never => false,
            DpopUse::Always => true,
            DpopUse::WhenAdvertised => advertised,
        }
    }
}

/// Starts using DPoP when `usage` says so for this server (a key is made once per flow and
/// kept for its re-authorizations), and records `dpop-in-use` with why.
pub fn decide(ctx: &mut FlowContext, usage: DpopUse, server: &DiscoveredServer) {
    if !usage.applies(&server.metadata) {
        return;
    }
    ctx.dpop
        .get_or_insert_with(|| std::sync::Arc::new(DpopKey::generate()));
    let why = match usage {
        DpopUse::Always => "the client was told to use DPoP",
        _ => "the authorization server advertises ES256 in dpop_signing_alg_values_supported",
    };
    ctx.recorder.pass(
        &checks::DPOP_IN_USE,
        json!({
            "algorithm": ALGORITHM,
            "advertised": server.metadata.dpop_signing_alg_values_supported,
            "use": usage.as_str(),
            "why": why,
        }),
    );
}

/// Judges the token type of an answer to a request with a proof: `DPoP` is bound; a Bearer
/// answer means the server does not bind tokens, and the flow goes on with Bearer tokens and
/// no proofs (RFC 9449 §5 lets a server that does not support DPoP ignore the proof).
pub fn observe_token_type(ctx: &mut FlowContext, parsed: &ParsedTokenResponse) {
    if ctx.dpop.is_none() || parsed.status != 200 || parsed.access_token.is_none() {
        return;
    }
    if parsed.dpop {
        ctx.recorder
            .pass(&checks::DPOP_TOKEN_BOUND, json!({ "tokenType": "DPoP" }));
        return;
    }
    ctx.recorder.fail(
        &checks::DPOP_TOKEN_BOUND,
        json!({ "expected": "DPoP", "tokenType": parsed.text("token_type") }),
        "the token endpoint answered a request with a DPoP proof with a token that is not DPoP-bound; the client presents it as a Bearer token, without proofs",
    );
    ctx.dpop = None;
}

/// The diagnosis of an MCP server's refusal that is about DPoP: a `DPoP` challenge (and no
/// Bearer one) to a client without DPoP, a nonce demanded again after the retry, or a proof
/// refused (`invalid_dpop_proof`). `None` for any other refusal.
pub fn refusal(
    uses_dpop: bool,
    status: u16,
    challenge: &str,
    error: &str,
) -> Option<crate::diagnosis::Diagnosis> {
    use crate::diagnosis;
    if status != 401 {
        return None;
    }
    let challenges = www_authenticate::parse(challenge).ok()?;
    let challenges_dpop = challenges
        .iter()
        .any(|c| c.scheme.eq_ignore_ascii_case("dpop"));
    if uses_dpop && !challenges_dpop {
        // RFC 9449 §7.1: a resource server that accepts DPoP-bound tokens challenges with the
        // DPoP scheme. One that challenges a DPoP proof and token with Bearer alone does not
        // know the scheme, though its authorization server binds tokens to keys.
        return Some(diagnosis::new(
            diagnosis::DPOP_SCHEME_REFUSED,
            format!(
                "The MCP server refused the DPoP-bound access token its authorization server issued, presented with the DPoP scheme and a proof, and challenges with {} only: it does not accept the DPoP scheme. {error}",
                challenges
                    .iter()
                    .map(|c| c.scheme.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "Accept the DPoP authentication scheme at the MCP server (RFC 9449 §7: verify the proof and that the token's cnf.jkt names its key), since the authorization server advertises DPoP and binds tokens to keys; or stop advertising dpop_signing_alg_values_supported for this resource, so that clients ask for Bearer tokens.",
        ));
    }
    if challenges.iter().any(|c| c.is_bearer()) {
        return None;
    }
    let dpop = challenges
        .iter()
        .find(|c| c.scheme.eq_ignore_ascii_case("dpop"))?;
    if !uses_dpop {
        return Some(diagnosis::new(
            diagnosis::DPOP_REQUIRED,
            format!(
                "The MCP server accepts only DPoP-bound tokens, and this client sends Bearer tokens: {error}"
            ),
            "Use a client that supports DPoP (RFC 9449), or accept Bearer tokens too; an authorization server that advertises dpop_signing_alg_values_supported lets DPoP clients find out before they ask for a token.",
        ));
    }
    match dpop.param("error") {
        Some("use_dpop_nonce") => Some(diagnosis::new(
            diagnosis::DPOP_NONCE_UNSATISFIED,
            format!(
                "The MCP server demanded a DPoP nonce again after the client sent the one it issued: {error}"
            ),
            "Accept a proof carrying the nonce the server issued last in DPoP-Nonce (RFC 9449 §9); the client retries once, so a nonce that changes on every request can never be met.",
        )),
        Some("invalid_dpop_proof") => Some(diagnosis::new(
            diagnosis::DPOP_PROOF_REFUSED,
            format!("The MCP server refused the client's DPoP proof: {error}"),
            "Check the proof as RFC 9449 §4.3 says: htu is the request URL without query and fragment, compared after normalization; iat within a window of the server's clock; the key is the one the token's cnf.jkt names.",
        )),
        _ => None,
    }
}

/// `check`'s reading of `dpop_signing_alg_values_supported`: recorded only when the metadata
/// has the field (a server without DPoP is no caveat): passed when ES256 is among the
/// algorithms, failed when the algorithms leave this client (and most) out.
pub fn record_advertised(ctx: &mut FlowContext, metadata: &AuthServerMetadata) {
    let Some(algorithms) = &metadata.dpop_signing_alg_values_supported else {
        return;
    };
    let details = json!({ "dpopSigningAlgValuesSupported": algorithms });
    if advertises_es256(metadata) {
        ctx.recorder.pass(&checks::DPOP_ADVERTISED, details);
    } else {
        ctx.recorder.fail(
            &checks::DPOP_ADVERTISED,
            details,
            format!(
                "the metadata advertises DPoP with {algorithms:?}, without ES256, the algorithm clients sign proofs with (RFC 9449 §5.1 and the MCP DPoP extension name it)"
            ),
        );
    }
}

/// Whether the metadata lists ES256 in `dpop_signing_alg_values_supported` (RFC 9449 §5.1).
pub fn advertises_es256(metadata: &AuthServerMetadata) -> bool {
    metadata
        .dpop_signing_alg_values_supported
        .as_ref()
        .is_some_and(|algs| algs.iter().any(|a| a == ALGORITHM))
}

/// A flow's DPoP key and the nonces the servers handed it.
pub struct DpopKey {
    key: EcdsaKeyPair,
    jwk: Value,
    thumbprint: String,
    nonces: Mutex<Nonces>,
}

#[derive(Default)]
struct Nonces {
    authorization: Option<String>,
    resource: Option<String>,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopKey")
            .field("jkt", &self.thumbprint)
            .finish_non_exhaustive()
    }
}

impl Default for DpopKey {
    fn default() -> Self {
        Self::generate()
    }
}

impl DpopKey {
    /// A new random P-256 key, made and used through aws-lc: its assembly signs several times
    /// faster than the pure-Rust curve did, and a run signs a proof for every DPoP request.
    pub fn generate() -> Self {
        let rng = SystemRandom::new();
        // Fails only when the operating system gives no random bytes, which nothing in this
        // process can work around; the flow could not make a `jti` either.
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("the operating system's random source is unavailable");
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
            .expect("a key aws-lc has just made is a valid P-256 key");
        // SEC 1 uncompressed point: 0x04, then the two 32-byte coordinates.
        let point = key.public_key().as_ref();
        let coordinate = |range: std::ops::Range<usize>| {
            point
                .get(range)
                .map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
                .unwrap_or_default()
        };
        let (x, y) = (coordinate(1..33), coordinate(33..65));
        // RFC 7638 §3.2: the required members in lexicographic order, no whitespace.
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let thumbprint = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
        Self {
            key,
            jwk: json!({ "kty": "EC", "crv": "P-256", "x": x, "y": y }),
            thumbprint,
            nonces: Mutex::new(Nonces::default()),
        }
    }

    /// The RFC 7638 SHA-256 thumbprint of the public key: the `cnf.jkt` of a bound token.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// The public key as a JWK.
    pub fn public_jwk(&self) -> &Value {
        &self.jwk
    }

    /// A signed proof for one request. `access_token` adds `ath` (resource requests, §4.2);
    /// the nonce is the newest one `server` sent.
    pub fn proof(
        &self,
        server: Server,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        now: SystemTime,
    ) -> String {
        let nonce = self.nonce(server);
        self.proof_with(method, url, access_token, nonce.as_deref(), now)
    }

    /// A proof with exactly the given claims' inputs (the `check` probes forge from it).
    pub fn proof_with(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        nonce: Option<&str>,
        now: SystemTime,
    ) -> String {
        let header = json!({ "typ": "dpop+jwt", "alg": ALGORITHM, "jwk": self.jwk });
        let jti: [u8; 16] = rand::random();
        let mut claims = json!({
            "jti": URL_SAFE_NO_PAD.encode(jti),
            "htm": method,
            "htu": htu(url),
            "iat": now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs(),
        });
        if let Some(token) = access_token {
            claims["ath"] = json!(access_token_hash(token));
        }
        if let Some(nonce) = nonce {
            claims["nonce"] = json!(nonce);
        }
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        // ES256's JWS signature is the fixed 64-byte r || s (RFC 7518 §3.4).
        let signature = self
            .key
            .sign(&SystemRandom::new(), signing_input.as_bytes())
            .expect("the operating system's random source is unavailable");
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        )
    }

    pub fn nonce(&self, server: Server) -> Option<String> {
        let nonces = self.nonces.lock().unwrap_or_else(PoisonError::into_inner);
        match server {
            Server::Authorization => nonces.authorization.clone(),
            Server::Resource => nonces.resource.clone(),
        }
    }

    /// Keeps the `DPoP-Nonce` of an answer, if it has one; true when it is a new nonce.
    pub fn keep_nonce(&self, server: Server, response: &HttpResponse) -> bool {
        let Some(nonce) = response.header("dpop-nonce").map(str::to_owned) else {
            return false;
        };
        let mut nonces = self.nonces.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = match server {
            Server::Authorization => &mut nonces.authorization,
            Server::Resource => &mut nonces.resource,
        };
        let new = slot.as_deref() != Some(nonce.as_str());
        *slot = Some(nonce);
        new
    }
}

/// `htu`: the request URL without query and fragment (RFC 9449 §4.2).
pub fn htu(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            parsed.set_query(None);
            parsed.set_fragment(None);
            parsed.to_string()
        }
        Err(_) => url.split(['?', '#']).next().unwrap_or(url).to_owned(),
    }
}

/// `ath`: base64url of the SHA-256 of the access token's ASCII (RFC 9449 §4.2).
pub fn access_token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// A token endpoint's demand for a nonce: 400 `use_dpop_nonce` (RFC 9449 §8).
pub fn token_endpoint_wants_nonce(response: &HttpResponse) -> bool {
    response.status.as_u16() == 400
        && serde_json::from_slice::<Value>(&response.body)
            .ok()
            .and_then(|body| body.get("error").and_then(Value::as_str).map(str::to_owned))
            .as_deref()
            == Some("use_dpop_nonce")
}

/// A resource server's demand for a nonce: 401 with a `DPoP` challenge whose error is
/// `use_dpop_nonce` (RFC 9449 §9).
pub fn resource_server_wants_nonce(response: &HttpResponse) -> bool {
    response.status.as_u16() == 401
        && response
            .header_values("www-authenticate")
            .iter()
            .any(|value| {
                www_authenticate::parse(value).is_ok_and(|challenges| {
                    challenges.iter().any(|c| {
                        c.scheme.eq_ignore_ascii_case("dpop")
                            && c.param("error") == Some("use_dpop_nonce")
                    })
                })
            })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};

    #[test]
    fn a_proof_verifies_with_the_key_in_its_header_and_names_the_request() {
        let key = DpopKey::generate();
        let now = UNIX_EPOCH + std::time::Duration::from_secs(1_767_225_600);
        let proof = key.proof_with(
            "POST",
            "http://127.0.0.1:1/mcp?x=1#f",
            Some("tok"),
            Some("n-1"),
            now,
        );
        let header = decode_header(&proof).unwrap();
        assert_eq!(header.typ.as_deref(), Some("dpop+jwt"));
        let jwk = header.jwk.expect("jwk in the header");
        assert_eq!(
            jwk.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
                .unwrap(),
            key.thumbprint()
        );
        let mut validation = Validation::new(Algorithm::ES256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let claims = decode::<Value>(&proof, &DecodingKey::from_jwk(&jwk).unwrap(), &validation)
            .unwrap()
            .claims;
        assert_eq!(claims["htm"], "POST");
        assert_eq!(claims["htu"], "http://127.0.0.1:1/mcp");
        assert_eq!(claims["iat"], 1_767_225_600);
        assert_eq!(claims["ath"], access_token_hash("tok"));
        assert_eq!(claims["nonce"], "n-1");
        let other = key.proof_with("POST", "http://127.0.0.1:1/mcp", None, None, now);
        let jti = |p: &str| {
            let payload = p.split('.').nth(1).unwrap();
            let claims: Value =
                serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
            claims["jti"].clone()
        };
        assert_ne!(jti(&proof), jti(&other), "every proof has its own jti");
        assert!(other.split('.').nth(1).is_some_and(|p| {
            let claims: Value =
                serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap();
            claims.get("ath").is_none() && claims.get("nonce").is_none()
        }));
    }

    #[test]
    fn use_is_decided_by_metadata_when_advertised() {
        let mut metadata = AuthServerMetadata::default();
        assert!(!DpopUse::WhenAdvertised.applies(&metadata));
        assert!(DpopUse::Always.applies(&metadata));
        metadata.dpop_signing_alg_values_supported = Some(vec!["RS256".into()]);
        assert!(!DpopUse::WhenAdvertised.applies(&metadata));
        metadata.dpop_signing_alg_values_supported = Some(vec!["RS256".into(), "ES256".into()]);
        assert!(DpopUse::WhenAdvertised.applies(&metadata));
        assert!(!DpopUse::Never.applies(&metadata));
        assert_eq!(
            DpopUse::parse("when-advertised"),
            Some(DpopUse::WhenAdvertised)
        );
        assert_eq!(DpopUse::parse("sometimes"), None);
    }
}
