//! The store-backed commands as separate processes of the real `amends` binary, each test in
//! its own temporary directory:
//!
//! - a fresh machine (no database configured, no config file) gets its SQLite file `amends.db`
//!   on the first `amends accounts import`; re-importing changes nothing; an import with bad
//!   rows is all or nothing, and `--partial` keeps the good rows, each bad row named on stderr;
//! - the CLI lifecycle (declare, update, resolve, reopen, show) against the store, with
//!   `amends audit verify` counting every change;
//! - `amends audit verify` names the first edited or deleted entry of the audit trail, after
//!   the append-only triggers were removed behind amends' back, on SQLite and on PostgreSQL;
//! - two `amends serve` processes on one PostgreSQL database: concurrent PATCHes with the same
//!   `expected_version` through both, exactly one wins and the other gets 409 problem+json, a
//!   retry succeeds, and no update is lost;
//! - `amends serve` refuses a bad configuration file (naming file:line:col) and an unsupported
//!   database URL (without showing its password).
//!
//! PostgreSQL is the real server named by `AMENDS_TEST_POSTGRES` (by default
//! `postgres://postgres@127.0.0.1:5432/postgres`); each test creates its own database there and
//! drops it when it passed. An unreachable server fails those tests loudly; nothing is skipped.
//! Every wait is bounded: commands, the servers' start-up and HTTP requests have timeouts.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::Connection;

/// How long one CLI command may take (a debug build importing 180 accounts into PostgreSQL
/// takes a few seconds).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
/// How long `amends serve` may take to refuse a bad configuration and exit.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long `amends serve` may take to print where it listens.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one HTTP request may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a database connection or statement issued by the test itself may take.
const SQL_TIMEOUT: Duration = Duration::from_secs(30);

const INCIDENT: &str = "INC-2024-1015";

/// The environment variables the binary reads; every command starts without them so the
/// developer's or CI's own settings cannot leak into a test.
const AMENDS_VARS: [&str; 4] = [
    "AMENDS_DATABASE_URL",
    "AMENDS_LISTEN",
    "AMENDS_PLAYBOOK",
    "AMENDS_LOG",
];

// ----- harness -----------------------------------------------------------------------------

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn demo(file: &str) -> String {
    repo().join("demo").join(file).display().to_string()
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

fn postgres_admin_url() -> String {
    std::env::var("AMENDS_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
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
    match tokio::time::timeout(SQL_TIMEOUT, sqlx::PgConnection::connect(admin)).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => panic!(
            "PostgreSQL is not reachable at {admin}: {e}. These tests run against a real \
             PostgreSQL server: start one, or point AMENDS_TEST_POSTGRES at one."
        ),
        Err(_) => panic!(
            "PostgreSQL at {admin} did not answer within {SQL_TIMEOUT:?}. These tests run \
             against a real PostgreSQL server: start one, or point AMENDS_TEST_POSTGRES at one."
        ),
    }
}

/// A scratch directory (the commands' working directory) and the database they use.
struct Env {
    dir: PathBuf,
    /// `AMENDS_DATABASE_URL` for the commands; `None` leaves the database unconfigured.
    url: Option<String>,
    /// PostgreSQL: the database's name and the server's admin URL, to drop it afterwards.
    pg: Option<(String, String)>,
}

impl Env {
    /// An empty directory and no database configured: a fresh machine.
    fn fresh() -> Env {
        let dir = std::env::temp_dir().join(format!("amends-svc-{}", unique()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Env {
            dir,
            url: None,
            pg: None,
        }
    }

    /// A SQLite file in the scratch directory, named through `AMENDS_DATABASE_URL`.
    fn sqlite() -> Env {
        let mut env = Env::fresh();
        env.url = Some(format!("sqlite:{}", env.dir.join("amends.db").display()));
        env
    }

    /// A new database on the PostgreSQL server.
    async fn postgres() -> Env {
        let admin = postgres_admin_url();
        let name = format!("amends_svc_{}", unique());
        let mut conn = admin_connection(&admin).await;
        tokio::time::timeout(
            SQL_TIMEOUT,
            sqlx::raw_sql(&format!("CREATE DATABASE {name}")).execute(&mut conn),
        )
        .await
        .unwrap_or_else(|_| panic!("CREATE DATABASE {name} timed out"))
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name} on {admin}: {e}"));
        conn.close().await.ok();
        let mut env = Env::fresh();
        env.url = Some(with_database(&admin, &name));
        env.pg = Some((name, admin));
        env
    }

    /// The URL a raw sqlx `Any` connection takes, for editing the database behind amends' back.
    fn raw_url(&self) -> String {
        let url = self.url.as_deref().expect("a configured database");
        match url.strip_prefix("sqlite:") {
            Some(path) => format!("sqlite://{path}"),
            None => url.to_string(),
        }
    }

    /// `amends ARGS` in the scratch directory, with only the environment this test chose.
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_amends"));
        c.args(args).current_dir(&self.dir);
        for var in AMENDS_VARS {
            c.env_remove(var);
        }
        if let Some(url) = &self.url {
            c.env("AMENDS_DATABASE_URL", url);
        }
        c.env("AMENDS_LISTEN", "127.0.0.1:0");
        c
    }

    fn run(&self, args: &[&str]) -> Finished {
        run_bounded(
            self.command(args),
            &format!("amends {args:?}"),
            COMMAND_TIMEOUT,
        )
    }

    /// Runs `amends ARGS`, asserts success and returns its standard output.
    fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "amends {args:?} failed ({}): {}",
            o.status,
            o.stderr
        );
        o.stdout
    }

    /// `amends audit verify` must succeed; returns the number of entries it checked.
    fn verify_intact(&self) -> i64 {
        intact_entries(&self.ok(&["audit", "verify"]))
    }

    /// `amends audit verify` must fail; returns its standard error.
    fn verify_broken(&self) -> String {
        let o = self.run(&["audit", "verify"]);
        assert!(
            !o.status.success(),
            "audit verify passed a tampered trail: {}",
            o.stdout
        );
        assert!(
            !o.stdout.contains("intact"),
            "a failed verify must not claim the trail is intact: {}",
            o.stdout
        );
        o.stderr
    }

    /// Drops the PostgreSQL database and removes the directory. Only reached when the test
    /// passed, so a failing test leaves its data behind to look at.
    async fn cleanup(self) {
        if let Some((name, admin)) = &self.pg {
            let mut conn = admin_connection(admin).await;
            let _ = tokio::time::timeout(
                SQL_TIMEOUT,
                sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn),
            )
            .await;
            conn.close().await.ok();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A finished process: its exit status and its output as text.
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

fn drain(mut r: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        buf
    })
}

/// Runs `cmd` to completion, killing it (and failing the test) after `timeout`.
fn run_bounded(mut cmd: Command, what: &str, timeout: Duration) -> Finished {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let out = drain(child.stdout.take().unwrap());
    let err = drain(child.stderr.take().unwrap());
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {timeout:?}; killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Finished {
        status,
        stdout: String::from_utf8_lossy(&out.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
    }
}

/// Parses `audit trail intact: N entries, head HASH` and returns N.
fn intact_entries(out: &str) -> i64 {
    let rest = out
        .strip_prefix("audit trail intact: ")
        .unwrap_or_else(|| panic!("not an intact verdict: {out:?}"));
    let (count, head) = rest
        .trim_end()
        .split_once(" entries, head ")
        .unwrap_or_else(|| panic!("no entry count and head in {out:?}"));
    assert!(
        head.len() == 64 && head.bytes().all(|b| b.is_ascii_hexdigit()),
        "the head is a SHA-256 in hex: {out:?}"
    );
    count
        .parse()
        .unwrap_or_else(|e| panic!("entry count {count:?} in {out:?}: {e}"))
}

/// Runs SQL on the database behind amends' back; `Err` carries the database's refusal.
async fn raw_sql(url: &str, sql: &str) -> Result<u64, String> {
    sqlx::any::install_default_drivers();
    let work = async {
        let mut conn = sqlx::AnyConnection::connect(url).await?;
        let done = sqlx::raw_sql(sql).execute(&mut conn).await;
        conn.close().await.ok();
        done.map(|d| d.rows_affected())
    };
    match tokio::time::timeout(SQL_TIMEOUT, work).await {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => panic!("{sql:?} on {url} did not finish within {SQL_TIMEOUT:?}"),
    }
}

/// The first column of the first row of a query, as text (via the `Any` driver).
async fn raw_text(url: &str, sql: &str) -> String {
    use sqlx::Row as _;
    sqlx::any::install_default_drivers();
    let work = async {
        let mut conn = sqlx::AnyConnection::connect(url).await?;
        let row = sqlx::query(sql).fetch_one(&mut conn).await;
        conn.close().await.ok();
        row.and_then(|r| r.try_get::<String, _>(0))
    };
    tokio::time::timeout(SQL_TIMEOUT, work)
        .await
        .unwrap_or_else(|_| panic!("{sql:?} did not finish within {SQL_TIMEOUT:?}"))
        .unwrap_or_else(|e| panic!("{sql:?} on {url}: {e}"))
}

/// The ids in the `accounts` table of a SQLite file.
async fn sqlite_account_ids(db: &Path) -> Vec<String> {
    use sqlx::Row as _;
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}", db.display());
    let work = async {
        let mut conn = sqlx::AnyConnection::connect(&url).await?;
        let rows = sqlx::query("SELECT id FROM accounts ORDER BY id")
            .fetch_all(&mut conn)
            .await;
        conn.close().await.ok();
        rows?
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<Vec<_>, _>>()
    };
    tokio::time::timeout(SQL_TIMEOUT, work)
        .await
        .unwrap_or_else(|_| panic!("reading {url} did not finish within {SQL_TIMEOUT:?}"))
        .unwrap_or_else(|e| panic!("reading the accounts of {url}: {e}"))
}

/// The demo accounts with two bad rows: data row 3 gets an unknown currency, data row 7 an
/// unknown tier.
fn accounts_with_two_bad_rows(dir: &Path) -> PathBuf {
    let csv = std::fs::read_to_string(demo("accounts.csv")).unwrap();
    let mut lines: Vec<String> = csv.lines().map(String::from).collect();
    assert!(lines[3].starts_with("acct-0003,") && lines[3].contains(",USD,"));
    lines[3] = lines[3].replace(",USD,", ",USX,");
    assert!(lines[7].starts_with("acct-0007,"));
    lines[7] = lines[7]
        .replace(",growth,", ",platinum,")
        .replace(",enterprise,", ",platinum,");
    assert!(lines[7].contains(",platinum,"));
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    bad
}

// ----- 1. a fresh machine ------------------------------------------------------------------

#[tokio::test]
async fn a_fresh_machine_creates_its_sqlite_database_on_the_first_import() {
    let env = Env::fresh();
    let db = env.dir.join("amends.db");
    assert!(!db.exists());
    let first = env.ok(&["accounts", "import", &demo("accounts.csv")]);
    assert!(
        first.contains("SQLite file amends.db")
            && first.contains("180 new, 0 updated, 0 unchanged"),
        "{first}"
    );
    assert!(
        db.is_file(),
        "amends.db is created in the working directory"
    );
    assert_eq!(sqlite_account_ids(&db).await.len(), 180);
    let again = env.ok(&["accounts", "import", &demo("accounts.csv")]);
    assert!(again.contains("0 new, 0 updated, 180 unchanged"), "{again}");
    assert_eq!(sqlite_account_ids(&db).await.len(), 180);
    env.cleanup().await;
}

#[tokio::test]
async fn an_import_with_bad_rows_is_all_or_nothing_unless_partial() {
    let env = Env::fresh();
    let db = env.dir.join("amends.db");
    let bad = accounts_with_two_bad_rows(&env.dir);
    let bad = bad.to_str().unwrap();

    let o = env.run(&["accounts", "import", bad]);
    assert!(!o.status.success(), "bad rows without --partial must fail");
    assert!(
        o.stderr.contains("row 3: currency") && o.stderr.contains("row 7: tier"),
        "each bad row is named: {}",
        o.stderr
    );
    assert!(o.stderr.contains("nothing was imported"), "{}", o.stderr);
    assert!(!o.stdout.contains("imported into"), "{}", o.stdout);
    if db.exists() {
        assert_eq!(
            sqlite_account_ids(&db).await,
            Vec::<String>::new(),
            "all or nothing: not one good row may be written"
        );
    }

    let o = env.run(&["accounts", "import", "--partial", bad]);
    assert!(o.status.success(), "--partial: {}", o.stderr);
    assert!(
        o.stderr.contains("row 3: currency") && o.stderr.contains("row 7: tier"),
        "--partial still names each bad row: {}",
        o.stderr
    );
    assert!(
        o.stdout
            .contains("178 new, 0 updated, 0 unchanged, 2 rejected"),
        "{}",
        o.stdout
    );
    let ids = sqlite_account_ids(&db).await;
    assert_eq!(ids.len(), 178);
    assert!(!ids.iter().any(|id| id == "acct-0003" || id == "acct-0007"));
    assert!(ids.iter().any(|id| id == "acct-0002") && ids.iter().any(|id| id == "acct-0008"));
    env.cleanup().await;
}

// ----- 2. the CLI lifecycle ----------------------------------------------------------------

/// The `(seq, kind)` of each timeline line and the version of each plan line that
/// `amends incident show` prints, and the diff lines under each plan version.
struct Shown {
    timeline: Vec<(i64, String)>,
    plans: Vec<(i64, Vec<String>)>,
}

fn parse_show(out: &str) -> Shown {
    let (_, rest) = out
        .split_once("\ntimeline:\n")
        .unwrap_or_else(|| panic!("no timeline in {out}"));
    let (timeline, plans) = rest
        .split_once("\nplan versions:\n")
        .unwrap_or_else(|| panic!("no plan versions in {out}"));
    let timeline = timeline
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            assert!(words.len() >= 5 && words[3] == "by", "timeline line {l:?}");
            let seq = words[0]
                .parse()
                .unwrap_or_else(|e| panic!("timeline line {l:?}: {e}"));
            (seq, words[2].to_string())
        })
        .collect();
    let mut versions: Vec<(i64, Vec<String>)> = Vec::new();
    for l in plans.lines() {
        if let Some(v) = l.strip_prefix("  v") {
            let n = v
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("plan version line {l:?}"));
            versions.push((n, Vec::new()));
        } else if let Some(diff) = l.strip_prefix("      ") {
            versions
                .last_mut()
                .unwrap_or_else(|| panic!("diff line before any version: {l:?}"))
                .1
                .push(diff.to_string());
        }
    }
    Shown {
        timeline,
        plans: versions,
    }
}

#[tokio::test]
async fn the_cli_lifecycle_declares_updates_resolves_reopens_and_shows() {
    let env = Env::sqlite();
    env.ok(&["accounts", "import", &demo("accounts.csv")]);
    // Every change below is in the audit trail: the count grows, and the chain stays intact.
    let mut entries = env.verify_intact();
    let grew = |env: &Env, entries: &mut i64, step: &str| {
        let now = env.verify_intact();
        assert!(
            now > *entries,
            "{step} added no audit entry ({entries} → {now})"
        );
        *entries = now;
    };

    let open: String = std::fs::read_to_string(demo("incident.toml"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("resolved_at"))
        .map(|l| format!("{l}\n"))
        .collect();
    let file = env.dir.join("incident.toml");
    std::fs::write(&file, open).unwrap();
    let out = env.ok(&["incident", "declare", file.to_str().unwrap()]);
    assert!(
        out.starts_with("INC-2024-1015 — open — severity S1 — version 1 — plan version 1"),
        "{out}"
    );
    grew(&env, &mut entries, "declare");

    let patch = env.dir.join("patch.json");
    std::fs::write(&patch, r#"{"expected_version": 1, "workaround": true}"#).unwrap();
    let update = [
        "incident",
        "update",
        INCIDENT,
        "--patch",
        patch.to_str().unwrap(),
    ];
    let out = env.ok(&update);
    assert!(out.contains("— version 2 —"), "{out}");
    grew(&env, &mut entries, "update");
    // A stale patch is refused and changes nothing.
    let o = env.run(&update);
    assert!(!o.status.success(), "a stale patch must be refused");
    assert!(o.stderr.contains("version 2, not 1"), "{}", o.stderr);
    assert_eq!(
        env.verify_intact(),
        entries,
        "a refused update writes nothing"
    );

    let out = env.ok(&[
        "incident",
        "resolve",
        INCIDENT,
        "--at",
        "2024-10-15T14:00:00-04:00",
    ]);
    assert!(
        out.starts_with("INC-2024-1015 — resolved — severity S1 — version 3 — plan version 3"),
        "{out}"
    );
    // 10:00 to 14:00 New York time: the re-plan knows the outage lasted four hours.
    assert!(out.contains("→ 240 minutes"), "{out}");
    grew(&env, &mut entries, "resolve");

    let out = env.ok(&[
        "incident",
        "reopen",
        INCIDENT,
        "--reason",
        "errors are back",
    ]);
    assert!(
        out.starts_with("INC-2024-1015 — open — severity S1 — version 4 — plan version 4"),
        "{out}"
    );
    grew(&env, &mut entries, "reopen");

    let out = env.ok(&["incident", "show", INCIDENT]);
    assert!(
        out.starts_with("INC-2024-1015 — open — severity S1 — version 4 — plan version 4"),
        "{out}"
    );
    let shown = parse_show(&out);
    assert_eq!(
        shown.timeline,
        [
            (1, "declare".to_string()),
            (2, "update".to_string()),
            (3, "resolve".to_string()),
            (4, "reopen".to_string()),
        ],
        "{out}"
    );
    let versions: Vec<i64> = shown.plans.iter().map(|(v, _)| *v).collect();
    assert_eq!(versions, [1, 2, 3, 4], "{out}");
    assert_eq!(shown.plans[0].1, ["first plan"], "{out}");
    assert!(
        shown.plans[2]
            .1
            .iter()
            .any(|l| l.ends_with("→ 240 minutes")),
        "the resolution's plan version shows the duration change: {out}"
    );
    assert!(
        shown.plans[1..].iter().all(|(_, diff)| !diff.is_empty()),
        "every later plan version says what changed: {out}"
    );
    // `show` only reads.
    assert_eq!(env.verify_intact(), entries);
    env.cleanup().await;
}

// ----- 3. tampering ------------------------------------------------------------------------

/// Writes through the CLI, then edits and deletes audit rows behind amends' back:
/// `amends audit verify` must fail and name the first bad entry each time.
async fn tamper_and_verify(env: Env, unlock_update: &str, unlock_delete: Option<&str>) {
    env.ok(&["accounts", "import", &demo("accounts.csv")]);
    let open: String = std::fs::read_to_string(demo("incident.toml"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("resolved_at"))
        .map(|l| format!("{l}\n"))
        .collect();
    let file = env.dir.join("incident.toml");
    std::fs::write(&file, open).unwrap();
    env.ok(&["incident", "declare", file.to_str().unwrap()]);
    env.ok(&[
        "incident",
        "resolve",
        INCIDENT,
        "--at",
        "2024-10-15T14:00:00-04:00",
    ]);
    let count = env.verify_intact();
    assert!(
        count >= 10,
        "enough entries to tamper in the middle: {count}"
    );
    let url = env.raw_url();

    // The database itself refuses both, as long as the triggers are in place.
    let edit = raw_sql(&url, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2").await;
    assert!(
        edit.as_ref().is_err_and(|e| e.contains("append-only")),
        "{edit:?}"
    );
    let delete = raw_sql(&url, "DELETE FROM audit_log WHERE seq = 2").await;
    assert!(
        delete.as_ref().is_err_and(|e| e.contains("append-only")),
        "{delete:?}"
    );
    assert_eq!(env.verify_intact(), count);

    // Edit one entry's actor.
    let edited = count - 2;
    raw_sql(&url, unlock_update).await.unwrap();
    let original = raw_text(
        &url,
        &format!("SELECT actor FROM audit_log WHERE seq = {edited}"),
    )
    .await;
    assert_ne!(original, "mallory");
    let n = raw_sql(
        &url,
        &format!("UPDATE audit_log SET actor = 'mallory' WHERE seq = {edited}"),
    )
    .await
    .unwrap();
    assert_eq!(n, 1);
    let err = env.verify_broken();
    assert!(
        err.contains(&format!("audit trail broken at entry {edited}:")) && err.contains("edited"),
        "names entry {edited}: {err}"
    );

    // Put it back: the chain verifies again, so it was that edit that was caught.
    raw_sql(
        &url,
        &format!(
            "UPDATE audit_log SET actor = '{}' WHERE seq = {edited}",
            original.replace('\'', "''")
        ),
    )
    .await
    .unwrap();
    assert_eq!(env.verify_intact(), count);

    // Delete one entry in the middle.
    let deleted = count / 2;
    if let Some(sql) = unlock_delete {
        raw_sql(&url, sql).await.unwrap();
    }
    let n = raw_sql(
        &url,
        &format!("DELETE FROM audit_log WHERE seq = {deleted}"),
    )
    .await
    .unwrap();
    assert_eq!(n, 1);
    let err = env.verify_broken();
    assert!(
        err.contains(&format!("audit trail broken at entry {deleted}:")),
        "names entry {deleted}: {err}"
    );
    env.cleanup().await;
}

#[tokio::test]
async fn sqlite_audit_verify_names_the_edited_or_deleted_entry() {
    tamper_and_verify(
        Env::sqlite(),
        "DROP TRIGGER audit_log_no_update",
        Some("DROP TRIGGER audit_log_no_delete"),
    )
    .await;
}

#[tokio::test]
async fn postgres_audit_verify_names_the_edited_or_deleted_entry() {
    // On PostgreSQL one trigger refuses both UPDATE and DELETE.
    tamper_and_verify(
        Env::postgres().await,
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
        None,
    )
    .await;
}

// ----- 4. two servers on one PostgreSQL database -------------------------------------------

/// A running `amends serve`, killed when dropped (also when the test panics).
struct Server {
    child: Child,
    base: String,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Server {
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `amends serve` and waits (bounded) for the line saying where it listens.
fn serve(env: &Env) -> Server {
    let mut child = env
        .command(&["serve"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut stderr_pipe = child.stderr.take().unwrap();
    let mut server = Server {
        child,
        base: String::new(),
        stderr: Arc::new(Mutex::new(Vec::new())),
    };
    let sink = server.stderr.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr_pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let (tx, rx) = mpsc::channel();
    // Reads the first line, then keeps draining standard output so the server never blocks
    // on (or fails writing to) a full or closed pipe.
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let _ = tx.send(lines.next());
        for _ in lines {}
    });
    let line = match rx.recv_timeout(STARTUP_TIMEOUT) {
        Ok(Some(Ok(line))) => line,
        Ok(other) => panic!(
            "amends serve ended without saying where it listens ({other:?}): {}",
            server.stderr()
        ),
        Err(_) => panic!(
            "amends serve said nothing within {STARTUP_TIMEOUT:?}: {}",
            server.stderr()
        ),
    };
    assert!(line.starts_with("amends listening on http://"), "{line}");
    assert!(
        line.contains("— store: PostgreSQL postgres://"),
        "says which store it uses: {line}"
    );
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    assert!(
        base.starts_with("http://127.0.0.1:") && !base.ends_with(":0"),
        "listens on the loopback port it was given: {line}"
    );
    server.base = base;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_never_lose_an_update() {
    const ROUNDS: usize = 10;
    let env = Env::postgres().await;
    env.ok(&["accounts", "import", &demo("accounts.csv")]);
    let created = env.run(&["token", "create", "--role", "agent"]);
    assert!(created.status.success(), "{}", created.stderr);
    let token = created.stdout.trim().to_string();
    assert!(
        !token.is_empty() && !token.contains(char::is_whitespace),
        "standard output is the token alone: {:?}",
        created.stdout
    );
    let servers = [serve(&env), serve(&env)];
    assert_ne!(servers[0].base, servers[1].base);
    let http = reqwest::Client::builder()
        .timeout(HTTP_TIMEOUT)
        .no_proxy()
        .build()
        .unwrap();
    let url = |s: &Server| format!("{}/v1/incidents/{INCIDENT}", s.base);

    let incident: Value = {
        let text = std::fs::read_to_string(demo("incident.toml")).unwrap();
        toml::from_str(&text).unwrap()
    };
    let r = http
        .post(format!("{}/v1/incidents", servers[0].base))
        .bearer_auth(&token)
        .json(&incident)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let declared: Value = r.json().await.unwrap();
    assert_eq!(declared["version"], 1, "{declared}");

    let mut version: i64 = 1;
    let mut successes: i64 = 0;
    let mut last_cause = String::new();
    for round in 0..ROUNDS {
        let patch = |i: usize| {
            http.patch(url(&servers[i]))
                .bearer_auth(&token)
                .json(&json!({
                    "expected_version": version,
                    "known_cause": format!("round {round} through server {i}"),
                }))
                .send()
        };
        // Both requests are in flight at once, each to its own process.
        let (ra, rb) = tokio::join!(patch(0), patch(1));
        let responses = [ra.unwrap(), rb.unwrap()];
        let statuses = [responses[0].status(), responses[1].status()];
        let winner = match statuses.map(|s| s.as_u16()) {
            [200, 409] => 0,
            [409, 200] => 1,
            other => panic!("round {round}: exactly one of the pair wins, got {other:?}"),
        };
        let loser = 1 - winner;
        let [r0, r1] = responses;
        let (won, lost) = if winner == 0 { (r0, r1) } else { (r1, r0) };
        let content_type = lost
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        assert!(
            content_type.starts_with("application/problem+json"),
            "round {round}: the 409 is problem+json, not {content_type:?}"
        );
        let problem: Value = lost.json().await.unwrap();
        assert_eq!(problem["status"], 409, "round {round}: {problem}");
        let won: Value = won.json().await.unwrap();
        assert_eq!(won["version"], version + 1, "round {round}: {won}");
        successes += 1;
        version += 1;

        // The loser retries, through its own server, with the current version.
        last_cause = format!("round {round} retried through server {loser}");
        let retry = http
            .patch(url(&servers[loser]))
            .bearer_auth(&token)
            .json(&json!({"expected_version": version, "known_cause": last_cause}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            retry.status(),
            200,
            "round {round}: the retry succeeds: {}",
            retry.text().await.unwrap()
        );
        let retried: Value = retry.json().await.unwrap();
        assert_eq!(retried["version"], version + 1, "round {round}: {retried}");
        successes += 1;
        version += 1;
    }

    // No update lost: both processes see every successful PATCH, and only those.
    for s in &servers {
        let current: Value = http
            .get(url(s))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            current["version"],
            1 + successes,
            "no update lost: {current}"
        );
        let events: Value = http
            .get(format!("{}/events", url(s)))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let events = events.as_array().unwrap_or_else(|| panic!("{events}"));
        assert_eq!(
            events.len() as i64,
            1 + successes,
            "one timeline event per successful change: {events:?}"
        );
        assert!(
            events[1..].iter().all(|e| e["kind"] == "update"),
            "{events:?}"
        );
    }
    let current: Value = http
        .get(url(&servers[1]))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        current.to_string().contains(&last_cause),
        "the last update is the one in force: {current}"
    );
    for s in &servers {
        assert!(
            !s.stderr().contains("panicked"),
            "a server panicked: {}",
            s.stderr()
        );
    }
    drop(servers);
    env.verify_intact();
    env.cleanup().await;
}

// ----- 5. bad configuration ----------------------------------------------------------------

#[tokio::test]
async fn serve_refuses_a_bad_configuration_with_its_place() {
    let env = Env::fresh();
    let config = env.dir.join("amends.toml");
    std::fs::write(
        &config,
        "listen = \"127.0.0.1:0\"\ndatabse_url = \"sqlite:x.db\"\n",
    )
    .unwrap();
    let mut cmd = env.command(&["--config", config.to_str().unwrap(), "serve"]);
    cmd.env_remove("AMENDS_LISTEN");
    let o = run_bounded(cmd, "amends --config amends.toml serve", REFUSAL_TIMEOUT);
    assert!(!o.status.success(), "a typo in the config file is refused");
    assert!(
        o.stderr.contains("unknown field `databse_url`")
            && o.stderr.contains(&format!("{}:2:1", config.display())),
        "names the key and file:line:col: {}",
        o.stderr
    );
    assert!(!o.stdout.contains("listening"), "{}", o.stdout);
    assert!(
        !env.dir.join("x.db").exists() && !env.dir.join("amends.db").exists(),
        "no database is created from a refused configuration"
    );
    env.cleanup().await;
}

#[tokio::test]
async fn serve_refuses_an_unsupported_database_url() {
    let mut env = Env::fresh();
    env.url = Some("mysql://root:secret@localhost/x".to_string());
    let o = run_bounded(env.command(&["serve"]), "amends serve", REFUSAL_TIMEOUT);
    assert!(!o.status.success(), "mysql:// is refused");
    assert!(
        o.stderr.contains("unsupported database URL")
            && o.stderr.contains("mysql://")
            && o.stderr.contains("sqlite:")
            && o.stderr.contains("postgres://"),
        "says what is wrong and what works: {}",
        o.stderr
    );
    assert!(
        !o.stderr.contains("secret"),
        "the password is redacted: {}",
        o.stderr
    );
    assert!(!o.stdout.contains("listening"), "{}", o.stdout);
    env.cleanup().await;
}
