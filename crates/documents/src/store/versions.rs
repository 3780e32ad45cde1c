//! `documents.versions`: every accepted change, with its author and a diff.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

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
pub async fn insert(
    db: impl PgExecutor<'_>,
    document_id: Uuid,
    version: i64,
    title: &str,
    content: &str,
    author_id: Uuid,
    diff: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO documents.versions (document_id, version, title, content, author_id, diff)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(document_id)
    .bind(version)
    .bind(title)
    .bind(content)
    .bind(author_id)
    .bind(diff)
    .execute(db)
    .await?;
    Ok(())
}

/// One page of versions, newest first, before `before` if given.
pub async fn list(
    db: impl PgExecutor<'_>,
    document_id: Uuid,
    before: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<VersionSummary>> {
    sqlx::query_as(
        "SELECT version, title, author_id, created_at FROM documents.versions
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
        "SELECT version, title, content, author_id, created_at, diff FROM documents.versions
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
        "SELECT author_id, count(*) AS edits, max(created_at) AS last_edit_at
         FROM documents.versions WHERE document_id = $1 GROUP BY author_id",
    )
    .bind(document_id)
    .fetch_all(db)
    .await
}
