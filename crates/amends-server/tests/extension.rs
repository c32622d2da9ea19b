//! An open incident's repeating steps as time passes (`Lifecycle::extend`, which the engine
//! calls), in simulated time over a fresh database on SQLite and on PostgreSQL: when no worker
//! sent the status updates for a while (a stopped worker, a worker process down while the
//! server kept extending the plan), the next extension leaves the latest update waiting, not
//! every quarter-hourly one it missed, which the worker would otherwise send in a burst.

mod common;
#[path = "common/database.rs"]
mod database;

use std::sync::Arc;

use amends_core::incident::IncidentSpec;
use amends_delivery::ManualClock;
use amends_server::AppState;
use amends_store::Store;
use database::{Backend, Database, fresh_database, on_both_backends};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

struct App {
    store: Store,
    clock: Arc<ManualClock>,
    state: AppState,
    database: Database,
}

/// Detection time of the incident these tests declare.
fn detected() -> Timestamp {
    "2024-10-15T14:00:00Z".parse().unwrap()
}

async fn spawn(backend: Backend) -> App {
    let database = fresh_database(backend, "extension").await;
    let store = common::store_with_demo_accounts(&database.url).await;
    let clock = Arc::new(ManualClock::new(detected() + SignedDuration::from_mins(1)));
    let state = common::demo_state(store.clone(), clock.clone(), Default::default());
    App {
        store,
        clock,
        state,
        database,
    }
}

on_both_backends!(a_stopped_worker_comes_back_to_the_latest_status_update);

/// The status updates' keys of the jobs due at the clock's time, claimed as a worker would.
async fn due_updates(app: &App) -> Vec<String> {
    use amends_delivery::Clock;
    let now = app.clock.now().as_millisecond();
    let mut keys: Vec<String> = app
        .store
        .claim(now, 60_000, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.key)
        .filter(|k| k.contains("/public/status_update/"))
        .collect();
    keys.sort();
    keys
}

async fn a_stopped_worker_comes_back_to_the_latest_status_update(app: &App) {
    const INC: &str = "INC-EXT-1";
    let spec: IncidentSpec = serde_json::from_value(json!({
        "id": INC, "title": "Web application down", "type": "outage",
        "features": ["web application"], "core_feature": true, "workaround": false,
        "started_at": detected().to_string(), "detected_at": detected().to_string(),
        "affected": { "accounts": ["acct-0001", "acct-0002"] },
    }))
    .unwrap();
    app.state.lifecycle.declare(spec, "test").await.unwrap();
    // Half an hour in, the engine extends the plan to the next quarter-hourly update; no
    // worker runs.
    app.clock.set(detected() + SignedDuration::from_mins(31));
    app.state.lifecycle.extend(INC).await.unwrap();
    // Three hours in, it extends again: the ten updates due since were never sent.
    app.clock.set(detected() + SignedDuration::from_mins(181));
    app.state.lifecycle.extend(INC).await.unwrap();
    assert_eq!(
        due_updates(app).await,
        [format!("{INC}/public/status_update/11")],
        "the latest update only, not every one missed"
    );
}
