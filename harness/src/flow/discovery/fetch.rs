//! GET one candidate location: the document, or why it was not the document.

use serde_json::Value;

use crate::flow::FlowContext;
use crate::http::HttpResponse;

/// One location tried, for the record and for `discovery-failed`.
#[derive(Debug, Clone)]
pub(super) struct Attempt {
    pub(super) url: String,
    pub(super) outcome: String,
}

/// GETs a metadata document: a JSON object that has `required_field`, or nothing.
pub(super) async fn fetch_json(
    ctx: &mut FlowContext,
    url: &str,
    required_field: &str,
    attempts: &mut Vec<Attempt>,
) -> Option<Value> {
    let outcome = match ctx.http.get("discovery", url).await {
        Err(e) => Err(e.to_string()),
        Ok(response) => parse_document(&response, required_field),
    };
    match outcome {
        Ok(document) => {
            attempts.push(Attempt {
                url: url.to_owned(),
                outcome: "200, found".to_owned(),
            });
            Some(document)
        }
        Err(outcome) => {
            attempts.push(Attempt {
                url: url.to_owned(),
                outcome,
            });
            None
        }
    }
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
