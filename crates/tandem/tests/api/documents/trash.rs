use crate::helpers::{TestApp, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn a_deleted_document_goes_to_the_trash_and_can_come_back() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Oops", "keep me").await;
    let id = doc["id"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/documents/{id}"), Some(&ada.access))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );

    problem(
        app.get(&format!("/documents/{id}"), Some(&ada.access))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let list: Value = app
        .get("/documents", Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
    let trash: Value = app
        .get("/documents/trash", Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(trash["items"][0]["id"], id);
    assert!(trash["items"][0]["deleted_at"].is_string());

    let restored = app
        .post(
            &format!("/documents/{id}/restore"),
            &json!({}),
            Some(&ada.access),
        )
        .await;
    assert_eq!(restored.status(), StatusCode::OK);
    let doc: Value = app
        .get(&format!("/documents/{id}"), Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doc["content"], "keep me");
    let trash: Value = app
        .get("/documents/trash", Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    assert!(trash["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn restoring_something_not_in_the_trash_is_a_404() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Live", "").await;
    let id = doc["id"].as_str().unwrap();
    problem(
        app.post(
            &format!("/documents/{id}/restore"),
            &json!({}),
            Some(&ada.access),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn the_purge_job_deletes_documents_past_the_retention_with_their_history() {
    let app = TestApp::spawn_with(|c| {
        c.documents.trash_retention_days = 0;
        c.documents.purge_interval_secs = 1;
    })
    .await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Old", "").await;
    let id = doc["id"].as_str().unwrap();
    let keep = app.create_document(&ada.access, "Kept", "").await;
    app.delete(&format!("/documents/{id}"), Some(&ada.access))
        .await;
    let mut remaining = 1;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM documents.documents WHERE id = $1")
            .bind(id.parse::<uuid::Uuid>().unwrap())
            .fetch_one(&app.db)
            .await
            .unwrap();
        remaining = n;
        if n == 0 {
            break;
        }
    }
    assert_eq!(remaining, 0, "purged");
    let (versions,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM documents.versions WHERE document_id = $1")
            .bind(id.parse::<uuid::Uuid>().unwrap())
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(versions, 0);
    assert_eq!(
        app.get(
            &format!("/documents/{}", keep["id"].as_str().unwrap()),
            Some(&ada.access)
        )
        .await
        .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn deleting_twice_keeps_the_first_trash_time() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Once", "").await;
    let id = doc["id"].as_str().unwrap();
    app.delete(&format!("/documents/{id}"), Some(&ada.access))
        .await;
    let first: Value = app
        .get("/documents/trash", Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let again = app
        .delete(&format!("/documents/{id}"), Some(&ada.access))
        .await;
    assert!(matches!(
        again.status(),
        StatusCode::NO_CONTENT | StatusCode::NOT_FOUND
    ));
    let second: Value = app
        .get("/documents/trash", Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        first["items"][0]["deleted_at"],
        second["items"][0]["deleted_at"]
    );
}
