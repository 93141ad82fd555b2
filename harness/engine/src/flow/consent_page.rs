//! What the authorization endpoint showed instead of redirecting to the callback (a page, or a
//! redirect elsewhere), read for evidence only.
//!
//! Most sign-in pages carry the authorization request along, `redirect_uri` included (a hidden
//! input, a form action, a script), so a page that merely contains the word proves nothing.
//! The redirect URI counts as refused only when the authorization server says so: an OAuth
//! error naming the redirect URI (in a JSON body or in the query of a redirect), or visible
//! error text that quotes the redirect URI this client sent.

use serde_json::Value;
use url::Url;

/// What came back in place of the callback.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shown<'a> {
    Page { status: u16, body: &'a str },
    Redirect { location: &'a str },
}

/// OAuth error codes that name the redirect URI themselves (RFC 7591 §3.2.2's, and the one
/// GitHub and others use at the authorization endpoint).
const REDIRECT_ERRORS: &[&str] = &["invalid_redirect_uri", "redirect_uri_mismatch"];

/// Words of a refusal, for visible text that quotes the redirect URI on a page answered 2xx.
const REFUSAL_WORDS: &[&str] = &[
    "error",
    "invalid",
    "mismatch",
    "not allowed",
    "not registered",
    "not match",
    "not permitted",
    "not valid",
    "unauthorized",
    "denied",
];

/// The longest page title a diagnosis quotes, in characters.
const TITLE_LIMIT: usize = 80;

/// Whether the authorization server says it refused `redirect_uri`.
pub(crate) fn refuses_redirect_uri(shown: Shown<'_>, redirect_uri: &str) -> bool {
    match shown {
        Shown::Redirect { location } => oauth_error_in_query(location)
            .is_some_and(|(error, description)| names_redirect(&error, &description)),
        Shown::Page { status, body } => {
            if let Some((error, description)) = oauth_error_in_json(body) {
                return names_redirect(&error, &description);
            }
            let text = visible_text(body);
            quotes(&text, redirect_uri) && (status >= 400 || mentions_refusal(&text))
        }
    }
}

/// The page's `<title>`, decoded, with control and direction-changing characters escaped,
/// whitespace collapsed, and cut at [`TITLE_LIMIT`] characters; None without a title.
pub(crate) fn title(body: &str) -> Option<String> {
    let lower = body.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let text = decode_entities(&body[start..end]);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return None;
    }
    let mut shown: String = text.chars().take(TITLE_LIMIT).flat_map(escaped).collect();
    if text.chars().count() > TITLE_LIMIT {
        shown.push('…');
    }
    Some(shown)
}

/// The page's visible text as a diagnosis may quote it: decoded, whitespace collapsed,
/// control and direction characters escaped, cut at [`TEXT_LIMIT`] characters.
pub(crate) fn text(body: &str) -> String {
    let text = visible_text(body);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut shown: String = text.chars().take(TEXT_LIMIT).flat_map(escaped).collect();
    if text.chars().count() > TEXT_LIMIT {
        shown.push('…');
    }
    shown
}

/// How much of an error page a diagnosis quotes: enough for a provider's one-sentence reason.
const TEXT_LIMIT: usize = 300;

/// A character as a diagnosis may quote it: control characters (C0, C1) and the Unicode
/// direction controls, which could reorder or hide what a reader sees, as `\u{..}`.
fn escaped(c: char) -> Vec<char> {
    let direction_control =
        matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if c.is_control() || direction_control {
        format!("\\u{{{:x}}}", u32::from(c)).chars().collect()
    } else {
        vec![c]
    }
}

fn names_redirect(error: &str, description: &str) -> bool {
    REDIRECT_ERRORS.contains(&error) || description.to_ascii_lowercase().contains("redirect")
}

/// `error` and `error_description` of a JSON error body.
fn oauth_error_in_json(body: &str) -> Option<(String, String)> {
    let value: Value = serde_json::from_str(body.trim()).ok()?;
    let error = value.get("error")?.as_str()?.to_owned();
    let description = value
        .get("error_description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    Some((error, description))
}

/// `error` and `error_description` of a redirect's query (an error page of the server's own).
fn oauth_error_in_query(location: &str) -> Option<(String, String)> {
    let url = Url::parse(location).ok()?;
    let mut error = None;
    let mut description = String::new();
    for (name, value) in url.query_pairs() {
        match name.as_ref() {
            "error" => error = Some(value.into_owned()),
            "error_description" => description = value.into_owned(),
            _ => {}
        }
    }
    Some((error?, description))
}

/// Whether `text` shows the redirect URI as sent, or percent-encoded as in a query.
fn quotes(text: &str, redirect_uri: &str) -> bool {
    let encoded: String = url::form_urlencoded::byte_serialize(redirect_uri.as_bytes()).collect();
    text.contains(redirect_uri) || text.contains(&encoded)
}

fn mentions_refusal(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    REFUSAL_WORDS.iter().any(|word| lower.contains(word))
}

/// The text a person would read: without tags (so without attribute values such as a hidden
/// input's), scripts, styles and comments, with entities decoded. A body that is not HTML
/// is its own text.
fn visible_text(body: &str) -> String {
    let mut text = String::new();
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        text.push(' ');
        let after = &rest[open..];
        let lower = after.get(..9).unwrap_or(after).to_ascii_lowercase();
        let closing = if lower.starts_with("<!--") {
            Some("-->")
        } else if lower.starts_with("<script") {
            Some("</script")
        } else if lower.starts_with("<style") {
            Some("</style")
        } else {
            None
        };
        let skipped = match closing {
            Some(close) => find_ascii_case_insensitive(after, close)
                .map(|at| at + close.len())
                .and_then(|at| after[at..].find('>').map(|gt| at + gt + 1).or(Some(at))),
            None => after.find('>').map(|gt| gt + 1),
        };
        match skipped {
            Some(len) => rest = &after[len..],
            None => {
                rest = "";
                break;
            }
        }
    }
    text.push_str(rest);
    decode_entities(&text)
}

fn find_ascii_case_insensitive(haystack: &str, needle: &str) -> Option<usize> {
    haystack.to_ascii_lowercase().find(needle)
}

/// The character references a page is likely to use around a URL.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let decoded = after.find(';').filter(|&semi| semi <= 10).and_then(|semi| {
            let name = &after[..semi];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SENT: &str = "http://127.0.0.1:33418/callback";

    fn page(status: u16, body: &str) -> bool {
        refuses_redirect_uri(Shown::Page { status, body }, SENT)
    }

    #[test]
    fn a_login_page_carrying_the_redirect_uri_is_no_refusal() {
        let login = format!(
            r#"<!doctype html><html><head><title>Sign in</title>
            <script>window.config = {{"redirect_uri": "{SENT}", "error": null}};</script></head>
            <body><form method="post" action="/login?redirect_uri={encoded}">
            <input type="hidden" name="redirect_uri" value="{SENT}">
            <label>Email <input name="email"></label><button>Continue</button>
            <!-- redirect_uri mismatch handling lives server-side: {SENT} -->
            </form></body></html>"#,
            encoded = url::form_urlencoded::byte_serialize(SENT.as_bytes()).collect::<String>()
        );
        assert!(!page(200, &login));
        assert!(!page(401, &login), "not quoted in visible text");
    }

    #[test]
    fn an_error_page_quoting_the_redirect_uri_is_a_refusal() {
        // As the mock authorization server words it (HTML-escaped).
        let mock = format!(
            "<html><head><title>redirect_uri mismatch</title></head><body><h1>redirect_uri mismatch</h1><p>The redirect_uri &quot;{SENT}&quot; is not registered for client &quot;app&quot;.</p></body></html>"
        );
        assert!(page(400, &mock));
        assert!(page(200, &mock), "the page's words say it refused");
        let encoded = format!(
            "<p>Invalid parameter: redirect_uri={}</p>",
            url::form_urlencoded::byte_serialize(SENT.as_bytes()).collect::<String>()
        );
        assert!(page(400, &encoded));
        // A consent page that shows where it will redirect, without any refusal.
        let consent =
            format!("<p>Authorizing will redirect to {SENT}</p><button>Authorize</button>");
        assert!(!page(200, &consent));
        // Another redirect URI quoted is not ours.
        assert!(!page(
            400,
            "<p>redirect_uri http://localhost:1/cb is not allowed</p>"
        ));
    }

    #[test]
    fn oauth_errors_count_when_they_name_the_redirect_uri() {
        assert!(page(
            400,
            r#"{"error":"invalid_request","error_description":"Invalid redirect_uri"}"#
        ));
        assert!(page(400, r#"{"error":"invalid_redirect_uri"}"#));
        assert!(!page(
            400,
            r#"{"error":"invalid_request","error_description":"code_challenge is missing"}"#
        ));

        let redirect = |location: &str| refuses_redirect_uri(Shown::Redirect { location }, SENT);
        assert!(redirect(
            "https://as.example/error?error=redirect_uri_mismatch&error_description=The+redirect_uri+MUST+match"
        ));
        assert!(redirect(
            "https://as.example/error?error=invalid_request&error_description=redirect_uri+not+allowed"
        ));
        assert!(!redirect(&format!(
            "https://as.example/u/login?state=x&redirect_uri={}",
            url::form_urlencoded::byte_serialize(SENT.as_bytes()).collect::<String>()
        )));
        assert!(!redirect("/login"));
    }

    #[test]
    fn the_text_is_visible_text_only_escaped_and_cut() {
        let page = "<html><head><title>T</title><style>p{}</style><script>x()</script></head><body><h1>Bad &amp; gone</h1><p>doc\u{202e}  404</p></body></html>";
        assert_eq!(super::text(page), "T Bad & gone doc\\u{202e} 404");
        let long = "a ".repeat(400);
        let cut = super::text(&long);
        assert_eq!(cut.chars().count(), super::TEXT_LIMIT + 1);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn the_title_is_decoded_sanitised_and_cut() {
        assert_eq!(
            title("<html><head><TITLE lang=en>\n  Sign in &amp; approve \n</TITLE>").as_deref(),
            Some("Sign in & approve")
        );
        assert_eq!(title("<title></title>"), None);
        assert_eq!(title("no title here"), None);
        assert_eq!(
            title("<title>a\u{1b}[2Jb\u{202e}c</title>").as_deref(),
            Some("a\\u{1b}[2Jb\\u{202e}c")
        );
        let long = format!("<title>{}</title>", "x".repeat(200));
        let cut = title(&long).unwrap();
        assert_eq!(cut.chars().count(), TITLE_LIMIT + 1);
        assert!(cut.ends_with('…'));
    }
}
