//! Time as both the mocks and the harness read it.
//!
//! Expiry scenarios (state, codes, access tokens) move a [`SimulatedClock`] forward instead of
//! sleeping, so they take milliseconds and never flake. Live runs use [`SystemClock`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
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

    /// Lets `by` pass: the wall clock sleeps; a simulated clock moves forward at once, so that a
    /// wait for a token to expire takes no real time in tests.
    fn wait(&self, by: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(by))
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

    /// Moves time forward for every holder of this clock, to the time it returns; a move the
    /// clock cannot represent is refused and leaves the time where it was.
    pub fn advance(&self, by: Duration) -> Result<SystemTime, ClockOverflow> {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now = now.checked_add(by).ok_or(ClockOverflow { by })?;
        Ok(*now)
    }

    pub fn shared(&self) -> SharedClock {
        Arc::new(self.clone())
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait(&self, by: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        // A wait the clock cannot represent passes no time: whoever waited for an expiry then
        // finds the token still valid and says so, where a wrapped clock would have lied.
        let _ = self.advance(by);
        Box::pin(std::future::ready(()))
    }
}

/// A clock move past the last instant the system's time can represent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the clock cannot move {} s further: the time would pass the last one this system can represent",
    by.as_secs()
)]
pub struct ClockOverflow {
    pub by: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_time_and_advance_moves_all_of_them() {
        let clock = SimulatedClock::default();
        let other = clock.clone();
        let before = other.unix_seconds();
        clock.advance(Duration::from_secs(90)).unwrap();
        assert_eq!(other.unix_seconds(), before + 90);
        assert_eq!(before, SIMULATED_EPOCH_SECS);
    }

    #[tokio::test]
    async fn a_simulated_wait_moves_time_without_sleeping() {
        let clock = SimulatedClock::default();
        let started = std::time::Instant::now();
        clock.wait(Duration::from_secs(3600)).await;
        assert_eq!(clock.unix_seconds(), SIMULATED_EPOCH_SECS + 3600);
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn a_move_past_the_end_of_time_is_refused_and_time_stays() {
        let clock = SimulatedClock::default();
        let before = clock.now();
        let err = clock.advance(Duration::MAX).unwrap_err();
        assert_eq!(err.by, Duration::MAX);
        assert_eq!(clock.now(), before);
        // Small moves still work after a refusal.
        let after = clock.advance(Duration::from_secs(1)).unwrap();
        assert_eq!(after, before + Duration::from_secs(1));
    }

    #[tokio::test]
    async fn a_wait_past_the_end_of_time_passes_no_time() {
        let clock = SimulatedClock::default();
        let before = clock.now();
        clock.wait(Duration::MAX).await;
        assert_eq!(clock.now(), before);
    }
}
