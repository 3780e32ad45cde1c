use super::AppState;
use super::participants::ParticipantList;
use crate::document::actor::RestEdit;
use crate::error::Result;
use crate::fanout::EditAnswer;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tandem_platform::Problem;
use tandem_platform::extract::{Json, Path};
use tandem_platform::internal::Internal;
use utoipa::ToSchema;
use uuid::Uuid;

/// A REST edit of a document with a live session.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EditRequest {
    /// The editor.
    pub user_id: Uuid,
    /// The version they edited.
    pub base_version: i64,
    /// The new content.
    pub content: String,
}

/// The version holding the merged edit.
#[derive(Debug, Serialize, ToSchema)]
pub struct EditResponse {
    /// The version.
    pub version: i64,
}

/// Merge a REST edit into the document's live session, then save (for the Document
/// Service). Service token only.
#[utoipa::path(
    post, path = "/internal/collab/documents/{id}/edits", tag = "internal",
    security(("service" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    request_body = EditRequest,
    responses(
        (status = 200, description = "Merged and saved", body = EditResponse),
        (status = 401, description = "Not the service token", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No live session (`no_session`): save it directly", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The base version is older than the op window (`version_too_old`)", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The content is invalid", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The session could not take it now", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn edit(
    State(state): State<AppState>,
    _: Internal,
    Path(id): Path<Uuid>,
    Json(body): Json<EditRequest>,
) -> Result<Json<EditResponse>> {
    let edit = RestEdit {
        user_id: body.user_id,
        base_version: body.base_version,
        content: body.content,
    };
    match state.hub.edit(id, edit).await {
        EditAnswer::Merged { version } => Ok(Json(EditResponse { version })),
        EditAnswer::NoSession => Err(Problem::not_found("No live session holds this document.")
            .with_code("no_session")
            .into()),
        EditAnswer::TooOld => Err(Problem::conflict(
            "version_too_old",
            "The edit is based on a version older than the live session's op window.",
        )
        .into()),
        EditAnswer::Invalid { message } => Err(Problem::invalid_field("content", message).into()),
        EditAnswer::Failed { message } => Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "session_unavailable",
            "Service unavailable",
        )
        .detail(message)
        .into()),
    }
}

/// Who is in the document's live session (for the Document Service). Service token only.
#[utoipa::path(
    get, path = "/internal/collab/documents/{id}/participants", tag = "internal",
    security(("service" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "The participants", body = ParticipantList),
        (status = 401, description = "Not the service token", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Presence cannot be read (`presence_unavailable`)", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn participants(
    State(state): State<AppState>,
    _: Internal,
    Path(id): Path<Uuid>,
) -> Result<Json<ParticipantList>> {
    let items = state.hub.participants(id).await?;
    Ok(Json(ParticipantList { items }))
}
