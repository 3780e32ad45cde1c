//! The background job that empties the trash.
//!
//! Every instance runs it; the `DELETE` is idempotent, so instances racing each other only
//! do a little redundant work.

use crate::state::AppState;
use std::time::Duration;

pub(crate) async fn run(state: AppState) {
    let mut every =
        tokio::time::interval(Duration::from_secs(state.config.purge_interval_secs.max(1)));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(error) = purge_once(&state).await {
            tracing::warn!(error = format!("{error:#}"), "purging the trash failed");
        }
    }
}

/// Deletes documents trashed longer ago than the retention; returns how many.
pub(crate) async fn purge_once(state: &AppState) -> anyhow::Result<usize> {
    let cutoff =
        chrono::Utc::now() - chrono::Duration::days(i64::from(state.config.trash_retention_days));
    // The rows of attachments go with their documents; their bytes are removed here.
    let keys = crate::store::attachments::keys_of_purgeable(&state.platform.db, cutoff).await?;
    let purged = crate::store::documents::purge(&state.platform.db, cutoff).await?;
    for key in keys {
        if let Err(error) = state.storage.delete(&key).await {
            tracing::warn!(
                error = format!("{error:#}"),
                key,
                "deleting a purged attachment failed"
            );
        }
    }
    for id in &purged {
        state.cache.invalidate(*id).await?;
    }
    if !purged.is_empty() {
        tracing::info!(count = purged.len(), "purged documents from the trash");
    }
    Ok(purged.len())
}
