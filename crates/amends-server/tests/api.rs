//! The HTTP API end to end: the real app on port 0 over a fresh database per test, on SQLite
//! and on PostgreSQL (the machine's server; unreachable PostgreSQL fails, never skips).

use std::sync::atomic::{AtomicU32, Ordering};

use amends_core::account;
use amends_core::playbook::Playbook;
use amends_server::auth::{Role, new_token};
use amends_server::{AppState, Lifecycle, app, bundled, metrics};
use amends_store::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

fn unique() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// A fresh database URL, and for PostgreSQL the (admin URL, name) to drop it afterwards.
async fn database_url(backend: Backend) -> (String, Option<(String, String)>) {
    match backend {
        Backend::Sqlite => (
            format!(
                "sqlite:{}",
                std::env::temp_dir()
                    .join(format!("amends-api-{}.db", unique()))
                    .display()
            ),
            None,
        ),
        Backend::Postgres => {
            let admin = std::env::var("AMENDS_TEST_POSTGRES")
                .unwrap_or_else(|_| DEFAULT_POSTGRES.to_string());
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is not reachable at {admin}: {e}. These tests run against a real \
                     server: start it, or set AMENDS_TEST_POSTGRES."
                )
            });
            let name = format!("amends_api_{}", unique());
            sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            let base = admin.rsplit_once('/').unwrap().0;
            (format!("{base}/{name}"), Some((admin, name)))
        }
    }
}

/// Drops a test's PostgreSQL database once the test passed (a failed one is left to inspect).
async fn drop_database(db: Option<(String, String)>) {
    if let Some((admin, name)) = db {
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
}

/// Tokens of every role (two approvers: the playbook's vp_support and support_director).
struct Tokens {
    viewer: String,
    agent: String,
    dana: String,
    marcus: String,
    admin: String,
}

struct App {
    base: String,
    http: reqwest::Client,
    t: Tokens,
    store: Store,
    database: Option<(String, String)>,
}

async fn spawn(backend: Backend) -> App {
    let (url, database) = database_url(backend).await;
    let store = Store::connect(&url).await.unwrap();
    let playbook = Playbook::parse("playbook", bundled::PLAYBOOK).unwrap();
    let accounts = account::parse_csv("accounts.csv", bundled::ACCOUNTS, &playbook).unwrap();
    let specs: Vec<account::AccountSpec> = accounts.iter().map(Into::into).collect();
    store.upsert_accounts(&specs, "test").await.unwrap();
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
    let state = AppState {
        lifecycle: Lifecycle {
            store: store.clone(),
            playbook: std::sync::Arc::new(playbook),
        },
        metrics: metrics::Metrics::new(),
    };
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
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value, String) {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let ct = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let text = res.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::Null);
        (status, value, ct)
    }

    async fn audit_count(&self) -> i64 {
        self.store.audit_entries(0, 100_000).await.unwrap().len() as i64
    }
}

/// The demo incident as JSON, open (no resolved_at), with the given tiers.
fn declared(tiers: &[&str]) -> Value {
    json!({
        "id": "INC-2024-1015",
        "title": "Service unavailable: database migration error",
        "type": "outage",
        "features": ["web application", "API"],
        "core_feature": true,
        "workaround": false,
        "started_at": "2024-10-15T10:00:00-04:00",
        "detected_at": "2024-10-15T10:00:00-04:00",
        "known_cause": "A database migration error during planned maintenance made the service unavailable.",
        "affected": { "tiers": tiers }
    })
}

macro_rules! both {
    ($($name:ident => $sqlite:ident, $postgres:ident;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() { $name(spawn(Backend::Sqlite).await).await }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            let app = spawn(Backend::Postgres).await;
            let database = app.database.clone();
            $name(app).await;
            drop_database(database).await;
        }
    )*};
}

both! {
    worked_example_lifecycle => sqlite_worked_example_lifecycle, postgres_worked_example_lifecycle;
    role_matrix => sqlite_role_matrix, postgres_role_matrix;
    bad_input => sqlite_bad_input, postgres_bad_input;
    openapi_matches_the_router => sqlite_openapi_matches_the_router, postgres_openapi_matches_the_router;
}

async fn worked_example_lifecycle(app: App) {
    let t = &app.t;
    // Declared at detection with the Enterprise tier known.
    let (s, inc, _) = app
        .call(
            "POST",
            "/v1/incidents",
            Some(&t.agent),
            Some(declared(&["enterprise"])),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{inc}");
    assert_eq!(inc["version"], 1);
    assert_eq!(inc["severity"], "S1", "open full outage: S1 provisionally");
    // Growth turns out to be affected too.
    let (s, inc, _) = app
        .call(
            "PATCH",
            "/v1/incidents/INC-2024-1015",
            Some(&t.agent),
            Some(json!({"expected_version": 1, "affected": {"tiers": ["enterprise", "growth"]}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{inc}");
    assert_eq!(inc["version"], 2);
    // Resolved at 14:00.
    let (s, inc, _) = app
        .call(
            "POST",
            "/v1/incidents/INC-2024-1015/resolve",
            Some(&t.agent),
            Some(json!({"expected_version": 2, "resolved_at": "2024-10-15T14:00:00-04:00"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{inc}");
    assert_eq!(
        (inc["status"].as_str(), inc["severity"].as_str()),
        (Some("resolved"), Some("S1"))
    );

    let (_, plans, _) = app
        .call(
            "GET",
            "/v1/incidents/INC-2024-1015/plans",
            Some(&t.viewer),
            None,
        )
        .await;
    let plans = plans.as_array().unwrap();
    assert_eq!(plans.len(), 3);
    assert_eq!(plans[0]["diff"], json!(["first plan"]));
    assert!(
        plans[1]["diff"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l.as_str().unwrap().starts_with("+ acct-"))
            .count()
            == 150,
        "the 150 Growth accounts join: {}",
        plans[1]["diff"]
    );
    let (s, plan, ct) = app
        .call(
            "GET",
            "/v1/incidents/INC-2024-1015/plan",
            Some(&t.viewer),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.starts_with("application/json"));
    assert_eq!(plan["schema"], "amends.plan/v1");
    assert_eq!(plan["accounts"].as_array().unwrap().len(), 180);
    let (_, rems, _) = app
        .call(
            "GET",
            "/v1/incidents/INC-2024-1015/remediations",
            Some(&t.viewer),
            None,
        )
        .await;
    let northwind = rems
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["account_id"] == "acct-0001")
        .unwrap()
        .clone();
    assert_eq!(
        (northwind["credit"].as_str(), northwind["status"].as_str()),
        (Some("1806.45"), Some("automatic"))
    );

    // A person judges it S2 (not automatic: Enterprise credits wait for Dana, VP Support).
    let (s, inc, _) = app
        .call("PATCH", "/v1/incidents/INC-2024-1015", Some(&t.agent),
            Some(json!({"expected_version": 3, "severity_override": {"severity": "S2", "reason": "Status page showed partial availability"}})))
        .await;
    assert_eq!(s, StatusCode::OK, "{inc}");
    assert_eq!(inc["severity"], "S2");
    let path = "/v1/incidents/INC-2024-1015/remediations/acct-0001/approve";
    let (_, rem, _) = app
        .call(
            "GET",
            "/v1/incidents/INC-2024-1015/remediations",
            Some(&t.viewer),
            None,
        )
        .await;
    let r1 = rem
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["account_id"] == "acct-0001")
        .unwrap();
    assert_eq!(
        (
            r1["status"].as_str(),
            r1["credit"].as_str(),
            r1["approver"].as_str()
        ),
        (Some("pending_approval"), Some("800.00"), Some("vp_support"))
    );
    // 800.00: the contract SLA (10% of 8000.00) is greater than the 1-day credit (258.06).
    // Only the named approver.
    let (s, p, ct) = app
        .call("POST", path, Some(&t.marcus), Some(json!({})))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(ct, "application/problem+json");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("Dana Whitfield (vp_support)"),
        "{p}"
    );
    let (s, _, _) = app
        .call("POST", path, Some(&t.agent), Some(json!({})))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, r, _) = app.call("POST", path, Some(&t.dana), Some(json!({}))).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "approved");
    // An admin in the approver's place must say why, and it is recorded.
    let path2 = "/v1/incidents/INC-2024-1015/remediations/acct-0002/approve";
    let (s, p, _) = app
        .call("POST", path2, Some(&t.admin), Some(json!({})))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "reason");
    let (s, r, _) = app
        .call(
            "POST",
            path2,
            Some(&t.admin),
            Some(json!({"reason": "Dana is on leave"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["override_reason"], "Dana is on leave");

    let (s, v, _) = app
        .call("GET", "/v1/audit/verify", Some(&t.admin), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["intact"], true, "{v}");
    let (_, audit, _) = app
        .call("GET", "/v1/audit?limit=1000", Some(&t.admin), None)
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for needed in [
        "incident.declare",
        "incident.update",
        "incident.resolve",
        "incident.severity_override",
        "remediation.decide",
        "remediation.approve",
        "remediation.approve_override",
    ] {
        assert!(
            actions.contains(&needed),
            "{needed} missing from {actions:?}"
        );
    }
    let (_, events, _) = app
        .call(
            "GET",
            "/v1/incidents/INC-2024-1015/events",
            Some(&t.viewer),
            None,
        )
        .await;
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["declare", "update", "resolve", "update"]);
}

/// Every route, its least role: no token is 401, below is 403, the role and above pass auth.
async fn role_matrix(app: App) {
    let (s, _, _) = app
        .call(
            "POST",
            "/v1/incidents",
            Some(&app.t.agent),
            Some(declared(&["enterprise", "growth"])),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let inc = "/v1/incidents/INC-2024-1015";
    let routes: Vec<(&str, String, Role, Option<Value>)> = vec![
        ("GET", "/v1/incidents".into(), Role::Viewer, None),
        (
            "POST",
            "/v1/incidents".into(),
            Role::Agent,
            Some(declared(&["growth"])),
        ),
        ("GET", inc.into(), Role::Viewer, None),
        (
            "PATCH",
            inc.into(),
            Role::Agent,
            Some(json!({"expected_version": 99})),
        ),
        (
            "POST",
            format!("{inc}/resolve"),
            Role::Agent,
            Some(json!({"expected_version": 99})),
        ),
        (
            "POST",
            format!("{inc}/reopen"),
            Role::Agent,
            Some(json!({"expected_version": 99, "reason": "x"})),
        ),
        ("GET", format!("{inc}/events"), Role::Viewer, None),
        ("GET", format!("{inc}/plans"), Role::Viewer, None),
        ("GET", format!("{inc}/plan"), Role::Viewer, None),
        ("GET", format!("{inc}/remediations"), Role::Viewer, None),
        (
            "POST",
            format!("{inc}/remediations/acct-0031/approve"),
            Role::Approver,
            Some(json!({})),
        ),
        (
            "POST",
            format!("{inc}/remediations/acct-0031/reject"),
            Role::Approver,
            Some(json!({})),
        ),
        ("GET", "/v1/accounts".into(), Role::Viewer, None),
        ("GET", "/v1/accounts/acct-0001".into(), Role::Viewer, None),
        ("POST", "/v1/accounts".into(), Role::Admin, Some(json!([]))),
        ("GET", "/v1/audit".into(), Role::Admin, None),
        ("GET", "/v1/audit/verify".into(), Role::Admin, None),
    ];
    let t = &app.t;
    let by_role = [
        (Role::Viewer, &t.viewer),
        (Role::Agent, &t.agent),
        (Role::Approver, &t.marcus),
        (Role::Admin, &t.admin),
    ];
    for (method, path, least, body) in &routes {
        let (s, p, ct) = app.call(method, path, None, body.clone()).await;
        assert_eq!(
            s,
            StatusCode::UNAUTHORIZED,
            "{method} {path} without a token"
        );
        assert_eq!(ct, "application/problem+json", "{method} {path}");
        assert_eq!(p["status"], 401);
        let (s, _, _) = app
            .call(method, path, Some("amends_nope_0000"), body.clone())
            .await;
        assert_eq!(
            s,
            StatusCode::UNAUTHORIZED,
            "{method} {path} with an unknown token"
        );
        for (role, token) in &by_role {
            let (s, p, _) = app.call(method, path, Some(token), body.clone()).await;
            if role < least {
                assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path} as {role}: {p}");
            } else {
                assert!(
                    s != StatusCode::UNAUTHORIZED && s != StatusCode::FORBIDDEN,
                    "{method} {path} as {role}: {s} {p}"
                );
            }
        }
    }
    for open in ["/healthz", "/readyz", "/metrics", "/openapi.json"] {
        let (s, _, _) = app.call("GET", open, None, None).await;
        assert_eq!(s, StatusCode::OK, "{open}");
    }
    let (_, _, _) = app.call("GET", "/metrics", None, None).await;
    let text = app
        .http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            "amends_http_requests_total{method=\"GET\",route=\"/v1/incidents/{id}\",status=\"200\"}"
        ),
        "{text}"
    );
}

async fn bad_input(app: App) {
    let t = &app.t;
    let (s, _, _) = app
        .call(
            "POST",
            "/v1/incidents",
            Some(&t.agent),
            Some(declared(&["enterprise", "growth"])),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let audit_before = app.audit_count().await;
    let raw = |body: &'static str, ct: Option<&'static str>| {
        let mut req = app
            .http
            .post(format!("{}/v1/incidents", app.base))
            .bearer_auth(&t.agent)
            .body(body);
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        req
    };
    let check = async |req: reqwest::RequestBuilder, status: StatusCode, field: Option<&str>| {
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), status);
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let p: Value = res.json().await.unwrap();
        if let Some(f) = field {
            assert!(
                p["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["field"] == f),
                "{f} in {p}"
            );
        }
        p
    };
    check(
        raw("{\"id\": ", Some("application/json")),
        StatusCode::BAD_REQUEST,
        Some("body"),
    )
    .await;
    let mut unknown = declared(&["growth"]);
    unknown["id"] = json!("INC-X");
    unknown["colour"] = json!("red");
    check(
        app.http
            .post(format!("{}/v1/incidents", app.base))
            .bearer_auth(&t.agent)
            .json(&unknown),
        StatusCode::BAD_REQUEST,
        None,
    )
    .await;
    let mut wrong = declared(&["growth"]);
    wrong["id"] = json!("INC-X");
    wrong["core_feature"] = json!("yes");
    check(
        app.http
            .post(format!("{}/v1/incidents", app.base))
            .bearer_auth(&t.agent)
            .json(&wrong),
        StatusCode::BAD_REQUEST,
        Some("core_feature"),
    )
    .await;
    check(raw("{}", None), StatusCode::UNSUPPORTED_MEDIA_TYPE, None).await;
    let huge: &'static str =
        Box::leak(format!("{{\"id\": \"{}\"}}", "x".repeat(2 * 1024 * 1024)).into_boxed_str());
    check(
        raw(huge, Some("application/json")),
        StatusCode::PAYLOAD_TOO_LARGE,
        None,
    )
    .await;
    let mut tz = declared(&["growth"]);
    tz["id"] = json!("INC-X");
    tz["started_at"] = json!("2024-10-15T10:00:00[Mars/Olympus]");
    check(
        app.http
            .post(format!("{}/v1/incidents", app.base))
            .bearer_auth(&t.agent)
            .json(&tz),
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("started_at"),
    )
    .await;
    let mut tier = declared(&["platinum"]);
    tier["id"] = json!("INC-X");
    let p = check(
        app.http
            .post(format!("{}/v1/incidents", app.base))
            .bearer_auth(&t.agent)
            .json(&tier),
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
    )
    .await;
    assert!(
        p["errors"][0]["field"]
            .as_str()
            .unwrap()
            .starts_with("affected"),
        "{p}"
    );
    check(
        app.http
            .get(format!("{}/v1/incidents?limit=0", app.base))
            .bearer_auth(&t.viewer),
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("limit"),
    )
    .await;
    check(
        app.http
            .get(format!("{}/v1/incidents/NOPE", app.base))
            .bearer_auth(&t.viewer),
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    // Nothing of the above was written.
    assert_eq!(app.audit_count().await, audit_before);
    let (_, list, _) = app
        .call("GET", "/v1/incidents", Some(&t.viewer), None)
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // A stale version is a conflict; a retry with the current one succeeds.
    let patch = |v: i64| json!({"expected_version": v, "known_cause": "a migration"});
    let (s, _, _) = app
        .call(
            "PATCH",
            "/v1/incidents/INC-2024-1015",
            Some(&t.agent),
            Some(patch(1)),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, p, ct) = app
        .call(
            "PATCH",
            "/v1/incidents/INC-2024-1015",
            Some(&t.agent),
            Some(patch(1)),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    assert_eq!(ct, "application/problem+json");
    let (s, inc, _) = app
        .call(
            "PATCH",
            "/v1/incidents/INC-2024-1015",
            Some(&t.agent),
            Some(patch(2)),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(inc["version"], 3);
}

/// The OpenAPI document is generated from the handlers; every route the router serves is in
/// it with its method, and nothing else is.
async fn openapi_matches_the_router(app: App) {
    let (s, doc, _) = app.call("GET", "/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let served = [
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("get", "/v1/incidents"),
        ("post", "/v1/incidents"),
        ("get", "/v1/incidents/{id}"),
        ("patch", "/v1/incidents/{id}"),
        ("post", "/v1/incidents/{id}/resolve"),
        ("post", "/v1/incidents/{id}/reopen"),
        ("get", "/v1/incidents/{id}/events"),
        ("get", "/v1/incidents/{id}/plans"),
        ("get", "/v1/incidents/{id}/plan"),
        ("get", "/v1/incidents/{id}/remediations"),
        ("post", "/v1/incidents/{id}/remediations/{account}/approve"),
        ("post", "/v1/incidents/{id}/remediations/{account}/reject"),
        ("get", "/v1/accounts"),
        ("post", "/v1/accounts"),
        ("get", "/v1/accounts/{id}"),
        ("get", "/v1/audit"),
        ("get", "/v1/audit/verify"),
    ];
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            documented.push((method.clone(), path.clone()));
        }
    }
    documented.sort();
    let mut expected: Vec<(String, String)> = served
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    expected.sort();
    assert_eq!(documented, expected);
    // And each documented route answers (with a token) rather than 404/405.
    for (method, path) in served {
        let concrete = path
            .replace("{id}", "INC-NONE")
            .replace("{account}", "acct-0001");
        let (s, _, _) = app
            .call(
                &method.to_uppercase(),
                &concrete,
                Some(&app.t.admin),
                Some(json!({})),
            )
            .await;
        assert_ne!(s, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        if !path.contains('{') {
            assert_ne!(s, StatusCode::NOT_FOUND, "{method} {path}");
        }
    }
}
