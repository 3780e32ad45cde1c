//! HTTP routes: the WebSocket, the REST views of a session, and the internal endpoints
//! the Document Service calls.

mod history;
mod internal;
mod ops;
mod participants;
mod socket;
mod undo;

use crate::hub::Hub;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use std::sync::Arc;
use tandem_platform::auth::{HasVerifier, Verifier};
use tandem_platform::internal::{HasServiceToken, ServiceToken};
use utoipa::OpenApi;

/// Handler state. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub hub: Arc<Hub>,
    pub token: ServiceToken,
}

impl HasVerifier for AppState {
    fn verifier(&self) -> &Verifier {
        &self.hub.verifier
    }
}

impl HasServiceToken for AppState {
    fn service_token(&self) -> &ServiceToken {
        &self.token
    }
}

pub(crate) fn router(state: AppState) -> Router {
    // A merged REST edit carries a whole document as JSON, where a control character takes
    // six bytes (`\u001f`): allow that much rather than the server's default body limit, so
    // a large PUT during a session is merged, not refused here.
    let edit_body = DefaultBodyLimit::max(state.hub.config.max_document_bytes * 6 + 64 * 1024);
    Router::new()
        .route("/collab/{id}", get(socket::upgrade))
        .route("/collab/{id}/participants", get(participants::list))
        .route("/collab/{id}/ops", get(ops::list))
        .route("/collab/{id}/history", get(history::history))
        .route("/collab/{id}/authorship", get(history::authorship))
        .route("/collab/{id}/undo", post(undo::undo))
        .route("/collab/{id}/redo", post(undo::redo))
        .route(
            "/internal/collab/documents/{id}/edits",
            post(internal::edit).layer(edit_body),
        )
        .route(
            "/internal/collab/documents/{id}/participants",
            get(internal::participants),
        )
        .with_state(state)
}

/// The caller's role on `doc`, or 404 (the same for a missing document and no access).
pub(crate) async fn require_reader(
    state: &AppState,
    doc: uuid::Uuid,
    user: uuid::Uuid,
) -> crate::error::Result<()> {
    match state.hub.documents.access(doc, user).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(crate::error::Error::NotFound),
        Err(error) => Err(crate::error::Error::Documents(error)),
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(socket::upgrade, participants::list, ops::list, history::history, history::authorship, undo::undo, undo::redo, internal::edit, internal::participants),
    tags((name = "collab", description = "Real-time editing: the WebSocket (docs/collab-protocol.md) and views of a live session")),
)]
struct Api;

/// The Collaboration Service's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    Api::openapi()
}
