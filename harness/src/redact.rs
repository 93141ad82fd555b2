//! Redaction of everything the harness records: URLs, headers, form and JSON bodies.
//!
//! Three nets, so that a secret has to slip through all of them to reach a report: parameters
//! and JSON fields known to carry secrets, the secret values this run has actually handled
//! ([`Redactor::register`]), and anything shaped like a JWT.

use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;

pub const REDACTED: &str = "[redacted]";

/// Query, form and JSON names whose values are secrets.
const SECRET_NAMES: &[&str] = &[
    "code",
    "state",
    "code_verifier",
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "token",
    "registration_access_token",
    "client_assertion",
    "assertion",
    "password",
];

/// Every secret any redactor of the process handles, kept only once a test asks for it: code
/// that builds its own redactor (the live `check`) cannot hand it out, yet a leak test must
/// know what to search for.
pub mod audit {
    use std::sync::{Mutex, PoisonError};

    static SEEN: Mutex<Option<Vec<String>>> = Mutex::new(None);

    /// Start keeping every secret registered from now on, by any redactor of the process.
    pub fn start() {
        let mut seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
        seen.get_or_insert_with(Vec::new);
    }

    /// The secrets registered since [`start`] (none before it).
    pub fn seen() -> Vec<String> {
        SEEN.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .unwrap_or_default()
    }

    pub(super) fn note(secret: &str) {
        let mut seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(seen) = seen.as_mut()
            && !seen.iter().any(|s| s == secret)
        {
            seen.push(secret.to_owned());
        }
    }
}

fn is_secret_name(name: &str) -> bool {
    SECRET_NAMES.iter().any(|s| s.eq_ignore_ascii_case(name))
}

/// Shared by one run: knows the secret values that run has seen.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    known: Arc<Mutex<Vec<KnownSecret>>>,
}

/// A secret and its searcher, built once: every header, URL and JSON string of a run is
/// searched for every secret, and building a searcher per search cost more than searching.
struct KnownSecret {
    value: String,
    finder: memchr::memmem::Finder<'static>,
}

impl std::fmt::Debug for KnownSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Redactor {
    /// Remember a secret value so it is scrubbed from any later text, wherever it appears.
    pub fn register(&self, secret: &str) {
        // Very short values would scrub ordinary words; they are caught by name instead.
        if secret.len() < 8 {
            return;
        }
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        if !known.iter().any(|k| k.value == secret) {
            // Longest first: a secret inside a longer one must not be scrubbed first, which
            // would leave the rest of the longer one in the text.
            let at = known.partition_point(|k| k.value.len() >= secret.len());
            known.insert(
                at,
                KnownSecret {
                    value: secret.to_owned(),
                    finder: memchr::memmem::Finder::new(secret.as_bytes()).into_owned(),
                },
            );
        }
        drop(known);
        audit::note(secret);
    }

    /// The secret values this run has handled so far (state, PKCE verifier, codes, tokens,
    /// client secrets), for a test proving that none of them reached a report.
    pub fn handled_secrets(&self) -> Vec<String> {
        self.known
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|k| k.value.clone())
            .collect()
    }

    /// Scrubs known secrets and JWT-shaped strings from free text.
    pub fn text(&self, text: &str) -> String {
        let mut out = std::borrow::Cow::Borrowed(text);
        for secret in self
            .known
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            if secret.finder.find(out.as_bytes()).is_some() {
                out = out.replace(secret.value.as_str(), REDACTED).into();
            }
        }
        scrub_jwts(&out)
    }

    pub fn url(&self, url: &str) -> String {
        let Some((base, rest)) = url.split_once('?') else {
            return self.text(url);
        };
        let (query, fragment) = match rest.split_once('#') {
            Some((q, f)) => (q, Some(f)),
            None => (rest, None),
        };
        let mut out = format!("{base}?{}", self.form(query));
        if let Some(fragment) = fragment {
            out.push('#');
            out.push_str(&self.form(fragment));
        }
        self.text(&out)
    }

    /// `a=1&code=xyz` → `a=1&code=[redacted]`, keeping the original encoding of the rest.
    pub fn form(&self, form: &str) -> String {
        let parts: Vec<String> = form
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if is_secret_name(&decode(name)) => format!("{name}={REDACTED}"),
                _ => pair.to_owned(),
            })
            .collect();
        self.text(&parts.join("&"))
    }

    pub fn json(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (name, field) in map.iter_mut() {
                    if is_secret_name(name) && !field.is_null() {
                        *field = Value::String(REDACTED.to_owned());
                    } else {
                        self.json(field);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.json(item)),
            Value::String(s) => *s = self.text(s),
            _ => {}
        }
    }

    /// A body of any content type: JSON and forms by field, anything else as text.
    pub fn body(&self, body: &str) -> String {
        if let Ok(mut value) = serde_json::from_str::<Value>(body) {
            self.json(&mut value);
            return serde_json::to_string(&value).unwrap_or_default();
        }
        if looks_like_form(body) {
            return self.form(body);
        }
        self.text(body)
    }

    /// Header values: credentials are replaced, keeping the scheme for the reader.
    pub fn header(&self, name: &str, value: &str) -> String {
        let lower = name.to_ascii_lowercase();
        if lower == "authorization" || lower == "proxy-authorization" {
            let scheme = value.split_whitespace().next().unwrap_or("");
            return format!("{scheme} {REDACTED}");
        }
        // A session ID lets whoever holds it speak in the session (and is random per run).
        if lower == "cookie" || lower == "set-cookie" || lower == "mcp-session-id" {
            return REDACTED.to_owned();
        }
        if lower == "location" {
            return self.url(value);
        }
        self.text(value)
    }
}

fn decode(name: &str) -> String {
    url::form_urlencoded::parse(name.as_bytes())
        .next()
        .map(|(n, _)| n.into_owned())
        .unwrap_or_default()
}

fn looks_like_form(body: &str) -> bool {
    !body.is_empty()
        && !body.contains(char::is_whitespace)
        && body.split('&').all(|pair| pair.contains('='))
}

/// Replaces `eyJ….….…` runs (compact JWS/JWE) with the redaction marker.
fn scrub_jwts(text: &str) -> String {
    // The base64url of `{"`, with which every JWS and JWE header starts.
    static JWT_START: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"eyJ"));
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = JWT_START.find(rest.as_bytes()) {
        out.push_str(&rest[..start]);
        let candidate = &rest[start..];
        let end = candidate
            .find(|c: char| !(is_b64(c) || c == '.'))
            .unwrap_or(candidate.len());
        let token = &candidate[..end];
        if token.split('.').filter(|s| !s.is_empty()).count() >= 3 {
            out.push_str(REDACTED);
        } else {
            out.push_str(token);
        }
        rest = &candidate[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_secret_inside_a_longer_one_leaves_nothing_of_either() {
        let r = Redactor::default();
        r.register("client-secret-1234");
        r.register("prefix-client-secret-1234-suffix");
        assert_eq!(
            r.text("sent prefix-client-secret-1234-suffix and client-secret-1234"),
            "sent [redacted] and [redacted]"
        );
    }

    #[test]
    fn secret_query_parameters_are_redacted_and_others_kept() {
        let r = Redactor::default();
        let url = r.url("http://127.0.0.1:1/cb?code=abc123&state=s3cr3tstate&iss=http%3A%2F%2Fas");
        assert_eq!(
            url,
            "http://127.0.0.1:1/cb?code=[redacted]&state=[redacted]&iss=http%3A%2F%2Fas"
        );
    }

    #[test]
    fn token_responses_lose_their_tokens() {
        let r = Redactor::default();
        let body = r.body(
            r#"{"access_token":"aaaaaaaaaa","refresh_token":"rrrrrrrrrr","token_type":"Bearer"}"#,
        );
        assert!(
            !body.contains("aaaaaaaaaa") && !body.contains("rrrrrrrrrr"),
            "{body}"
        );
        assert!(body.contains("Bearer"));
    }

    #[test]
    fn known_secrets_are_scrubbed_from_free_text() {
        let r = Redactor::default();
        r.register("my-long-refresh-token");
        assert_eq!(
            r.text("the token my-long-refresh-token was refused"),
            "the token [redacted] was refused"
        );
    }

    #[test]
    fn jwts_are_scrubbed_anywhere() {
        let r = Redactor::default();
        let text = r.text("bad token eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl here");
        assert_eq!(text, "bad token [redacted] here");
    }

    #[test]
    fn authorization_headers_keep_only_the_scheme() {
        let r = Redactor::default();
        assert_eq!(
            r.header("Authorization", "Bearer abc.def"),
            "Bearer [redacted]"
        );
        assert_eq!(
            r.header("authorization", "Basic Zm9vOmJhcg=="),
            "Basic [redacted]"
        );
    }

    proptest! {
        #[test]
        fn a_registered_secret_never_survives(secret in "[A-Za-z0-9_-]{8,40}", prefix in ".{0,20}", suffix in ".{0,20}") {
            let r = Redactor::default();
            r.register(&secret);
            let text = format!("{prefix}{secret}{suffix}");
            prop_assert!(!r.text(&text).contains(&secret));
            prop_assert!(!r.body(&text).contains(&secret));
            let url = format!("http://x/?a={text}");
            prop_assert!(!r.url(&url).contains(&secret));
        }

        #[test]
        fn secret_form_fields_never_survive(value in "[A-Za-z0-9]{1,30}", name in prop::sample::select(SECRET_NAMES)) {
            let r = Redactor::default();
            let form = format!("grant_type=x&{name}={value}&z=1");
            let redacted = r.form(&form);
            let expected = format!("{name}={REDACTED}");
            prop_assert!(redacted.contains(&expected));
        }
    }
}
