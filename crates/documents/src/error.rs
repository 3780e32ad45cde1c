//! The Document Service's error type.

use axum::response::{IntoResponse, Response};
use tandem_platform::Problem;

/// Everything a Document Service operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A problem already shaped for the client.
    #[error(transparent)]
    Problem(#[from] Problem),
    /// The document does not exist or the caller may not know it exists.
    #[error("document not found")]
    NotFound,
    /// PostgreSQL failed.
    #[error("database")]
    Database(#[from] sqlx::Error),
    /// Redis failed.
    #[error("redis")]
    Redis(#[from] redis::RedisError),
    /// The User Service could not be asked.
    #[error("user service")]
    Users(#[source] anyhow::Error),
    /// Converting an imported file or an export did not finish.
    #[error("conversion")]
    Conversion(#[from] crate::convert::ConvertError),
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// `Result` with the Document Service's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let problem = match self {
            Error::Problem(problem) => problem,
            Error::NotFound => {
                Problem::not_found("No document with this id exists, or you have no access to it.")
            }
            Error::Users(e) => {
                tracing::error!(error = ?e, "user service call failed");
                Problem::new(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    "user_service_unavailable",
                    "Service unavailable",
                )
                .detail("The user directory could not be reached; try again shortly.")
            }
            Error::Conversion(e) => conversion_problem(e),
            other => {
                tracing::error!(error = ?anyhow::Error::from(other), "document service request failed");
                Problem::internal()
            }
        };
        problem.into_response()
    }
}

fn conversion_problem(error: crate::convert::ConvertError) -> Problem {
    use crate::convert::ConvertError;
    use axum::http::{HeaderValue, StatusCode, header};
    match error {
        ConvertError::Busy => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "conversions_busy",
            "Service unavailable",
        )
        .detail("Every import and export slot is busy; try again in a few seconds.")
        .header(header::RETRY_AFTER, HeaderValue::from_static("5")),
        ConvertError::TimedOut(limit) => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "conversion_timeout",
            "The conversion took too long",
        )
        .detail(format!(
            "Converting this file took longer than the {}-second limit; split it or simplify it.",
            limit.as_secs()
        )),
        ConvertError::Failed(why) => {
            tracing::error!(error = %why, "a conversion failed");
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "conversion_failed",
                "The conversion failed",
            )
            .detail("This file could not be converted.")
        }
    }
}
