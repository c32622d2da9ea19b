//! A recipient that never answers holds up its batch for half the worker's lease, not for
//! ever: the delivery is given up as a transient failure while the lease still holds, and the
//! rest of the batch is recorded as delivered.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use amends_delivery::channel::Delivery;
use amends_delivery::{Channel, ManualClock, RetryPolicy, Worker};
use amends_store::{Backend, Job, NewJob};
use common::{drop_db, fresh};

/// Answers at once, except for the job keyed `silent`, which it never answers.
struct OneSilent;

impl Channel for OneSilent {
    fn name(&self) -> &str {
        "webhook"
    }

    fn deliver<'a>(&'a self, job: &'a Job) -> Delivery<'a> {
        Box::pin(async move {
            if job.key == "silent" {
                std::future::pending::<()>().await;
            }
            Ok(Some("204".into()))
        })
    }
}

async fn a_silent_recipient_costs_half_a_lease(backend: Backend) {
    let (store, _, pg) = fresh(backend).await;
    let jobs: Vec<NewJob> = ["a", "b", "silent", "c"]
        .iter()
        .map(|key| NewJob {
            key: (*key).into(),
            incident_id: "INC-1".into(),
            channel: "webhook".into(),
            due_ms: 0,
            payload: "{}".into(),
        })
        .collect();
    store.enqueue(&jobs).await.unwrap();
    let clock = Arc::new(ManualClock::new("2024-10-15T14:30:00Z".parse().unwrap()));
    let mut worker = Worker::new(
        store.clone(),
        vec![Arc::new(OneSilent)],
        clock,
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        },
    );
    worker.lease_ms = 600;
    let started = Instant::now();
    let round = worker.round().await.unwrap();
    let took = started.elapsed();
    assert_eq!((round.claimed, round.delivered, round.dead), (4, 3, 1));
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_millis(600),
        "given up after half the lease, before it ran out: {took:?}"
    );
    let dead = store.dead_jobs().await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].key, "silent");
    assert_eq!(
        dead[0].last_error.as_deref(),
        Some("no answer within 300 ms (half the lease)")
    );
    let counts = store.outbox_counts().await.unwrap();
    assert_eq!((counts.sending, counts.delivered), (0, 3));
    drop_db(pg).await;
}

#[tokio::test]
async fn sqlite_a_silent_recipient_costs_half_a_lease() {
    a_silent_recipient_costs_half_a_lease(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_a_silent_recipient_costs_half_a_lease() {
    a_silent_recipient_costs_half_a_lease(Backend::Postgres).await;
}
