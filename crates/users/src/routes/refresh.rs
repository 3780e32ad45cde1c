use super::Client;
use super::cookie::{self, Browser};
use super::dto::{RefreshRequest, TokenResponse};
use super::login::token_response;
use crate::auth::refresh;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::accounts;
use crate::store::audit::{self, Event};
use crate::store::sessions::Rotation;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tandem_platform::FieldError;
use tandem_platform::extract::Json;

/// Exchange a refresh token for a new token pair.
///
/// The presented token stops working. Presenting an already-rotated token again revokes
/// the whole session (reuse detection), except within `refresh_reuse_grace_secs` of the
/// rotation, when the same new pair is returned again: that is two tabs refreshing at once,
/// not an attacker.
///
/// Browser mode: send `X-Tandem-Browser: 1` and `{}`; the token is read from the
/// `tandem_refresh` cookie and the new one set in it, never in the body. The cookie alone,
/// without the header, is refused (a cross-site request cannot add the header).
#[utoipa::path(
    post, path = "/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    params(("X-Tandem-Browser" = Option<String>, Header, description = "`1` for browser mode: the refresh token travels in the `HttpOnly` cookie `tandem_refresh`")),
    responses(
        (status = 200, description = "A new pair (in browser mode without `refresh_token`, which is in `Set-Cookie`)", body = TokenResponse),
        (status = 403, description = "The refresh cookie was sent without `X-Tandem-Browser: 1` (`browser_header_required`)", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No `refresh_token` and no cookie", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Invalid, expired, revoked or reused (`invalid_refresh_token`)", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn refresh(
    State(state): State<AppState>,
    client: Client,
    browser: Browser,
    Json(body): Json<RefreshRequest>,
) -> Result<Response> {
    let old = match (body.refresh_token, &browser.cookie) {
        (Some(token), _) => token,
        (None, Some(cookie)) if browser.enabled => cookie.clone(),
        (None, Some(_)) => return Err(Error::BrowserHeaderRequired),
        (None, None) if browser.enabled => return Err(Error::InvalidRefreshToken),
        (None, None) => {
            return Err(tandem_platform::Problem::validation(vec![FieldError::new(
                "refresh_token",
                "is required (or, in browser mode, the `tandem_refresh` cookie)",
            )])
            .into());
        }
    };
    match rotate(&state, &client, old.trim()).await {
        Ok(tokens) => Ok(browser.respond(tokens)),
        Err(Error::InvalidRefreshToken) if browser.enabled => {
            // Tell the browser to drop the dead cookie rather than send it forever.
            let mut response = Error::InvalidRefreshToken.into_response();
            cookie::clear(&mut response);
            Ok(response)
        }
        Err(other) => Err(other),
    }
}

async fn rotate(state: &AppState, client: &Client, old: &str) -> Result<TokenResponse> {
    if old.is_empty() || old.len() > 256 {
        return Err(Error::InvalidRefreshToken);
    }
    let rotation = state
        .sessions
        .rotate(old, Some(client.ip.0), &client.user_agent)
        .await?;
    match rotation {
        Rotation::Rotated {
            session,
            refresh_token,
        } => {
            let Some(account) = accounts::by_id(&state.platform.db, session.user_id).await? else {
                state
                    .sessions
                    .revoke(session.id, Some(session.user_id))
                    .await?;
                return Err(Error::InvalidRefreshToken);
            };
            let response = token_response(state, &session, refresh_token, account)?;
            let sealed = serde_json::to_vec(&response)
                .ok()
                .and_then(|plain| refresh::seal_for_grace(old, &plain));
            if let Some(sealed) = sealed {
                state.sessions.keep_for_grace(old, &sealed).await?;
            }
            audit::record(
                &state.platform.db,
                &client.actor(Some(session.user_id)),
                Event::Refresh,
                true,
                json!({"session_id": session.id}),
            )
            .await?;
            Ok(response)
        }
        Rotation::Grace { session_id } => {
            let sealed = state.sessions.await_grace(old).await?;
            let response = sealed
                .and_then(|s| refresh::open_for_grace(old, &s))
                .and_then(|plain| serde_json::from_slice::<TokenResponse>(&plain).ok());
            // The session may have been revoked in the meantime.
            match (response, state.sessions.get(session_id).await?) {
                (Some(response), Some(_)) => Ok(response),
                _ => Err(Error::InvalidRefreshToken),
            }
        }
        Rotation::Reused {
            session_id,
            user_id,
        } => {
            audit::record(
                &state.platform.db,
                &client.actor(user_id),
                Event::TokenReuse,
                false,
                json!({"session_id": session_id, "action": "session revoked"}),
            )
            .await?;
            tracing::warn!(%session_id, "refresh token reuse: session revoked");
            Err(Error::InvalidRefreshToken)
        }
        Rotation::Invalid => Err(Error::InvalidRefreshToken),
    }
}
