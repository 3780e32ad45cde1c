use super::Auth;
use super::dto::DocumentResponse;
use crate::access;
use crate::domain::Role;
use crate::error::Result;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tandem_platform::extract::{Json, Path};
use uuid::Uuid;

/// The ETag of a document version. Strong: equal versions are byte-identical.
pub(crate) fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// A document with its content.
///
/// Sends an `ETag` of the version; `If-None-Match` with it answers 304 without a body.
#[utoipa::path(
    get, path = "/documents/{id}", tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "The document", body = DocumentResponse),
        (status = 304, description = "Not modified since the ETag you sent"),
        (status = 401, description = "No valid access token", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document, or no access to it", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn get(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> Result<Response> {
    let (role, document) = access::load(&state, id, auth.user(), Role::Read).await?;
    state
        .analytics
        .record(id, auth.user(), crate::analytics::Kind::View);
    let tag = etag(document.version);
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    let cache = [
        (header::ETAG, tag),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        ),
    ];
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    Ok((cache, Json(DocumentResponse::new(document, role))).into_response())
}
