use crate::helpers::{TestApp, fields, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn sharing_by_email_or_id_grants_and_changes_roles() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let grace = app.signed_up("grace").await;
    let doc = app.create_document(&ada.access, "Shared", "").await;
    let id = doc["id"].as_str().unwrap();

    let granted: Value = app
        .share(&ada.access, id, "grace", "read")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(granted["user_id"], grace.user_id);
    assert_eq!(granted["role"], "read");
    assert_eq!(granted["display_name"], "grace display");
    assert_eq!(
        app.update_document(&grace.access, id, 1, "x")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    let by_id = app
        .post(
            &format!("/documents/{id}/share"),
            &json!({"user_id": grace.user_id, "role": "write"}),
            Some(&ada.access),
        )
        .await;
    assert_eq!(by_id.status(), StatusCode::OK);
    assert_eq!(
        app.update_document(&grace.access, id, 1, "x")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn bad_share_requests_name_the_field() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    app.register("grace").await;
    let doc = app.create_document(&ada.access, "Shared", "").await;
    let path = format!("/documents/{}/share", doc["id"].as_str().unwrap());
    for (body, field) in [
        (
            json!({"email": "grace@example.com", "role": "superuser"}),
            "role",
        ),
        (
            json!({"email": "grace@example.com", "role": "owner"}),
            "role",
        ),
        (
            json!({"email": "nobody@example.com", "role": "read"}),
            "email",
        ),
        (
            json!({"user_id": uuid::Uuid::now_v7(), "role": "read"}),
            "user_id",
        ),
        (json!({"role": "read"}), "email"),
    ] {
        let p = problem(
            app.post(&path, &body, Some(&ada.access)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(fields(&p), [field], "{body}");
    }
    let missing_role = app
        .post(
            &path,
            &json!({"email": "grace@example.com"}),
            Some(&ada.access),
        )
        .await;
    assert_eq!(
        fields(&problem(missing_role, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["role"]
    );
    let (grants,): (i64,) = sqlx::query_as("SELECT count(*) FROM documents.permissions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(grants, 0);
}

#[tokio::test]
async fn revoking_access_takes_effect_immediately() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let grace = app.signed_up("grace").await;
    let doc = app.create_document(&ada.access, "Secret", "").await;
    let id = doc["id"].as_str().unwrap();
    app.share(&ada.access, id, "grace", "write").await;
    // Warm the caches with grace's access.
    for _ in 0..2 {
        assert_eq!(
            app.get(&format!("/documents/{id}"), Some(&grace.access))
                .await
                .status(),
            StatusCode::OK
        );
    }
    let revoked = app
        .delete(
            &format!("/documents/{id}/share/{}", grace.user_id),
            Some(&ada.access),
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    problem(
        app.get(&format!("/documents/{id}"), Some(&grace.access))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        app.update_document(&grace.access, id, 1, "x").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // Revoking again: nothing to revoke.
    let again = app
        .delete(
            &format!("/documents/{id}/share/{}", grace.user_id),
            Some(&ada.access),
        )
        .await;
    problem(again, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn collaborators_show_roles_names_and_edit_activity() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let grace = app.signed_up("grace").await;
    let doc = app.create_document(&ada.access, "Team", "a\n").await;
    let id = doc["id"].as_str().unwrap();
    app.share(&ada.access, id, "grace", "write").await;
    app.update_document(&grace.access, id, 1, "b\n").await;
    app.update_document(&grace.access, id, 2, "c\n").await;

    let list: Value = app
        .get(
            &format!("/documents/{id}/collaborators"),
            Some(&grace.access),
        )
        .await
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["user_id"], ada.user_id);
    assert_eq!(items[0]["role"], "owner");
    assert_eq!(items[0]["display_name"], "ada display");
    assert_eq!(items[0]["edits"], 1);
    assert_eq!(items[1]["role"], "write");
    assert_eq!(items[1]["username"], "grace");
    assert_eq!(items[1]["edits"], 2);
    assert!(items[1]["last_edit_at"].is_string());
    assert_eq!(items[1]["editing_now"], false);
}
