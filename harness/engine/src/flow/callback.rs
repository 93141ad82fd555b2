//! The authorization response as it arrives at the callback (RFC 6749 §4.1.2): its query read
//! into parameters, refusing the response parameters that must not be repeated (§3.1).

use std::collections::HashMap;

use serde_json::json;

use super::{FlowContext, StepResult};
use crate::checks;
use crate::diagnosis;

/// Parameters whose repetition makes the response ambiguous: which code, which state, which
/// issuer? RFC 6749 §3.1 says parameters must not be included more than once.
const SINGLE_VALUED: &[&str] = &["code", "state", "iss", "error"];

/// The callback's query parameters, the first value of each (only used once refusals of
/// repeats have been made).
pub fn params(callback: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (name, value) in pairs(callback) {
        out.entry(name).or_insert(value);
    }
    out
}

/// The names among [`SINGLE_VALUED`] that appear more than once, in that order.
pub fn repeated(callback: &str) -> Vec<&'static str> {
    let pairs = pairs(callback);
    SINGLE_VALUED
        .iter()
        .copied()
        .filter(|name| pairs.iter().filter(|(n, _)| n == name).count() > 1)
        .collect()
}

fn pairs(callback: &str) -> Vec<(String, String)> {
    let query = callback.split_once('?').map(|(_, q)| q).unwrap_or("");
    let query = query.split('#').next().unwrap_or("");
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// Records `callback-parameters-unique` and refuses a callback that repeats a response
/// parameter. The values are secrets (code, state) and are not recorded.
pub fn check_unique(ctx: &mut FlowContext, callback: &str) -> StepResult<()> {
    let repeated = repeated(callback);
    if repeated.is_empty() {
        ctx.recorder.pass(
            &checks::CALLBACK_PARAMETERS_UNIQUE,
            json!({ "repeated": [] }),
        );
        return Ok(());
    }
    let names = repeated.join(", ");
    ctx.recorder.fail(
        &checks::CALLBACK_PARAMETERS_UNIQUE,
        json!({ "expected": "each of code, state, iss at most once", "repeated": repeated }),
        format!("the callback repeats {names}; RFC 6749 §3.1 forbids repeated parameters"),
    );
    Err(diagnosis::new(
        diagnosis::CALLBACK_PARAMETERS_REPEATED,
        format!(
            "The authorization response repeats {names}, so the client cannot tell which value the server meant; the callback was refused."
        ),
        "The authorization server must redirect to the callback with each response parameter once (RFC 6749 §3.1).",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_of_response_parameters_are_found() {
        let cb = "http://127.0.0.1:1/callback?code=a&state=s&code=b";
        assert_eq!(repeated(cb), vec!["code"]);
        let cb = "http://127.0.0.1:1/callback?code=a&state=s&iss=x&state=t&iss=y";
        assert_eq!(repeated(cb), vec!["state", "iss"]);
        assert!(repeated("http://127.0.0.1:1/callback?code=a&state=s&iss=x").is_empty());
        // Other parameters may repeat without making the response ambiguous.
        assert!(repeated("http://127.0.0.1:1/callback?code=a&x=1&x=2").is_empty());
        // A percent-encoded name is the same parameter.
        assert_eq!(
            repeated("http://127.0.0.1:1/callback?code=a&%63ode=b"),
            vec!["code"]
        );
    }

    #[test]
    fn params_keep_the_first_value() {
        let p = params("http://h/cb?state=one&state=two#frag");
        assert_eq!(p.get("state").map(String::as_str), Some("one"));
    }
}
