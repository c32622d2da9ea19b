//! The store-backed commands as separate processes: a fresh machine creates its SQLite
//! database on first use, `amends audit verify` names a tampered entry, and two `amends serve`
//! processes on one PostgreSQL database never lose a concurrent update.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Value, json};
use sqlx::Connection;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn unique() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// A scratch directory and the database URL the commands use.
struct Env {
    dir: PathBuf,
    url: String,
}

impl Env {
    fn sqlite() -> Env {
        let dir = std::env::temp_dir().join(format!("amends-svc-{}", unique()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite:{}", dir.join("amends.db").display());
        Env { dir, url }
    }

    async fn postgres() -> Env {
        let admin = std::env::var("AMENDS_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is not reachable at {admin}: {e}; these tests need the real server"
                )
            });
        let name = format!("amends_svc_{}", unique());
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let mut env = Env::sqlite();
        env.url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
        env
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_amends"));
        c.args(args)
            .current_dir(&self.dir)
            .env("AMENDS_DATABASE_URL", &self.url)
            .env_remove("AMENDS_PLAYBOOK")
            .env("AMENDS_LISTEN", "127.0.0.1:0");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "amends {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }
}

fn demo(file: &str) -> String {
    repo().join("demo").join(file).display().to_string()
}

#[test]
fn a_fresh_machine_creates_its_database_and_imports_all_or_nothing() {
    let env = Env::sqlite();
    let first = env.ok(&["accounts", "import", &demo("accounts.csv")]);
    assert!(first.contains("180 new, 0 updated, 0 unchanged"), "{first}");
    assert!(env.dir.join("amends.db").exists());
    let again = env.ok(&["accounts", "import", &demo("accounts.csv")]);
    assert!(again.contains("0 new, 0 updated, 180 unchanged"), "{again}");

    let csv = std::fs::read_to_string(demo("accounts.csv")).unwrap();
    let mut lines: Vec<String> = csv.lines().map(String::from).collect();
    lines[3] = lines[3].replace(",USD,", ",USX,");
    lines[7] = lines[7]
        .replace("growth", "platinum")
        .replace("enterprise", "platinum");
    let bad = env.dir.join("bad.csv");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let o = env.run(&["accounts", "import", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("row 3: currency") && err.contains("row 7: tier"),
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
    let o = env.run(&["accounts", "import", "--partial", bad.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("2 rejected"));
}

/// `amends audit verify` after a row of the trail was edited behind amends' back.
async fn tamper_and_verify(env: Env, edit: &str, delete: &str) {
    env.ok(&["accounts", "import", &demo("accounts.csv")]);
    env.ok(&["incident", "declare", &demo("incident.toml")]);
    let intact = env.ok(&["audit", "verify"]);
    assert!(intact.starts_with("audit trail intact: "), "{intact}");

    let mut db = sqlx::AnyConnection::connect(&raw_url(&env.url))
        .await
        .unwrap();
    sqlx::raw_sql(edit).execute(&mut db).await.unwrap();
    sqlx::raw_sql("UPDATE audit_log SET actor = 'someone else' WHERE seq = 5")
        .execute(&mut db)
        .await
        .unwrap();
    let o = env.run(&["audit", "verify"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("audit trail broken at entry 5") && err.contains("edited"),
        "{err}"
    );

    sqlx::raw_sql(
        "UPDATE audit_log SET actor = (SELECT actor FROM audit_log WHERE seq = 4) WHERE seq = 5",
    )
    .execute(&mut db)
    .await
    .unwrap();
    sqlx::raw_sql(delete).execute(&mut db).await.unwrap();
    sqlx::raw_sql("DELETE FROM audit_log WHERE seq = 3")
        .execute(&mut db)
        .await
        .unwrap();
    let o = env.run(&["audit", "verify"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("audit trail broken at entry 3"), "{err}");
}

fn raw_url(url: &str) -> String {
    sqlx::any::install_default_drivers();
    match url.strip_prefix("sqlite:") {
        Some(path) => format!("sqlite://{path}"),
        None => url.to_string(),
    }
}

#[tokio::test]
async fn sqlite_audit_verify_names_the_tampered_entry() {
    tamper_and_verify(
        Env::sqlite(),
        "DROP TRIGGER audit_log_no_update",
        "DROP TRIGGER audit_log_no_delete",
    )
    .await;
}

#[tokio::test]
async fn postgres_audit_verify_names_the_tampered_entry() {
    tamper_and_verify(
        Env::postgres().await,
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
        "SELECT 1",
    )
    .await;
}

/// A running `amends serve`, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(env: &Env) -> Server {
    let mut child = env
        .command(&["serve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    assert!(line.contains("store: PostgreSQL"), "{line}");
    Server { child, base }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_never_lose_an_update() {
    let env = Env::postgres().await;
    env.ok(&["accounts", "import", &demo("accounts.csv")]);
    let token = env
        .ok(&["token", "create", "--role", "agent"])
        .trim()
        .to_string();
    let (a, b) = (serve(&env), serve(&env));
    let http = reqwest::Client::new();
    let incident: Value = {
        let text = std::fs::read_to_string(demo("incident.toml")).unwrap();
        toml::from_str(&text).unwrap()
    };
    let r = http
        .post(format!("{}/v1/incidents", a.base))
        .bearer_auth(&token)
        .json(&incident)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    let mut version = 1;
    let mut successes = 0;
    for round in 0..8 {
        let patch = |server: &str, n: i32| {
            http.patch(format!("{server}/v1/incidents/INC-2024-1015"))
                .bearer_auth(&token)
                .json(&json!({"expected_version": version, "known_cause": format!("round {round} via {n}")}))
                .send()
        };
        let (ra, rb) = tokio::join!(patch(&a.base, 1), patch(&b.base, 2));
        let (ra, rb) = (ra.unwrap(), rb.unwrap());
        let statuses = [ra.status().as_u16(), rb.status().as_u16()];
        let mut sorted = statuses;
        sorted.sort_unstable();
        assert_eq!(sorted, [200, 409], "round {round}: exactly one wins");
        let loser = if statuses[0] == 409 { ra } else { rb };
        assert_eq!(loser.headers()["content-type"], "application/problem+json");
        successes += 1;
        version += 1;
        // The loser retries with the current version and succeeds.
        let retry = http
            .patch(format!("{}/v1/incidents/INC-2024-1015", b.base))
            .bearer_auth(&token)
            .json(&json!({"expected_version": version, "known_cause": format!("round {round} retry")}))
            .send()
            .await
            .unwrap();
        assert_eq!(retry.status(), 200, "{}", retry.text().await.unwrap());
        successes += 1;
        version += 1;
    }
    let current: Value = http
        .get(format!("{}/v1/incidents/INC-2024-1015", a.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(current["version"], 1 + successes, "no update lost");
    drop((a, b));
    assert!(
        env.ok(&["audit", "verify"])
            .starts_with("audit trail intact")
    );
}

#[test]
fn bad_configuration_is_refused_with_its_place() {
    let env = Env::sqlite();
    let config = env.dir.join("amends.toml");
    std::fs::write(
        &config,
        "listen = \"127.0.0.1:0\"\ndatabse_url = \"sqlite:x.db\"\n",
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_amends"))
        .args(["--config", config.to_str().unwrap(), "serve"])
        .current_dir(&env.dir)
        .env_remove("AMENDS_DATABASE_URL")
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("unknown field `databse_url`") && err.contains("amends.toml:2:1"),
        "{err}"
    );

    let o = env
        .command(&["serve"])
        .env("AMENDS_DATABASE_URL", "mysql://root:secret@localhost/x")
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unsupported database URL"), "{err}");
    assert!(!err.contains("secret"), "the password is redacted: {err}");
}

#[test]
fn the_cli_lifecycle_declares_updates_resolves_reopens_and_shows() {
    let env = Env::sqlite();
    env.ok(&["accounts", "import", &demo("accounts.csv")]);
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
        out.starts_with("INC-2024-1015 — open — severity S1 — version 1"),
        "{out}"
    );
    let patch = env.dir.join("patch.json");
    std::fs::write(&patch, r#"{"expected_version": 1, "workaround": true}"#).unwrap();
    let out = env.ok(&[
        "incident",
        "update",
        "INC-2024-1015",
        "--patch",
        patch.to_str().unwrap(),
    ]);
    assert!(out.contains("version 2"), "{out}");
    // A stale patch is refused and changes nothing.
    let o = env.run(&[
        "incident",
        "update",
        "INC-2024-1015",
        "--patch",
        patch.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("version 2, not 1"));
    let out = env.ok(&[
        "incident",
        "resolve",
        "INC-2024-1015",
        "--at",
        "2024-10-15T14:00:00-04:00",
    ]);
    assert!(
        out.contains("resolved") && out.contains("version 3"),
        "{out}"
    );
    let out = env.ok(&[
        "incident",
        "reopen",
        "INC-2024-1015",
        "--reason",
        "errors are back",
    ]);
    assert!(out.contains("open") && out.contains("version 4"), "{out}");
    let show = env.ok(&["incident", "show", "INC-2024-1015"]);
    for needed in [
        "1 ",
        "declare",
        "update",
        "resolve",
        "reopen",
        "v1 ",
        "v4 ",
        "first plan",
    ] {
        assert!(show.contains(needed), "{needed:?} in {show}");
    }
    assert!(
        env.ok(&["audit", "verify"])
            .starts_with("audit trail intact")
    );
}
