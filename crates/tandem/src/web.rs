//! Serving the browser editor (web/, built into `web.dir`) at `/` in one-process mode.
//!
//! The app routes with the URL's fragment (`/#/d/{id}`), so the server serves only
//! `index.html` at `/` and the files under `assets/`. Vite names those after their content
//! hash, so they may be cached for ever; `index.html` is revalidated on every load so a new
//! release is picked up at once.

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use tandem_platform::Problem;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// `[web]`: where the built web app is.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct WebConfig {
    /// The directory `npm run build` wrote (holding `index.html` and `assets/`). Relative
    /// paths are taken from the working directory.
    pub dir: PathBuf,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("web/dist"),
        }
    }
}

/// The routes: `/` and `/assets/…`.
pub fn router(config: &WebConfig) -> Router {
    let index = config.dir.join("index.html");
    if index.is_file() {
        tracing::info!(dir = %config.dir.display(), "serving the web app at /");
    } else {
        tracing::warn!(
            dir = %config.dir.display(),
            "the web app is not built, so / answers 404; build it with `npm ci && npm run build` in web/ (./scripts/run.sh does)"
        );
    }
    let assets = ServeDir::new(config.dir.join("assets"));
    Router::new()
        .route("/", get(move || serve_index(index.clone())))
        .nest_service("/assets", assets)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ))
        .layer(CompressionLayer::new())
}

async fn serve_index(path: PathBuf) -> Response {
    match read(&path).await {
        Some(html) => (
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))],
            Html(html),
        )
            .into_response(),
        None => Problem::new(StatusCode::NOT_FOUND, "web_app_not_built", "Not found")
            .detail(
                "This tandem has no web app to serve: build it with `npm ci && npm run build` \
                 in web/ (./scripts/run.sh does), or set `web.dir`. The API is at /docs.",
            )
            .into_response(),
    }
}

async fn read(path: &Path) -> Option<String> {
    tokio::fs::read_to_string(path).await.ok()
}
