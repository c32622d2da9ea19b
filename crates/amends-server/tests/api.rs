//! The HTTP API end to end: the real app (`amends_server::app`) served on 127.0.0.1 port 0
//! over a fresh database per test, every test run twice, `sqlite::<name>` (a new SQLite file
//! under the temp directory) and `postgres::<name>` (a new database on the PostgreSQL server
//! named by `AMENDS_TEST_POSTGRES`, by default `postgres://postgres@127.0.0.1:5432/postgres`;
//! an unreachable server fails the test, nothing is skipped).
//!
//! Each app is seeded with the demo's 180 accounts (`demo/accounts.csv` checked against the
//! bundled playbook) and one API token per role: a viewer, an agent, two approvers (Dana
//! Whitfield, `vp_support`, and Marcus Lee, `support_director`) and an admin acting as nobody.
//!
//! Covered:
//! - the worked example's lifecycle over HTTP (declare at detection with the Enterprise tier,
//!   add Growth, resolve at 14:00, plan versions with their diffs, a severity override to S2
//!   so the Enterprise credits wait for their named approver, approvals by the named approver,
//!   refusals of anyone else, an admin override that must give a reason, an intact audit
//!   chain that records all of it);
//! - a role test for every route of the router (no token 401 with `WWW-Authenticate`, a role
//!   below the route's least role 403, that role and above pass, nothing written when refused);
//! - bad input as RFC 9457 problem+json naming the field, with nothing written;
//! - the OpenAPI 3.1 document against the route table, both ways;
//! - Prometheus request counts by route.

mod common;
#[path = "common/database.rs"]
mod database;

use std::collections::{BTreeMap, BTreeSet};

use amends_server::app;
use amends_server::auth::{Role, new_token};
use amends_store::{PageRequest, Store};
use database::{Backend, Database, fresh_database, on_both_backends};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The demo's accounts, as a user would import them.
/// The worked example's incident, as written in the demo.
const DEMO_INCIDENT: &str = include_str!("../../../demo/incident.toml");
/// The worked example's incident id.
const INC: &str = "INC-2024-1015";

// ----- the routes --------------------------------------------------------------------------

/// One operation the router serves under `/v1`, with the least role it needs.
struct Route {
    method: &'static str,
    path: &'static str,
    least: Role,
}

const fn route(method: &'static str, path: &'static str, least: Role) -> Route {
    Route {
        method,
        path,
        least,
    }
}

/// Every `/v1` operation of `amends_server::app`. The role matrix walks it, and the OpenAPI
/// test compares it with the document both ways, so a route added to the router must be
/// added here (or the OpenAPI test fails), and then gets its role test.
const ROUTES: &[Route] = &[
    route("GET", "/v1/incidents", Role::Viewer),
    route("POST", "/v1/incidents", Role::Agent),
    route("GET", "/v1/incidents/{id}", Role::Viewer),
    route("PATCH", "/v1/incidents/{id}", Role::Agent),
    route("POST", "/v1/incidents/{id}/resolve", Role::Agent),
    route("POST", "/v1/incidents/{id}/reopen", Role::Agent),
    // A person's incident is not in triage: both answer 409 to the roles allowed.
    route("POST", "/v1/incidents/{id}/confirm", Role::Agent),
    route("POST", "/v1/incidents/{id}/dismiss", Role::Agent),
    route("GET", "/v1/incidents/{id}/events", Role::Viewer),
    route("GET", "/v1/incidents/{id}/plans", Role::Viewer),
    route("GET", "/v1/incidents/{id}/plan", Role::Viewer),
    route("GET", "/v1/incidents/{id}/remediations", Role::Viewer),
    route(
        "POST",
        "/v1/incidents/{id}/remediations/{account}/approve",
        Role::Approver,
    ),
    route(
        "POST",
        "/v1/incidents/{id}/remediations/{account}/reject",
        Role::Approver,
    ),
    // Written before it is read, and sent after it is written: the matrix walks in order.
    route("PUT", "/v1/incidents/{id}/rca", Role::Agent),
    route("GET", "/v1/incidents/{id}/rca", Role::Viewer),
    route("POST", "/v1/incidents/{id}/rca/sent", Role::Agent),
    route("GET", "/v1/incidents/{id}/reviews", Role::Viewer),
    route(
        "POST",
        "/v1/incidents/{id}/reviews/{task}/close",
        Role::Agent,
    ),
    route("GET", "/v1/accounts", Role::Viewer),
    route("POST", "/v1/accounts", Role::Admin),
    route("GET", "/v1/accounts/{id}", Role::Viewer),
    route("POST", "/v1/accounts/{id}/status-page-token", Role::Admin),
    route("GET", "/v1/audit", Role::Admin),
    route("GET", "/v1/audit/verify", Role::Admin),
];

/// Routes served without a token.
const OPEN: &[&str] = &["/healthz", "/readyz", "/metrics", "/openapi.json"];

/// Inbound alert webhooks: no API token, each sender verified by its own signature or
/// credentials (tests/worked_example.rs sends them).
const WEBHOOKS: &[&str] = &[
    "/v1/alerts/pagerduty",
    "/v1/alerts/alertmanager",
    "/v1/alerts/grafana",
];

// ----- harness -----------------------------------------------------------------------------

/// One token per role; the approvers act as two different playbook people.
struct Tokens {
    viewer: String,
    agent: String,
    /// Approver, `vp_support` (Dana Whitfield): the Enterprise cells' approver.
    dana: String,
    /// Approver, `support_director` (Marcus Lee): the Growth cells' approver.
    marcus: String,
    /// Admin, acting as nobody in particular.
    admin: String,
}

struct App {
    base: String,
    http: reqwest::Client,
    t: Tokens,
    store: Store,
    database: Database,
}

/// A response, read whole.
struct Res {
    status: StatusCode,
    content_type: String,
    www_authenticate: Option<String>,
    text: String,
    /// The body as JSON, or `Null` when it is not JSON.
    json: Value,
}

impl std::fmt::Display for Res {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}] {}", self.status, self.content_type, self.text)
    }
}

/// How many incidents and audit entries the store holds: what "nothing written" compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Written {
    incidents: usize,
    audit: usize,
}

async fn spawn(backend: Backend) -> App {
    let database = fresh_database(backend, "api").await;
    let store = common::store_with_demo_accounts(&database.url).await;
    let token = async |role, person: Option<&str>| {
        let (secret, row) = new_token(role, person.map(String::from), "test").unwrap();
        store.insert_token(&row, "test").await.unwrap();
        secret.expose().to_string()
    };
    let t = Tokens {
        viewer: token(Role::Viewer, None).await,
        agent: token(Role::Agent, None).await,
        dana: token(Role::Approver, Some("vp_support")).await,
        marcus: token(Role::Approver, Some("support_director")).await,
        admin: token(Role::Admin, None).await,
    };
    let state = common::demo_state(
        store.clone(),
        std::sync::Arc::new(amends_delivery::SystemClock),
        Default::default(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app(state)).await });
    App {
        base,
        http: reqwest::Client::new(),
        t,
        store,
        database,
    }
}

impl App {
    fn request(&self, method: &str, path: &str, token: Option<&str>) -> reqwest::RequestBuilder {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req
    }

    async fn send(req: reqwest::RequestBuilder) -> Res {
        let res = req.send().await.unwrap();
        let header = |name: &str| {
            res.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_string())
        };
        let content_type = header("content-type").unwrap_or_default();
        let www_authenticate = header("www-authenticate");
        let status = res.status();
        let text = res.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Res {
            status,
            content_type,
            www_authenticate,
            text,
            json,
        }
    }

    /// A request with an optional bearer token and an optional JSON body.
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Res {
        let mut req = self.request(method, path, token);
        if let Some(b) = body {
            req = req.json(b);
        }
        App::send(req).await
    }

    async fn get(&self, path: &str, token: &str) -> Res {
        self.call("GET", path, Some(token), None).await
    }

    async fn written(&self) -> Written {
        let incidents = self
            .store
            .list_incidents(&PageRequest {
                after: None,
                limit: 500,
            })
            .await
            .unwrap()
            .items
            .len();
        let audit = self.store.audit_entries(0, 1_000_000).await.unwrap().len();
        Written { incidents, audit }
    }

    async fn remediations(&self) -> BTreeMap<String, Value> {
        let r = self
            .get(&format!("/v1/incidents/{INC}/remediations"), &self.t.viewer)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{r}");
        r.json
            .as_array()
            .unwrap()
            .iter()
            .map(|row| (row["account_id"].as_str().unwrap().to_string(), row.clone()))
            .collect()
    }
}

/// What is wrong with `r` as an RFC 9457 problem document with this status, naming `field`
/// in `errors[]` when given (empty when nothing is).
fn problem_faults(r: &Res, status: StatusCode, field: Option<&str>, what: &str) -> Vec<String> {
    let mut faults = Vec::new();
    if r.status != status {
        faults.push(format!("{what}: expected {status}, got {r}"));
        return faults;
    }
    if r.content_type != "application/problem+json" {
        faults.push(format!("{what}: not application/problem+json: {r}"));
    }
    if r.json["status"] != status.as_u16() {
        faults.push(format!(
            "{what}: problem status member is not {status}: {r}"
        ));
    }
    for member in ["type", "title", "detail"] {
        if r.json[member].as_str().is_none_or(|s| s.is_empty()) {
            faults.push(format!("{what}: problem without {member}: {r}"));
        }
    }
    if let Some(field) = field {
        let named: Vec<&str> = r.json["errors"]
            .as_array()
            .map(|errors| errors.iter().filter_map(|e| e["field"].as_str()).collect())
            .unwrap_or_default();
        if !named.contains(&field) {
            faults.push(format!(
                "{what}: errors[].field should name {field:?}, names {named:?}: {r}"
            ));
        }
    }
    faults
}

/// Asserts an RFC 9457 problem document with this status, naming `field` in `errors[]` when
/// given.
fn assert_problem(r: &Res, status: StatusCode, field: Option<&str>, what: &str) {
    let faults = problem_faults(r, status, field, what);
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

/// The demo incident (demo/incident.toml) as a JSON body, open (no `resolved_at`: declared
/// at detection), affecting `tiers`.
fn demo_incident(tiers: &[&str]) -> Value {
    let mut v: Value = toml::from_str(DEMO_INCIDENT).unwrap();
    assert_eq!(v["id"], INC);
    assert!(
        v.as_object_mut().unwrap().remove("resolved_at").is_some(),
        "the demo incident is resolved; the test declares it open"
    );
    v["affected"] = json!({ "tiers": tiers });
    v
}

/// The same incident under another id.
fn other_incident(id: &str, tiers: &[&str]) -> Value {
    let mut v = demo_incident(tiers);
    v["id"] = json!(id);
    v
}

on_both_backends!(
    worked_example_lifecycle,
    rca_and_reviews,
    role_matrix,
    bad_input,
    openapi_documents_every_route,
    metrics_count_requests_by_route,
);

/// The worked example's root-cause summary (demo/rca.toml) as the API takes it.
fn demo_rca() -> Value {
    json!({
        "what_happened": "On Tuesday, October 15, our service was unavailable for four hours.",
        "why": "During planned maintenance a change to our main database had an error.",
        "fixed": ["We undid the failed database change and brought the service back at 2:00 PM."],
        "prevention": [
            {"action": "A second engineer must approve every change to the live database.", "by": "2024-10-25", "done": true}
        ]
    })
}

// ----- 1. the worked example ---------------------------------------------------------------

async fn worked_example_lifecycle(app: &App) {
    let t = &app.t;
    let incident = format!("/v1/incidents/{INC}");

    // Declared at detection: only the Enterprise tier is known to be affected.
    let r = app
        .call(
            "POST",
            "/v1/incidents",
            Some(&t.agent),
            Some(&demo_incident(&["enterprise"])),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r}");
    assert_eq!(r.json["id"], INC);
    assert_eq!(r.json["status"], "open");
    assert_eq!(r.json["version"], 1);
    assert_eq!(r.json["plan_version"], 1);
    assert_eq!(
        r.json["severity"], "S1",
        "a full outage of a core feature: {r}"
    );
    assert!(r.json["spec"].get("resolved_at").is_none(), "{r}");
    let plan = app.get(&format!("{incident}/plan"), &t.viewer).await;
    assert_eq!(
        plan.json["accounts"].as_array().unwrap().len(),
        30,
        "Enterprise only"
    );

    // Growth turns out to be affected too.
    let r = app
        .call(
            "PATCH",
            &incident,
            Some(&t.agent),
            Some(&json!({"expected_version": 1, "affected": {"tiers": ["enterprise", "growth"]}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert_eq!(r.json["version"], 2);
    assert_eq!(r.json["plan_version"], 2);
    assert_eq!(
        r.json["spec"]["affected"]["tiers"],
        json!(["enterprise", "growth"])
    );

    // Resolved at 14:00 New York time.
    let r = app
        .call(
            "POST",
            &format!("{incident}/resolve"),
            Some(&t.agent),
            Some(&json!({"expected_version": 2, "resolved_at": "2024-10-15T14:00:00-04:00"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert_eq!(r.json["status"], "resolved", "{r}");
    assert_eq!(r.json["severity"], "S1", "{r}");
    assert_eq!(r.json["version"], 3);
    assert_eq!(r.json["plan_version"], 3);
    assert_eq!(r.json["spec"]["resolved_at"], "2024-10-15T14:00:00-04:00");
    let r = app.get(&incident, &t.viewer).await;
    assert_eq!(
        (r.json["status"].as_str(), r.json["severity"].as_str()),
        (Some("resolved"), Some("S1"))
    );

    // Three plan versions, each with a readable diff against the one before.
    let plans = app.get(&format!("{incident}/plans"), &t.viewer).await;
    assert_eq!(plans.status, StatusCode::OK, "{plans}");
    let plans = plans.json.as_array().unwrap().clone();
    let versions: Vec<i64> = plans
        .iter()
        .map(|p| p["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [1, 2, 3]);
    for p in &plans {
        let diff = p["diff"].as_array().unwrap();
        assert!(
            !diff.is_empty()
                && diff
                    .iter()
                    .all(|l| l.as_str().is_some_and(|l| !l.is_empty())),
            "plan version {} has no readable diff: {p}",
            p["version"]
        );
        assert_eq!(p["severity"], "S1");
    }
    assert_eq!(plans[0]["diff"], json!(["first plan"]));
    let joined = plans[1]["diff"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l.as_str().unwrap().starts_with("+ acct-"))
        .count();
    assert_eq!(
        joined, 150,
        "the 150 Growth accounts join: {}",
        plans[1]["diff"]
    );
    assert_ne!(
        plans[2]["diff"],
        json!(["no change to the plan"]),
        "resolving at 14:00 changes the plan (duration, credits, closing messages)"
    );

    // The current plan document: all 180 accounts.
    let plan = app.get(&format!("{incident}/plan"), &t.viewer).await;
    assert_eq!(plan.status, StatusCode::OK, "{plan}");
    assert!(plan.content_type.starts_with("application/json"), "{plan}");
    assert_eq!(plan.json["schema"], "amends.plan/v1");
    let accounts: BTreeSet<&str> = plan.json["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            a["account"]["id"]
                .as_str()
                .or(a["id"].as_str())
                .unwrap_or("")
        })
        .collect();
    assert_eq!(plan.json["accounts"].as_array().unwrap().len(), 180);
    assert_eq!(accounts.len(), 180, "180 different accounts");
    // An earlier version is still there.
    let v1 = app
        .get(&format!("{incident}/plan?version=1"), &t.viewer)
        .await;
    assert_eq!(v1.status, StatusCode::OK, "{v1}");
    assert_eq!(v1.json["accounts"].as_array().unwrap().len(), 30);

    // At S1 every credit is automatic.
    let rems = app.remediations().await;
    assert_eq!(rems.len(), 180);
    assert!(
        rems.values().all(|r| r["status"] == "automatic"),
        "S1 credits are automatic in the default playbook"
    );
    assert_eq!(rems["acct-0001"]["credit"], "1806.45");

    // A person judges it S2: Enterprise credits now wait for Dana Whitfield (vp_support).
    let r = app
        .call(
            "PATCH",
            &incident,
            Some(&t.agent),
            Some(&json!({"expected_version": 3, "severity_override": {
                "severity": "S2", "reason": "Status page showed partial availability"}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert_eq!(r.json["severity"], "S2");
    assert_eq!(r.json["version"], 4);
    assert_eq!(r.json["status"], "resolved", "an override does not reopen");
    let rems = app.remediations().await;
    let enterprise: Vec<&Value> = rems
        .values()
        .filter(|r| r["rule"] == rems["acct-0001"]["rule"])
        .collect();
    assert!(enterprise.len() >= 2, "{enterprise:?}");
    for id in ["acct-0001", "acct-0002", "acct-0030"] {
        assert_eq!(
            (rems[id]["status"].as_str(), rems[id]["approver"].as_str()),
            (Some("pending_approval"), Some("vp_support")),
            "{id}: {}",
            rems[id]
        );
    }
    // 800.00: the contract SLA (10% of 8000.00) is greater than the 1-day credit (258.06).
    assert_eq!(rems["acct-0001"]["credit"], "800.00");
    assert_eq!(
        (
            rems["acct-0031"]["status"].as_str(),
            rems["acct-0031"]["approver"].as_str()
        ),
        (Some("pending_approval"), Some("support_director"))
    );

    // Only the named approver decides: Marcus (another approver) and the agent are refused,
    // and nothing is written.
    let approve_1 = format!("{incident}/remediations/acct-0001/approve");
    let before = app.written().await;
    let r = app
        .call("POST", &approve_1, Some(&t.marcus), Some(&json!({})))
        .await;
    assert_problem(&r, StatusCode::FORBIDDEN, None, "another approver");
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .contains("Dana Whitfield (vp_support)"),
        "the refusal names the approver: {r}"
    );
    let r = app
        .call(
            "POST",
            &format!("{incident}/remediations/acct-0001/reject"),
            Some(&t.marcus),
            Some(&json!({})),
        )
        .await;
    assert_problem(
        &r,
        StatusCode::FORBIDDEN,
        None,
        "another approver rejecting",
    );
    let r = app
        .call("POST", &approve_1, Some(&t.agent), Some(&json!({})))
        .await;
    assert_problem(&r, StatusCode::FORBIDDEN, None, "an agent");
    assert!(
        r.json["detail"].as_str().unwrap().contains("approver"),
        "{r}"
    );
    assert_eq!(
        app.written().await,
        before,
        "a refused decision writes nothing"
    );
    assert_eq!(
        app.remediations().await["acct-0001"]["status"],
        "pending_approval"
    );

    // Dana approves.
    let r = app
        .call("POST", &approve_1, Some(&t.dana), Some(&json!({})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert_eq!(r.json["status"], "approved");
    assert_eq!(r.json["credit"], "800.00");
    assert_eq!(r.json["override_reason"], Value::Null);
    assert!(
        r.json["decided_by"]
            .as_str()
            .unwrap()
            .contains("vp_support"),
        "{r}"
    );
    assert_eq!(app.remediations().await["acct-0001"]["status"], "approved");

    // An admin in Dana's place must say why, and the reason is recorded.
    let approve_2 = format!("{incident}/remediations/acct-0002/approve");
    let before = app.written().await;
    for body in [json!({}), json!({"reason": "   "})] {
        let r = app
            .call("POST", &approve_2, Some(&t.admin), Some(&body))
            .await;
        assert_problem(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("reason"),
            "admin without reason",
        );
    }
    assert_eq!(
        app.written().await,
        before,
        "a refused override writes nothing"
    );
    let r = app
        .call(
            "POST",
            &approve_2,
            Some(&t.admin),
            Some(&json!({"reason": "Dana is on leave"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert_eq!(r.json["status"], "approved");
    assert_eq!(r.json["override_reason"], "Dana is on leave");
    assert_eq!(
        app.remediations().await["acct-0002"]["override_reason"],
        "Dana is on leave"
    );

    // The audit trail verifies and holds every decision.
    let v = app.get("/v1/audit/verify", &t.admin).await;
    assert_eq!(v.status, StatusCode::OK, "{v}");
    assert_eq!(v.json["intact"], true, "{v}");
    let audit = app.get("/v1/audit?limit=1000", &t.admin).await;
    assert_eq!(audit.status, StatusCode::OK, "{audit}");
    let items = audit.json["items"].as_array().unwrap();
    assert_eq!(v.json["entries"], items.len(), "verify checked every entry");
    assert_eq!(v.json["head"], items.last().unwrap()["hash"]);
    let actions: Vec<&str> = items
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for needed in [
        "incident.declare",
        "incident.update",
        "incident.resolve",
        "incident.severity_override",
        "remediation.approve",
        "remediation.approve_override",
    ] {
        assert!(
            actions.contains(&needed),
            "{needed} missing from {actions:?}"
        );
    }
    let entry = |action: &str| {
        items
            .iter()
            .rev()
            .find(|e| e["action"] == action)
            .unwrap()
            .clone()
    };
    let approve = entry("remediation.approve");
    assert_eq!(approve["subject"], format!("remediation/{INC}/acct-0001"));
    assert!(
        approve["actor"].as_str().unwrap().contains("vp_support"),
        "{approve}"
    );
    let override_entry = entry("remediation.approve_override");
    assert_eq!(
        override_entry["subject"],
        format!("remediation/{INC}/acct-0002")
    );
    assert!(
        override_entry["after"]
            .as_str()
            .unwrap()
            .contains("Dana is on leave"),
        "{override_entry}"
    );
    let severity = entry("incident.severity_override");
    assert!(
        severity
            .to_string()
            .contains("Status page showed partial availability"),
        "the override's reason is audited: {severity}"
    );

    // The timeline.
    let events = app.get(&format!("{incident}/events"), &t.viewer).await;
    let kinds: Vec<&str> = events
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["declare", "update", "resolve", "update"]);
}

// ----- 2. roles ----------------------------------------------------------------------------

/// A body for `route` that is valid apart from any role question, so that the role alone
/// decides between 403 and success.
fn body_for(route: &Route, caller: Role) -> Option<Value> {
    match (route.method, route.path) {
        ("POST", "/v1/incidents") => {
            Some(other_incident(&format!("INC-ROLE-{caller}"), &["growth"]))
        }
        ("PATCH", _) => Some(json!({"expected_version": 1, "known_cause": "a migration"})),
        ("POST", p) if p.ends_with("/resolve") => {
            Some(json!({"expected_version": 2, "resolved_at": "2024-10-15T14:00:00-04:00"}))
        }
        ("POST", p) if p.ends_with("/confirm") || p.ends_with("/dismiss") => {
            Some(json!({"expected_version": 1, "reason": "role test"}))
        }
        ("POST", p) if p.ends_with("/reopen") => {
            Some(json!({"expected_version": 3, "reason": "errors again"}))
        }
        ("POST", p) if p.ends_with("/approve") || p.ends_with("/reject") => {
            Some(json!({"reason": "role test"}))
        }
        ("POST", "/v1/accounts") => Some(json!([])),
        ("POST", p) if p.ends_with("/status-page-token") => Some(json!({"rotate": true})),
        ("PUT", p) if p.ends_with("/rca") => Some(demo_rca()),
        ("POST", p) if p.ends_with("/close") => Some(json!({"note": "role test"})),
        ("POST", p) if p.ends_with("/rca/sent") => Some(json!({})),
        _ => None,
    }
}

/// Every route: no token (or an unknown one) is 401 problem+json with `WWW-Authenticate`, a
/// role below the route's least role is 403, that role and above pass; refusals write
/// nothing.
async fn role_matrix(app: &App) {
    let t = &app.t;
    // An S2 incident, so that Growth credits wait for Marcus Lee (support_director).
    let mut declared = demo_incident(&["enterprise", "growth"]);
    declared["severity_override"] = json!({"severity": "S2", "reason": "role test"});
    let r = app
        .call("POST", "/v1/incidents", Some(&t.agent), Some(&declared))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r}");
    let rems = app.remediations().await;
    assert_eq!(
        (
            rems["acct-0031"]["status"].as_str(),
            rems["acct-0031"]["approver"].as_str()
        ),
        (Some("pending_approval"), Some("support_director")),
        "the approver token below is the named approver of acct-0031"
    );
    let by_role = [
        (Role::Viewer, t.viewer.as_str()),
        (Role::Agent, t.agent.as_str()),
        (Role::Approver, t.marcus.as_str()),
        (Role::Admin, t.admin.as_str()),
    ];
    for route in ROUTES {
        let path = route
            .path
            .replace(
                "{id}",
                if route.path.starts_with("/v1/accounts") {
                    "acct-0031"
                } else {
                    INC
                },
            )
            .replace("{account}", "acct-0031")
            .replace("{task}", "internal_postmortem");
        let what = format!("{} {}", route.method, route.path);
        let anonymous = body_for(route, Role::Viewer);
        // No token, an unknown token, another scheme.
        let before = app.written().await;
        for (label, req) in [
            ("no token", app.request(route.method, &path, None)),
            (
                "an unknown token",
                app.request(route.method, &path, Some("amends_000000000000_00")),
            ),
            (
                "basic auth",
                app.request(route.method, &path, None)
                    .header("authorization", "Basic YWRtaW46YWRtaW4="),
            ),
        ] {
            let req = match &anonymous {
                Some(b) => req.json(b),
                None => req,
            };
            let r = App::send(req).await;
            assert_problem(
                &r,
                StatusCode::UNAUTHORIZED,
                None,
                &format!("{what} with {label}"),
            );
            assert_eq!(
                r.www_authenticate.as_deref(),
                Some("Bearer"),
                "{what} with {label}: 401 without WWW-Authenticate: Bearer"
            );
        }
        assert_eq!(app.written().await, before, "{what}: a 401 wrote something");
        for (role, token) in by_role {
            let body = body_for(route, role);
            let before = app.written().await;
            let r = app
                .call(route.method, &path, Some(token), body.as_ref())
                .await;
            if role < route.least {
                assert_problem(
                    &r,
                    StatusCode::FORBIDDEN,
                    None,
                    &format!("{what} as {role}"),
                );
                assert!(
                    r.json["detail"]
                        .as_str()
                        .unwrap()
                        .contains(&format!("needs the {} role", route.least)),
                    "{what} as {role}: the 403 names the role needed: {r}"
                );
                assert_eq!(
                    app.written().await,
                    before,
                    "{what} as {role}: a 403 wrote something"
                );
            } else {
                assert!(
                    !matches!(
                        r.status,
                        StatusCode::UNAUTHORIZED
                            | StatusCode::FORBIDDEN
                            | StatusCode::NOT_FOUND
                            | StatusCode::METHOD_NOT_ALLOWED
                    ) && !r.status.is_server_error(),
                    "{what} as {role} should be allowed: {r}"
                );
            }
        }
    }
    // The allowed calls did their work: the least role's create and decision went through.
    let r = app.get("/v1/incidents/INC-ROLE-agent", &t.viewer).await;
    assert_eq!(r.status, StatusCode::OK, "the agent's declaration: {r}");
    let r = app.get("/v1/incidents/INC-ROLE-viewer", &t.admin).await;
    assert_problem(
        &r,
        StatusCode::NOT_FOUND,
        None,
        "the viewer's refused declaration",
    );
    assert_eq!(
        app.remediations().await["acct-0031"]["status"],
        "approved",
        "Marcus approved it"
    );

    // Operations endpoints need no token.
    for path in OPEN {
        let r = app.call("GET", path, None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{path} without a token: {r}");
    }
    assert_eq!(app.call("GET", "/healthz", None, None).await.text, "ok");
    assert_eq!(app.call("GET", "/readyz", None, None).await.text, "ready");
}

// ----- the root-cause summary and the review tasks -------------------------------------------

/// The customer RCA review closes only after the summary was written and sent; the summary is
/// checked field by field and frozen once sent; everything is audited.
async fn rca_and_reviews(app: &App) {
    let t = &app.t;
    let mut resolved = demo_incident(&["enterprise", "growth"]);
    resolved["resolved_at"] = json!("2024-10-15T14:00:00-04:00");
    let r = app
        .call("POST", "/v1/incidents", Some(&t.agent), Some(&resolved))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r}");
    let base = format!("/v1/incidents/{INC}");

    // The review tasks come from the plan, with their due dates, all open.
    let r = app.get(&format!("{base}/reviews"), &t.viewer).await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    let ids: Vec<&str> = r
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "internal_postmortem",
            "customer_rca",
            "prevention_verified",
            "remediation_outcome"
        ]
    );
    let rca_task = &r.json[1];
    assert_eq!(rca_task["customer_facing"], true);
    assert_eq!(rca_task["due"], "2024-10-22T18:00:00Z");
    assert!(
        r.json
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["closed"].is_null()),
        "{r}"
    );

    let close = |task: &str| format!("{base}/reviews/{task}/close");
    let note = json!({"note": "sent to all 180 accounts"});
    let before = app.written().await;
    let r = app
        .call("POST", &close("customer_rca"), Some(&t.agent), Some(&note))
        .await;
    assert_problem(
        &r,
        StatusCode::CONFLICT,
        None,
        "closing the customer RCA before it exists",
    );
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .contains("once the root-cause summary"),
        "{r}"
    );
    assert_eq!(
        app.written().await,
        before,
        "a refused closing writes nothing"
    );
    let r = app
        .call("POST", &close("no_such_task"), Some(&t.agent), Some(&note))
        .await;
    assert_problem(&r, StatusCode::NOT_FOUND, None, "an unknown task");
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .contains("its tasks are: internal_postmortem"),
        "{r}"
    );
    let r = app
        .call(
            "POST",
            &close("internal_postmortem"),
            Some(&t.agent),
            Some(&note),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "an internal task closes at once: {r}"
    );

    // A bad summary is refused field by field, and nothing is written.
    let mut bad = demo_rca();
    bad["fixed"] = json!([]);
    bad["prevention"][0]["by"] = json!("next week");
    let r = app
        .call("PUT", &format!("{base}/rca"), Some(&t.agent), Some(&bad))
        .await;
    assert_problem(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("prevention[0].by"),
        "a bad summary",
    );
    assert_problem(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("fixed"),
        "a bad summary",
    );
    let r = app.get(&format!("{base}/rca"), &t.viewer).await;
    assert_problem(&r, StatusCode::NOT_FOUND, None, "no summary yet");
    let sent = json!({"sent_at": "2024-10-22T14:00:00-04:00"});
    let sent_url = format!("{base}/rca/sent");
    let r = app
        .call("POST", &sent_url, Some(&t.agent), Some(&sent))
        .await;
    assert_problem(
        &r,
        StatusCode::NOT_FOUND,
        None,
        "sending what does not exist",
    );

    // Written, then still not closable until sent; sent, then frozen and closable.
    let r = app
        .call(
            "PUT",
            &format!("{base}/rca"),
            Some(&t.agent),
            Some(&demo_rca()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert_eq!(r.json["record"], demo_rca());
    assert!(r.json["sent_at"].is_null(), "{r}");
    let r = app
        .call("POST", &close("customer_rca"), Some(&t.agent), Some(&note))
        .await;
    assert_problem(&r, StatusCode::CONFLICT, None, "closing before it was sent");
    let future = json!({"sent_at": "2999-01-01T00:00:00Z"});
    let r = app
        .call("POST", &sent_url, Some(&t.agent), Some(&future))
        .await;
    assert_problem(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("sent_at"),
        "sent in the future",
    );
    // The summary was written now; a send time in 2024 is before it existed.
    let r = app
        .call("POST", &sent_url, Some(&t.agent), Some(&sent))
        .await;
    assert_problem(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("sent_at"),
        "sent before it was written",
    );
    let r = app
        .call("POST", &sent_url, Some(&t.agent), Some(&json!({})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert!(r.json["sent_at"].is_string(), "{r}");
    let r = app
        .call(
            "PUT",
            &format!("{base}/rca"),
            Some(&t.agent),
            Some(&demo_rca()),
        )
        .await;
    assert_problem(
        &r,
        StatusCode::CONFLICT,
        None,
        "rewriting what customers read",
    );
    let r = app
        .call("POST", &close("customer_rca"), Some(&t.agent), Some(&note))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert_eq!(r.json["note"], "sent to all 180 accounts");

    let r = app.get(&format!("{base}/reviews"), &t.viewer).await;
    let closed: Vec<bool> = r
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|v| !v["closed"].is_null())
        .collect();
    assert_eq!(closed, [true, true, false, false], "{r}");
    let actions: Vec<String> = app
        .store
        .audit_entries(0, 1_000_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.record.action)
        .collect();
    for a in ["rca.write", "rca.sent", "review.close"] {
        assert!(actions.iter().any(|x| x == a), "{a} audited: {actions:?}");
    }
    // Regression (schemathesis): an over-long id was an undocumented 422; it is a 404.
    let long = "x".repeat(201);
    for path in ["events", "reviews", "rca"] {
        let r = app
            .get(&format!("/v1/incidents/{long}/{path}"), &t.viewer)
            .await;
        assert_problem(&r, StatusCode::NOT_FOUND, None, "an over-long id");
    }
}

// ----- 3. bad input ------------------------------------------------------------------------

async fn bad_input(app: &App) {
    let t = &app.t;
    let incident = format!("/v1/incidents/{INC}");
    let r = app
        .call(
            "POST",
            "/v1/incidents",
            Some(&t.agent),
            Some(&demo_incident(&["enterprise", "growth"])),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r}");
    let written = app.written().await;
    assert_eq!(written.incidents, 1);

    let post_raw = |body: String, content_type: Option<&str>| {
        let mut req = app
            .request("POST", "/v1/incidents", Some(&t.agent))
            .body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        req
    };
    let post_json = |v: &Value| app.request("POST", "/v1/incidents", Some(&t.agent)).json(v);
    let patch_json = |v: &Value| app.request("PATCH", &incident, Some(&t.agent)).json(v);
    let valid = || other_incident("INC-BAD", &["growth"]);
    let with = |field: &str, value: Value| {
        let mut v = valid();
        v[field] = value;
        v
    };

    let one_mib = 1024 * 1024;
    let oversized = format!("{{\"id\": \"{}\"}}", "x".repeat(one_mib));
    let oversized_patch = format!(
        "{{\"expected_version\": 1, \"title\": \"{}\"}}",
        "x".repeat(one_mib)
    );
    let cases: Vec<(&str, reqwest::RequestBuilder, StatusCode, Option<&str>)> = vec![
        (
            "malformed JSON",
            post_raw("{\"id\": ".into(), Some("application/json")),
            StatusCode::BAD_REQUEST,
            Some("body"),
        ),
        (
            "trailing garbage",
            post_raw(
                format!("{} x", other_incident("INC-TRAILING", &["growth"])),
                Some("application/json"),
            ),
            StatusCode::BAD_REQUEST,
            Some("body"),
        ),
        (
            "an unknown field",
            post_json(&with("colour", json!("red"))),
            StatusCode::BAD_REQUEST,
            Some("colour"),
        ),
        (
            "an unknown nested field",
            post_json(&with("affected", json!({"tiers": ["growth"], "everyone": true}))),
            StatusCode::BAD_REQUEST,
            Some("affected.everyone"),
        ),
        (
            "a wrong type",
            post_json(&with("core_feature", json!("yes"))),
            StatusCode::BAD_REQUEST,
            Some("core_feature"),
        ),
        (
            "a wrong nested type",
            post_json(&with("affected", json!({"tiers": "growth"}))),
            StatusCode::BAD_REQUEST,
            Some("affected.tiers"),
        ),
        (
            "a wrong type in a patch",
            patch_json(&json!({"expected_version": "1", "title": "x"})),
            StatusCode::BAD_REQUEST,
            Some("expected_version"),
        ),
        (
            "no Content-Type",
            post_raw(valid().to_string(), None),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
        ),
        (
            "a text/plain body",
            post_raw(valid().to_string(), Some("text/plain")),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
        ),
        (
            "a body over 1 MiB",
            post_raw(oversized, Some("application/json")),
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
        ),
        (
            "a patch over 1 MiB",
            app.request("PATCH", &incident, Some(&t.agent))
                .header("content-type", "application/json")
                .body(oversized_patch),
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
        ),
        (
            "an invalid time zone",
            post_json(&with("started_at", json!("2024-10-15T10:00:00[Mars/Olympus]"))),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("started_at"),
        ),
        (
            "an invalid time zone in a patch",
            patch_json(&json!({"expected_version": 1, "detected_at": "2024-10-15T10:00:00[Europe/Atlantis]"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("detected_at"),
        ),
        (
            "an invalid time zone at resolution",
            app.request("POST", &format!("{incident}/resolve"), Some(&t.agent))
                .json(&json!({"expected_version": 1, "resolved_at": "2024-10-15T14:00:00[Nowhere/Land]"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("resolved_at"),
        ),
        (
            "limit=0",
            app.request("GET", "/v1/incidents?limit=0", Some(&t.viewer)),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("limit"),
        ),
        (
            "limit=501",
            app.request("GET", "/v1/accounts?limit=501", Some(&t.viewer)),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("limit"),
        ),
        (
            "audit limit=0",
            app.request("GET", "/v1/audit?limit=0", Some(&t.admin)),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("limit"),
        ),
        (
            "an unknown incident",
            app.request("GET", "/v1/incidents/INC-NOPE", Some(&t.viewer)),
            StatusCode::NOT_FOUND,
            None,
        ),
        (
            "a patch of an unknown incident",
            app.request("PATCH", "/v1/incidents/INC-NOPE", Some(&t.agent))
                .json(&json!({"expected_version": 1, "title": "x"})),
            StatusCode::NOT_FOUND,
            None,
        ),
        (
            "an approval on an unknown incident",
            app.request("POST", "/v1/incidents/INC-NOPE/remediations/acct-0001/approve", Some(&t.admin))
                .json(&json!({"reason": "x"})),
            StatusCode::NOT_FOUND,
            None,
        ),
        (
            "an unknown endpoint",
            app.request("GET", "/v1/nothing-here", Some(&t.admin)),
            StatusCode::NOT_FOUND,
            None,
        ),
    ];
    // Every case is tried, and every fault reported at the end.
    let mut faults = Vec::new();
    for (what, req, status, field) in cases {
        let before = app.written().await;
        let r = App::send(req).await;
        faults.extend(problem_faults(&r, status, field, what));
        let after = app.written().await;
        if after != before {
            faults.push(format!(
                "{what}: something was written: {before:?} -> {after:?}"
            ));
        }
    }
    assert!(
        faults.is_empty(),
        "{} bad inputs were not refused as they should be:\n{}",
        faults.len(),
        faults.join("\n")
    );
    assert_eq!(app.written().await, written);
    // The unknown tier is named (affected.tiers, or affected).
    let r = App::send(post_json(&with("affected", json!({"tiers": ["platinum"]})))).await;
    assert_problem(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        "an unknown tier",
    );
    let fields: Vec<&str> = r.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields
            .iter()
            .any(|f| *f == "affected.tiers" || *f == "affected"),
        "an unknown tier names affected.tiers: {r}"
    );
    assert!(r.text.contains("platinum"), "{r}");
    assert_eq!(
        app.written().await,
        written,
        "an unknown tier: something was written"
    );
    // The oversized body's problem says what the limit is.
    let r = App::send(post_raw(
        format!("[{}]", "1,".repeat(one_mib / 2 + 1) + "1"),
        Some("application/json"),
    ))
    .await;
    assert_problem(
        &r,
        StatusCode::PAYLOAD_TOO_LARGE,
        None,
        "an oversized array",
    );
    assert!(
        r.json["detail"].as_str().unwrap().contains("1048576"),
        "{r}"
    );

    // The incident is as declared, and the server still answers.
    let r = app.get(&incident, &t.viewer).await;
    assert_eq!(
        (r.json["version"].as_i64(), r.json["status"].as_str()),
        (Some(1), Some("open")),
        "{r}"
    );
    assert_eq!(
        app.call("GET", "/healthz", None, None).await.status,
        StatusCode::OK
    );

    // A stale version is a conflict that writes nothing; a retry with the current one wins.
    let patch = |v: i64, cause: &str| json!({"expected_version": v, "known_cause": cause});
    let r = app
        .call("PATCH", &incident, Some(&t.agent), Some(&patch(1, "first")))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert_eq!(r.json["version"], 2);
    let written = app.written().await;
    let r = app
        .call("PATCH", &incident, Some(&t.agent), Some(&patch(1, "stale")))
        .await;
    assert_problem(&r, StatusCode::CONFLICT, None, "a stale expected_version");
    assert_eq!(app.written().await, written, "a conflict wrote something");
    let r = app.get(&incident, &t.viewer).await;
    assert_eq!(
        r.json["spec"]["known_cause"], "first",
        "the stale write is not applied"
    );
    let r = app
        .call(
            "PATCH",
            &incident,
            Some(&t.agent),
            Some(&patch(2, "retried")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert_eq!(r.json["version"], 3);
    assert_eq!(r.json["spec"]["known_cause"], "retried");
    // The same for a stale resolution.
    let r = app
        .call(
            "POST",
            &format!("{incident}/resolve"),
            Some(&t.agent),
            Some(&json!({"expected_version": 2})),
        )
        .await;
    assert_problem(&r, StatusCode::CONFLICT, None, "a stale resolve");
    let r = app
        .call(
            "POST",
            &format!("{incident}/resolve"),
            Some(&t.agent),
            Some(&json!({"expected_version": 3})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert_eq!(r.json["status"], "resolved");
}

// ----- 4. OpenAPI --------------------------------------------------------------------------

/// The generated document is OpenAPI 3.1 and documents exactly the route table's `/v1`
/// operations, each secured by the bearer token and documenting its 401 and 403.
async fn openapi_documents_every_route(app: &App) {
    let r = app.call("GET", "/openapi.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert!(r.content_type.starts_with("application/json"), "{r}");
    let doc = &r.json;
    let version = doc["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1."), "OpenAPI {version}, not 3.1.x");

    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if [
                "get", "put", "post", "patch", "delete", "head", "options", "trace",
            ]
            .contains(&method.as_str())
            {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    for hook in WEBHOOKS {
        let op = &doc["paths"][*hook]["post"];
        assert!(op.is_object(), "{hook} is documented");
        assert!(op.get("security").is_none(), "{hook} takes no API token");
        // With no secret configured, every delivery is refused, as problem+json.
        let r = app.call("POST", hook, None, Some(&json!({}))).await;
        assert_problem(&r, StatusCode::UNAUTHORIZED, None, hook);
        assert!(
            r.json["detail"].as_str().unwrap().contains("not accepted"),
            "{r}"
        );
    }
    let v1_documented: BTreeSet<(String, String)> = documented
        .iter()
        .filter(|(_, p)| p.starts_with("/v1/") && !WEBHOOKS.contains(&p.as_str()))
        .cloned()
        .collect();
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    let undocumented: Vec<_> = served.difference(&v1_documented).collect();
    let unserved: Vec<_> = v1_documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served but not documented: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "documented but not in the route table: {unserved:?}"
    );
    // Anything else documented is an inbound webhook (checked above) or an open operations
    // endpoint.
    for (method, path) in documented.difference(&v1_documented) {
        assert!(
            (WEBHOOKS.contains(&path.as_str()) && method == "POST")
                || (OPEN.contains(&path.as_str()) && method == "GET"),
            "{method} {path}"
        );
    }

    assert_eq!(
        doc["components"]["securitySchemes"]["token"]["scheme"]
            .as_str()
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("bearer"),
        "{}",
        doc["components"]
    );
    for route in ROUTES {
        let op = &doc["paths"][route.path][route.method.to_lowercase()];
        let what = format!("{} {}", route.method, route.path);
        assert!(
            op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| s.get("token").is_some())),
            "{what} is not documented as needing the token: {op}"
        );
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.contains_key("401"),
            "{what} does not document 401"
        );
        if route.least > Role::Viewer {
            assert!(
                responses.contains_key("403"),
                "{what} does not document 403"
            );
        }
        if route.method != "GET" {
            assert!(
                op.get("requestBody").is_some(),
                "{what} documents no request body"
            );
        }
        let success = responses.keys().filter(|k| k.starts_with('2')).count();
        assert_eq!(success, 1, "{what} documents one success response");
    }
    for schema in ["Problem", "FieldError"] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "{schema} schema missing"
        );
    }
}

// ----- 5. metrics --------------------------------------------------------------------------

/// One sample line of the text exposition: name, labels and value.
fn samples(text: &str) -> Vec<(String, BTreeMap<String, String>, f64)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap();
            let (name, labels) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.strip_suffix('}').unwrap()),
                None => (series, ""),
            };
            let labels = labels
                .split("\",")
                .filter(|kv| !kv.is_empty())
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap();
                    (k.to_string(), v.trim_matches('"').to_string())
                })
                .collect();
            (name.to_string(), labels, value.parse().unwrap())
        })
        .collect()
}

async fn metrics_count_requests_by_route(app: &App) {
    let t = &app.t;
    let r = app
        .call(
            "POST",
            "/v1/incidents",
            Some(&t.agent),
            Some(&demo_incident(&["enterprise"])),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r}");
    for _ in 0..3 {
        assert_eq!(
            app.get(&format!("/v1/incidents/{INC}"), &t.viewer)
                .await
                .status,
            StatusCode::OK
        );
    }
    assert_eq!(
        app.get("/v1/incidents/INC-ELSEWHERE", &t.viewer)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/v1/no-such-thing-4711", &t.viewer).await.status,
        StatusCode::NOT_FOUND
    );

    let r = app.call("GET", "/metrics", None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert!(
        r.content_type.starts_with("application/openmetrics-text")
            || r.content_type.starts_with("text/plain"),
        "{r}"
    );
    let samples = samples(&r.text);
    let count = |method: &str, route: &str, status: &str| {
        samples
            .iter()
            .filter(|(name, labels, _)| {
                name == "amends_http_requests_total"
                    && labels.get("method").map(String::as_str) == Some(method)
                    && labels.get("route").map(String::as_str) == Some(route)
                    && labels.get("status").map(String::as_str) == Some(status)
            })
            .map(|(_, _, v)| *v)
            .sum::<f64>()
    };
    assert_eq!(count("GET", "/v1/incidents/{id}", "200"), 3.0, "{}", r.text);
    assert_eq!(count("GET", "/v1/incidents/{id}", "404"), 1.0, "{}", r.text);
    assert_eq!(count("POST", "/v1/incidents", "201"), 1.0, "{}", r.text);
    // Routes are labelled by their template, never by the raw path (bounded cardinality).
    for raw in [INC, "INC-ELSEWHERE", "no-such-thing-4711"] {
        assert!(
            !samples
                .iter()
                .any(|(_, labels, _)| labels.values().any(|v| v.contains(raw))),
            "a raw path ({raw}) became a label: {}",
            r.text
        );
    }
    let latency = samples
        .iter()
        .find(|(name, labels, _)| {
            name == "amends_http_request_duration_seconds_count"
                && labels.get("route").map(String::as_str) == Some("/v1/incidents/{id}")
        })
        .map(|(_, _, v)| *v);
    assert_eq!(
        latency,
        Some(4.0),
        "latency observed per request: {}",
        r.text
    );
}
