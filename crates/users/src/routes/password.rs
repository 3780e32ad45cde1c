use super::dto::PasswordRequest;
use super::profile::{confirm_password, load};
use super::{Auth, Client};
use crate::domain::PasswordPolicy;
use crate::error::Result;
use crate::state::AppState;
use crate::store::accounts;
use crate::store::audit::{self, Event};
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;
use tandem_platform::Problem;
use tandem_platform::extract::Json;

/// Change the password. Every other session ends; this one stays signed in.
#[utoipa::path(
    put, path = "/auth/password", tag = "auth",
    security(("bearer" = [])),
    request_body = PasswordRequest,
    responses(
        (status = 204, description = "Changed"),
        (status = 401, description = "No valid access token", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`current_password` is wrong", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The new password fails the policy", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn change(
    State(state): State<AppState>,
    Auth(caller): Auth,
    client: Client,
    Json(body): Json<PasswordRequest>,
) -> Result<StatusCode> {
    let account = load(&state, caller.user_id).await?;
    let new = PasswordPolicy::check(&body.new_password, &account.email, &account.username)
        .map_err(|m| Problem::invalid_field("new_password", m))?;
    confirm_password(
        &state,
        &client,
        caller.session_id,
        &account,
        &body.current_password,
        Event::PasswordChange,
    )
    .await?;
    let hash = state.hasher.hash(&new).await?;
    let mut tx = state.platform.db.begin().await?;
    accounts::set_password(&mut *tx, account.id, &hash).await?;
    let ended = state
        .sessions
        .revoke_all_except(account.id, Some(caller.session_id))
        .await?;
    audit::record(
        &mut *tx,
        &client.actor(Some(account.id)),
        Event::PasswordChange,
        true,
        json!({"other_sessions_ended": ended}),
    )
    .await?;
    tx.commit().await?;
    // `updated_at` changed.
    state.profiles.invalidate(account.id).await?;
    // Again after commit: a login with the old password between the first revocation and
    // the commit must not survive the change.
    state
        .sessions
        .revoke_all_except(account.id, Some(caller.session_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
