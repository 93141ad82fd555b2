//! How a profile reads what servers send where real clients differ in the reading: the
//! `WWW-Authenticate` challenge of a 401. Each variant is one family of real clients, named in
//! `clients.rs` with the code it comes from.

use crate::www_authenticate::{self, Challenge};

/// How a client reads the challenge of a 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeReading {
    /// RFC 9110 §11.6.1: every challenge of every field, whitespace allowed around `=`; the
    /// Bearer challenge, else the DPoP one.
    Rfc9110,
    /// A pattern per parameter over the whole header (`resource_metadata=(?:"([^"]+)"|([^\s,]+))`,
    /// the way the TypeScript and Python SDKs read it): a value with whitespace before or
    /// after its `=` is not found, a repeated parameter gives the value `repeated` says, and
    /// the header is read only when its first word is one of `schemes` (case-insensitive;
    /// empty: any).
    Pattern {
        schemes: &'static [&'static str],
        repeated: Repeated,
    },
}

/// Which value of a repeated parameter a pattern reader keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeated {
    /// The first (a search that stops at the first match).
    First,
    /// The last (every match written into a map, each over the one before).
    Last,
}

impl ChallengeReading {
    /// The challenge a client of this reading answers, from a response's `WWW-Authenticate`
    /// fields. `None` when it finds none (it then discovers as if there were no challenge).
    pub fn read<'a>(self, fields: impl IntoIterator<Item = &'a str> + Clone) -> Option<Challenge> {
        match self {
            ChallengeReading::Rfc9110 => {
                www_authenticate::oauth_challenge_in(fields).ok().flatten()
            }
            ChallengeReading::Pattern { schemes, repeated } => {
                let header = www_authenticate::combined(fields);
                pattern_read(&header, schemes, repeated)
            }
        }
    }
}

fn pattern_read(header: &str, schemes: &[&str], repeated: Repeated) -> Option<Challenge> {
    let scheme = header.split([' ', ',']).find(|w| !w.is_empty())?;
    if !schemes.is_empty() && !schemes.iter().any(|s| s.eq_ignore_ascii_case(scheme)) {
        return None;
    }
    let mut params: Vec<(String, String)> = Vec::new();
    for (start, _) in header.match_indices('=') {
        let name_start = header[..start]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .map_or(0, |i| i + 1);
        let name = header[name_start..start].to_ascii_lowercase();
        let known = params.iter().position(|(known, _)| *known == name);
        if name.is_empty() || (known.is_some() && repeated == Repeated::First) {
            continue;
        }
        let rest = &header[start + 1..];
        let value = match rest.strip_prefix('"') {
            Some(quoted) => match quoted.split_once('"') {
                Some((value, _)) if !value.is_empty() => value,
                _ => continue,
            },
            None => rest.split([' ', '\t', ',']).next().unwrap_or_default(),
        };
        if value.is_empty() {
            continue;
        }
        match known {
            Some(index) => params[index].1 = value.to_owned(),
            None => params.push((name, value.to_owned())),
        }
    }
    Some(Challenge {
        scheme: scheme.to_owned(),
        params,
        token68: None,
    })
}

#[cfg(test)]
mod tests {
    use super::{ChallengeReading, Repeated};

    const TS: ChallengeReading = ChallengeReading::Pattern {
        schemes: &["bearer", "dpop"],
        repeated: Repeated::First,
    };
    const BEARER_FIRST: ChallengeReading = ChallengeReading::Pattern {
        schemes: &["bearer"],
        repeated: Repeated::First,
    };
    const LAST: ChallengeReading = ChallengeReading::Pattern {
        schemes: &[],
        repeated: Repeated::Last,
    };

    fn metadata(reading: ChallengeReading, header: &str) -> Option<String> {
        reading
            .read([header])
            .and_then(|c| c.param("resource_metadata").map(str::to_owned))
    }

    #[test]
    fn a_pattern_reader_takes_the_first_duplicate_as_rfc_9110_readers_do() {
        let header = r#"Bearer resource_metadata="http://a/1", error="invalid_token", resource_metadata="http://a/2""#;
        assert_eq!(metadata(TS, header).as_deref(), Some("http://a/1"));
        assert_eq!(
            metadata(ChallengeReading::Rfc9110, header).as_deref(),
            Some("http://a/1")
        );
        assert_eq!(metadata(LAST, header).as_deref(), Some("http://a/2"));
    }

    #[test]
    fn a_pattern_reader_misses_whitespace_around_the_equals_sign() {
        let header = r#"Bearer resource_metadata = "http://a/1", scope = "mcp""#;
        assert_eq!(metadata(TS, header), None);
        assert_eq!(
            metadata(ChallengeReading::Rfc9110, header).as_deref(),
            Some("http://a/1")
        );
    }

    #[test]
    fn a_pattern_reader_reads_only_a_header_whose_first_scheme_it_knows() {
        let header = r#"DPoP algs="ES256", Bearer resource_metadata="http://a/1""#;
        assert_eq!(metadata(TS, header).as_deref(), Some("http://a/1"));
        assert_eq!(metadata(BEARER_FIRST, header), None);
        assert_eq!(
            metadata(ChallengeReading::Rfc9110, header).as_deref(),
            Some("http://a/1")
        );
    }

    #[test]
    fn a_pattern_reader_reads_tokens_and_quoted_values_whatever_the_scheme() {
        let reading = ChallengeReading::Pattern {
            schemes: &[],
            repeated: Repeated::First,
        };
        let challenge = reading
            .read([r#"bearer error_description="x=y", scope=mcp:tools"#])
            .expect("a challenge");
        assert_eq!(challenge.param("scope"), Some("mcp:tools"));
        assert_eq!(challenge.param("error_description"), Some("x=y"));
    }
}
