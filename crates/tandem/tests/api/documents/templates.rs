use crate::helpers::{TestApp, fields, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn an_admin_marks_a_template_and_readers_create_documents_from_it() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let grace = app.signed_up("grace").await;
    let doc = app
        .create_document(&ada.access, "Weekly report", "# Week\n\n## Done\n")
        .await;
    let id = doc["id"].as_str().unwrap();
    app.share(&ada.access, id, "grace", "read").await;

    // A reader may not mark it; the owner may.
    problem(
        app.post(
            &format!("/documents/{id}/template"),
            &json!({}),
            Some(&grace.access),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let marked: Value = app
        .post(
            &format!("/documents/{id}/template"),
            &json!({}),
            Some(&ada.access),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(marked["is_template"], true);

    let templates: Value = app
        .get("/documents/templates", Some(&grace.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(templates["items"][0]["id"], id);

    let created = app
        .post(
            "/documents",
            &json!({"template_id": id}),
            Some(&grace.access),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["content"], "# Week\n\n## Done\n");
    assert_eq!(created["title"], "Weekly report");
    assert_eq!(created["owner_id"], grace.user_id);
    assert_eq!(created["version"], 1);
    assert_eq!(created["is_template"], false);

    let titled: Value = app
        .post(
            "/documents",
            &json!({"template_id": id, "title": "Week 48"}),
            Some(&grace.access),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(titled["title"], "Week 48");

    // Unmarked, it is no longer offered or usable as a template.
    app.delete(&format!("/documents/{id}/template"), Some(&ada.access))
        .await;
    let templates: Value = app
        .get("/documents/templates", Some(&grace.access))
        .await
        .json()
        .await
        .unwrap();
    assert!(templates["items"].as_array().unwrap().is_empty());
    let refused = app
        .post(
            "/documents",
            &json!({"template_id": id}),
            Some(&grace.access),
        )
        .await;
    assert_eq!(
        fields(&problem(refused, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["template_id"]
    );
}

#[tokio::test]
async fn a_template_you_cannot_read_looks_like_no_template() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let mallory = app.signed_up("mallory").await;
    let doc = app
        .create_document(&ada.access, "Private template", "secret")
        .await;
    let id = doc["id"].as_str().unwrap();
    app.post(
        &format!("/documents/{id}/template"),
        &json!({}),
        Some(&ada.access),
    )
    .await;
    let hidden = app
        .post(
            "/documents",
            &json!({"template_id": id}),
            Some(&mallory.access),
        )
        .await;
    let missing = app
        .post(
            "/documents",
            &json!({"template_id": uuid::Uuid::now_v7()}),
            Some(&mallory.access),
        )
        .await;
    let mut a = problem(hidden, StatusCode::UNPROCESSABLE_ENTITY).await;
    let mut b = problem(missing, StatusCode::UNPROCESSABLE_ENTITY).await;
    a.as_object_mut().unwrap().remove("request_id");
    b.as_object_mut().unwrap().remove("request_id");
    assert_eq!(a, b);
    let list: Value = app
        .get("/documents/templates", Some(&mallory.access))
        .await
        .json()
        .await
        .unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_clone_is_the_callers_with_fresh_history_and_no_shares() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let grace = app.signed_up("grace").await;
    let doc = app.create_document(&ada.access, "Original", "v1").await;
    let id = doc["id"].as_str().unwrap();
    app.update_document(&ada.access, id, 1, "v2").await;
    app.share(&ada.access, id, "grace", "read").await;

    let response = app
        .post(
            &format!("/documents/{id}/clone"),
            &json!({}),
            Some(&grace.access),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let copy: Value = response.json().await.unwrap();
    assert_eq!(copy["title"], "Copy of Original");
    assert_eq!(copy["content"], "v2");
    assert_eq!(copy["owner_id"], grace.user_id);
    assert_eq!(copy["version"], 1);
    let copy_id = copy["id"].as_str().unwrap();
    let versions: Value = app
        .get(
            &format!("/documents/{copy_id}/versions"),
            Some(&grace.access),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(versions["items"].as_array().unwrap().len(), 1);
    let collaborators: Value = app
        .get(
            &format!("/documents/{copy_id}/collaborators"),
            Some(&grace.access),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        collaborators["items"].as_array().unwrap().len(),
        1,
        "only the new owner"
    );
    // Ada, who owns the original, cannot see the copy.
    problem(
        app.get(&format!("/documents/{copy_id}"), Some(&ada.access))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // With a title, and without any body at all.
    let named: Value = app
        .post(
            &format!("/documents/{id}/clone"),
            &json!({"title": "Mine now"}),
            Some(&grace.access),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(named["title"], "Mine now");
    let bare = app
        .client
        .post(app.url(&format!("/documents/{id}/clone")))
        .bearer_auth(&grace.access)
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn strangers_cannot_clone() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let mallory = app.signed_up("mallory").await;
    let doc = app.create_document(&ada.access, "Mine", "x").await;
    let id = doc["id"].as_str().unwrap();
    problem(
        app.post(
            &format!("/documents/{id}/clone"),
            &json!({}),
            Some(&mallory.access),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}
