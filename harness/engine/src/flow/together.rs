//! Several tool calls that start at the same moment, as a pipeline runs them: the token is
//! refreshed at most once for all of them (single flight), before any is sent, so a server
//! whose refresh tokens are single-use never sees the same one twice (RFC 9700 §4.14.2: a
//! reused refresh token revokes the whole grant).
//!
//! Each call runs on a branch of the flow's context (the same HTTP client and DPoP key, a
//! recorder and exchange log of its own); the branches are joined back in call order, so a
//! report does not depend on which call the server happened to answer first.

use futures::future::join_all;
use serde_json::Value;

use super::{FlowContext, StepResult, mcp};

/// The most calls one step starts together: enough to race any refresh, few enough that a
/// scenario file cannot open sessions without bound.
pub const MAX_CALLS_TOGETHER: u32 = 32;

impl FlowContext {
    /// A context for work that runs alongside this one: same client, key and profile; its own
    /// checks and exchanges until [`FlowContext::rejoin`].
    pub fn branch(&self) -> FlowContext {
        FlowContext {
            http: self.http.branch(),
            profile: self.profile,
            clock: self.clock.clone(),
            recorder: self.recorder.sibling(),
            registrations: Vec::new(),
            client_id_in_body: self.client_id_in_body.clone(),
            dpop: self.dpop.clone(),
        }
    }

    /// Appends what `branch` recorded: its exchanges, then its checks.
    pub fn rejoin(&mut self, branch: FlowContext) {
        self.http.rejoin(&branch.http);
        self.recorder.adopt(branch.recorder);
        self.registrations.extend(branch.registrations);
    }
}

/// Sends `count` copies of `action` at once with `token`, each on its own branch, and joins
/// them in call order. The first failure, in call order, is the result; otherwise every
/// answer, in call order.
pub async fn run(
    ctx: &mut FlowContext,
    mcp_url: &str,
    token: &oauth2::AccessToken,
    action: mcp::Action,
    count: u32,
) -> StepResult<Vec<Value>> {
    let mut branches: Vec<FlowContext> = (0..count).map(|_| ctx.branch()).collect();
    let answers = join_all(
        branches
            .iter_mut()
            .map(|branch| mcp::run(branch, mcp_url, token, action.clone())),
    )
    .await;
    for branch in branches {
        ctx.rejoin(branch);
    }
    answers.into_iter().collect()
}
