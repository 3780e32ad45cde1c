use super::{Auth, Client};
use crate::error::Result;
use crate::state::AppState;
use crate::store::audit::{self, Event};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// End the current session.
///
/// Its refresh token and every access token it issued stop working at once, in every
/// service (they check the session in Redis). The response also deletes the browser-mode
/// refresh cookie.
#[utoipa::path(
    post, path = "/auth/logout", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "No valid access token", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn logout(
    State(state): State<AppState>,
    Auth(caller): Auth,
    client: Client,
) -> Result<Response> {
    state
        .sessions
        .revoke(caller.session_id, Some(caller.user_id))
        .await?;
    audit::record(
        &state.platform.db,
        &client.actor(Some(caller.user_id)),
        Event::Logout,
        true,
        json!({"session_id": caller.session_id}),
    )
    .await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    super::cookie::clear(&mut response);
    Ok(response)
}
