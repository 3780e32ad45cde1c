use super::dto::{PasswordCheckRequest, PasswordCheckResponse};
use crate::domain::PasswordPolicy;
use crate::error::Result;
use tandem_platform::extract::Json;

/// Check a password against the policy without creating anything.
///
/// For registration and password-change forms that show the policy's verdict as the person
/// types: the same rules `POST /auth/register` applies (length, bytes, not containing the
/// email or username, zxcvbn score ≥ 3), with the same message. Nothing is stored or logged.
/// Rate limited per client IP (`password_check_per_minute`).
#[utoipa::path(
    post, path = "/auth/password-check", tag = "auth",
    request_body = PasswordCheckRequest,
    responses(
        (status = 200, description = "The verdict", body = PasswordCheckResponse),
        (status = 422, description = "A field is not a string, or the body is malformed", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn check(
    Json(body): Json<PasswordCheckRequest>,
) -> Result<Json<PasswordCheckResponse>> {
    // zxcvbn is CPU work proportional to the input: the bcrypt limit bounds it.
    let verdict = PasswordPolicy::check(
        &body.password,
        body.email.as_deref().unwrap_or_default(),
        body.username.as_deref().unwrap_or_default(),
    );
    Ok(Json(PasswordCheckResponse {
        acceptable: verdict.is_ok(),
        message: verdict.err(),
    }))
}
