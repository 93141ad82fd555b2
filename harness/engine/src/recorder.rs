//! Collects checks as the flow runs: one call per question, the status chosen by the profile.

use mcp_oauth_mocks::clock::SharedClock;
use mcp_oauth_reports::{Check, Status};
use serde_json::Value;

use crate::checks::CheckDef;
use crate::profile::Profile;
use crate::redact::Redactor;
use crate::timestamp::{self, Precision};

#[derive(Debug)]
pub struct Recorder {
    profile: &'static Profile,
    clock: SharedClock,
    redactor: Redactor,
    checks: Vec<Check>,
}

impl Recorder {
    pub fn new(profile: &'static Profile, clock: SharedClock, redactor: Redactor) -> Self {
        Self {
            profile,
            clock,
            redactor,
            checks: Vec::new(),
        }
    }

    pub fn pass(&mut self, check: &CheckDef, details: Value) {
        self.push(check, Status::Success, details, None, None);
    }

    pub fn info(&mut self, check: &CheckDef, details: Value, message: impl Into<String>) {
        self.push(check, Status::Info, details, Some(message.into()), None);
    }

    /// Records a missed SHOULD: a WARNING whatever the profile's severity for the check.
    pub fn warn(&mut self, check: &CheckDef, details: Value, message: impl Into<String>) {
        self.push(check, Status::Warning, details, Some(message.into()), None);
    }

    pub fn skip(&mut self, check: &CheckDef, why: impl Into<String>) {
        self.push(check, Status::Skipped, Value::Null, Some(why.into()), None);
    }

    /// Records a failed check with the profile's severity and returns that status, so callers
    /// can tell whether the flow must stop.
    pub fn fail(&mut self, check: &CheckDef, details: Value, message: impl Into<String>) -> Status {
        self.fail_with_remedy(check, details, message, None)
    }

    pub fn fail_with_remedy(
        &mut self,
        check: &CheckDef,
        details: Value,
        message: impl Into<String>,
        remedy: Option<String>,
    ) -> Status {
        let status = self.profile.failure_status(check);
        let mut message = message.into();
        if let Some(o) = self.profile.override_for(check) {
            message = format!(
                "{message} ({} under the {} profile: {})",
                o.status.as_str(),
                self.profile.name,
                o.why
            );
        }
        self.push(check, status, details, Some(message), remedy);
        status
    }

    fn push(
        &mut self,
        check: &CheckDef,
        status: Status,
        mut details: Value,
        message: Option<String>,
        remedy: Option<String>,
    ) {
        self.redactor.json(&mut details);
        let timestamp = timestamp::rfc3339(self.clock.now(), Precision::Millis);
        let failing = matches!(status, Status::Failure | Status::Warning);
        self.checks.push(Check {
            id: check.id.to_owned(),
            name: check.name.to_owned(),
            description: check.description.to_owned(),
            status,
            timestamp,
            spec_references: check.spec.iter().map(|s| s.to_report()).collect(),
            details: (!details.is_null()).then_some(details),
            error_message: message.map(|m| self.redactor.text(&m)),
            remedy: failing.then(|| remedy.unwrap_or_else(|| check.remedy.to_owned())),
            step: check.step.to_owned(),
        });
    }

    pub fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// A recorder for the same run with no checks yet (a branch of work that runs alongside).
    pub fn sibling(&self) -> Self {
        Self::new(self.profile, self.clock.clone(), self.redactor.clone())
    }

    /// Appends `sibling`'s checks after this recorder's.
    pub fn adopt(&mut self, sibling: Recorder) {
        self.checks.extend(sibling.checks);
    }

    pub fn into_checks(self) -> Vec<Check> {
        self.checks
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use mcp_oauth_mocks::clock::SimulatedClock;

    use super::*;

    #[test]
    fn a_check_recorded_after_year_9999_gets_a_timestamp() {
        let clock = SimulatedClock::default();
        // About 8000 years on: the clock can hold it, RFC 3339 cannot write it.
        clock.advance(Duration::from_secs(252_000_000_000)).unwrap();
        let mut recorder = Recorder::new(
            crate::profile::NEWEST_SPEC,
            clock.shared(),
            Redactor::default(),
        );
        recorder.pass(&crate::checks::TOKEN_EXCHANGE, Value::Null);
        assert_eq!(recorder.checks()[0].timestamp, "9999-12-31T23:59:59.999Z");
    }
}
