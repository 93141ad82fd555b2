//! The consent step of `check`: the `--profile` flow through the user agent, and what it then
//! does with real tokens, in an order that keeps the tool's own actions out of what it judges:
//! the judged refresh first, then the resource-server probes on the newest token, then
//! revocation and the reuse of a rotated-away token, which destroy what they touch.

use serde_json::Value;

use crate::observe::Observed;
use crate::resource_server;
use crate::verdict::{Effect, Problem};
use crate::{interactive_turn, observe};
use mcp_oauth_engine::checks::{self, CheckDef};
use mcp_oauth_engine::flow::{ClientFlow, Pauses, forced_refresh, revocation};
use mcp_oauth_engine::user_agent::UserAgent;

/// The consent step and what follows it with real tokens. Returns what it showed.
pub(super) async fn consent(
    flow: &mut ClientFlow,
    agent: &UserAgent,
    problems: &mut Vec<Problem>,
    probed: usize,
    probed_exchanges: usize,
    resource_server: &resource_server::ResourceServerOptions,
) -> Observed {
    let profile = flow.profile().name;
    let connected = {
        let _turn = interactive_turn(agent).await;
        flow.connect(agent, &Pauses::default()).await
    };
    let result = match connected {
        Ok(()) => flow.test_connection().await,
        Err(d) => Err(d),
    };
    let failure = match result {
        Err(diagnosis) => Some(observe::blame(flow, diagnosis, probed)),
        Ok(()) => {
            // The judged refresh first, on the refresh token nothing else has presented; the
            // probes then use the newest one, and what destroys tokens (revocation, the
            // reuse of a rotated-away token) comes last. So no probe's side effect can stand
            // behind a failure blamed on the server.
            let refreshed = own_refresh(flow, problems).await;
            let effects = resource_server::probe(flow, resource_server).await;
            if let Some(refreshed) = refreshed {
                revocation_and_reuse(flow, problems, refreshed, &effects).await;
            }
            None
        }
    };
    // Only the consent step's exchanges: the probes ask questions no client flow asks, and
    // must not count as the flow's answers.
    let exchanges = flow.context().http.exchanges();
    let (probes, consented) = exchanges.split_at(probed_exchanges.min(exchanges.len()));
    let mut answered = Vec::new();
    // The consent step reuses the client the probes registered: that registration is this
    // flow's answer at the registration step, as another profile's own registration is its.
    if !consented.iter().any(|x| x.step == "registration")
        && flow.checks()[probed.min(flow.checks().len())..]
            .iter()
            .any(|c| {
                c.id == checks::CLIENT_ID.id
                    && c.details.as_ref().and_then(|d| d.get("reused")) == Some(&Value::Bool(true))
            })
    {
        answered.extend(probes.iter().find(|x| x.step == "registration").cloned());
    }
    answered.extend(consented.iter().cloned());
    Observed {
        profile,
        failure,
        answers: observe::answers(&answered),
        exchanges: answered,
        // Deleted with the probes' registrations, once the check is done with them.
        left_behind: Vec::new(),
    }
}

/// The flow's refresh token before and after the judged refresh.
struct Refreshed {
    original: oauth2::RefreshToken,
    rotated: bool,
    /// When the judged refresh was answered: a reuse is judged by how long after it came.
    at: std::time::SystemTime,
}

/// With real tokens, before any probe: a refresh now. `None` when there is nothing more to
/// judge of refresh tokens (none issued, or the refresh failed).
async fn own_refresh(flow: &mut ClientFlow, problems: &mut Vec<Problem>) -> Option<Refreshed> {
    let connection = flow.connection()?;
    let server = connection.server.clone();
    let client = connection.client.clone();
    let Some(original) = connection.tokens.refresh_token.clone() else {
        let ctx = flow.context();
        for check in [
            &checks::REFRESH_GRANT,
            &checks::REFRESH_TOKEN_ROTATION,
            &checks::REFRESH_TOKEN_REUSE_REFUSED,
            &checks::REVOCATION_ACCEPTED,
            &checks::REVOKED_REFRESH_REFUSED,
        ] {
            ctx.recorder
                .skip(check, "the server issued no refresh token");
        }
        return None;
    };
    match forced_refresh::refresh_now(flow.context(), &server, &client, &original).await {
        Ok(tokens) => {
            let rotated = tokens
                .refresh_token
                .as_ref()
                .is_some_and(|new| new.secret() != original.secret());
            flow.restore_tokens(tokens);
            let at = flow.context().clock.now();
            Some(Refreshed {
                original,
                rotated,
                at,
            })
        }
        Err(diagnosis) => {
            problems.push(Problem::new(
                &checks::REFRESH_GRANT,
                observe::refresh_code(&diagnosis),
                diagnosis.message.clone(),
                diagnosis.remedy.clone(),
                Effect::Caveat,
            ));
            flow.record_failure(diagnosis);
            let ctx = flow.context();
            for check in [
                &checks::REFRESH_TOKEN_REUSE_REFUSED,
                &checks::REVOCATION_ACCEPTED,
                &checks::REVOKED_REFRESH_REFUSED,
            ] {
                ctx.recorder.skip(check, "the refresh failed");
            }
            None
        }
    }
}

/// After the probes: RFC 7009 revocation when advertised, then the reuse of the refresh token
/// the judged refresh rotated away. Both destroy what they touch, so they come last.
async fn revocation_and_reuse(
    flow: &mut ClientFlow,
    problems: &mut Vec<Problem>,
    refreshed: Refreshed,
    effects: &resource_server::SideEffects,
) {
    let Some(connection) = flow.connection() else {
        return;
    };
    let server = connection.server.clone();
    let client = connection.client.clone();
    let Some(current) = connection.tokens.refresh_token.clone() else {
        return;
    };
    let mut revoked = false;
    if let Some(effect) = effects.may_have_spent_refresh_token() {
        // What the revocation would judge is a token the probes may already have killed:
        // its answers would say nothing about the server's revocation.
        let reason = format!(
            "a resource-server probe may have spent the refresh token ({effect}), so revocation is not judged on it"
        );
        let ctx = flow.context();
        ctx.recorder.skip(&checks::REVOCATION_ACCEPTED, &reason);
        ctx.recorder.skip(&checks::REVOKED_REFRESH_REFUSED, &reason);
    } else {
        let revocation =
            revocation::revoke_refresh_token(flow.context(), &server, &client, &current).await;
        revoked = revocation != revocation::Revocation::NotAdvertised;
        if let Some(problem) = revocation_problem(revocation, flow) {
            problems.push(problem);
        }
    }
    if refreshed.rotated {
        let since_rotation = flow
            .context()
            .clock
            .now()
            .duration_since(refreshed.at)
            .unwrap_or_default();
        forced_refresh::reuse(
            flow.context(),
            &server,
            &client,
            &refreshed.original,
            revoked,
            since_rotation,
        )
        .await;
    } else {
        flow.context().recorder.skip(
            &checks::REFRESH_TOKEN_REUSE_REFUSED,
            "the refresh token was not rotated, so there is no old one to reuse",
        );
    }
}

/// The caveat a revocation's outcome shows, pinned to the check that recorded it, with the
/// remedy its evidence calls for.
fn revocation_problem(revocation: revocation::Revocation, flow: &ClientFlow) -> Option<Problem> {
    use revocation::Revocation;
    let recorded = |check: &CheckDef| {
        flow.checks()
            .iter()
            .rev()
            .find(|c| c.id == check.id)
            .and_then(|c| c.error_message.clone())
            .unwrap_or_default()
    };
    match revocation {
        Revocation::NotAdvertised | Revocation::Effective => None,
        Revocation::Refused => Some(Problem::new(
            &checks::REVOCATION_ACCEPTED,
            mcp_oauth_engine::diagnosis::REVOCATION_INEFFECTIVE,
            format!(
                "The revocation endpoint refused to revoke the refresh token: {}.",
                recorded(&checks::REVOCATION_ACCEPTED)
            ),
            "Accept RFC 7009 revocation requests from the clients you register, authenticated as they authenticate at the token endpoint (a public client sends its client_id alone, RFC 7009 §2.1), and answer 200.",
            Effect::Caveat,
        )),
        Revocation::Ineffective => Some(Problem::new(
            &checks::REVOKED_REFRESH_REFUSED,
            mcp_oauth_engine::diagnosis::REVOCATION_INEFFECTIVE,
            "Revocation does not take: the refresh token still works after the server accepted its RFC 7009 revocation.",
            checks::REVOKED_REFRESH_REFUSED.remedy,
            Effect::Caveat,
        )),
        Revocation::RefusedWrongly => Some(Problem::new(
            &checks::REVOKED_REFRESH_REFUSED,
            mcp_oauth_engine::diagnosis::REVOCATION_INEFFECTIVE,
            format!(
                "A revoked refresh token is not refused with 400 invalid_grant, so clients cannot tell it was revoked: {}.",
                recorded(&checks::REVOKED_REFRESH_REFUSED)
            ),
            checks::REVOKED_REFRESH_REFUSED.remedy,
            Effect::Caveat,
        )),
    }
}
