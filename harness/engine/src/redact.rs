//! Redaction of everything the harness records: URLs, headers, form and JSON bodies.
//!
//! Three nets, so that a secret has to slip through all of them to reach a report: parameters
//! and JSON fields known to carry secrets ([`SECRET_NAMES`]), the secret values this run has
//! actually handled ([`Redactor::register`]; also in their percent-encoded and form-encoded
//! spellings, as they travel in URLs and bodies), and anything shaped like a JWS or JWE,
//! signed or not.

use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;

pub const REDACTED: &str = "[redacted]";

/// Query, form and JSON names whose values are secrets: what the redactor scrubs by name, and
/// what `test-client` collects from the mocks' log as the secrets of a client's run.
pub const SECRET_NAMES: &[&str] = &[
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

/// Whether `name` (a query, form or JSON name, any case) carries a secret.
pub fn is_secret_name(name: &str) -> bool {
    SECRET_NAMES.iter().any(|s| s.eq_ignore_ascii_case(name))
}

/// The shortest value [`Redactor::register`] remembers.
const MIN_HANDLED_SECRET_LEN: usize = 8;

/// A secret as it may appear in recorded text: as is, form-encoded (`+` for a space, as in a
/// form body or a query built by a form serializer) and percent-encoded (`%20`, as a URL
/// component), each with upper- and lower-case hex digits. Only distinct spellings.
fn spellings(secret: &str) -> Vec<String> {
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let component = percent_encode_component(secret);
    let mut out = vec![secret.to_owned()];
    for encoded in [form, component] {
        let lower = lower_hex_escapes(&encoded);
        for spelling in [encoded, lower] {
            if !out.contains(&spelling) {
                out.push(spelling);
            }
        }
    }
    out
}

/// RFC 3986 percent-encoding of a URL component: every byte but the unreserved characters
/// (letters, digits, `-`, `.`, `_`, `~`) as `%XX`.
fn percent_encode_component(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// `%2F` → `%2f`: both spellings are valid and servers echo either.
fn lower_hex_escapes(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut chars = encoded.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '%' {
            out.extend(chars.by_ref().take(2).map(|h| h.to_ascii_lowercase()));
        }
    }
    out
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
        // Very short values the run made or received would scrub ordinary words; they are
        // caught by name instead.
        if secret.len() < MIN_HANDLED_SECRET_LEN {
            return;
        }
        self.remember(secret);
    }

    /// Remember a secret the user gave (a client secret on the command line, in the
    /// environment or in a file), however short: the user chose it, and a short one leaked is
    /// still leaked. Scrubbing a common word along with it is the lesser harm.
    pub fn register_given(&self, secret: &str) {
        if !secret.is_empty() {
            self.remember(secret);
        }
    }

    pub fn remember(&self, secret: &str) {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        for spelling in spellings(secret) {
            // Longest first: a secret inside a longer one must not be scrubbed first, which
            // would leave the rest of the longer one in the text. So a spelling already known
            // sits among those of its own length, and only they are compared.
            let first = known.partition_point(|k| k.value.len() > spelling.len());
            let at = known.partition_point(|k| k.value.len() >= spelling.len());
            if known
                .get(first..at)
                .is_some_and(|same| same.iter().any(|k| k.value == spelling))
            {
                continue;
            }
            let finder = memchr::memmem::Finder::new(spelling.as_bytes()).into_owned();
            known.insert(
                at,
                KnownSecret {
                    value: spelling,
                    finder,
                },
            );
        }
        drop(known);
        audit::note(secret);
    }

    /// The secret values this run has handled so far (state, PKCE verifier, codes, tokens,
    /// client secrets) in every spelling the redactor scrubs, for a test proving that none of
    /// them reached a report.
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
                out = replace_outside_markers(&out, &secret.value).into();
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

/// Replaces `secret` with the marker everywhere but inside markers already placed: a short
/// secret the user gave may be a piece of the marker's own text.
fn replace_outside_markers(text: &str, secret: &str) -> String {
    text.split(REDACTED)
        .map(|piece| piece.replace(secret, REDACTED))
        .collect::<Vec<_>>()
        .join(REDACTED)
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

/// Replaces compact JWS and JWE runs (`eyJ…` then dot-separated base64url segments) with the
/// redaction marker, signed or not: an unsigned JWT (`alg: none`, empty signature) and a JWE
/// (five segments, some of which may be empty) are bearer credentials all the same.
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
        if is_compact_jose(token) {
            out.push_str(REDACTED);
        } else {
            out.push_str(token);
        }
        rest = &candidate[end..];
    }
    out.push_str(rest);
    out
}

/// A header segment and at least two more segments, one of them non-empty: `h.p.s` (JWS),
/// `h.p.` (unsigned JWS), `h..s` (detached payload), `h.k.iv.c.t` and `h..iv.c.t` (JWE).
fn is_compact_jose(token: &str) -> bool {
    let mut segments = token.split('.');
    let header = segments.next().unwrap_or("");
    let rest: Vec<&str> = segments.collect();
    !header.is_empty() && rest.len() >= 2 && rest.iter().any(|s| !s.is_empty())
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

    #[test]
    fn unsigned_jwts_and_five_part_tokens_are_scrubbed() {
        let r = Redactor::default();
        for token in [
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
            "eyJhbGciOiJSU0EtT0FFUCJ9.a2V5.aXY.Y2lwaGVy.dGFn",
            "eyJhbGciOiJkaXIifQ..aXY.Y2lwaGVy.dGFn",
        ] {
            assert_eq!(r.text(&format!("got {token} back")), "got [redacted] back");
        }
        // Two segments are no token, and ordinary dotted names are left alone.
        assert_eq!(r.text("eyJhbGci.only"), "eyJhbGci.only");
        assert_eq!(r.text("mcp.example.com"), "mcp.example.com");
    }

    #[test]
    fn short_secrets_are_scrubbed_only_when_the_user_gave_them() {
        let r = Redactor::default();
        r.register("s3cr");
        assert_eq!(r.text("value s3cr"), "value s3cr");
        r.register_given("s3cr");
        assert_eq!(r.text("value s3cr"), "value [redacted]");
        r.register_given("");
        assert_eq!(r.text("nothing to see"), "nothing to see");
    }

    #[test]
    fn percent_and_form_encoded_spellings_are_scrubbed() {
        let r = Redactor::default();
        r.register_given("p@ss word/+");
        for spelling in [
            "p%40ss+word%2F%2B",
            "p%40ss%20word%2F%2B",
            "p%40ss%20word%2f%2b",
        ] {
            assert_eq!(
                r.url(&format!("https://as.example/cb?x={spelling}")),
                "https://as.example/cb?x=[redacted]",
                "{spelling}"
            );
        }
    }

    #[test]
    fn secret_names_are_one_list_matched_in_any_case() {
        for name in ["client_secret", "Registration_Access_Token", "assertion"] {
            assert!(is_secret_name(name), "{name}");
        }
        assert!(!is_secret_name("client_id"));
    }

    /// A secret of any printable characters, some of which need percent-encoding.
    fn secret_needing_encoding() -> impl Strategy<Value = String> {
        "[A-Za-z0-9]{4,12}[ &=+/%?#@:;,!$'()*\\[\\]]{1,4}[A-Za-z0-9 ]{3,12}"
    }

    /// An unsigned JWS (`h.p.`) or a JWE with an empty or present encrypted key.
    fn unsigned_or_five_part_token() -> impl Strategy<Value = String> {
        let segment = "[A-Za-z0-9_-]{2,40}";
        prop_oneof![
            (segment, segment).prop_map(|(h, p)| format!("eyJ{h}.eyJ{p}.")),
            (segment, segment, segment, segment, any::<bool>()).prop_map(
                |(h, iv, c, t, with_key)| {
                    let key = if with_key { "a2V5" } else { "" };
                    format!("eyJ{h}.{key}.{iv}.{c}.{t}")
                }
            ),
        ]
    }

    proptest! {
        #[test]
        fn a_secret_needing_encoding_survives_in_no_spelling(secret in secret_needing_encoding(), prefix in "[a-z ]{0,10}") {
            let r = Redactor::default();
            r.register(&secret);
            let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
            let component = percent_encode_component(&secret);
            for spelling in [&secret, &form, &component] {
                let text = format!("{prefix}{spelling}!");
                prop_assert!(!r.text(&text).contains(spelling.as_str()));
                let url = format!("http://x/cb?a={spelling}&b=1");
                prop_assert!(!r.url(&url).contains(spelling.as_str()));
            }
            let body = format!("a=1&note={form}");
            prop_assert!(!r.body(&body).contains(&form));
        }

        #[test]
        fn a_short_secret_the_user_gave_never_survives(secret in "[A-Za-z0-9!#*]{1,7}", prefix in "[ .,]{0,3}") {
            let r = Redactor::default();
            r.register_given(&secret);
            let text = format!("{prefix}{secret} and again{prefix}{secret}");
            let scrubbed = r.text(&text);
            // The marker's own letters may spell a one-letter secret; what is outside it may not.
            prop_assert!(scrubbed.split(REDACTED).all(|piece| !piece.contains(&secret)), "{scrubbed}");
        }

        #[test]
        fn unsigned_and_five_part_tokens_never_survive(token in unsigned_or_five_part_token(), before in "[ :=,(]{1,3}", after in "[ ),;]{0,3}") {
            let r = Redactor::default();
            let text = format!("token{before}{token}{after}end");
            let scrubbed = r.text(&text);
            prop_assert!(!scrubbed.contains(&token), "{scrubbed}");
            prop_assert!(scrubbed.contains(REDACTED));
            let mut json = serde_json::json!({ "note": text });
            r.json(&mut json);
            prop_assert!(!json.to_string().contains(&token));
        }

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
