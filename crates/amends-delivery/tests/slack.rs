//! The worked example's war-room posts delivered to a real HTTP listener standing in for a
//! Slack incoming webhook, in the shape of Slack's published example
//! (../shared/fixtures/real/slack_incoming_webhook_blocks.json); a target without a
//! configured webhook, or one Slack refuses, becomes a dead letter a person can see.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use amends_core::account;
use amends_core::incident::Incident;
use amends_core::plan;
use amends_core::playbook::Playbook;
use amends_delivery::plan_jobs::plan_jobs;
use amends_delivery::slack::{SlackChannel, WebhookUrl};
use amends_delivery::{Channel, ManualClock, RetryPolicy, Worker};
use amends_messages::{Composer, Library, compile};
use amends_store::Store;
use axum::extract::State;
use axum::http::StatusCode;

const PLAYBOOK: &str = include_str!("../../../demo/playbook.toml");
const ACCOUNTS: &str = include_str!("../../../demo/accounts.csv");
const INCIDENT: &str = include_str!("../../../demo/incident.toml");

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

    let pb = Playbook::parse("demo/playbook.toml", PLAYBOOK).unwrap();
    let accounts = account::parse_csv("demo/accounts.csv", ACCOUNTS, &pb).unwrap();
    let incident = Incident::parse_toml("demo/incident.toml", INCIDENT, &pb, &accounts).unwrap();
    let plan = plan::plan(
        &pb,
        &accounts,
        &incident,
        "2024-10-28T13:00:00Z".parse().unwrap(),
    )
    .unwrap();
    let checked = compile(
        &pb,
        "p",
        PLAYBOOK,
        &Library::bundled().unwrap(),
        &mut |p: &str| Err(p.to_string()),
    )
    .unwrap();
    let composer = Composer::new(&plan, &checked.templates, None);
    let slack_jobs: Vec<_> = plan_jobs(&plan, &composer)
        .jobs
        .into_iter()
        .filter(|j| j.channel == "slack")
        .collect();
    assert_eq!(slack_jobs.len(), 3);
    let mut lost = slack_jobs[0].clone();
    lost.key.push_str("/elsewhere");
    lost.payload = lost.payload.replace("#incident-live", "#nowhere");

    let file = std::env::temp_dir().join(format!("amends-slack-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let store = Store::connect(&format!("sqlite:{}", file.display()))
        .await
        .unwrap();
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
