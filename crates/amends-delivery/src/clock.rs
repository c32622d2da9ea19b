//! Time for workers: the system clock in production, a clock a test moves by hand.

use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

/// Where a worker reads the time.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> Timestamp;

    /// Now, as Unix milliseconds (the outbox's unit).
    fn now_ms(&self) -> i64 {
        self.now().as_millisecond()
    }
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that stands still until told to move: simulated time for tests and replays.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Timestamp>,
}

impl ManualClock {
    /// A clock showing `at`.
    pub fn new(at: Timestamp) -> ManualClock {
        ManualClock {
            now: Mutex::new(at),
        }
    }

    /// Moves the clock to `at` (never backwards).
    pub fn set(&self, at: Timestamp) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if at > *now {
            *now = at;
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: SignedDuration) {
        let now = self.now();
        if let Ok(at) = now.checked_add(by) {
            self.set(at);
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_forward() {
        let start: Timestamp = "2024-10-15T14:00:00Z".parse().unwrap();
        let c = ManualClock::new(start);
        c.advance(SignedDuration::from_mins(30));
        assert_eq!(c.now().to_string(), "2024-10-15T14:30:00Z");
        c.set(start);
        assert_eq!(c.now().to_string(), "2024-10-15T14:30:00Z");
        assert_eq!(c.now_ms(), 1_729_002_600_000);
    }
}
