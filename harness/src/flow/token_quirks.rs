//! What a token answer did that this client tolerates but other clients break on, recorded as
//! checks so that a tolerated quirk is never silent: a form-encoded body (GitHub), an error
//! answered with status 200 (GitHub), `token_type` spelt `bearer` (Linear), `expires_in` as a
//! string (Entra), zero or absent.

use serde_json::json;

use super::FlowContext;
use super::token_response::{Lifetime, ParsedTokenResponse};
use crate::checks;

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
