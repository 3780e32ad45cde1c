//! The Document Service: Markdown documents with versions and diffs, sharing and
//! permissions, full-text search, and a Redis cache in front of the hot reads.
//!
//! It owns the `documents` PostgreSQL schema and the `documents:` Redis keys. It trusts
//! access tokens through the User Service's keys and looks users up through the User
//! Service's REST API; it never reads the `users` schema.

mod access;
mod analytics;
pub mod backup;
pub mod cache;
pub mod collab_client;
pub mod config;
pub mod convert;
pub mod diff;
pub mod domain;
pub mod error;
pub mod events;
pub mod export;
pub mod files;
pub mod import;
pub mod nesting;
mod purge;
mod routes;
mod state;
pub mod storage;
pub mod store;
pub mod users_client;

pub use config::DocumentsConfig;
pub use error::{Error, Result};
pub use routes::openapi;
pub use state::Service;

/// Applies the Document Service's migrations to its own schema.
pub async fn migrate(pool: &sqlx::PgPool) -> tandem_platform::Result<()> {
    tandem_platform::db::migrate_schema(pool, "documents", &sqlx::migrate!("./migrations")).await
}
