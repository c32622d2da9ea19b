//! Workers delivering signed webhooks to a real HTTP listener on loopback, on SQLite and on
//! PostgreSQL (the machine's server; unreachable fails, never skips): a sink that fails half
//! its requests and times out others still ends up with every message exactly once by its
//! idempotency key (duplicates it saw are counted too), a permanent refusal becomes a dead
//! letter that can be retried by hand, and two workers on one PostgreSQL database deliver
//! 10,000 jobs with none sent twice.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use amends_delivery::webhook::{SigningSecret, WebhookChannel};
use amends_delivery::{Channel, Clock, ManualClock, RetryPolicy, Worker};
use amends_store::{Backend, NewJob, Store};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use jiff::{SignedDuration, Timestamp};
use sqlx::Connection;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// ----- a de-duplicating sink -----------------------------------------------------------------

/// How the sink misbehaves.
#[derive(Clone, Copy)]
enum Mode {
    /// Accepts everything.
    Good,
    /// Answers 503 to every other request; on every seventh it takes the message and then
    /// answers too late for the client (the sender retries, and the sink sees that key again).
    Flaky,
    /// Refuses everything with 400.
    Refusing,
}

#[derive(Default)]
struct Seen {
    /// Accepted requests per webhook-id.
    accepted: HashMap<String, u32>,
    /// Requests whose signature did not verify.
    bad_signatures: u32,
}

struct Sink {
    mode: Mode,
    requests: AtomicU64,
    seen: Mutex<Seen>,
    secret: SigningSecret,
}

async fn receive(
    State(sink): State<Arc<Sink>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let n = sink.requests.fetch_add(1, Ordering::SeqCst);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (id, ts) = (header("webhook-id"), header("webhook-timestamp"));
    let expected = sink.secret.sign(&id, ts.parse().unwrap_or(0), &body);
    if header("webhook-signature") != expected || id.is_empty() {
        sink.seen.lock().unwrap().bad_signatures += 1;
        return StatusCode::UNAUTHORIZED;
    }
    match sink.mode {
        Mode::Refusing => return StatusCode::BAD_REQUEST,
        Mode::Flaky if n % 2 == 1 => return StatusCode::SERVICE_UNAVAILABLE,
        _ => {}
    }
    *sink.seen.lock().unwrap().accepted.entry(id).or_default() += 1;
    if matches!(sink.mode, Mode::Flaky) && n % 7 == 0 {
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    StatusCode::NO_CONTENT
}

async fn sink(mode: Mode) -> (Arc<Sink>, SocketAddr) {
    let state = Arc::new(Sink {
        mode,
        requests: AtomicU64::new(0),
        seen: Mutex::new(Seen::default()),
        secret: SigningSecret::parse(SECRET).unwrap(),
    });
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (state, addr)
}

// ----- databases ---------------------------------------------------------------------------

fn unique() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        Timestamp::now().subsec_nanosecond()
    )
}

/// A fresh store; for PostgreSQL also what to drop afterwards.
async fn fresh(backend: Backend) -> (Store, String, Option<(String, String)>) {
    match backend {
        Backend::Sqlite => {
            let file = std::env::temp_dir().join(format!("amends-delivery-{}.db", unique()));
            let url = format!("sqlite:{}", file.display());
            (Store::connect(&url).await.unwrap(), url, None)
        }
        Backend::Postgres => {
            let admin = std::env::var("AMENDS_TEST_POSTGRES")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let name = format!("amends_d_{}", unique());
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| {
                    panic!("PostgreSQL is not reachable at {admin}: {e}; these tests need it")
                });
            sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            conn.close().await.ok();
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            let url = format!("{base}/{name}");
            (
                Store::connect(&url).await.unwrap(),
                url,
                Some((admin, name)),
            )
        }
    }
}

async fn drop_db(pg: Option<(String, String)>) {
    if let Some((admin, name)) = pg {
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
}

fn jobs(n: usize, addr: SocketAddr) -> Vec<NewJob> {
    (0..n)
        .map(|i| NewJob {
            key: format!("INC-1/acct-{i:05}/ack_email/1/0"),
            incident_id: "INC-1".into(),
            channel: "webhook".into(),
            due_ms: 0,
            payload: serde_json::json!({
                "url": format!("http://{addr}/hook"),
                "body": {"account": format!("acct-{i:05}"), "text": "Your team could not sign in."}
            })
            .to_string(),
        })
        .collect()
}

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
        RetryPolicy {
            base_ms: 1_000,
            max_ms: 60_000,
            max_attempts: 12,
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
    for _ in 0..30 {
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
