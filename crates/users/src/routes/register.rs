use super::dto::{RegisterRequest, UserResponse};
use super::{Client, Fields};
use crate::domain::{DisplayName, Email, PasswordPolicy, Username};
use crate::error::Result;
use crate::state::AppState;
use crate::store::accounts::{self, NewAccount};
use crate::store::audit::{self, Event};
use axum::extract::State;
use axum::http::StatusCode;
use tandem_platform::extract::Json;

/// Create an account.
#[utoipa::path(
    post, path = "/auth/register", tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Created", body = UserResponse),
        (status = 409, description = "Email or username taken", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid; `errors` names each", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many registrations from this address", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn register(
    State(state): State<AppState>,
    client: Client,
    Json(body): Json<RegisterRequest>,
) -> Result<(StatusCode, Json<UserResponse>)> {
    let mut fields = Fields::default();
    let email = fields.check("email", Email::parse(&body.email));
    let username = fields.check("username", Username::parse(&body.username));
    let display_name = fields.check("display_name", DisplayName::parse(&body.display_name));
    let password = fields.check(
        "password",
        PasswordPolicy::check(
            &body.password,
            email.as_ref().map_or(body.email.as_str(), Email::as_str),
            username
                .as_ref()
                .map_or(body.username.as_str(), Username::as_str),
        ),
    );
    fields.finish()?;
    let (Some(email), Some(username), Some(display_name), Some(password)) =
        (email, username, display_name, password)
    else {
        unreachable!("finish() returned Ok, so every field parsed");
    };

    let password_hash = state.hasher.hash(&password).await?;
    let mut tx = state.platform.db.begin().await?;
    let account = accounts::insert(
        &mut *tx,
        &NewAccount {
            email,
            username,
            display_name,
            password_hash,
        },
    )
    .await?;
    audit::record(
        &mut *tx,
        &client.actor(Some(account.id)),
        Event::Register,
        true,
        serde_json::json!({ "username": account.username }),
    )
    .await?;
    tx.commit().await?;
    tracing::Span::current().record("user_id", tracing::field::display(account.id));
    Ok((StatusCode::CREATED, Json(account.into())))
}
