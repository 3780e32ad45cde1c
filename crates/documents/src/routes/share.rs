use super::Auth;
use super::dto::{Collaborator, ShareRequest};
use crate::access;
use crate::domain::Role;
use crate::error::{Error, Result};
use crate::events::{self, Event};
use crate::state::AppState;
use crate::store::{documents, permissions};
use axum::extract::State;
use axum::http::StatusCode;
use tandem_platform::extract::{Json, Path};
use tandem_platform::{FieldError, Problem};
use uuid::Uuid;

fn owner_is_fixed() -> Error {
    Problem::conflict(
        "owner_immutable",
        "The owner always has full access; their role cannot be changed or removed.",
    )
    .into()
}

/// Grant a user access, or change their role (owner or admin only).
///
/// Name the user by `email` or `user_id`; they are looked up in the User Service.
#[utoipa::path(
    post, path = "/documents/{id}/share", tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    request_body = ShareRequest,
    responses(
        (status = 200, description = "Granted; the collaborator entry", body = Collaborator),
        (status = 403, description = "Needs admin access", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document, or no access to it", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The user is the owner (`owner_immutable`)", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown role, no such user, or neither email nor user_id", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn share(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Json(body): Json<ShareRequest>,
) -> Result<Json<Collaborator>> {
    access::authorize(&state, id, auth.user(), Role::Admin).await?;
    let role = Role::parse_grantable(&body.role).map_err(|m| Problem::invalid_field("role", m))?;
    let (field, user) = match (&body.user_id, body.email.as_deref()) {
        (Some(user_id), _) => ("user_id", state.users.by_id(*user_id, &auth.token).await),
        (None, Some(email)) => ("email", state.users.by_email(email, &auth.token).await),
        (None, None) => {
            return Err(Problem::validation(vec![FieldError::new(
                "email",
                "give `email` or `user_id`",
            )])
            .into());
        }
    };
    let user = user
        .map_err(Error::Users)?
        .ok_or_else(|| Problem::invalid_field(field, "no user matches"))?;

    let mut tx = state.platform.db.begin().await?;
    let document = documents::lock(&mut *tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    if document.owner_id == user.id {
        return Err(owner_is_fixed());
    }
    permissions::upsert(&mut *tx, id, user.id, role, auth.user()).await?;
    tx.commit().await?;
    state
        .analytics
        .record(id, auth.user(), crate::analytics::Kind::Share);
    access::invalidate(&state, id).await?;
    let event = Event::AccessChanged {
        document_id: id,
        user_id: user.id,
        role: Some(role),
    };
    events::publish(&state.platform.redis, &event).await;
    Ok(Json(Collaborator {
        user_id: user.id,
        role: role.as_str().to_owned(),
        username: Some(user.username),
        display_name: Some(user.display_name),
        avatar_url: user.avatar_url,
        last_edit_at: None,
        edits: 0,
        editing_now: false,
    }))
}

/// Revoke a user's access (owner or admin only). Effective immediately.
#[utoipa::path(
    delete, path = "/documents/{id}/share/{user_id}", tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id"), ("user_id" = Uuid, Path, description = "The user to remove")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "Needs admin access", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document, no access to it, or not shared with that user", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The user is the owner (`owner_immutable`)", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, user_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode> {
    access::authorize(&state, id, auth.user(), Role::Admin).await?;
    let mut tx = state.platform.db.begin().await?;
    let document = documents::lock(&mut *tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    if document.owner_id == user_id {
        return Err(owner_is_fixed());
    }
    if !permissions::remove(&mut *tx, id, user_id).await? {
        return Err(Problem::not_found("The document is not shared with that user.").into());
    }
    tx.commit().await?;
    access::invalidate(&state, id).await?;
    let event = Event::AccessChanged {
        document_id: id,
        user_id,
        role: None,
    };
    events::publish(&state.platform.redis, &event).await;
    Ok(StatusCode::NO_CONTENT)
}
