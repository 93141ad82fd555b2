//! What a token answer did that this client tolerates but other clients break on, recorded as
//! checks so that a tolerated quirk is never silent: a form-encoded body (GitHub), an error
//! answered with status 200 (GitHub), `token_type` spelt `bearer` (Linear), `expires_in` as a
//! string (Entra), zero or absent. An access token that is an unsigned JWT is recorded too:
//! the client uses it as the opaque token it is to a client, but anyone can forge one.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::FlowContext;
use super::token_response::{Lifetime, MAX_PLAUSIBLE_LIFETIME, ParsedTokenResponse};
use crate::checks;

/// Registers the answer's tokens with the redactor and records what the client tolerated:
/// a form-encoded body, an error with status 200, a `token_type` not spelt `Bearer`, an
/// `expires_in` that is a string, zero, absent or not believable.
pub fn observe_answer(ctx: &mut FlowContext, parsed: &ParsedTokenResponse) {
    for secret in [&parsed.access_token, &parsed.refresh_token]
        .into_iter()
        .flatten()
    {
        ctx.http.redactor().register(secret);
    }
    observe(ctx, parsed);
    if parsed.status != 200 || parsed.access_token.is_none() {
        return;
    }
    match &parsed.lifetime {
        Lifetime::Absent | Lifetime::Seconds(_) | Lifetime::Quoted(_) => {}
        Lifetime::Absurd(value) => {
            ctx.recorder.fail(
                &checks::TOKEN_LIFETIME_PLAUSIBLE,
                json!({ "expiresIn": value, "maxPlausibleSeconds": MAX_PLAUSIBLE_LIFETIME.as_secs() }),
                format!(
                    "expires_in is {value} s, more than ten years; the token is treated as one that does not expire"
                ),
            );
        }
        Lifetime::Malformed(value) => {
            ctx.recorder.fail(
                &checks::TOKEN_LIFETIME_PLAUSIBLE,
                json!({ "expected": "a non-negative integer number of seconds", "expiresIn": value }),
                format!(
                    "expires_in is {value}, not a non-negative integer; the token's expiry is unknown"
                ),
            );
        }
    }
}

pub fn observe(ctx: &mut FlowContext, parsed: &ParsedTokenResponse) {
    if parsed.form_encoded {
        ctx.recorder.fail(
            &checks::TOKEN_RESPONSE_JSON,
            json!({ "expected": "application/json", "actual": "application/x-www-form-urlencoded", "status": parsed.status }),
            "the token endpoint answered form-encoded although the request accepted only application/json; this client read the fields from the form",
        );
    }
    if parsed.error_with_success_status() {
        ctx.recorder.fail(
            &checks::TOKEN_ERROR_STATUS,
            json!({ "expected": "400 or 401", "actualStatus": parsed.status, "error": parsed.text("error") }),
            format!(
                "the token endpoint answered status 200 with error {:?}; this client reads it as the error it is",
                parsed.text("error").unwrap_or_default()
            ),
        );
    }
    if parsed.status != 200 || parsed.access_token.is_none() {
        return;
    }
    if let Some(alg) = parsed.access_token.as_deref().and_then(unsigned_jwt) {
        ctx.recorder.fail(
            &checks::ACCESS_TOKEN_SIGNED,
            json!({ "expected": "a signed JWT", "alg": alg }),
            format!(
                "the access token is an unsigned JWT (alg {alg}, no signature): anyone who has seen one can forge another"
            ),
        );
    }
    if let Some(token_type) = parsed.text("token_type")
        && parsed.bearer
        && token_type != "Bearer"
    {
        ctx.recorder.fail(
            &checks::TOKEN_TYPE_CANONICAL,
            json!({ "expected": "Bearer", "tokenType": token_type }),
            format!(
                "token_type is {token_type:?}: RFC 6749 §5.1 compares it case-insensitively, so this client accepts it and sends `Authorization: Bearer`, but clients that copy token_type into the header send {token_type:?}, which servers comparing the scheme exactly refuse"
            ),
        );
    }
    match &parsed.lifetime {
        // A form carries only strings: the string is the form's fault, reported above.
        Lifetime::Quoted(secs) if !parsed.form_encoded => {
            ctx.recorder.fail(
                &checks::TOKEN_EXPIRES_IN_NUMBER,
                json!({ "expected": "a JSON number", "expiresIn": parsed.body.get("expires_in"), "readAsSeconds": secs }),
                format!(
                    "expires_in is the string \"{secs}\", not a number; this client reads it as {secs} s, but clients that validate the token response's types strictly (the MCP TypeScript SDK, typescript-sdk#1111) refuse the whole response"
                ),
            );
        }
        Lifetime::Absent => {
            ctx.recorder.info(
                &checks::TOKEN_EXPIRY_KNOWN,
                json!({ "expiresIn": null }),
                "the token response has no expires_in: the token is used until the server refuses it, then refreshed",
            );
        }
        _ => {}
    }
    if parsed.lifetime.seconds() == Some(0) {
        ctx.recorder.fail(
            &checks::TOKEN_EXPIRY_KNOWN,
            json!({ "expiresIn": 0 }),
            "expires_in is 0: the token is expired as it is issued, so every call refreshes first (or fails, without a refresh token)",
        );
    }
}

/// The first tolerated quirk of this answer that the profile's client does not tolerate, said
/// as the problem it stops on (observe() has recorded it as a failure already).
pub fn refused(ctx: &FlowContext, parsed: &ParsedTokenResponse) -> Option<String> {
    let profile = ctx.profile;
    if parsed.form_encoded && !profile.tolerates(&checks::TOKEN_RESPONSE_JSON) {
        return Some(format!(
            "the token response is form-encoded, and the {} client reads JSON only",
            profile.name
        ));
    }
    if matches!(parsed.lifetime, Lifetime::Quoted(_))
        && !parsed.form_encoded
        && !profile.tolerates(&checks::TOKEN_EXPIRES_IN_NUMBER)
    {
        return Some(format!(
            "expires_in is a string, and the {} client refuses a token response whose types do not match",
            profile.name
        ));
    }
    None
}

/// The `alg` of an access token that is a JWT (RFC 7519: three base64url parts, the first a
/// JSON header naming `alg`) without a signature: `alg: none`, or an empty third part. `None`
/// for a signed JWT and for anything that is not a JWT (an opaque token).
fn unsigned_jwt(token: &str) -> Option<String> {
    let mut parts = token.split('.');
    let (header, _claims, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    let alg = header.get("alg")?;
    let shown = match alg.as_str() {
        Some(text) => format!("{:?}", text.chars().take(20).collect::<String>()),
        None => "(not a string)".to_owned(),
    };
    let none = alg.as_str().is_none_or(|a| a.eq_ignore_ascii_case("none"));
    (none || signature.is_empty()).then_some(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(header: &str, signature: &str) -> String {
        format!(
            "{}.{}.{signature}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(r#"{"sub":"u"}"#)
        )
    }

    #[test]
    fn unsigned_jwts_are_told_from_signed_and_opaque_tokens() {
        assert_eq!(
            unsigned_jwt(&jwt(r#"{"alg":"none"}"#, "")).as_deref(),
            Some("\"none\"")
        );
        assert_eq!(
            unsigned_jwt(&jwt(r#"{"alg":"NONE"}"#, "c2ln")).as_deref(),
            Some("\"NONE\"")
        );
        assert_eq!(
            unsigned_jwt(&jwt(r#"{"alg":"RS256"}"#, "")).as_deref(),
            Some("\"RS256\"")
        );
        assert_eq!(unsigned_jwt(&jwt(r#"{"alg":"RS256"}"#, "c2ln")), None);
        assert_eq!(unsigned_jwt("opaque-token-value"), None);
        assert_eq!(unsigned_jwt("a.b.c"), None);
        assert_eq!(
            unsigned_jwt(&format!("{}.x", jwt(r#"{"alg":"none"}"#, ""))),
            None
        );
    }
}
