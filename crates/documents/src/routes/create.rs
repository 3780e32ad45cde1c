use super::Auth;
use super::dto::{CreateRequest, DocumentResponse};
use crate::diff;
use crate::domain::{Content, Role, Title};
use crate::error::Result;
use crate::state::AppState;
use crate::store::{documents, versions};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tandem_platform::extract::Json;
use tandem_platform::{FieldError, Problem};

/// Create a document. The caller owns it.
#[utoipa::path(
    post, path = "/documents", tag = "documents",
    security(("bearer" = [])),
    request_body = CreateRequest,
    responses(
        (status = 201, description = "Created", body = DocumentResponse),
        (status = 401, description = "No valid access token", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing or invalid title, content too large", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<CreateRequest>,
) -> Result<Response> {
    let mut errors = Vec::new();
    let title = match body.title.as_deref().map(Title::parse) {
        None => {
            errors.push(FieldError::new("title", "is required"));
            None
        }
        Some(Err(message)) => {
            errors.push(FieldError::new("title", message));
            None
        }
        Some(Ok(title)) => Some(title),
    };
    let content = match Content::parse(
        body.content.unwrap_or_default(),
        state.config.max_content_bytes,
    ) {
        Ok(content) => Some(content),
        Err(message) => {
            errors.push(FieldError::new("content", message));
            None
        }
    };
    let (Some(title), Some(content), true) = (title, content, errors.is_empty()) else {
        return Err(Problem::validation(errors).into());
    };

    let mut tx = state.platform.db.begin().await?;
    let document =
        documents::insert(&mut *tx, auth.user(), title.as_str(), content.as_str()).await?;
    let first_diff = diff::unified("", content.as_str(), "empty", "v1");
    versions::insert(
        &mut *tx,
        document.id,
        1,
        title.as_str(),
        content.as_str(),
        auth.user(),
        &first_diff,
    )
    .await?;
    tx.commit().await?;
    let location = format!("/documents/{}", document.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(DocumentResponse::new(document, Role::Owner)),
    )
        .into_response())
}
