//! The step-up request (RFC 6750 §3.1, MCP 2025-11-25 "Step-Up Authorization Flow"): after a
//! 403 `insufficient_scope`, did the client authorize again, and for which scope. Judged on
//! its own, so a client that stepped up right and then gave up is told apart from one that
//! never stepped up (the scenario's outcome is another question).

use std::collections::BTreeSet;

use serde_json::json;

use super::facts::View;
use mcp_oauth_engine::checks;
use mcp_oauth_engine::profile::StepUpScope;
use mcp_oauth_engine::recorder::Recorder;
use mcp_oauth_engine::www_authenticate;

pub fn judge(view: &View, recorder: &mut Recorder) {
    let check = &checks::CLIENT_SCOPE_STEP_UP;
    // The first 403 insufficient_scope the client got, and the scope it named.
    let Some((refused_at, challenged)) = view.mcp_requests().find_map(|(i, r)| {
        if r.status != 403 {
            return None;
        }
        let header = r.www_authenticate.as_deref()?;
        let challenge = www_authenticate::bearer(header).ok().flatten()?;
        (challenge.param("error") == Some("insufficient_scope"))
            .then(|| (i, scopes(challenge.param("scope").unwrap_or(""))))
    }) else {
        recorder.skip(
            check,
            "no request of the client was answered 403 insufficient_scope",
        );
        return;
    };
    let before: BTreeSet<String> = view
        .authorization_requests()
        .filter(|(i, _, _)| *i < refused_at)
        .last()
        .map(|(_, r, _)| scopes(r.query_param("scope").unwrap_or("")))
        .unwrap_or_default();
    let step_up = view
        .authorization_requests()
        .find(|(i, _, _)| *i > refused_at)
        .map(|(i, r, _)| (i, scopes(r.query_param("scope").unwrap_or(""))));
    let profile = view.input.profile;
    let mut details = json!({
        "refusedRequest": refused_at,
        "challengedScope": join(&challenged),
        "scopeBefore": join(&before),
    });
    let Some((at, requested)) = step_up else {
        if profile.max_step_ups == 0 {
            recorder.info(
                check,
                details,
                format!(
                    "no authorization request after the 403 naming {:?}; the {} profile does not step up, it reports the missing scope",
                    join(&challenged),
                    profile.name
                ),
            );
        } else {
            recorder.warn(
                check,
                details,
                format!(
                    "no authorization request after the 403 insufficient_scope naming {:?} (request {refused_at}): the client should step up (a SHOULD)",
                    join(&challenged)
                ),
            );
        }
        return;
    };
    details["stepUpRequest"] = json!(at);
    details["requestedScope"] = json!(join(&requested));
    let missing_challenged: Vec<&String> = challenged.difference(&requested).collect();
    let missing_before: Vec<&String> = before
        .iter()
        .filter(|s| *s != "offline_access" && !requested.contains(*s))
        .collect();
    if !missing_challenged.is_empty() {
        recorder.warn(
            check,
            details,
            format!(
                "the authorization request after the 403 asks for {:?}, without the challenged {:?}",
                join(&requested),
                missing_challenged
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        );
    } else if profile.step_up_scope == StepUpScope::UnionWithPrevious && !missing_before.is_empty()
    {
        recorder.warn(
            check,
            details,
            format!(
                "the step-up asks for {:?} and drops {:?}, which it asked for before: the {} revision asks for the union (SEP-2350), so other operations keep working",
                join(&requested),
                missing_before
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                profile.name
            ),
        );
    } else {
        recorder.pass(check, details);
    }
}

fn scopes(value: &str) -> BTreeSet<String> {
    value.split_whitespace().map(str::to_owned).collect()
}

fn join(scopes: &BTreeSet<String>) -> String {
    scopes.iter().cloned().collect::<Vec<_>>().join(" ")
}
