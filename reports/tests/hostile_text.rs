//! Text a server, a client or a file could send, in every field of a report, through every
//! renderer: JSON stays valid and exact, JUnit well-formed, HTML escaped, the terminal text
//! inert, and Markdown (a pull-request comment) free of images, links, mentions, HTML and
//! headings of the server's making.

mod common;

use mcp_oauth_reports::render::{self, TerminalStyle};
use mcp_oauth_reports::{Report, Verdict};
use quick_xml::Reader;
use quick_xml::events::Event;

/// Terminal escapes, bidi and invisible characters, and Markdown and HTML a server could send,
/// with a line break before each block construct.
const HOSTILE: &str = "\u{1b}]8;;https://evil.example\u{7}x\u{1b}]8;;\u{7} \u{1b}[2J \u{9b}1m \u{202e}\u{2066}\u{200b}\u{feff} \
![x](https://example.invalid/p.png) @org/team [link](https://evil.example) <https://auto.example> \
www.evil.example mail@evil.example org/repo#1 *em* _em_ `code` ~~s~~ $x$ <img src=x onerror=alert(1)> &#64;org \
\n# Heading\n- item\n> quote\n```\nfence\r\n<details>|cell|";

fn hostile_report() -> Report {
    let mut report = common::report();
    report.scenario = Some(format!("scenario {HOSTILE}"));
    report.target.url = HOSTILE.to_owned();
    report.profile = HOSTILE.to_owned();
    if let Some(d) = report.outcome.diagnosis.as_mut() {
        d.message = HOSTILE.to_owned();
        d.remedy = HOSTILE.to_owned();
        d.candidates = vec![HOSTILE.to_owned()];
    }
    for e in &mut report.expectations {
        e.description = HOSTILE.to_owned();
        e.actual = HOSTILE.to_owned();
    }
    for c in &mut report.checks {
        c.name = HOSTILE.to_owned();
        c.error_message = Some(HOSTILE.to_owned());
        c.remedy = Some(HOSTILE.to_owned());
        c.spec_references.clear();
    }
    for x in &mut report.exchanges {
        x.request.url = HOSTILE.to_owned();
    }
    let mut verdict: Verdict = common::verdict();
    for p in &mut verdict.profiles {
        p.inferred_because = Some(HOSTILE.to_owned());
        if let Some(d) = p.diagnosis.as_mut() {
            d.message = HOSTILE.to_owned();
        }
    }
    if let Some(fix) = verdict.top_fix.as_mut() {
        fix.remedy = HOSTILE.to_owned();
    }
    for left in &mut verdict.left_behind {
        left.client_id = HOSTILE.to_owned();
        left.registered_by = HOSTILE.to_owned();
        left.reason = HOSTILE.to_owned();
    }
    report.verdict = Some(verdict);
    report
}

/// A raw control (but line feed, tab), bidi or invisible format character.
fn raw_hidden(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && !matches!(c, '\n' | '\t'))
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200b}' | '\u{feff}')
        })
        .collect()
}

#[test]
fn json_stays_exact_and_shows_no_raw_control() {
    let report = hostile_report();
    let json = render::json(&report);
    assert_eq!(raw_hidden(&json), Vec::<char>::new());
    assert!(
        json.contains("\\u009b1m \\u202e\\u2066\\u200b\\ufeff"),
        "{json}"
    );
    let back: Report = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(back, report, "the same report after the escapes");
    let several = render::json_text(&vec![report.clone(), report]);
    assert_eq!(raw_hidden(&several), Vec::<char>::new());
    assert!(serde_json::from_str::<Vec<Report>>(&several).is_ok());
}

#[test]
fn junit_stays_well_formed() {
    let report = hostile_report();
    for xml in [
        render::junit(&report),
        render::junit_checks(std::slice::from_ref(&report), None, Default::default()),
        render::junit_run(std::slice::from_ref(&report)),
    ] {
        assert_eq!(raw_hidden(&xml), Vec::<char>::new());
        let mut reader = Reader::from_str(&xml);
        loop {
            match reader.read_event() {
                Ok(Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!(
                    "not well-formed at {}: {e}\n{xml}",
                    reader.buffer_position()
                ),
            }
        }
        assert!(!xml.contains("<img") && !xml.contains("<details>|"));
    }
}

#[test]
fn html_is_escaped() {
    let html = render::html(&hostile_report());
    assert_eq!(raw_hidden(&html), Vec::<char>::new());
    assert!(!html.contains("<img"), "markup from the server");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(html.contains("\\u001b[2J"));
}

#[test]
fn terminal_text_is_inert() {
    let report = hostile_report();
    for colour in [false, true] {
        let text = render::timeline_text(&report, TerminalStyle { colour });
        let escapes = text.matches('\u{1b}').count();
        assert_eq!(escapes > 0, colour, "colour only when asked:\n{text}");
        // Every escape is a colour of the renderer's own (ESC [ digits m).
        for (at, _) in text.match_indices('\u{1b}') {
            let rest = &text[at + 1..];
            let end = rest.find('m').expect("a colour ends in m");
            assert!(
                rest.starts_with('[')
                    && rest[1..end].chars().all(|c| c.is_ascii_digit() || c == ';'),
                "not a colour: {:?}",
                &rest[..end.min(20)]
            );
        }
        let plain: String = text.chars().filter(|&c| c != '\u{1b}').collect();
        assert_eq!(raw_hidden(&plain), Vec::<char>::new());
        assert!(text.contains("\\u001b]8;;https://evil.example\\u0007x"));
        assert!(
            !text
                .lines()
                .any(|l| l.trim_start().starts_with("# Heading"))
        );
    }
}

/// The Markdown outside code spans (`` `…` ``, ``` ``…`` ```) and `<code>` elements, where
/// GitHub neither parses Markdown nor links nor mentions.
fn outside_code(markdown: &str) -> String {
    let mut out = String::new();
    let mut rest = markdown;
    loop {
        let next_tick = opening_tick(rest);
        let next_tag = rest.find("<code>");
        match (next_tick, next_tag) {
            (None, None) => {
                out.push_str(rest);
                return out;
            }
            (Some(tick), tag) if tag.is_none_or(|tag| tick < tag) => {
                out.push_str(&rest[..tick]);
                let run = rest[tick..].len() - rest[tick..].trim_start_matches('`').len();
                let fence = &rest[tick..tick + run];
                let body = &rest[tick + run..];
                // The closing run is exactly as long as the opening one.
                let mut search = 0;
                let close = loop {
                    let Some(found) = body[search..].find(fence) else {
                        break None;
                    };
                    let at = search + found;
                    let after =
                        body[at + run..].len() - body[at + run..].trim_start_matches('`').len();
                    if after == 0 {
                        break Some(at);
                    }
                    search = at + run + after;
                };
                match close {
                    Some(close) => rest = &body[close + run..],
                    None => {
                        out.push_str(fence);
                        rest = body;
                    }
                }
            }
            (_, Some(tag)) => {
                out.push_str(&rest[..tag]);
                let end = rest[tag..].find("</code>").expect("closed") + tag;
                rest = &rest[end + "</code>".len()..];
            }
            (Some(_), None) => unreachable!("taken by the arm above"),
        }
    }
}

/// The first backtick that can open a code span: one not escaped by a backslash.
fn opening_tick(text: &str) -> Option<usize> {
    text.match_indices('`').map(|(at, _)| at).find(|&at| {
        let backslashes = text[..at].len() - text[..at].trim_end_matches('\\').len();
        backslashes.is_multiple_of(2)
    })
}

fn assert_markdown_inert(markdown: &str) {
    assert_eq!(raw_hidden(markdown), Vec::<char>::new());
    let text = outside_code(markdown);
    assert!(!text.contains("!["), "an image:\n{text}");
    assert!(!text.contains("]("), "a link:\n{text}");
    assert!(!text.contains('@'), "a mention or an address:\n{text}");
    assert!(
        !text.contains("://") && !text.contains("www."),
        "a bare URL:\n{text}"
    );
    assert!(!text.contains("#1"), "an issue reference:\n{text}");
    assert!(
        !text.contains("<img") && !text.contains("<https"),
        "HTML or an autolink:\n{text}"
    );
    assert!(!text.contains("&#"), "an entity of the server's:\n{text}");
    // The templates' own bold (`**Verdict:**`) aside, emphasis is the server's.
    assert!(
        !text.contains(" *em*") && !text.contains(" _em_"),
        "emphasis:\n{text}"
    );
    for (i, c) in text.char_indices() {
        if matches!(c, '[' | ']' | '~' | '$') {
            assert_eq!(
                text[..i].chars().last(),
                Some('\\'),
                "unescaped {c:?} at {i}:\n{text}"
            );
        }
    }
    for line in markdown.lines() {
        for injected in [
            "# Heading",
            "- item",
            "> quote",
            "```",
            "fence",
            "<details>|",
        ] {
            assert!(
                !line.starts_with(injected),
                "a block of the server's: {line}"
            );
        }
    }
}

#[test]
fn markdown_renders_no_image_link_mention_or_heading_of_the_servers() {
    let report = hostile_report();
    assert_markdown_inert(&render::markdown(&report));
    assert_markdown_inert(&render::markdown_catalog(&[report.clone(), report]));
}

#[test]
fn markdown_shows_an_image_and_a_team_mention_as_code() {
    let mut report = common::report();
    if let Some(d) = report.outcome.diagnosis.as_mut() {
        d.message = "![x](https://example.invalid/p.png) @org/team".to_owned();
    }
    // The spec links are the renderer's own; none is left to tell them apart.
    for check in &mut report.checks {
        check.spec_references.clear();
    }
    let markdown = render::markdown(&report);
    assert!(
        markdown.contains("- **Diagnosis:** `redirect-uri-mismatch`: `![x](https://example.invalid/p.png)` `@org/team`"),
        "{markdown}"
    );
    assert_markdown_inert(&markdown);
}

#[test]
fn markdown_links_only_plain_web_spec_references() {
    let mut report = common::report();
    report.checks[0].spec_references = vec![
        mcp_oauth_reports::SpecReference {
            id: "x](https://evil.example) @org".into(),
            url: "https://www.rfc-editor.org/rfc/rfc6749".into(),
        },
        mcp_oauth_reports::SpecReference {
            id: "EVIL".into(),
            url: "javascript:alert(1)".into(),
        },
    ];
    let markdown = render::markdown(&report);
    // A code span binds tighter than the link's brackets: its `]` closes nothing.
    assert!(
        markdown.contains(
            "[`x](https://evil.example)` `@org`](https://www.rfc-editor.org/rfc/rfc6749)"
        ),
        "{markdown}"
    );
    assert!(
        markdown.contains("EVIL `javascript:alert(1)`"),
        "{markdown}"
    );
    assert!(!markdown.contains("](javascript:"));
}
