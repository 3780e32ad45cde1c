use crate::helpers::{TestApp, problem};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn other_users_are_found_by_id_or_email_with_public_fields_only() {
    let app = TestApp::spawn().await;
    let grace = app.register("grace").await;
    let ada = app.signed_up("ada").await;
    let id = grace["id"].as_str().unwrap();
    for path in [
        format!("/users/{id}"),
        "/users?email=Grace@Example.com".to_owned(),
    ] {
        let response = app.get(&path, Some(&ada.access)).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let user: Value = response.json().await.unwrap();
        assert_eq!(user["id"], id);
        assert_eq!(user["username"], "grace");
        assert_eq!(user["display_name"], "grace display");
        let keys: Vec<&String> = user.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["avatar_url", "display_name", "id", "username"],
            "public fields only"
        );
    }
}

#[tokio::test]
async fn lookups_need_authentication() {
    let app = TestApp::spawn().await;
    let grace = app.register("grace").await;
    let id = grace["id"].as_str().unwrap();
    problem(
        app.get(&format!("/users/{id}"), None).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    problem(
        app.get("/users?email=grace@example.com", None).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn unknown_and_malformed_lookups_are_4xx_problems() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let id = uuid::Uuid::now_v7();
    problem(
        app.get(&format!("/users/{id}"), Some(&ada.access)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        app.get("/users?email=nobody@example.com", Some(&ada.access))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let p = problem(
        app.get("/users?email=nope", Some(&ada.access)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "email");
    let p = problem(
        app.get("/users", Some(&ada.access)).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "email");
}
