//! HTTP routes: one file per group of actions, all listed here.

mod analytics;
mod attachments;
mod collaborators;
mod create;
mod dto;
mod export;
mod get;
mod import;
mod internal;
mod list;
mod search;
mod share;
mod templates;
mod trash;
mod update;
mod upload;
mod versions;

use crate::state::AppState;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::routing::{get, post};
use tandem_platform::Problem;
use tandem_platform::auth::{Caller, bearer_token};
use utoipa::OpenApi;

pub(crate) fn router(state: AppState) -> Router {
    // Content may be up to max_content_bytes, and JSON escaping can double it.
    let big_body = DefaultBodyLimit::max(state.config.max_content_bytes * 2 + 64 * 1024);
    // Multipart framing adds a little to the file itself.
    let upload_body = DefaultBodyLimit::max(state.config.max_upload_bytes + 64 * 1024);
    Router::new()
        .route(
            "/documents",
            post(create::create).layer(big_body).get(list::list),
        )
        .route("/documents/trash", get(trash::list))
        .route("/documents/templates", get(templates::list))
        .route(
            "/documents/{id}/template",
            post(templates::mark).delete(templates::unmark),
        )
        .route("/documents/{id}/clone", post(create::clone))
        .route("/documents/{id}/export", get(export::export))
        .route("/documents/search", get(search::search))
        .route(
            "/documents/{id}",
            get(get::get)
                .put(update::update)
                .layer(big_body)
                .delete(trash::delete),
        )
        .route("/documents/{id}/restore", post(trash::restore))
        .route("/documents/{id}/share", post(share::share))
        .route(
            "/documents/{id}/share/{user_id}",
            axum::routing::delete(share::revoke),
        )
        .route("/documents/{id}/collaborators", get(collaborators::list))
        .route("/documents/{id}/versions", get(versions::list))
        .route("/documents/{id}/versions/{n}", get(versions::get))
        .route(
            "/documents/{id}/versions/{n}/restore",
            post(versions::restore),
        )
        .route("/documents/{id}/diff", get(versions::diff))
        .route("/documents/{id}/analytics", get(analytics::analytics))
        .route(
            "/documents/{id}/attachments",
            post(attachments::upload)
                .layer(upload_body)
                .get(attachments::list),
        )
        .route(
            "/documents/{id}/attachments/{attachment_id}",
            get(attachments::download).delete(attachments::delete),
        )
        .route("/documents/import", post(import::import).layer(upload_body))
        .route("/internal/documents/{id}", get(internal::load))
        .route(
            "/internal/documents/{id}/access/{user_id}",
            get(internal::access),
        )
        .route(
            "/internal/documents/{id}/saves",
            post(internal::save_session).layer(big_body),
        )
        .with_state(state)
}

#[derive(OpenApi)]
#[openapi(
    paths(
        create::create,
        create::clone,
        list::list,
        get::get,
        update::update,
        trash::delete,
        trash::list,
        trash::restore,
        share::share,
        share::revoke,
        collaborators::list,
        search::search,
        versions::list,
        versions::get,
        versions::restore,
        versions::diff,
        templates::mark,
        templates::unmark,
        templates::list,
        export::export,
        analytics::analytics,
        attachments::upload,
        attachments::list,
        attachments::download,
        internal::access,
        internal::load,
        internal::save_session,
        attachments::delete,
        import::import,
    ),
    tags((name = "documents", description = "Documents, versions, sharing and search"),
         (name = "internal", description = "For other services of the deployment: the service token (`services.internal_token`) instead of a user's token. Block `/internal/` at your proxy.")),
)]
struct Api;

/// The Document Service's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    Api::openapi()
}

/// An authenticated caller and their bearer token (forwarded to the User Service, so
/// lookups happen with the caller's own authority).
#[derive(Debug, Clone)]
pub(crate) struct Auth {
    pub caller: Caller,
    pub token: String,
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = axum::response::Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        let caller = Caller::from_request_parts(parts, state)
            .await
            .map_err(Problem::into_response)?;
        let per_minute = state.config.user_per_minute;
        tandem_platform::ratelimit::per_user(
            &state.limiter,
            "documents_user",
            per_minute,
            caller.user_id,
        )
        .await?;
        let token = bearer_token(parts).unwrap_or_default().to_owned();
        Ok(Self { caller, token })
    }
}

impl Auth {
    pub fn user(&self) -> uuid::Uuid {
        self.caller.user_id
    }
}
