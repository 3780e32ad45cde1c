//! The Collaboration Service's REST error type.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tandem_platform::Problem;

/// Everything a REST call of the Collaboration Service can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A problem already shaped for the client.
    #[error(transparent)]
    Problem(#[from] Problem),
    /// No such document, or the caller may not know it exists.
    #[error("document not found")]
    NotFound,
    /// PostgreSQL failed.
    #[error("database")]
    Database(#[from] sqlx::Error),
    /// Redis failed.
    #[error("redis")]
    Redis(#[from] redis::RedisError),
    /// The Document Service could not be asked.
    #[error("document service")]
    Documents(#[source] anyhow::Error),
}

/// `Result` with the Collaboration Service's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn unavailable(code: &str, detail: &str) -> Problem {
    Problem::new(StatusCode::SERVICE_UNAVAILABLE, code, "Service unavailable").detail(detail)
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let problem = match self {
            Error::Problem(problem) => problem,
            Error::NotFound => {
                Problem::not_found("No document with this id exists, or you have no access to it.")
            }
            Error::Database(e) => {
                tracing::error!(error = %e, "collab storage failed");
                unavailable(
                    "storage_unavailable",
                    "The op log cannot be read right now; try again shortly.",
                )
            }
            Error::Redis(e) => {
                tracing::error!(error = %e, "redis failed");
                unavailable(
                    "presence_unavailable",
                    "Presence cannot be read right now; try again shortly.",
                )
            }
            Error::Documents(e) => {
                tracing::error!(error = ?e, "document service call failed");
                unavailable(
                    "document_service_unavailable",
                    "The Document Service could not be reached; try again shortly.",
                )
            }
        };
        problem.into_response()
    }
}
