//! The store's integration suite, run the same on both backends: every test below exists as
//! `sqlite_<name>` (a new SQLite file under the temp directory) and `postgres_<name>` (a new
//! database on the PostgreSQL server named by `AMENDS_TEST_POSTGRES`, by default
//! `postgres://postgres@127.0.0.1:5432/postgres`). An unreachable PostgreSQL fails the
//! PostgreSQL tests with a message saying so; nothing is skipped.
//!
//! Covered: migrations, the accounts registry and pagination, incident writes with optimistic
//! concurrency (nothing written on a conflict), events and plan versions, the remediation
//! merge and decisions, API tokens, the hash-chained audit trail with its append-only
//! triggers and tamper detection, and concurrent writers (two stores, like two processes).

use std::sync::atomic::{AtomicU32, Ordering};

use amends_core::account::{AccountSpec, ContactSpec};
use amends_core::incident::{IncidentSpec, OverrideSpec, ScopeSpec};
use amends_store::audit::GENESIS;
use amends_store::{
    Backend, Decision, IncidentChange, IncidentStatus, NewRemediation, PageRequest, RemediationRow,
    RemediationStatus, Store, StoreError, TokenRow,
};
use sqlx::Connection;

// ----- harness -----------------------------------------------------------------------------

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh database for one test, and the store opened on it.
struct Db {
    backend: Backend,
    /// The URL `Store::connect` takes.
    url: String,
    /// The URL a raw sqlx `Any` connection takes.
    raw_url: String,
    /// PostgreSQL: the database's name and the server's admin URL, to drop it afterwards.
    pg: Option<(String, String)>,
    /// SQLite: the file, to remove it afterwards.
    file: Option<std::path::PathBuf>,
    store: Store,
}

fn unique_suffix() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}_{n}_{nanos}", std::process::id())
}

fn postgres_admin_url() -> String {
    std::env::var("AMENDS_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_string())
}

/// Replaces the database name (the path) of a PostgreSQL URL, keeping any query string.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    format!("{}/{name}{query}", &base[..host_end])
}

async fn admin_connection(admin: &str) -> sqlx::PgConnection {
    match tokio::time::timeout(
        std::time::Duration::from_secs(10),
        sqlx::PgConnection::connect(admin),
    )
    .await
    {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => panic!(
            "PostgreSQL is not reachable at {admin}: {e}. The store suite runs against a real \
             PostgreSQL server: start one, or point AMENDS_TEST_POSTGRES at one."
        ),
        Err(_) => panic!(
            "PostgreSQL at {admin} did not answer within 10 s. The store suite runs against a \
             real PostgreSQL server: start one, or point AMENDS_TEST_POSTGRES at one."
        ),
    }
}

async fn fresh_db(backend: Backend) -> Db {
    match backend {
        Backend::Sqlite => {
            let file = std::env::temp_dir().join(format!("amends-store-t-{}.db", unique_suffix()));
            let url = format!("sqlite:{}", file.display());
            let store = Store::connect(&url)
                .await
                .unwrap_or_else(|e| panic!("opening {url}: {e}"));
            Db {
                backend,
                raw_url: format!("sqlite://{}", file.display()),
                url,
                pg: None,
                file: Some(file),
                store,
            }
        }
        Backend::Postgres => {
            let admin = postgres_admin_url();
            let name = format!("amends_t_{}", unique_suffix());
            let mut conn = admin_connection(&admin).await;
            sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("CREATE DATABASE {name} on {admin}: {e}"));
            conn.close().await.ok();
            let url = with_database(&admin, &name);
            let store = Store::connect(&url)
                .await
                .unwrap_or_else(|e| panic!("opening {url}: {e}"));
            assert_eq!(store.backend(), Backend::Postgres);
            Db {
                backend,
                raw_url: url.clone(),
                url,
                pg: Some((name, admin)),
                file: None,
                store,
            }
        }
    }
}

/// A store on a fresh database of `backend`.
async fn fresh(backend: Backend) -> Store {
    let db = fresh_db(backend).await;
    assert_eq!(db.store.backend(), backend);
    db.store
}

impl Db {
    /// Another store on the same database: another pool, as another process would have.
    async fn second_store(&self) -> Store {
        Store::connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("opening {} again: {e}", self.url))
    }

    /// Runs SQL on the database behind the store's back.
    async fn raw(&self, sql: &str) -> Result<u64, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.raw_url).await?;
        let done = sqlx::raw_sql(sql).execute(&mut conn).await?;
        conn.close().await?;
        Ok(done.rows_affected())
    }

    /// Makes the audit trail editable (as an attacker with database access could).
    async fn disable_append_only(&self) {
        let sql = match self.backend {
            Backend::Sqlite => {
                "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
            }
            Backend::Postgres => "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
        };
        self.raw(sql)
            .await
            .expect("disabling the append-only triggers");
    }

    /// Drops the database (or removes the file). Only reached when the test passed, so a
    /// failing test leaves its database behind to look at.
    async fn cleanup(self) {
        drop(self.store);
        if let Some((name, admin)) = self.pg {
            let mut conn = admin_connection(&admin).await;
            sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await
                .ok();
            conn.close().await.ok();
        }
        if let Some(file) = self.file {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = file.clone().into_os_string();
                p.push(suffix);
                std::fs::remove_file(p).ok();
            }
        }
    }
}

/// Generates `#[tokio::test] fn sqlite_x` and `fn postgres_x` from one `async fn x(Db)`.
macro_rules! both {
    ($($body:ident => $sqlite:ident, $postgres:ident;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $sqlite() {
            $body(fresh_db(Backend::Sqlite).await).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $postgres() {
            $body(fresh_db(Backend::Postgres).await).await;
        }
    )*};
}

// ----- test data ---------------------------------------------------------------------------

fn account(id: &str, name: &str, fee: &str) -> AccountSpec {
    AccountSpec {
        id: id.into(),
        name: name.into(),
        tier: "enterprise".into(),
        segment: Some("emea".into()),
        monthly_fee: fee.into(),
        currency: "EUR".into(),
        sla: None,
        owner: Some("dana".into()),
        contacts: vec![ContactSpec {
            name: format!("Ops at {name}"),
            email: Some(format!("ops@{id}.example")),
            phone: None,
            preferred_channel: "email".into(),
            time_zone: "Europe/Berlin".into(),
            locale: Some("de-DE".into()),
        }],
    }
}

fn spec_json(id: &str, title: &str, resolved: bool, accounts: &[&str]) -> String {
    let spec = IncidentSpec {
        id: id.into(),
        title: title.into(),
        failure_type: "outage".into(),
        features: vec!["api".into()],
        core_feature: true,
        workaround: false,
        started_at: "2024-10-15T10:00:00Z".into(),
        detected_at: "2024-10-15T10:05:00Z".into(),
        resolved_at: resolved.then(|| "2024-10-15T14:00:00Z".into()),
        affected: ScopeSpec {
            accounts: accounts.iter().map(|a| a.to_string()).collect(),
            ..ScopeSpec::default()
        },
        known_cause: None,
        severity_override: None,
        triage: None,
    };
    serde_json::to_string(&spec).unwrap()
}

fn rem(account: &str, credit: &str, automatic: bool) -> NewRemediation {
    NewRemediation {
        account_id: account.into(),
        rule: 3,
        credit: credit.into(),
        currency: "EUR".into(),
        approver: "vp-support".into(),
        automatic,
    }
}

/// A change creating (`expected` None) or updating an incident. The spec's title carries
/// `event` so every change stores a different spec.
fn change(
    id: &str,
    expected: Option<i64>,
    event: &str,
    remediations: Vec<NewRemediation>,
) -> IncidentChange {
    let accounts: Vec<&str> = remediations.iter().map(|r| r.account_id.as_str()).collect();
    let resolved = event == "resolve";
    IncidentChange {
        id: id.into(),
        expected_version: expected,
        actor: "cli:ic".into(),
        event: event.into(),
        event_detail: format!("{{\"event\":\"{event}\"}}"),
        spec: spec_json(id, &format!("API outage ({event})"), resolved, &accounts),
        status: if resolved {
            IncidentStatus::Resolved
        } else {
            IncidentStatus::Open
        },
        severity: "S1".into(),
        severity_override: None,
        snapshot: format!("{{\"snapshot\":\"{event}\"}}"),
        plan: format!("{{\"schema\":\"amends.plan/v1\",\"event\":\"{event}\"}}"),
        diff: vec![format!("{event}: plan changed")],
        remediations,
        jobs: None,
    }
}

fn decision(incident: &str, account: &str, approve: bool, actor: &str) -> Decision {
    Decision {
        incident: incident.into(),
        account: account.into(),
        approve,
        actor: actor.into(),
        override_reason: None,
    }
}

async fn audit_count(store: &Store) -> i64 {
    store
        .verify_audit()
        .await
        .expect("reading the audit trail")
        .expect("the audit trail verifies")
        .entries
}

async fn audit_actions(store: &Store) -> Vec<(String, String)> {
    store
        .audit_entries(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.record.action, e.record.subject))
        .collect()
}

fn by_account<'a>(rows: &'a [RemediationRow], account: &str) -> &'a RemediationRow {
    rows.iter()
        .find(|r| r.account_id == account)
        .unwrap_or_else(|| panic!("no remediation for {account} in {rows:#?}"))
}

// ----- migrations --------------------------------------------------------------------------

both! {
    migrations_are_idempotent => sqlite_migrations_are_idempotent, postgres_migrations_are_idempotent;
}

async fn migrations_are_idempotent(db: Db) {
    db.store
        .upsert_accounts(&[account("acct-1", "Acme", "100.00")], "cli:test")
        .await
        .unwrap();
    // A second and a third connection (one while another is open) migrate nothing and
    // lose nothing.
    let again = db.second_store().await;
    let third = db.second_store().await;
    assert_eq!(again.account("acct-1").await.unwrap().name, "Acme");
    assert_eq!(third.account_specs().await.unwrap().len(), 1);
    assert_eq!(audit_count(&third).await, 1);
    let applied: Vec<i64> = {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&db.raw_url).await.unwrap();
        let rows: Vec<(i64,)> =
            sqlx::query_as("SELECT version FROM _sqlx_migrations ORDER BY version")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        rows.into_iter().map(|(v,)| v).collect()
    };
    assert_eq!(
        applied,
        vec![1, 2, 3, 4, 5, 6, 7, 8],
        "each migration is recorded once"
    );
    again.ping().await.unwrap();
    drop((again, third));
    db.cleanup().await;
}

#[tokio::test]
async fn an_unsupported_url_is_refused() {
    let e = Store::connect("mysql://root@localhost/amends")
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::UnsupportedUrl(_)), "{e:?}");
    // The refusal names the URL without its password.
    let e = Store::connect("mysql://me:secret@localhost/amends")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("me:***@localhost"), "{e}");
    assert!(!e.to_string().contains("secret"), "{e}");
}

#[tokio::test]
async fn the_location_names_the_store_without_its_password() {
    let s = fresh(Backend::Sqlite).await;
    assert!(s.location().starts_with("SQLite file "), "{}", s.location());
    assert_eq!(
        amends_store::redact("postgres://amends:hunter2@db:5432/amends"),
        "postgres://amends:***@db:5432/amends"
    );
}

// ----- accounts ----------------------------------------------------------------------------

both! {
    accounts_upsert_counts_and_paginates => sqlite_accounts_upsert_counts_and_paginates, postgres_accounts_upsert_counts_and_paginates;
}

async fn accounts_upsert_counts_and_paginates(db: Db) {
    let s = &db.store;
    let first: Vec<AccountSpec> = (1..=5)
        .map(|i| account(&format!("acct-{i}"), &format!("Company {i}"), "100.00"))
        .collect();
    let summary = s.upsert_accounts(&first, "cli:import").await.unwrap();
    assert_eq!(
        (summary.inserted, summary.updated, summary.unchanged),
        (5, 0, 0)
    );

    let mut second = first.clone();
    second[1].monthly_fee = "250.00".into();
    second[3].name = "Renamed Ltd".into();
    second.push(account("acct-6", "Company 6", "90.00"));
    let summary = s.upsert_accounts(&second, "cli:import").await.unwrap();
    assert_eq!(
        (summary.inserted, summary.updated, summary.unchanged),
        (1, 2, 3)
    );

    // The same import again changes nothing.
    let summary = s.upsert_accounts(&second, "cli:import").await.unwrap();
    assert_eq!(
        (summary.inserted, summary.updated, summary.unchanged),
        (0, 0, 6)
    );

    assert_eq!(s.account("acct-2").await.unwrap().monthly_fee, "250.00");
    assert_eq!(s.account("acct-4").await.unwrap(), second[3]);
    let e = s.account("acct-404").await.unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::NotFound {
                what: "account",
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(s.account_specs().await.unwrap(), second);

    // Pages of 2, followed to the end: every account once, in id order.
    let mut seen = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let page = s
            .list_accounts(&PageRequest {
                after: after.clone(),
                limit: 2,
            })
            .await
            .unwrap();
        pages += 1;
        assert!(page.items.len() <= 2, "{page:?}");
        seen.extend(page.items.iter().map(|a| a.id.clone()));
        match page.next {
            Some(next) => {
                assert_eq!(Some(&next), seen.last(), "next is the last id of the page");
                after = Some(next);
            }
            None => break,
        }
        assert!(pages < 10, "pagination does not end: {seen:?}");
    }
    let all: Vec<String> = (1..=6).map(|i| format!("acct-{i}")).collect();
    assert_eq!(seen, all);
    assert_eq!(pages, 3);
    // A page size larger than the registry: one page, no next.
    let page = s
        .list_accounts(&PageRequest {
            after: None,
            limit: 50,
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 6);
    assert_eq!(page.next, None);

    // Each import is one audit entry with its summary.
    let entries = s.audit_entries(0, 100).await.unwrap();
    assert_eq!(entries.len(), 3);
    assert!(
        entries
            .iter()
            .all(|e| e.record.action == "accounts.import" && e.record.actor == "cli:import")
    );
    let after: serde_json::Value =
        serde_json::from_str(entries[1].record.after.as_deref().unwrap()).unwrap();
    assert_eq!(
        after,
        serde_json::json!({"inserted": 1, "updated": 2, "unchanged": 3})
    );
    db.cleanup().await;
}

// ----- incidents ---------------------------------------------------------------------------

both! {
    incident_lifecycle_keeps_events_and_plan_versions => sqlite_incident_lifecycle_keeps_events_and_plan_versions, postgres_incident_lifecycle_keeps_events_and_plan_versions;
    a_stale_version_is_a_conflict_and_writes_nothing => sqlite_a_stale_version_is_a_conflict_and_writes_nothing, postgres_a_stale_version_is_a_conflict_and_writes_nothing;
    creating_an_existing_incident_is_a_conflict => sqlite_creating_an_existing_incident_is_a_conflict, postgres_creating_an_existing_incident_is_a_conflict;
    incidents_paginate => sqlite_incidents_paginate, postgres_incidents_paginate;
}

async fn incident_lifecycle_keeps_events_and_plan_versions(db: Db) {
    let s = &db.store;
    let created = s
        .write_incident(change("INC-1", None, "declare", vec![]))
        .await
        .unwrap();
    assert_eq!((created.version, created.plan_version), (1, 1));
    assert_eq!(created.status, IncidentStatus::Open);
    assert_eq!(s.incident("INC-1").await.unwrap(), created);

    let mut update = change("INC-1", Some(1), "update", vec![]);
    update.severity = "S2".into();
    update.severity_override =
        Some(serde_json::json!({"severity": "S2", "reason": "only reads failed"}));
    update.spec = {
        let mut spec: IncidentSpec = serde_json::from_str(&update.spec).unwrap();
        spec.severity_override = Some(OverrideSpec {
            severity: "S2".into(),
            reason: "only reads failed".into(),
        });
        serde_json::to_string(&spec).unwrap()
    };
    let updated = s.write_incident(update.clone()).await.unwrap();
    assert_eq!((updated.version, updated.plan_version), (2, 2));
    assert_eq!(updated.severity, "S2");
    assert_eq!(
        updated.created_at, created.created_at,
        "creation time is kept"
    );
    assert_eq!(s.incident("INC-1").await.unwrap(), updated);

    let resolved = s
        .write_incident(change("INC-1", Some(2), "resolve", vec![]))
        .await
        .unwrap();
    assert_eq!((resolved.version, resolved.plan_version), (3, 3));
    assert_eq!(resolved.status, IncidentStatus::Resolved);
    let stored = s.incident("INC-1").await.unwrap();
    assert_eq!(stored, resolved);
    let spec: IncidentSpec = serde_json::from_str(&stored.spec).unwrap();
    assert_eq!(spec.resolved_at.as_deref(), Some("2024-10-15T14:00:00Z"));

    let events = s.events("INC-1").await.unwrap();
    let kinds: Vec<(i64, &str)> = events.iter().map(|e| (e.seq, e.kind.as_str())).collect();
    assert_eq!(kinds, vec![(1, "declare"), (2, "update"), (3, "resolve")]);
    assert!(events.iter().all(|e| e.actor == "cli:ic"));
    assert_eq!(events[1].detail, "{\"event\":\"update\"}");

    let versions = s.plan_versions("INC-1").await.unwrap();
    let got: Vec<(i64, &str, Vec<String>)> = versions
        .iter()
        .map(|v| (v.version, v.severity.as_str(), v.diff.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, "S1", vec!["declare: plan changed".to_string()]),
            (2, "S2", vec!["update: plan changed".to_string()]),
            (3, "S1", vec!["resolve: plan changed".to_string()]),
        ]
    );
    let latest = s.plan_document("INC-1", None).await.unwrap();
    assert_eq!(latest.version.version, 3);
    assert!(latest.plan.contains("resolve"), "{}", latest.plan);
    let first = s.plan_document("INC-1", Some(1)).await.unwrap();
    assert_eq!(first.snapshot, "{\"snapshot\":\"declare\"}");
    assert!(first.plan.contains("declare"), "{}", first.plan);
    let e = s.plan_document("INC-1", Some(9)).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");
    let e = s.incident("INC-404").await.unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::NotFound {
                what: "incident",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(s.events("INC-404").await.unwrap().is_empty());

    // The audit trail: each change with the spec before and after, and the override.
    let entries = s.audit_entries(0, 100).await.unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.record.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "incident.declare",
            "incident.update",
            "incident.severity_override",
            "incident.resolve"
        ]
    );
    assert!(entries.iter().all(|e| e.record.subject == "incident/INC-1"));
    assert_eq!(entries[0].record.before, None);
    assert_eq!(
        entries[1].record.before.as_deref(),
        Some(created.spec.as_str())
    );
    assert_eq!(
        entries[1].record.after.as_deref(),
        Some(updated.spec.as_str())
    );
    assert!(
        entries[2]
            .record
            .after
            .as_deref()
            .unwrap()
            .contains("only reads failed")
    );
    assert_eq!(
        entries[3].record.before.as_deref(),
        Some(updated.spec.as_str())
    );
    assert_eq!(audit_count(s).await, 4);
    db.cleanup().await;
}

async fn a_stale_version_is_a_conflict_and_writes_nothing(db: Db) {
    let s = &db.store;
    s.write_incident(change(
        "INC-1",
        None,
        "declare",
        vec![rem("a", "10", false)],
    ))
    .await
    .unwrap();
    let current = s
        .write_incident(change(
            "INC-1",
            Some(1),
            "update",
            vec![rem("a", "20", false)],
        ))
        .await
        .unwrap();
    let audit_before = audit_count(s).await;
    let remediations_before = s.remediations("INC-1").await.unwrap();

    for stale in [1, 0, 7] {
        let mut late = change(
            "INC-1",
            Some(stale),
            "update",
            vec![rem("a", "99", true), rem("b", "50", false)],
        );
        late.severity_override = Some(serde_json::json!({"severity": "S3", "reason": "stale"}));
        let e = s.write_incident(late).await.unwrap_err();
        assert!(
            matches!(e, StoreError::Conflict(_)),
            "version {stale}: {e:?}"
        );
        assert!(e.to_string().contains("INC-1"), "{e}");
    }
    assert_eq!(s.incident("INC-1").await.unwrap(), current);
    assert_eq!(s.events("INC-1").await.unwrap().len(), 2, "no event");
    assert_eq!(
        s.plan_versions("INC-1").await.unwrap().len(),
        2,
        "no plan version"
    );
    assert_eq!(s.remediations("INC-1").await.unwrap(), remediations_before);
    assert_eq!(audit_count(s).await, audit_before, "no audit entry");

    // Updating an incident that does not exist is not found, and writes nothing either.
    let e = s
        .write_incident(change("INC-404", Some(1), "update", vec![]))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::NotFound {
                what: "incident",
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(audit_count(s).await, audit_before);

    // The current version still works after the refusals.
    let next = s
        .write_incident(change("INC-1", Some(current.version), "resolve", vec![]))
        .await
        .unwrap();
    assert_eq!(next.version, 3);
    db.cleanup().await;
}

async fn creating_an_existing_incident_is_a_conflict(db: Db) {
    let s = &db.store;
    let first = s
        .write_incident(change("INC-1", None, "declare", vec![rem("a", "10", true)]))
        .await
        .unwrap();
    let audit_before = audit_count(s).await;
    let e = s
        .write_incident(change("INC-1", None, "declare", vec![rem("b", "20", true)]))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
    assert!(e.to_string().contains("already exists"), "{e}");
    assert_eq!(s.incident("INC-1").await.unwrap(), first);
    assert_eq!(s.events("INC-1").await.unwrap().len(), 1);
    assert_eq!(s.plan_versions("INC-1").await.unwrap().len(), 1);
    let accounts: Vec<String> = s
        .remediations("INC-1")
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.account_id)
        .collect();
    assert_eq!(accounts, vec!["a"]);
    assert_eq!(audit_count(s).await, audit_before);
    db.cleanup().await;
}

async fn incidents_paginate(db: Db) {
    let s = &db.store;
    for id in ["INC-3", "INC-1", "INC-5", "INC-2", "INC-4"] {
        s.write_incident(change(id, None, "declare", vec![]))
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut after = None;
    for _ in 0..10 {
        let page = s
            .list_incidents(&PageRequest {
                after: after.clone(),
                limit: 2,
            })
            .await
            .unwrap();
        assert!(page.items.len() <= 2);
        seen.extend(page.items.into_iter().map(|i| i.id));
        after = page.next;
        if after.is_none() {
            break;
        }
    }
    assert_eq!(seen, vec!["INC-1", "INC-2", "INC-3", "INC-4", "INC-5"]);
    db.cleanup().await;
}

// ----- remediations ------------------------------------------------------------------------

both! {
    remediations_follow_the_plan_until_decided => sqlite_remediations_follow_the_plan_until_decided, postgres_remediations_follow_the_plan_until_decided;
    a_replan_that_changes_nothing_proposes_nothing => sqlite_a_replan_that_changes_nothing_proposes_nothing, postgres_a_replan_that_changes_nothing_proposes_nothing;
    decisions_approve_reject_and_override => sqlite_decisions_approve_reject_and_override, postgres_decisions_approve_reject_and_override;
}

async fn remediations_follow_the_plan_until_decided(db: Db) {
    let s = &db.store;
    // v1: a automatic, b pending, c pending (to be approved), d pending (to be rejected),
    // e approved later with an unchanged amount.
    s.write_incident(change(
        "INC-1",
        None,
        "declare",
        vec![
            rem("a", "100", true),
            rem("b", "200", false),
            rem("c", "300", false),
            rem("d", "400", false),
            rem("e", "500", false),
        ],
    ))
    .await
    .unwrap();
    let rows = s.remediations("INC-1").await.unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(by_account(&rows, "a").status, RemediationStatus::Automatic);
    assert_eq!(
        by_account(&rows, "b").status,
        RemediationStatus::PendingApproval
    );
    assert!(
        rows.iter()
            .all(|r| r.plan_version == 1 && r.proposed_credit.is_none())
    );
    s.decide_remediation(decision("INC-1", "c", true, "vp-support"))
        .await
        .unwrap();
    s.decide_remediation(decision("INC-1", "d", false, "vp-support"))
        .await
        .unwrap();
    s.decide_remediation(decision("INC-1", "e", true, "vp-support"))
        .await
        .unwrap();
    let audit_v1 = audit_count(s).await;

    // v2: every amount but e's changes, b becomes automatic, f is new.
    s.write_incident(change(
        "INC-1",
        Some(1),
        "update",
        vec![
            rem("a", "150", true),
            rem("b", "250", true),
            rem("c", "350", false),
            rem("d", "450", false),
            rem("e", "500", false),
            rem("f", "60", true),
        ],
    ))
    .await
    .unwrap();
    let rows = s.remediations("INC-1").await.unwrap();
    let a = by_account(&rows, "a");
    assert_eq!(
        (a.credit.as_str(), &a.status, a.plan_version),
        ("150", &RemediationStatus::Automatic, 2)
    );
    let b = by_account(&rows, "b");
    assert_eq!(
        (b.credit.as_str(), &b.status),
        ("250", &RemediationStatus::Automatic)
    );
    let c = by_account(&rows, "c");
    assert_eq!(c.status, RemediationStatus::Approved);
    assert_eq!(c.credit, "300", "an approved credit is not recomputed");
    assert_eq!(c.proposed_credit.as_deref(), Some("350"));
    assert_eq!(c.decided_by.as_deref(), Some("vp-support"));
    assert_eq!(c.plan_version, 2);
    let d = by_account(&rows, "d");
    assert_eq!(d.status, RemediationStatus::Rejected);
    assert_eq!(d.credit, "400");
    assert_eq!(d.proposed_credit.as_deref(), Some("450"));
    let e = by_account(&rows, "e");
    assert_eq!((e.credit.as_str(), &e.proposed_credit), ("500", &None));
    assert_eq!(
        e.plan_version, 1,
        "an unchanged approved remediation is left alone"
    );
    let f = by_account(&rows, "f");
    assert_eq!(
        (f.credit.as_str(), &f.status, f.plan_version),
        ("60", &RemediationStatus::Automatic, 2)
    );

    let actions = audit_actions(s).await;
    let new_actions: Vec<(&str, &str)> = actions[audit_v1 as usize..]
        .iter()
        .map(|(a, s)| (a.as_str(), s.as_str()))
        .collect();
    assert_eq!(
        new_actions,
        vec![
            ("incident.update", "incident/INC-1"),
            ("remediation.decide", "remediation/INC-1/a"),
            ("remediation.decide", "remediation/INC-1/b"),
            ("remediation.propose_adjustment", "remediation/INC-1/c"),
            ("remediation.propose_adjustment", "remediation/INC-1/d"),
            ("remediation.decide", "remediation/INC-1/f"),
        ]
    );

    // v3: a (automatic), b (automatic), c (approved) and f dropped; d and e stay.
    s.write_incident(change(
        "INC-1",
        Some(2),
        "update",
        vec![rem("d", "450", false), rem("e", "500", false)],
    ))
    .await
    .unwrap();
    let rows = s.remediations("INC-1").await.unwrap();
    for withdrawn in ["a", "b", "f"] {
        let r = by_account(&rows, withdrawn);
        assert_eq!(r.status, RemediationStatus::Withdrawn, "{r:?}");
        assert_eq!(r.plan_version, 3);
    }
    let c = by_account(&rows, "c");
    assert_eq!(c.status, RemediationStatus::Approved);
    assert_eq!(c.credit, "300");
    assert_eq!(
        c.proposed_credit.as_deref(),
        Some("0"),
        "a dropped approved credit is proposed as 0"
    );
    let d = by_account(&rows, "d");
    assert_eq!(
        d.proposed_credit.as_deref(),
        Some("450"),
        "an unchanged proposal stays"
    );
    let withdrawals = audit_actions(s)
        .await
        .into_iter()
        .filter(|(a, _)| a == "remediation.withdraw")
        .count();
    assert_eq!(withdrawals, 3);

    // v4: a comes back; its withdrawn remediation follows the plan again.
    s.write_incident(change(
        "INC-1",
        Some(3),
        "update",
        vec![
            rem("a", "80", false),
            rem("d", "450", false),
            rem("e", "500", false),
        ],
    ))
    .await
    .unwrap();
    let a = s.remediation("INC-1", "a").await.unwrap();
    assert_eq!(
        (a.credit.as_str(), &a.status, a.plan_version),
        ("80", &RemediationStatus::PendingApproval, 4)
    );
    let e = s.remediation("INC-1", "zz").await.unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::NotFound {
                what: "remediation",
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(audit_count(s).await, audit_actions(s).await.len() as i64);
    db.cleanup().await;
}

/// A re-plan that does not change what a settled remediation's approver is asked must not
/// ask again: no new audit entry, no new plan version on the row.
async fn a_replan_that_changes_nothing_proposes_nothing(db: Db) {
    let s = &db.store;
    s.write_incident(change(
        "INC-1",
        None,
        "declare",
        vec![rem("c", "300", false), rem("k", "10", false)],
    ))
    .await
    .unwrap();
    s.decide_remediation(decision("INC-1", "c", true, "vp-support"))
        .await
        .unwrap();
    // v2: c's amount changes; v3 the same plan again: the proposal is already there.
    for (expected, _) in [(1, "v2"), (2, "v3")] {
        s.write_incident(change(
            "INC-1",
            Some(expected),
            "update",
            vec![rem("c", "350", false), rem("k", "10", false)],
        ))
        .await
        .unwrap();
    }
    let c = s.remediation("INC-1", "c").await.unwrap();
    assert_eq!(
        (c.proposed_credit.as_deref(), c.plan_version),
        (Some("350"), 2)
    );
    let proposals = |actions: &[(String, String)]| {
        actions
            .iter()
            .filter(|(a, _)| a == "remediation.propose_adjustment")
            .count()
    };
    assert_eq!(proposals(&audit_actions(s).await), 1);

    // v4 drops c: a proposal of 0. v5 still leaves c out: nothing new to ask.
    for expected in [3, 4] {
        s.write_incident(change(
            "INC-1",
            Some(expected),
            "update",
            vec![rem("k", "10", false)],
        ))
        .await
        .unwrap();
    }
    let c = s.remediation("INC-1", "c").await.unwrap();
    assert_eq!(c.proposed_credit.as_deref(), Some("0"));
    assert_eq!(
        proposals(&audit_actions(s).await),
        2,
        "a re-plan that still leaves out an approved account proposes 0 once, not at every re-plan"
    );
    assert_eq!(
        c.plan_version, 4,
        "the row was last changed by plan version 4"
    );
    db.cleanup().await;
}

async fn decisions_approve_reject_and_override(db: Db) {
    let s = &db.store;
    s.write_incident(change(
        "INC-1",
        None,
        "declare",
        vec![
            rem("auto", "5", true),
            rem("p1", "100", false),
            rem("p2", "200", false),
            rem("p3", "300", false),
            rem("gone", "1", false),
        ],
    ))
    .await
    .unwrap();

    let approved = s
        .decide_remediation(decision("INC-1", "p1", true, "vp-support"))
        .await
        .unwrap();
    assert_eq!(approved.status, RemediationStatus::Approved);
    assert_eq!(approved.credit, "100");
    assert_eq!(approved.decided_by.as_deref(), Some("vp-support"));
    assert!(approved.decided_at.is_some());
    assert_eq!(approved.override_reason, None);
    assert_eq!(s.remediation("INC-1", "p1").await.unwrap(), approved);

    let rejected = s
        .decide_remediation(decision("INC-1", "p2", false, "vp-support"))
        .await
        .unwrap();
    assert_eq!(rejected.status, RemediationStatus::Rejected);
    assert_eq!(s.remediation("INC-1", "p2").await.unwrap(), rejected);

    let mut by_admin = decision("INC-1", "p3", true, "admin:root");
    by_admin.override_reason = Some("vp-support on leave".into());
    let overridden = s.decide_remediation(by_admin).await.unwrap();
    assert_eq!(overridden.status, RemediationStatus::Approved);
    assert_eq!(overridden.decided_by.as_deref(), Some("admin:root"));
    assert_eq!(
        overridden.override_reason.as_deref(),
        Some("vp-support on leave")
    );
    assert_eq!(s.remediation("INC-1", "p3").await.unwrap(), overridden);

    let entries = s.audit_entries(0, 100).await.unwrap();
    let tail: Vec<(&str, &str, &str)> = entries[entries.len() - 3..]
        .iter()
        .map(|e| {
            (
                e.record.action.as_str(),
                e.record.subject.as_str(),
                e.record.actor.as_str(),
            )
        })
        .collect();
    assert_eq!(
        tail,
        vec![
            ("remediation.approve", "remediation/INC-1/p1", "vp-support"),
            ("remediation.reject", "remediation/INC-1/p2", "vp-support"),
            (
                "remediation.approve_override",
                "remediation/INC-1/p3",
                "admin:root"
            ),
        ]
    );
    let last = &entries[entries.len() - 1].record;
    assert!(last.before.as_deref().unwrap().contains("pending_approval"));
    assert!(
        last.after
            .as_deref()
            .unwrap()
            .contains("vp-support on leave")
    );

    // Withdraw "gone" by leaving it out of the next plan.
    s.write_incident(change(
        "INC-1",
        Some(1),
        "update",
        vec![
            rem("auto", "5", true),
            rem("p1", "100", false),
            rem("p2", "200", false),
            rem("p3", "300", false),
        ],
    ))
    .await
    .unwrap();
    assert_eq!(
        s.remediation("INC-1", "gone").await.unwrap().status,
        RemediationStatus::Withdrawn
    );

    // Nothing is waiting on these: deciding them is invalid and writes nothing.
    let audit_before = audit_count(s).await;
    for (account, approve) in [
        ("auto", true),
        ("p1", true),
        ("p1", false),
        ("p2", true),
        ("gone", true),
    ] {
        let before = s.remediation("INC-1", account).await.unwrap();
        let e = s
            .decide_remediation(decision("INC-1", account, approve, "vp-support"))
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Invalid(_)), "{account}: {e:?}");
        assert!(e.to_string().contains(account), "{e}");
        assert_eq!(s.remediation("INC-1", account).await.unwrap(), before);
    }
    let e = s
        .decide_remediation(decision("INC-1", "nobody", true, "vp-support"))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");
    assert_eq!(audit_count(s).await, audit_before);

    // A proposed adjustment: approving it replaces the approved credit; rejecting one keeps
    // the credit and clears the proposal.
    s.write_incident(change(
        "INC-1",
        Some(2),
        "update",
        vec![
            rem("auto", "5", true),
            rem("p1", "120", false),
            rem("p2", "200", false),
            rem("p3", "330", false),
        ],
    ))
    .await
    .unwrap();
    assert_eq!(
        s.remediation("INC-1", "p1")
            .await
            .unwrap()
            .proposed_credit
            .as_deref(),
        Some("120")
    );
    let p1 = s
        .decide_remediation(decision("INC-1", "p1", true, "vp-support"))
        .await
        .unwrap();
    assert_eq!(
        (p1.status, p1.credit.as_str(), p1.proposed_credit),
        (RemediationStatus::Approved, "120", None)
    );
    let p3 = s
        .decide_remediation(decision("INC-1", "p3", false, "vp-support"))
        .await
        .unwrap();
    assert_eq!(
        (p3.status, p3.credit.as_str(), p3.proposed_credit),
        (RemediationStatus::Approved, "300", None)
    );
    assert_eq!(s.remediation("INC-1", "p3").await.unwrap().credit, "300");
    // Settled again: nothing more to decide.
    let e = s
        .decide_remediation(decision("INC-1", "p1", true, "vp-support"))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "{e:?}");
    db.cleanup().await;
}

// ----- tokens ------------------------------------------------------------------------------

both! {
    tokens_are_found_by_hash => sqlite_tokens_are_found_by_hash, postgres_tokens_are_found_by_hash;
}

async fn tokens_are_found_by_hash(db: Db) {
    let s = &db.store;
    let token = TokenRow {
        id: "tok_1".into(),
        hash: "a1".repeat(32),
        role: "approver".into(),
        person: Some("vp-support".into()),
        label: "VP laptop".into(),
        created_at: "2024-10-15T10:00:00Z".into(),
    };
    s.insert_token(&token, "cli:root").await.unwrap();
    let viewer = TokenRow {
        id: "tok_2".into(),
        hash: "b2".repeat(32),
        role: "viewer".into(),
        person: None,
        label: "dashboard".into(),
        created_at: "2024-10-15T10:01:00Z".into(),
    };
    s.insert_token(&viewer, "cli:root").await.unwrap();

    assert_eq!(
        s.token_by_hash(&token.hash).await.unwrap(),
        Some(token.clone())
    );
    assert_eq!(
        s.token_by_hash(&viewer.hash).await.unwrap(),
        Some(viewer.clone())
    );
    assert_eq!(s.token_by_hash(&"c3".repeat(32)).await.unwrap(), None);

    // Audited without the hash.
    let entries = s.audit_entries(0, 10).await.unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].record.action, "token.create");
    assert_eq!(entries[0].record.subject, "token/tok_1");
    assert_eq!(entries[0].record.actor, "cli:root");
    let after = entries[0].record.after.as_deref().unwrap();
    assert!(!after.contains(&token.hash), "{after}");
    assert!(after.contains("approver"), "{after}");

    // The same hash twice is refused, and nothing is audited for it.
    let dup = TokenRow {
        id: "tok_3".into(),
        ..token.clone()
    };
    assert!(s.insert_token(&dup, "cli:root").await.is_err());
    assert_eq!(audit_count(s).await, 2);

    // A revoked token is not found.
    db.raw("UPDATE api_tokens SET revoked_at = '2024-10-16T00:00:00Z' WHERE id = 'tok_1'")
        .await
        .unwrap();
    assert_eq!(s.token_by_hash(&token.hash).await.unwrap(), None);
    db.cleanup().await;
}

// ----- audit trail -------------------------------------------------------------------------

both! {
    every_write_appends_chained_entries => sqlite_every_write_appends_chained_entries, postgres_every_write_appends_chained_entries;
    an_edited_entry_is_named => sqlite_an_edited_entry_is_named, postgres_an_edited_entry_is_named;
    a_deleted_entry_is_named => sqlite_a_deleted_entry_is_named, postgres_a_deleted_entry_is_named;
    the_audit_log_refuses_updates_and_deletes => sqlite_the_audit_log_refuses_updates_and_deletes, postgres_the_audit_log_refuses_updates_and_deletes;
}

/// Writes of every kind: 1 import, 1 + 2 incident entries, 1 update, 1 decision, 1 token = 7.
async fn some_history(s: &Store) -> i64 {
    s.upsert_accounts(
        &[account("a", "A", "1.00"), account("b", "B", "2.00")],
        "cli:import",
    )
    .await
    .unwrap();
    s.write_incident(change(
        "INC-1",
        None,
        "declare",
        vec![rem("a", "10", false), rem("b", "20", true)],
    ))
    .await
    .unwrap();
    s.write_incident(change(
        "INC-1",
        Some(1),
        "update",
        vec![rem("a", "10", false), rem("b", "20", true)],
    ))
    .await
    .unwrap();
    s.decide_remediation(decision("INC-1", "a", true, "vp-support"))
        .await
        .unwrap();
    s.insert_token(
        &TokenRow {
            id: "tok_1".into(),
            hash: "d4".repeat(32),
            role: "admin".into(),
            person: None,
            label: "root".into(),
            created_at: "2024-10-15T10:00:00Z".into(),
        },
        "cli:root",
    )
    .await
    .unwrap();
    7
}

async fn every_write_appends_chained_entries(db: Db) {
    let s = &db.store;
    let empty = s.verify_audit().await.unwrap().unwrap();
    assert_eq!((empty.entries, empty.head.as_str()), (0, GENESIS));

    let n = some_history(s).await;
    let entries = s.audit_entries(0, 1000).await.unwrap();
    assert_eq!(entries.len() as i64, n);
    let mut prev = GENESIS.to_string();
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.seq, i as i64 + 1);
        assert_eq!(e.prev_hash, prev, "entry {} links to the one before", e.seq);
        assert_eq!(e.hash, e.recompute());
        e.record
            .at
            .parse::<jiff::Timestamp>()
            .unwrap_or_else(|err| {
                panic!(
                    "audit time {:?} is not an RFC 3339 instant: {err}",
                    e.record.at
                )
            });
        prev = e.hash.clone();
    }
    let v = s.verify_audit().await.unwrap().unwrap();
    assert_eq!(v.entries, n);
    assert_eq!(v.head, prev);

    // Paging by seq.
    let page = s.audit_entries(2, 3).await.unwrap();
    assert_eq!(
        page.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![3, 4, 5]
    );
    assert!(s.audit_entries(n, 10).await.unwrap().is_empty());

    // Another store on the same database continues the same chain.
    let other = db.second_store().await;
    other
        .upsert_accounts(&[account("c", "C", "3.00")], "cli:other")
        .await
        .unwrap();
    let v = s.verify_audit().await.unwrap().unwrap();
    assert_eq!(v.entries, n + 1);
    drop(other);
    db.cleanup().await;
}

async fn an_edited_entry_is_named(db: Db) {
    let n = some_history(&db.store).await;
    assert_eq!(audit_count(&db.store).await, n);
    db.disable_append_only().await;
    let changed = db
        .raw("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 4")
        .await
        .unwrap();
    assert_eq!(changed, 1);
    let brk = db.store.verify_audit().await.unwrap().unwrap_err();
    assert_eq!(brk.seq, 4, "{brk}");
    assert!(brk.reason.contains("edited"), "{brk}");

    // An edit of the last entry's after-document is named too.
    db.raw(&format!("UPDATE audit_log SET actor = 'cli:ic' WHERE seq = 4; UPDATE audit_log SET after = '{{}}' WHERE seq = {n}"))
        .await
        .unwrap();
    let brk = db.store.verify_audit().await.unwrap().unwrap_err();
    assert_eq!(brk.seq, n, "{brk}");
    db.cleanup().await;
}

async fn a_deleted_entry_is_named(db: Db) {
    let n = some_history(&db.store).await;
    db.disable_append_only().await;
    assert_eq!(
        db.raw("DELETE FROM audit_log WHERE seq = 3").await.unwrap(),
        1
    );
    let brk = db.store.verify_audit().await.unwrap().unwrap_err();
    assert_eq!(brk.seq, 3, "{brk}");
    assert!(brk.reason.contains("deleted"), "{brk}");

    // Hiding the gap by renumbering does not help: the link to the entry before breaks.
    // (Through negative numbers: the primary key is checked row by row.)
    let renumbered = db
        .raw("UPDATE audit_log SET seq = -seq WHERE seq > 3; UPDATE audit_log SET seq = -seq - 1 WHERE seq < 0;")
        .await
        .unwrap();
    assert_eq!(renumbered, 2 * (n as u64 - 3));
    let brk = db.store.verify_audit().await.unwrap().unwrap_err();
    assert_eq!(brk.seq, 3, "{brk}");
    db.cleanup().await;
}

async fn the_audit_log_refuses_updates_and_deletes(db: Db) {
    let n = some_history(&db.store).await;
    let e = db
        .raw("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    let e = db
        .raw("DELETE FROM audit_log WHERE seq = 2")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    let e = db.raw("DELETE FROM audit_log").await.unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    let v = db.store.verify_audit().await.unwrap().unwrap();
    assert_eq!(v.entries, n);
    db.cleanup().await;
}

// ----- concurrency -------------------------------------------------------------------------

both! {
    concurrent_updates_of_one_incident_lose_nothing => sqlite_concurrent_updates_of_one_incident_lose_nothing, postgres_concurrent_updates_of_one_incident_lose_nothing;
    concurrent_writes_to_many_incidents_all_succeed => sqlite_concurrent_writes_to_many_incidents_all_succeed, postgres_concurrent_writes_to_many_incidents_all_succeed;
    two_stores_on_one_database_write_at_once => sqlite_two_stores_on_one_database_write_at_once, postgres_two_stores_on_one_database_write_at_once;
}

/// Two writers from the same version: exactly one wins, the other gets a conflict, and its
/// retry from the new version succeeds. On PostgreSQL the writers are two stores (two pools,
/// like two `amends serve` processes); on SQLite, one store shared by two tasks.
async fn concurrent_updates_of_one_incident_lose_nothing(db: Db) {
    let s1 = db.store.clone();
    let s2 = match db.backend {
        Backend::Postgres => db.second_store().await,
        Backend::Sqlite => db.store.clone(),
    };
    s1.write_incident(change("INC-1", None, "declare", vec![rem("a", "1", false)]))
        .await
        .unwrap();
    let mut version = 1;
    let rounds = 10;
    for round in 0..rounds {
        let c1 = change(
            "INC-1",
            Some(version),
            "update",
            vec![rem("a", &format!("{round}1"), false)],
        );
        let c2 = change(
            "INC-1",
            Some(version),
            "update",
            vec![rem("a", &format!("{round}2"), false)],
        );
        let (t1, t2) = (s1.clone(), s2.clone());
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
        let (b1, b2) = (barrier.clone(), barrier);
        let h1 = tokio::spawn(async move {
            b1.wait().await;
            t1.write_incident(c1).await
        });
        let h2 = tokio::spawn(async move {
            b2.wait().await;
            t2.write_incident(c2).await
        });
        let (r1, r2) = (h1.await.unwrap(), h2.await.unwrap());
        let (won, lost, loser_store, loser_credit) = match (r1, r2) {
            (Ok(w), Err(l)) => (w, l, &s2, format!("{round}2")),
            (Err(l), Ok(w)) => (w, l, &s1, format!("{round}1")),
            (r1, r2) => panic!("round {round}: exactly one write must win: {r1:?} / {r2:?}"),
        };
        assert!(
            matches!(lost, StoreError::Conflict(_)),
            "round {round}: {lost:?}"
        );
        assert_eq!(won.version, version + 1);
        // The loser reloads and retries from the new version.
        let retry = loser_store
            .write_incident(change(
                "INC-1",
                Some(won.version),
                "update",
                vec![rem("a", &loser_credit, false)],
            ))
            .await
            .unwrap();
        assert_eq!(retry.version, version + 2);
        assert_eq!(
            s1.remediation("INC-1", "a").await.unwrap().credit,
            loser_credit
        );
        version = retry.version;
    }
    let events = s2.events("INC-1").await.unwrap();
    assert_eq!(events.len() as i64, 1 + 2 * rounds);
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=1 + 2 * rounds).collect::<Vec<_>>()
    );
    assert_eq!(
        s1.plan_versions("INC-1").await.unwrap().len() as i64,
        1 + 2 * rounds
    );
    assert_eq!(s1.incident("INC-1").await.unwrap().version, version);
    // declare + decide, then per winning or retried write: the incident entry and a's change.
    assert_eq!(audit_count(&s2).await, 2 + 2 * 2 * rounds);
    drop((s1, s2));
    db.cleanup().await;
}

/// 20 writes to 20 incidents at once (from two stores on PostgreSQL, one on SQLite) all
/// succeed, and the audit chain they append to concurrently verifies.
async fn concurrent_writes_to_many_incidents_all_succeed(db: Db) {
    let stores = match db.backend {
        Backend::Postgres => [db.store.clone(), db.second_store().await],
        Backend::Sqlite => [db.store.clone(), db.store.clone()],
    };
    // Creates at once, then updates at once.
    for phase in 0..2 {
        let mut handles = Vec::new();
        for i in 0..20 {
            let s = stores[i % 2].clone();
            let id = format!("INC-{i:02}");
            let c = if phase == 0 {
                change(
                    &id,
                    None,
                    "declare",
                    vec![rem("a", "1", false), rem("b", "2", true)],
                )
            } else {
                change(
                    &id,
                    Some(1),
                    "update",
                    vec![rem("a", "3", false), rem("b", "2", true)],
                )
            };
            handles.push(tokio::spawn(async move { s.write_incident(c).await }));
        }
        for (i, h) in handles.into_iter().enumerate() {
            let row = h
                .await
                .unwrap()
                .unwrap_or_else(|e| panic!("phase {phase}, incident {i}: {e}"));
            assert_eq!(row.version, phase + 1);
        }
    }
    // 20 × (declare + 2 remediations) + 20 × (update + a's new credit).
    let v = stores[1].verify_audit().await.unwrap().unwrap();
    assert_eq!(v.entries, 20 * 3 + 20 * 2);
    let page = stores[0]
        .list_incidents(&PageRequest {
            after: None,
            limit: 100,
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 20);
    assert!(page.items.iter().all(|i| i.version == 2));
    drop(stores);
    db.cleanup().await;
}

/// Two stores on one database (two processes: `amends serve` and a CLI command, or two
/// replicas) writing at once, on both backends: every write succeeds, none is refused
/// because the other holds the database, and the audit chain verifies.
async fn two_stores_on_one_database_write_at_once(db: Db) {
    let stores = [db.store.clone(), db.second_store().await];
    let mut handles = Vec::new();
    for i in 0..20 {
        let s = stores[i % 2].clone();
        let c = change(
            &format!("INC-{i:02}"),
            None,
            "declare",
            vec![rem("a", "1", false)],
        );
        handles.push(tokio::spawn(async move { s.write_incident(c).await }));
    }
    let mut failures = Vec::new();
    for (i, h) in handles.into_iter().enumerate() {
        if let Err(e) = h.await.unwrap() {
            failures.push(format!("INC-{i:02}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 20 writes failed: {failures:#?}",
        failures.len()
    );
    let v = stores[0].verify_audit().await.unwrap().unwrap();
    assert_eq!(v.entries, 20 * 2);
    drop(stores);
    db.cleanup().await;
}

// ----- root-cause summary and reviews --------------------------------------------------------

both! {
    a_customer_facing_review_closes_only_after_the_rca_was_sent => sqlite_a_customer_facing_review_closes_only_after_the_rca_was_sent, postgres_a_customer_facing_review_closes_only_after_the_rca_was_sent;
}

async fn a_customer_facing_review_closes_only_after_the_rca_was_sent(db: Db) {
    use amends_store::ReviewClosure;
    let s = &db.store;
    s.write_incident(change("INC-1", None, "declare", vec![rem("a", "10", true)]))
        .await
        .unwrap();
    let close = |task: &str, customer_facing: bool| ReviewClosure {
        incident: "INC-1".into(),
        task: task.into(),
        customer_facing,
        actor: "token:agent".into(),
        note: Some("done".into()),
    };
    // An internal task closes at once; closing it twice is a conflict.
    s.close_review(close("internal_postmortem", false))
        .await
        .unwrap();
    let e = s
        .close_review(close("internal_postmortem", false))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");

    // The customer-facing task waits for the summary, then for its sending.
    let audit = audit_count(s).await;
    let e = s
        .close_review(close("customer_rca", true))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
    assert!(e.to_string().contains("once the root-cause summary"), "{e}");
    assert_eq!(
        audit_count(s).await,
        audit,
        "a refused closing writes nothing"
    );
    let e = s
        .mark_rca_sent("INC-1", "token:agent", None)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");

    let record = serde_json::json!({ "what_happened": "down", "why": "a change", "fixed": ["undone"], "prevention": [] });
    s.put_rca("INC-1", &record, "token:agent").await.unwrap();
    let edited = serde_json::json!({ "what_happened": "down for 4 hours", "why": "a change", "fixed": ["undone"], "prevention": [] });
    s.put_rca("INC-1", &edited, "token:agent").await.unwrap();
    assert!(s.close_review(close("customer_rca", true)).await.is_err());
    let sent = s
        .mark_rca_sent("INC-1", "token:vp", Some("2024-10-22T18:00:00Z".into()))
        .await
        .unwrap();
    assert_eq!(sent.sent_at.as_deref(), Some("2024-10-22T18:00:00Z"));
    assert_eq!(sent.record, edited);
    assert_eq!(sent.sent_by.as_deref(), Some("token:vp"));
    assert_eq!(s.rca("INC-1").await.unwrap(), Some(sent));

    // What customers read cannot change, and it is sent once.
    let e = s
        .put_rca("INC-1", &record, "token:agent")
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
    assert!(s.mark_rca_sent("INC-1", "token:vp", None).await.is_err());

    s.close_review(close("customer_rca", true)).await.unwrap();
    let closed: Vec<String> = s
        .review_closures("INC-1")
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.task)
        .collect();
    assert_eq!(closed.len(), 2);
    assert!(closed.contains(&"customer_rca".to_string()));
    let actions: Vec<String> = audit_actions(s).await.into_iter().map(|(a, _)| a).collect();
    for a in ["review.close", "rca.write", "rca.sent"] {
        assert!(actions.iter().any(|x| x == a), "{a}: {actions:?}");
    }
    assert!(s.verify_audit().await.unwrap().is_ok());
    let e = s.rca("INC-404").await.unwrap();
    assert_eq!(e, None);
    assert!(matches!(
        s.put_rca("INC-404", &record, "x").await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
    db.cleanup().await;
}

// ----- the outbox ------------------------------------------------------------------------------

both! {
    outbox_jobs_are_claimed_when_due_and_delivered_once => sqlite_outbox_jobs_are_claimed_when_due_and_delivered_once, postgres_outbox_jobs_are_claimed_when_due_and_delivered_once;
    outbox_failures_retry_then_die_and_can_be_retried_by_hand => sqlite_outbox_failures_retry_then_die_and_can_be_retried_by_hand, postgres_outbox_failures_retry_then_die_and_can_be_retried_by_hand;
    two_stores_claiming_ten_thousand_jobs_never_share_one => sqlite_two_stores_claiming_ten_thousand_jobs_never_share_one, postgres_two_stores_claiming_ten_thousand_jobs_never_share_one;
}

fn job(key: &str, due_ms: i64) -> amends_store::NewJob {
    amends_store::NewJob {
        key: key.into(),
        incident_id: "INC-1".into(),
        channel: "webhook".into(),
        due_ms,
        payload: format!("{{\"key\":\"{key}\"}}"),
    }
}

async fn outbox_jobs_are_claimed_when_due_and_delivered_once(db: Db) {
    let s = &db.store;
    let e = s
        .enqueue(&[job("a", 1_000), job("b", 2_000), job("c", 9_000)])
        .await
        .unwrap();
    assert_eq!(e.queued, 3);
    // Only what is due, in due order, each claimed once while its lease runs.
    let claimed = s.claim(2_000, 60_000, 10).await.unwrap();
    let keys: Vec<&str> = claimed.iter().map(|j| j.key.as_str()).collect();
    assert_eq!(keys, ["a", "b"]);
    assert!(claimed.iter().all(|j| j.attempts == 1));
    assert!(s.claim(2_000, 60_000, 10).await.unwrap().is_empty());
    // A lease that runs out (the worker died) makes the job claimable again, same key.
    let again = s.claim(62_001, 60_000, 10).await.unwrap();
    let keys: Vec<&str> = again.iter().map(|j| j.key.as_str()).collect();
    assert_eq!(keys, ["a", "b", "c"]);
    assert_eq!(again[0].attempts, 2);
    let done: Vec<(&amends_store::Job, Option<String>)> =
        again.iter().map(|j| (j, Some("202".to_string()))).collect();
    s.complete(&done, 63_000).await.unwrap();
    let counts = s.outbox_counts().await.unwrap();
    assert_eq!((counts.queued, counts.sending, counts.delivered), (0, 0, 3));
    // Re-planning queues the same keys again: delivered ones stay delivered.
    let e = s
        .enqueue(&[job("a", 1_000), job("d", 5_000)])
        .await
        .unwrap();
    assert_eq!((e.queued, e.already_delivered), (1, 1));
    // A re-plan that drops a waiting job cancels it; it is never claimed.
    s.enqueue(&[job("e", 5_000)]).await.unwrap();
    assert_eq!(
        s.cancel_jobs_except("INC-1", &["d".to_string()])
            .await
            .unwrap(),
        1
    );
    let keys: Vec<String> = s
        .claim(100_000, 1_000, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.key)
        .collect();
    assert_eq!(keys, ["d"]);
    let delivered: Vec<String> = s
        .delivered("INC-1")
        .await
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(delivered, ["a", "b", "c"]);
    db.cleanup().await;
}

async fn outbox_failures_retry_then_die_and_can_be_retried_by_hand(db: Db) {
    let s = &db.store;
    s.enqueue(&[job("x", 0)]).await.unwrap();
    let j = s.claim(0, 1_000, 1).await.unwrap().remove(0);
    s.fail(&j, "sink said 503", Some(5_000)).await.unwrap();
    assert!(
        s.claim(4_999, 1_000, 1).await.unwrap().is_empty(),
        "waits for its retry"
    );
    let j = s.claim(5_000, 1_000, 1).await.unwrap().remove(0);
    assert_eq!(j.attempts, 2);
    s.fail(&j, "sink said 503 again", None).await.unwrap();
    assert!(
        s.claim(1_000_000, 1_000, 1).await.unwrap().is_empty(),
        "dead is not retried"
    );
    let dead = s.dead_jobs().await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].last_error.as_deref(), Some("sink said 503 again"));
    assert_eq!(s.outbox_counts().await.unwrap().dead, 1);
    assert!(s.retry_dead("x", 2_000_000).await.unwrap());
    assert!(
        !s.retry_dead("x", 2_000_000).await.unwrap(),
        "no longer dead"
    );
    let j = s.claim(2_000_000, 1_000, 1).await.unwrap().remove(0);
    assert_eq!(j.attempts, 1, "attempts start again");
    db.cleanup().await;
}

async fn two_stores_claiming_ten_thousand_jobs_never_share_one(db: Db) {
    let jobs: Vec<amends_store::NewJob> =
        (0..10_000).map(|i| job(&format!("k{i:05}"), i)).collect();
    db.store.enqueue(&jobs).await.unwrap();
    let other = db.second_store().await;
    let run = |s: Store| async move {
        let mut mine = Vec::new();
        loop {
            let batch = s.claim(1_000_000, 600_000, 100).await.unwrap();
            if batch.is_empty() {
                break;
            }
            let done: Vec<(&amends_store::Job, Option<String>)> =
                batch.iter().map(|j| (j, None)).collect();
            s.complete(&done, 1_000_000).await.unwrap();
            mine.extend(batch.into_iter().map(|j| j.key));
        }
        mine
    };
    let (a, b) = tokio::join!(
        tokio::spawn(run(db.store.clone())),
        tokio::spawn(run(other.clone()))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut all: Vec<String> = a.iter().chain(b.iter()).cloned().collect();
    let total = all.len();
    all.sort();
    all.dedup();
    assert_eq!(
        total,
        10_000,
        "every job claimed (a {}, b {})",
        a.len(),
        b.len()
    );
    assert_eq!(all.len(), 10_000, "no job claimed twice");
    let counts = db.store.outbox_counts().await.unwrap();
    assert_eq!(
        (counts.queued, counts.sending, counts.delivered),
        (0, 0, 10_000)
    );
    drop(other);
    db.cleanup().await;
}

both! {
    a_replan_queues_and_cancels_in_one_step_including_dead_letters => sqlite_a_replan_queues_and_cancels_in_one_step_including_dead_letters, postgres_a_replan_queues_and_cancels_in_one_step_including_dead_letters;
}

async fn a_replan_queues_and_cancels_in_one_step_including_dead_letters(db: Db) {
    let s = &db.store;
    s.enqueue(&[job("keep", 0), job("drop", 0), job("dead", 0)])
        .await
        .unwrap();
    // One attempt each: "dead" is refused for good, the others wait for a retry.
    for j in s.claim(0, 1_000, 10).await.unwrap() {
        let retry = (j.key != "dead").then_some(0);
        s.fail(&j, "refused", retry).await.unwrap();
    }
    // The re-plan keeps "keep", adds "new"; "drop" (waiting) and "dead" (a dead letter of an
    // account no longer affected) go, so no one can retry it into that inbox by hand.
    let (queued, cancelled) = s
        .replan_jobs("INC-1", &[job("keep", 5), job("new", 5)])
        .await
        .unwrap();
    assert_eq!((queued.queued, cancelled), (1, 1 + 1));
    assert!(s.dead_jobs().await.unwrap().is_empty());
    assert!(!s.retry_dead("dead", 10).await.unwrap());
    db.cleanup().await;
}

both! {
    an_incident_change_writes_its_plan_and_its_jobs_together => sqlite_an_incident_change_writes_its_plan_and_its_jobs_together, postgres_an_incident_change_writes_its_plan_and_its_jobs_together;
}

async fn an_incident_change_writes_its_plan_and_its_jobs_together(db: Db) {
    let s = &db.store;
    // What waits at `now`: claimed, then put back in the queue as it was, so a look neither
    // leaves jobs "being sent" (which a re-plan leaves alone) nor takes them away.
    let waiting = |s: &Store, now: i64| {
        let s = s.clone();
        async move {
            let claimed = s.claim(now, 60_000, 100).await.unwrap();
            for j in &claimed {
                s.fail(j, "looked at", Some(j.due_ms)).await.unwrap();
            }
            let mut keys: Vec<String> = claimed.into_iter().map(|j| j.key).collect();
            keys.sort();
            keys
        }
    };
    let mut declare = change("INC-1", None, "declare", vec![]);
    declare.jobs = Some(vec![job("INC-1/a", 0), job("INC-1/b", 0)]);
    s.write_incident(declare).await.unwrap();
    assert_eq!(waiting(s, 10).await, ["INC-1/a", "INC-1/b"]);

    // A stale change is refused and leaves the outbox as it was.
    let mut stale = change("INC-1", Some(7), "update", vec![]);
    stale.jobs = Some(vec![job("INC-1/c", 0)]);
    assert!(matches!(
        s.write_incident(stale).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(waiting(s, 20).await, ["INC-1/a", "INC-1/b"]);

    // An accepted change queues what is new and cancels what the new plan dropped.
    let mut update = change("INC-1", Some(1), "update", vec![]);
    update.jobs = Some(vec![job("INC-1/a", 0), job("INC-1/c", 0)]);
    s.write_incident(update).await.unwrap();
    assert_eq!(waiting(s, 30).await, ["INC-1/a", "INC-1/c"]);

    // A change without jobs leaves the outbox alone.
    s.write_incident(change("INC-1", Some(2), "update", vec![]))
        .await
        .unwrap();
    assert_eq!(waiting(s, 40).await, ["INC-1/a", "INC-1/c"]);
    db.cleanup().await;
}

both! {
    tasks_are_created_once_and_closed_once => sqlite_tasks_are_created_once_and_closed_once, postgres_tasks_are_created_once_and_closed_once;
}

async fn tasks_are_created_once_and_closed_once(db: Db) {
    let s = &db.store;
    let task = amends_store::Task {
        key: "INC-1/escalation/5/ceo".into(),
        incident_id: "INC-1".into(),
        person: "Jordan Blake".into(),
        via: "phone".into(),
        title: "Call the CEO".into(),
        body: "30 Enterprise accounts affected".into(),
        created_ms: 1_000,
        done: None,
    };
    assert!(s.add_task(&task).await.unwrap());
    assert!(
        !s.add_task(&task).await.unwrap(),
        "the same key creates nothing new"
    );
    assert_eq!(s.open_tasks().await.unwrap(), vec![task.clone()]);
    assert!(
        s.complete_task(&task.key, "token:dana", 2_000)
            .await
            .unwrap()
    );
    assert!(
        !s.complete_task(&task.key, "token:dana", 3_000)
            .await
            .unwrap()
    );
    assert!(s.open_tasks().await.unwrap().is_empty());
    db.cleanup().await;
}

// ----- races on PostgreSQL (found by review; each failed before its fix) ---------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_a_replan_racing_a_completion_never_queues_a_delivered_key_again() {
    let db = fresh_db(Backend::Postgres).await;
    let s = &db.store;
    let mut conn = sqlx::AnyConnection::connect(&db.raw_url).await.unwrap();
    for round in 0..40 {
        let jobs: Vec<amends_store::NewJob> =
            (0..50).map(|i| job(&format!("r{round}k{i}"), 0)).collect();
        s.enqueue(&jobs).await.unwrap();
        let claimed = s.claim(1, 60_000, 1_000).await.unwrap();
        let (other, again) = (s.clone(), jobs.clone());
        let replan = tokio::spawn(async move { other.enqueue(&again).await });
        let done: Vec<(&amends_store::Job, Option<String>)> =
            claimed.iter().map(|j| (j, None)).collect();
        s.complete(&done, 1).await.unwrap();
        replan.await.unwrap().unwrap();
        let requeued: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox_jobs j JOIN outbox_delivered d ON d.key = j.key",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(requeued, 0, "round {round}: delivered keys queued again");
    }
    // Two re-plans of the same plan at once: both succeed, each key queued once.
    for round in 0..20 {
        let jobs: Vec<amends_store::NewJob> = (0..100)
            .map(|i| job(&format!("twin{round}k{i}"), 0))
            .collect();
        let (a, b) = (s.clone(), s.clone());
        let (ja, jb) = (jobs.clone(), jobs.clone());
        let (ra, rb) = tokio::join!(
            tokio::spawn(async move { a.enqueue(&ja).await }),
            tokio::spawn(async move { b.enqueue(&jb).await })
        );
        let (ra, rb) = (ra.unwrap().unwrap(), rb.unwrap().unwrap());
        assert_eq!(ra.queued + rb.queued, 100, "round {round}");
    }
    drop(conn);
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_completions_of_the_same_jobs_side_by_side_neither_deadlock_nor_double() {
    // Completions do not exclude one another (only queuing and cancelling exclude them); two
    // workers completing the same jobs (a lease ran out, both sent them) in opposite orders
    // must both succeed, each key recorded once, the queue empty.
    let db = fresh_db(Backend::Postgres).await;
    let s = &db.store;
    for round in 0..20 {
        let jobs: Vec<amends_store::NewJob> = (0..100)
            .map(|i| job(&format!("both{round}k{i:03}"), 0))
            .collect();
        s.enqueue(&jobs).await.unwrap();
        let claimed = s.claim(1, 60_000, 1_000).await.unwrap();
        assert_eq!(claimed.len(), 100);
        let mut reversed = claimed.clone();
        reversed.reverse();
        let (a, b) = (s.clone(), s.clone());
        let (ra, rb) = tokio::join!(
            tokio::spawn(async move {
                let done: Vec<_> = claimed.iter().map(|j| (j, None)).collect();
                a.complete(&done, 2).await
            }),
            tokio::spawn(async move {
                let done: Vec<_> = reversed.iter().map(|j| (j, None)).collect();
                b.complete(&done, 2).await
            })
        );
        ra.unwrap().unwrap();
        rb.unwrap().unwrap();
        let counts = s.outbox_counts().await.unwrap();
        assert_eq!(
            (counts.queued, counts.sending, counts.delivered),
            (0, 0, 100 * (round + 1)),
            "round {round}"
        );
    }
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_a_sent_summary_is_never_rewritten_by_a_racing_write() {
    let db = fresh_db(Backend::Postgres).await;
    let s = &db.store;
    for round in 0..60 {
        let id = format!("INC-{round}");
        s.write_incident(change(&id, None, "declare", vec![rem("a", "10", true)]))
            .await
            .unwrap();
        s.put_rca(&id, &serde_json::json!({"v": 1}), "alice")
            .await
            .unwrap();
        let (a, b, ia, ib) = (s.clone(), s.clone(), id.clone(), id.clone());
        let (put, sent) = tokio::join!(
            tokio::spawn(async move { a.put_rca(&ia, &serde_json::json!({"v": 2}), "bob").await }),
            tokio::spawn(async move { b.mark_rca_sent(&ib, "carol", None).await })
        );
        let (put, sent) = (put.unwrap(), sent.unwrap());
        let sent = sent.unwrap();
        let stored = s.rca(&id).await.unwrap().unwrap();
        // Whatever the order, what is stored is what was sent.
        assert_eq!(stored.record, sent.record, "round {round}: put {put:?}");
        if put.is_err() {
            assert!(matches!(put, Err(StoreError::Conflict(_))), "{put:?}");
        }
    }
    db.cleanup().await;
}

// ----- status page subscriptions -------------------------------------------------------------

both! {
    subscription_requests_are_limited_in_time => sqlite_subscription_requests_are_limited_in_time, postgres_subscription_requests_are_limited_in_time;
}

fn request(email: &str, n: u32, at_ms: i64) -> amends_store::NewSubscription {
    amends_store::NewSubscription {
        email: email.into(),
        components: Vec::new(),
        link_ref: format!("{n:032x}"),
        confirm_token: format!("{n:064x}"),
        unsubscribe_token: format!("{:064x}", u64::from(n) << 32),
        created_ms: at_ms,
    }
}

fn confirmation(n: u32, at_ms: i64) -> amends_store::NewJob {
    amends_store::NewJob {
        key: format!("status-page/confirm/{n:032x}"),
        incident_id: "status-page".into(),
        channel: "email".into(),
        due_ms: at_ms,
        payload: "{}".into(),
    }
}

/// An address is sent one confirmation per resend window, and again once it is over; the
/// page's hourly limit counts the last hour's requests and frees as they age; a request is
/// stored with its confirmation queued, or neither; unsubscribing drops the notifications
/// queued for that subscriber, whatever their state, and no one else's.
async fn subscription_requests_are_limited_in_time(db: Db) {
    use amends_store::{SubscribeLimits, SubscribeOutcome};
    let s = &db.store;
    let limits = SubscribeLimits {
        resend_after_ms: 600_000,
        per_hour: 3,
    };
    let t0 = 1_700_000_000_000;
    let min = 60_000;
    let ask = async |email: &str, n: u32, at_ms: i64| {
        s.subscribe(&request(email, n, at_ms), &[confirmation(n, at_ms)], limits)
            .await
            .unwrap()
    };
    assert_eq!(
        ask("eve@example.com", 1, t0).await,
        SubscribeOutcome::Stored
    );
    assert_eq!(
        ask("EVE@example.com", 2, t0 + 9 * min).await,
        SubscribeOutcome::AlreadySent
    );
    assert_eq!(
        s.outbox_counts().await.unwrap().queued,
        1,
        "one confirmation"
    );
    // The first link still works; after the window a new request replaces it.
    assert!(
        s.pending_subscription(&format!("{:064x}", 1), t0 + 9 * min, i64::MAX / 2)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        ask("eve@example.com", 3, t0 + 11 * min).await,
        SubscribeOutcome::Stored
    );
    assert_eq!(s.outbox_counts().await.unwrap().queued, 2);
    assert!(
        s.pending_subscription(&format!("{:064x}", 1), t0 + 11 * min, i64::MAX / 2)
            .await
            .unwrap()
            .is_none(),
        "replaced"
    );

    // On record in the last hour: eve's (the replaced one no longer counts). Two more fit.
    assert_eq!(
        ask("fay@example.com", 4, t0 + 12 * min).await,
        SubscribeOutcome::Stored
    );
    assert_eq!(
        ask("gus@example.com", 5, t0 + 13 * min).await,
        SubscribeOutcome::Stored
    );
    assert_eq!(
        ask("hal@example.com", 6, t0 + 14 * min).await,
        SubscribeOutcome::HourlyLimit
    );
    // Refused alike whether or not the address asked recently.
    assert_eq!(
        ask("gus@example.com", 7, t0 + 14 * min).await,
        SubscribeOutcome::HourlyLimit
    );
    assert_eq!(
        s.outbox_counts().await.unwrap().queued,
        4,
        "nothing queued for the refused"
    );
    // An hour after eve's request, its place is free again.
    assert_eq!(
        ask("hal@example.com", 8, t0 + 72 * min).await,
        SubscribeOutcome::Stored
    );

    // Two subscribers with notifications in every state; one unsubscribes.
    let fay = s
        .confirm_subscription(&format!("{:064x}", 4), t0 + 80 * min, i64::MAX / 2)
        .await
        .unwrap()
        .expect("fay's request");
    let gus = s
        .confirm_subscription(&format!("{:064x}", 5), t0 + 80 * min, i64::MAX / 2)
        .await
        .unwrap()
        .expect("gus's request");
    let notification = |id: i64, post: &str, due_ms: i64| amends_store::NewJob {
        key: format!("status-page/INC-1/public/status_update/{post}/subscriber/{id}"),
        incident_id: "status-page/INC-1".into(),
        channel: "email".into(),
        due_ms,
        payload: "{}".into(),
    };
    s.enqueue(&[
        notification(fay.id, "0", t0),
        notification(fay.id, "1", t0 + 200 * min),
        notification(gus.id, "0", t0),
    ])
    .await
    .unwrap();
    let before = s.outbox_counts().await.unwrap();
    // Every due job is claimed (confirmations and the two notifications due now): fay's first
    // notification is being sent when she unsubscribes; her second is still queued.
    let claimed = s.claim(t0 + 90 * min, 60_000, 100).await.unwrap();
    assert!(
        claimed
            .iter()
            .any(|j| j.key.ends_with(&format!("/0/subscriber/{}", fay.id)))
    );
    assert!(
        s.unsubscribe(&format!("{:064x}", 4u64 << 32))
            .await
            .unwrap()
    );
    let after = s.outbox_counts().await.unwrap();
    assert_eq!(
        (before.queued + before.sending) - (after.queued + after.sending),
        2,
        "fay's two notifications, being sent or queued, are gone: {before:?} → {after:?}"
    );
    // The one being sent fails: it is not retried (there is nothing left to retry).
    let fays = claimed
        .iter()
        .find(|j| j.key.ends_with(&format!("/0/subscriber/{}", fay.id)))
        .unwrap();
    s.fail(fays, "timeout", Some(t0 + 91 * min)).await.unwrap();
    let later = s.claim(t0 + 300 * min, 60_000, 100).await.unwrap();
    assert!(
        later
            .iter()
            .all(|j| !j.key.ends_with(&format!("/subscriber/{}", fay.id))),
        "{later:?}"
    );
    assert!(
        later
            .iter()
            .any(|j| j.key.ends_with(&format!("/0/subscriber/{}", gus.id))),
        "gus's notification stays: {later:?}"
    );
    db.cleanup().await;
}

// ----- extending a plan ------------------------------------------------------------------------

both! {
    an_extension_drops_the_superseded_occurrences_still_waiting => sqlite_an_extension_drops_the_superseded_occurrences_still_waiting, postgres_an_extension_drops_the_superseded_occurrences_still_waiting;
}

/// Status updates queued ahead while no worker sent them: extending the plan later queues the
/// latest and drops the older ones still waiting or dead, but not one being sent, and not
/// another incident's job of the same step.
async fn an_extension_drops_the_superseded_occurrences_still_waiting(db: Db) {
    let s = &db.store;
    s.write_incident(change("INC-1", None, "declare", vec![]))
        .await
        .unwrap();
    let version = s.incident("INC-1").await.unwrap().version;
    let update = |incident: &str, n: u32| amends_store::NewJob {
        key: format!("{incident}/public/status_update/{n}"),
        incident_id: incident.into(),
        channel: "status_page".into(),
        due_ms: 1_000 * i64::from(n),
        payload: "{}".into(),
    };
    // Occurrence 4 failed for good; a worker took occurrence 1 and is sending it.
    s.enqueue(&[update("INC-1", 4)]).await.unwrap();
    let fourth = s.claim(4_000, 60_000, 10).await.unwrap();
    s.fail(&fourth[0], "rejected", None).await.unwrap();
    assert_eq!(s.dead_jobs().await.unwrap().len(), 1);
    s.enqueue(&[
        update("INC-1", 1),
        update("INC-1", 2),
        update("INC-1", 3),
        update("INC-2", 1),
    ])
    .await
    .unwrap();
    let claimed = s.claim(1_000, 60_000, 1).await.unwrap();
    assert_eq!(claimed[0].key, "INC-1/public/status_update/1");
    let superseded: Vec<String> = (1..=4)
        .map(|n| format!("INC-1/public/status_update/{n}"))
        .chain(["INC-2/public/status_update/1".to_string()])
        .collect();
    let done = s
        .extend_jobs("INC-1", version, &[update("INC-1", 5)], &superseded)
        .await
        .unwrap();
    assert!(done.is_some());
    let later = s.claim(50_000, 60_000, 100).await.unwrap();
    let keys: Vec<&str> = later.iter().map(|j| j.key.as_str()).collect();
    // 2 and 3 are gone, and 4 from the dead letters; 1 is still the worker's (its lease has
    // not run out); INC-2's stays.
    assert!(s.dead_jobs().await.unwrap().is_empty());
    assert_eq!(
        keys,
        [
            "INC-2/public/status_update/1",
            "INC-1/public/status_update/5"
        ],
        "{later:?}"
    );
    // A stale version changes nothing, not even the superseded ones.
    s.enqueue(&[update("INC-1", 6)]).await.unwrap();
    assert!(
        s.extend_jobs(
            "INC-1",
            version - 1,
            &[],
            &["INC-1/public/status_update/6".into()]
        )
        .await
        .unwrap()
        .is_none()
    );
    assert_eq!(s.claim(50_000, 60_000, 100).await.unwrap().len(), 1);
    db.cleanup().await;
}
