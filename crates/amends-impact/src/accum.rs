//! The per-account accumulator: one streaming pass, memory proportional to accounts.
//!
//! Logs arrive in time order, so an account's requests within one minute are contiguous in
//! its own sequence: each account keeps only its first and its latest minute open. A minute
//! is judged against the threshold as soon as a later minute of that account arrives. The
//! first minute stays open too, so two accumulators over consecutive stretches of the logs
//! (one per thread) can be merged exactly when a minute straddles the seam.

use std::collections::HashMap;

use amends_core::impact::Impact;
use jiff::Timestamp;

/// Requests of one account in one minute. Counts are 32-bit (saturating: 4 billion requests
/// of one account in one minute are beyond any real service) so that an account's hot
/// figures share one cache line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bucket {
    minute: i64,
    latency_sum: f64,
    requests: u32,
    failures: u32,
    /// Requests with a latency (failed requests often have none).
    timed: u32,
}

impl Bucket {
    const EMPTY: Bucket = Bucket {
        minute: i64::MIN,
        requests: 0,
        failures: 0,
        latency_sum: 0.0,
        timed: 0,
    };

    fn is_empty(&self) -> bool {
        self.minute == i64::MIN
    }

    fn start(minute: i64) -> Bucket {
        Bucket {
            minute,
            ..Bucket::EMPTY
        }
    }

    fn add(&mut self, failed: bool, latency_ms: Option<f64>) {
        self.requests = self.requests.saturating_add(1);
        self.failures = self.failures.saturating_add(u32::from(failed));
        if let Some(ms) = latency_ms {
            self.latency_sum += ms;
            self.timed = self.timed.saturating_add(1);
        }
    }

    fn absorb(&mut self, other: &Bucket) {
        self.requests = self.requests.saturating_add(other.requests);
        self.failures = self.failures.saturating_add(other.failures);
        self.latency_sum += other.latency_sum;
        self.timed = self.timed.saturating_add(other.timed);
    }
}

/// The test a minute passes to count as impacted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Judge {
    /// Error rate threshold as numerator / denominator.
    pub(crate) numerator: u128,
    pub(crate) denominator: u128,
    /// Mean latency threshold, milliseconds.
    pub(crate) latency_ms: Option<f64>,
}

impl Judge {
    fn impacted(&self, b: &Bucket) -> bool {
        if b.is_empty() || b.requests == 0 {
            return false;
        }
        let errors =
            u128::from(b.failures) * self.denominator >= self.numerator * u128::from(b.requests);
        let slow = self
            .latency_ms
            .is_some_and(|limit| b.timed > 0 && b.latency_sum >= limit * f64::from(b.timed));
        errors || slow
    }
}

/// One account's running figures: what almost every request touches (counts, the latest
/// minute) in the first cache line, the rest in the second. Accounts are met in random
/// order, so this layout is most of the scan's speed.
#[derive(Debug, Clone)]
#[repr(C, align(64))]
pub(crate) struct Running {
    requests: u64,
    failures: u64,
    last: Bucket,
    /// Impacted minutes strictly between `first` and `last`.
    closed: u64,
    first: Bucket,
    baseline_requests: u64,
    baseline_failures: u64,
    first_failure: i64,
    last_failure: i64,
}

impl Default for Running {
    fn default() -> Running {
        Running {
            requests: 0,
            failures: 0,
            baseline_requests: 0,
            baseline_failures: 0,
            first_failure: i64::MAX,
            last_failure: i64::MIN,
            closed: 0,
            first: Bucket::EMPTY,
            last: Bucket::EMPTY,
        }
    }
}

/// A request of an account came earlier than a minute already judged.
#[derive(Debug)]
pub(crate) struct OutOfOrder {
    /// The request's minute, as microseconds since the epoch.
    pub(crate) at: i64,
    /// The latest minute seen for the account before it.
    pub(crate) after: i64,
}

impl Running {
    fn latest(&self) -> &Bucket {
        if self.last.is_empty() {
            &self.first
        } else {
            &self.last
        }
    }

    /// Counts one request inside the window.
    fn add_window(
        &mut self,
        micros: i64,
        failed: bool,
        latency_ms: Option<f64>,
        judge: &Judge,
    ) -> Result<(), OutOfOrder> {
        let minute = micros.div_euclid(60_000_000);
        if self.first.is_empty() {
            self.first = Bucket::start(minute);
        }
        let bucket = if self.last.is_empty() {
            if minute == self.first.minute {
                &mut self.first
            } else if minute > self.first.minute {
                self.last = Bucket::start(minute);
                &mut self.last
            } else {
                return Err(OutOfOrder {
                    at: minute * 60_000_000,
                    after: self.first.minute * 60_000_000,
                });
            }
        } else if minute == self.last.minute {
            &mut self.last
        } else if minute > self.last.minute {
            self.closed += u64::from(judge.impacted(&self.last));
            self.last = Bucket::start(minute);
            &mut self.last
        } else {
            return Err(OutOfOrder {
                at: minute * 60_000_000,
                after: self.last.minute * 60_000_000,
            });
        };
        bucket.add(failed, latency_ms);
        self.requests += 1;
        if failed {
            self.failures += 1;
            self.first_failure = self.first_failure.min(micros);
            self.last_failure = self.last_failure.max(micros);
        }
        Ok(())
    }

    /// Appends `later`, the same account's figures over the stretch of logs right after
    /// this one's.
    fn append(&mut self, later: Running, judge: &Judge) -> Result<(), OutOfOrder> {
        self.requests += later.requests;
        self.failures += later.failures;
        self.baseline_requests += later.baseline_requests;
        self.baseline_failures += later.baseline_failures;
        self.first_failure = self.first_failure.min(later.first_failure);
        self.last_failure = self.last_failure.max(later.last_failure);
        if later.first.is_empty() {
            return Ok(());
        }
        if self.first.is_empty() {
            self.closed = later.closed;
            self.first = later.first;
            self.last = later.last;
            return Ok(());
        }
        // The open minutes in order: ours, then theirs, with a shared minute merged.
        let mut edges: Vec<Bucket> = [self.first, self.last]
            .into_iter()
            .filter(|b| !b.is_empty())
            .collect();
        let seam = *self.latest();
        if later.first.minute < seam.minute {
            return Err(OutOfOrder {
                at: later.first.minute * 60_000_000,
                after: seam.minute * 60_000_000,
            });
        }
        for b in [later.first, later.last]
            .into_iter()
            .filter(|b| !b.is_empty())
        {
            match edges.last_mut() {
                Some(prev) if prev.minute == b.minute => prev.absorb(&b),
                _ => edges.push(b),
            }
        }
        let mut closed = self.closed + later.closed;
        let n = edges.len();
        for b in edges.iter().take(n.saturating_sub(1)).skip(1) {
            closed += u64::from(judge.impacted(b));
        }
        self.closed = closed;
        self.first = edges[0];
        self.last = if n > 1 { edges[n - 1] } else { Bucket::EMPTY };
        Ok(())
    }

    fn finish(&self, judge: &Judge) -> Impact {
        let at = |micros: i64| Timestamp::from_microsecond(micros).ok();
        Impact {
            requests: self.requests,
            failures: self.failures,
            impacted_minutes: self.closed
                + u64::from(judge.impacted(&self.first))
                + u64::from(judge.impacted(&self.last)),
            first_failure: (self.failures > 0)
                .then(|| at(self.first_failure))
                .flatten(),
            last_failure: (self.failures > 0).then(|| at(self.last_failure)).flatten(),
            baseline_requests: self.baseline_requests,
            baseline_failures: self.baseline_failures,
        }
    }
}

/// A key as read from a log row: text, or an integer id.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Key<'a> {
    Text(&'a str),
    Int(i64),
}

/// Figures for every account met so far in one stretch of the logs.
#[derive(Debug, Default)]
pub(crate) struct Accumulator {
    by_text: HashMap<Box<str>, u32, foldhash::fast::RandomState>,
    by_int: HashMap<i64, u32, foldhash::fast::RandomState>,
    names: Vec<Box<str>>,
    running: Vec<Running>,
}

impl Accumulator {
    /// The slot of an account, created on first sight.
    pub(crate) fn slot(&mut self, key: Key<'_>) -> u32 {
        let next = u32::try_from(self.running.len()).unwrap_or(u32::MAX);
        let slot = match key {
            Key::Text(s) => {
                if let Some(&i) = self.by_text.get(s) {
                    return i;
                }
                self.by_text.insert(s.into(), next);
                s.into()
            }
            Key::Int(n) => {
                if let Some(&i) = self.by_int.get(&n) {
                    return i;
                }
                self.by_int.insert(n, next);
                n.to_string().into_boxed_str()
            }
        };
        self.names.push(slot);
        self.running.push(Running::default());
        next
    }

    /// Counts one request of the account in `slot`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add(
        &mut self,
        slot: u32,
        micros: i64,
        failed: bool,
        latency_ms: Option<f64>,
        in_window: bool,
        in_baseline: bool,
        judge: &Judge,
    ) -> Result<(), (String, OutOfOrder)> {
        let Some(r) = self.running.get_mut(slot as usize) else {
            return Ok(());
        };
        if in_baseline {
            r.baseline_requests += 1;
            r.baseline_failures += u64::from(failed);
        }
        if in_window {
            r.add_window(micros, failed, latency_ms, judge)
                .map_err(|e| (self.names[slot as usize].to_string(), e))?;
        }
        Ok(())
    }

    /// Appends the accumulator of the stretch of logs right after this one's.
    pub(crate) fn append(
        &mut self,
        later: Accumulator,
        judge: &Judge,
    ) -> Result<(), (String, OutOfOrder)> {
        for (name, running) in later.names.into_iter().zip(later.running) {
            let slot = self.slot(Key::Text(&name));
            self.running[slot as usize]
                .append(running, judge)
                .map_err(|e| (name.to_string(), e))?;
        }
        Ok(())
    }

    /// The figures, by account id, in id order.
    pub(crate) fn finish(self, judge: &Judge) -> Vec<(String, Impact)> {
        let mut out: Vec<(String, Impact)> = self
            .names
            .into_iter()
            .zip(&self.running)
            .map(|(name, r)| (name.into_string(), r.finish(judge)))
            .collect();
        out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JUDGE: Judge = Judge {
        numerator: 1,
        denominator: 2,
        latency_ms: None,
    };

    fn run(rows: &[(i64, bool)]) -> Running {
        let mut r = Running::default();
        for &(second, failed) in rows {
            r.add_window(second * 1_000_000, failed, None, &JUDGE)
                .unwrap();
        }
        r
    }

    /// Every split of the same rows into two stretches gives the same answer.
    #[test]
    fn merging_at_any_seam_is_exact() {
        let rows = [
            (0, true),
            (10, false),
            (59, true),
            (60, false),
            (61, false),
            (70, true),
            (125, true),
            (130, false),
            (200, false),
            (250, true),
            (260, true),
        ];
        let whole = run(&rows).finish(&JUDGE);
        // minute 0: 2/3 failed, minute 1: 1/3, minute 2: 1/2, minute 3: 0/1, minute 4: 2/2
        assert_eq!(whole.impacted_minutes, 3);
        assert_eq!(whole.requests, 11);
        assert_eq!(whole.failures, 6);
        for cut in 0..=rows.len() {
            let mut a = run(&rows[..cut]);
            a.append(run(&rows[cut..]), &JUDGE).unwrap();
            assert_eq!(a.finish(&JUDGE), whole, "cut at {cut}");
        }
    }

    #[test]
    fn rows_out_of_order_are_refused() {
        let mut r = run(&[(120, false), (200, false)]);
        assert!(r.add_window(30_000_000, false, None, &JUDGE).is_err());
        let mut a = run(&[(300, false)]);
        assert!(a.append(run(&[(100, false)]), &JUDGE).is_err());
    }
}
