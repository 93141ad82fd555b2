//! The clock of a served scenario: real time (or time standing still) plus the jumps its
//! triggers make, so that expiry happens at the moment the script says, whoever the client is.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use mcp_oauth_mocks::clock::{Clock, SharedClock};

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

    pub fn advance(&self, by: Duration) {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .offset += by;
    }

    pub fn shared(&self) -> SharedClock {
        Arc::new(self.clone())
    }
}

impl Clock for JumpClock {
    fn now(&self) -> SystemTime {
        let state = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        state.frozen_at.unwrap_or_else(SystemTime::now) + state.offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jump_moves_both_kinds_of_clock_forward() {
        let standing = JumpClock::standing();
        let before = standing.unix_seconds();
        standing.advance(Duration::from_secs(3600));
        assert_eq!(standing.unix_seconds(), before + 3600);
        let real = JumpClock::real();
        let before = real.unix_seconds();
        real.advance(Duration::from_secs(3600));
        assert!(real.unix_seconds() >= before + 3600);
    }
}
