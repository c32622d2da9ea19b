//! The worked example's internal escalation delivered to real HTTP listeners on loopback:
//! war-room posts to a Slack incoming webhook, in the shape of Slack's published example
//! (../shared/fixtures/real/slack_incoming_webhook_blocks.json), a target without a configured
//! webhook becoming a dead letter a person can see; and pages as PagerDuty Events API v2
//! `trigger` events whose `dedup_key` is the job's key, retried when PagerDuty throttles;
//! and the call to the CEO as a task for a person, created once however often it is delivered.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use amends_delivery::pagerduty::{PagerDutyChannel, RoutingKey};
use amends_delivery::slack::{SlackChannel, WebhookUrl};
use amends_delivery::task::TaskChannel;
use amends_delivery::{Channel, Clock, ManualClock, RetryPolicy, Worker};
use axum::extract::State;
use axum::http::StatusCode;

type Posts = Arc<Mutex<Vec<serde_json::Value>>>;

async fn hook(State(posts): State<Posts>, body: axum::Json<serde_json::Value>) -> StatusCode {
    posts.lock().unwrap().push(body.0);
    StatusCode::OK
}

/// Every (block type, text object type) and block key Slack's example uses.
fn shape(value: &serde_json::Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut keys = BTreeSet::new();
    let mut types = BTreeSet::new();
    for block in value["blocks"].as_array().unwrap() {
        for (k, v) in block.as_object().unwrap() {
            if k != "accessory" {
                keys.insert(k.clone());
            }
            match k.as_str() {
                "type" => {
                    types.insert(format!("block:{}", v.as_str().unwrap()));
                }
                "text" => {
                    types.insert(format!("text:{}", v["type"].as_str().unwrap()));
                }
                "fields" => {
                    for f in v.as_array().unwrap() {
                        types.insert(format!("field:{}", f["type"].as_str().unwrap()));
                    }
                }
                _ => {}
            }
        }
    }
    (keys, types)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn war_room_posts_reach_the_webhook_in_slacks_shape() {
    let posts: Posts = Arc::default();
    let app = axum::Router::new()
        .route("/services/T0/B0/secret", axum::routing::post(hook))
        .with_state(posts.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let slack_jobs = common::demo_jobs_on("slack");
    assert_eq!(slack_jobs.len(), 3);
    let mut lost = slack_jobs[0].clone();
    lost.key.push_str("/elsewhere");
    lost.payload = lost.payload.replace("#incident-live", "#nowhere");

    let (store, file) = common::sqlite_store("slack").await;
    store.enqueue(&slack_jobs).await.unwrap();
    store.enqueue(&[lost]).await.unwrap();
    let slack: Arc<dyn Channel> = Arc::new(SlackChannel::new(
        HashMap::from([(
            "#incident-live".to_string(),
            WebhookUrl::new(format!("http://{addr}/services/T0/B0/secret")),
        )]),
        Duration::from_secs(5),
    ));
    let clock = Arc::new(ManualClock::new(
        "2024-10-15T10:10:00-04:00".parse().unwrap(),
    ));
    let worker = Worker::new(
        store.clone(),
        vec![slack],
        clock.clone(),
        RetryPolicy::default(),
    );

    // 10:10: the war room opens (the commander is assigned); the lost copy has no webhook.
    let round = worker.drain().await.unwrap();
    assert_eq!((round.delivered, round.dead), (1, 1));
    let dead = store.dead_jobs().await.unwrap();
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("no Slack webhook is configured for #nowhere")
    );
    // Through the resolution at 14:00, the other two.
    clock.set("2024-10-15T14:00:00-04:00".parse().unwrap());
    assert_eq!(worker.drain().await.unwrap().delivered, 2);

    let posts = posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 3);
    let first = &posts[0];
    assert!(
        first["text"]
            .as_str()
            .unwrap()
            .starts_with("[S1] INC-2024-1015 — Assign the incident commander"),
        "{first}"
    );
    assert!(
        first.get("target").is_none(),
        "the target stays with amends"
    );
    // The blocks use only what Slack's own example uses.
    let fixture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/fixtures/real/slack_incoming_webhook_blocks.json"),
        )
        .expect("../shared/fixtures/real beside the clone"),
    )
    .unwrap();
    let (fixture_keys, fixture_types) = shape(&fixture);
    for post in &posts {
        let (keys, types) = shape(post);
        assert!(
            keys.is_subset(&fixture_keys),
            "{keys:?} vs {fixture_keys:?}"
        );
        assert!(
            types.is_subset(&fixture_types),
            "{types:?} vs {fixture_types:?}"
        );
        assert!(post["text"].is_string());
    }
    let _ = std::fs::remove_file(&file);
}

type Events = Arc<Mutex<Vec<serde_json::Value>>>;

/// Throttles the first event it sees (429), then accepts like PagerDuty (202).
async fn events(State(events): State<Events>, body: axum::Json<serde_json::Value>) -> StatusCode {
    let mut seen = events.lock().unwrap();
    seen.push(body.0);
    if seen.len() == 1 {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::ACCEPTED
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_pagerduty_trigger_events_deduplicated_by_key() {
    let seen: Events = Arc::default();
    let app = axum::Router::new()
        .route("/v2/enqueue", axum::routing::post(events))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let pages = common::demo_jobs_on("pagerduty");
    assert_eq!(
        pages.len(),
        2,
        "T+0 on-call, T+5 VP Engineering and Support Director"
    );
    let (store, file) = common::sqlite_store("pagerduty").await;
    store.enqueue(&pages).await.unwrap();
    let pd: Arc<dyn Channel> = Arc::new(PagerDutyChannel::new(
        format!("http://{addr}/v2/enqueue"),
        RoutingKey::new("R0UT1NGKEY0000000000000000000000"),
        Duration::from_secs(5),
    ));
    let clock = Arc::new(ManualClock::new(
        "2024-10-15T10:05:00-04:00".parse().unwrap(),
    ));
    let worker = Worker::new(
        store.clone(),
        vec![pd],
        clock.clone(),
        RetryPolicy::default(),
    );
    let first = worker.drain().await.unwrap();
    assert_eq!(
        (first.delivered, first.retrying),
        (1, 1),
        "the throttled page waits"
    );
    clock.advance(jiff::SignedDuration::from_mins(2));
    assert_eq!(worker.drain().await.unwrap().delivered, 1);

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "two pages, one of them twice");
    let keys: BTreeSet<&str> = seen
        .iter()
        .map(|e| e["dedup_key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "INC-2024-1015/escalation/0/pagerduty",
            "INC-2024-1015/escalation/1/pagerduty"
        ]),
        "the retry carried the same dedup_key: PagerDuty pages once"
    );
    for e in &seen {
        assert_eq!(e["event_action"], "trigger");
        assert_eq!(e["routing_key"], "R0UT1NGKEY0000000000000000000000");
        assert_eq!(e["payload"]["severity"], "critical");
        assert_eq!(e["payload"]["source"], "amends");
        assert!(
            e["payload"]["summary"]
                .as_str()
                .unwrap()
                .starts_with("[S1] INC-2024-1015 — ")
        );
        // Who to tell and what to include travel with the page.
        assert!(e["payload"]["custom_details"]["tell"][0].is_string(), "{e}");
        assert!(
            e["payload"]["custom_details"]["include"][0].is_string(),
            "{e}"
        );
    }
    assert_eq!(
        format!("{:?}", RoutingKey::new("secret")),
        "RoutingKey(<redacted>)"
    );
    let _ = std::fs::remove_file(&file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_without_a_provider_becomes_a_task_for_a_person_once() {
    let calls = common::demo_jobs_on("task");
    assert_eq!(
        calls.len(),
        1,
        "the CEO is called at T+60 (30 Enterprise accounts > 10)"
    );
    let (store, file) = common::sqlite_store("tasks").await;
    store.enqueue(&calls).await.unwrap();
    let tasks = TaskChannel::new(store.clone());
    let channel: Arc<dyn Channel> = Arc::new(TaskChannel::new(store.clone()));
    let clock = Arc::new(ManualClock::new(
        "2024-10-15T11:00:00-04:00".parse().unwrap(),
    ));
    let worker = Worker::new(
        store.clone(),
        vec![channel],
        clock.clone(),
        RetryPolicy::default(),
    );
    assert_eq!(worker.drain().await.unwrap().delivered, 1);

    let open = store.open_tasks().await.unwrap();
    assert_eq!(open.len(), 1);
    let call = &open[0];
    assert_eq!(
        (call.person.as_str(), call.via.as_str()),
        ("Jordan Blake", "phone")
    );
    assert!(call.title.contains("(phone Jordan Blake)"), "{call:?}");
    assert_eq!(call.key, calls[0].key);
    // Delivered again (a worker died after creating it): still one task.
    let job = amends_store::Job {
        id: 0,
        key: calls[0].key.clone(),
        incident_id: calls[0].incident_id.clone(),
        channel: "task".into(),
        due_ms: calls[0].due_ms,
        attempts: 2,
        payload: calls[0].payload.clone(),
    };
    assert_eq!(
        tasks.deliver(&job).await.unwrap().as_deref(),
        Some("task already there")
    );
    assert_eq!(store.open_tasks().await.unwrap().len(), 1);
    // Done by the person who called.
    assert!(
        store
            .complete_task(&call.key, "token:dana", clock.now_ms())
            .await
            .unwrap()
    );
    assert!(
        !store
            .complete_task(&call.key, "token:dana", clock.now_ms())
            .await
            .unwrap()
    );
    assert!(store.open_tasks().await.unwrap().is_empty());
    let _ = std::fs::remove_file(&file);
}
