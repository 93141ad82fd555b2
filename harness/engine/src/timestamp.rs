//! Every time the tool writes (a check's timestamp, a token's expiry, a certificate's validity),
//! in RFC 3339, by one function that cannot fail. RFC 3339 has four-digit years and no time
//! before 1970 in humantime's writer, which panics outside that range; a clock moved centuries
//! ahead by a scenario, or a lifetime or certificate date a server chose, must not crash a run.
//! Times outside are written as the nearest time that can be: the reports' `timestamp` is a
//! JSON Schema `date-time`, which a marker word would break, and a reader seeing
//! `9999-12-31T23:59:59Z` knows it for the end of the calendar.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How finely a time is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// `2026-01-01T00:00:00Z`
    Seconds,
    /// `2026-01-01T00:00:00.000Z`
    Millis,
}

/// The last instant RFC 3339 can write, 9999-12-31T23:59:59.999999999Z, after the Unix epoch.
pub const LAST_WRITABLE: Duration = Duration::new(253_402_300_799, 999_999_999);

/// `at` in RFC 3339, UTC; a time before 1970 is written as 1970-01-01T00:00:00Z and a time
/// after year 9999 as the last second of 9999 (see the module's comment).
pub fn rfc3339(at: SystemTime, precision: Precision) -> String {
    let since_epoch = at
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .min(LAST_WRITABLE);
    // Year 9999 is a `SystemTime` wherever time has 64 bits; elsewhere the epoch stands in.
    let at = UNIX_EPOCH.checked_add(since_epoch).unwrap_or(UNIX_EPOCH);
    match precision {
        Precision::Seconds => humantime::format_rfc3339_seconds(at).to_string(),
        Precision::Millis => humantime::format_rfc3339_millis(at).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn ordinary_times_are_written_as_rfc3339() {
        assert_eq!(
            rfc3339(at(1_767_225_600), Precision::Seconds),
            "2026-01-01T00:00:00Z"
        );
        assert_eq!(
            rfc3339(
                at(1_767_225_600) + Duration::from_millis(5),
                Precision::Millis
            ),
            "2026-01-01T00:00:00.005Z"
        );
    }

    #[test]
    fn the_last_second_of_year_9999_is_written_as_itself() {
        assert_eq!(
            rfc3339(at(253_402_300_799), Precision::Seconds),
            "9999-12-31T23:59:59Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + LAST_WRITABLE, Precision::Millis),
            "9999-12-31T23:59:59.999Z"
        );
    }

    #[test]
    fn times_after_year_9999_are_written_as_its_last_second() {
        // The clock of a scenario that jumped 252e9 s (about 8000 years) from 2026.
        let far = at(1_767_225_600 + 252_000_000_000);
        assert_eq!(rfc3339(far, Precision::Millis), "9999-12-31T23:59:59.999Z");
        assert_eq!(
            rfc3339(at(253_402_300_800), Precision::Seconds),
            "9999-12-31T23:59:59Z"
        );
        let end = UNIX_EPOCH + Duration::from_secs(i64::MAX as u64 / 2);
        assert_eq!(rfc3339(end, Precision::Seconds), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn times_before_1970_are_written_as_the_epoch() {
        let before = UNIX_EPOCH - Duration::from_secs(86_400);
        assert_eq!(rfc3339(before, Precision::Seconds), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(before, Precision::Millis),
            "1970-01-01T00:00:00.000Z"
        );
    }
}
