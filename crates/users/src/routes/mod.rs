//! HTTP routes: one file per action, all listed here.

mod cookie;
mod dto;
mod guard;
mod jwks;
mod login;
mod logout;
mod lookup;
mod password;
mod password_check;
mod profile;
mod refresh;
mod register;
mod sessions;

use crate::state::AppState;
use crate::store::audit::Actor;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::middleware::from_fn_with_state;
use axum::routing::{delete, get, post, put};
use tandem_platform::auth::Caller;
use tandem_platform::http::ClientIp;
use tandem_platform::ratelimit::by_client_ip;
use tandem_platform::{FieldError, Problem};
use utoipa::OpenApi;

pub(crate) fn router(state: AppState) -> Router {
    let per_ip = |name, per_minute| {
        from_fn_with_state(
            (state.limiter.clone(), state.limit(name, per_minute)),
            by_client_ip,
        )
    };
    let limits = &state.config.rate_limit;
    Router::new()
        .route(
            "/auth/register",
            post(register::register).layer(per_ip("register", limits.register_per_minute)),
        )
        .route(
            "/auth/login",
            post(login::login).layer(per_ip("login", limits.login_per_minute)),
        )
        .route(
            "/auth/refresh",
            post(refresh::refresh).layer(per_ip("refresh", limits.refresh_per_minute)),
        )
        .route(
            "/auth/password-check",
            post(password_check::check)
                .layer(per_ip("password_check", limits.password_check_per_minute)),
        )
        .route("/auth/logout", post(logout::logout))
        .route("/auth/me", get(profile::me))
        .route("/auth/profile", put(profile::update))
        .route("/auth/password", put(password::change))
        .route("/auth/sessions", get(sessions::list))
        .route("/auth/sessions/{id}", delete(sessions::end))
        .route("/.well-known/jwks.json", get(jwks::jwks))
        .route("/users", get(lookup::by_email))
        .route("/users/{id}", get(lookup::by_id))
        .with_state(state)
}

#[derive(OpenApi)]
#[openapi(
    paths(
        register::register,
        login::login,
        refresh::refresh,
        logout::logout,
        profile::me,
        profile::update,
        password::change,
        password_check::check,
        sessions::list,
        sessions::end,
        jwks::jwks,
        lookup::by_email,
        lookup::by_id,
    ),
    tags((name = "auth", description = "Accounts, login and sessions"),
         (name = "users", description = "Looking up other users")),
)]
struct Api;

/// The User Service's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    Api::openapi()
}

/// An authenticated caller who is within the per-user rate limit.
#[derive(Debug, Clone)]
pub(crate) struct Auth(pub Caller);

impl FromRequestParts<AppState> for Auth {
    type Rejection = axum::response::Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        let caller = Caller::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let per_minute = state.config.rate_limit.user_per_minute;
        tandem_platform::ratelimit::per_user(&state.limiter, "user", per_minute, caller.user_id)
            .await?;
        Ok(Auth(caller))
    }
}

/// Who is calling, for audit events and session records.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    pub ip: ClientIp,
    pub user_agent: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ip = ClientIp::from_request_parts(parts, state).await?;
        let user_agent = parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .chars()
            .take(512)
            .collect();
        Ok(Self { ip, user_agent })
    }
}

impl Client {
    pub fn actor(&self, user_id: Option<uuid::Uuid>) -> Actor {
        Actor {
            user_id,
            ip: Some(self.ip.0),
            user_agent: Some(self.user_agent.clone()),
        }
    }
}

/// Collects field errors so a request with several bad fields hears about all of them.
#[derive(Debug, Default)]
pub(crate) struct Fields(Vec<FieldError>);

impl Fields {
    /// Parses one field, remembering the error if it fails.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.0.push(FieldError::new(field, message));
                None
            }
        }
    }

    /// A 422 naming every bad field, if there were any.
    pub fn finish(self) -> Result<(), Problem> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Problem::validation(self.0))
        }
    }
}
