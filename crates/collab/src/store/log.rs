//! The op log, the heads that fence it, and snapshots: SQL only.

use crate::document::authorship::Runs;
use crate::document::core::{Author, Entry};
use crate::document::undo::Kind;
use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};
use std::collections::HashSet;
use tandem_ot::{Document, Operation, Selection};
use uuid::Uuid;

/// A document's head, as the fence knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The committed head revision.
    pub revision: u64,
    /// The writer's epoch.
    pub epoch: i64,
    /// Whether this call created the row (the document's first session).
    pub created: bool,
}

fn rev(r: i64) -> u64 {
    u64::try_from(r).unwrap_or(0)
}

fn db_rev(r: u64) -> i64 {
    i64::try_from(r).unwrap_or(i64::MAX)
}

/// Becomes the document's writer in PostgreSQL: creates its head at revision 0, or bumps
/// the epoch of the existing one, so every commit of the previous writer now fails.
pub async fn take_writership(
    db: impl PgExecutor<'_>,
    document: Uuid,
    instance: &str,
) -> sqlx::Result<Head> {
    let (revision, epoch, created): (i64, i64, bool) = sqlx::query_as(
        "INSERT INTO collab.heads (document_id, revision, epoch, writer) VALUES ($1, 0, 1, $2)
         ON CONFLICT (document_id) DO UPDATE
             SET epoch = collab.heads.epoch + 1, writer = EXCLUDED.writer, updated_at = now()
         RETURNING revision, epoch, (xmax = 0)",
    )
    .bind(document)
    .bind(instance)
    .fetch_one(db)
    .await?;
    Ok(Head {
        revision: rev(revision),
        epoch,
        created,
    })
}

/// The document's head, if it has one.
pub async fn head(db: impl PgExecutor<'_>, document: Uuid) -> sqlx::Result<Option<Head>> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT revision, epoch FROM collab.heads WHERE document_id = $1")
            .bind(document)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(revision, epoch)| Head {
        revision: rev(revision),
        epoch,
        created: false,
    }))
}

/// The head revisions of `documents` (those that have one).
pub async fn heads(db: impl PgExecutor<'_>, documents: &[Uuid]) -> sqlx::Result<Vec<(Uuid, u64)>> {
    let rows: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT document_id, revision FROM collab.heads WHERE document_id = ANY($1)",
    )
    .bind(documents)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(d, r)| (d, rev(r))).collect())
}

/// One document's part of a group commit.
#[derive(Debug, Clone)]
pub struct DocumentBatch {
    /// The document.
    pub document: Uuid,
    /// The writer's epoch.
    pub epoch: i64,
    /// The head revision the writer believes is committed.
    pub expected: u64,
    /// The ops, revisions `expected + 1`, `expected + 2`… in order.
    pub ops: Vec<NewOp>,
}

/// One op to commit.
#[derive(Debug, Clone)]
pub struct NewOp {
    /// Its revision.
    pub revision: u64,
    /// The op.
    pub op: Operation,
    /// Its author.
    pub author: Author,
    /// The author's selection after it.
    pub selection: Option<Selection>,
    /// Edit, undo or redo.
    pub kind: Kind,
    /// Who wrote what it inserts, when not its author.
    pub restores: Option<Runs>,
}

/// Commits every batch in one statement (one round trip, one transaction). Each
/// document's ops are written only if its head and epoch are what its batch expects;
/// returns the documents whose batches committed. One document failing its fence does
/// not stop the others.
pub async fn commit(
    db: &PgPool,
    batches: &[DocumentBatch],
    at: DateTime<Utc>,
) -> sqlx::Result<HashSet<Uuid>> {
    let mut fence = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut ops = OpColumns::default();
    let mut clients = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for batch in batches {
        let head = batch.ops.last().map_or(batch.expected, |o| o.revision);
        fence.0.push(batch.document);
        fence.1.push(db_rev(batch.expected));
        fence.2.push(batch.epoch);
        fence.3.push(db_rev(head));
        // One row per client id: the last of its changes in the batch.
        let mut last: Vec<(Uuid, u64, u64)> = Vec::new();
        for op in &batch.ops {
            ops.push(batch.document, op);
            if op.author.seq > 0 {
                match last.iter_mut().find(|(c, _, _)| *c == op.author.client_id) {
                    Some(entry) if entry.1 < op.author.seq => {
                        *entry = (op.author.client_id, op.author.seq, op.revision);
                    }
                    Some(_) => {}
                    None => last.push((op.author.client_id, op.author.seq, op.revision)),
                }
            }
        }
        for (client, seq, revision) in last {
            clients.0.push(batch.document);
            clients.1.push(client);
            clients.2.push(db_rev(seq));
            clients.3.push(db_rev(revision));
        }
    }
    let rows: Vec<(Uuid,)> = sqlx::query_as(
        "WITH fence AS (
             SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[])
                 AS f(document_id, expected, epoch, head)
         ),
         advanced AS (
             UPDATE collab.heads AS h SET revision = f.head, updated_at = $18
             FROM fence AS f
             WHERE h.document_id = f.document_id AND h.revision = f.expected AND h.epoch = f.epoch
             RETURNING h.document_id
         ),
         new_ops AS (
             INSERT INTO collab.ops (document_id, revision, operation, author_id, session_id,
                                     client_id, seq, selection, committed_at, kind, restores)
             SELECT o.document_id, o.revision, o.operation, o.author_id, o.session_id,
                    o.client_id, o.seq,
                    CASE WHEN o.anchor IS NULL THEN NULL ELSE ARRAY[o.anchor, o.head] END, $18,
                    o.kind, o.restores
             FROM unnest($5::uuid[], $6::bigint[], $7::text[], $8::uuid[], $9::uuid[],
                         $10::uuid[], $11::bigint[], $12::bigint[], $13::bigint[],
                         $19::smallint[], $20::text[])
                 AS o(document_id, revision, operation, author_id, session_id, client_id, seq,
                      anchor, head, kind, restores)
             WHERE o.document_id IN (SELECT document_id FROM advanced)
         ),
         seen AS (
             INSERT INTO collab.clients (document_id, client_id, last_seq, revision, updated_at)
             SELECT c.document_id, c.client_id, c.last_seq, c.revision, $18
             FROM unnest($14::uuid[], $15::uuid[], $16::bigint[], $17::bigint[])
                 AS c(document_id, client_id, last_seq, revision)
             WHERE c.document_id IN (SELECT document_id FROM advanced)
             ON CONFLICT (document_id, client_id) DO UPDATE SET
                 revision = CASE WHEN EXCLUDED.last_seq > collab.clients.last_seq
                                 THEN EXCLUDED.revision ELSE collab.clients.revision END,
                 last_seq = GREATEST(collab.clients.last_seq, EXCLUDED.last_seq),
                 updated_at = EXCLUDED.updated_at
         )
         SELECT document_id FROM advanced",
    )
    .bind(&fence.0)
    .bind(&fence.1)
    .bind(&fence.2)
    .bind(&fence.3)
    .bind(&ops.document)
    .bind(&ops.revision)
    .bind(&ops.operation)
    .bind(&ops.author)
    .bind(&ops.session)
    .bind(&ops.client)
    .bind(&ops.seq)
    .bind(&ops.anchor)
    .bind(&ops.head)
    .bind(&clients.0)
    .bind(&clients.1)
    .bind(&clients.2)
    .bind(&clients.3)
    .bind(at)
    .bind(&ops.kind)
    .bind(&ops.restores)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(d,)| d).collect())
}

#[derive(Default)]
struct OpColumns {
    document: Vec<Uuid>,
    revision: Vec<i64>,
    operation: Vec<String>,
    author: Vec<Uuid>,
    session: Vec<Uuid>,
    client: Vec<Uuid>,
    seq: Vec<i64>,
    anchor: Vec<Option<i64>>,
    head: Vec<Option<i64>>,
    kind: Vec<i16>,
    restores: Vec<Option<String>>,
}

impl OpColumns {
    fn push(&mut self, document: Uuid, op: &NewOp) {
        self.document.push(document);
        self.revision.push(db_rev(op.revision));
        self.operation.push(op.op.to_json());
        self.author.push(op.author.user_id);
        self.session.push(op.author.session_id);
        self.client.push(op.author.client_id);
        self.seq.push(db_rev(op.author.seq));
        self.anchor
            .push(op.selection.map(|s| db_rev(s.anchor as u64)));
        self.head.push(op.selection.map(|s| db_rev(s.head as u64)));
        self.kind.push(op.kind.as_i16());
        self.restores.push(op.restores.as_ref().map(Runs::to_json));
    }
}

type OpRow = (
    i64,
    String,
    Uuid,
    Uuid,
    Uuid,
    i64,
    Option<Vec<i64>>,
    DateTime<Utc>,
    i16,
    Option<String>,
);

fn entry(
    (revision, operation, author, session, client, seq, selection, at, kind, restores): OpRow,
) -> sqlx::Result<Entry> {
    let op: Operation = serde_json::from_str(&operation)
        .map_err(|e| sqlx::Error::Decode(format!("collab.ops revision {revision}: {e}").into()))?;
    let selection = selection.and_then(|s| match s.as_slice() {
        [a, h] => Some(Selection {
            anchor: usize::try_from(*a).unwrap_or(0),
            head: usize::try_from(*h).unwrap_or(0),
        }),
        _ => None,
    });
    Ok(Entry {
        revision: rev(revision),
        op,
        author: Author {
            user_id: author,
            session_id: session,
            client_id: client,
            seq: rev(seq),
        },
        selection,
        committed_at: at,
        kind: Kind::from_i16(kind),
        restores: restores.and_then(|json| Runs::from_json(&json).ok()),
    })
}

/// The committed ops `from..=to` that are still in the log, in order.
pub async fn ops(
    db: impl PgExecutor<'_>,
    document: Uuid,
    from: u64,
    to: u64,
) -> sqlx::Result<Vec<Entry>> {
    let rows: Vec<OpRow> = sqlx::query_as(
        "SELECT revision, operation, author_id, session_id, client_id, seq, selection, committed_at,
                kind, restores
         FROM collab.ops WHERE document_id = $1 AND revision BETWEEN $2 AND $3 ORDER BY revision",
    )
    .bind(document)
    .bind(db_rev(from))
    .bind(db_rev(to))
    .fetch_all(db)
    .await?;
    rows.into_iter().map(entry).collect()
}

/// The first revision still in the log (`None`: no ops are kept).
pub async fn oldest_op(db: impl PgExecutor<'_>, document: Uuid) -> sqlx::Result<Option<u64>> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT min(revision) FROM collab.ops WHERE document_id = $1")
            .bind(document)
            .fetch_optional(db)
            .await?;
    Ok(row.and_then(|(r,)| r).map(rev))
}

/// Writes the text at `revision` (once: a second snapshot of one revision is ignored), with
/// who wrote it when that is known.
pub async fn write_snapshot(
    db: impl PgExecutor<'_>,
    document: Uuid,
    revision: u64,
    content: &str,
    authorship: Option<&crate::document::authorship::Runs>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO collab.snapshots (document_id, revision, content, authorship)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING",
    )
    .bind(document)
    .bind(db_rev(revision))
    .bind(content)
    .bind(authorship.map(|a| a.to_json()))
    .execute(db)
    .await?;
    Ok(())
}

/// The newest snapshot at or before `revision`.
pub async fn snapshot_before(
    db: impl PgExecutor<'_>,
    document: Uuid,
    revision: u64,
) -> sqlx::Result<Option<(u64, String)>> {
    let row: Option<(i64, String)> = sqlx::query_as(
        "SELECT revision, content FROM collab.snapshots
         WHERE document_id = $1 AND revision <= $2 ORDER BY revision DESC LIMIT 1",
    )
    .bind(document)
    .bind(db_rev(revision))
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(r, c)| (rev(r), c)))
}

/// The text at `revision`, rebuilt from the newest snapshot before it and the ops after,
/// if the log still holds them.
pub async fn text_at(db: &PgPool, document: Uuid, revision: u64) -> sqlx::Result<Option<String>> {
    let Some((from, content)) = snapshot_before(db, document, revision).await? else {
        return Ok(None);
    };
    if from == revision {
        return Ok(Some(content));
    }
    let ops = ops(db, document, from + 1, revision).await?;
    if ops.len() as u64 != revision - from {
        return Ok(None);
    }
    let mut text = Document::from(content);
    for entry in &ops {
        if text.apply(&entry.op).is_err() {
            return Ok(None);
        }
    }
    Ok(Some(text.to_string()))
}

/// Forgets a document's op log and snapshots (it went to the trash); its head, epoch and
/// client seqs stay, so revisions and exactly-once carry on if it comes back.
pub async fn forget(db: &PgPool, document: Uuid) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    for table in ["collab.ops", "collab.snapshots", "collab.saves"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE document_id = $1"
        )))
        .bind(document)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// Removes everything collab holds of a deleted document.
pub async fn purge(db: &PgPool, document: Uuid) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    for table in [
        "collab.ops",
        "collab.snapshots",
        "collab.saves",
        "collab.clients",
        "collab.heads",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE document_id = $1"
        )))
        .bind(document)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// One op as the timeline shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// The revision it produced.
    pub revision: u64,
    /// Its author.
    pub user_id: Uuid,
    /// When it committed.
    pub committed_at: DateTime<Utc>,
}

/// The revision, author and time of every op still in the log (at most `limit`, newest
/// kept), oldest first.
pub async fn marks(db: impl PgExecutor<'_>, document: Uuid, limit: u64) -> sqlx::Result<Vec<Mark>> {
    let rows: Vec<(i64, Uuid, DateTime<Utc>)> = sqlx::query_as(
        "SELECT revision, author_id, committed_at FROM (
             SELECT revision, author_id, committed_at FROM collab.ops WHERE document_id = $1
             ORDER BY revision DESC LIMIT $2
         ) AS newest ORDER BY revision",
    )
    .bind(document)
    .bind(db_rev(limit))
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(revision, user_id, committed_at)| Mark {
            revision: rev(revision),
            user_id,
            committed_at,
        })
        .collect())
}

/// Where a replay of the log can start: a snapshot's revision, its text and who wrote it
/// (nil where the snapshot did not keep authors), and every op after it up to `to`.
#[derive(Debug)]
pub struct Replay {
    /// The snapshot's revision.
    pub from: u64,
    /// Its text.
    pub text: String,
    /// Its authors, covering the text.
    pub authors: Runs,
    /// The ops `from + 1..=to`, in order.
    pub entries: Vec<Entry>,
}

/// The replay up to `to` from the snapshot nearest at or before `start` (or, if none is,
/// the oldest after it), among those the log still continues from. Snapshots that kept
/// their authors are preferred. `None`: nothing can be replayed.
pub async fn replay(
    db: &PgPool,
    document: Uuid,
    start: u64,
    to: u64,
) -> sqlx::Result<Option<Replay>> {
    // Ops older than the oldest one kept cannot be replayed.
    let oldest = oldest_op(db, document).await?.unwrap_or(to + 1);
    let row: Option<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT revision, content, authorship FROM collab.snapshots
         WHERE document_id = $1 AND revision <= $2 AND revision >= $3
         ORDER BY (revision <= $4) DESC, (authorship IS NOT NULL) DESC,
                  CASE WHEN revision > $4 OR authorship IS NULL THEN -revision
                       ELSE revision END DESC
         LIMIT 1",
    )
    .bind(document)
    .bind(db_rev(to))
    .bind(db_rev(oldest.saturating_sub(1)))
    .bind(db_rev(start.min(to)))
    .fetch_optional(db)
    .await?;
    let Some((from, text, stored)) = row.map(|(r, c, a)| (rev(r), c, a)) else {
        return Ok(None);
    };
    let entries = ops(db, document, from + 1, to).await?;
    if entries.len() as u64 != to - from {
        return Ok(None);
    }
    let len = text.chars().count();
    let authors = stored
        .and_then(|json| Runs::from_json(&json).ok())
        .filter(|runs| runs.len() == len)
        .unwrap_or_else(|| Runs::uniform(len, Uuid::nil()));
    Ok(Some(Replay {
        from,
        text,
        authors,
        entries,
    }))
}

/// The text at `revision` and who wrote each character of it, rebuilt from the oldest
/// snapshot the log still continues from (the newest that kept its authors, if any did).
/// Text that was already in a snapshot without authors is attributed to nobody (nil).
pub async fn authorship_at(
    db: &PgPool,
    document: Uuid,
    revision: u64,
) -> sqlx::Result<Option<(String, Runs)>> {
    let Some(replay) = replay(db, document, revision, revision).await? else {
        return Ok(None);
    };
    let mut text = Document::from(replay.text.as_str());
    let mut authors = replay.authors;
    for entry in &replay.entries {
        let inserted = entry.inserted_authors();
        if text.apply(&entry.op).is_err() || authors.apply(&entry.op, &inserted).is_err() {
            return Ok(None);
        }
    }
    Ok(Some((text.to_string(), authors)))
}

/// The oldest revision whose text can be rebuilt: the first snapshot from which every
/// later op is still in the log.
pub async fn oldest_readable(db: &PgPool, document: Uuid) -> sqlx::Result<Option<u64>> {
    let floor = oldest_op(db, document)
        .await?
        .map_or(0, |r| r.saturating_sub(1));
    let row: Option<(Option<i64>,)> = sqlx::query_as(
        "SELECT min(revision) FROM collab.snapshots WHERE document_id = $1 AND revision >= $2",
    )
    .bind(document)
    .bind(db_rev(floor))
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(|(r,)| r).map(rev))
}
