//! The one bound on a duration that comes from outside: a scenario file's delays, lifetimes and
//! clock jumps, a knob of the mocks, a lifetime a server answers. Nothing the tool simulates or
//! judges needs more than a century, and anything under it can be added to any clock a run
//! holds without overflowing (`SystemTime` reaches hundreds of billions of years) while the
//! `u64` Unix seconds of JWT `exp` claims stay far from wrapping.

use std::time::Duration;

/// 100 years of 365.25 days (36525 days), in seconds.
pub const MAX_DURATION_SECS: u64 = 36_525 * 24 * 60 * 60;

/// [`MAX_DURATION_SECS`] as a [`Duration`].
pub const MAX_DURATION: Duration = Duration::from_secs(MAX_DURATION_SECS);

/// A duration over [`MAX_DURATION`]; its message says the value and the bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{secs} s is more than the longest duration allowed, 100 years ({MAX_DURATION_SECS} s)")]
pub struct DurationTooLong {
    pub secs: u64,
}

/// `secs` seconds as a [`Duration`], when within [`MAX_DURATION`].
pub fn bounded_secs(secs: u64) -> Result<Duration, DurationTooLong> {
    if secs <= MAX_DURATION_SECS {
        Ok(Duration::from_secs(secs))
    } else {
        Err(DurationTooLong { secs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_century_is_allowed_and_a_second_more_is_not() {
        assert_eq!(MAX_DURATION_SECS, 3_155_760_000);
        assert_eq!(bounded_secs(MAX_DURATION_SECS), Ok(MAX_DURATION));
        let err = bounded_secs(MAX_DURATION_SECS + 1).unwrap_err();
        assert!(err.to_string().contains("100 years"), "{err}");
        assert!(bounded_secs(252_000_000_000).is_err());
        assert!(bounded_secs(u64::MAX).is_err());
    }
}
