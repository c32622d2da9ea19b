//! The worked example end to end, in simulated time: PagerDuty's own `incident.triggered`
//! payload (signed) opens the incident through the API; it waits in triage until a person
//! confirms; the engine delivers over real SMTP (aiosmtpd on loopback) and real HTTP (Slack
//! and PagerDuty listeners on loopback); `incident.resolved` closes it; the summary is written;
//! and the sent items' timeline follows the playbook's S1 sequence through the RCA five
//! business days later. A second test shows the deadline alarm when email cannot go out.

mod common;
#[path = "../../amends-delivery/tests/common/smtp.rs"]
mod smtp;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use amends_delivery::status_page::{LinkSecret, StatusPageSettings};
use amends_delivery::{Clock, ManualClock};
use amends_server::alerts::AlertSecrets;
use amends_server::app;
use amends_server::auth::{Role, new_token};
use amends_server::config::{DeliveryConfig, PagerDutySettings, Secret, SmtpSettings};
use amends_server::engine::Engine;
use amends_server::inbound::WebhookSecret;
use amends_store::Store;
use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use sha2::Sha256;

const SECRET: &str = "pagerduty-webhook-secret";
const INC: &str = "PD-PFQZPSY";

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/../../../shared/fixtures/real/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn sign(body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// A loopback HTTP listener that keeps every JSON body it receives (Slack, PagerDuty).
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<(String, Value)>>>);

impl Sink {
    async fn start(&self) -> String {
        let sink = self.clone();
        let router = axum::Router::new().route(
            "/{*path}",
            axum::routing::post(
                move |path: axum::extract::Path<String>, body: axum::Json<Value>| {
                    let sink = sink.clone();
                    async move {
                        sink.0.lock().unwrap().push((path.0, body.0));
                        (axum::http::StatusCode::ACCEPTED, "{}")
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        base
    }

    fn received(&self, path: &str) -> Vec<Value> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

struct World {
    base: String,
    http: reqwest::Client,
    agent: String,
    store: Store,
    clock: Arc<ManualClock>,
    engine: Engine,
    sink: Sink,
    file: std::path::PathBuf,
}

async fn world(name: &str, smtp_port: Option<u16>) -> World {
    let file = std::env::temp_dir().join(format!("amends-{name}-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let store = common::store_with_demo_accounts(&format!("sqlite:{}", file.display())).await;
    let (secret, row) = new_token(Role::Agent, None, "test").unwrap();
    store.insert_token(&row, "test").await.unwrap();
    // The alert arrives when PagerDuty says it happened.
    let clock = Arc::new(ManualClock::new(
        "2021-06-04T13:35:29.781Z".parse().unwrap(),
    ));
    let state = common::demo_state(
        store.clone(),
        clock.clone(),
        AlertSecrets {
            pagerduty: vec![WebhookSecret::new(SECRET)],
            ..AlertSecrets::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let lifecycle = state.lifecycle.clone();
    tokio::spawn(async move { axum::serve(listener, app(state)).await });

    let sink = Sink::default();
    let sink_base = sink.start().await;
    let mut slack = BTreeMap::new();
    for target in ["#incidents", "#exec-incidents"] {
        slack.insert(
            target.to_string(),
            Secret::new(format!(
                "{sink_base}/slack{}",
                target.trim_start_matches('#')
            )),
        );
    }
    let config = DeliveryConfig {
        smtp: smtp_port.map(|port| SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            security: "plain".into(),
            from: "Dana Whitfield <dana.whitfield@example.com>".into(),
            username: None,
            password: None,
            connections: 4,
        }),
        slack,
        pagerduty: Some(PagerDutySettings {
            routing_key: Secret::new("routing-key"),
            url: format!("{sink_base}/pagerduty"),
        }),
        ..DeliveryConfig::default()
    };
    let page = StatusPageSettings::new(
        "http://status.example.com",
        LinkSecret::new("a-link-secret-of-at-least-32-bytes").unwrap(),
    )
    .unwrap();
    let engine = Engine::new(&config, store.clone(), clock.clone())
        .unwrap()
        .with_status_page(Arc::new(page))
        .unwrap()
        .with_lifecycle(lifecycle);
    World {
        base,
        http: reqwest::Client::new(),
        agent: secret.expose().to_string(),
        store,
        clock,
        engine,
        sink,
        file,
    }
}

impl World {
    async fn alert(&self, body: &str) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/v1/alerts/pagerduty", self.base))
            .header("content-type", "application/json")
            .header("x-pagerduty-signature", sign(body))
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn call(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .bearer_auth(&self.agent)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn version(&self) -> i64 {
        self.store.incident(INC).await.unwrap().version
    }

    /// Moves simulated time forward in steps, letting the engine work at each.
    async fn run_until(&self, until: Timestamp, step: SignedDuration) {
        while self.clock.now() < until {
            let next = self.clock.now().checked_add(step).unwrap().min(until);
            self.clock.set(next);
            self.engine.tick().await.unwrap();
        }
    }
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// The step id of a customer key (`PD-PFQZPSY/acct-0001/ack_email/1/0`).
fn step_of(key: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = key.split('/').collect();
    match parts.as_slice() {
        [_, "escalation", ..] | [_, "alarm", ..] => None,
        [_, who, step, ..] => Some((*who, *step)),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_pagerdutys_trigger_to_the_rca_in_simulated_time() {
    let smtp = smtp::SmtpServer::start();
    let w = world("worked-example", Some(smtp.port)).await;

    // 13:35:29 — PagerDuty's incident.triggered arrives, signed.
    let triggered = fixture("pagerduty_v3_incident_triggered.json");
    let (status, report) = w.alert(&triggered).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["alerts"][0]["incident"], INC);
    assert_eq!(report["alerts"][0]["action"], "declared");
    // PagerDuty retries deliveries: the same one again changes nothing.
    let (_, again) = w.alert(&triggered).await;
    assert_eq!(again["alerts"][0]["action"], "already_open");
    assert_eq!(w.version().await, 1);
    // A forged delivery is refused and applies nothing.
    let forged = w
        .http
        .post(format!("{}/v1/alerts/pagerduty", w.base))
        .header("x-pagerduty-signature", sign("{}"))
        .body(triggered.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 401);
    assert_eq!(forged.headers()["content-type"], "application/problem+json");

    // Triage: the escalation runs at once; customers hear nothing yet.
    w.engine.tick().await.unwrap();
    let pages = w.sink.received("pagerduty");
    assert!(!pages.is_empty(), "the on-call engineer is paged at once");
    assert!(smtp.messages().is_empty());

    // 13:40 — the incident commander confirms it.
    w.run_until(at("2021-06-04T13:40:29.781Z"), SignedDuration::from_mins(1))
        .await;
    let (status, body) = w
        .call(
            "POST",
            &format!("/v1/incidents/{INC}/confirm"),
            json!({ "expected_version": w.version().await }),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // Minute by minute to 15:35:29, when PagerDuty reports the incident resolved.
    w.run_until(at("2021-06-04T15:35:29.781Z"), SignedDuration::from_mins(1))
        .await;
    let acks_by_resolution = smtp
        .messages()
        .iter()
        .filter(|m| smtp::header(m, "Message-ID").is_some())
        .count();
    assert!(acks_by_resolution >= 180, "{acks_by_resolution}");
    let mut resolved: Value =
        serde_json::from_str(&fixture("pagerduty_v3_incident_resolved.json")).unwrap();
    // The fixture is another incident of PagerDuty's example account: the same one here.
    resolved["event"]["occurred_at"] = json!("2021-06-04T15:35:29.781Z");
    resolved["event"]["data"]["id"] = json!("PFQZPSY");
    let (status, report) = w.alert(&resolved.to_string()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["alerts"][0]["action"], "resolved");

    // The summary is written the next morning; the RCA goes out 5 business days after.
    w.run_until(at("2021-06-05T09:00:00Z"), SignedDuration::from_mins(1))
        .await;
    let (status, body) = w
        .call(
            "PUT",
            &format!("/v1/incidents/{INC}/rca"),
            json!({
                "what_happened": "On Friday, June 4, our service was unavailable for two hours.",
                "why": "A change to our main database had an error.",
                "fixed": ["We undid the change and brought the service back at 3:35 PM UTC."],
                "prevention": [{"action": "A second engineer must approve every database change.", "by": "2021-06-18", "done": false}]
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // Half-hourly through the week, minute by minute around the RCA's due time.
    w.run_until(at("2021-06-11T15:00:00Z"), SignedDuration::from_mins(30))
        .await;
    w.run_until(at("2021-06-11T16:00:00Z"), SignedDuration::from_mins(1))
        .await;

    // The timeline: when each step's first message went out, in order.
    let delivered = w.store.delivered(INC).await.unwrap();
    let mut first: Vec<(i64, String)> = Vec::new();
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for (key, ms) in &delivered {
        let Some((_, step)) = step_of(key) else {
            continue;
        };
        *count.entry(step.to_string()).or_default() += 1;
        if !first.iter().any(|(_, s)| s == step) {
            first.push((*ms, step.to_string()));
        }
    }
    let minutes_after = |ms: i64| (ms - at("2021-06-04T13:35:29.781Z").as_millisecond()) / 60_000;
    let timeline: Vec<(i64, &str)> = first
        .iter()
        .map(|(ms, s)| (minutes_after(*ms), s.as_str()))
        .collect();
    assert_eq!(
        timeline,
        [
            (20, "status_investigating"),
            (30, "ack_email"),
            (30, "status_update"),
            (60, "update_email"),
            (180, "resolution_email"),
            // Friday 15:35 + 5 business days = the next Friday, same time.
            (7 * 24 * 60 + 120, "rca_email"),
        ],
        "{count:?}"
    );
    for step in ["ack_email", "update_email", "resolution_email", "rca_email"] {
        assert_eq!(count[step], 180, "{step}: one per affected account");
    }
    // One post at +20 min, then every 15 minutes from +30, each on its minute (the engine
    // extends the open incident's plan as time passes; none saved up for a burst at the
    // resolution). The one due at +120 went out on the tick just before the resolution came.
    assert_eq!(count["status_investigating"], 1);
    let updates: Vec<i64> = delivered
        .iter()
        .filter(|(key, _)| step_of(key).is_some_and(|(_, step)| step == "status_update"))
        .map(|(_, ms)| minutes_after(*ms))
        .collect();
    assert_eq!(updates, [30, 45, 60, 75, 90, 105, 120]);
    // What reached the SMTP server: every one of them, once.
    // The customers' 4 × 180, and the S1 escalation's email to the VP Support.
    let received = smtp.messages();
    assert_eq!(received.len(), 4 * 180 + 1);
    let internal: Vec<&String> = received
        .iter()
        .filter(|m| smtp::header(m, "Subject").is_some_and(|s| s.starts_with("[S1]")))
        .collect();
    assert_eq!(internal.len(), 1);
    let ids: std::collections::BTreeSet<&str> = received
        .iter()
        .filter_map(|m| smtp::header(m, "Message-ID"))
        .collect();
    assert_eq!(ids.len(), 4 * 180 + 1, "no message twice");
    // No deadline was at risk.
    assert!(w.store.deadline_misses(INC).await.unwrap().is_empty());
    let _ = std::fs::remove_file(&w.file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledgment_that_cannot_go_out_raises_the_deadline_alarm_once() {
    // No SMTP server configured: the acknowledgments cannot be delivered.
    let w = world("deadline-alarm", None).await;
    let (status, _) = w
        .alert(&fixture("pagerduty_v3_incident_triggered.json"))
        .await;
    assert_eq!(status, 200);
    let (status, body) = w
        .call(
            "POST",
            &format!("/v1/incidents/{INC}/confirm"),
            json!({ "expected_version": 1 }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // Due at +30 min (14:05:29); grace 10 min; at risk from 5 min before the deadline.
    w.run_until(at("2021-06-04T14:09:29.781Z"), SignedDuration::from_mins(1))
        .await;
    assert!(w.store.deadline_misses(INC).await.unwrap().is_empty());
    w.run_until(at("2021-06-04T14:10:29.781Z"), SignedDuration::from_mins(1))
        .await;
    let misses = w.store.deadline_misses(INC).await.unwrap();
    let found: Vec<(&str, &str, i64)> = misses
        .iter()
        .map(|m| (m.step.as_str(), m.kind.as_str(), m.pending))
        .collect();
    assert_eq!(found, [("ack_email", "at_risk", 180)]);
    w.run_until(at("2021-06-04T14:30:29.781Z"), SignedDuration::from_mins(1))
        .await;
    let misses = w.store.deadline_misses(INC).await.unwrap();
    let acks: Vec<(&str, i64)> = misses
        .iter()
        .filter(|m| m.step == "ack_email")
        .map(|m| (m.kind.as_str(), m.recorded_ms))
        .collect();
    assert_eq!(
        acks,
        [
            ("at_risk", at("2021-06-04T14:10:29.781Z").as_millisecond()),
            ("missed", at("2021-06-04T14:15:29.781Z").as_millisecond()),
        ],
        "each once, when it happened"
    );
    // The war room heard about it, once per alarm.
    let alarms: Vec<String> = w
        .sink
        .received("slackincidents")
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_string())
        .filter(|t| t.contains("ack_email"))
        .collect();
    assert_eq!(alarms.len(), 2, "{alarms:?}");
    assert!(alarms[0].contains("[deadline at risk]"), "{alarms:?}");
    assert!(alarms[1].contains("[deadline missed]"), "{alarms:?}");
    let _ = std::fs::remove_file(&w.file);
}
