//! The client judge: reads what a client did from the mocks' request log and answers, as
//! ordinary [`Check`]s, whether a conformant client would have done it. The mocks judge
//! nothing; the judge serves nothing.
//!
//! One module per part of the flow: `authorization` (PKCE, state, redirect URI, scope),
//! `token` (verifier, redirect consistency, resource, client authentication), `refresh`
//! (a rotated refresh token never sent again: single flight), `mcp` (bearer
//! tokens), `registration` (the DCR request), `step_up` (the request after a 403
//! `insufficient_scope`), `scenario` (the scenario's own questions and the
//! outcome). A check whose evidence never came (the client stopped earlier) is SKIPPED with the
//! reason, never SUCCESS. Severity comes from the profile the client is judged under.

mod authorization;
mod facts;
mod mcp;
mod refresh;
mod registration;
mod report;
mod scenario;
mod step_up;
mod token;

#[cfg(test)]
mod tests;

use mcp_oauth_mocks::RecordedRequest;
use mcp_oauth_mocks::clock::SharedClock;
use mcp_oauth_reports::Report;
use serde::Serialize;

pub use facts::{AuthServerFacts, MetadataDocument, MockFacts};
pub use scenario::QUESTIONS;

use mcp_oauth_catalog::scenario::ConformantClient;
use mcp_oauth_engine::checks;
use mcp_oauth_engine::profile::Profile;
use mcp_oauth_engine::recorder::Recorder;
use mcp_oauth_engine::redact::Redactor;

/// A trigger that fired: what, and after which request of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FiredTrigger {
    pub after: &'static str,
    pub actions: Vec<&'static str>,
    /// Index in the request log of the request that reached the trigger's point.
    pub request_index: usize,
    /// The client flow whose progress fired it (`flows`).
    pub flow: usize,
    /// The actions that acted on every client rather than on this flow's alone (a clock
    /// jump, a moved authorization server, failing refreshes).
    pub shared: Vec<&'static str>,
    /// The actions that were refused, each with why (a clock jump past the last time the
    /// system can represent); they are not among `actions`. The servers keep serving.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<String>,
}

/// Everything the judge reads: the log, what the mocks were, and what the scenario asks.
#[derive(Debug, Clone)]
pub struct JudgeInput {
    pub scenario: String,
    /// The profiles the scenario was written for (its `profiles`).
    pub written_for: Vec<String>,
    pub conformant: Option<ConformantClient>,
    pub profile: &'static Profile,
    pub log: Vec<RecordedRequest>,
    pub facts: MockFacts,
    pub fired: Vec<FiredTrigger>,
    pub clock: SharedClock,
    /// Secret values to keep out of the report, beyond those the redactor knows by name.
    pub secrets: Vec<String>,
}

/// Reads the log → client checks → a report.
pub fn judge(input: &JudgeInput) -> Report {
    let redactor = Redactor::default();
    for secret in &input.secrets {
        redactor.register(secret);
    }
    for request in &input.log {
        if let Some(credential) = &request.authorization {
            redactor.register(&credential.value);
        }
    }
    let mut recorder = Recorder::new(input.profile, input.clock.clone(), redactor.clone());
    let view = facts::View::new(input);
    registration::judge(&view, &mut recorder);
    authorization::judge(&view, &mut recorder);
    token::judge(&view, &mut recorder);
    refresh::judge(&view, &mut recorder);
    mcp::judge(&view, &mut recorder);
    step_up::judge(&view, &mut recorder);
    scenario::judge(&view, &mut recorder);
    if !input.written_for.iter().any(|p| p == input.profile.name) {
        recorder.info(
            &checks::CLIENT_SCENARIO_PROFILE,
            serde_json::json!({ "writtenFor": input.written_for, "judgedUnder": input.profile.name }),
            format!(
                "this scenario was written for {}; judged under {}, its outcome and severities are that profile's",
                input.written_for.join(", "),
                input.profile.name
            ),
        );
    }
    report::assemble(input, recorder.into_checks(), &redactor)
}
