//! The timeline: the status filter, then one collapsible section per step segment with its
//! verdict first, its checks and its exchanges.

use maud::{Markup, html};

use super::glyph::glyph;
use crate::render::sections::{self, Segment};
use crate::{Check, Exchange, Report, Status};

pub(super) fn timeline(report: &Report) -> Markup {
    let segments = sections::timeline(report);
    html! {
        section.timeline {
            h2 { "Timeline" } "\n"
            (filter())
            @for (i, segment) in segments.iter().enumerate() {
                (section(i, segment)) "\n"
            }
        }
        "\n"
    }
}

/// Radio buttons read by the stylesheet's `:has()` rules.
fn filter() -> Markup {
    html! {
        form.filter aria-label="Filter checks by status" {
            strong { "Show:" }
            label { input #filter-all type="radio" name="filter" value="all" checked; " all checks" }
            label { input #filter-hide-passed type="radio" name="filter" value="hide-passed"; " all but passed" }
            label { input #filter-failed type="radio" name="filter" value="failed"; " failed only" }
            label { input #filter-warnings type="radio" name="filter" value="warnings"; " warnings only" }
        }
        "\n"
    }
}

fn section(index: usize, segment: &Segment<'_>) -> Markup {
    let s = segment.summary();
    let worst = segment.worst();
    let mut classes = vec!["step".to_owned(), format!("step-{}", segment.step)];
    for status in [Status::Failure, Status::Warning] {
        if segment.checks.iter().any(|c| c.status == status) {
            classes.push(format!("has-{}", status.as_str()));
        }
    }
    if segment.checks.iter().all(|c| c.status == Status::Success) {
        classes.push("only-passed".to_owned());
    }
    // Sections with a problem start open; the rest are one click away.
    let open = matches!(worst, Some(Status::Failure | Status::Warning));
    html! {
        details class=(classes.join(" ")) id=(format!("step-{}-{index}", segment.step)) open[open] {
            summary {
                @if let Some(worst) = worst { (glyph(worst)) }
                span.title { (segment.title()) }
                code.muted { (segment.step) }
                span.counts {
                    (s.success) " passed, " (s.failure) " failed, " (s.warning) " warnings"
                    @if s.skipped > 0 { ", " (s.skipped) " skipped" }
                    @if s.info > 0 { ", " (s.info) " info" }
                }
                @if let Some(worst) = worst {
                    span class=(format!("badge status-{}", worst.as_str())) { "worst: " (worst.as_str()) }
                }
                @if !segment.exchanges.is_empty() {
                    span.muted { (segment.exchanges.len()) " HTTP exchanges" }
                }
            }
            "\n"
            div.body {
                @for check in &segment.checks { (check_item(check)) "\n" }
                @for x in &segment.exchanges { (exchange(x)) "\n" }
            }
        }
    }
}

fn check_item(check: &Check) -> Markup {
    let status = check.status.as_str();
    html! {
        div class=(format!("check s-{status}")) data-status=(status) {
            (glyph(check.status))
            div.what {
                div {
                    strong { (check.name) } " " code.muted { (check.id) } " "
                    span class=(format!("badge status-{status}")) { (status) }
                }
                div.muted { (check.description) }
                @if let Some(m) = &check.error_message { div.error { (m) } }
                @if is_problem(check.status) {
                    p.fix {
                        strong { "Fix: " }
                        (check.remedy.as_deref().unwrap_or("no remedy was recorded for this check; see its spec references."))
                    }
                }
                @if !check.spec_references.is_empty() {
                    div.specs {
                        @for spec in &check.spec_references {
                            // Only web links become anchors: a `javascript:` URL must stay inert text.
                            @if is_web_url(&spec.url) {
                                a href=(spec.url) rel="noreferrer noopener" { (spec.id) }
                            } @else {
                                span { (spec.id) " " span.muted { (spec.url) } }
                            }
                        }
                    }
                }
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

fn exchange(x: &Exchange) -> Markup {
    html! {
        details.exchange {
            summary {
                "HTTP "
                code { (x.request.method) " " (x.request.url) }
                " → "
                @if let Some(r) = &x.response { (r.status) }
                @else if let Some(e) = &x.error { "error: " (e) }
                @else { "no response" }
            }
            "\n"
            h3 { "Request" }
            pre { (head(format!("{} {}", x.request.method, x.request.url), &x.request.headers)) }
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
    }
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
