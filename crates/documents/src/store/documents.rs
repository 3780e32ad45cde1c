//! `documents.documents`.

use crate::domain::Role;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgExecutor;
use uuid::Uuid;

/// A document row (without the search vector).
#[derive(Debug, Clone, sqlx::FromRow, Serialize, Deserialize)]
pub struct Document {
    /// Id.
    pub id: Uuid,
    /// Owner.
    pub owner_id: Uuid,
    /// Title.
    pub title: String,
    /// Markdown content.
    pub content: String,
    /// Content version.
    pub version: i64,
    /// Who made the last change.
    pub last_editor_id: Uuid,
    /// Whether it is a template.
    pub is_template: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was moved to the trash.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A list row: a document without its content, with the caller's role.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Summary {
    /// Id.
    pub id: Uuid,
    /// Owner.
    pub owner_id: Uuid,
    /// Title.
    pub title: String,
    /// Content version.
    pub version: i64,
    /// Who made the last change.
    pub last_editor_id: Uuid,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was moved to the trash.
    pub deleted_at: Option<DateTime<Utc>>,
    /// The caller's role (`owner`, `admin`, `write`, `read`).
    pub role: String,
}

const COLUMNS: &str = "id, owner_id, title, content, version, last_editor_id, is_template, \
                       created_at, updated_at, deleted_at";

/// Inserts a document at version 1.
pub async fn insert(
    db: impl PgExecutor<'_>,
    owner_id: Uuid,
    title: &str,
    content: &str,
) -> sqlx::Result<Document> {
    insert_with_id(db, Uuid::now_v7(), owner_id, title, content).await
}

/// Inserts a document under an id chosen beforehand (an import links its images by it).
pub async fn insert_with_id(
    db: impl PgExecutor<'_>,
    id: Uuid,
    owner_id: Uuid,
    title: &str,
    content: &str,
) -> sqlx::Result<Document> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO documents.documents (id, owner_id, title, content, last_editor_id)
         VALUES ($1, $2, $3, $4, $2) RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(owner_id)
    .bind(title)
    .bind(content)
    .fetch_one(db)
    .await
}

/// A document by id, trashed or not.
pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Document>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM documents.documents WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Locks a document row for an update in this transaction.
pub async fn lock(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Document>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM documents.documents WHERE id = $1 FOR UPDATE"
    )))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Writes a new title and content at `version`.
pub async fn update(
    db: impl PgExecutor<'_>,
    id: Uuid,
    title: &str,
    content: &str,
    version: i64,
    editor: Uuid,
    edited_at: Option<DateTime<Utc>>,
) -> sqlx::Result<Document> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE documents.documents
         SET title = $2, content = $3, version = $4, last_editor_id = $5,
             updated_at = COALESCE($6, now())
         WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(title)
    .bind(content)
    .bind(version)
    .bind(editor)
    .bind(edited_at)
    .fetch_one(db)
    .await
}

/// Moves a document to the trash (`true`) or back (`false`).
pub async fn set_trashed(db: impl PgExecutor<'_>, id: Uuid, trashed: bool) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE documents.documents
         SET deleted_at = CASE WHEN $2 THEN COALESCE(deleted_at, now()) ELSE NULL END
         WHERE id = $1",
    )
    .bind(id)
    .bind(trashed)
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes documents trashed before `cutoff` (versions and permissions cascade).
pub async fn purge(db: impl PgExecutor<'_>, cutoff: DateTime<Utc>) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "DELETE FROM documents.documents WHERE deleted_at IS NOT NULL AND deleted_at < $1 RETURNING id",
    )
    .bind(cutoff)
    .fetch_all(db)
    .await
}

/// The caller's role from PostgreSQL, for a live (not trashed) document.
pub async fn role_of(
    db: impl PgExecutor<'_>,
    id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<Option<Role>> {
    role_in(db, id, user_id, false).await
}

/// The caller's role on a live (`trashed = false`) or trashed document.
async fn role_in(
    db: impl PgExecutor<'_>,
    id: Uuid,
    user_id: Uuid,
    trashed: bool,
) -> sqlx::Result<Option<Role>> {
    let role: Option<String> = sqlx::query_scalar(
        "SELECT CASE WHEN d.owner_id = $2 THEN 'owner' ELSE p.role END
         FROM documents.documents d
         LEFT JOIN documents.permissions p ON p.document_id = d.id AND p.user_id = $2
         WHERE d.id = $1 AND (d.deleted_at IS NOT NULL) = $3",
    )
    .bind(id)
    .bind(user_id)
    .bind(trashed)
    .fetch_optional(db)
    .await?
    .flatten();
    Ok(role.as_deref().and_then(Role::parse))
}

/// Which documents a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Filter {
    /// Owned and shared.
    All,
    /// Owned by the caller.
    Owned,
    /// Shared with the caller.
    Shared,
}

/// List order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Most recently changed first.
    UpdatedAt,
    /// By title, A to Z.
    Title,
}

/// Where the previous page ended.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum After {
    /// `(updated_at, id)` of the last row, for `Sort::UpdatedAt`.
    Updated(DateTime<Utc>, Uuid),
    /// `(title, id)` of the last row, for `Sort::Title`.
    Title(String, Uuid),
}

/// One page of the documents `user_id` can read.
///
/// Owned and shared documents are two index scans (owner index, permission index) merged by
/// `UNION ALL`, rather than one scan with `owner_id = $1 OR permission exists`, which no
/// index can serve.
pub async fn list(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    filter: Filter,
    sort: Sort,
    after: Option<&After>,
    limit: i64,
) -> sqlx::Result<Vec<Summary>> {
    let (inner_order, order, keyset) = match sort {
        Sort::UpdatedAt => (
            "d.updated_at DESC, d.id DESC",
            "updated_at DESC, id DESC",
            "(d.updated_at, d.id) < ($3, $4)",
        ),
        Sort::Title => (
            "d.title ASC, d.id ASC",
            "title ASC, id ASC",
            "(d.title, d.id) > ($5, $4)",
        ),
    };
    let page_filter = if after.is_some() { keyset } else { "TRUE" };
    let owned = format!(
        "(SELECT d.id, d.owner_id, d.title, d.version, d.last_editor_id, d.created_at,
                 d.updated_at, d.deleted_at, 'owner' AS role
          FROM documents.documents d
          WHERE d.owner_id = $1 AND d.deleted_at IS NULL AND {page_filter}
          ORDER BY {inner_order} LIMIT $2)"
    );
    let shared = format!(
        "(SELECT d.id, d.owner_id, d.title, d.version, d.last_editor_id, d.created_at,
                 d.updated_at, d.deleted_at, p.role
          FROM documents.permissions p
          JOIN documents.documents d ON d.id = p.document_id
          WHERE p.user_id = $1 AND d.deleted_at IS NULL AND {page_filter}
          ORDER BY {inner_order} LIMIT $2)"
    );
    let union = match filter {
        Filter::All => format!("{owned} UNION ALL {shared}"),
        Filter::Owned => owned,
        Filter::Shared => shared,
    };
    let sql = format!("SELECT * FROM ({union}) AS page ORDER BY {order} LIMIT $2");
    let (updated, id, title) = match after {
        Some(After::Updated(at, id)) => (Some(*at), Some(*id), None),
        Some(After::Title(title, id)) => (None, Some(*id), Some(title.clone())),
        None => (None, None, None),
    };
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(limit)
        .bind(updated)
        .bind(id)
        .bind(title)
        .fetch_all(db)
        .await
}

/// One page of the caller's trash (documents they own or administer), newest first.
pub async fn trash(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<Summary>> {
    let (at, id) = after.map_or((None, None), |(a, i)| (Some(a), Some(i)));
    sqlx::query_as(
        "SELECT * FROM (
            (SELECT d.id, d.owner_id, d.title, d.version, d.last_editor_id, d.created_at,
                    d.updated_at, d.deleted_at, 'owner' AS role
             FROM documents.documents d
             WHERE d.owner_id = $1 AND d.deleted_at IS NOT NULL
               AND ($3::timestamptz IS NULL OR (d.deleted_at, d.id) < ($3, $4))
             ORDER BY d.deleted_at DESC, d.id DESC LIMIT $2)
            UNION ALL
            (SELECT d.id, d.owner_id, d.title, d.version, d.last_editor_id, d.created_at,
                    d.updated_at, d.deleted_at, p.role
             FROM documents.permissions p
             JOIN documents.documents d ON d.id = p.document_id
             WHERE p.user_id = $1 AND p.role = 'admin' AND d.deleted_at IS NOT NULL
               AND ($3::timestamptz IS NULL OR (d.deleted_at, d.id) < ($3, $4))
             ORDER BY d.deleted_at DESC, d.id DESC LIMIT $2)
         ) AS page ORDER BY deleted_at DESC, id DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(limit)
    .bind(at)
    .bind(id)
    .fetch_all(db)
    .await
}

/// The caller's role on a trashed document (owner or admin may restore).
pub async fn trashed_role_of(
    db: impl PgExecutor<'_>,
    id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<Option<Role>> {
    role_in(db, id, user_id, true).await
}

/// Marks or unmarks a document as a template.
pub async fn set_template(
    db: impl PgExecutor<'_>,
    id: Uuid,
    is_template: bool,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE documents.documents SET is_template = $2 WHERE id = $1")
        .bind(id)
        .bind(is_template)
        .execute(db)
        .await?;
    Ok(())
}

/// One page of the templates `user_id` can read, by title.
pub async fn templates(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    after: Option<(String, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<Summary>> {
    let (title, id) = after.map_or((None, None), |(t, i)| (Some(t), Some(i)));
    sqlx::query_as(
        "SELECT * FROM (
            (SELECT d.id, d.owner_id, d.title, d.version, d.last_editor_id, d.created_at,
                    d.updated_at, d.deleted_at, 'owner' AS role
             FROM documents.documents d
             WHERE d.owner_id = $1 AND d.is_template AND d.deleted_at IS NULL
               AND ($3::text IS NULL OR (d.title, d.id) > ($3, $4)))
            UNION ALL
            (SELECT d.id, d.owner_id, d.title, d.version, d.last_editor_id, d.created_at,
                    d.updated_at, d.deleted_at, p.role
             FROM documents.permissions p
             JOIN documents.documents d ON d.id = p.document_id
             WHERE p.user_id = $1 AND d.is_template AND d.deleted_at IS NULL
               AND ($3::text IS NULL OR (d.title, d.id) > ($3, $4)))
         ) AS page ORDER BY title, id LIMIT $2",
    )
    .bind(user_id)
    .bind(limit)
    .bind(title)
    .bind(id)
    .fetch_all(db)
    .await
}
