//! Schema migrations, compiled into the binary: one directory per backend, because the
//! append-only triggers are written differently in each dialect.

use std::borrow::Cow;

use sqlx::AnyPool;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::Backend;

const SQLITE: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "reviews",
        include_str!("../migrations/sqlite/0002_reviews.sql"),
    ),
    (
        3,
        "outbox",
        include_str!("../migrations/sqlite/0003_outbox.sql"),
    ),
    (
        4,
        "tasks",
        include_str!("../migrations/sqlite/0004_tasks.sql"),
    ),
    (
        5,
        "status_page",
        include_str!("../migrations/sqlite/0005_status_page.sql"),
    ),
    (
        6,
        "deadlines",
        include_str!("../migrations/sqlite/0006_deadlines.sql"),
    ),
    (
        7,
        "outbox claim",
        include_str!("../migrations/sqlite/0007_outbox_claim.sql"),
    ),
    (
        8,
        "subscription requests",
        include_str!("../migrations/sqlite/0008_subscription_requests.sql"),
    ),
];
const POSTGRES: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "reviews",
        include_str!("../migrations/postgres/0002_reviews.sql"),
    ),
    (
        3,
        "outbox",
        include_str!("../migrations/postgres/0003_outbox.sql"),
    ),
    (
        4,
        "tasks",
        include_str!("../migrations/postgres/0004_tasks.sql"),
    ),
    (
        5,
        "status_page",
        include_str!("../migrations/postgres/0005_status_page.sql"),
    ),
    (
        6,
        "deadlines",
        include_str!("../migrations/postgres/0006_deadlines.sql"),
    ),
    (
        7,
        "outbox claim",
        include_str!("../migrations/postgres/0007_outbox_claim.sql"),
    ),
    (
        8,
        "subscription requests",
        include_str!("../migrations/postgres/0008_subscription_requests.sql"),
    ),
];

/// Applies the migrations the database has not seen yet.
pub(crate) async fn run(
    pool: &AnyPool,
    backend: Backend,
) -> Result<(), sqlx::migrate::MigrateError> {
    let list = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    let migrations = list
        .iter()
        .map(|(version, description, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*description),
                MigrationType::Simple,
                Cow::Borrowed(*sql),
                false,
            )
        })
        .collect();
    let mut migrator = Migrator::DEFAULT;
    migrator.migrations = Cow::Owned(migrations);
    migrator.run(pool).await
}
