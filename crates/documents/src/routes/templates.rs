use super::Auth;
use super::dto::{DocumentResponse, DocumentSummary, PageQuery};
use super::update::respond;
use crate::access;
use crate::domain::Role;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::documents;
use axum::extract::State;
use axum::response::Response;
use tandem_platform::extract::{Json, Path, Query};
use tandem_platform::pagination::{self, Page};
use uuid::Uuid;

async fn set(state: &AppState, auth: &Auth, id: Uuid, is_template: bool) -> Result<Response> {
    let role = access::authorize(state, id, auth.user(), Role::Admin).await?;
    documents::set_template(&state.platform.db, id, is_template).await?;
    access::invalidate(state, id).await?;
    let document = documents::get(&state.platform.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(respond(document, role))
}

/// Mark a document as a template (owner or admin). Anyone who can read it can then create
/// documents from it with `POST /documents` and `template_id`.
#[utoipa::path(
    post, path = "/documents/{id}/template", tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "Now a template", body = DocumentResponse),
        (status = 403, description = "Needs admin access", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document, or no access to it", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn mark(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    set(&state, &auth, id, true).await
}

/// Stop a document being a template (owner or admin).
#[utoipa::path(
    delete, path = "/documents/{id}/template", tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "No longer a template", body = DocumentResponse),
        (status = 403, description = "Needs admin access", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document, or no access to it", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn unmark(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    set(&state, &auth, id, false).await
}

/// The templates the caller can read, by title.
#[utoipa::path(
    get, path = "/documents/templates", tag = "documents",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of templates", body = Page<DocumentSummary>),
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
    let after: Option<(String, Uuid)> = query
        .cursor
        .as_deref()
        .map(pagination::decode)
        .transpose()?;
    let rows = documents::templates(&state.platform.db, auth.user(), after, limit + 1).await?;
    Ok(Json(pagination::page(
        rows,
        limit,
        |r| (r.title.clone(), r.id),
        DocumentSummary::from,
    )))
}
