//! The background job that empties the trash (and thins aged auto-saves).
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
        match crate::store::versions::thin(&state.platform.db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "thinned old auto-saved versions"),
            Err(error) => tracing::warn!(%error, "thinning old versions failed"),
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
        let event = crate::events::Event::Deleted { document_id: *id };
        crate::events::publish(&state.platform.redis, &event).await;
    }
    if !purged.is_empty() {
        tracing::info!(count = purged.len(), "purged documents from the trash");
    }
    Ok(purged.len())
}
