//! `users.accounts`.

use crate::domain::{AvatarUrl, Bio, DisplayName, Email, Username};
use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

/// An account row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Account {
    /// Id (UUIDv7).
    pub id: Uuid,
    /// Normalised email.
    pub email: String,
    /// Normalised username.
    pub username: String,
    /// bcrypt hash. Never leaves the service.
    pub password_hash: String,
    /// Display name.
    pub display_name: String,
    /// Bio.
    pub bio: String,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// A new account, validated.
#[derive(Debug)]
pub struct NewAccount {
    /// Email.
    pub email: Email,
    /// Username.
    pub username: Username,
    /// Display name.
    pub display_name: DisplayName,
    /// bcrypt hash of the password.
    pub password_hash: String,
}

/// Profile changes; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct ProfileChanges {
    /// New email.
    pub email: Option<Email>,
    /// New username.
    pub username: Option<Username>,
    /// New display name.
    pub display_name: Option<DisplayName>,
    /// New bio.
    pub bio: Option<Bio>,
    /// New avatar URL; `Some(None)` removes it.
    pub avatar_url: Option<Option<AvatarUrl>>,
}

const COLUMNS: &str =
    "id, email, username, password_hash, display_name, bio, avatar_url, created_at, updated_at";

/// Maps the two unique constraints to a 409 naming the field.
fn taken(err: sqlx::Error) -> Error {
    use tandem_platform::db::is_unique_violation;
    if is_unique_violation(&err, Some("accounts_email_key")) {
        Error::Taken { field: "email" }
    } else if is_unique_violation(&err, Some("accounts_username_key")) {
        Error::Taken { field: "username" }
    } else {
        Error::Database(err)
    }
}

/// Inserts an account.
pub async fn insert(db: impl PgExecutor<'_>, new: &NewAccount) -> Result<Account> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO users.accounts (id, email, username, display_name, password_hash)
         VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
    )))
    .bind(Uuid::now_v7())
    .bind(new.email.as_str())
    .bind(new.username.as_str())
    .bind(new.display_name.as_str())
    .bind(&new.password_hash)
    .fetch_one(db)
    .await
    .map_err(taken)
}

/// Finds an account by id.
pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<Account>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users.accounts WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// Finds an account by normalised email.
pub async fn by_email(db: impl PgExecutor<'_>, email: &Email) -> Result<Option<Account>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users.accounts WHERE email = $1"
    )))
    .bind(email.as_str())
    .fetch_optional(db)
    .await?)
}

/// Finds an account by normalised username.
pub async fn by_username(db: impl PgExecutor<'_>, username: &Username) -> Result<Option<Account>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users.accounts WHERE username = $1"
    )))
    .bind(username.as_str())
    .fetch_optional(db)
    .await?)
}

/// Applies profile changes and returns the updated account.
pub async fn update_profile(
    db: impl PgExecutor<'_>,
    id: Uuid,
    changes: &ProfileChanges,
) -> Result<Account> {
    let avatar_set = changes.avatar_url.is_some();
    let avatar = changes
        .avatar_url
        .as_ref()
        .and_then(|a| a.as_ref().map(|u| u.as_str().to_owned()));
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE users.accounts SET
             email = COALESCE($2, email),
             username = COALESCE($3, username),
             display_name = COALESCE($4, display_name),
             bio = COALESCE($5, bio),
             avatar_url = CASE WHEN $6 THEN $7 ELSE avatar_url END,
             updated_at = now()
         WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(changes.email.as_ref().map(Email::as_str))
    .bind(changes.username.as_ref().map(Username::as_str))
    .bind(changes.display_name.as_ref().map(DisplayName::as_str))
    .bind(changes.bio.as_ref().map(Bio::as_str))
    .bind(avatar_set)
    .bind(avatar)
    .fetch_one(db)
    .await
    .map_err(taken)
}

/// Replaces the password hash.
pub async fn set_password(db: impl PgExecutor<'_>, id: Uuid, hash: &str) -> Result<()> {
    sqlx::query("UPDATE users.accounts SET password_hash = $2, updated_at = now() WHERE id = $1")
        .bind(id)
        .bind(hash)
        .execute(db)
        .await?;
    Ok(())
}
