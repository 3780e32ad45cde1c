use super::Auth;
use super::dto::{DocumentSummary, PageQuery};
use super::update::respond;
use crate::access;
use crate::domain::Role;
use crate::error::{Error, Result};
use crate::events::{self, Event};
use crate::state::AppState;
use crate::store::documents;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use tandem_platform::Problem;
use tandem_platform::extract::{Json, Path, Query};
use tandem_platform::pagination::{self, Page};
use uuid::Uuid;

/// Move a document to the trash (owner or admin). It is purged after
/// `documents.trash_retention_days`; until then `POST /documents/{id}/restore` brings it back.
#[utoipa::path(
    delete, path = "/documents/{id}", tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 204, description = "In the trash"),
        (status = 403, description = "Needs admin access", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document, or no access to it", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    access::authorize(&state, id, auth.user(), Role::Admin).await?;
    documents::set_trashed(&state.platform.db, id, true).await?;
    access::invalidate(&state, id).await?;
    let event = Event::Trashed { document_id: id };
    events::publish(&state.platform.redis, &event).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Documents in the trash that the caller owns or administers, most recently trashed first.
#[utoipa::path(
    get, path = "/documents/trash", tag = "documents",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of trashed documents", body = Page<DocumentSummary>),
        (status = 400, description = "Bad `limit` or `cursor`", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<DocumentSummary>>> {
    let limit = pagination::limit(query.limit)?;
    let after: Option<(DateTime<Utc>, Uuid)> = query
        .cursor
        .as_deref()
        .map(pagination::decode)
        .transpose()?;
    let rows = documents::trash(&state.platform.db, auth.user(), after, limit + 1).await?;
    Ok(Json(pagination::page(
        rows,
        limit,
        |r| (r.deleted_at.unwrap_or_default(), r.id),
        DocumentSummary::from,
    )))
}

/// Bring a document back from the trash (owner or admin).
#[utoipa::path(
    post, path = "/documents/{id}/restore", tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "Restored", body = super::dto::DocumentResponse),
        (status = 403, description = "Needs admin access", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not in the trash, or no access to it", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn restore(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    let role = documents::trashed_role_of(&state.platform.db, id, auth.user())
        .await?
        .ok_or(Error::NotFound)?;
    if role < Role::Admin {
        return Err(Problem::forbidden(format!(
            "Restoring needs admin access; you have {}.",
            role.as_str()
        ))
        .with("your_role", role.as_str())
        .into());
    }
    documents::set_trashed(&state.platform.db, id, false).await?;
    access::invalidate(&state, id).await?;
    let event = Event::Restored { document_id: id };
    events::publish(&state.platform.redis, &event).await;
    let document = documents::get(&state.platform.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(respond(document, role))
}
