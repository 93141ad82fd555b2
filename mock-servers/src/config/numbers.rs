//! The numbers among the knobs, bounded: lifetimes within [`MAX_DURATION`] (a century) so that
//! `now + lifetime` never overflows, and counts within [`MAX_COUNT`].

use super::{AuthServerConfig, ConfigError};
use crate::time_bound::{MAX_DURATION, bounded_secs};

/// The largest count a knob (or a scenario's step) may give, such as refreshes to answer with
/// 503: far more than any run makes, and small enough that nothing waits on it.
pub const MAX_COUNT: u32 = 1_000;

pub(super) fn validate(auth: &AuthServerConfig) -> Result<(), ConfigError> {
    lifetime(
        "authorization-server.code-lifetime-secs",
        auth.code_lifetime_secs,
    )?;
    lifetime(
        "authorization-server.access-token-lifetime-secs",
        auth.access_token_lifetime_secs,
    )?;
    lifetime(
        "authorization-server.refresh-reuse-grace-secs",
        auth.refresh_reuse_grace_secs,
    )?;
    count(
        "authorization-server.refresh-unavailable-count",
        auth.refresh_unavailable_count,
    )
}

fn lifetime(knob: &'static str, secs: u64) -> Result<(), ConfigError> {
    bounded_secs(secs)
        .map(|_| ())
        .map_err(|e| ConfigError::new(knob, e.to_string()))
}

/// Refuses a count over [`MAX_COUNT`], naming the knob and the bound.
pub fn count_error(count: u32) -> Option<String> {
    (count > MAX_COUNT)
        .then(|| format!("{count} is more than the largest count allowed, {MAX_COUNT}"))
}

fn count(knob: &'static str, value: u32) -> Result<(), ConfigError> {
    match count_error(value) {
        Some(message) => Err(ConfigError::new(knob, message)),
        None => Ok(()),
    }
}

// The bound stays one constant: a lifetime the mocks accept is one the clocks can add.
const _: () = assert!(MAX_DURATION.as_secs() < u64::MAX / 4);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MockConfig;
    use crate::time_bound::MAX_DURATION_SECS;

    fn knob_of(config: &MockConfig) -> Option<&'static str> {
        config.validate().err().map(|e| e.knob)
    }

    #[test]
    fn lifetimes_over_a_century_are_refused_by_name() {
        let mut config = MockConfig::default();
        config.authorization_server.access_token_lifetime_secs = MAX_DURATION_SECS;
        assert_eq!(knob_of(&config), None);
        config.authorization_server.access_token_lifetime_secs = u64::MAX;
        let err = config.validate().unwrap_err();
        assert_eq!(err.knob, "authorization-server.access-token-lifetime-secs");
        assert!(err.message.contains("100 years"), "{err}");
        let mut config = MockConfig::default();
        config.authorization_server.code_lifetime_secs = 252_000_000_000;
        assert_eq!(
            knob_of(&config),
            Some("authorization-server.code-lifetime-secs")
        );
    }

    #[test]
    fn counts_over_the_bound_are_refused_by_name() {
        let mut config = MockConfig::default();
        config.authorization_server.refresh_unavailable_count = MAX_COUNT;
        assert_eq!(knob_of(&config), None);
        config.authorization_server.refresh_unavailable_count = u32::MAX;
        let err = config.validate().unwrap_err();
        assert_eq!(err.knob, "authorization-server.refresh-unavailable-count");
        assert!(err.message.contains("1000"), "{err}");
    }
}
