//! Keeping the op log bounded: ShareDB's most-reported problem is a log that grows forever.
//!
//! For each document the window is the last `revisions` revisions and at most `hours` hours.
//! Ops before the window are deleted up to the newest snapshot at or before its start
//! (which stays, with every op after it), so any revision in the window can be rebuilt;
//! older snapshots go too. Client seqs outlive the window by far (`client_days`), so a
//! client away for a week still has its re-sent changes recognised.

use sqlx::PgPool;

/// How much a pruning run removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Op rows deleted.
    pub ops: u64,
    /// Snapshot rows deleted.
    pub snapshots: u64,
    /// Client seq rows deleted.
    pub clients: u64,
}

/// Prunes every document's log to its window, in one transaction; `None` when another
/// instance is pruning right now.
pub async fn prune(
    db: &PgPool,
    revisions: u64,
    hours: u64,
    client_days: u64,
) -> sqlx::Result<Option<Pruned>> {
    let mut tx = db.begin().await?;
    let (locked,): (bool,) =
        sqlx::query_as("SELECT pg_try_advisory_xact_lock(hashtext('tandem.collab.retention'))")
            .fetch_one(&mut *tx)
            .await?;
    if !locked {
        return Ok(None);
    }
    // The newest snapshot at or before each document's window start.
    sqlx::query(
        "CREATE TEMPORARY TABLE keep ON COMMIT DROP AS
         SELECT b.document_id,
                (SELECT max(s.revision) FROM collab.snapshots s
                 WHERE s.document_id = b.document_id AND s.revision <= b.cut) AS snapshot
         FROM (
             SELECT h.document_id,
                    GREATEST(h.revision - $1,
                             COALESCE((SELECT max(o.revision) FROM collab.ops o
                                       WHERE o.document_id = h.document_id
                                         AND o.committed_at < now() - make_interval(hours => $2)),
                                      0)) AS cut
             FROM collab.heads h
         ) AS b",
    )
    .bind(i64::try_from(revisions).unwrap_or(i64::MAX))
    .bind(i32::try_from(hours).unwrap_or(i32::MAX))
    .execute(&mut *tx)
    .await?;
    let ops = sqlx::query(
        "DELETE FROM collab.ops o USING keep k
         WHERE o.document_id = k.document_id AND k.snapshot IS NOT NULL AND o.revision <= k.snapshot",
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let snapshots = sqlx::query(
        "DELETE FROM collab.snapshots s USING keep k
         WHERE s.document_id = k.document_id AND k.snapshot IS NOT NULL AND s.revision < k.snapshot",
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let clients = sqlx::query(
        "DELETE FROM collab.clients WHERE updated_at < now() - make_interval(days => $1)",
    )
    .bind(i32::try_from(client_days).unwrap_or(i32::MAX))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(Some(Pruned {
        ops,
        snapshots,
        clients,
    }))
}
