//! `documents.attachments`: metadata of files stored in the object store.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

/// An attachment row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Attachment {
    /// Id.
    pub id: Uuid,
    /// The document it belongs to.
    pub document_id: Uuid,
    /// Sanitized file name.
    pub filename: String,
    /// Content type detected from the bytes.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// Where the bytes are in the object store.
    pub object_key: String,
    /// Who uploaded it.
    pub uploaded_by: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, document_id, filename, content_type, size_bytes, sha256, object_key, uploaded_by, created_at";

/// Records an attachment.
pub async fn insert(db: impl PgExecutor<'_>, a: &Attachment) -> sqlx::Result<Attachment> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO documents.attachments ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         RETURNING {COLUMNS}"
    )))
    .bind(a.id)
    .bind(a.document_id)
    .bind(&a.filename)
    .bind(&a.content_type)
    .bind(a.size_bytes)
    .bind(&a.sha256)
    .bind(&a.object_key)
    .bind(a.uploaded_by)
    .bind(a.created_at)
    .fetch_one(db)
    .await
}

/// A document's attachments, newest first.
pub async fn list(db: impl PgExecutor<'_>, document_id: Uuid) -> sqlx::Result<Vec<Attachment>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM documents.attachments WHERE document_id = $1
         ORDER BY created_at DESC, id DESC LIMIT 1000"
    )))
    .bind(document_id)
    .fetch_all(db)
    .await
}

/// One attachment of a document.
pub async fn get(
    db: impl PgExecutor<'_>,
    document_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Attachment>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM documents.attachments WHERE document_id = $1 AND id = $2"
    )))
    .bind(document_id)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Deletes one attachment's row; returns its object key.
pub async fn delete(
    db: impl PgExecutor<'_>,
    document_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "DELETE FROM documents.attachments WHERE document_id = $1 AND id = $2 RETURNING object_key",
    )
    .bind(document_id)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Object keys of the attachments of documents trashed before `cutoff` (to delete the
/// bytes when the purge job deletes the rows).
pub async fn keys_of_purgeable(
    db: impl PgExecutor<'_>,
    cutoff: DateTime<Utc>,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT a.object_key FROM documents.attachments a
         JOIN documents.documents d ON d.id = a.document_id
         WHERE d.deleted_at IS NOT NULL AND d.deleted_at < $1",
    )
    .bind(cutoff)
    .fetch_all(db)
    .await
}
