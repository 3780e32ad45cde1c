use super::{AppState, require_reader};
use crate::error::Result;
use crate::protocol::ParticipantInfo;
use axum::extract::State;
use serde::Serialize;
use tandem_platform::auth::Caller;
use tandem_platform::extract::{Json, Path};
use utoipa::ToSchema;
use uuid::Uuid;

/// Who is in a live session.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"session_id": "01a3b2c4-1d2e-7f30-8a41-5b6c7d8e9f00", "user_id": "01a3b2c0-0c1d-7e2f-9a30-4b5c6d7e8f90", "display_name": "Grace Hopper", "color": "#1e88e5", "selection": {"anchor": 7, "head": 7}}]}))]
pub struct ParticipantList {
    /// One entry per connection (a user in two tabs appears twice, with one `user_id`).
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<ParticipantInfo>,
}

/// Who is in the document's live session now, on any instance (readers of the document).
#[utoipa::path(
    get, path = "/collab/{id}/participants", tag = "collab",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "The participants", body = ParticipantList),
        (status = 401, description = "No valid access token", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document, or no access to it", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Redis or the Document Service is unavailable", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<ParticipantList>> {
    require_reader(&state, id, caller.user_id).await?;
    let items = state.hub.participants(id).await?;
    Ok(Json(ParticipantList { items }))
}
