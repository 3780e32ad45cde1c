//! `backups/index.json`: the list of backups, oldest first.
//!
//! The storage handle cannot list objects, so the list is kept in the store itself, next
//! to the archives (a restored server sharing the store sees it). Every rewrite happens
//! under a transaction-scoped PostgreSQL advisory lock, so concurrent instances never drop
//! each other's entries.

use super::BackupInfo;
use crate::storage::Storage;
use anyhow::Context;

const KEY: &str = "backups/index.json";

/// The advisory lock key for rewriting the index ("tandem backup index").
const LOCK: i64 = 0x7461_6e64_6278_6978;

/// Reads the index; a missing index is an empty list.
pub(super) async fn read(storage: &Storage) -> anyhow::Result<Vec<BackupInfo>> {
    match storage.read(KEY).await {
        Ok(bytes) => serde_json::from_slice(&bytes).context("parsing backups/index.json"),
        Err(error) if is_not_found(&error) => Ok(Vec::new()),
        Err(error) => Err(error),
    }
}

/// Applies `change` to the index under the lock and writes it back; returns what `change`
/// returned.
pub(super) async fn update<T>(
    db: &sqlx::PgPool,
    storage: &Storage,
    change: impl FnOnce(&mut Vec<BackupInfo>) -> T,
) -> anyhow::Result<T> {
    let mut tx = db.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(LOCK)
        .execute(&mut *tx)
        .await
        .context("locking the backup index")?;
    let mut backups = read(storage).await?;
    let result = change(&mut backups);
    backups.sort_by(|a, b| a.name.cmp(&b.name));
    let bytes = serde_json::to_vec_pretty(&backups)?;
    storage.put(KEY, bytes.into()).await?;
    tx.commit().await?;
    Ok(result)
}

/// Whether `error` says the object does not exist.
pub(super) fn is_not_found(error: &anyhow::Error) -> bool {
    matches!(
        error.downcast_ref::<object_store::Error>(),
        Some(object_store::Error::NotFound { .. })
    )
}
