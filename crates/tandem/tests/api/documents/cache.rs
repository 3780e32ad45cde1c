//! The Redis cache must never serve what PostgreSQL no longer says.

use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::Value;

async fn metric(app: &TestApp, cache: &str, result: &str) -> u64 {
    app.counter(&format!(
        "tandem_document_cache_lookups_total{{cache=\"{cache}\",result=\"{result}\"}}"
    ))
    .await
}

#[tokio::test]
async fn reads_are_cached_and_counted() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Hot", "x").await;
    let id = doc["id"].as_str().unwrap();
    for _ in 0..3 {
        app.get(&format!("/documents/{id}"), Some(&ada.access))
            .await;
    }
    assert_eq!(metric(&app, "document", "miss").await, 1);
    assert_eq!(metric(&app, "document", "hit").await, 2);
    assert!(metric(&app, "permission", "hit").await >= 2);
}

#[tokio::test]
async fn there_is_no_stale_read_after_an_update() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Fresh", "v1").await;
    let id = doc["id"].as_str().unwrap();
    for version in 1..6 {
        // Read (fills the cache), write, read again: the second read sees the write.
        let before: Value = app
            .get(&format!("/documents/{id}"), Some(&ada.access))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(before["version"], version);
        let saved = app
            .update_document(&ada.access, id, version, &format!("v{}", version + 1))
            .await;
        assert_eq!(saved.status(), StatusCode::OK);
        let after: Value = app
            .get(&format!("/documents/{id}"), Some(&ada.access))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(after["content"], format!("v{}", version + 1));
    }
}

#[tokio::test]
async fn reads_racing_writes_never_leave_an_old_version_in_the_cache() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Raced", "0").await;
    let id = doc["id"].as_str().unwrap().to_owned();
    for version in 1..=10 {
        let path = format!("/documents/{id}");
        let content = version.to_string();
        let reads = (0..5).map(|_| app.get(&path, Some(&ada.access)));
        let write = app.update_document(&ada.access, &id, version, &content);
        let (_, written) = tokio::join!(futures::future::join_all(reads), write);
        assert_eq!(written.status(), StatusCode::OK);
        let now: Value = app
            .get(&format!("/documents/{id}"), Some(&ada.access))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(now["version"], version + 1, "after write {version}");
    }
}

#[tokio::test]
async fn a_trashed_document_is_not_served_from_the_cache() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Cached", "").await;
    let id = doc["id"].as_str().unwrap();
    app.get(&format!("/documents/{id}"), Some(&ada.access))
        .await;
    app.delete(&format!("/documents/{id}"), Some(&ada.access))
        .await;
    assert_eq!(
        app.get(&format!("/documents/{id}"), Some(&ada.access))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}
