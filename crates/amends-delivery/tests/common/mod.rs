//! What the delivery tests share: the worked example's plan as outbox jobs, a fresh SQLite
//! or PostgreSQL store, and a loopback webhook sink that verifies signatures and counts what
//! it accepts per `webhook-id`.

#![allow(dead_code)] // each test file uses a part

pub mod smtp;

use amends_core::account;
use amends_core::incident::{Incident, Triage};
use amends_core::plan;
use amends_core::playbook::Playbook;
use amends_delivery::plan_jobs::{PlanJobs, plan_jobs};
use amends_messages::{Composer, Library, Rca, compile};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use amends_delivery::webhook::SigningSecret;
use amends_store::{Backend, NewJob, Store};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use jiff::Timestamp;
use sqlx::Connection;

pub const PLAYBOOK: &str = include_str!("../../../../demo/playbook.toml");
const ACCOUNTS: &str = include_str!("../../../../demo/accounts.csv");
const INCIDENT: &str = include_str!("../../../../demo/incident.toml");
const RCA: &str = include_str!("../../../../demo/rca.toml");

/// The worked example planned at detection, as jobs; with or without its
/// root-cause summary.
pub fn demo_jobs(with_summary: bool) -> PlanJobs {
    demo_jobs_in_triage(with_summary, None)
}

/// The worked example's jobs, as if an alert had opened it and it were still in `triage`.
pub fn demo_jobs_in_triage(with_summary: bool, triage: Option<Triage>) -> PlanJobs {
    // Planned at detection, as the engine would: every message is still to come.
    jobs_of(PLAYBOOK, "2024-10-15T14:00:00Z", with_summary, triage)
}

/// The worked example under `playbook` (the demo's, or a variation of its text), planned at
/// `as_of`, as jobs, without its root-cause summary.
pub fn demo_jobs_planned_at(playbook: &str, as_of: &str) -> PlanJobs {
    jobs_of(playbook, as_of, false, None)
}

fn jobs_of(playbook: &str, as_of: &str, with_summary: bool, triage: Option<Triage>) -> PlanJobs {
    let pb = Playbook::parse("demo/playbook.toml", playbook).unwrap();
    let accounts = account::parse_csv("demo/accounts.csv", ACCOUNTS, &pb).unwrap();
    let mut incident =
        Incident::parse_toml("demo/incident.toml", INCIDENT, &pb, &accounts).unwrap();
    incident.triage = triage;
    let plan = plan::plan(&pb, &accounts, &incident, as_of.parse().unwrap()).unwrap();
    let checked = compile(
        &pb,
        "demo/playbook.toml",
        playbook,
        &Library::bundled().unwrap(),
        &mut |p: &str| Err(p.to_string()),
    )
    .unwrap();
    let rca = Rca::parse_toml("demo/rca.toml", RCA).unwrap();
    let composer = Composer::new(&plan, &checked.templates, with_summary.then_some(&rca));
    plan_jobs(&plan, &composer)
}

/// The worked example's jobs on one channel.
pub fn demo_jobs_on(channel: &str) -> Vec<amends_store::NewJob> {
    demo_jobs(true)
        .jobs
        .into_iter()
        .filter(|j| j.channel == channel)
        .collect()
}

/// A store on a new SQLite file, and the file to remove afterwards.
pub async fn sqlite_store(name: &str) -> (Store, std::path::PathBuf) {
    let file = std::env::temp_dir().join(format!("amends-{name}-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let store = Store::connect(&format!("sqlite:{}", file.display()))
        .await
        .unwrap();
    (store, file)
}

/// The webhook signing secret of the tests.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// ----- a de-duplicating sink -----------------------------------------------------------------

/// How the sink misbehaves.
#[derive(Clone, Copy)]
pub enum Mode {
    /// Accepts everything.
    Good,
    /// Answers 503 to every other request; on every seventh it takes the message and then
    /// answers too late for the client (the sender retries, and the sink sees that key again).
    Flaky,
    /// Refuses everything with 400.
    Refusing,
}

#[derive(Default)]
pub struct Seen {
    /// Accepted requests per webhook-id.
    pub accepted: HashMap<String, u32>,
    /// Requests whose signature did not verify.
    pub bad_signatures: u32,
}

pub struct Sink {
    mode: Mode,
    /// Requests received, answered or not.
    pub requests: AtomicU64,
    /// What it accepted.
    pub seen: Mutex<Seen>,
    secret: SigningSecret,
    /// While true, a message accepted is not answered: its sender is stuck mid-send.
    hold: tokio::sync::watch::Sender<bool>,
    /// Messages accepted and not answered yet because of [`Sink::hold`].
    pub held: AtomicU64,
}

impl Sink {
    /// Holds the answers to the messages accepted from now on (`true`), or lets them all go.
    pub fn hold(&self, hold: bool) {
        self.hold.send_replace(hold);
    }
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
    let mut hold = sink.hold.subscribe();
    if *hold.borrow_and_update() {
        sink.held.fetch_add(1, Ordering::SeqCst);
        hold.wait_for(|hold| !*hold).await.unwrap();
    }
    if matches!(sink.mode, Mode::Flaky) && n % 7 == 0 {
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    StatusCode::NO_CONTENT
}

/// A sink on a loopback port, and its address.
pub async fn sink(mode: Mode) -> (Arc<Sink>, SocketAddr) {
    let state = Arc::new(Sink {
        mode,
        requests: AtomicU64::new(0),
        seen: Mutex::new(Seen::default()),
        secret: SigningSecret::parse(SECRET).unwrap(),
        hold: tokio::sync::watch::Sender::new(false),
        held: AtomicU64::new(0),
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

pub fn unique() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        Timestamp::now().subsec_nanosecond()
    )
}

/// A fresh store; for PostgreSQL also what to drop afterwards.
pub async fn fresh(backend: Backend) -> (Store, String, Option<(String, String)>) {
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

/// Drops a PostgreSQL test database.
pub async fn drop_db(pg: Option<(String, String)>) {
    if let Some((admin, name)) = pg {
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
}

/// `n` webhook jobs of one incident to the sink at `addr`, all due at once.
pub fn jobs(n: usize, addr: SocketAddr) -> Vec<NewJob> {
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
