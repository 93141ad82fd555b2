//! What a scenario expects of a check's recordings. A check can be recorded more than once in
//! a run (a refresh at every call, discovery again after a 401), so the expectation says
//! whether every recording must have the status or one of them is enough.
//!
//! `id = "SUCCESS"` means every recording; `id = { at-least-once = "SUCCESS" }` means one. The
//! strict form is the default so that a FAILURE hiding behind a SUCCESS fails the scenario.

use std::fmt;

use mcp_oauth_reports::Status;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

/// The key of the lenient form.
pub const AT_LEAST_ONCE: &str = "at-least-once";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckExpectation {
    /// The check was recorded, and every recording has this status.
    Every(Status),
    /// The check was recorded with this status at least once; other recordings may differ.
    AtLeastOnce(Status),
}

impl CheckExpectation {
    pub fn status(self) -> Status {
        match self {
            CheckExpectation::Every(s) | CheckExpectation::AtLeastOnce(s) => s,
        }
    }

    /// Whether the statuses of a check's recordings meet the expectation. A check never
    /// recorded meets neither form.
    pub fn is_met_by(self, recorded: &[Status]) -> bool {
        match self {
            CheckExpectation::Every(s) => !recorded.is_empty() && recorded.iter().all(|r| *r == s),
            CheckExpectation::AtLeastOnce(s) => recorded.contains(&s),
        }
    }

    /// The expected value as a report states it: `SUCCESS` or `SUCCESS at least once`.
    pub fn describe(self) -> String {
        match self {
            CheckExpectation::Every(s) => s.as_str().to_owned(),
            CheckExpectation::AtLeastOnce(s) => format!("{} at least once", s.as_str()),
        }
    }
}

impl<'de> Deserialize<'de> for CheckExpectation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CheckExpectationVisitor)
    }
}

struct CheckExpectationVisitor;

impl<'de> Visitor<'de> for CheckExpectationVisitor {
    type Value = CheckExpectation;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "a check status such as \"SUCCESS\" (every recording), or {{ {AT_LEAST_ONCE} = \"SUCCESS\" }}"
        )
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        status_from_str(value).map(CheckExpectation::Every)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut status = None;
        while let Some(key) = map.next_key::<String>()? {
            if key != AT_LEAST_ONCE {
                return Err(de::Error::unknown_field(&key, &[AT_LEAST_ONCE]));
            }
            if status.is_some() {
                return Err(de::Error::duplicate_field(AT_LEAST_ONCE));
            }
            status = Some(map.next_value::<Status>()?);
        }
        status
            .map(CheckExpectation::AtLeastOnce)
            .ok_or_else(|| de::Error::missing_field(AT_LEAST_ONCE))
    }
}

fn status_from_str<E: de::Error>(value: &str) -> Result<Status, E> {
    Status::deserialize(de::value::StrDeserializer::<E>::new(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn parse(text: &str) -> Result<BTreeMap<String, CheckExpectation>, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn a_bare_status_means_every_recording() {
        let parsed = parse("x = \"SUCCESS\"").unwrap();
        assert_eq!(parsed["x"], CheckExpectation::Every(Status::Success));
    }

    #[test]
    fn the_lenient_form_is_spelt_out() {
        let parsed = parse("x = { at-least-once = \"FAILURE\" }").unwrap();
        assert_eq!(parsed["x"], CheckExpectation::AtLeastOnce(Status::Failure));
    }

    #[test]
    fn other_spellings_are_refused_with_the_valid_one() {
        let err = parse("x = { any = \"SUCCESS\" }").unwrap_err().to_string();
        assert!(err.contains("at-least-once"), "{err}");
        let err = parse("x = \"PASSED\"").unwrap_err().to_string();
        assert!(err.contains("PASSED"), "{err}");
        let err = parse("x = {}").unwrap_err().to_string();
        assert!(err.contains("at-least-once"), "{err}");
    }

    #[test]
    fn every_recording_must_match_unless_at_least_once_is_spelt() {
        use Status::{Failure, Success};
        let every = CheckExpectation::Every(Success);
        let once = CheckExpectation::AtLeastOnce(Success);
        assert!(every.is_met_by(&[Success, Success]));
        assert!(!every.is_met_by(&[Success, Failure]));
        assert!(!every.is_met_by(&[]));
        assert!(once.is_met_by(&[Failure, Success]));
        assert!(!once.is_met_by(&[Failure]));
        assert!(!once.is_met_by(&[]));
    }
}
