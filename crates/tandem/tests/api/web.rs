//! The web app is served at `/` in one-process mode, from `web.dir`.

use crate::helpers::{TestApp, problem};
use reqwest::StatusCode;

fn built_app() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tandem-web-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>tandem</title>",
    )
    .unwrap();
    std::fs::write(
        dir.join("assets/index-3f2a.js"),
        "console.log('tandem');".repeat(100),
    )
    .unwrap();
    dir
}

#[tokio::test]
async fn the_app_is_served_at_the_root_and_its_hashed_assets_are_cached_for_good() {
    let dir = built_app();
    let web = dir.clone();
    let app = TestApp::spawn_with(move |c| c.web.dir = web).await;

    let index = app.get("/", None).await;
    assert_eq!(index.status(), StatusCode::OK);
    assert_eq!(index.headers()["cache-control"], "no-cache");
    assert!(
        index.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        index.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    assert!(
        index
            .text()
            .await
            .unwrap()
            .contains("<title>tandem</title>")
    );

    let asset = app
        .client
        .get(app.url("/assets/index-3f2a.js"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), StatusCode::OK);
    assert_eq!(
        asset.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(asset.headers()["content-encoding"], "gzip");

    // Nothing outside assets/ is reachable through it.
    let escape = app.get("/assets/../index.html", None).await;
    assert_ne!(escape.status(), StatusCode::OK);
    problem(
        app.get("/assets/missing.js", None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // The API is untouched.
    problem(app.get("/auth/me", None).await, StatusCode::UNAUTHORIZED).await;
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn without_a_built_app_the_root_says_how_to_build_it() {
    let app = TestApp::spawn_with(|c| c.web.dir = "/nonexistent/tandem-web".into()).await;
    let p = problem(app.get("/", None).await, StatusCode::NOT_FOUND).await;
    assert_eq!(p["code"], "web_app_not_built");
    assert!(p["detail"].as_str().unwrap().contains("npm run build"));
}
