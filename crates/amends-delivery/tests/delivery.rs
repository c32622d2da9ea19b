//! Workers delivering signed webhooks to a real HTTP listener on loopback, on SQLite and on
//! PostgreSQL (the machine's server; unreachable fails, never skips): a sink that fails half
//! its requests and times out others still ends up with every message exactly once by its
//! idempotency key (duplicates it saw are counted too), a permanent refusal becomes a dead
//! letter that can be retried by hand, and two workers on one PostgreSQL database deliver
//! 10,000 jobs with none sent twice.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use amends_delivery::webhook::{SigningSecret, WebhookChannel};
use amends_delivery::{Channel, Clock, ManualClock, RetryPolicy, Worker};
use amends_store::{Backend, Store};
use common::{Mode, SECRET, drop_db, fresh, jobs, sink};
use jiff::SignedDuration;

fn worker(store: Store, clock: Arc<ManualClock>, timeout_ms: u64) -> Worker {
    let channel: Arc<dyn Channel> = Arc::new(WebhookChannel::new(
        SigningSecret::parse(SECRET).unwrap(),
        clock.clone(),
        Duration::from_millis(timeout_ms),
    ));
    Worker::new(
        store,
        vec![channel],
        clock,
        // A flaky sink fails a given attempt with probability about 4 in 7 (every other
        // request refused, every seventh answered too late); 40 attempts make a dead letter
        // there about a 1e-10 chance per job, where 12 made one in about every other run of
        // 400 jobs (regression: the flaky-sink test failed now and then).
        RetryPolicy {
            base_ms: 1_000,
            max_ms: 60_000,
            max_attempts: 40,
        },
    )
}

fn start() -> Arc<ManualClock> {
    Arc::new(ManualClock::new("2024-10-15T14:30:00Z".parse().unwrap()))
}

// ----- the tests -------------------------------------------------------------------------------

async fn a_flaky_sink_gets_everything_exactly_once_by_key(backend: Backend) {
    let (store, _, pg) = fresh(backend).await;
    let (sink, addr) = sink(Mode::Flaky).await;
    store.enqueue(&jobs(400, addr)).await.unwrap();
    let clock = start();
    let w = worker(store.clone(), clock.clone(), 300);
    // Simulated time: run what is due, then jump past the longest backoff.
    for _ in 0..60 {
        w.drain().await.unwrap();
        if store.outbox_counts().await.unwrap().queued == 0 {
            break;
        }
        clock.advance(SignedDuration::from_secs(120));
    }
    let counts = store.outbox_counts().await.unwrap();
    assert_eq!(
        (counts.queued, counts.sending, counts.dead, counts.delivered),
        (0, 0, 0, 400),
        "everything delivered"
    );
    let (keys, duplicates, bad) = {
        let seen = sink.seen.lock().unwrap();
        let duplicates: u32 = seen.accepted.values().map(|n| n - 1).sum();
        (seen.accepted.len(), duplicates, seen.bad_signatures)
    };
    assert_eq!(bad, 0);
    assert_eq!(keys, 400, "every key arrived");
    let requests = sink.requests.load(Ordering::SeqCst);
    assert!(requests > 400, "the sink failed some requests: {requests}");
    // A message taken whose answer came too late is sent again under the same key: the
    // recipient sees the key twice and de-duplicates it. Count both.
    assert!(duplicates > 0, "the late answers caused resends");
    eprintln!(
        "{backend:?}: {requests} requests, {keys} keys, {duplicates} resends de-duplicated by key"
    );
    drop_db(pg).await;
}

async fn a_refusing_sink_makes_dead_letters_that_can_be_retried(backend: Backend) {
    let (store, _, pg) = fresh(backend).await;
    let (refusing, addr) = sink(Mode::Refusing).await;
    store.enqueue(&jobs(3, addr)).await.unwrap();
    let clock = start();
    let w = worker(store.clone(), clock.clone(), 2_000);
    let round = w.drain().await.unwrap();
    assert_eq!((round.claimed, round.dead), (3, 3), "a 400 is not retried");
    let dead = store.dead_jobs().await.unwrap();
    assert_eq!(dead.len(), 3);
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("answered 400"),
        "{dead:?}"
    );
    assert!(
        !dead[0].last_error.as_deref().unwrap().contains("/hook"),
        "errors name the host, not the path"
    );
    assert_eq!(refusing.requests.load(Ordering::SeqCst), 3);
    // Retried by hand it goes out again, under the same key (the payload still names the
    // refusing sink, so it dies again, and nothing is lost).
    assert!(
        store
            .retry_dead(&dead[0].key, clock.now_ms())
            .await
            .unwrap()
    );
    let round = w.drain().await.unwrap();
    assert_eq!(round.claimed, 1);
    assert_eq!(refusing.requests.load(Ordering::SeqCst), 4);
    drop_db(pg).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_flaky_sink_gets_everything_exactly_once_by_key() {
    a_flaky_sink_gets_everything_exactly_once_by_key(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_flaky_sink_gets_everything_exactly_once_by_key() {
    a_flaky_sink_gets_everything_exactly_once_by_key(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_refusing_sink_makes_dead_letters_that_can_be_retried() {
    a_refusing_sink_makes_dead_letters_that_can_be_retried(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_refusing_sink_makes_dead_letters_that_can_be_retried() {
    a_refusing_sink_makes_dead_letters_that_can_be_retried(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_on_one_postgres_deliver_ten_thousand_jobs_once_each() {
    let (store, url, pg) = fresh(Backend::Postgres).await;
    let (sink, addr) = sink(Mode::Good).await;
    store.enqueue(&jobs(10_000, addr)).await.unwrap();
    let other = Store::connect(&url).await.unwrap();
    let clock = start();
    let a = worker(store.clone(), clock.clone(), 10_000);
    let b = worker(other, clock.clone(), 10_000);
    let (ra, rb) = tokio::join!(a.drain(), b.drain());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.delivered + rb.delivered, 10_000);
    assert!(
        ra.delivered > 0 && rb.delivered > 0,
        "both worked: {ra:?} {rb:?}"
    );
    let (keys, once) = {
        let seen = sink.seen.lock().unwrap();
        (seen.accepted.len(), seen.accepted.values().all(|n| *n == 1))
    };
    assert_eq!(keys, 10_000, "every key arrived");
    assert!(once, "no job was sent twice");
    assert_eq!(sink.requests.load(Ordering::SeqCst), 10_000);
    assert_eq!(store.outbox_counts().await.unwrap().delivered, 10_000);
    drop_db(pg).await;
}
