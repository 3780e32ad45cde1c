//! The background job that keeps the op log to its window (`store::retention`). Every
//! instance runs it; a PostgreSQL advisory lock lets one prune at a time.

use crate::hub::Hub;
use std::sync::Arc;
use std::time::Duration;

/// How long client seqs outlive their last change.
const CLIENT_DAYS: u64 = 90;

pub async fn run(hub: Arc<Hub>) {
    let every = Duration::from_secs(hub.config.retention_interval_secs.max(1));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let config = &hub.config;
        match crate::store::retention::prune(
            &hub.platform.db,
            config.window_revisions,
            config.window_hours,
            CLIENT_DAYS,
        )
        .await
        {
            Ok(Some(pruned)) if pruned.ops + pruned.snapshots > 0 => {
                tracing::info!(
                    ops = pruned.ops,
                    snapshots = pruned.snapshots,
                    clients = pruned.clients,
                    "pruned the op log"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "pruning the op log failed"),
        }
    }
}
