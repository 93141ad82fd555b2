//! A strict reader of `application/x-www-form-urlencoded` request bodies.
//!
//! `url::form_urlencoded::parse` is lenient by design (a stray `%` passes through, bytes that
//! are not UTF-8 become U+FFFD), so a token request it read may not be the one the client sent.
//! The endpoints that act on a form read it here instead: a malformed escape or a value that is
//! not UTF-8 is an error the endpoint answers with `invalid_request`, and so is a parameter
//! given more than once (RFC 6749 §3.2: "Request and response parameters MUST NOT be included
//! more than once").

use std::collections::HashMap;

/// Why a form body was refused; the text is meant for `error_description`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("the form body holds an invalid percent-encoding at byte {0}")]
    BadEscape(usize),
    #[error("a form parameter name or value is not UTF-8 once decoded")]
    NotUtf8,
    #[error("parameter {0:?} appears more than once")]
    Repeated(String),
}

/// The parameters of a form body, each name once. Empty pairs (`a=1&&b=2`) are skipped, as
/// the WHATWG form parser skips them.
pub fn parse_unique(body: &[u8]) -> Result<HashMap<String, String>, FormError> {
    let mut params = HashMap::new();
    let mut offset = 0;
    for pair in body.split(|&b| b == b'&') {
        let start = offset;
        offset += pair.len() + 1;
        if pair.is_empty() {
            continue;
        }
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        let value_at = start + name.len() + 1;
        let name = decode(name, start)?;
        let value = decode(value, value_at)?;
        if params.contains_key(&name) {
            return Err(FormError::Repeated(name));
        }
        params.insert(name, value);
    }
    Ok(params)
}

/// One name or value: `+` is a space, `%XY` a byte; the bytes must be UTF-8.
fn decode(text: &[u8], at: usize) -> Result<String, FormError> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut index = 0;
    while index < text.len() {
        match text[index] {
            b'+' => bytes.push(b' '),
            b'%' => {
                let high = text.get(index + 1).and_then(|b| hex(*b));
                let low = text.get(index + 2).and_then(|b| hex(*b));
                let (Some(high), Some(low)) = (high, low) else {
                    return Err(FormError::BadEscape(at + index));
                };
                bytes.push(high << 4 | low);
                index += 2;
            }
            other => bytes.push(other),
        }
        index += 1;
    }
    String::from_utf8(bytes).map_err(|_| FormError::NotUtf8)
}

fn hex(byte: u8) -> Option<u8> {
    (byte as char)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_well_formed_body_is_decoded() {
        let params = parse_unique(
            b"grant_type=authorization_code&redirect_uri=http%3A%2F%2Fx%2Fcb&&scope=a+b",
        )
        .unwrap();
        assert_eq!(params["grant_type"], "authorization_code");
        assert_eq!(params["redirect_uri"], "http://x/cb");
        assert_eq!(params["scope"], "a b");
        assert_eq!(parse_unique(b"flag").unwrap()["flag"], "");
    }

    #[test]
    fn malformed_escapes_and_non_utf8_are_refused() {
        assert_eq!(parse_unique(b"code=%zz"), Err(FormError::BadEscape(5)));
        assert_eq!(parse_unique(b"code=abc%4"), Err(FormError::BadEscape(8)));
        assert_eq!(parse_unique(b"code=%"), Err(FormError::BadEscape(5)));
        assert_eq!(parse_unique(b"code=%ff%fe"), Err(FormError::NotUtf8));
        assert_eq!(parse_unique(b"co\xffde=1"), Err(FormError::NotUtf8));
    }

    #[test]
    fn a_repeated_name_is_refused_even_when_spelt_differently() {
        assert_eq!(
            parse_unique(b"code=a&code=a"),
            Err(FormError::Repeated("code".to_owned()))
        );
        assert_eq!(
            parse_unique(b"code=a&%63ode=b"),
            Err(FormError::Repeated("code".to_owned()))
        );
    }
}
