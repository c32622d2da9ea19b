//! The status page end to end: the real app (`amends_server::app`, with status page settings)
//! on 127.0.0.1 port 0 over a fresh database per test, every test run on SQLite and on
//! PostgreSQL (`AMENDS_TEST_POSTGRES`, by default `postgres://postgres@127.0.0.1:5432/postgres`;
//! an unreachable server fails the test). Status posts are delivered by the real `Worker`
//! through the real `StatusPageChannel` in simulated time (`ManualClock`); emails are captured
//! by a recording `email` channel, except in the SMTP test, which sends them to aiosmtpd.
//!
//! Covered:
//! - the lifecycle states of posts (investigating → identified → monitoring → resolved →
//!   postmortem) as the incident changes through the API, and what `/status`, `/status.json`
//!   and `/status.atom` show (escaped, well-formed, the exact Atom elements);
//! - double opt-in: an unconfirmed subscriber gets nothing, following a link confirms nothing,
//!   a confirmed one gets an email for its components only, with a one-click unsubscribe link
//!   that works (RFC 8058 POST) and stops the emails, even those already queued; a retried
//!   post emails nobody twice;
//! - subscription requests limited: one confirmation per address per 10 minutes, a 429 past
//!   the page's hourly number;
//! - `List-Unsubscribe` and `List-Unsubscribe-Post` on the email a real SMTP server receives;
//! - private pages: issued and rotated by an admin only, showing only the account's incidents
//!   and only its own messages;
//! - the Atlassian Statuspage mirror against a loopback listener: method, path, `OAuth` key,
//!   body; a retried delivery creates no second incident; a 500 is retried.
//! - bad input as problem+json.

mod common;
#[path = "common/database.rs"]
mod database;
#[path = "../../amends-delivery/tests/common/smtp.rs"]
mod smtp;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use amends_delivery::channel::{Channel, Delivery};
use amends_delivery::email::{EmailChannel, Security, SmtpConfig};
use amends_delivery::status_page::{LinkSecret, StatusPageChannel, StatusPageSettings};
use amends_delivery::statuspage::{ApiKey, Statuspage, StatuspageConfig};
use amends_delivery::{ManualClock, RetryPolicy, Worker};
use amends_server::app;
use amends_server::auth::{Role, new_token};
use amends_store::{Job, NewJob, Store};
use database::{Backend, Database, fresh_database, on_both_backends};
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};

const SECRET: &str = "test-link-secret-0123456789abcdef0123456789";
/// The test page's hourly limit of subscription requests (a test makes at most six otherwise).
const REQUESTS_PER_HOUR: u32 = 8;

// ----- harness (a fresh database per test: common/database.rs) -----------------------------

struct Tokens {
    viewer: String,
    agent: String,
    admin: String,
}

struct App {
    base: String,
    http: reqwest::Client,
    t: Tokens,
    store: Store,
    settings: Arc<StatusPageSettings>,
    database: Database,
    /// The status posts this test queued by hand (see [`App::call`]).
    posted: Mutex<Vec<String>>,
}

/// A response, read whole.
struct Res {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    text: String,
    json: Value,
}

impl std::fmt::Display for Res {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.text)
    }
}

impl Res {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map_or("", |v| v.to_str().unwrap_or(""))
    }
}

async fn spawn(backend: Backend) -> App {
    let database = fresh_database(backend, "status").await;
    let store = common::store_with_demo_accounts(&database.url).await;
    let token = async |role| {
        let (secret, row) = new_token(role, None, "test").unwrap();
        store.insert_token(&row, "test").await.unwrap();
        secret.expose().to_string()
    };
    let t = Tokens {
        viewer: token(Role::Viewer).await,
        agent: token(Role::Agent).await,
        admin: token(Role::Admin).await,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut settings = StatusPageSettings::new(&base, LinkSecret::new(SECRET).unwrap()).unwrap();
    settings.title = "Acme <status>".to_string();
    settings.confirmations_per_hour = REQUESTS_PER_HOUR;
    let settings = Arc::new(settings);
    let state = common::demo_state(
        store.clone(),
        Arc::new(amends_delivery::SystemClock),
        Default::default(),
    );
    let router = app(state).layer(axum::Extension(settings.clone()));
    tokio::spawn(async move { axum::serve(listener, router).await });
    App {
        base,
        http: reqwest::Client::new(),
        t,
        store,
        settings,
        database,
        posted: Mutex::default(),
    }
}

impl App {
    async fn send(&self, req: reqwest::RequestBuilder) -> Res {
        let res = req.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Res {
            status,
            headers,
            text,
            json,
        }
    }

    /// A request to a path or a full URL, with an optional token and JSON body.
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Res {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        let mut req = self.http.request(method.parse().unwrap(), url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = self.send(req).await;
        // These tests drive the page with posts queued by hand; an incident change also
        // queues its plan's own messages (tests/worked_example.rs follows those), which are
        // taken out here so that each drain delivers just the posts under test.
        if method != "GET"
            && let Some(rest) = path.strip_prefix("/v1/incidents")
        {
            let id = match rest.split('/').nth(1) {
                Some(id) => id.to_string(),
                None => body.and_then(|b| b["id"].as_str()).unwrap().to_string(),
            };
            let keep = self.posted.lock().unwrap().clone();
            self.store.cancel_jobs_except(&id, &keep).await.unwrap();
        }
        res
    }

    async fn get(&self, path: &str) -> Res {
        self.call("GET", path, None, None).await
    }

    async fn form(&self, path: &str, body: &str) -> Res {
        let req = self
            .http
            .post(if path.starts_with("http") {
                path.to_string()
            } else {
                format!("{}{path}", self.base)
            })
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_string());
        self.send(req).await
    }

    /// Declares an incident detected 30 minutes before `at`, affecting `accounts`.
    async fn declare(
        &self,
        id: &str,
        title: &str,
        kind: &str,
        features: &[&str],
        accounts: &[&str],
        at: Timestamp,
    ) {
        let start = (at - SignedDuration::from_mins(30)).to_string();
        let body = json!({
            "id": id, "title": title, "type": kind, "features": features,
            "core_feature": true, "workaround": false,
            "started_at": start, "detected_at": start,
            "affected": { "accounts": accounts },
        });
        let r = self
            .call("POST", "/v1/incidents", Some(&self.t.agent), Some(&body))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{r}");
    }

    async fn version(&self, id: &str) -> i64 {
        let r = self
            .call(
                "GET",
                &format!("/v1/incidents/{id}"),
                Some(&self.t.viewer),
                None,
            )
            .await;
        r.json["version"].as_i64().unwrap()
    }

    /// Queues a status post as `plan_jobs` does: channel `status_page`, key
    /// `INC/public/STEP/OCCURRENCE`, payload `{step, body}`.
    async fn post(
        &self,
        incident: &str,
        step: &str,
        occurrence: u32,
        body: &str,
        due: Timestamp,
    ) -> String {
        let key = format!("{incident}/public/{step}/{occurrence}");
        self.store
            .enqueue(&[NewJob {
                key: key.clone(),
                incident_id: incident.to_string(),
                channel: "status_page".into(),
                due_ms: due.as_millisecond(),
                payload: json!({ "step": step, "body": body }).to_string(),
            }])
            .await
            .unwrap();
        self.posted.lock().unwrap().push(key.clone());
        key
    }
}

/// Whole seconds, as people write instants.
fn second(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second()).unwrap()
}

/// An `email` channel that records what it is given.
#[derive(Default)]
struct Captured(Mutex<Vec<(String, Value)>>);

impl Captured {
    fn take(&self) -> Vec<(String, Value)> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl Channel for Captured {
    fn name(&self) -> &str {
        "email"
    }

    fn deliver<'a>(&'a self, job: &'a Job) -> Delivery<'a> {
        Box::pin(async move {
            let payload: Value = serde_json::from_str(&job.payload).unwrap();
            self.0.lock().unwrap().push((job.key.clone(), payload));
            Ok(Some("captured".into()))
        })
    }
}

/// A worker with the status page channel (optionally mirroring to Statuspage) and an email
/// channel.
fn worker(
    app: &App,
    clock: &Arc<ManualClock>,
    statuspage: Option<Statuspage>,
    email: Arc<dyn Channel>,
) -> (Worker, Arc<StatusPageChannel>) {
    let channel = Arc::new(
        StatusPageChannel::new(
            app.store.clone(),
            app.settings.clone(),
            clock.clone(),
            statuspage,
        )
        .unwrap(),
    );
    let policy = RetryPolicy {
        base_ms: 1_000,
        max_ms: 10_000,
        max_attempts: 5,
    };
    let w = Worker::new(
        app.store.clone(),
        vec![channel.clone(), email],
        clock.clone(),
        policy,
    );
    (w, channel)
}

/// Asserts an RFC 9457 problem document with this status (and field, when given).
fn assert_problem(r: &Res, status: StatusCode, field: Option<&str>) {
    assert_eq!(r.status, status, "{r}");
    assert_eq!(r.header("content-type"), "application/problem+json", "{r}");
    assert_eq!(r.json["status"], status.as_u16(), "{r}");
    assert!(
        r.json["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{r}"
    );
    if let Some(field) = field {
        let named: Vec<&str> = r.json["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(|e| e["field"].as_str()).collect())
            .unwrap_or_default();
        assert!(named.contains(&field), "{field} not named: {r}");
    }
}

/// Checks XML well-formedness the way this feed needs it: one root, every start tag closed
/// in order, only the five predefined entities and numeric references.
fn assert_well_formed(xml: &str) {
    let body = xml
        .strip_prefix("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n")
        .expect("an XML declaration");
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open]);
        let close = rest[open..].find('>').expect("an unterminated tag") + open;
        let tag = &rest[open + 1..close];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
        } else {
            let self_closing = tag.ends_with('/');
            let name = tag
                .trim_end_matches('/')
                .split_whitespace()
                .next()
                .expect("a tag name")
                .to_string();
            if stack.is_empty() {
                roots += 1;
            }
            if !self_closing {
                stack.push(name);
            }
        }
        rest = &rest[close + 1..];
    }
    check_text(rest);
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    assert_eq!(roots, 1, "one root element");
}

fn check_text(text: &str) {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..text[i..].find(';').map_or(text.len(), |e| i + e + 1)];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].contains(&entity),
            "undefined entity {entity:?}"
        );
    }
}

/// The text of every `<name>` element, in order.
fn elements<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    xml.match_indices(&open)
        .filter_map(|(i, _)| {
            let start = i + open.len();
            xml[start..]
                .find(&close)
                .map(|end| &xml[start..start + end])
        })
        .collect()
}

on_both_backends!(
    lifecycle_states_and_formats,
    double_opt_in_and_one_click_unsubscribe,
    subscription_requests_are_limited,
    list_unsubscribe_reaches_a_real_smtp_server,
    private_pages_show_only_the_accounts_own,
    statuspage_mirror,
    bad_input,
);

// ----- 1. lifecycle and formats ------------------------------------------------------------

const TITLE: &str = "API <unavailable> & \"slow\"";
const TITLE_HTML: &str = "API &lt;unavailable&gt; &amp; &quot;slow&quot;";
const FIRST: &str = "We are investigating <script>alert(1)</script> errors & timeouts.";
const FIRST_HTML: &str =
    "We are investigating &lt;script&gt;alert(1)&lt;/script&gt; errors &amp; timeouts.";

/// Posts made as the incident is understood, resolved and summarised carry the states in
/// lifecycle order; the page, its JSON and its feed show them, escaped.
async fn lifecycle_states_and_formats(app: &App) {
    const INC: &str = "INC-SP-1";
    let now = second(Timestamp::now());
    let t0 = now - SignedDuration::from_hours(4);
    let clock = Arc::new(ManualClock::new(t0));
    let (w, _) = worker(app, &clock, None, Arc::new(Captured::default()));
    app.declare(
        INC,
        TITLE,
        "outage",
        &["API", "web application"],
        &["acct-0001"],
        t0,
    )
    .await;

    // Nothing posted yet: the page lists the playbook's components, all operational.
    let r = app.get("/status").await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert!(r.text.contains("All systems operational."), "{}", r.text);
    assert!(r.text.contains("No incidents in progress."), "{}", r.text);
    assert!(
        !r.text.contains(TITLE_HTML),
        "an incident is shown only once it posted"
    );

    // T0: investigating.
    app.post(INC, "status_investigating", 0, FIRST, t0).await;
    assert_eq!(w.drain().await.unwrap().delivered, 1);
    let r = app.get("/status").await;
    assert_eq!(r.header("content-type"), "text/html; charset=utf-8");
    assert!(
        r.header("content-security-policy")
            .contains("default-src 'none'"),
        "{r}"
    );
    for expected in [
        "<html lang=\"en\">",
        "<h1>Acme &lt;status&gt;</h1>",
        "1 incident in progress.",
        &format!(">{TITLE_HTML}</h3>"),
        "Status: <strong class=\"status\">Investigating</strong> · Affects: API, web application",
        &format!("<p>{FIRST_HTML}</p>"),
        "<li><span>API</span> <span class=\"status major_outage\">Major outage</span></li>",
        "<li><span>web application</span> <span class=\"status major_outage\">Major outage</span></li>",
        "<form method=\"post\" action=\"/status/subscribe\">",
        "<label for=\"email\">Email address</label>",
    ] {
        assert!(
            r.text.contains(expected),
            "missing {expected:?} in\n{}",
            r.text
        );
    }
    assert!(!r.text.contains("<script>"), "{}", r.text);
    assert!(
        !r.text.contains(TITLE),
        "the raw title must never appear in HTML"
    );

    // The cause is found: identified.
    let v = app.version(INC).await;
    let r = app
        .call(
            "PATCH",
            &format!("/v1/incidents/{INC}"),
            Some(&app.t.agent),
            Some(&json!({"expected_version": v, "known_cause": "A bad deploy."})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    clock.set(t0 + SignedDuration::from_mins(15));
    app.post(
        INC,
        "status_update",
        0,
        "We found the cause: a bad deploy.",
        clock_now(&clock),
    )
    .await;
    w.drain().await.unwrap();
    // Resolved at T0+1h: monitoring for an hour, then resolved.
    let v = app.version(INC).await;
    let resolved_at = t0 + SignedDuration::from_hours(1);
    let r = app
        .call(
            "POST",
            &format!("/v1/incidents/{INC}/resolve"),
            Some(&app.t.agent),
            Some(&json!({"expected_version": v, "resolved_at": resolved_at.to_string()})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    clock.set(t0 + SignedDuration::from_mins(70));
    app.post(
        INC,
        "status_update",
        1,
        "A fix is live; we are watching.",
        clock_now(&clock),
    )
    .await;
    w.drain().await.unwrap();
    clock.set(t0 + SignedDuration::from_mins(130));
    app.post(
        INC,
        "status_update",
        2,
        "Service is back to normal.",
        clock_now(&clock),
    )
    .await;
    w.drain().await.unwrap();
    // The root-cause summary is sent: postmortem.
    let rca = json!({
        "what_happened": "The API was unavailable for an hour.",
        "why": "A deploy had an error.",
        "fixed": ["We rolled the deploy back."],
        "prevention": [{"action": "Canary every deploy.", "by": "2024-10-25", "done": true}]
    });
    let r = app
        .call(
            "PUT",
            &format!("/v1/incidents/{INC}/rca"),
            Some(&app.t.agent),
            Some(&rca),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    let r = app
        .call(
            "POST",
            &format!("/v1/incidents/{INC}/rca/sent"),
            Some(&app.t.agent),
            Some(&json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    clock.set(second(Timestamp::now()) + SignedDuration::from_mins(1));
    app.post(
        INC,
        "status_rca",
        0,
        "Our root-cause summary is out.",
        clock_now(&clock),
    )
    .await;
    let round = w.drain().await.unwrap();
    assert_eq!((round.delivered, round.dead), (1, 0));

    // JSON: the incident with its posts, newest first, each with the state it was posted in.
    let r = app.get("/status.json").await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert!(
        r.header("content-type").starts_with("application/json"),
        "{r}"
    );
    let doc = &r.json;
    assert_eq!(doc["title"], "Acme <status>");
    assert_eq!(doc["status"], "operational");
    let incident = &doc["incidents"][0];
    assert_eq!(incident["id"], INC);
    assert_eq!(incident["title"], TITLE, "JSON carries the text itself");
    assert_eq!(incident["state"], "postmortem");
    assert_eq!(incident["open"], false);
    assert_eq!(incident["components"], json!(["API", "web application"]));
    let states: Vec<&str> = incident["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        [
            "postmortem",
            "resolved",
            "monitoring",
            "identified",
            "investigating"
        ]
    );
    assert_eq!(incident["posts"][4]["body"], FIRST);
    assert_eq!(incident["posts"][4]["posted_at"], t0.to_string());
    assert_eq!(incident["started_at"], t0.to_string());
    assert_eq!(incident["updated_at"], clock_now(&clock).to_string());
    assert_eq!(doc["updated_at"], clock_now(&clock).to_string());
    let components = doc["components"].as_array().unwrap();
    assert!(
        components.contains(&json!({"name": "API", "status": "operational"})),
        "{doc}"
    );

    // The page: past incident, all operational again.
    let r = app.get("/status").await;
    assert!(r.text.contains("All systems operational."), "{}", r.text);
    assert!(
        r.text
            .contains("Status: <strong class=\"status\">Postmortem</strong>"),
        "{}",
        r.text
    );
    assert!(
        r.text.contains("<ol class=\"updates\" reversed>"),
        "{}",
        r.text
    );
    let past = r.text.find("<h2 id=\"past\">").unwrap();
    assert!(
        r.text[past..].contains(TITLE_HTML),
        "listed under past incidents"
    );

    // Atom 1.0: well-formed, the required elements, one entry per post, newest first.
    let r = app.get("/status.atom").await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert_eq!(
        r.header("content-type"),
        "application/atom+xml; charset=utf-8"
    );
    let xml = &r.text;
    assert_well_formed(xml);
    assert!(
        xml.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"),
        "{xml}"
    );
    let ids = elements(xml, "id");
    assert_eq!(ids.len(), 6, "the feed's id and one per entry: {xml}");
    assert!(
        ids.iter()
            .all(|i| i.starts_with("urn:uuid:") && i.len() == 45),
        "{ids:?}"
    );
    assert_eq!(
        ids.iter().collect::<BTreeSet<_>>().len(),
        6,
        "ids are unique"
    );
    let titles = elements(xml, "title");
    assert_eq!(titles[0], "Acme &lt;status&gt;");
    assert_eq!(titles[1], format!("[Postmortem] {TITLE_HTML}"));
    assert_eq!(titles[5], format!("[Investigating] {TITLE_HTML}"));
    let updated = elements(xml, "updated");
    assert_eq!(
        updated[0],
        clock_now(&clock).to_string(),
        "the feed is as new as its newest entry"
    );
    assert_eq!(updated[5], t0.to_string());
    assert_eq!(elements(xml, "entry").len(), 5);
    assert!(
        xml.contains(&format!("<content type=\"text\">{FIRST_HTML}</content>")),
        "{xml}"
    );
    assert!(
        xml.contains("<category term=\"monitoring\" label=\"Monitoring\"/>"),
        "{xml}"
    );
    assert!(
        xml.contains(&format!(
            "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}/status.atom\"/>",
            app.base
        )),
        "{xml}"
    );
    assert!(
        xml.contains("<author><name>Acme &lt;status&gt;</name></author>"),
        "{xml}"
    );
    // The same feed id on every request: readers recognise it.
    assert_eq!(
        elements(&app.get("/status.atom").await.text, "id")[0],
        ids[0]
    );
}

/// Claims the one due job and delivers it through `channel` without recording the delivery,
/// as a worker that dies right after sending: the job runs again once its lease is over.
async fn deliver_unrecorded(app: &App, channel: &StatusPageChannel, clock: &ManualClock) {
    let claimed = app
        .store
        .claim(clock_now(clock).as_millisecond(), 60_000, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    channel.deliver(&claimed[0]).await.unwrap();
}

fn clock_now(clock: &ManualClock) -> Timestamp {
    use amends_delivery::Clock;
    clock.now()
}

// ----- 2. subscriptions --------------------------------------------------------------------

/// The confirmation link of the captured confirmation email to `to`.
fn confirm_link(mails: &[(String, Value)], to: &str) -> String {
    let (key, mail) = mails
        .iter()
        .find(|(_, m)| m["to"] == to)
        .unwrap_or_else(|| panic!("no confirmation email to {to}: {mails:?}"));
    assert!(key.starts_with("status-page/confirm/"), "{key}");
    let body = mail["body"].as_str().unwrap();
    let start = body.find("http://").unwrap();
    body[start..].split_whitespace().next().unwrap().to_string()
}

async fn double_opt_in_and_one_click_unsubscribe(app: &App) {
    const INC: &str = "INC-SP-2";
    let clock = Arc::new(ManualClock::new(
        second(Timestamp::now()) + SignedDuration::from_mins(1),
    ));
    let mail = Arc::new(Captured::default());
    let (w, channel) = worker(app, &clock, None, mail.clone());
    app.declare(
        INC,
        "API slow",
        "degradation",
        &["API"],
        &["acct-0001"],
        clock_now(&clock),
    )
    .await;

    // Four requests: JSON and the page's form, for a component, for all, one never confirmed.
    for body in [
        json!({"email": "ana@example.com", "components": ["api"]}),
        json!({"email": "cy@example.com", "components": ["API"]}),
        json!({"email": "dee@example.com"}),
    ] {
        let r = app
            .call("POST", "/status/subscribe", None, Some(&body))
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{r}");
        assert_eq!(r.json["status"], "confirmation_sent", "{r}");
    }
    let r = app
        .form(
            "/status/subscribe",
            "email=ben%40example.com&components=web+application",
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{r}");
    assert!(r.text.contains("<h1>Check your inbox</h1>"), "{}", r.text);

    // Only the confirmation emails go out.
    w.drain().await.unwrap();
    let confirmations = mail.take();
    assert_eq!(confirmations.len(), 4, "{confirmations:?}");
    for (_, m) in &confirmations {
        assert_eq!(m["subject"], "Confirm your subscription to Acme <status>");
        assert!(
            m.get("list_unsubscribe").is_none(),
            "no list mail before consent"
        );
    }
    assert!(
        confirmations
            .iter()
            .any(|(_, m)| m["to"] == "ana@example.com"
                && m["body"]
                    .as_str()
                    .unwrap()
                    .contains("updates by email about: API.")),
        "{confirmations:?}"
    );

    // Following a link (a mail scanner does) confirms nothing; the button does.
    for (confirmed, who) in ["ana@example.com", "ben@example.com", "dee@example.com"]
        .into_iter()
        .enumerate()
    {
        let link = confirm_link(&confirmations, who);
        assert!(
            link.starts_with(&format!("{}/status/confirm/", app.base)),
            "{link}"
        );
        let r = app.get(&link).await;
        assert_eq!(r.status, StatusCode::OK, "{r}");
        let path = link.strip_prefix(&app.base).unwrap();
        assert!(
            r.text
                .contains(&format!("<form method=\"post\" action=\"{path}\">")),
            "{}",
            r.text
        );
        assert_eq!(r.header("cache-control"), "no-store");
        assert_eq!(
            app.store.confirmed_subscribers().await.unwrap().len(),
            confirmed,
            "a GET confirms nothing"
        );
        let r = app.call("POST", &link, None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{r}");
        assert!(r.text.contains("<h1>Subscribed</h1>"), "{}", r.text);
        // A used link is gone.
        assert_problem(
            &app.call("POST", &link, None, None).await,
            StatusCode::NOT_FOUND,
            None,
        );
    }
    let confirmed: BTreeSet<String> = app
        .store
        .confirmed_subscribers()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.email)
        .collect();
    assert_eq!(
        confirmed,
        BTreeSet::from([
            "ana@example.com".into(),
            "ben@example.com".into(),
            "dee@example.com".into()
        ])
    );

    // A post touching the API reaches its subscribers and those of everything, nobody else.
    app.post(
        INC,
        "status_investigating",
        0,
        "The API answers slowly.",
        clock_now(&clock),
    )
    .await;
    w.drain().await.unwrap();
    let sent = mail.take();
    let to: BTreeSet<&str> = sent
        .iter()
        .map(|(_, m)| m["to"].as_str().unwrap())
        .collect();
    assert_eq!(
        to,
        BTreeSet::from(["ana@example.com", "dee@example.com"]),
        "{sent:?}"
    );
    let (key, ana) = sent
        .iter()
        .find(|(_, m)| m["to"] == "ana@example.com")
        .unwrap();
    assert!(
        key.starts_with(&format!(
            "status-page/{INC}/public/status_investigating/0/subscriber/"
        )),
        "{key}"
    );
    assert_eq!(ana["subject"], "[Investigating] API slow");
    let body = ana["body"].as_str().unwrap();
    assert!(
        body.contains("Status: Investigating\nAffected: API\n\nThe API answers slowly."),
        "{body}"
    );
    let unsubscribe = ana["list_unsubscribe"].as_str().unwrap();
    assert!(
        unsubscribe.starts_with(&format!("{}/status/unsubscribe/", app.base)),
        "{unsubscribe}"
    );
    assert!(
        body.contains(unsubscribe),
        "the body carries the same one-click link: {body}"
    );

    // A worker dies after posting, before recording the delivery: the job runs again after
    // its lease, and nobody is emailed twice.
    app.post(
        INC,
        "status_update",
        0,
        "Still slow; a fix is being tested.",
        clock_now(&clock),
    )
    .await;
    deliver_unrecorded(app, &channel, &clock).await;
    clock.advance(SignedDuration::from_mins(2));
    let round = w.drain().await.unwrap();
    assert_eq!(round.dead, 0);
    let sent = mail.take();
    let keys: BTreeSet<&str> = sent.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(keys.len(), 2, "each subscriber once: {sent:?}");
    let r = app.get("/status.json").await;
    assert_eq!(
        r.json["incidents"][0]["posts"].as_array().unwrap().len(),
        2,
        "one post per job"
    );

    // A post whose emails are queued, not yet sent, when an address unsubscribes: its email
    // is not sent (the post is delivered by hand, so its emails wait in the queue).
    app.post(INC, "status_update", 1, "Fixed.", clock_now(&clock))
        .await;
    deliver_unrecorded(app, &channel, &clock).await;
    assert_eq!(
        app.store.outbox_counts().await.unwrap().queued,
        2,
        "an email each for ana and dee"
    );

    // One click: the GET shows a button and changes nothing; the RFC 8058 POST unsubscribes.
    let r = app.get(unsubscribe).await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert!(
        r.text
            .contains("<button type=\"submit\">Unsubscribe</button>"),
        "{}",
        r.text
    );
    assert_eq!(app.store.confirmed_subscribers().await.unwrap().len(), 3);
    let r = app.form(unsubscribe, "List-Unsubscribe=One-Click").await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert!(r.text.contains("<h1>Unsubscribed</h1>"), "{}", r.text);
    assert_problem(
        &app.form(unsubscribe, "List-Unsubscribe=One-Click").await,
        StatusCode::NOT_FOUND,
        None,
    );

    assert_eq!(app.store.outbox_counts().await.unwrap().queued, 1);
    clock.advance(SignedDuration::from_mins(2));
    w.drain().await.unwrap();
    app.post(INC, "status_update", 2, "Still fixed.", clock_now(&clock))
        .await;
    w.drain().await.unwrap();
    let sent = mail.take();
    let to: Vec<(&str, &str)> = sent
        .iter()
        .map(|(_, m)| (m["to"].as_str().unwrap(), m["subject"].as_str().unwrap()))
        .collect();
    assert_eq!(
        to,
        [
            ("dee@example.com", "[Investigating] API slow"),
            ("dee@example.com", "[Investigating] API slow")
        ],
        "an unsubscribed address gets nothing more, not even what was queued: {sent:?}"
    );

    // A new request for a confirmed address changes nothing until it is confirmed.
    let r = app
        .call(
            "POST",
            "/status/subscribe",
            None,
            Some(&json!({"email": "Dee@Example.com", "components": ["web application"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{r}");
    let dee = app.store.confirmed_subscribers().await.unwrap();
    assert!(
        dee.iter()
            .any(|s| s.email == "dee@example.com" && s.components.is_empty()),
        "{dee:?}"
    );
    // The tokens are not stored, only their hashes.
    let link = confirm_link(&confirmations, "cy@example.com");
    let token = link.rsplit('/').next().unwrap();
    assert!(
        app.store
            .pending_subscription(token, clock_now(&clock).as_millisecond(), i64::MAX / 2)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        app.store
            .pending_subscription(&format!("{token}x"), 0, i64::MAX / 2)
            .await
            .unwrap()
            .is_none()
    );
}

/// The form cannot flood an inbox or spend the page's reputation: an address asking again
/// within ten minutes is answered as before and sent nothing new (its first link still works),
/// and past the page's hourly number of requests the answer is a 429 with `Retry-After`,
/// nothing stored or sent.
async fn subscription_requests_are_limited(app: &App) {
    let clock = Arc::new(ManualClock::new(
        second(Timestamp::now()) + SignedDuration::from_mins(1),
    ));
    let mail = Arc::new(Captured::default());
    let (w, _) = worker(app, &clock, None, mail.clone());
    let subscribe = async |email: &str| {
        app.call(
            "POST",
            "/status/subscribe",
            None,
            Some(&json!({ "email": email })),
        )
        .await
    };
    for email in ["eve@example.com", "EVE@example.com", "Eve@Example.com"] {
        let r = subscribe(email).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{r}");
        assert_eq!(r.json["status"], "confirmation_sent", "{r}");
    }
    w.drain().await.unwrap();
    let sent = mail.take();
    assert_eq!(
        sent.len(),
        1,
        "one confirmation for three requests: {sent:?}"
    );
    let r = app
        .call("POST", &confirm_link(&sent, "eve@example.com"), None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "the first link still works: {r}");

    // Requests at the same moment are no way around it.
    let mut at_once = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let (http, url) = (app.http.clone(), format!("{}/status/subscribe", app.base));
        at_once.spawn(async move {
            http.post(url)
                .json(&json!({ "email": "fay@example.com" }))
                .send()
                .await
                .unwrap()
                .status()
        });
    }
    while let Some(status) = at_once.join_next().await {
        assert_eq!(status.unwrap(), StatusCode::ACCEPTED);
    }
    w.drain().await.unwrap();
    let sent = mail.take();
    assert_eq!(
        sent.len(),
        1,
        "one confirmation for six requests at once: {sent:?}"
    );

    // The hour's requests so far: eve's and fay's. The rest of the limit is taken, then
    // refused.
    let others = REQUESTS_PER_HOUR as usize - 2;
    for n in 0..others {
        let r = subscribe(&format!("reader{n}@example.com")).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{r}");
    }
    let r = subscribe("late@example.com").await;
    assert_problem(&r, StatusCode::TOO_MANY_REQUESTS, None);
    assert_eq!(r.header("retry-after"), "600", "{r}");
    w.drain().await.unwrap();
    let sent = mail.take();
    assert_eq!(sent.len(), others, "{sent:?}");
    assert!(sent.iter().all(|(_, m)| m["to"] != "late@example.com"));
    let r = app
        .call(
            "POST",
            &confirm_link(&sent, "reader0@example.com"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
}

// ----- 3. List-Unsubscribe over real SMTP ---------------------------------------------------

/// A header of a raw message, unfolded.
fn header(message: &str, name: &str) -> Option<String> {
    let head = message
        .split("\n\n")
        .next()?
        .replace("\r\n", "\n")
        .replace("\n ", " ");
    head.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_string))
}

async fn list_unsubscribe_reaches_a_real_smtp_server(app: &App) {
    const INC: &str = "INC-SP-3";
    let server = smtp::SmtpServer::start();
    let email: Arc<dyn Channel> = Arc::new(
        EmailChannel::new(SmtpConfig {
            host: "127.0.0.1".into(),
            port: server.port,
            security: Security::Plain,
            credentials: None,
            from: "Acme Status <status@example.com>".into(),
            message_id_domain: "amends.example.com".into(),
            timeout: Duration::from_secs(10),
            connections: amends_delivery::email::DEFAULT_CONNECTIONS,
        })
        .unwrap(),
    );
    let clock = Arc::new(ManualClock::new(
        second(Timestamp::now()) + SignedDuration::from_mins(1),
    ));
    let (w, _) = worker(app, &clock, None, email);
    app.declare(
        INC,
        "API down",
        "outage",
        &["API"],
        &["acct-0001"],
        clock_now(&clock),
    )
    .await;
    // A subscriber who confirmed (the tokens chosen here, as the server would make them).
    let link_ref = "0123456789abcdef0123456789abcdef";
    let confirm = "c".repeat(64);
    app.store
        .subscribe(
            &amends_store::NewSubscription {
                email: "ops@example.com".into(),
                components: vec!["API".into()],
                link_ref: link_ref.into(),
                confirm_token: confirm.clone(),
                unsubscribe_token: app.settings.link_secret.unsubscribe_token(link_ref),
                created_ms: clock_now(&clock).as_millisecond(),
            },
            &[],
            amends_store::SubscribeLimits {
                resend_after_ms: 0,
                per_hour: REQUESTS_PER_HOUR,
            },
        )
        .await
        .unwrap();
    let r = app
        .call("POST", &format!("/status/confirm/{confirm}"), None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r}");

    app.post(
        INC,
        "status_investigating",
        0,
        "The API is down.",
        clock_now(&clock),
    )
    .await;
    let round = w.drain().await.unwrap();
    assert_eq!(
        (round.delivered, round.dead),
        (2, 0),
        "the post and one email"
    );
    let received = server.messages();
    assert_eq!(received.len(), 1);
    let m = &received[0];
    let url = format!(
        "{}/status/unsubscribe/{}",
        app.base,
        app.settings.link_secret.unsubscribe_token(link_ref)
    );
    assert_eq!(
        header(m, "List-Unsubscribe"),
        Some(format!("<{url}>")),
        "{m}"
    );
    assert_eq!(
        header(m, "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click"),
        "{m}"
    );
    assert_eq!(
        header(m, "Subject").as_deref(),
        Some("[Investigating] API down"),
        "{m}"
    );
    // The link in the header works with the one-click POST.
    let r = app.form(&url, "List-Unsubscribe=One-Click").await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert!(app.store.confirmed_subscribers().await.unwrap().is_empty());
}

// ----- 4. private pages --------------------------------------------------------------------

async fn private_pages_show_only_the_accounts_own(app: &App) {
    let clock = Arc::new(ManualClock::new(
        second(Timestamp::now()) + SignedDuration::from_mins(1),
    ));
    let mail = Arc::new(Captured::default());
    let (w, _) = worker(app, &clock, None, mail.clone());
    let now = clock_now(&clock);
    app.declare(
        "INC-P-A",
        "Exports failing",
        "outage",
        &["API"],
        &["acct-0001", "acct-0002"],
        now,
    )
    .await;
    app.declare(
        "INC-P-B",
        "Billing wrong",
        "billing_error",
        &["billing"],
        &["acct-0003"],
        now,
    )
    .await;

    // Only an admin issues a link, for an account that exists.
    let issue = |account: &str| format!("/v1/accounts/{account}/status-page-token");
    let empty = json!({});
    for token in [&app.t.viewer, &app.t.agent] {
        let r = app
            .call("POST", &issue("acct-0001"), Some(token), Some(&empty))
            .await;
        assert_problem(&r, StatusCode::FORBIDDEN, None);
    }
    assert_problem(
        &app.call("POST", &issue("acct-0001"), None, Some(&empty))
            .await,
        StatusCode::UNAUTHORIZED,
        None,
    );
    assert_problem(
        &app.call(
            "POST",
            &issue("acct-nope"),
            Some(&app.t.admin),
            Some(&empty),
        )
        .await,
        StatusCode::NOT_FOUND,
        None,
    );
    let r = app
        .call(
            "POST",
            &issue("acct-0001"),
            Some(&app.t.admin),
            Some(&empty),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r}");
    assert_eq!(r.json["rotated"], false);
    let first = r.json["url"].as_str().unwrap().to_string();
    assert!(
        first.starts_with(&format!("{}/status/private/", app.base)),
        "{first}"
    );
    // A second link replaces the first only when asked to.
    assert_problem(
        &app.call(
            "POST",
            &issue("acct-0001"),
            Some(&app.t.admin),
            Some(&empty),
        )
        .await,
        StatusCode::CONFLICT,
        None,
    );
    let r = app
        .call(
            "POST",
            &issue("acct-0001"),
            Some(&app.t.admin),
            Some(&json!({"rotate": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r}");
    assert_eq!(r.json["rotated"], true);
    let link = r.json["url"].as_str().unwrap().to_string();
    let secret = r.json["token"].as_str().unwrap().to_string();
    assert_problem(&app.get(&first).await, StatusCode::NOT_FOUND, None);
    let r = app
        .call(
            "POST",
            &issue("acct-0003"),
            Some(&app.t.admin),
            Some(&empty),
        )
        .await;
    let other = r.json["url"].as_str().unwrap().to_string();
    // The audit trail records both, never the token.
    let audit = app.store.audit_entries(0, 10_000).await.unwrap();
    let actions: Vec<&str> = audit
        .iter()
        .filter(|e| e.record.subject == "account/acct-0001/status-page")
        .map(|e| e.record.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "status_page.private_token.issue",
            "status_page.private_token.rotate"
        ]
    );
    assert!(
        audit
            .iter()
            .all(|e| !e.record.after.as_deref().unwrap_or("").contains(&secret))
    );

    // Posts on both incidents; messages to two accounts of the first.
    app.post(
        "INC-P-A",
        "status_investigating",
        0,
        "Exports fail for some customers.",
        now,
    )
    .await;
    app.post(
        "INC-P-B",
        "status_investigating",
        0,
        "Some invoices are wrong.",
        now,
    )
    .await;
    let message = |key: &str| NewJob {
        key: key.to_string(),
        incident_id: "INC-P-A".into(),
        channel: "email".into(),
        due_ms: now.as_millisecond(),
        payload: json!({"to": "x@example.com", "subject": "s", "body": "b"}).to_string(),
    };
    app.store
        .enqueue(&[
            message("INC-P-A/acct-0001/ack_email/1/0"),
            message("INC-P-A/acct-0002/update_email/1/0"),
        ])
        .await
        .unwrap();
    assert_eq!(w.drain().await.unwrap().delivered, 4);

    let r = app.get(&link).await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert_eq!(r.header("cache-control"), "no-store");
    assert_eq!(r.header("referrer-policy"), "no-referrer");
    assert_eq!(r.header("x-robots-tag"), "noindex");
    let html = &r.text;
    assert!(
        html.contains("<meta name=\"robots\" content=\"noindex\">"),
        "{html}"
    );
    assert!(
        html.contains("Acme &lt;status&gt; — Northwind Analytics"),
        "{html}"
    );
    assert!(html.contains(">Exports failing</h2>"), "{html}");
    assert!(html.contains("Exports fail for some customers."), "{html}");
    assert!(
        html.contains("<h3>Messages sent to Northwind Analytics</h3>"),
        "{html}"
    );
    assert!(html.contains("<li>ack_email — <time"), "{html}");
    assert!(
        !html.contains("update_email"),
        "another account's message: {html}"
    );
    assert!(
        !html.contains("Billing wrong") && !html.contains("invoices"),
        "another account's incident: {html}"
    );

    let r = app.get(&other).await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert!(
        r.text.contains(">Billing wrong</h2>") && r.text.contains("Some invoices are wrong."),
        "{}",
        r.text
    );
    assert!(!r.text.contains("Exports"), "{}", r.text);
}

// ----- 5. Atlassian Statuspage -------------------------------------------------------------

/// What the loopback Statuspage received: method, path, Authorization, body.
type Received = Arc<Mutex<Vec<(String, String, String, Value)>>>;

/// A loopback Statuspage: creates answer 201 with an id, updates 200; the first `fail`
/// requests answer 500.
async fn fake_statuspage(fail: Arc<AtomicUsize>) -> (String, Received) {
    let received: Received = Arc::default();
    let seen = received.clone();
    let handler = move |req: axum::extract::Request| {
        let seen = seen.clone();
        let fail = fail.clone();
        async move {
            let method = req.method().to_string();
            let path = req.uri().path().to_string();
            let auth = req
                .headers()
                .get("authorization")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            let bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
                .await
                .unwrap();
            let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            seen.lock()
                .unwrap()
                .push((method.clone(), path, auth, body));
            if fail.load(Ordering::SeqCst) > 0 {
                fail.fetch_sub(1, Ordering::SeqCst);
                return (
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "{}".to_string(),
                );
            }
            if method == "POST" {
                (
                    axum::http::StatusCode::CREATED,
                    json!({"id": "sp1abc", "status": "investigating"}).to_string(),
                )
            } else {
                (
                    axum::http::StatusCode::OK,
                    json!({"id": "sp1abc"}).to_string(),
                )
            }
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    let router = axum::Router::new().fallback(handler);
    tokio::spawn(async move { axum::serve(listener, router).await });
    (base, received)
}

async fn statuspage_mirror(app: &App) {
    const INC: &str = "INC-SP-4";
    let fail = Arc::new(AtomicUsize::new(0));
    let (base, received) = fake_statuspage(fail.clone()).await;
    let config = StatuspageConfig {
        page_id: "pg123".into(),
        api_key: ApiKey::new("key-s3cret"),
        base_url: base,
        components: [("api".to_string(), "cmpapi".to_string())].into(),
    };
    assert!(
        !format!("{config:?}").contains("key-s3cret"),
        "the key is redacted"
    );
    let statuspage = Statuspage::new(config, app.store.clone(), Duration::from_secs(5)).unwrap();
    let clock = Arc::new(ManualClock::new(
        second(Timestamp::now()) + SignedDuration::from_mins(1),
    ));
    let (w, channel) = worker(app, &clock, Some(statuspage), Arc::new(Captured::default()));
    app.declare(
        INC,
        "API down",
        "outage",
        &["API", "web application"],
        &["acct-0001"],
        clock_now(&clock),
    )
    .await;

    // The first post creates the incident; a worker that died after it, whose job runs again,
    // creates nothing more.
    app.post(
        INC,
        "status_investigating",
        0,
        "The API is down.",
        clock_now(&clock),
    )
    .await;
    let claimed = app
        .store
        .claim(clock_now(&clock).as_millisecond(), 60_000, 10)
        .await
        .unwrap();
    channel.deliver(&claimed[0]).await.unwrap();
    clock.advance(SignedDuration::from_mins(2));
    let round = w.drain().await.unwrap();
    assert_eq!(
        (round.claimed, round.delivered, round.dead),
        (1, 1, 0),
        "the job ran again"
    );
    {
        let seen = received.lock().unwrap();
        assert_eq!(seen.len(), 1, "one request for one post: {seen:?}");
        let (method, path, auth, body) = &seen[0];
        assert_eq!(
            (method.as_str(), path.as_str()),
            ("POST", "/v1/pages/pg123/incidents")
        );
        assert_eq!(auth, "OAuth key-s3cret");
        assert_eq!(
            body,
            &json!({"incident": {
                "name": "API down",
                "status": "investigating",
                "body": "The API is down.",
                "component_ids": ["cmpapi"],
                "components": {"cmpapi": "major_outage"},
                "deliver_notifications": true,
                "metadata": {"amends": {"incident": INC, "post": format!("{INC}/public/status_investigating/0")}},
            }})
        );
    }

    // Later posts update it; a 500 is retried, and the retry still updates, never creates.
    let v = app.version(INC).await;
    let r = app
        .call(
            "PATCH",
            &format!("/v1/incidents/{INC}"),
            Some(&app.t.agent),
            Some(&json!({"expected_version": v, "known_cause": "A full disk."})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    fail.store(1, Ordering::SeqCst);
    app.post(
        INC,
        "status_update",
        0,
        "We know why: a full disk.",
        clock_now(&clock),
    )
    .await;
    let round = w.drain().await.unwrap();
    assert_eq!(
        (round.delivered, round.retrying),
        (0, 1),
        "Statuspage failed once"
    );
    // Our own page did not wait for Statuspage.
    let r = app.get("/status.json").await;
    assert_eq!(r.json["incidents"][0]["state"], "identified", "{}", r.json);
    clock.advance(SignedDuration::from_secs(30));
    let round = w.drain().await.unwrap();
    assert_eq!((round.delivered, round.dead), (1, 0));
    let seen = received.lock().unwrap();
    let calls: Vec<(&str, &str)> = seen
        .iter()
        .map(|(m, p, _, _)| (m.as_str(), p.as_str()))
        .collect();
    assert_eq!(
        calls,
        [
            ("POST", "/v1/pages/pg123/incidents"),
            ("PATCH", "/v1/pages/pg123/incidents/sp1abc"),
            ("PATCH", "/v1/pages/pg123/incidents/sp1abc"),
        ]
    );
    assert_eq!(
        seen[2].3,
        json!({"incident": {
            "name": "API down",
            "status": "identified",
            "body": "We know why: a full disk.",
            "component_ids": ["cmpapi"],
            "components": {"cmpapi": "major_outage"},
        }})
    );
}

// ----- 6. bad input ------------------------------------------------------------------------

async fn bad_input(app: &App) {
    let r = app
        .call(
            "POST",
            "/status/subscribe",
            None,
            Some(&json!({"email": "not an address"})),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, Some("email"));
    let r = app
        .call(
            "POST",
            "/status/subscribe",
            None,
            Some(&json!({"email": "a@example.com", "components": ["API", "teleporter"]})),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, Some("components[1]"));
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .contains("choose from: API, web application"),
        "{r}"
    );
    let r = app
        .call(
            "POST",
            "/status/subscribe",
            None,
            Some(&json!({"email": "a@example.com", "admin": true})),
        )
        .await;
    assert_problem(&r, StatusCode::BAD_REQUEST, Some("admin"));
    let r = app.form("/status/subscribe", "components=API").await;
    assert_problem(&r, StatusCode::BAD_REQUEST, Some("email"));
    let req = app
        .http
        .post(format!("{}/status/subscribe", app.base))
        .header("content-type", "application/json")
        .body("{\"email\": ");
    assert_problem(&app.send(req).await, StatusCode::BAD_REQUEST, Some("body"));
    let req = app
        .http
        .post(format!("{}/status/subscribe", app.base))
        .header("content-type", "text/plain")
        .body("a@example.com");
    assert_problem(
        &app.send(req).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        None,
    );
    assert!(app.store.confirmed_subscribers().await.unwrap().is_empty());

    for path in [
        "/status/confirm/nope",
        &format!("/status/confirm/{}", "a".repeat(64)),
        &format!("/status/unsubscribe/{}", "A".repeat(64)),
        "/status/private/..%2F..%2Fetc",
        &format!("/status/private/{}", "0".repeat(64)),
    ] {
        assert_problem(&app.get(path).await, StatusCode::NOT_FOUND, None);
    }
    assert_problem(
        &app.call(
            "POST",
            &format!("/status/unsubscribe/{}", "b".repeat(64)),
            None,
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        None,
    );
    let r = app
        .call(
            "POST",
            "/v1/accounts/acct-0001/status-page-token",
            Some(&app.t.admin),
            Some(&json!({"rotate": "yes"})),
        )
        .await;
    assert_problem(&r, StatusCode::BAD_REQUEST, Some("rotate"));
}
