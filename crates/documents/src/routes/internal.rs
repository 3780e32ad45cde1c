//! Endpoints for other services of this deployment (the Collaboration Service), which
//! present the service token instead of a user's access token: a live socket outlives its
//! user's token, and its role must still be checked and its text saved.

use super::update::{Edit, save};
use crate::access;
use crate::domain::{Content, Role};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::{documents, versions};
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tandem_platform::extract::{Json, Path};
use tandem_platform::internal::Internal;
use tandem_platform::{FieldError, Problem};
use utoipa::ToSchema;
use uuid::Uuid;

/// A user's access to a document.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccessResponse {
    /// `read`, `write`, `admin` or `owner`.
    pub role: Role,
    /// The title.
    pub title: String,
    /// The current version.
    pub version: i64,
}

/// A document with its content.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoadResponse {
    /// Id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Markdown content.
    pub content: String,
    /// Current version.
    pub version: i64,
    /// Who made the last change.
    pub last_editor_id: Uuid,
}

/// A live session's text to save as a new version.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SaveRequest {
    /// The version the session last saved (or loaded): the save is refused with 409 if the
    /// document moved past it.
    pub base_version: i64,
    /// The text.
    pub content: String,
    /// Everyone whose changes since that version the text holds.
    pub contributors: Vec<Uuid>,
    /// The author of the last change.
    pub last_editor_id: Uuid,
    /// When the last change was made.
    pub edited_at: DateTime<Utc>,
    /// A save a participant asked for (kept forever), rather than an automatic one (thinned
    /// as it ages).
    #[serde(default)]
    pub explicit: bool,
}

/// The version a save created.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SaveResponse {
    /// The new version (the current one, when the text had not changed).
    pub version: i64,
    /// When.
    pub saved_at: DateTime<Utc>,
}

/// A user's role on a live document (for the Collaboration Service). Service token only.
#[utoipa::path(
    get, path = "/internal/documents/{id}/access/{user_id}", tag = "internal",
    security(("service" = [])),
    params(("id" = Uuid, Path, description = "Document id"), ("user_id" = Uuid, Path, description = "The user")),
    responses(
        (status = 200, description = "The user's role", body = AccessResponse),
        (status = 401, description = "Not the service token (`service_unauthorized`)", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such live document, or no access for that user", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn access(
    State(state): State<AppState>,
    _: Internal,
    Path((id, user_id)): Path<(Uuid, Uuid)>,
) -> Result<Json<AccessResponse>> {
    let (role, document) = access::load(&state, id, user_id, Role::Read).await?;
    Ok(Json(AccessResponse {
        role,
        title: document.title,
        version: document.version,
    }))
}

/// A live document with its content (for the Collaboration Service). Service token only.
#[utoipa::path(
    get, path = "/internal/documents/{id}", tag = "internal",
    security(("service" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "The document", body = LoadResponse),
        (status = 401, description = "Not the service token", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such live document", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn load(
    State(state): State<AppState>,
    _: Internal,
    Path(id): Path<Uuid>,
) -> Result<Json<LoadResponse>> {
    let document = documents::get(&state.platform.db, id)
        .await?
        .filter(|d| d.deleted_at.is_none())
        .ok_or(Error::NotFound)?;
    Ok(Json(LoadResponse {
        id,
        title: document.title,
        content: document.content,
        version: document.version,
        last_editor_id: document.last_editor_id,
    }))
}

/// Save a live session's text as a new version (for the Collaboration Service), listing
/// its contributors. Service token only.
#[utoipa::path(
    post, path = "/internal/documents/{id}/saves", tag = "internal",
    security(("service" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    request_body = SaveRequest,
    responses(
        (status = 200, description = "Saved (or unchanged)", body = SaveResponse),
        (status = 401, description = "Not the service token", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such live document", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The document moved past `base_version` (`version_conflict`, with `current_version`)", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The content is invalid or too large", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn save_session(
    State(state): State<AppState>,
    _: Internal,
    Path(id): Path<Uuid>,
    Json(body): Json<SaveRequest>,
) -> Result<Json<SaveResponse>> {
    let content = Content::parse(body.content, state.config.max_content_bytes)
        .map_err(|m| Problem::invalid_field("content", m))?;
    if body.contributors.is_empty() {
        return Err(Problem::validation(vec![FieldError::new(
            "contributors",
            "must name at least the last editor",
        )])
        .into());
    }
    let edit = Edit {
        id,
        editor: body.last_editor_id,
        base: body.base_version,
        title: None,
        content: Some(content.as_str()),
        kind: if body.explicit {
            versions::Kind::Explicit
        } else {
            versions::Kind::Auto
        },
        contributors: &body.contributors,
        edited_at: Some(body.edited_at),
    };
    let saved = save(&state, edit).await?;
    Ok(Json(SaveResponse {
        version: saved.version,
        saved_at: Utc::now(),
    }))
}
