use super::dto::{SessionList, SessionResponse};
use super::{Auth, Client};
use crate::error::Result;
use crate::state::AppState;
use crate::store::audit::{self, Event};
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;
use tandem_platform::Problem;
use tandem_platform::extract::{Json, Path};
use uuid::Uuid;

/// The signed-in user's sessions: device, IP and last-seen time.
#[utoipa::path(
    get, path = "/auth/sessions", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The sessions, newest first", body = SessionList),
        (status = 401, description = "No valid access token", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<Json<SessionList>> {
    let sessions = state.sessions.list(caller.user_id).await?;
    Ok(Json(SessionList {
        items: sessions
            .into_iter()
            .map(|s| SessionResponse::new(s, Some(caller.session_id)))
            .collect(),
    }))
}

/// End one of the signed-in user's sessions (sign a device out).
///
/// Another user's session id gets the same 404 as a session that does not exist.
#[utoipa::path(
    delete, path = "/auth/sessions/{id}", tag = "auth",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, description = "No valid access token", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session of yours", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn end(
    State(state): State<AppState>,
    Auth(caller): Auth,
    client: Client,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    match state.sessions.get(id).await? {
        Some(session) if session.user_id == caller.user_id => {}
        _ => return Err(Problem::not_found("No session of yours has this id.").into()),
    }
    state.sessions.revoke(id, Some(caller.user_id)).await?;
    audit::record(
        &state.platform.db,
        &client.actor(Some(caller.user_id)),
        Event::Logout,
        true,
        json!({"session_id": id, "from_session": caller.session_id}),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
