use super::dto::{ProfileRequest, UserResponse};
use super::guard::Guard;
use super::{Auth, Client, Fields};
use crate::domain::{AvatarUrl, Bio, DisplayName, Email, PasswordPolicy, Username};
use crate::error::Result;
use crate::state::AppState;
use crate::store::accounts::{self, Account, ProfileChanges};
use crate::store::audit::{self, Event};
use crate::store::lockout::Client as LockClient;
use axum::extract::State;
use serde_json::json;
use tandem_platform::extract::Json;
use tandem_platform::{FieldError, Problem};
use uuid::Uuid;

/// Checks the current password before a sensitive change. Failures count toward a lockout
/// of this session (not of the account: the owner's other devices are unaffected), so
/// these endpoints cannot be used to guess the password of a stolen session's account.
pub(crate) async fn confirm_password(
    state: &AppState,
    client: &Client,
    session_id: Uuid,
    account: &Account,
    raw: &str,
    event: Event,
) -> Result<()> {
    let guard = Guard {
        state,
        subject: account.id.to_string(),
        client: LockClient::Session(session_id),
        actor: client.actor(Some(account.id)),
        account_exists: true,
        via: event,
    };
    guard.admit().await?;
    let candidate = PasswordPolicy::candidate(raw)
        .map_err(|m| Problem::invalid_field("current_password", m))?;
    if state
        .hasher
        .verify(&candidate, Some(&account.password_hash))
        .await?
    {
        return guard.succeeded().await;
    }
    audit::record(
        &state.platform.db,
        &guard.actor,
        event,
        false,
        json!({"reason": "wrong_password"}),
    )
    .await?;
    guard.failed().await?;
    Err(Problem::forbidden("The current password is wrong.")
        .with_code("wrong_password")
        .errors(vec![FieldError::new("current_password", "is wrong")])
        .into())
}

pub(crate) async fn load(state: &AppState, id: Uuid) -> Result<Account> {
    accounts::by_id(&state.platform.db, id)
        .await?
        .ok_or_else(|| Problem::unauthorized("The account no longer exists.").into())
}

/// The signed-in user's profile.
#[utoipa::path(
    get, path = "/auth/me", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The profile", body = UserResponse),
        (status = 401, description = "No valid access token", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn me(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<Json<UserResponse>> {
    let profile = state
        .profiles
        .get(&state.platform.db, caller.user_id, UserResponse::from)
        .await?
        .ok_or_else(|| Problem::unauthorized("The account no longer exists."))?;
    Ok(Json(profile))
}

/// Change display name, username, bio, avatar URL or email.
///
/// Changing the email requires `current_password`.
#[utoipa::path(
    put, path = "/auth/profile", tag = "auth",
    security(("bearer" = [])),
    request_body = ProfileRequest,
    responses(
        (status = 200, description = "The updated profile", body = UserResponse),
        (status = 401, description = "No valid access token", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`current_password` is wrong", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Email or username taken", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn update(
    State(state): State<AppState>,
    Auth(caller): Auth,
    client: Client,
    Json(body): Json<ProfileRequest>,
) -> Result<Json<UserResponse>> {
    let mut fields = Fields::default();
    let mut changes = ProfileChanges {
        display_name: body
            .display_name
            .as_deref()
            .and_then(|v| fields.check("display_name", DisplayName::parse(v))),
        username: body
            .username
            .as_deref()
            .and_then(|v| fields.check("username", Username::parse(v))),
        bio: body
            .bio
            .as_deref()
            .and_then(|v| fields.check("bio", Bio::parse(v))),
        email: body
            .email
            .as_deref()
            .and_then(|v| fields.check("email", Email::parse(v))),
        avatar_url: None,
    };
    if let Some(raw) = body.avatar_url.as_deref() {
        if raw.trim().is_empty() {
            changes.avatar_url = Some(None);
        } else if let Some(url) = fields.check("avatar_url", AvatarUrl::parse(raw)) {
            changes.avatar_url = Some(Some(url));
        }
    }
    fields.finish()?;

    let account = load(&state, caller.user_id).await?;
    if changes
        .email
        .as_ref()
        .is_some_and(|e| e.as_str() != account.email)
    {
        let Some(current) = body.current_password.as_deref() else {
            return Err(Problem::validation(vec![FieldError::new(
                "current_password",
                "is required to change the email",
            )])
            .into());
        };
        confirm_password(
            &state,
            &client,
            caller.session_id,
            &account,
            current,
            Event::ProfileChange,
        )
        .await?;
    }

    let changed: Vec<&str> = [
        ("display_name", changes.display_name.is_some()),
        ("username", changes.username.is_some()),
        ("bio", changes.bio.is_some()),
        ("email", changes.email.is_some()),
        ("avatar_url", changes.avatar_url.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, set)| set.then_some(name))
    .collect();
    let mut tx = state.platform.db.begin().await?;
    let updated = accounts::update_profile(&mut *tx, caller.user_id, &changes).await?;
    audit::record(
        &mut *tx,
        &client.actor(Some(caller.user_id)),
        Event::ProfileChange,
        true,
        json!({"fields": changed}),
    )
    .await?;
    tx.commit().await?;
    state.profiles.invalidate(caller.user_id).await?;
    Ok(Json(updated.into()))
}
