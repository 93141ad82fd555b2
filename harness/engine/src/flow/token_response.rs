//! Reading a token endpoint's answer (RFC 6749 §5.1 / §5.2) into tokens or an error, as a
//! total function of the status and body: whatever a server sends, parsing never panics.
//! Recording checks and registering secrets is left to the callers, who hold the context.

use std::time::{Duration, SystemTime};

use oauth2::{AccessToken, RefreshToken};
use serde_json::Value;

use super::token_set::TokenSet;
use crate::http::HttpResponse;

/// Lifetimes above this are not believed: servers send `999999999999` or `u64::MAX` to mean
/// "never", and an instant that far ahead cannot even be written as an RFC 3339 time. Ten
/// years is longer than any access token a real deployment issues on purpose. Such a lifetime
/// is refused rather than clamped: a client that believed a century would never refresh
/// ahead of time, while an unknown expiry is what RFC 6749 §5.1 already allows, and the
/// client then refreshes when the server refuses the token; the `token-lifetime-plausible`
/// warning says which it was.
pub const MAX_PLAUSIBLE_LIFETIME: Duration = Duration::from_secs(10 * 365 * 24 * 60 * 60);

// A believed lifetime is within the bound every duration from outside keeps.
const _: () =
    assert!(MAX_PLAUSIBLE_LIFETIME.as_secs() <= mcp_oauth_mocks::time_bound::MAX_DURATION_SECS);

/// What `expires_in` said, judged.
#[derive(Debug, Clone, PartialEq)]
pub enum Lifetime {
    /// No `expires_in`: the token's expiry is unknown (RFC 6749 §5.1 makes it optional).
    Absent,
    /// A plausible lifetime, in seconds.
    Seconds(u64),
    /// A plausible lifetime given as a string of digits (`"3600"`): read as seconds, but not
    /// the JSON number RFC 6749 §5.1 means.
    Quoted(u64),
    /// A number beyond [`MAX_PLAUSIBLE_LIFETIME`]: the token is treated as not expiring.
    Absurd(Value),
    /// Not a non-negative integer (a string, a fraction, a negative number, ...).
    Malformed(Value),
}

impl Lifetime {
    pub fn read(body: &Value) -> Self {
        let Some(value) = body.get("expires_in") else {
            return Self::Absent;
        };
        match value.as_u64() {
            Some(secs) if Duration::from_secs(secs) <= MAX_PLAUSIBLE_LIFETIME => {
                Self::Seconds(secs)
            }
            Some(_) => Self::Absurd(value.clone()),
            // A float that is huge is absurd too, not merely malformed.
            None if value.as_f64().is_some_and(|f| f > u64::MAX as f64) => {
                Self::Absurd(value.clone())
            }
            None => match value.as_str().map(str::trim) {
                Some(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
                    match text.parse::<u64>() {
                        Ok(secs) if Duration::from_secs(secs) <= MAX_PLAUSIBLE_LIFETIME => {
                            Self::Quoted(secs)
                        }
                        _ => Self::Absurd(value.clone()),
                    }
                }
                _ => Self::Malformed(value.clone()),
            },
        }
    }

    /// The lifetime in seconds, when one is believed.
    pub fn seconds(&self) -> Option<u64> {
        match self {
            Self::Seconds(secs) | Self::Quoted(secs) => Some(*secs),
            _ => None,
        }
    }

    /// The instant the token expires, counted from `now`; `None` when it is unknown or not
    /// believed. Checked arithmetic: a clock near the end of time gives `None`, not a panic.
    pub fn expires_at(&self, now: SystemTime) -> Option<SystemTime> {
        self.seconds()
            .and_then(|secs| now.checked_add(Duration::from_secs(secs)))
    }
}

/// A token answer read without side effects.
#[derive(Debug, Clone)]
pub struct ParsedTokenResponse {
    pub status: u16,
    pub body: Value,
    /// The access token, if the body names one (even on an error status: it must be redacted).
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub bearer: bool,
    /// `token_type` is `DPoP` (RFC 9449 §5): the token is bound to the proof's key.
    pub dpop: bool,
    pub lifetime: Lifetime,
    /// The body was `application/x-www-form-urlencoded`, not JSON: its fields are read as
    /// strings into `body`.
    pub form_encoded: bool,
}

impl ParsedTokenResponse {
    /// The answer as received: its status, its `Content-Type` and its body.
    pub fn read(response: &HttpResponse) -> Self {
        Self::parse_typed(
            response.status.as_u16(),
            response.header("content-type"),
            &response.body,
        )
    }

    pub fn parse(status: u16, body: &[u8]) -> Self {
        Self::parse_typed(status, None, body)
    }

    /// JSON, or a form-encoded body when the `Content-Type` says so (GitHub's OAuth apps
    /// answer so to requests that do not accept JSON).
    pub fn parse_typed(status: u16, content_type: Option<&str>, body: &[u8]) -> Self {
        let form = content_type.is_some_and(|t| {
            t.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
        let json: Option<Value> = serde_json::from_slice(body).ok();
        let (body, form_encoded) = match json {
            Some(value) => (value, false),
            None if form => (form_fields(body), true),
            None => (Value::Null, false),
        };
        let text = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
        Self {
            status,
            access_token: text("access_token"),
            refresh_token: text("refresh_token"),
            bearer: text("token_type").is_some_and(|t| t.eq_ignore_ascii_case("bearer")),
            dpop: text("token_type").is_some_and(|t| t.eq_ignore_ascii_case("dpop")),
            lifetime: Lifetime::read(&body),
            body,
            form_encoded,
        }
    }

    /// A 200 answer that carries an OAuth `error` (RFC 6749 §5.2 says 400): an error all the
    /// same.
    pub fn error_with_success_status(&self) -> bool {
        self.status == 200 && self.text("error").is_some() && self.access_token.is_none()
    }

    pub fn text(&self, name: &str) -> Option<String> {
        self.body
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// What keeps a 200 answer that is no OAuth error from being tokens: the missing or
    /// ill-typed field, named. `None` for any other answer.
    pub fn unusable(&self) -> Option<String> {
        if self.status != 200
            || self.text("error").is_some()
            || self.tokens(SystemTime::UNIX_EPOCH).is_some()
        {
            return None;
        }
        let field = |name: &str| self.body.get(name);
        Some(match (field("access_token"), field("token_type")) {
            _ if self.body.is_null() => "the body is not JSON".to_owned(),
            _ if !self.body.is_object() => "the body is JSON but not an object".to_owned(),
            (None, _) => "the answer has no access_token (RFC 6749 §5.1 requires one)".to_owned(),
            (Some(token), _) if !token.is_string() => {
                format!("access_token is {}, not a string", kind(token))
            }
            (_, None) => "the answer has no token_type (RFC 6749 §5.1 requires one; this client uses Bearer tokens)".to_owned(),
            (_, Some(token_type)) => format!("token_type is {}, not Bearer", shown(token_type)),
        })
    }

    /// Tokens, when this is a 200 answer with a Bearer (or DPoP) access token.
    pub fn tokens(&self, now: SystemTime) -> Option<TokenSet> {
        match (&self.access_token, self.status, self.bearer || self.dpop) {
            (Some(access), 200, true) => Some(TokenSet {
                access_token: AccessToken::new(access.clone()),
                refresh_token: self.refresh_token.clone().map(RefreshToken::new),
                expires_at: self.lifetime.expires_at(now),
                scope: self.text("scope"),
            }),
            _ => None,
        }
    }
}

/// A JSON value's kind, for a message (never the value: it may be a secret).
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A short field value for a message: a hostile server's text stays short.
fn shown(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 {
        text.chars().take(40).collect::<String>() + "…"
    } else {
        text
    }
}

/// A form-encoded body as a JSON object of strings; a repeated field keeps its first value.
fn form_fields(body: &[u8]) -> Value {
    let mut fields = serde_json::Map::new();
    for (name, value) in url::form_urlencoded::parse(body) {
        fields
            .entry(name.into_owned())
            .or_insert_with(|| Value::from(value.into_owned()));
    }
    Value::Object(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn huge_lifetimes_are_absurd_not_a_panic() {
        for body in [
            r#"{"access_token":"a","token_type":"Bearer","expires_in":18446744073709551615}"#,
            r#"{"access_token":"a","token_type":"Bearer","expires_in":999999999999}"#,
            r#"{"access_token":"a","token_type":"Bearer","expires_in":1e300}"#,
        ] {
            let parsed = ParsedTokenResponse::parse(200, body.as_bytes());
            assert!(matches!(parsed.lifetime, Lifetime::Absurd(_)), "{body}");
            let tokens = parsed.tokens(at(1_767_225_600)).unwrap();
            assert_eq!(tokens.expires_at, None);
        }
    }

    #[test]
    fn ordinary_lifetimes_count_from_now() {
        let parsed = ParsedTokenResponse::parse(
            200,
            br#"{"access_token":"a","token_type":"bearer","expires_in":3600}"#,
        );
        assert_eq!(parsed.lifetime, Lifetime::Seconds(3600));
        assert_eq!(parsed.tokens(at(100)).unwrap().expires_at, Some(at(3700)));
    }

    #[test]
    fn malformed_lifetimes_are_named() {
        for value in ["\"3600s\"", "\"\"", "-1", "3.5", "null"] {
            let body = format!(r#"{{"expires_in":{value}}}"#);
            let parsed = ParsedTokenResponse::parse(200, body.as_bytes());
            assert!(
                matches!(parsed.lifetime, Lifetime::Malformed(_)),
                "{value}: {:?}",
                parsed.lifetime
            );
        }
    }

    #[test]
    fn a_string_of_digits_is_read_as_seconds_and_named_quoted() {
        let parsed = ParsedTokenResponse::parse(
            200,
            br#"{"access_token":"a","token_type":"Bearer","expires_in":"3600"}"#,
        );
        assert_eq!(parsed.lifetime, Lifetime::Quoted(3600));
        assert_eq!(parsed.tokens(at(100)).unwrap().expires_at, Some(at(3700)));
    }

    #[test]
    fn a_form_encoded_answer_is_read_when_its_type_says_so() {
        let body = b"access_token=a&token_type=bearer&expires_in=60&refresh_token=r";
        let parsed = ParsedTokenResponse::parse_typed(
            200,
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            body,
        );
        assert!(parsed.form_encoded);
        assert_eq!(parsed.refresh_token.as_deref(), Some("r"));
        assert_eq!(parsed.tokens(at(0)).unwrap().expires_at, Some(at(60)));
        // Without the type, a form body is not guessed at.
        assert!(
            ParsedTokenResponse::parse(200, body)
                .tokens(at(0))
                .is_none()
        );
    }

    #[test]
    fn an_unusable_answer_names_its_field() {
        let problem = |body: &[u8]| ParsedTokenResponse::parse(200, body).unusable();
        let no_token = problem(br#"{"token_type":"Bearer"}"#).unwrap();
        assert!(no_token.contains("no access_token"), "{no_token}");
        let no_type = problem(br#"{"access_token":"a"}"#).unwrap();
        assert!(no_type.contains("no token_type"), "{no_type}");
        let number = problem(br#"{"access_token":7,"token_type":"Bearer"}"#).unwrap();
        assert_eq!(number, "access_token is a number, not a string");
        let mac = problem(br#"{"access_token":"a","token_type":"mac"}"#).unwrap();
        assert_eq!(mac, "token_type is \"mac\", not Bearer");
        assert_eq!(problem(b"<html>").as_deref(), Some("the body is not JSON"));
        assert_eq!(
            problem(br#"{"access_token":"a","token_type":"Bearer"}"#),
            None
        );
        assert_eq!(problem(br#"{"error":"invalid_grant"}"#), None);
    }

    #[test]
    fn an_error_with_status_200_is_an_error() {
        let parsed = ParsedTokenResponse::parse(200, br#"{"error":"bad_verification_code"}"#);
        assert!(parsed.error_with_success_status());
        assert!(parsed.tokens(at(0)).is_none());
    }

    #[test]
    fn a_clock_at_the_end_of_time_gives_no_expiry() {
        let end = SystemTime::UNIX_EPOCH + Duration::from_secs(i64::MAX as u64 / 2);
        let lifetime = Lifetime::Seconds(MAX_PLAUSIBLE_LIFETIME.as_secs());
        // Either a time or None; never a panic.
        let _ = lifetime.expires_at(end);
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            ".{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("access_token".to_owned()),
                        Just("token_type".to_owned()),
                        Just("expires_in".to_owned()),
                        Just("refresh_token".to_owned()),
                        Just("scope".to_owned()),
                        Just("error".to_owned()),
                        ".{0,6}",
                    ],
                    inner,
                    0..6
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn no_token_response_json_panics(
            status in prop_oneof![Just(200u16), 100u16..600],
            body in json_value(),
            expires_in in prop_oneof![any::<u64>().prop_map(Value::from), any::<i64>().prop_map(Value::from), any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number))],
            now in any::<u64>(),
        ) {
            let mut body = body;
            if let Value::Object(map) = &mut body {
                map.insert("expires_in".to_owned(), expires_in);
                map.entry("access_token").or_insert_with(|| Value::from("token"));
                map.entry("token_type").or_insert_with(|| Value::from("Bearer"));
            }
            let bytes = serde_json::to_vec(&body).unwrap();
            let parsed = ParsedTokenResponse::parse(status, &bytes);
            let now = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(now / 2)).unwrap_or(SystemTime::UNIX_EPOCH);
            if let Some(tokens) = parsed.tokens(now)
                && let Some(at) = tokens.expires_at
                && at.duration_since(now).is_ok_and(|d| d <= MAX_PLAUSIBLE_LIFETIME)
                && now < SystemTime::UNIX_EPOCH + Duration::from_secs(200_000_000_000)
            {
                // Whatever was believed can be written as a report timestamp.
                let _ = crate::timestamp::rfc3339(at, crate::timestamp::Precision::Seconds);
            }
        }

        #[test]
        fn no_token_response_bytes_panic(status in any::<u16>(), body in prop::collection::vec(any::<u8>(), 0..256)) {
            let parsed = ParsedTokenResponse::parse(status, &body);
            let _ = parsed.tokens(SystemTime::UNIX_EPOCH);
        }
    }
}
