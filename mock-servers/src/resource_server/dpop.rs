//! `require-dpop`: the MCP endpoint accepts only DPoP-bound access tokens, each presented
//! with `Authorization: DPoP` and a proof of the key it is bound to (RFC 9449 §7), and can
//! demand a nonce (§9). Refusals are `DPoP` challenges (§7.1).

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ResourceServer;
use super::token::verify;
use crate::dpop::{self, Expected};

pub(super) async fn require(server: &ResourceServer, request: Request, next: Next) -> Response {
    let config = server.config();
    let Some(token) = dpop_token(request.headers()) else {
        if config.accept_dpop_tokens_as_bearer
            && let Some(token) = bearer_token(request.headers())
            && verify(server, &token).is_ok()
        {
            return next.run(request).await;
        }
        if request.headers().contains_key(header::AUTHORIZATION) {
            let why = "this MCP server accepts only DPoP-bound access tokens, presented with the DPoP scheme".to_owned();
            return challenge(server, Some(("invalid_token", why)), None);
        }
        return challenge(server, None, None);
    };
    let claims = match verify(server, &token) {
        Ok(claims) => claims,
        Err(why) => return challenge(server, Some(("invalid_token", why.to_owned())), None),
    };
    let Some(bound_to) = claims.cnf.and_then(|cnf| cnf.jkt) else {
        let why = "the access token is not DPoP-bound (it has no cnf.jkt)".to_owned();
        return challenge(server, Some(("invalid_token", why)), None);
    };
    let proof = match dpop::header(request.headers()) {
        Ok(Some(proof)) => proof,
        Ok(None) => {
            let why = "a DPoP-bound access token needs a DPoP proof".to_owned();
            return challenge(server, Some(("invalid_dpop_proof", why)), None);
        }
        Err(why) => return challenge(server, Some(("invalid_dpop_proof", why.to_owned())), None),
    };
    // The MCP service is nested under its path; the original URI still has it.
    let path = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| request.uri().path().to_owned(), |o| o.path().to_owned());
    let url = format!("{}{path}", server.origin());
    let expected = Expected {
        method: request.method().as_str(),
        url: &url,
        access_token: Some(&token),
        now: server.inner.clock.unix_seconds(),
        check_htu: !config.skip_dpop_htu_check,
    };
    let verified = match dpop::verify(proof, &expected) {
        Ok(verified) => verified,
        Err(why) => return challenge(server, Some(("invalid_dpop_proof", why)), None),
    };
    if verified.jkt != bound_to {
        let why =
            "the DPoP proof is signed by another key than the one the token is bound to (cnf.jkt)";
        return challenge(server, Some(("invalid_dpop_proof", why.to_owned())), None);
    }
    if !server.inner.dpop.replay.first_use(&verified.jti) && !config.accept_replayed_dpop_proofs {
        let why = "the DPoP proof was used before (its jti is not new)".to_owned();
        return challenge(server, Some(("invalid_dpop_proof", why)), None);
    }
    if let Some(nonce) =
        server
            .inner
            .dpop
            .nonce_demand(config.dpop_nonce, "rs-nonce", verified.nonce.as_deref())
    {
        let why = "the MCP server requires a DPoP nonce in the proof".to_owned();
        return challenge(server, Some(("use_dpop_nonce", why)), Some(nonce));
    }
    next.run(request).await
}

/// The token of `Authorization: Bearer TOKEN` (`accept-dpop-tokens-as-bearer`).
fn bearer_token(headers: &axum::http::HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// The token of `Authorization: DPoP TOKEN` (the scheme in any case, RFC 9110 §11.1).
fn dpop_token(headers: &axum::http::HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("dpop") && !token.is_empty() && !token.contains(' '))
        .then(|| token.to_owned())
}

/// 401 with a `DPoP` challenge naming the accepted algorithms, the error if any, and the
/// resource metadata; a demanded nonce rides in `DPoP-Nonce`.
fn challenge(
    server: &ResourceServer,
    error: Option<(&str, String)>,
    nonce: Option<String>,
) -> Response {
    let mut params = vec![format!("algs=\"{}\"", dpop::ALGORITHMS.join(" "))];
    if let Some((code, description)) = error {
        params.push(format!("error=\"{code}\""));
        params.push(format!(
            "error_description=\"{}\"",
            description.replace(['"', '\\'], "'")
        ));
    }
    if server.config().resource_metadata_in_challenge
        && let Some(url) = server.metadata_url()
    {
        params.push(format!("resource_metadata=\"{url}\""));
    }
    let mut response = StatusCode::UNAUTHORIZED.into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("DPoP {}", params.join(", "))) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    if let Some(nonce) = nonce
        && let Ok(value) = HeaderValue::from_str(&nonce)
    {
        response.headers_mut().insert("dpop-nonce", value);
    }
    response
}
