//! The clock of a served scenario: real time (or time standing still) plus the jumps its
//! triggers make, so that expiry happens at the moment the script says, whoever the client is.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use mcp_oauth_mocks::clock::{Clock, ClockOverflow, SharedClock};

#[derive(Debug, Clone)]
pub struct JumpClock {
    inner: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    /// `None`: real time; `Some(t)`: time stands at `t` except for jumps.
    frozen_at: Option<SystemTime>,
    offset: Duration,
}

impl State {
    fn base(&self) -> SystemTime {
        self.frozen_at.unwrap_or_else(SystemTime::now)
    }
}

impl JumpClock {
    /// Real time plus jumps.
    pub fn real() -> Self {
        Self::with(None)
    }

    /// Time that moves only when a trigger moves it, starting now.
    pub fn standing() -> Self {
        Self::with(Some(SystemTime::now()))
    }

    fn with(frozen_at: Option<SystemTime>) -> Self {
        Self {
            inner: Arc::new(Mutex::new(State {
                frozen_at,
                offset: Duration::ZERO,
            })),
        }
    }

    /// Jumps forward by `by`, to the time it returns. A jump the clock cannot represent is
    /// refused and the time stays where it was, so the servers reading this clock keep
    /// answering.
    pub fn advance(&self, by: Duration) -> Result<SystemTime, ClockOverflow> {
        let mut state = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let offset = state.offset.checked_add(by).ok_or(ClockOverflow { by })?;
        let now = state
            .base()
            .checked_add(offset)
            .ok_or(ClockOverflow { by })?;
        state.offset = offset;
        Ok(now)
    }

    pub fn shared(&self) -> SharedClock {
        Arc::new(self.clone())
    }
}

impl Clock for JumpClock {
    fn now(&self) -> SystemTime {
        let state = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let base = state.base();
        // `advance` took only offsets the time could hold then; real time has moved on by
        // less than the room left below the end of time, so this falls back only in theory.
        base.checked_add(state.offset).unwrap_or(base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jump_moves_both_kinds_of_clock_forward() {
        let standing = JumpClock::standing();
        let before = standing.unix_seconds();
        standing.advance(Duration::from_secs(3600)).unwrap();
        assert_eq!(standing.unix_seconds(), before + 3600);
        let real = JumpClock::real();
        let before = real.unix_seconds();
        real.advance(Duration::from_secs(3600)).unwrap();
        assert!(real.unix_seconds() >= before + 3600);
    }

    #[test]
    fn a_jump_past_the_end_of_time_is_refused_and_time_stays() {
        for clock in [JumpClock::standing(), JumpClock::real()] {
            clock.advance(Duration::from_secs(60)).unwrap();
            let before = clock.now();
            // The offset itself would overflow.
            let err = clock.advance(Duration::from_secs(u64::MAX)).unwrap_err();
            assert_eq!(err.by, Duration::from_secs(u64::MAX));
            assert!(clock.now() >= before);
            assert!(clock.now() < before + Duration::from_secs(3600));
            // The offset fits, the time it makes does not.
            clock
                .advance(Duration::MAX - Duration::from_secs(60))
                .unwrap_err();
            assert!(clock.advance(Duration::from_secs(1)).is_ok());
        }
    }
}
