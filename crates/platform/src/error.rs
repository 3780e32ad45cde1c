//! The platform's own error type.

use crate::problem::Problem;
use axum::response::{IntoResponse, Response};

/// Errors raised by the platform itself (configuration, connections, serving).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration could not be loaded or is invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// PostgreSQL failed.
    #[error("database")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Redis failed.
    #[error("redis")]
    Redis(#[from] ::redis::RedisError),
    /// I/O failed (binding the listener, reading files).
    #[error("i/o")]
    Io(#[from] std::io::Error),
    /// Anything else, with its context chain.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// `Result` with the platform error as the default.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<figment::Error> for Error {
    fn from(e: figment::Error) -> Self {
        // Name the setting in every message: figment's own text often leaves it out.
        let messages: Vec<String> = e
            .into_iter()
            .map(|err| {
                let key = err.path.join(".");
                if key.is_empty() {
                    err.kind.to_string()
                } else {
                    format!("{key}: {}", err.kind)
                }
            })
            .collect();
        Error::Config(messages.join("; "))
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        // Never show internals: log the whole chain, answer with a generic 500.
        tracing::error!(error = ?anyhow::Error::from(self), "request failed");
        Problem::internal().into_response()
    }
}
