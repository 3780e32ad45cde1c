//! `documents.versions`: every accepted change, with its author and a diff.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

/// What made a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A REST edit (or the document's creation).
    Edit,
    /// A save of a live session by the Collaboration Service.
    Auto,
    /// A save a participant asked for.
    Explicit,
    /// A restore of an older version.
    Restore,
}

impl Kind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Edit => "edit",
            Kind::Auto => "auto",
            Kind::Explicit => "explicit",
            Kind::Restore => "restore",
        }
    }
}

/// A new version to record.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    /// The document.
    pub document_id: Uuid,
    /// Its number.
    pub version: i64,
    /// Title.
    pub title: &'a str,
    /// Content.
    pub content: &'a str,
    /// The author of its last change.
    pub author_id: Uuid,
    /// Everyone whose changes it holds (the author included).
    pub contributors: &'a [Uuid],
    /// Unified diff against the previous version.
    pub diff: &'a str,
    /// What made it.
    pub kind: Kind,
}

/// A version row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Version {
    /// The version number.
    pub version: i64,
    /// Title at this version.
    pub title: String,
    /// Content at this version.
    pub content: String,
    /// Who made it.
    pub author_id: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Unified diff against the previous version.
    pub diff: String,
    /// Everyone whose changes it holds.
    pub contributors: Vec<Uuid>,
    /// What made it (`edit`, `auto`, `explicit`, `restore`).
    pub kind: String,
}

/// A version without its content, for lists.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionSummary {
    /// The version number.
    pub version: i64,
    /// Title at this version.
    pub title: String,
    /// Who made it.
    pub author_id: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Everyone whose changes it holds.
    pub contributors: Vec<Uuid>,
    /// What made it.
    pub kind: String,
}

/// Per-author edit statistics.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuthorStats {
    /// The author.
    pub author_id: Uuid,
    /// Number of versions they made.
    pub edits: i64,
    /// Their latest version's time.
    pub last_edit_at: DateTime<Utc>,
}

/// Records a version.
pub async fn insert(db: impl PgExecutor<'_>, v: &NewVersion<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO documents.versions
             (document_id, version, title, content, author_id, diff, contributors, kind)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(v.document_id)
    .bind(v.version)
    .bind(v.title)
    .bind(v.content)
    .bind(v.author_id)
    .bind(v.diff)
    .bind(v.contributors)
    .bind(v.kind.as_str())
    .execute(db)
    .await?;
    Ok(())
}

/// Thins auto-saves as they age: all from the last day stay, then the last of each hour
/// for 30 days, then the last of each day. Edits, explicit saves, restores and each
/// document's current version are never removed. Returns how many were removed.
pub async fn thin(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "DELETE FROM documents.versions v
         USING (
             SELECT document_id, version,
                    row_number() OVER (
                        PARTITION BY document_id,
                            CASE WHEN created_at > now() - interval '30 days'
                                 THEN date_trunc('hour', created_at)
                                 ELSE date_trunc('day', created_at) END
                        ORDER BY version DESC) AS rank
             FROM documents.versions
             WHERE kind = 'auto' AND created_at < now() - interval '1 day'
         ) AS old
         JOIN documents.documents d ON d.id = old.document_id
         WHERE v.document_id = old.document_id AND v.version = old.version
           AND old.rank > 1 AND v.version <> d.version",
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// One page of versions, newest first, before `before` if given.
pub async fn list(
    db: impl PgExecutor<'_>,
    document_id: Uuid,
    before: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<VersionSummary>> {
    sqlx::query_as(
        "SELECT version, title, author_id, created_at, contributors, kind FROM documents.versions
         WHERE document_id = $1 AND ($2::bigint IS NULL OR version < $2)
         ORDER BY version DESC LIMIT $3",
    )
    .bind(document_id)
    .bind(before)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// One version.
pub async fn get(
    db: impl PgExecutor<'_>,
    document_id: Uuid,
    version: i64,
) -> sqlx::Result<Option<Version>> {
    sqlx::query_as(
        "SELECT version, title, content, author_id, created_at, diff, contributors, kind
         FROM documents.versions
         WHERE document_id = $1 AND version = $2",
    )
    .bind(document_id)
    .bind(version)
    .fetch_optional(db)
    .await
}

/// Edits per author.
pub async fn stats(db: impl PgExecutor<'_>, document_id: Uuid) -> sqlx::Result<Vec<AuthorStats>> {
    sqlx::query_as(
        "SELECT c.author_id, count(*) AS edits, max(v.created_at) AS last_edit_at
         FROM documents.versions v, unnest(v.contributors) AS c(author_id)
         WHERE v.document_id = $1 GROUP BY c.author_id",
    )
    .bind(document_id)
    .fetch_all(db)
    .await
}
