use super::AppState;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tandem_platform::Problem;
use tandem_platform::extract::Path;
use uuid::Uuid;

/// Open the document's real-time session (WebSocket upgrade).
///
/// After the upgrade the client sends `auth` first (or sends `Authorization: Bearer` on
/// this request); every message is in docs/collab-protocol.md. Refusals after the upgrade
/// are WebSocket close codes (4401, 4404…), so that no one learns whether a document
/// exists before authenticating.
#[utoipa::path(
    get, path = "/collab/{id}", tag = "collab",
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket upgrade, or a malformed id", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 405, description = "Not a GET", body = tandem_platform::Problem, content_type = "application/problem+json"),
        (status = 503, description = "This instance is shutting down (`draining`)", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn upgrade(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if state.hub.draining() {
        return Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "draining",
            "Service unavailable",
        )
        .detail("This instance is shutting down; connect again.")
        .into_response();
    }
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned());
    let config = &state.hub.config;
    let hub = state.hub.clone();
    // Small buffers: an idle connection should cost a few kilobytes, not the 128 KiB
    // defaults. Reads are at most 256 bytes at a time (a typed change is ~120 bytes; a
    // larger message takes several reads, into a buffer reserved for its whole length),
    // and frames are written out once 4 KiB are waiting or at the flush that ends each
    // batch.
    upgrade
        .max_message_size(config.max_message_bytes)
        .max_frame_size(config.max_message_bytes)
        .read_buffer_size(256)
        .write_buffer_size(4096)
        .on_upgrade(move |socket| crate::session::serve(hub, id, socket, bearer))
}
