//! A worker process killed with SIGKILL in the middle of sending 10,000 signed webhooks, then
//! restarted, on SQLite and on PostgreSQL: no message is lost and none is delivered twice as
//! a recipient that de-duplicates by `webhook-id` sees it.
//!
//! The worker is a real child process: this test binary started again with
//! `--exact worker_process --ignored` and the database URL in [`ROLE`], running the real
//! [`Worker`] with the Standard Webhooks channel and the system clock. The sink is a real HTTP
//! listener on loopback, in this process, that checks every signature and counts both raw
//! requests and unique ids. Once the sink has accepted [`KILL_AFTER`] messages it holds the
//! answers to the next ones, so the worker is certainly mid-send (messages out, receipts not
//! recorded), and the child is killed (`Child::kill` is SIGKILL on Unix: no destructor, no
//! rollback, no goodbye); a second one is started on the same database.
//!
//! Leases are short ([`LEASE_MS`] of real time) so that the jobs the killed worker held are
//! claimable again a moment later; the restarted worker keeps draining until the queue is
//! empty, which includes waiting for those leases to run out.
//!
//! What is counted: unique ids at the sink must be exactly 10,000 and match the keys the
//! store recorded as delivered; raw requests are at least 10,000 and the surplus (messages the
//! killed worker sent but had not recorded) is at most the number of jobs it held claimed at
//! the moment of the kill.

mod common;

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use amends_delivery::webhook::{SigningSecret, WebhookChannel};
use amends_delivery::{Channel, RetryPolicy, SystemClock, Worker};
use amends_store::{Backend, Store};
use common::{Mode, SECRET, Sink, drop_db, fresh, jobs, sink};

/// The environment variable that makes [`worker_process`] a worker: the database URL.
const ROLE: &str = "AMENDS_CRASH_WORKER_DB";
/// Messages to send.
const JOBS: usize = 10_000;
/// Accepted messages after which the first worker is killed.
const KILL_AFTER: usize = 3_000;
/// The worker's lease, real milliseconds: long enough for a batch on a busy debug build,
/// short enough that the restarted worker soon takes over the dead one's jobs.
const LEASE_MS: i64 = 2_000;
/// How long any phase may take before the test gives up.
const PATIENCE: Duration = Duration::from_secs(60);

/// The worker process. Does nothing unless started by the crash tests with [`ROLE`] set.
#[test]
#[ignore = "the worker process the crash tests start and kill; not a test of its own"]
fn worker_process() {
    let Ok(url) = std::env::var(ROLE) else {
        eprintln!("{ROLE} is not set: nothing to do");
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = Store::connect(&url).await.unwrap();
        let clock = Arc::new(SystemClock);
        let channel: Arc<dyn Channel> = Arc::new(WebhookChannel::new(
            SigningSecret::parse(SECRET).unwrap(),
            clock.clone(),
            Duration::from_millis(900),
        ));
        let mut worker = Worker::new(
            store.clone(),
            vec![channel],
            clock,
            RetryPolicy {
                base_ms: 100,
                max_ms: 1_000,
                max_attempts: 100,
            },
        );
        worker.lease_ms = LEASE_MS;
        worker.batch = 100;
        worker.parallel = 4;
        let deadline = Instant::now() + PATIENCE;
        loop {
            worker.drain().await.unwrap();
            let counts = store.outbox_counts().await.unwrap();
            if counts.queued + counts.sending == 0 {
                return;
            }
            // Jobs a killed worker held are claimable once their lease runs out.
            assert!(
                Instant::now() < deadline,
                "the queue did not empty: {counts:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
}

fn start_worker(url: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "worker_process", "--ignored", "--nocapture"])
        .env(ROLE, url)
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

fn unique_ids(sink: &Sink) -> usize {
    sink.seen.lock().unwrap().accepted.len()
}

async fn a_killed_worker_loses_nothing_and_sends_nothing_twice(backend: Backend) {
    let (store, url, pg) = fresh(backend).await;
    let (sink, addr) = sink(Mode::Good).await;
    store.enqueue(&jobs(JOBS, addr)).await.unwrap();

    let mut first = start_worker(&url);
    let deadline = Instant::now() + PATIENCE;
    while unique_ids(&sink) < KILL_AFTER {
        assert!(
            first.try_wait().unwrap().is_none(),
            "the first worker ended before it was killed"
        );
        assert!(Instant::now() < deadline, "the first worker is too slow");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Catch it mid-send: the sink takes the next messages but holds their answers, so the
    // worker has sent them and cannot record them.
    sink.hold(true);
    while sink.held.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "no message reached the sink");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let held = sink.held.load(Ordering::SeqCst);
    sink.hold(false);
    let at_kill = store.outbox_counts().await.unwrap();
    let (requests_at_kill, unique_at_kill) =
        (sink.requests.load(Ordering::SeqCst), unique_ids(&sink));
    assert!(
        at_kill.delivered < JOBS as i64,
        "killed mid-run: {at_kill:?}"
    );
    // Jobs claimed and not recorded: the dead worker's in-flight batches, among them those
    // whose answers the sink held.
    let in_flight = at_kill.sending;
    assert!(
        in_flight >= held as i64,
        "the {held} messages held are in flight: {at_kill:?}"
    );

    let mut second = start_worker(&url);
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the restarted worker is too slow"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "the restarted worker failed: {status}");

    let counts = store.outbox_counts().await.unwrap();
    assert_eq!(
        (counts.queued, counts.sending, counts.dead, counts.delivered),
        (0, 0, 0, JOBS as i64),
        "the queue is empty and every job recorded as delivered"
    );
    let requests = sink.requests.load(Ordering::SeqCst);
    let (ids, most, bad) = {
        let seen = sink.seen.lock().unwrap();
        let ids: HashSet<String> = seen.accepted.keys().cloned().collect();
        let most = seen.accepted.values().copied().max().unwrap_or(0);
        (ids, most, seen.bad_signatures)
    };
    assert_eq!(bad, 0, "every request carried a valid signature");
    assert_eq!(ids.len(), JOBS, "no message lost: every id arrived");
    let recorded: HashSet<String> = store
        .delivered("INC-1")
        .await
        .unwrap()
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    assert_eq!(
        recorded, ids,
        "the store recorded exactly the ids the sink saw"
    );
    let surplus = requests - JOBS as u64;
    assert!(
        requests >= JOBS as u64 && surplus <= in_flight as u64,
        "{requests} requests: the surplus {surplus} is more than the {in_flight} jobs in flight at the kill"
    );
    assert!(
        surplus >= held,
        "the {held} messages taken but not answered were sent again: {surplus}"
    );
    assert!(most <= 2, "no id arrived more than twice: {most}");
    eprintln!(
        "{backend:?}: killed after {unique_at_kill} unique ids ({requests_at_kill} requests), \
         {} recorded, {in_flight} in flight ({held} answers held by the sink); in the end {} unique ids, {requests} requests \
         ({surplus} re-sent under the same id and de-duplicated by the sink)",
        at_kill.delivered,
        ids.len()
    );
    drop_db(pg).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_worker_killed_mid_send_loses_nothing_and_sends_nothing_twice() {
    a_killed_worker_loses_nothing_and_sends_nothing_twice(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_worker_killed_mid_send_loses_nothing_and_sends_nothing_twice() {
    a_killed_worker_loses_nothing_and_sends_nothing_twice(Backend::Postgres).await;
}
