//! Backup and recovery of the Document Service's data (see docs/backup.md).
//!
//! A backup is one gzip-compressed tar in the object store under `backups/`: a JSON-lines
//! file per table of the `documents` schema, the bytes of every attachment, and a
//! `manifest.json`. The tables are read in one `REPEATABLE READ` transaction, so a backup
//! taken while writes happen is one point in time.
//!
//! Listing does not need the object store to list: `backups/index.json` names every backup,
//! and is only rewritten under a PostgreSQL advisory lock, so instances never lose an entry.

mod index;
mod restore;
mod schedule;
mod snapshot;

pub use restore::{NotEmpty, RestoreReport, restore};
pub use schedule::run_scheduled;
pub use snapshot::create;

use crate::storage::Storage;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The archive format this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Where backups live in the object store.
pub const PREFIX: &str = "backups/";

/// The tables of a backup, in restore (foreign key) order.
pub(crate) const TABLES: &[Table] = &[
    Table::new("documents", "id"),
    Table::new("permissions", "document_id, user_id"),
    Table::new("versions", "document_id, version"),
    Table::new("attachments", "id"),
    Table::new("analytics_daily", "document_id, day"),
    Table::new("analytics_user_daily", "document_id, day, user_id"),
    Table::new("analytics_flushes", "batch_id"),
];

/// A table of the `documents` schema and its primary key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Table {
    pub name: &'static str,
    pub key: &'static str,
}

impl Table {
    const fn new(name: &'static str, key: &'static str) -> Self {
        Self { name, key }
    }
}

/// One backup, as listed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BackupInfo {
    /// The name to restore it by, e.g. `tandem-20260101T120000.000Z.tar.gz`.
    pub name: String,
    /// When the snapshot was taken.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The archive's compressed size.
    pub size_bytes: u64,
    /// Rows per table.
    pub counts: BTreeMap<String, u64>,
}

impl BackupInfo {
    /// The object key of the archive.
    pub fn object_key(&self) -> String {
        object_key(&self.name)
    }
}

/// The object key of backup `name`.
pub(crate) fn object_key(name: &str) -> String {
    format!("{PREFIX}{name}")
}

/// What `manifest.json` in every archive says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// When the snapshot was taken.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The newest applied migration of the `documents` schema at that time.
    pub schema_version: i64,
    /// Rows per table.
    pub counts: BTreeMap<String, u64>,
    /// Every attachment's bytes in the archive, by attachment id.
    pub attachments: Vec<AttachmentEntry>,
}

/// An attachment's bytes in the archive (at `attachments/{id}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttachmentEntry {
    /// The attachment's id.
    pub id: uuid::Uuid,
    /// Where the bytes go back to in the object store.
    pub object_key: String,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// Length of the bytes.
    pub size_bytes: u64,
}

/// Reports progress of long work; the CLI draws a bar, the scheduler reports nothing.
pub trait Progress: Send + Sync {
    /// A new phase of `total` steps begins.
    fn start(&self, phase: &str, total: u64);
    /// `steps` more steps are done.
    fn advance(&self, steps: u64);
    /// The work is over.
    fn finish(&self);
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

/// Every backup, oldest first.
pub async fn list(storage: &Storage) -> anyhow::Result<Vec<BackupInfo>> {
    index::read(storage).await
}

/// Deletes backups older than the newest `keep`; returns the deleted ones. `keep` 0 keeps
/// everything.
pub async fn prune(
    db: &sqlx::PgPool,
    storage: &Storage,
    keep: usize,
) -> anyhow::Result<Vec<BackupInfo>> {
    if keep == 0 {
        return Ok(Vec::new());
    }
    let removed = index::update(db, storage, |backups| {
        let excess = backups.len().saturating_sub(keep);
        backups.drain(..excess).collect::<Vec<_>>()
    })
    .await
    .map_err(|e| e.context("pruning old backups"))?;
    for backup in &removed {
        storage.delete(&backup.object_key()).await?;
    }
    Ok(removed)
}

/// Makes the Redis cache forget everything read before a restore: deletes the
/// `documents:*` entries under the key prefix and bumps the generation counters (rather
/// than deleting them) so a read that started before the restore cannot refill old data.
pub async fn clear_cache(redis: &tandem_platform::redis::Redis) -> anyhow::Result<u64> {
    let mut conn = redis.conn();
    let pattern = format!("{}*", redis.key("documents:"));
    let generation = redis.key("documents:gen:");
    let mut cursor: u64 = 0;
    let mut touched = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(500)
            .query_async(&mut conn)
            .await?;
        let mut pipe = redis::pipe();
        for key in &keys {
            if key.starts_with(&generation) {
                pipe.cmd("INCR").arg(key).ignore();
            } else {
                pipe.cmd("DEL").arg(key).ignore();
            }
        }
        if !keys.is_empty() {
            let () = pipe.query_async(&mut conn).await?;
            touched += keys.len() as u64;
        }
        if next == 0 {
            return Ok(touched);
        }
        cursor = next;
    }
}
