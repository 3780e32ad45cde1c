//! Taking a backup: one consistent snapshot of the schema plus the attachment bytes.

use super::{AttachmentEntry, BackupInfo, Manifest, Progress, TABLES, Table};
use crate::storage::Storage;
use anyhow::Context;
use futures::TryStreamExt;
use sha2::Digest;
use sqlx::{PgConnection, PgPool};
use std::collections::BTreeMap;

/// The archive being written: a tar inside gzip, in memory.
type Archive = tar::Builder<flate2::write::GzEncoder<Vec<u8>>>;

/// Takes a backup and stores it as `backups/tandem-<UTC time>.tar.gz`.
///
/// Every table is read in one `REPEATABLE READ, READ ONLY` transaction, so the backup is
/// the state at one instant even while writes go on. Attachment bytes are read during that
/// transaction; objects are never rewritten in place, so they match the rows. An attachment
/// whose bytes were deleted after the snapshot began (its row is deleted too, just later)
/// is left out with its row.
pub async fn create(
    db: &PgPool,
    storage: &Storage,
    progress: &dyn Progress,
) -> anyhow::Result<BackupInfo> {
    let mut tx = db.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let created_at: chrono::DateTime<chrono::Utc> = sqlx::query_scalar("SELECT now()")
        .fetch_one(&mut *tx)
        .await?;
    let schema_version = schema_version(&mut tx).await?;
    let mut total = 0;
    for table in TABLES {
        total += count(&mut tx, table).await?;
    }
    progress.start("backing up", total);

    let mut archive = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    let mut counts = BTreeMap::new();
    let mut attachments = Vec::new();
    for table in TABLES {
        let rows = if table.name == "attachments" {
            attachment_rows(&mut tx, storage, &mut archive, &mut attachments, progress).await?
        } else {
            table_rows(&mut tx, table, progress).await?
        };
        counts.insert(table.name.to_owned(), rows.count);
        append(
            &mut archive,
            &format!("tables/{}.jsonl", table.name),
            &rows.jsonl,
        )?;
    }
    tx.commit().await?;

    let manifest = Manifest {
        format_version: super::FORMAT_VERSION,
        created_at,
        schema_version,
        counts: counts.clone(),
        attachments,
    };
    append(
        &mut archive,
        "manifest.json",
        &serde_json::to_vec_pretty(&manifest)?,
    )?;
    let bytes = archive
        .into_inner()
        .and_then(|gz| gz.finish())
        .context("finishing the archive")?;

    let info = BackupInfo {
        name: format!("tandem-{}.tar.gz", created_at.format("%Y%m%dT%H%M%S%.3fZ")),
        created_at,
        size_bytes: bytes.len() as u64,
        counts,
    };
    storage.put(&info.object_key(), bytes.into()).await?;
    let entry = info.clone();
    super::index::update(db, storage, move |backups| {
        backups.retain(|b| b.name != entry.name);
        backups.push(entry);
    })
    .await?;
    progress.finish();
    tracing::info!(name = %info.name, size_bytes = info.size_bytes, "backup created");
    Ok(info)
}

/// A table's rows as JSON lines.
struct Rows {
    jsonl: Vec<u8>,
    count: u64,
}

/// The newest applied migration of the `documents` schema.
pub(super) async fn schema_version(conn: &mut PgConnection) -> anyhow::Result<i64> {
    sqlx::query_scalar(
        "SELECT coalesce(max(version), 0) FROM documents._sqlx_migrations WHERE success",
    )
    .fetch_one(conn)
    .await
    .context("reading the documents schema's migration version")
}

async fn count(conn: &mut PgConnection, table: &Table) -> anyhow::Result<u64> {
    let sql = format!("SELECT count(*) FROM documents.{}", table.name);
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(conn)
        .await?;
    Ok(n as u64)
}

/// Streams `table`'s rows, by primary key, as JSON lines. Generated columns (`search`)
/// are left out: the restore recomputes them.
async fn table_rows(
    conn: &mut PgConnection,
    table: &Table,
    progress: &dyn Progress,
) -> anyhow::Result<Rows> {
    let sql = format!(
        "SELECT (to_jsonb(t) - 'search')::text FROM documents.{} t ORDER BY {}",
        table.name, table.key
    );
    let mut stream = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql)).fetch(conn);
    let mut rows = Rows {
        jsonl: Vec::new(),
        count: 0,
    };
    while let Some(line) = stream
        .try_next()
        .await
        .with_context(|| format!("reading documents.{}", table.name))?
    {
        rows.jsonl.extend_from_slice(line.as_bytes());
        rows.jsonl.push(b'\n');
        rows.count += 1;
        progress.advance(1);
    }
    Ok(rows)
}

/// The attachments' rows, and their bytes appended to the archive at `attachments/{id}`.
async fn attachment_rows(
    conn: &mut PgConnection,
    storage: &Storage,
    archive: &mut Archive,
    entries: &mut Vec<AttachmentEntry>,
    progress: &dyn Progress,
) -> anyhow::Result<Rows> {
    let table = TABLES
        .iter()
        .find(|t| t.name == "attachments")
        .expect("attachments is a backed-up table");
    let all = table_rows(conn, table, &super::NoProgress).await?;
    let mut rows = Rows {
        jsonl: Vec::new(),
        count: 0,
    };
    for line in all.jsonl.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        #[derive(serde::Deserialize)]
        struct Row {
            id: uuid::Uuid,
            object_key: String,
            sha256: String,
        }
        let row: Row = serde_json::from_slice(line)?;
        progress.advance(1);
        let bytes = match storage.read(&row.object_key).await {
            Ok(bytes) => bytes,
            Err(error) if super::index::is_not_found(&error) => {
                tracing::warn!(id = %row.id, key = row.object_key, "attachment deleted during the backup; left out");
                continue;
            }
            Err(error) => return Err(error.context(format!("backing up attachment {}", row.id))),
        };
        let sha256 = hex(&sha2::Sha256::digest(&bytes));
        anyhow::ensure!(
            sha256 == row.sha256,
            "attachment {} ({}) does not match its checksum: the stored object is corrupt",
            row.id,
            row.object_key
        );
        append(archive, &format!("attachments/{}", row.id), &bytes)?;
        entries.push(AttachmentEntry {
            id: row.id,
            object_key: row.object_key,
            sha256,
            size_bytes: bytes.len() as u64,
        });
        rows.jsonl.extend_from_slice(line);
        rows.jsonl.push(b'\n');
        rows.count += 1;
    }
    Ok(rows)
}

fn append(archive: &mut Archive, path: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_cksum();
    archive
        .append_data(&mut header, path, bytes)
        .with_context(|| format!("writing {path} into the archive"))
}

/// Lowercase hex.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
