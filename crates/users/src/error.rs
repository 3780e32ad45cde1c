//! The User Service's error type.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tandem_platform::Problem;

/// Everything a User Service operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A problem already shaped for the client (validation, not found…).
    #[error(transparent)]
    Problem(#[from] Problem),
    /// Wrong identifier or password. Deliberately one variant for both.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many failed logins from this client: it is locked out of the account for now.
    #[error("locked out for {retry_after_secs}s")]
    Locked {
        /// Seconds until the lock lifts.
        retry_after_secs: u64,
    },
    /// Too many failed logins for this account from unrecognised clients: the next attempt
    /// from one must wait.
    #[error("attempts delayed for {retry_after_secs}s")]
    Delayed {
        /// Seconds until the next attempt is taken.
        retry_after_secs: u64,
    },
    /// A unique field is taken.
    #[error("{field} is taken")]
    Taken {
        /// `email` or `username`.
        field: &'static str,
    },
    /// A refresh token that is unknown, expired, or belongs to an ended session.
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    /// The refresh cookie came without the `X-Tandem-Browser: 1` header that guards it
    /// against cross-site requests.
    #[error("refresh cookie without the browser header")]
    BrowserHeaderRequired,
    /// PostgreSQL failed.
    #[error("database")]
    Database(#[from] sqlx::Error),
    /// Redis failed.
    #[error("redis")]
    Redis(#[from] redis::RedisError),
    /// Anything else, with context.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// `Result` with the User Service's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<tandem_platform::auth::AuthError> for Error {
    fn from(err: tandem_platform::auth::AuthError) -> Self {
        Error::Problem(err.into())
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let problem = match self {
            Error::Problem(problem) => problem,
            Error::InvalidCredentials => {
                Problem::unauthorized("The email, username or password is wrong.")
                    .with_code("invalid_credentials")
            }
            Error::Locked { retry_after_secs } => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "account_locked",
                "Account temporarily locked",
            )
            .detail(format!(
                "Too many failed logins from this device or address. Try again in {} minutes.",
                retry_after_secs.div_ceil(60)
            ))
            .header(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs.max(1)),
            ),
            Error::Delayed { retry_after_secs } => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "login_delayed",
                "Login attempts delayed",
            )
            .detail(format!(
                "Too many failed logins for this account. Try again in {} seconds; \
                 a device that signed in to it before is not delayed.",
                retry_after_secs.max(1)
            ))
            .header(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs.max(1)),
            ),
            Error::Taken { field } => Problem::conflict(
                &format!("{field}_taken"),
                format!("That {field} is already registered."),
            )
            .errors(vec![tandem_platform::FieldError::new(
                field,
                "is already taken",
            )]),
            Error::BrowserHeaderRequired => Problem::forbidden(
                "The refresh cookie is accepted only with the header `X-Tandem-Browser: 1`.",
            )
            .with_code("browser_header_required"),
            Error::InvalidRefreshToken => Problem::unauthorized(
                "The refresh token is invalid, expired or revoked. Log in again.",
            )
            .with_code("invalid_refresh_token"),
            Error::Redis(e) => {
                // Sessions, limits and lockouts live in Redis: without it, fail closed.
                tracing::error!(error = %e, "redis unavailable");
                Problem::new(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    "session_store_unavailable",
                    "Service unavailable",
                )
                .detail("The session store is unavailable; try again shortly.")
            }
            other => {
                // The full chain goes to the log (with the request id from the span); the
                // client learns nothing about internals.
                tracing::error!(error = ?anyhow::Error::from(other), "user service request failed");
                Problem::internal()
            }
        };
        problem.into_response()
    }
}
