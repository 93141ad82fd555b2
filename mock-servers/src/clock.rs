//! Time as both the mocks and the harness read it.
//!
//! Expiry scenarios (state, codes, access tokens) move a [`SimulatedClock`] forward instead of
//! sleeping, so they take milliseconds and never flake. Live runs use [`SystemClock`].

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> SystemTime;

    /// Seconds since the Unix epoch, as JWT `exp` and `iat` count them.
    fn unix_seconds(&self) -> u64 {
        self.now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
}

/// A clock handle shared by the mocks, the harness and the scenario script.
pub type SharedClock = Arc<dyn Clock>;

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that only moves when told to. Clones share the same time.
#[derive(Debug, Clone)]
pub struct SimulatedClock {
    now: Arc<Mutex<SystemTime>>,
}

/// 2026-01-01T00:00:00Z: a fixed start makes simulated timestamps, and so snapshots, stable.
pub const SIMULATED_EPOCH_SECS: u64 = 1_767_225_600;

impl Default for SimulatedClock {
    fn default() -> Self {
        Self::starting_at(UNIX_EPOCH + Duration::from_secs(SIMULATED_EPOCH_SECS))
    }
}

impl SimulatedClock {
    pub fn starting_at(start: SystemTime) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// Moves time forward for every holder of this clock.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }

    pub fn shared(&self) -> SharedClock {
        Arc::new(self.clone())
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_time_and_advance_moves_all_of_them() {
        let clock = SimulatedClock::default();
        let other = clock.clone();
        let before = other.unix_seconds();
        clock.advance(Duration::from_secs(90));
        assert_eq!(other.unix_seconds(), before + 90);
        assert_eq!(before, SIMULATED_EPOCH_SECS);
    }
}
