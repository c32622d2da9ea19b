//! A fresh database per test, on SQLite or on the machine's real PostgreSQL server
//! (`AMENDS_TEST_POSTGRES`, by default `postgres://postgres@127.0.0.1:5432/postgres`; an
//! unreachable server fails the test), and the macro that runs a test on both. Included by
//! the test files that start the app over a store (`#[path]`), so the others do not carry it.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use sqlx::Connection;

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Which store a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A test's database: its URL and what to remove once the test passed.
pub struct Database {
    pub url: String,
    /// PostgreSQL: the admin URL and the database's name.
    postgres: Option<(String, String)>,
    /// SQLite: the file.
    file: Option<std::path::PathBuf>,
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
    std::env::var("AMENDS_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_string())
}

async fn admin_connection(admin: &str) -> sqlx::PgConnection {
    match tokio::time::timeout(Duration::from_secs(10), sqlx::PgConnection::connect(admin)).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => panic!(
            "PostgreSQL is not reachable at {admin}: {e}. These tests run against a real \
             PostgreSQL server: start one, or point AMENDS_TEST_POSTGRES at one."
        ),
        Err(_) => panic!(
            "PostgreSQL at {admin} did not answer within 10 s. These tests run against a real \
             PostgreSQL server: start one, or point AMENDS_TEST_POSTGRES at one."
        ),
    }
}

/// A new, empty database named after `what` (`api`, `status`) and a unique suffix.
pub async fn fresh_database(backend: Backend, what: &str) -> Database {
    match backend {
        Backend::Sqlite => {
            let file = std::env::temp_dir().join(format!("amends-{what}-{}.db", unique()));
            Database {
                url: format!("sqlite:{}", file.display()),
                postgres: None,
                file: Some(file),
            }
        }
        Backend::Postgres => {
            let admin = postgres_admin_url();
            let mut conn = admin_connection(&admin).await;
            let name = format!("amends_{what}_{}", unique());
            sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            let (base, query) = match admin.split_once('?') {
                Some((b, q)) => (b.to_string(), format!("?{q}")),
                None => (admin.clone(), String::new()),
            };
            let authority = base.find("://").map_or(0, |i| i + 3);
            let host_end = base[authority..]
                .find('/')
                .map_or(base.len(), |i| authority + i);
            Database {
                url: format!("{}/{name}{query}", &base[..host_end]),
                postgres: Some((admin, name)),
                file: None,
            }
        }
    }
}

impl Database {
    /// Removes the database of a test that passed (a failed one is left to inspect).
    pub async fn remove(self) {
        if let Some((admin, name)) = self.postgres {
            let mut conn = admin_connection(&admin).await;
            sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        if let Some(file) = self.file {
            for suffix in ["", "-wal", "-shm"] {
                let mut f = file.clone().into_os_string();
                f.push(suffix);
                let _ = std::fs::remove_file(f);
            }
        }
    }
}

/// Runs each named `async fn NAME(app: &App)` on a fresh app over SQLite and over
/// PostgreSQL (`sqlite::NAME`, `postgres::NAME`): the including file provides
/// `spawn(Backend) -> App` and an `App` with a `database` field.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = super::spawn(super::Backend::Sqlite).await;
                    super::$name(&app).await;
                    app.database.remove().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = super::spawn(super::Backend::Postgres).await;
                    super::$name(&app).await;
                    app.database.remove().await;
                }
            )*
        }
    };
}
pub(crate) use on_both_backends;
