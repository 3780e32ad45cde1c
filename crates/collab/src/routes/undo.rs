//! `POST /collab/{id}/undo` and `/redo`: the service's undo for API clients, with the same
//! rule as the socket's `undo` (docs/collab-protocol.md §8).

use super::AppState;
use crate::document::undo::{Action, rest_client_id};
use crate::error::{Error, Result};
use crate::fanout::{UndoAnswer, UndoRequest};
use crate::protocol::{ErrorCode, UndoOutcome};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use tandem_platform::Problem;
use tandem_platform::auth::Caller;
use tandem_platform::extract::{Json, Path};
use utoipa::ToSchema;
use uuid::Uuid;

/// What an undo or redo did.
#[derive(Debug, Serialize, ToSchema)]
pub struct UndoResponse {
    /// `applied` or `nothing_to_undo`.
    #[schema(value_type = String, example = "applied")]
    pub result: UndoOutcome,
    /// The revision the undo committed as (`applied` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
}

/// Undo the caller's most recent change made over the REST API (document edits with
/// `PUT /documents/{id}` during a live session, and earlier REST undos), never anyone
/// else's. Committed as an op by the caller and shown live to everyone in the session.
#[utoipa::path(
    post, path = "/collab/{id}/undo", tag = "collab",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "Undone (`applied`, with its revision), or `nothing_to_undo`", body = UndoResponse,
         example = json!({"result": "applied", "revision": 42})),
        (status = 401, description = "No valid access token", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Readers cannot undo (`read_only`)", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document, or no access to it", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The session or its storage cannot take it now; nothing changed", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn undo(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<UndoResponse>> {
    act(&state, &caller, id, Action::Undo).await
}

/// Redo the step the caller's last REST undo took back.
#[utoipa::path(
    post, path = "/collab/{id}/redo", tag = "collab",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "Redone (`applied`, with its revision), or `nothing_to_undo`", body = UndoResponse),
        (status = 401, description = "No valid access token", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Readers cannot redo (`read_only`)", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document, or no access to it", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The session or its storage cannot take it now; nothing changed", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn redo(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<UndoResponse>> {
    act(&state, &caller, id, Action::Redo).await
}

async fn act(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    action: Action,
) -> Result<Json<UndoResponse>> {
    let access = state
        .hub
        .documents
        .access(id, caller.user_id)
        .await
        .map_err(Error::Documents)?
        .ok_or(Error::NotFound)?;
    if !access.role.can_write() {
        return Err(Problem::forbidden(format!(
            "Your role is {}: readers cannot {}.",
            access.role.as_str(),
            action.as_str()
        ))
        .with_code("read_only")
        .into());
    }
    let request = UndoRequest {
        user_id: caller.user_id,
        session_id: Uuid::nil(),
        client_id: rest_client_id(caller.user_id),
        action,
    };
    match state.hub.undo(id, request).await {
        UndoAnswer::Applied { revision } => Ok(Json(UndoResponse {
            result: UndoOutcome::Applied,
            revision: Some(revision),
        })),
        UndoAnswer::NothingToUndo => Ok(Json(UndoResponse {
            result: UndoOutcome::NothingToUndo,
            revision: None,
        })),
        UndoAnswer::Error { code, message } => {
            let status = match code {
                ErrorCode::ReadOnly => StatusCode::FORBIDDEN,
                ErrorCode::DocumentTooLarge => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::SERVICE_UNAVAILABLE,
            };
            let title = status.canonical_reason().unwrap_or("Error");
            Err(Problem::new(status, code.as_str(), title)
                .detail(message)
                .into())
        }
    }
}
