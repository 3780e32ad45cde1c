//! The User Service: accounts, authentication and sessions.
//!
//! It owns the `users` PostgreSQL schema and the `users:` Redis keys, signs access tokens
//! with an Ed25519 key, and publishes the public half as a JWKS for the other services.

pub mod auth;
pub mod config;
pub mod domain;
pub mod error;
mod routes;
pub mod seed;
mod state;
pub mod store;

pub use config::UsersConfig;
pub use error::{Error, Result};
pub use routes::openapi;
pub use state::Service;

/// Applies the User Service's migrations to its own schema.
pub async fn migrate(pool: &sqlx::PgPool) -> tandem_platform::Result<()> {
    tandem_platform::db::migrate_schema(pool, "users", &sqlx::migrate!("./migrations")).await
}
