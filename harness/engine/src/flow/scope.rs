//! Which scope a client asks for: at the first authorization (the challenge's, the metadata's,
//! the profile's fallbacks, `offline_access` as SEP-2207 says) and when a 403
//! `insufficient_scope` sends it back for more.

use serde_json::json;

use super::discovery::DiscoveredServer;
use super::probe::Probe;
use super::{ClientOptions, FlowContext, StepResult};
use crate::checks;
use crate::diagnosis;
use crate::profile::StepUpScope;

/// Scope selection as the MCP spec orders it: the challenge's `scope`, else the metadata's
/// `scopes_supported`, else none; an explicit choice by the user wins.
pub fn choose_scope(
    options: &ClientOptions,
    probe: &Probe,
    server: &DiscoveredServer,
) -> Option<String> {
    if let Some(scope) = &options.scope {
        return Some(scope.clone());
    }
    if let Some(scope) = probe.scope() {
        return Some(scope.to_owned());
    }
    (!server.scopes_supported.is_empty()).then(|| server.scopes_supported.join(" "))
}

const OFFLINE_ACCESS: &str = "offline_access";

/// The scope the authorization request carries: the person's choice as given, else
/// [`choose_scope`] with `offline_access` adjusted to what the authorization server lists.
pub(super) fn requested_scope(
    ctx: &mut FlowContext,
    options: &ClientOptions,
    probe: &Probe,
    server: &DiscoveredServer,
) -> Option<String> {
    let chosen = if ctx.profile.scope_from_challenge {
        choose_scope(options, probe, server)
    } else {
        options.scope.clone().or_else(|| {
            (!server.scopes_supported.is_empty()).then(|| server.scopes_supported.join(" "))
        })
    };
    let chosen = chosen.or_else(|| {
        let listed = server.metadata.scopes_supported.as_ref()?;
        (ctx.profile.scope_from_authorization_server && !listed.is_empty())
            .then(|| listed.join(" "))
    });
    if options.scope.is_some() || !ctx.profile.request_offline_access {
        return chosen;
    }
    adjust_offline_access(ctx, chosen?, server)
}

/// SEP-2207: a client that wants refresh tokens asks for `offline_access` when the
/// authorization server lists it in `scopes_supported`, and never when it does not (an
/// unknown scope can fail the whole request). No scope at all stays none: `offline_access`
/// alone would narrow what the server grants by default.
fn adjust_offline_access(
    ctx: &mut FlowContext,
    scope: String,
    server: &DiscoveredServer,
) -> Option<String> {
    let listed = server
        .metadata
        .scopes_supported
        .as_ref()
        .is_some_and(|scopes| scopes.iter().any(|s| s == OFFLINE_ACCESS));
    let mut scopes: Vec<&str> = scope.split_whitespace().collect();
    let present = scopes.contains(&OFFLINE_ACCESS);
    match (listed, present) {
        (true, false) => {
            scopes.push(OFFLINE_ACCESS);
            ctx.recorder.pass(
                &checks::OFFLINE_ACCESS_SCOPE,
                json!({ "added": OFFLINE_ACCESS, "asScopesSupported": server.metadata.scopes_supported }),
            );
        }
        (false, true) => {
            scopes.retain(|s| *s != OFFLINE_ACCESS);
            ctx.recorder.info(
                &checks::OFFLINE_ACCESS_SCOPE,
                json!({ "removed": OFFLINE_ACCESS, "asScopesSupported": server.metadata.scopes_supported }),
                "offline_access was suggested, but the authorization server does not list it in scopes_supported; not requested",
            );
        }
        _ => {}
    }
    (!scopes.is_empty()).then(|| scopes.join(" "))
}

/// The scope of a re-authorization after a 403 `insufficient_scope` challenge, as the profile
/// says: the challenged scope, or its union with the scope asked for before. When every
/// challenged scope was already asked for, the authorization server declined to grant it and
/// asking again cannot help: the client stops instead of looping.
pub fn step_up_scope(
    ctx: &mut FlowContext,
    previous: Option<&str>,
    challenged: Option<&str>,
) -> StepResult<String> {
    let before: Vec<&str> = previous.unwrap_or("").split_whitespace().collect();
    let wanted: Vec<&str> = challenged.unwrap_or("").split_whitespace().collect();
    let details = json!({ "previousScope": previous, "challengedScope": challenged });
    if !ctx.profile.steps_up {
        let message = format!(
            "the {} client does not authorize again for more scope",
            ctx.profile.name
        );
        ctx.recorder
            .fail(&checks::SCOPE_STEP_UP, details, message.clone());
        return Err(diagnosis::new(
            diagnosis::INSUFFICIENT_SCOPE,
            format!("The MCP server refused the request for lack of scope: {message}."),
            "Grant the scope the MCP server needs at the first authorization (list it in scopes_supported or the 401 challenge's scope), since this client never steps up.",
        ));
    }
    if wanted.is_empty() || wanted.iter().all(|s| before.contains(s)) {
        let message = if wanted.is_empty() {
            "the 403 insufficient_scope challenge names no scope to ask for".to_owned()
        } else {
            format!(
                "the client already asked for {:?} and the server still answers 403 insufficient_scope",
                wanted.join(" ")
            )
        };
        ctx.recorder
            .fail(&checks::SCOPE_STEP_UP, details, message.clone());
        return Err(diagnosis::new(
            diagnosis::INSUFFICIENT_SCOPE,
            format!(
                "The MCP server refused the request for lack of scope, and authorizing again cannot help: {message}."
            ),
            "The authorization server must grant the scope the MCP server asks for (check the OAuth app's allowed scopes and the user's permissions), or the MCP server must stop asking for a scope this client cannot get.",
        ));
    }
    let mut next: Vec<&str> = match ctx.profile.step_up_scope {
        StepUpScope::Challenged => Vec::new(),
        StepUpScope::UnionWithPrevious => before,
    };
    for scope in wanted {
        if !next.contains(&scope) {
            next.push(scope);
        }
    }
    let next = next.join(" ");
    ctx.recorder.pass(
        &checks::SCOPE_STEP_UP,
        json!({ "previousScope": previous, "challengedScope": challenged, "requestedScope": next }),
    );
    Ok(next)
}

#[cfg(test)]
mod tests {
    use mcp_oauth_reports::Status;

    use super::*;
    use crate::flow::testing;
    use crate::profile::{ChallengeReading, MCP_2025_11_25, MCP_2026_07_28, PIPELINES};

    fn last_status(flow: &crate::flow::ClientFlow, id: &str) -> Option<Status> {
        flow.checks()
            .iter()
            .rev()
            .find(|c| c.id == id)
            .map(|c| c.status)
    }

    #[test]
    fn step_up_asks_for_the_union_in_2026_and_for_the_challenge_before() {
        let mut flow = testing::flow(&MCP_2026_07_28);
        let scope = step_up_scope(flow.context(), Some("mcp:basic"), Some("mcp:write"));
        assert_eq!(scope.unwrap(), "mcp:basic mcp:write");
        assert_eq!(last_status(&flow, "scope-step-up"), Some(Status::Success));

        let mut flow = testing::flow(&MCP_2025_11_25);
        let scope = step_up_scope(flow.context(), Some("mcp:basic"), Some("mcp:write"));
        assert_eq!(scope.unwrap(), "mcp:write");
    }

    #[test]
    fn step_up_stops_when_every_challenged_scope_was_already_asked_for() {
        let mut flow = testing::flow(&MCP_2026_07_28);
        let refused = step_up_scope(
            flow.context(),
            Some("mcp:admin mcp:basic"),
            Some("mcp:admin"),
        );
        assert_eq!(refused.unwrap_err().code, diagnosis::INSUFFICIENT_SCOPE);
        assert_eq!(last_status(&flow, "scope-step-up"), Some(Status::Failure));

        let unnamed = step_up_scope(flow.context(), Some("mcp:basic"), None);
        assert_eq!(unnamed.unwrap_err().code, diagnosis::INSUFFICIENT_SCOPE);
    }

    #[test]
    fn offline_access_follows_the_authorization_servers_scopes_supported() {
        let mut flow = testing::flow(&MCP_2026_07_28);
        let listed = testing::server(Some(&["mcp:basic", "offline_access"]));
        let added = adjust_offline_access(flow.context(), "mcp:basic".to_owned(), &listed);
        assert_eq!(added.as_deref(), Some("mcp:basic offline_access"));
        assert_eq!(
            last_status(&flow, "offline-access-scope"),
            Some(Status::Success)
        );

        let unlisted = testing::server(Some(&["mcp:basic"]));
        let removed = adjust_offline_access(
            flow.context(),
            "mcp:basic offline_access".to_owned(),
            &unlisted,
        );
        assert_eq!(removed.as_deref(), Some("mcp:basic"));
        let only = adjust_offline_access(flow.context(), "offline_access".to_owned(), &unlisted);
        assert_eq!(only, None);
    }

    #[test]
    fn offline_access_is_left_alone_by_earlier_profiles_and_explicit_scopes() {
        let server = testing::server(Some(&["mcp:basic", "offline_access"]));
        let probe = Probe::from_challenge(ChallengeReading::Rfc9110, r#"Bearer scope="mcp:basic""#);
        let mut options = ClientOptions::new(testing::MCP_URL);
        let mut flow = testing::flow(&PIPELINES);
        let scope = requested_scope(flow.context(), &options, &probe, &server);
        assert_eq!(scope.as_deref(), Some("mcp:basic"));

        options.scope = Some("mcp:basic".to_owned());
        let mut flow = testing::flow(&MCP_2026_07_28);
        let scope = requested_scope(flow.context(), &options, &probe, &server);
        assert_eq!(
            scope.as_deref(),
            Some("mcp:basic"),
            "an explicit scope is sent as given"
        );
    }
}
