//! GET one candidate location: the document, or why it was not the document. Answers that
//! the client tolerates but that break other clients (a web page where a document should be,
//! a plain-text 404) are noted, and recorded as caveats once discovery has looked everywhere.

use serde_json::{Value, json};

use crate::checks;
use crate::diagnosis;
use crate::flow::{FlowContext, StepResult};
use crate::http::HttpResponse;

/// An answer the client steps over that other clients are known to trip on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Quirk {
    /// 200 with a body that is not JSON (an SPA catch-all's HTML page).
    NotJson200,
    /// 404 with a body that is not JSON (`Not Found` as text).
    TextBody404,
}

/// One location tried, for the record and for `discovery-failed`.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub(super) url: String,
    pub(super) outcome: String,
    pub(super) quirk: Option<Quirk>,
    pub(super) content_type: Option<String>,
}

/// GETs a metadata document: a JSON object that has `required_field`, or nothing.
pub(super) async fn fetch_json(
    ctx: &mut FlowContext,
    url: &str,
    required_field: &str,
    attempts: &mut Vec<Attempt>,
) -> Option<Value> {
    let (outcome, quirk, content_type) = match ctx.http.get("discovery", url).await {
        Err(e) => (Err(e.to_string()), None, None),
        Ok(response) => (
            parse_document(&response, required_field),
            quirk(&response),
            response.header("content-type").map(str::to_owned),
        ),
    };
    let (outcome, document) = match outcome {
        Ok(document) => ("200, found".to_owned(), Some(document)),
        Err(outcome) => (outcome, None),
    };
    attempts.push(Attempt {
        url: url.to_owned(),
        outcome,
        quirk,
        content_type,
    });
    document
}

fn parse_document(response: &HttpResponse, required_field: &str) -> Result<Value, String> {
    let status = response.status.as_u16();
    if status != 200 {
        return Err(status.to_string());
    }
    match serde_json::from_slice::<Value>(&response.body) {
        Ok(document) if document.get(required_field).is_some() => Ok(document),
        Ok(_) => Err(format!("200, but no `{required_field}` field")),
        Err(_) => Err("200, but not JSON".to_owned()),
    }
}

fn quirk(response: &HttpResponse) -> Option<Quirk> {
    let json = serde_json::from_slice::<Value>(&response.body).is_ok();
    match response.status.as_u16() {
        200 if !json => Some(Quirk::NotJson200),
        404 if !json && !response.body.iter().all(u8::is_ascii_whitespace) => {
            Some(Quirk::TextBody404)
        }
        _ => None,
    }
}

/// A profile whose client parses every 200 as metadata stops at the first page that is not
/// JSON, as that client does; the engine otherwise steps over it. Records the quirks when it
/// stops, so the report shows the page it stopped at.
pub(crate) fn stop_at_page(ctx: &mut FlowContext, attempts: &[Attempt]) -> StepResult<()> {
    if ctx.profile.tolerates(&checks::WELL_KNOWN_NO_HTML) {
        return Ok(());
    }
    let Some(page) = attempts.iter().find(|a| a.quirk == Some(Quirk::NotJson200)) else {
        return Ok(());
    };
    let url = page.url.clone();
    record_quirks(ctx, attempts);
    Err(diagnosis::new(
        diagnosis::DISCOVERY_FAILED,
        format!(
            "{url} answered 200 with a body that is not JSON, and the {} client reads every 200 at a well-known URL as the metadata: it stops there instead of trying the next location.",
            ctx.profile.name
        ),
        format!(
            "The server must answer {url} with the metadata or with 404, not with a page (an SPA catch-all route is the usual cause)."
        ),
    ))
}

/// Records `well-known-no-html` and `well-known-404-body` for the answers that earned them;
/// nothing when every answer was clean, so a conformant server's report is unchanged.
pub fn record_quirks(ctx: &mut FlowContext, attempts: &[Attempt]) {
    let answers = |kind: Quirk| -> Vec<Value> {
        attempts
            .iter()
            .filter(|a| a.quirk == Some(kind))
            .map(|a| json!({ "url": a.url, "contentType": a.content_type }))
            .collect()
    };
    let pages = answers(Quirk::NotJson200);
    if !pages.is_empty() {
        let count = pages.len();
        ctx.recorder.fail(
            &checks::WELL_KNOWN_NO_HTML,
            json!({ "answers": pages }),
            format!(
                "{count} well-known URL(s) answered 200 with a body that is not JSON; the client tried the next location, but clients that parse every 200 as JSON stop there"
            ),
        );
    }
    let texts = answers(Quirk::TextBody404);
    if !texts.is_empty() {
        let count = texts.len();
        ctx.recorder.fail(
            &checks::WELL_KNOWN_404_BODY,
            json!({ "answers": texts }),
            format!(
                "{count} well-known URL(s) answered 404 with a body that is not JSON; the client reads only the status, but clients that parse error bodies as JSON crash on it"
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    fn response(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            url: "https://mcp.example.com/.well-known/oauth-protected-resource".to_owned(),
            status: StatusCode::from_u16(status).unwrap(),
            headers: Default::default(),
            body: body.as_bytes().to_vec().into(),
        }
    }

    #[test]
    fn pages_and_text_404s_are_quirks_but_json_and_empty_404s_are_not() {
        assert_eq!(
            quirk(&response(200, "<!doctype html><html></html>")),
            Some(Quirk::NotJson200)
        );
        assert_eq!(quirk(&response(404, "Not Found")), Some(Quirk::TextBody404));
        assert_eq!(quirk(&response(404, "")), None);
        assert_eq!(quirk(&response(404, "{\"error\":\"not_found\"}")), None);
        assert_eq!(quirk(&response(200, "{\"issuer\":\"x\"}")), None);
        assert_eq!(
            parse_document(&response(404, "Not Found"), "issuer"),
            Err("404".to_owned())
        );
    }
}
