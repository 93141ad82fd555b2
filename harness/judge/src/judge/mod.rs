//! The client judge: reads what a client did from the mocks' request log and answers, as
//! ordinary [`Check`]s, whether a conformant client would have done it. The mocks judge
//! nothing; the judge serves nothing.
//!
//! One module per part of the flow: `authorization` (PKCE, state, redirect URI, scope),
//! `token` (verifier, redirect consistency, resource, client authentication), `mcp` (bearer
//! tokens), `registration` (the DCR request), `step_up` (the request after a 403
//! `insufficient_scope`), `scenario` (the scenario's own questions and the
//! outcome). A check whose evidence never came (the client stopped earlier) is SKIPPED with the
//! reason, never SUCCESS. Severity comes from the profile the client is judged under.

mod authorization;
mod facts;
mod mcp;
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

pub use facts::{AuthServerFacts, MetadataDocument, MockFacts};
pub use scenario::QUESTIONS;

use crate::checks;
use crate::profile::Profile;
use crate::recorder::Recorder;
use crate::redact::Redactor;
use crate::scenario::ConformantClient;
use crate::served::FiredTrigger;

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
