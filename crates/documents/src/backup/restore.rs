//! Restoring a backup into the `documents` schema.

use super::{Manifest, Progress, TABLES};
use crate::storage::Storage;
use anyhow::Context;
use sha2::Digest;
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::io::Read;

/// Rows per `INSERT` statement.
const BATCH: usize = 500;

/// What a restore put back.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    /// The manifest of the restored backup.
    pub manifest: Manifest,
    /// Redis keys dropped or bumped so no cached document is stale.
    pub cache_keys_cleared: u64,
}

/// The error when the target holds data and `force` was not given.
#[derive(Debug, thiserror::Error)]
#[error(
    "the documents schema is not empty: restoring would mix two datasets (use --force to replace it)"
)]
pub struct NotEmpty;

/// Opens the restore's transaction and takes every table's exclusive lock.
///
/// `LOCK TABLE` takes the tables one after the other, so a job of a running instance (the
/// purge, the analytics flush) holding one of them while waiting for another can deadlock
/// with it; PostgreSQL then aborts one side. Nothing is written before the lock, so the
/// restore simply tries again, a few times, rather than failing.
async fn lock_tables(
    db: &PgPool,
    all: &str,
    schema_version: i64,
) -> anyhow::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
    const ATTEMPTS: u32 = 5;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut tx = db.begin().await?;
        let current = super::snapshot::schema_version(&mut tx).await?;
        anyhow::ensure!(
            current == schema_version,
            "the backup is of documents schema version {schema_version} but this database is \
             at {current}: restore with the tandem version that took it"
        );
        let locked = sqlx::query(sqlx::AssertSqlSafe(format!(
            "LOCK TABLE {all} IN ACCESS EXCLUSIVE MODE"
        )))
        .execute(&mut *tx)
        .await;
        match locked {
            Ok(_) => return Ok(tx),
            Err(sqlx::Error::Database(e))
                if e.code().as_deref() == Some("40P01") && attempt < ATTEMPTS =>
            {
                tracing::warn!(
                    attempt,
                    "restore: deadlock taking the table locks; retrying"
                );
                drop(tx);
                tokio::time::sleep(std::time::Duration::from_millis(50 * u64::from(attempt))).await;
            }
            Err(e) => return Err(anyhow::Error::new(e).context("locking the documents tables")),
        }
    }
}

/// Restores backup `name` (as listed) into the `documents` schema of `db`.
///
/// The schema must be migrated to the backup's migration version. It must be empty unless
/// `force`, which first truncates every table. Everything is written in one transaction
/// that holds exclusive locks on the tables, so readers see the old data or the restored
/// data, never a mix. Attachment bytes are checked against their SHA-256 and written back
/// to the object store first. Then the Redis cache of documents is cleared.
pub async fn restore(
    db: &PgPool,
    storage: &Storage,
    redis: &tandem_platform::redis::Redis,
    name: &str,
    force: bool,
    progress: &dyn Progress,
) -> anyhow::Result<RestoreReport> {
    let key = super::object_key(name);
    let archive = storage
        .read(&key)
        .await
        .with_context(|| format!("reading backup {name}"))?;
    let mut files = unpack(&archive).with_context(|| format!("unpacking backup {name}"))?;
    let manifest: Manifest = serde_json::from_slice(
        &files
            .remove("manifest.json")
            .context("the archive has no manifest.json")?,
    )
    .context("parsing manifest.json")?;
    anyhow::ensure!(
        manifest.format_version == super::FORMAT_VERSION,
        "backup format {} is not supported (this version reads {})",
        manifest.format_version,
        super::FORMAT_VERSION
    );

    let all = TABLES
        .iter()
        .map(|t| format!("documents.{}", t.name))
        .collect::<Vec<_>>()
        .join(", ");
    let mut tx = lock_tables(db, &all, manifest.schema_version).await?;
    let occupied: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM documents.documents)
             OR EXISTS (SELECT 1 FROM documents.analytics_flushes)",
    )
    .fetch_one(&mut *tx)
    .await?;
    if occupied {
        if !force {
            return Err(NotEmpty.into());
        }
        sqlx::query(sqlx::AssertSqlSafe(format!("TRUNCATE {all}")))
            .execute(&mut *tx)
            .await
            .context("emptying the documents tables")?;
    }
    // The Collaboration Service's op log (when it shares this database) describes the
    // documents being replaced: a session reopened on it would take the restored text for
    // an outside edit and merge it into the old one. Forget it; each document's next
    // session starts from its restored text.
    sqlx::query(
        "DO $$ BEGIN
           IF to_regclass('collab.heads') IS NOT NULL THEN
             TRUNCATE collab.ops, collab.snapshots, collab.clients, collab.saves, collab.heads;
           END IF;
         END $$",
    )
    .execute(&mut *tx)
    .await
    .context("forgetting the collaboration op log")?;

    let rows: u64 = manifest.counts.values().sum();
    progress.start("restoring", rows + manifest.attachments.len() as u64);
    for entry in &manifest.attachments {
        let bytes = files
            .remove(&format!("attachments/{}", entry.id))
            .with_context(|| format!("the archive lacks the bytes of attachment {}", entry.id))?;
        let sha256 = super::snapshot::hex(&sha2::Sha256::digest(&bytes));
        anyhow::ensure!(
            sha256 == entry.sha256 && bytes.len() as u64 == entry.size_bytes,
            "attachment {} in the archive does not match its checksum: the backup is corrupt",
            entry.id
        );
        storage.put(&entry.object_key, bytes.into()).await?;
        progress.advance(1);
    }

    for table in TABLES {
        let jsonl = files
            .remove(&format!("tables/{}.jsonl", table.name))
            .with_context(|| format!("the archive lacks table {}", table.name))?;
        let columns: String = sqlx::query_scalar(
            "SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position)
             FROM information_schema.columns
             WHERE table_schema = 'documents' AND table_name = $1 AND is_generated = 'NEVER'",
        )
        .bind(table.name)
        .fetch_one(&mut *tx)
        .await?;
        let sql = format!(
            "INSERT INTO documents.{t} ({columns}) SELECT {columns}
             FROM json_populate_recordset(NULL::documents.{t}, $1::json)",
            t = table.name
        );
        let lines: Vec<&[u8]> = jsonl
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        let expected = manifest.counts.get(table.name).copied().unwrap_or(0);
        anyhow::ensure!(
            lines.len() as u64 == expected,
            "table {} has {} rows in the archive but the manifest says {expected}",
            table.name,
            lines.len()
        );
        for chunk in lines.chunks(BATCH) {
            let mut batch = Vec::with_capacity(chunk.iter().map(|l| l.len() + 1).sum());
            batch.push(b'[');
            for (i, line) in chunk.iter().enumerate() {
                if i > 0 {
                    batch.push(b',');
                }
                batch.extend_from_slice(line);
            }
            batch.push(b']');
            let batch = String::from_utf8(batch).context("a row is not UTF-8")?;
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(batch)
                .execute(&mut *tx)
                .await
                .with_context(|| format!("restoring documents.{}", table.name))?;
            progress.advance(chunk.len() as u64);
        }
    }
    tx.commit().await.context("committing the restore")?;
    let cache_keys_cleared = super::clear_cache(redis)
        .await
        .context("clearing cached documents after the restore")?;
    progress.finish();
    tracing::info!(name, "backup restored");
    Ok(RestoreReport {
        manifest,
        cache_keys_cleared,
    })
}

/// Every file of a `.tar.gz`, by path.
fn unpack(archive: &[u8]) -> anyhow::Result<BTreeMap<String, Vec<u8>>> {
    let mut files = BTreeMap::new();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    for entry in tar.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.to_string_lossy().into_owned();
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut bytes)?;
        files.insert(path, bytes);
    }
    Ok(files)
}
