//! Scheduled backups: `documents.backup_interval_secs`.

use crate::config::DocumentsConfig;
use crate::storage::Storage;
use std::time::Duration;
use tandem_platform::Platform;

/// The advisory lock key that elects the one instance backing up ("tandem backup").
const LOCK: i64 = 0x7461_6e64_6261_6b75;

/// Backs up every `backup_interval_secs`, then prunes to `backup_keep`. Every instance may
/// run it: the instance that takes the advisory lock backs up, and only if the newest
/// backup is older than most of an interval, so one backup is taken per interval.
pub async fn run_scheduled(platform: Platform, config: DocumentsConfig) {
    let storage = match Storage::open(&config.storage, &platform.config.server.data_dir) {
        Ok(storage) => storage,
        Err(error) => {
            tracing::error!(
                error = format!("{error:#}"),
                "scheduled backups are off: no storage"
            );
            return;
        }
    };
    let interval = Duration::from_secs(config.backup_interval_secs.max(1));
    let mut every = tokio::time::interval(interval);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    every.tick().await; // The first tick is immediate: back up one interval after start.
    loop {
        every.tick().await;
        if let Err(error) = backup_once(&platform.db, &storage, interval, config.backup_keep).await
        {
            tracing::warn!(error = format!("{error:#}"), "scheduled backup failed");
        }
    }
}

/// One scheduled attempt; returns whether this instance took a backup.
pub(crate) async fn backup_once(
    db: &sqlx::PgPool,
    storage: &Storage,
    interval: Duration,
    keep: usize,
) -> anyhow::Result<bool> {
    // A transaction-scoped lock: released by the commit, or when the connection drops.
    let mut tx = db.begin().await?;
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
        .bind(LOCK)
        .fetch_one(&mut *tx)
        .await?;
    if !locked {
        return Ok(false);
    }
    let newest = super::list(storage)
        .await?
        .into_iter()
        .map(|b| b.created_at)
        .max();
    let due = chrono::Utc::now() - chrono::Duration::from_std(interval.mul_f64(0.9))?;
    if newest.is_some_and(|at| at > due) {
        return Ok(false);
    }
    super::create(db, storage, &super::NoProgress).await?;
    super::prune(db, storage, keep).await?;
    tx.commit().await?;
    Ok(true)
}
