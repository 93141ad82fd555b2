//! Whether a 401's challenge is written so that every client can read it. The header may
//! parse (RFC 9110 §11.6.1) and still be read differently, or not at all, by the clients that
//! match it with a pattern per parameter: `check www-authenticate-well-formed` says what in
//! the writing departs, and what the server should write instead.

use serde_json::json;

use crate::checks;
use crate::recorder::Recorder;
use crate::www_authenticate::{self, Challenge};

/// Records `www-authenticate-well-formed`, when it finds something, for the challenge the flow answers (`chosen`) among
/// the response's `WWW-Authenticate` fields.
pub fn judge(recorder: &mut Recorder, header: &str, fields: &[&str], chosen: &Challenge) {
    let findings = findings(fields, chosen);
    // A quirk is a caveat when met and silence otherwise (docs/ARCHITECTURE.md).
    if findings.is_empty() {
        return;
    }
    recorder.fail(
        &checks::WWW_AUTHENTICATE_WELL_FORMED,
        json!({ "header": header, "findings": findings }),
        format!(
            "the challenge is read differently by different clients: {}",
            findings.join("; ")
        ),
    );
}

fn findings(fields: &[&str], chosen: &Challenge) -> Vec<String> {
    let mut found = Vec::new();
    let mut names: Vec<&str> = chosen.params.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let values: Vec<&str> = chosen
            .params
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect();
        if values.len() > 1 {
            found.push(format!(
                "`{name}` appears {} times in the {} challenge ({}), which RFC 9110 §11.2 forbids; clients read the first, {:?}",
                values.len(),
                chosen.scheme,
                values.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", "),
                values[0]
            ));
        }
    }
    if fields.iter().any(|field| spaced_equals(field)) {
        found.push(
            "whitespace around `=` (RFC 9110 §11.2 allows it, but clients that match `resource_metadata=\"` find no parameter at all): write `name=\"value\"`".to_owned(),
        );
    }
    let challenges: Vec<Challenge> = fields
        .iter()
        .filter_map(|field| www_authenticate::parse(field).ok())
        .flatten()
        .collect();
    let oauth = |c: &Challenge| {
        c.scheme.eq_ignore_ascii_case("bearer") || c.scheme.eq_ignore_ascii_case("dpop")
    };
    if let Some(first) = challenges.first()
        && !first.is_bearer()
        && chosen.is_bearer()
    {
        found.push(format!(
            "the header begins with the {} challenge, and clients that read it only when its first word is Bearer (the TypeScript SDK 2.0, the AI SDK) miss the Bearer one: list Bearer first",
            first.scheme
        ));
    }
    if chosen.param("resource_metadata").is_some() {
        for other in challenges
            .iter()
            .filter(|c| oauth(c) && c.param("resource_metadata").is_none())
        {
            found.push(format!(
                "the {} challenge has no resource_metadata, so a client answering it finds no metadata: name it in every Bearer and DPoP challenge",
                other.scheme
            ));
        }
    }
    found
}

/// An `=` outside quoted strings with whitespace before or after it.
fn spaced_equals(field: &str) -> bool {
    let chars: Vec<char> = field.chars().collect();
    let mut quoted = false;
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' if quoted => i += 1,
            '"' => quoted = !quoted,
            '=' if !quoted => {
                let before = i > 0 && matches!(chars[i - 1], ' ' | '\t');
                let after = matches!(chars.get(i + 1), Some(' ' | '\t'));
                if before || after {
                    return true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::{findings, spaced_equals};
    use crate::www_authenticate;

    fn judged(header: &str) -> Vec<String> {
        let chosen = www_authenticate::oauth_challenge_in([header])
            .unwrap()
            .unwrap();
        findings(&[header], &chosen)
    }

    #[test]
    fn a_standard_challenge_has_no_findings() {
        assert!(judged(r#"Bearer resource_metadata="http://a/m", scope="mcp""#).is_empty());
        assert!(judged(r#"Bearer resource_metadata="http://a/m", DPoP algs="ES256", resource_metadata="http://a/m""#).is_empty());
    }

    #[test]
    fn a_duplicate_parameter_is_named_with_both_values() {
        let found = judged(
            r#"Bearer resource_metadata="http://a/1", error="invalid_token", resource_metadata="http://a/2""#,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("`resource_metadata` appears 2 times"),
            "{found:?}"
        );
        assert!(found[0].contains(r#""http://a/2""#), "{found:?}");
    }

    #[test]
    fn whitespace_around_equals_outside_quotes_is_found() {
        assert!(spaced_equals(r#"Bearer resource_metadata = "x""#));
        assert!(spaced_equals(r#"Bearer resource_metadata= "x""#));
        assert!(!spaced_equals(r#"Bearer error_description="a = b""#));
        assert!(!spaced_equals("Bearer abc=="));
        assert_eq!(
            judged(r#"Bearer resource_metadata = "http://a/m""#).len(),
            1
        );
    }

    #[test]
    fn a_dpop_challenge_first_and_without_metadata_is_named_twice() {
        let found = judged(r#"DPoP algs="ES256", Bearer resource_metadata="http://a/m""#);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].contains("begins with the DPoP challenge"),
            "{found:?}"
        );
        assert!(
            found[1].contains("the DPoP challenge has no resource_metadata"),
            "{found:?}"
        );
    }
}
