//! What a registration answer did that the client tolerates, recorded so it is never silent
//! (null or empty fields where RFC 7591 §3.2.1 echoes the registered metadata, a secret without
//! its expiry), and the advice a refused registration ends with.

use serde_json::{Value, json};

use super::FlowContext;
use crate::checks;

/// Records `dcr-response-fields` and `dcr-secret-expiry` when a successful registration
/// answer has them wrong; a conformant answer records nothing.
/// Records what the registration response did that this client tolerates; returns the fields
/// that the profile's client refuses to read (it stops there), empty when it reads them all.
pub fn observe(ctx: &mut FlowContext, body: &Value) -> Vec<String> {
    let broken: Vec<&str> = ["grant_types", "response_types", "redirect_uris"]
        .into_iter()
        .filter(|name| body.get(*name).is_some_and(|v| !v.is_array()))
        .chain(
            body.get("token_endpoint_auth_method")
                .filter(|v| v.as_str().is_none_or(str::is_empty))
                .map(|_| "token_endpoint_auth_method"),
        )
        .collect();
    if !broken.is_empty() {
        let fields: serde_json::Map<String, Value> = broken
            .iter()
            .map(|name| ((*name).to_owned(), body[*name].clone()))
            .collect();
        ctx.recorder.fail(
            &checks::DCR_RESPONSE_FIELDS,
            json!({ "expected": "arrays of strings and a named token_endpoint_auth_method", "fields": fields }),
            format!(
                "the registration response gives {} as null or empty; this client keeps what it asked for (authorization_code and refresh_token, code, none)",
                broken.join(", ")
            ),
        );
    }
    if body.get("client_secret").is_some_and(Value::is_string)
        && body.get("client_secret_expires_at").is_none()
    {
        ctx.recorder.fail(
            &checks::DCR_SECRET_EXPIRY,
            json!({ "expected": "client_secret_expires_at (0 for never)", "clientSecretExpiresAt": null }),
            "the registration response issues a client_secret without client_secret_expires_at; this client treats the secret as one that does not expire",
        );
    }
    if ctx.profile.tolerates(&checks::DCR_RESPONSE_FIELDS) {
        return Vec::new();
    }
    broken.into_iter().map(str::to_owned).collect()
}

/// The sentence a refused registration's remedy ends with: a server failure is the server's;
/// a refusal of the redirect URI may be a server that accepts only the other loopback spelling.
pub fn refusal_advice(status: u16, error: &str, description: &str, redirect_uri: &str) -> String {
    if status >= 500 {
        return format!(
            " The registration endpoint failed on its side ({status}{}): read the provider's logs; a Client ID registered by hand works meanwhile.",
            if description == "(empty body)" {
                ", with an empty body"
            } else {
                ""
            }
        );
    }
    if error == "invalid_redirect_uri" || description.to_ascii_lowercase().contains("redirect") {
        crate::user_agent::loopback_uri::other_form_advice(redirect_uri)
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_failures_and_redirect_refusals_get_their_advice() {
        let failed = refusal_advice(
            500,
            "(no error code)",
            "(empty body)",
            "http://127.0.0.1:1/cb",
        );
        assert!(failed.contains("empty body"), "{failed}");
        let refused = refusal_advice(400, "invalid_redirect_uri", "no", "http://127.0.0.1:1/cb");
        assert!(refused.contains("http://localhost:1/cb"), "{refused}");
        assert_eq!(
            refusal_advice(
                400,
                "invalid_client_metadata",
                "no",
                "http://127.0.0.1:1/cb"
            ),
            ""
        );
    }
}
