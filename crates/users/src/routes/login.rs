use super::cookie::Browser;
use super::dto::{LoginRequest, TokenResponse};
use super::guard::Guard;
use super::{Client, Fields};
use crate::auth::device::Device;
use crate::domain::{Identifier, PasswordPolicy};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::accounts::{self, Account};
use crate::store::audit::{self, Event};
use crate::store::lockout::Client as LockClient;
use crate::store::sessions::Session;
use axum::extract::State;
use axum::response::Response;
use serde_json::json;
use sha2::Digest;
use tandem_platform::FieldError;
use tandem_platform::extract::Json;
use uuid::Uuid;

/// Log in with email or username and password.
///
/// Wrong password, unknown user and malformed identifier all take the same code path and
/// the same time (an unknown user is checked against a dummy hash), and get the same 401.
///
/// Brute force is stopped per client, never for the account as a whole (docs/security.md):
/// after `lockout_threshold` failures in `lockout_window_secs` *from one client* (the
/// device named by `device_token`, or else the IP address), that client gets
/// `429 account_locked` with `Retry-After`, for a time that doubles with each lock. Past
/// `lockout_account_threshold` failures for the account from clients without a device
/// token, each further such attempt waits (`429 login_delayed`). A successful login
/// returns a `device_token`; send it with later logins to be recognised.
///
/// With `X-Tandem-Browser: 1` (browser mode) the refresh token is set as the `HttpOnly;
/// Secure; SameSite=Strict; Path=/auth` cookie `tandem_refresh` and left out of the body.
#[utoipa::path(
    post, path = "/auth/login", tag = "auth",
    request_body = LoginRequest,
    params(("X-Tandem-Browser" = Option<String>, Header, description = "`1` for browser mode: the refresh token is set as the `HttpOnly` cookie `tandem_refresh` instead of returned")),
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Wrong credentials (`invalid_credentials`)", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Neither email nor username given", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 429, description = "This client is locked out (`account_locked`), attempts from unrecognised clients are delayed (`login_delayed`), or rate limited (`rate_limited`); see `Retry-After`", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn login(
    State(state): State<AppState>,
    client: Client,
    browser: Browser,
    Json(body): Json<LoginRequest>,
) -> Result<Response> {
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
    let device = account.as_ref().and_then(|a| {
        let token = body.device_token.as_deref()?;
        state.devices.check(token, a.id)
    });
    let guard = Guard {
        state: &state,
        subject: lockout_subject(
            account.as_ref(),
            identifier.as_ref().map_or(raw, |i| i.as_str()),
        ),
        client: device.map_or(LockClient::Address(client.ip.0), |d| {
            LockClient::Device(d.device_id)
        }),
        actor: client.actor(account.as_ref().map(|a| a.id)),
        account_exists: account.is_some(),
        via: Event::Login,
    };
    let db = &state.platform.db;

    if let Err(refused) = guard.admit().await {
        let reason = match refused {
            Error::Locked { .. } => "locked",
            Error::Delayed { .. } => "delayed",
            _ => return Err(refused),
        };
        audit::record(
            db,
            &guard.actor,
            Event::Login,
            false,
            json!({"reason": reason}),
        )
        .await?;
        return Err(refused);
    }

    let hash = account.as_ref().map(|a| a.password_hash.as_str());
    if !state.hasher.verify(&password, hash).await? {
        let reason = if account.is_some() {
            "wrong_password"
        } else {
            "unknown_user"
        };
        audit::record(
            db,
            &guard.actor,
            Event::Login,
            false,
            json!({"reason": reason}),
        )
        .await?;
        guard.failed().await?;
        return Err(Error::InvalidCredentials);
    }
    let account = account.expect("a password only verifies against a real account");
    guard.succeeded().await?;

    let (session, refresh_token) = state
        .sessions
        .create(account.id, Some(client.ip.0), &client.user_agent)
        .await?;
    audit::record(
        db,
        &guard.actor,
        Event::Login,
        true,
        json!({"session_id": session.id, "known_device": device.is_some()}),
    )
    .await?;
    tracing::Span::current().record("user_id", tracing::field::display(account.id));
    // The same device id again, with a fresh lifetime, or a new device.
    let device_token = state.devices.issue(Device {
        user_id: account.id,
        device_id: device.map_or_else(Uuid::new_v4, |d| d.device_id),
    });
    let mut response = token_response(&state, &session, refresh_token, account)?;
    response.device_token = Some(device_token);
    Ok(browser.respond(response))
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
        refresh_token: Some(refresh_token),
        refresh_token_expires_at: super::dto::timestamp(session.expires_at),
        user: account.into(),
        device_token: None,
    })
}
