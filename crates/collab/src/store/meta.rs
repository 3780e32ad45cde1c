//! Who committed which `seq`, and which version holds which revision: SQL only.

use crate::document::core::ClientSeq;
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

fn rev(r: i64) -> u64 {
    u64::try_from(r).unwrap_or(0)
}

fn db_rev(r: u64) -> i64 {
    i64::try_from(r).unwrap_or(i64::MAX)
}

/// The last committed change of `client_id` on `document`, if any.
pub async fn client_seq(
    db: impl PgExecutor<'_>,
    document: Uuid,
    client_id: Uuid,
) -> sqlx::Result<Option<ClientSeq>> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT last_seq, revision FROM collab.clients WHERE document_id = $1 AND client_id = $2",
    )
    .bind(document)
    .bind(client_id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(seq, revision)| ClientSeq {
        seq: rev(seq),
        revision: rev(revision),
    }))
}

/// Records that `version` of the document holds `revision`.
pub async fn record_save(
    db: impl PgExecutor<'_>,
    document: Uuid,
    version: i64,
    revision: u64,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO collab.saves (document_id, version, revision, saved_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (document_id, version) DO UPDATE SET revision = EXCLUDED.revision",
    )
    .bind(document)
    .bind(version)
    .bind(db_rev(revision))
    .bind(at)
    .execute(db)
    .await?;
    Ok(())
}

/// The newest save: its version and revision.
pub async fn last_save(
    db: impl PgExecutor<'_>,
    document: Uuid,
) -> sqlx::Result<Option<(i64, u64)>> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT version, revision FROM collab.saves WHERE document_id = $1
         ORDER BY version DESC LIMIT 1",
    )
    .bind(document)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(v, r)| (v, rev(r))))
}

/// The revision saved as `version`, if collab saved it.
pub async fn revision_of(
    db: impl PgExecutor<'_>,
    document: Uuid,
    version: i64,
) -> sqlx::Result<Option<u64>> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT revision FROM collab.saves WHERE document_id = $1 AND version = $2")
            .bind(document)
            .bind(version)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(r,)| rev(r)))
}
