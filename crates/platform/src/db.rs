//! PostgreSQL: the pool and per-service migrations.
//!
//! Each service owns one PostgreSQL schema (`users`, `documents`, …), writes its SQL with
//! schema-qualified names, and keeps its migration history in a `_sqlx_migrations` table
//! *inside its own schema*, so services can be migrated and versioned independently.

use crate::config::DatabaseConfig;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// A pool that opens connections on demand, so the process starts even while PostgreSQL
/// is briefly unavailable; readiness reports it until it is back.
pub fn connect_lazy(config: &DatabaseConfig) -> crate::Result<PgPool> {
    let options = connect_options(config)?;
    Ok(PgPoolOptions::new()
        .max_connections(config.max_connections)
        .acquire_timeout(Duration::from_secs(config.acquire_timeout_secs))
        // No ping before every query: it doubled the round trips of a primary-key lookup
        // (bench/users.sh). A dead connection still fails its query and is replaced.
        .test_before_acquire(false)
        .connect_lazy_with(options))
}

/// The parsed connection options of `config`.
pub fn connect_options(config: &DatabaseConfig) -> crate::Result<PgConnectOptions> {
    PgConnectOptions::from_str(config.url.expose_secret())
        .map_err(|e| crate::Error::Config(format!("database.url: {e}")))
}

/// Applies `migrator` inside `schema`, creating the schema first.
///
/// The migration table lands in `schema` because it is created unqualified while the
/// connection's `search_path` points at that schema alone.
pub async fn migrate_schema(
    pool: &PgPool,
    schema: &str,
    migrator: &sqlx::migrate::Migrator,
) -> crate::Result<()> {
    assert!(
        schema.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
        "schema names are compile-time constants made of [a-z_]"
    );
    let mut conn = pool.acquire().await?;
    // Several instances may start at once: one migrates a schema at a time.
    sqlx::query("SELECT pg_advisory_lock(hashtext('tandem.migrate.' || $1))")
        .bind(schema)
        .execute(&mut *conn)
        .await?;
    let result = async {
        // `schema` is checked above to be a plain identifier.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS {schema}"
        )))
        .execute(&mut *conn)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("SET search_path TO {schema}")))
            .execute(&mut *conn)
            .await?;
        migrator.run(&mut *conn).await?;
        crate::Result::<()>::Ok(())
    }
    .await;
    // The connection goes back to the pool: restore it before releasing the lock.
    sqlx::query("RESET search_path").execute(&mut *conn).await?;
    sqlx::query("SELECT pg_advisory_unlock(hashtext('tandem.migrate.' || $1))")
        .bind(schema)
        .execute(&mut *conn)
        .await?;
    result?;
    Ok(())
}

/// True when `err` is a unique-constraint violation on `constraint` (or on any constraint
/// when `constraint` is `None`). Services turn this into a 409 in one place.
pub fn is_unique_violation(err: &sqlx::Error, constraint: Option<&str>) -> bool {
    match err {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            constraint.is_none() || db.constraint() == constraint
        }
        _ => false,
    }
}
