//! Text from outside made inert in GitHub-flavoured Markdown, for a report posted as a
//! pull-request comment by a CI bot. A server can put Markdown in an error description; left
//! alone it would add images (fetched by every reader's browser), links, headings, emphasis,
//! HTML, `@mentions` that notify people and teams, and issue references that cross-link.
//!
//! How each is neutralised:
//! - block syntax (headings, lists, quotes, code fences, HTML blocks, tables) starts only at
//!   the start of a line, so interpolated text is made one line (line breaks become spaces);
//! - inline syntax is backslash-escaped (`\[`, `\*`, `` \` ``, `\_`, `\~`, `\$`, `\\`), and
//!   `<`, `>`, `&` become entities, so neither HTML nor an entity such as `&#64;` survives;
//! - what GitHub links on its own, with no syntax at all (bare `https://` and `www.` URLs,
//!   e-mail addresses, `@user` and `@org/team` mentions, `#123` and `owner/repo#123`
//!   references), is recognised by word and shown as an inline code span, where GitHub neither
//!   links nor notifies. Escaping the `@` or the `:` would not do: escapes and entities are
//!   resolved before GitHub looks for mentions and URLs in the rendered text. A code span
//!   keeps the word readable and copyable as it was sent; its fence is one backtick longer
//!   than any run of backticks in the word, so the word cannot close it.
//!
//! Raw HTML (the `<summary>` line of a `<details>` block, where Markdown is not parsed) has
//! its own escaping: entities, and `<code>` around the same words.

/// Running text: a list item's value, a paragraph.
pub fn inline(text: &str) -> String {
    words(text, Context::Text)
}

/// A table cell: as [`inline`], and `|` escaped so the row keeps its columns.
pub fn cell(text: &str) -> String {
    words(text, Context::Cell)
}

/// Text shown as code (a URL, a Client ID, a check id), in running text.
pub fn code(text: &str) -> String {
    code_span(&one_line(text), Context::Text)
}

/// Text shown as code in a table cell.
pub fn code_cell(text: &str) -> String {
    code_span(&one_line(text), Context::Cell)
}

/// Text inside raw HTML on one line (a `<summary>`): entities, and the words GitHub would
/// link or mention inside `<code>`.
pub fn html(text: &str) -> String {
    let text = one_line(text);
    let mut out = String::with_capacity(text.len());
    for piece in split_words(&text) {
        if is_linkable(piece) {
            out.push_str("<code>");
            html_escape_into(&mut out, piece);
            out.push_str("</code>");
        } else {
            html_escape_into(&mut out, piece);
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    Text,
    Cell,
}

fn words(text: &str, context: Context) -> String {
    let text = one_line(text);
    let mut out = String::with_capacity(text.len() + 8);
    for piece in split_words(&text) {
        if is_linkable(piece) {
            let (before, word, after) = trim_punctuation(piece);
            escape_into(&mut out, before, context);
            out.push_str(&code_span(word, context));
            escape_into(&mut out, after, context);
        } else {
            escape_into(&mut out, piece, context);
        }
    }
    out
}

/// A word's opening brackets and quotes, and its closing punctuation (`https://x.example/,`
/// ends a clause, not the URL), stay outside its code span, escaped as text. A closing
/// bracket stays inside when it closes one of the word's own, as in `![x](https://x/p.png)`.
fn trim_punctuation(word: &str) -> (&str, &str, &str) {
    let core = word.trim_start_matches(['(', '[', '"', '\'', '<']);
    let before = &word[..word.len() - core.len()];
    let mut end = core.len();
    while let Some(last) = core[..end].chars().next_back() {
        let inside = &core[..end - last.len_utf8()];
        let closes_its_own = match last {
            ')' => inside.matches('(').count() > inside.matches(')').count(),
            ']' => inside.matches('[').count() > inside.matches(']').count(),
            _ => false,
        };
        if closes_its_own
            || !matches!(
                last,
                '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']' | '"' | '\'' | '>'
            )
        {
            break;
        }
        end -= last.len_utf8();
    }
    (before, &core[..end], &core[end..])
}

/// Line breaks become spaces: no interpolated text starts a line, where block syntax lives.
fn one_line(text: &str) -> String {
    text.replace("\r\n", " ").replace(['\n', '\r'], " ")
}

/// The text cut into words and the whitespace between them, every piece kept.
fn split_words(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut in_space = None;
    for (i, c) in text.char_indices() {
        let space = c.is_whitespace();
        if in_space.is_some_and(|was| was != space) {
            pieces.push(&text[start..i]);
            start = i;
        }
        in_space = Some(space);
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

/// A word GitHub would turn into a link or a mention by itself: a URL (`scheme://`, `www.`),
/// an e-mail address or mention (`@`), an issue or pull-request reference (`#`).
fn is_linkable(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    word.contains(['@', '#'])
        || lower.contains("://")
        || lower.contains("www.")
        || lower.contains("mailto:")
        || lower.contains("xmpp:")
}

/// Backslash before every character that starts inline syntax; entities for HTML's.
fn escape_into(out: &mut String, word: &str, context: Context) {
    for c in word.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' if context == Context::Cell => out.push_str("\\|"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' | '$' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
}

/// An inline code span holding `text` literally. Nothing is parsed inside one, so the fence
/// only has to be longer than the longest run of backticks in the text, with a space inside
/// it when the text starts or ends with a backtick (CommonMark strips one such space).
fn code_span(text: &str, context: Context) -> String {
    if text.trim().is_empty() {
        return String::new();
    }
    // GFM splits table cells before inline parsing, at every `|` not written `\|`, code
    // spans included; it then reads `\|` as `|`.
    let text = match context {
        Context::Cell => text.replace('|', "\\|"),
        Context::Text => text.to_owned(),
    };
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

fn html_escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_syntax_is_escaped() {
        assert_eq!(
            inline("*bold* _em_ [x](y) ![i](p.png) `c` ~~s~~ $m$ \\"),
            "\\*bold\\* \\_em\\_ \\[x\\](y) \\!\\[i\\](p.png) \\`c\\` \\~\\~s\\~\\~ \\$m\\$ \\\\"
        );
        assert_eq!(
            inline("<img src=x> &#64;org &commat;org"),
            "&lt;img src=x&gt; `&#64;org` &amp;commat;org"
        );
    }

    #[test]
    fn line_breaks_cannot_start_a_block() {
        assert_eq!(inline("a\n# Heading\r\n- item"), "a `#` Heading - item");
        assert!(!inline("x\n```\ny").contains('\n'));
    }

    #[test]
    fn links_and_mentions_become_code() {
        assert_eq!(
            inline(
                "see https://evil.example/a_b and @org/team or www.x.example or a@b.example #12"
            ),
            "see `https://evil.example/a_b` and `@org/team` or `www.x.example` or `a@b.example` `#12`"
        );
        assert_eq!(
            inline("![x](https://example.invalid/p.png) @org/team"),
            "`![x](https://example.invalid/p.png)` `@org/team`"
        );
    }

    #[test]
    fn punctuation_around_a_link_stays_text() {
        assert_eq!(
            inline("is http://mcp.test/mcp/, (see https://x.example)."),
            "is `http://mcp.test/mcp/`, (see `https://x.example`)."
        );
        assert_eq!(inline("<https://x.example>"), "&lt;`https://x.example`&gt;");
        assert_eq!(inline("@."), "`@`.");
    }

    #[test]
    fn code_spans_cannot_be_closed_from_inside() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x``"), "``` `x`` ```");
        assert_eq!(code("plain"), "`plain`");
        assert_eq!(code(""), "");
        assert_eq!(inline("@a`b"), "``@a`b``");
    }

    #[test]
    fn cells_keep_their_columns() {
        assert_eq!(cell("a|b"), "a\\|b");
        assert_eq!(cell("https://x.example/?a|b"), "`https://x.example/?a\\|b`");
        assert_eq!(code_cell("a|b"), "`a\\|b`");
        assert_eq!(cell("a\\|b"), "a\\\\\\|b");
    }

    #[test]
    fn raw_html_gets_entities_and_code() {
        assert_eq!(
            html("<b>x</b> & @org \"q\""),
            "&lt;b&gt;x&lt;/b&gt; &amp; <code>@org</code> &quot;q&quot;"
        );
    }

    #[test]
    fn whitespace_is_kept_between_words() {
        assert_eq!(split_words("a  b c"), vec!["a", "  ", "b", " ", "c"]);
        assert_eq!(split_words(" a"), vec![" ", "a"]);
        assert!(split_words("").is_empty());
    }
}
