//! `documents.permissions`.

use crate::domain::Role;
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

/// A grant.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Grant {
    /// The user.
    pub user_id: Uuid,
    /// Their role (`read`, `write`, `admin`).
    pub role: String,
    /// Granted or last changed.
    pub updated_at: DateTime<Utc>,
}

/// Grants `role` to `user_id`, or changes their existing role.
pub async fn upsert(
    db: impl PgExecutor<'_>,
    document_id: Uuid,
    user_id: Uuid,
    role: Role,
    granted_by: Uuid,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO documents.permissions (document_id, user_id, role, granted_by)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (document_id, user_id)
         DO UPDATE SET role = EXCLUDED.role, granted_by = EXCLUDED.granted_by, updated_at = now()",
    )
    .bind(document_id)
    .bind(user_id)
    .bind(role.as_str())
    .bind(granted_by)
    .execute(db)
    .await?;
    Ok(())
}

/// Revokes `user_id`'s access; `false` if they had none.
pub async fn remove(
    db: impl PgExecutor<'_>,
    document_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<bool> {
    let result =
        sqlx::query("DELETE FROM documents.permissions WHERE document_id = $1 AND user_id = $2")
            .bind(document_id)
            .bind(user_id)
            .execute(db)
            .await?;
    Ok(result.rows_affected() > 0)
}

/// Every grant on a document.
pub async fn list(db: impl PgExecutor<'_>, document_id: Uuid) -> sqlx::Result<Vec<Grant>> {
    sqlx::query_as(
        "SELECT user_id, role, updated_at FROM documents.permissions
         WHERE document_id = $1 ORDER BY created_at, user_id",
    )
    .bind(document_id)
    .fetch_all(db)
    .await
}
