//! The worker: claim due jobs, deliver them concurrently through their channels, record
//! receipts, schedule retries with exponential backoff and jitter, and give up on a job after
//! the policy's attempts (a dead letter, visible and retried by hand).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use amends_store::{Job, Store};
use futures_util::future::join_all;

use crate::channel::{Channel, DeliveryError};
use crate::clock::Clock;

/// When to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first retry waits about this long (milliseconds); each next one twice as long.
    pub base_ms: i64,
    /// No wait is longer than this.
    pub max_ms: i64,
    /// After this many attempts the job is dead.
    pub max_attempts: i64,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            base_ms: 5_000,
            max_ms: 3_600_000,
            max_attempts: 10,
        }
    }
}

impl RetryPolicy {
    /// When attempt number `attempts` (just failed) is retried, or `None` when the job is
    /// dead. The wait is `base × 2^(attempts−1)`, capped, times a random factor between 0.5
    /// and 1.5 so that jobs failing together do not retry together.
    pub fn retry_at(&self, now_ms: i64, attempts: i64) -> Option<i64> {
        if attempts >= self.max_attempts {
            return None;
        }
        let exponent = u32::try_from((attempts - 1).clamp(0, 40)).unwrap_or(40);
        let wait = self
            .base_ms
            .saturating_mul(1_i64 << exponent)
            .min(self.max_ms);
        let jitter = 0.5 + fastrand::f64();
        // Milliseconds of waiting, not money: a float factor is fine here. The jittered wait
        // stays under the cap too.
        let jittered = ((wait as f64) * jitter) as i64;
        Some(now_ms + jittered.min(self.max_ms))
    }
}

/// A worker over one store. Cloning is cheap (the store and channels are shared), which is
/// how [`Worker::drain`] hands each of its loops a worker of its own.
#[derive(Clone)]
pub struct Worker {
    store: Store,
    channels: HashMap<String, Arc<dyn Channel>>,
    clock: Arc<dyn Clock>,
    policy: RetryPolicy,
    /// Jobs claimed at once.
    pub batch: i64,
    /// How long a claim holds (milliseconds). A delivery still unanswered after half of it is
    /// given up as a transient failure (and retried later), so a batch is recorded while its
    /// lease still holds: a slow recipient delays its batch by at most half a lease, and no
    /// other worker takes the batch's jobs meanwhile.
    pub lease_ms: i64,
    /// Batches [`Worker::drain`] keeps in flight at once: while one waits on its slowest
    /// recipient, others are claimed, delivered and recorded.
    pub parallel: usize,
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    /// Jobs claimed.
    pub claimed: usize,
    /// Delivered.
    pub delivered: usize,
    /// Failed, to be retried.
    pub retrying: usize,
    /// Failed for good.
    pub dead: usize,
}

impl std::ops::AddAssign for Round {
    fn add_assign(&mut self, r: Round) {
        self.claimed += r.claimed;
        self.delivered += r.delivered;
        self.retrying += r.retrying;
        self.dead += r.dead;
    }
}

impl Worker {
    /// A worker with the given channels.
    pub fn new(
        store: Store,
        channels: Vec<Arc<dyn Channel>>,
        clock: Arc<dyn Clock>,
        policy: RetryPolicy,
    ) -> Worker {
        Worker {
            store,
            channels: channels
                .into_iter()
                .map(|c| (c.name().to_string(), c))
                .collect(),
            clock,
            policy,
            batch: 100,
            lease_ms: 60_000,
            parallel: 4,
        }
    }

    /// Adds a channel, replacing one of the same name.
    pub fn add_channel(&mut self, channel: Arc<dyn Channel>) {
        self.channels.insert(channel.name().to_string(), channel);
    }

    /// Claims due jobs once and delivers them, all at the same time.
    pub async fn round(&self) -> Result<Round, amends_store::StoreError> {
        let now = self.clock.now_ms();
        let jobs = self.store.claim(now, self.lease_ms, self.batch).await?;
        let mut round = Round {
            claimed: jobs.len(),
            ..Round::default()
        };
        let patience = Duration::from_millis(u64::try_from(self.lease_ms / 2).unwrap_or(0));
        let attempts = jobs.iter().map(|job| async move {
            let outcome = match self.channels.get(&job.channel) {
                Some(channel) => tokio::time::timeout(patience, channel.deliver(job))
                    .await
                    .unwrap_or_else(|_| {
                        Err(DeliveryError::transient(format!(
                            "no answer within {} ms (half the lease)",
                            patience.as_millis()
                        )))
                    }),
                None => Err(DeliveryError::permanent(format!(
                    "no channel {:?} is configured",
                    job.channel
                ))),
            };
            (job, outcome)
        });
        let outcomes = join_all(attempts).await;
        // Record the deliveries first: a failure to record a failed attempt must not cost
        // the delivered ones their receipts (they would be sent again after the lease).
        let finished = self.clock.now_ms();
        let (delivered, failed): (Vec<_>, Vec<_>) = outcomes
            .into_iter()
            .partition(|(_, outcome)| outcome.is_ok());
        let delivered: Vec<(&Job, Option<String>)> = delivered
            .into_iter()
            .filter_map(|(job, outcome)| outcome.ok().map(|receipt| (job, receipt)))
            .collect();
        round.delivered = delivered.len();
        self.store.complete(&delivered, finished).await?;
        let mut first_error = None;
        for (job, outcome) in failed {
            let Err(e) = outcome else { continue };
            let retry = if e.retryable {
                self.policy.retry_at(finished, job.attempts)
            } else {
                None
            };
            tracing::warn!(key = %job.key, channel = %job.channel, attempts = job.attempts, error = %e, dead = retry.is_none(), "delivery failed");
            match self.store.fail(job, &e.message, retry).await {
                Ok(()) if retry.is_some() => round.retrying += 1,
                Ok(()) => round.dead += 1,
                // The job stays claimed; its lease runs out and it is tried again.
                Err(err) => {
                    first_error.get_or_insert(err);
                }
            }
        }
        if let Some(err) = first_error {
            return Err(err);
        }
        Ok(round)
    }

    /// Runs rounds until none claims anything (everything due is delivered, retrying later,
    /// or dead), [`Worker::parallel`] of them at a time, each loop a task of its own so that
    /// the work of building, sending and recording a batch is spread over the cores (in one
    /// task every batch shared one thread, and the acknowledgments of a large incident waited
    /// on it).
    pub async fn drain(&self) -> Result<Round, amends_store::StoreError> {
        let loops: Vec<_> = (0..self.parallel.max(1))
            .map(|_| {
                let worker = self.clone();
                tokio::spawn(async move { worker.rounds_until_idle().await })
            })
            .collect();
        // Every loop runs to its end even when another fails, or when this future is dropped
        // (a dropped handle leaves its task running): a loop stopped mid-round would leave
        // its claimed jobs to wait out their lease.
        let mut total = Round::default();
        let mut first_error = None;
        for handle in loops {
            match handle.await {
                Ok(Ok(r)) => total += r,
                Ok(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                // Cancelled: the runtime is shutting down.
                Err(_) => {}
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(total),
        }
    }

    async fn rounds_until_idle(&self) -> Result<Round, amends_store::StoreError> {
        let mut total = Round::default();
        loop {
            let r = self.round().await?;
            if r.claimed == 0 {
                return Ok(total);
            }
            total += r;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_with_jitter_and_stop() {
        let p = RetryPolicy {
            base_ms: 1_000,
            max_ms: 10_000,
            max_attempts: 5,
        };
        for _ in 0..200 {
            let first = p.retry_at(0, 1).unwrap();
            assert!((500..=1_500).contains(&first), "{first}");
            let third = p.retry_at(0, 3).unwrap();
            assert!((2_000..=6_000).contains(&third), "{third}");
            let fourth = p.retry_at(0, 4).unwrap();
            assert!((4_000..=10_000).contains(&fourth), "{fourth}");
            let capped = RetryPolicy {
                max_attempts: 50,
                ..p
            }
            .retry_at(0, 30)
            .unwrap();
            assert!(
                (5_000..=10_000).contains(&capped),
                "never past the cap: {capped}"
            );
        }
        assert_eq!(p.retry_at(0, 5), None);
    }
}
