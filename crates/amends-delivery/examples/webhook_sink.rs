//! The loopback HTTP sink of the outbox benchmark (`bench/outbox-vs-graphile.sh`): one
//! recipient for every system measured, so that they deliver to the same thing.
//!
//! `POST /hook` answers 204 and counts the request and its `webhook-id`; `GET /stats` answers
//! `{"requests": N, "unique": U}` (a message lost is an id missing from `unique`, a message
//! delivered twice is a request beyond it); `POST /reset` forgets everything before the next
//! system's run. It prints its address on the first line of stdout.
//!
//! `cargo run --release -p amends-delivery --example webhook_sink [PORT]` (default: any port)

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};

#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    ids: Mutex<HashSet<String>>,
}

impl Counts {
    fn ids(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.ids.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

async fn hook(State(counts): State<Arc<Counts>>, headers: HeaderMap) -> StatusCode {
    counts.requests.fetch_add(1, Ordering::Relaxed);
    match headers.get("webhook-id").and_then(|v| v.to_str().ok()) {
        Some(id) => {
            counts.ids().insert(id.to_string());
            StatusCode::NO_CONTENT
        }
        None => StatusCode::BAD_REQUEST,
    }
}

async fn stats(State(counts): State<Arc<Counts>>) -> axum::Json<serde_json::Value> {
    // Ids first: each was counted as a request before it was added, so requests >= unique.
    let unique = counts.ids().len();
    let requests = counts.requests.load(Ordering::Relaxed);
    axum::Json(serde_json::json!({"requests": requests, "unique": unique}))
}

async fn reset(State(counts): State<Arc<Counts>>) -> StatusCode {
    counts.ids().clear();
    counts.requests.store(0, Ordering::Relaxed);
    StatusCode::NO_CONTENT
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = match std::env::args().nth(1) {
        Some(p) => p.parse()?,
        None => 0,
    };
    let app = axum::Router::new()
        .route("/hook", post(hook))
        .route("/stats", get(stats))
        .route("/reset", post(reset))
        .with_state(Arc::new(Counts::default()));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
