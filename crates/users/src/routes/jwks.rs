use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

/// The public keys that verify access tokens (JWKS).
///
/// Public by design: services and API clients fetch it to verify tokens locally.
#[utoipa::path(
    get, path = "/.well-known/jwks.json", tag = "auth",
    responses((status = 200, description = "A JWK set of Ed25519 (OKP) keys", content_type = "application/json"))
)]
pub(crate) async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    let set = jsonwebtoken::jwk::JwkSet {
        keys: state.signer.public_keys().iter().map(|k| k.jwk()).collect(),
    };
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        axum::Json(set),
    )
}
