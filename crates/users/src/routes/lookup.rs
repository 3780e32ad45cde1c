use super::Auth;
use super::dto::{LookupQuery, PublicUser, UserResponse};
use crate::domain::Email;
use crate::error::Result;
use crate::state::AppState;
use crate::store::accounts;
use axum::extract::State;
use tandem_platform::Problem;
use tandem_platform::extract::{Json, Path, Query};
use uuid::Uuid;

/// A user's public fields, by id. For other services and for showing collaborators.
#[utoipa::path(
    get, path = "/users/{id}", tag = "users",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = PublicUser),
        (status = 401, description = "No valid access token", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn by_id(
    State(state): State<AppState>,
    _auth: Auth,
    Path(id): Path<Uuid>,
) -> Result<Json<PublicUser>> {
    let profile = state
        .profiles
        .get(&state.platform.db, id, UserResponse::from)
        .await?
        .ok_or_else(|| Problem::not_found("No user has this id."))?;
    Ok(Json(profile.into()))
}

/// A user's public fields, by exact email. Used to share a document with someone by email.
#[utoipa::path(
    get, path = "/users", tag = "users",
    security(("bearer" = [])),
    params(LookupQuery),
    responses(
        (status = 200, description = "The user", body = PublicUser),
        (status = 400, description = "`email` missing", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No user has this email", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an email address", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn by_email(
    State(state): State<AppState>,
    _auth: Auth,
    Query(query): Query<LookupQuery>,
) -> Result<Json<PublicUser>> {
    let email = Email::parse(&query.email).map_err(|m| Problem::invalid_field("email", m))?;
    let account = accounts::by_email(&state.platform.db, &email)
        .await?
        .ok_or_else(|| Problem::not_found("No user has this email."))?;
    Ok(Json(account.into()))
}
