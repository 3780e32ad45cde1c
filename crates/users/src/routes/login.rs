use super::dto::{LoginRequest, TokenResponse};
use super::{Client, Fields};
use crate::domain::{Identifier, PasswordPolicy};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::accounts::{self, Account};
use crate::store::audit::{self, Event};
use crate::store::lockout::AfterFailure;
use crate::store::sessions::Session;
use axum::extract::State;
use serde_json::json;
use sha2::Digest;
use tandem_platform::FieldError;
use tandem_platform::extract::Json;

/// Log in with email or username and password.
///
/// Wrong password, unknown user and malformed identifier all take the same code path and
/// the same time (an unknown user is checked against a dummy hash), and get the same 401.
/// After `lockout_threshold` failures in `lockout_window_secs` the account is locked:
/// every login then gets `429 account_locked` with `Retry-After` until the lock lifts.
#[utoipa::path(
    post, path = "/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Wrong credentials (`invalid_credentials`)", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Neither email nor username given", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Locked (`account_locked`) or rate limited (`rate_limited`); see `Retry-After`", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn login(
    State(state): State<AppState>,
    client: Client,
    Json(body): Json<LoginRequest>,
) -> Result<Json<TokenResponse>> {
    let raw = match (&body.email, &body.username) {
        (Some(email), _) => email.as_str(),
        (None, Some(username)) => username.as_str(),
        (None, None) => {
            return Err(tandem_platform::Problem::validation(vec![FieldError::new(
                "email",
                "give `email` or `username`",
            )])
            .into());
        }
    };
    let mut fields = Fields::default();
    let password = fields.check("password", PasswordPolicy::candidate(&body.password));
    fields.finish()?;
    let password = password.expect("checked by finish()");

    // A malformed identifier cannot match an account; it follows the unknown-user path.
    let identifier = Identifier::parse(raw).ok();
    let account = match &identifier {
        Some(Identifier::Email(email)) => accounts::by_email(&state.platform.db, email).await?,
        Some(Identifier::Username(name)) => accounts::by_username(&state.platform.db, name).await?,
        None => None,
    };
    let subject = lockout_subject(
        account.as_ref(),
        identifier.as_ref().map_or(raw, |i| i.as_str()),
    );
    let actor = client.actor(account.as_ref().map(|a| a.id));

    if let Some(retry_after_secs) = state.lockout.locked_for(&subject).await? {
        audit::record(
            &state.platform.db,
            &actor,
            Event::Login,
            false,
            json!({"reason": "locked"}),
        )
        .await?;
        return Err(Error::Locked { retry_after_secs });
    }

    let hash = account.as_ref().map(|a| a.password_hash.as_str());
    if !state.hasher.verify(&password, hash).await? {
        let reason = if account.is_some() {
            "wrong_password"
        } else {
            "unknown_user"
        };
        audit::record(
            &state.platform.db,
            &actor,
            Event::Login,
            false,
            json!({"reason": reason}),
        )
        .await?;
        if state.lockout.fail(&subject).await? == AfterFailure::Locked && account.is_some() {
            audit::record(
                &state.platform.db,
                &actor,
                Event::Lockout,
                true,
                json!({"duration_secs": state.config.lockout_duration_secs}),
            )
            .await?;
        }
        return Err(Error::InvalidCredentials);
    }
    let account = account.expect("a password only verifies against a real account");

    if state.lockout.succeed(&subject).await? {
        audit::record(&state.platform.db, &actor, Event::Unlock, true, json!({})).await?;
    }
    let (session, refresh_token) = state
        .sessions
        .create(account.id, Some(client.ip.0), &client.user_agent)
        .await?;
    audit::record(
        &state.platform.db,
        &actor,
        Event::Login,
        true,
        json!({"session_id": session.id}),
    )
    .await?;
    tracing::Span::current().record("user_id", tracing::field::display(account.id));
    Ok(Json(token_response(
        &state,
        &session,
        refresh_token,
        account,
    )?))
}

fn lockout_subject(account: Option<&Account>, identifier: &str) -> String {
    match account {
        Some(account) => account.id.to_string(),
        None => {
            let digest = sha2::Sha256::digest(identifier.to_lowercase().as_bytes());
            let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
            format!("unknown:{hex}")
        }
    }
}

/// Signs an access token for `session` and assembles the token response.
pub(crate) fn token_response(
    state: &AppState,
    session: &Session,
    refresh_token: String,
    account: Account,
) -> Result<TokenResponse> {
    let access = state.signer.issue(account.id, session.id)?;
    Ok(TokenResponse {
        access_token: access.token,
        token_type: "Bearer".into(),
        expires_in: state.signer.ttl_secs(),
        access_token_expires_at: super::dto::timestamp(access.claims.exp),
        refresh_token,
        refresh_token_expires_at: super::dto::timestamp(session.expires_at),
        user: account.into(),
    })
}
