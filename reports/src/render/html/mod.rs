//! A single self-contained HTML page for people: no scripts, no external assets, no fonts it
//! depends on (glyphs are inline SVG), so it can be attached to a CI run or mailed to a
//! vendor and opened anywhere, offline.
//!
//! The page reads top-down as a person asks: the verdict and the diagnosis first, then (for
//! a live check) which profiles connect, the expectations, and the timeline: one collapsible
//! section per step segment (`sections::timeline`) with its own verdict, its checks (a fix on
//! every failure and warning, links to the spec) and its redacted HTTP exchanges. A filter by
//! status is made of radio buttons and CSS `:has()`, so it works without a script.
//!
//! Servers under test are hostile: error descriptions, headers and bodies are theirs. The page
//! is built with `maud`, which escapes every interpolated value unless it is explicitly marked
//! pre-escaped; only the constant stylesheet, doctype and glyphs are. The page also carries a
//! Content Security Policy that forbids scripts and remote loads, as a second line of defence.

mod glyph;
mod timeline;

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::text::printable_owned;
use crate::{Connects, Report, Status};
use glyph::{glyph, yes_no};

const STYLE: &str = include_str!("report.css");

/// Scripts, frames, images and remote styles are all refused; only the inline stylesheet runs.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'";

/// The report as one HTML page.
pub fn html(report: &Report) -> String {
    let title = report.scenario.as_deref().unwrap_or(&report.target.url);
    // Newline literals keep the output line-oriented so that snapshot diffs stay readable.
    let page = html! {
        (DOCTYPE) "\n"
        html lang="en" {
            "\n"
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(CSP);
                meta name="referrer" content="no-referrer";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "MCP OAuth report: " (title) }
                style { (PreEscaped(STYLE)) }
            }
            "\n"
            body {
                "\n"
                (header(report, title))
                (verdict(report))
                (facts(report))
                (expectations(report))
                (timeline::timeline(report))
            }
            "\n"
        }
        "\n"
    };
    printable_owned(page.into_string())
}

/// Whether the run is as it should be, in one line.
fn headline(report: &Report) -> (bool, String) {
    if !report.expectations.is_empty() {
        let total = report.expectations.len();
        let unmet = report.expectations.iter().filter(|e| !e.met).count();
        return if unmet == 0 {
            (
                true,
                format!("As expected: every expectation met ({total}/{total})"),
            )
        } else {
            (
                false,
                format!("Not as expected: {unmet} of {total} expectations not met"),
            )
        };
    }
    let s = &report.summary;
    match s.failure {
        0 if s.warning == 0 => (true, format!("No failed checks ({} passed)", s.success)),
        0 => (true, format!("No failed checks, {} warnings", s.warning)),
        n => (false, format!("{n} failed checks, {} warnings", s.warning)),
    }
}

fn header(report: &Report, title: &str) -> Markup {
    let (pass, line) = headline(report);
    html! {
        header {
            "\n"
            h1 { "MCP OAuth report: " (title) } "\n"
            div class={ "verdict-banner " (if pass { "pass" } else { "fail" }) } {
                (yes_no(pass)) span { (line) }
            }
            "\n"
            @if let Some(d) = &report.outcome.diagnosis {
                section.diagnosis {
                    h2 { "Diagnosis: " code { (d.code) } } "\n"
                    p { (d.message) } "\n"
                    p { strong { "Fix " } "(by " (d.party.who()) "): " (d.remedy) }
                    @if d.confirmed_by.is_some() {
                        p.muted { "Confirmed by experiment: the failing flow ran again with the cause alone changed." }
                    }
                    @if !d.candidates.is_empty() {
                        ul { @for candidate in &d.candidates { li { (candidate) } } }
                    }
                }
            } @else {
                section.diagnosis.none { p { "No diagnosis: nothing failed." } }
            }
            "\n"
        }
        "\n"
    }
}

fn facts(report: &Report) -> Markup {
    let s = &report.summary;
    let health = report.outcome.health.as_str();
    let kind = report.target.kind.as_str();
    html! {
        dl.facts {
            dt { "Target" } dd { code { (report.target.url) } " " span.muted { "(" (kind) ")" } } "\n"
            dt { "Profile" } dd { code { (report.profile) } } "\n"
            dt { "Health" } dd { span class=(format!("badge health-{health}")) { (health) } } "\n"
            dt { "Checks" } dd {
                (s.total) " total, " (s.success) " passed, " (s.failure) " failed, "
                (s.warning) " warnings, " (s.skipped) " skipped, " (s.info) " info"
            } "\n"
            dt { "Tool" } dd { (report.tool.name) " " (report.tool.version) } "\n"
        }
        "\n"
    }
}

/// The compatibility verdict: which profiles connect, and the fix that matters most.
fn verdict(report: &Report) -> Markup {
    let Some(verdict) = &report.verdict else {
        return html! {};
    };
    html! {
        section.verdict {
            h2 { "Compatibility" } "\n"
            table {
                thead { tr { th { "Profile" } th { "Connects" } th { "Evidence" } th { "Diagnosis" } th { "Departs at" } } } "\n"
                tbody {
                    "\n"
                    @for p in &verdict.profiles {
                        tr {
                            td { code { (p.profile) } }
                            td {
                                @match p.connects {
                                    Connects::Yes => { (glyph(Status::Success)) " " span class="badge health-healthy" { "yes" } },
                                    Connects::WithClientId => { (glyph(Status::Warning)) " " span class="badge status-WARNING" { "with a Client ID" } },
                                    Connects::No => { (glyph(Status::Failure)) " " span class="badge health-unhealthy" { "no" } },
                                }
                            }
                            td {
                                @if p.verified { "observed" } @else {
                                    "inferred: " (p.inferred_because.as_deref().unwrap_or("not observed"))
                                }
                            }
                            td {
                                @match &p.diagnosis {
                                    Some(d) => { code { (d.code) } " (" (d.party.as_str()) "): " (d.message) },
                                    None => "none",
                                }
                            }
                            td {
                                @match &p.departs_at {
                                    Some(step) => code { (step) },
                                    None => "-",
                                }
                            }
                        }
                        "\n"
                    }
                }
            }
            "\n"
            @for left in &verdict.left_behind {
                p.muted { "Left behind: client " code { (left.client_id) } " registered by " (left.registered_by) " (" (left.reason) ")." }
                "\n"
            }
            @if let Some(fix) = &verdict.top_fix {
                section.diagnosis {
                    p { strong { "Fix first " } "(" code { (fix.code) } ", for " (fix.profiles.join(", ")) ", by " (fix.party.who()) "): " (fix.remedy) }
                }
                "\n"
            }
        }
        "\n"
    }
}

fn expectations(report: &Report) -> Markup {
    if report.expectations.is_empty() {
        return html! {};
    }
    let met = report.expectations.iter().filter(|e| e.met).count();
    html! {
        section {
            h2 { "Expectations (" (met) "/" (report.expectations.len()) " met)" } "\n"
            table {
                thead { tr {
                    th { "Met" } th { "Expectation" } th { "Expected" } th { "Actual" }
                } } "\n"
                tbody {
                    "\n"
                    @for e in &report.expectations {
                        tr class=[(!e.met).then_some("unmet")] {
                            td { (yes_no(e.met)) " " @if e.met { "met" } @else { "not met" } }
                            td { (e.description) }
                            td { code { (e.expected) } }
                            td { code { (e.actual) } }
                        }
                        "\n"
                    }
                }
            }
        }
        "\n"
    }
}
