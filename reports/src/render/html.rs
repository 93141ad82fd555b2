//! A single self-contained HTML page for people: no scripts, no external assets, so it can be
//! attached to a CI run or mailed to a vendor and opened anywhere.
//!
//! Servers under test are hostile: error descriptions, headers and bodies are theirs. The page is
//! built with `maud`, which escapes every interpolated value unless it is explicitly marked
//! pre-escaped; only the constant stylesheet and doctype are. The page also carries a Content
//! Security Policy that forbids scripts and remote loads, as a second line of defence.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::text::printable;
use crate::{Check, Connects, Exchange, Report, Status};

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
                (expectations(report))
                (checks(report))
                (exchanges(&report.exchanges))
            }
            "\n"
        }
        "\n"
    };
    printable(page.into_string())
}

fn header(report: &Report, title: &str) -> Markup {
    let s = &report.summary;
    let health = report.outcome.health.as_str();
    let kind = report.target.kind.as_str();
    html! {
        header {
            "\n"
            h1 { "MCP OAuth report: " (title) } "\n"
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
            @if let Some(d) = &report.outcome.diagnosis {
                section.diagnosis {
                    h2 { "Diagnosis: " code { (d.code) } } "\n"
                    p { (d.message) } "\n"
                    p { strong { "Fix: " } (d.remedy) }
                }
            } @else {
                section.diagnosis.none { p { "No diagnosis: nothing failed." } }
            }
            "\n"
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
                                    Connects::Yes => span class="badge health-healthy" { "yes" },
                                    Connects::WithClientId => span class="badge status-WARNING" { "with a Client ID" },
                                    Connects::No => span class="badge health-unhealthy" { "no" },
                                }
                            }
                            td {
                                @if p.verified { "observed" } @else {
                                    "inferred: " (p.inferred_because.as_deref().unwrap_or("not observed"))
                                }
                            }
                            td {
                                @match &p.diagnosis {
                                    Some(d) => { code { (d.code) } ": " (d.message) },
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
                    p { strong { "Fix first " } "(" code { (fix.code) } ", for " (fix.profiles.join(", ")) "): " (fix.remedy) }
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
                            td { @if e.met { "✅ met" } @else { "❌ not met" } }
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

fn checks(report: &Report) -> Markup {
    html! {
        section {
            h2 { "Checks" } "\n"
            table {
                thead { tr {
                    th { "Status" } th { "Step" } th { "Check" } th { "Spec" }
                    th { "Message" } th { "Fix" } th { "Details" }
                } } "\n"
                tbody {
                    "\n"
                    @for check in &report.checks {
                        (check_row(check)) "\n"
                    }
                }
            }
        }
        "\n"
    }
}

fn check_row(check: &Check) -> Markup {
    let status = check.status.as_str();
    html! {
        tr class=(format!("row-{status}")) {
            td { span class=(format!("badge status-{status}")) { (status) } }
            td { (check.step) }
            td {
                code { (check.id) } br;
                (check.name) br;
                span.muted { (check.description) }
            }
            td {
                @for (i, spec) in check.spec_references.iter().enumerate() {
                    @if i > 0 { br; }
                    // Only web links become anchors: a `javascript:` URL must stay inert text.
                    @if is_web_url(&spec.url) {
                        a href=(spec.url) rel="noreferrer noopener" { (spec.id) }
                    } @else {
                        (spec.id) " " span.muted { (spec.url) }
                    }
                }
            }
            td { @if let Some(m) = &check.error_message { (m) } }
            td { @if let (Some(r), true) = (&check.remedy, is_problem(check.status)) { (r) } }
            td {
                @if let Some(details) = &check.details {
                    details {
                        summary { "details" }
                        pre { (pretty(details)) }
                    }
                }
            }
        }
    }
}

fn exchanges(exchanges: &[Exchange]) -> Markup {
    if exchanges.is_empty() {
        return html! {};
    }
    html! {
        section {
            h2 { "HTTP exchanges (" (exchanges.len()) ")" } "\n"
            @for (i, x) in exchanges.iter().enumerate() {
                details.exchange {
                    summary {
                        (i + 1) ". " span.muted { (x.step) } " "
                        code { (x.request.method) " " (x.request.url) }
                        " → "
                        @if let Some(r) = &x.response { (r.status) }
                        @else if let Some(e) = &x.error { "error: " (e) }
                        @else { "no response" }
                    }
                    "\n"
                    h3 { "Request" }
                    pre { (request_head(x)) }
                    @if let Some(body) = &x.request.body { pre { (body) } }
                    "\n"
                    @if let Some(r) = &x.response {
                        h3 { "Response" }
                        pre { (head(format!("HTTP {}", r.status), &r.headers)) }
                        @if let Some(body) = &r.body { pre { (body) } }
                        "\n"
                    }
                    @if let Some(e) = &x.error {
                        p { strong { "Error: " } (e) } "\n"
                    }
                }
                "\n"
            }
        }
        "\n"
    }
}

fn request_head(x: &Exchange) -> String {
    head(
        format!("{} {}", x.request.method, x.request.url),
        &x.request.headers,
    )
}

/// A request or status line followed by one line per header, as on the wire.
fn head(first_line: String, headers: &[(String, String)]) -> String {
    let mut lines = vec![first_line];
    lines.extend(
        headers
            .iter()
            .map(|(name, value)| format!("{name}: {value}")),
    );
    lines.join("\n")
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

fn is_problem(status: Status) -> bool {
    matches!(status, Status::Failure | Status::Warning)
}

fn is_web_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}
