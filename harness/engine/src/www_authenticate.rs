//! A parser for the `WWW-Authenticate` header (RFC 9110 §11.6.1): one or more challenges, each a
//! scheme with either auth-params or a token68. Servers under test send all kinds of things, so
//! the parser is total: it returns an error naming the position, never panics.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    /// Parameter names are lower-cased (they are case-insensitive); values are unquoted.
    pub params: Vec<(String, String)>,
    pub token68: Option<String>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_bearer(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("bearer")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub position: usize,
    pub message: &'static str,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at character {}", self.message, self.position)
    }
}

impl std::error::Error for ParseError {}

/// Parses every challenge in a header value.
pub fn parse(header: &str) -> Result<Vec<Challenge>, ParseError> {
    let mut parser = Parser {
        chars: header.chars().collect(),
        pos: 0,
    };
    let challenges = parser.challenges()?;
    if challenges.is_empty() {
        return Err(ParseError {
            position: 0,
            message: "no challenge in the header",
        });
    }
    Ok(challenges)
}

/// The first Bearer challenge of a header value, if any.
pub fn bearer(header: &str) -> Result<Option<Challenge>, ParseError> {
    Ok(parse(header)?.into_iter().find(Challenge::is_bearer))
}

/// The first Bearer challenge among all `WWW-Authenticate` fields of a response. RFC 9110
/// §11.6.1 lets a server send several fields (say `Basic` in one and `Bearer` in the next),
/// each with one or more challenges. A field that does not parse is passed over when another
/// holds a Bearer challenge; when none does, the first parse error is the answer.
pub fn bearer_in<'a>(
    fields: impl IntoIterator<Item = &'a str>,
) -> Result<Option<Challenge>, ParseError> {
    let mut first_error = None;
    for field in fields {
        match bearer(field) {
            Ok(Some(challenge)) => return Ok(Some(challenge)),
            Ok(None) => {}
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(None),
    }
}

/// The challenge an OAuth client answers among all `WWW-Authenticate` fields: the first
/// Bearer challenge, else the first `DPoP` one (RFC 9449 §7.1: a server that accepts only
/// DPoP-bound tokens challenges with that scheme alone).
pub fn oauth_challenge_in<'a>(
    fields: impl IntoIterator<Item = &'a str> + Clone,
) -> Result<Option<Challenge>, ParseError> {
    match bearer_in(fields.clone()) {
        Ok(None) => {}
        other => return other,
    }
    Ok(fields.into_iter().find_map(|field| {
        parse(field)
            .ok()?
            .into_iter()
            .find(|c| c.scheme.eq_ignore_ascii_case("dpop"))
    }))
}

/// All fields as one list, as RFC 9110 §5.3 allows combining them, for messages and records.
pub fn combined<'a>(fields: impl IntoIterator<Item = &'a str>) -> String {
    fields.into_iter().collect::<Vec<_>>().join(", ")
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn is_token68_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~+/".contains(c)
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn error(&self, message: &'static str) -> ParseError {
        ParseError {
            position: self.pos,
            message,
        }
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.pos += 1;
        }
    }

    fn skip_commas(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | ',')) {
            self.pos += 1;
        }
    }

    fn token(&mut self) -> Option<String> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        (self.pos > start).then(|| self.chars[start..self.pos].iter().collect())
    }

    fn challenges(&mut self) -> Result<Vec<Challenge>, ParseError> {
        let mut challenges = Vec::new();
        loop {
            self.skip_commas();
            if self.peek().is_none() {
                return Ok(challenges);
            }
            let scheme = self
                .token()
                .ok_or_else(|| self.error("expected an authentication scheme"))?;
            let mut challenge = Challenge {
                scheme,
                params: Vec::new(),
                token68: None,
            };
            self.skip_ws();
            if let Some(token68) = self.try_token68() {
                challenge.token68 = Some(token68);
            } else {
                self.params(&mut challenge.params)?;
            }
            challenges.push(challenge);
        }
    }

    /// A token68 stands alone: it is followed by the end or a comma, never by `=` and a value.
    fn try_token68(&mut self) -> Option<String> {
        let start = self.pos;
        while self.peek().is_some_and(is_token68_char) {
            self.pos += 1;
        }
        if self.pos == start {
            return None;
        }
        while self.peek() == Some('=') {
            self.pos += 1;
        }
        let end = self.pos;
        self.skip_ws();
        if matches!(self.peek(), None | Some(',')) {
            return Some(self.chars[start..end].iter().collect());
        }
        self.pos = start;
        None
    }

    fn params(&mut self, params: &mut Vec<(String, String)>) -> Result<(), ParseError> {
        loop {
            self.skip_ws();
            let checkpoint = self.pos;
            let Some(name) = self.token() else {
                return Ok(());
            };
            self.skip_ws();
            if self.peek() != Some('=') {
                // Not a parameter: the start of the next challenge.
                self.pos = checkpoint;
                return Ok(());
            }
            self.pos += 1;
            self.skip_ws();
            let value = if self.peek() == Some('"') {
                self.quoted()?
            } else {
                self.token()
                    .ok_or_else(|| self.error("expected a parameter value"))?
            };
            let single_quoted = value.starts_with('\'');
            params.push((name.to_ascii_lowercase(), value));
            self.skip_ws();
            match self.peek() {
                None => return Ok(()),
                Some(',') => {
                    self.pos += 1;
                }
                // `'…'` is a token only while it holds token characters: a single-quoted URL
                // stops at its `:`.
                Some(_) if single_quoted => {
                    return Err(self.error(
                        "a single-quoted value (RFC 9110 §5.6.4 quotes with double quotes only)",
                    ));
                }
                Some(_) => return Err(self.error("expected a comma between parameters")),
            }
        }
    }

    fn quoted(&mut self) -> Result<String, ParseError> {
        self.pos += 1; // opening quote
        let mut value = String::new();
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated quoted string")),
                Some('"') => {
                    self.pos += 1;
                    return Ok(value);
                }
                Some('\\') => {
                    self.pos += 1;
                    let escaped = self
                        .peek()
                        .ok_or_else(|| self.error("unterminated escape in quoted string"))?;
                    value.push(escaped);
                    self.pos += 1;
                }
                Some(c) => {
                    value.push(c);
                    self.pos += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_an_mcp_challenge() {
        let c = bearer(r#"Bearer error="invalid_token", error_description="expired", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp""#)
            .unwrap()
            .unwrap();
        assert_eq!(c.param("error"), Some("invalid_token"));
        assert_eq!(
            c.param("resource_metadata"),
            Some("https://mcp.example.com/.well-known/oauth-protected-resource/mcp")
        );
    }

    #[test]
    fn finds_bearer_among_several_challenges() {
        let all = parse(r#"Basic realm="x", Bearer scope="a b", resource_metadata="u""#).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].scheme, "Basic");
        assert_eq!(all[1].param("scope"), Some("a b"));
    }

    #[test]
    fn bare_scheme_and_token68() {
        assert_eq!(parse("Bearer").unwrap()[0].scheme, "Bearer");
        let c = &parse("Basic dXNlcjpwYXNz==").unwrap()[0];
        assert_eq!(c.token68.as_deref(), Some("dXNlcjpwYXNz=="));
    }

    #[test]
    fn names_are_case_insensitive_and_escapes_unquoted() {
        let c = &parse(r#"bearer Resource_Metadata="a\"b""#).unwrap()[0];
        assert!(c.is_bearer());
        assert_eq!(c.param("resource_metadata"), Some("a\"b"));
    }

    #[test]
    fn a_single_quoted_url_is_an_error_that_says_so() {
        let error = parse("Bearer resource_metadata='http://a/m'").unwrap_err();
        assert!(error.message.contains("single-quoted"), "{error}");
        // A single-quoted value of token characters is a token.
        assert_eq!(
            bearer("Bearer scope='mcp'")
                .unwrap()
                .unwrap()
                .param("scope"),
            Some("'mcp'")
        );
    }

    #[test]
    fn malformed_headers_are_errors() {
        assert!(parse("").is_err());
        assert!(parse(r#"Bearer realm="unterminated"#).is_err());
        assert!(parse(r#"Bearer a="b" c="d""#).is_err());
        assert!(parse("=oops").is_err());
    }

    fn quote(value: &str) -> String {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    }

    proptest! {
        #[test]
        fn never_panics(input in ".{0,200}") {
            let _ = parse(&input);
        }

        #[test]
        fn round_trips_generated_challenges(
            scheme in "[A-Za-z][A-Za-z0-9-]{0,10}",
            params in prop::collection::vec(("[a-z_]{1,12}", "[ -~]{0,30}"), 1..5),
        ) {
            let header = format!(
                "{scheme} {}",
                params.iter().map(|(n, v)| format!("{n}={}", quote(v))).collect::<Vec<_>>().join(", ")
            );
            let parsed = parse(&header).unwrap();
            prop_assert_eq!(parsed.len(), 1);
            prop_assert_eq!(&parsed[0].scheme, &scheme);
            prop_assert_eq!(&parsed[0].params, &params);
        }
    }

    #[test]
    fn a_bearer_challenge_in_a_later_field_is_found() {
        let found = bearer_in([
            "Basic realm=\"legacy\"",
            "Bearer resource_metadata=\"https://a/prm\"",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(found.param("resource_metadata"), Some("https://a/prm"));
        assert_eq!(bearer_in(["Basic realm=\"x\""]).unwrap(), None);
        assert!(bearer_in(["Bearer realm=\"open"]).is_err());
        // A broken field does not hide a good Bearer challenge in another.
        assert!(
            bearer_in(["Bearer realm=\"open", "Bearer realm=\"ok\""])
                .unwrap()
                .is_some()
        );
        assert_eq!(bearer_in([]).unwrap(), None);
    }

    fn challenge() -> impl Strategy<Value = (String, Vec<(String, String)>)> {
        (
            "[A-Za-z][A-Za-z0-9-]{0,10}",
            prop::collection::vec(("[a-z_]{1,12}", "[ -~]{0,30}"), 1..4),
        )
    }

    fn written((scheme, params): &(String, Vec<(String, String)>)) -> String {
        let params: Vec<String> = params
            .iter()
            .map(|(n, v)| format!("{n}={}", quote(v)))
            .collect();
        format!("{scheme} {}", params.join(", "))
    }

    proptest! {
        #[test]
        fn several_challenges_in_one_field_or_in_several_read_the_same(
            challenges in prop::collection::vec(challenge(), 1..4),
        ) {
            let fields: Vec<String> = challenges.iter().map(written).collect();
            let one_field = combined(fields.iter().map(String::as_str));
            let parsed = parse(&one_field).unwrap();
            prop_assert_eq!(parsed.len(), challenges.len());
            for (got, (scheme, params)) in parsed.iter().zip(&challenges) {
                prop_assert_eq!(&got.scheme, scheme);
                prop_assert_eq!(&got.params, params);
            }
            let first_bearer = parsed.iter().find(|c| c.is_bearer()).cloned();
            prop_assert_eq!(bearer(&one_field).unwrap(), first_bearer.clone());
            prop_assert_eq!(bearer_in(fields.iter().map(String::as_str)).unwrap(), first_bearer);
        }

        #[test]
        fn errors_point_inside_the_header(input in "[ -~]{0,120}") {
            if let Err(e) = parse(&input) {
                prop_assert!(e.position <= input.chars().count(), "{e} for {input:?}");
                prop_assert!(!e.to_string().is_empty());
            }
        }

        #[test]
        fn a_token68_challenge_keeps_its_credentials(
            scheme in "[A-Za-z][A-Za-z0-9-]{0,10}",
            token in "[A-Za-z0-9._~+/-]{1,40}=*",
        ) {
            let parsed = parse(&format!("{scheme} {token}")).unwrap();
            prop_assert_eq!(parsed.len(), 1);
            prop_assert_eq!(parsed[0].token68.as_deref(), Some(token.as_str()));
        }

        #[test]
        fn a_giant_header_is_parsed_or_refused_without_panic(
            repeat in 1usize..2000,
            unit in prop::sample::select(vec!["a=b, ", "Bearer ", "\\\"", ",", "x=\"y\" "]),
        ) {
            let header = format!("Bearer {}", unit.repeat(repeat));
            let _ = parse(&header);
            let _ = bearer_in([header.as_str(), header.as_str()]);
        }
    }
}
