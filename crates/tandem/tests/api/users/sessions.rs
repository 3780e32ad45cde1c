use crate::helpers::{TestApp, problem};
use reqwest::StatusCode;
use serde_json::Value;

async fn list(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app.get("/auth/sessions", Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn sessions_show_device_ip_last_seen_and_which_is_current() {
    let app = TestApp::spawn().await;
    app.register("ada").await;
    let firefox = app
        .client
        .post(app.url("/auth/login"))
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
        )
        .json(&serde_json::json!({"username": "ada", "password": crate::helpers::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(firefox.status(), StatusCode::OK);
    let other = app.signed_in("ada").await;
    let sessions = list(&app, &other.access).await;
    assert_eq!(sessions.len(), 2);
    let current: Vec<&Value> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    let ff = sessions
        .iter()
        .find(|s| s["device"] == "Firefox on Linux")
        .expect("firefox session");
    assert_eq!(ff["ip"], "127.0.0.1");
    assert!(ff["last_seen_at"].is_string());
    assert!(ff["created_at"].is_string());
    assert!(ff["expires_at"].is_string());
}

#[tokio::test]
async fn ending_a_session_signs_that_device_out() {
    let app = TestApp::spawn().await;
    let laptop = app.signed_up("ada").await;
    let phone = app.signed_in("ada").await;
    let sessions = list(&app, &laptop.access).await;
    let phone_session = sessions.iter().find(|s| s["current"] == false).unwrap();
    let id = phone_session["id"].as_str().unwrap();
    let response = app
        .delete(&format!("/auth/sessions/{id}"), Some(&laptop.access))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    problem(
        app.get("/auth/me", Some(&phone.access)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(
        app.get("/auth/me", Some(&laptop.access)).await.status(),
        StatusCode::OK
    );
    assert_eq!(list(&app, &laptop.access).await.len(), 1);
}

#[tokio::test]
async fn one_user_cannot_see_or_end_another_users_sessions() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let mallory = app.signed_up("mallory").await;
    let ada_sessions = list(&app, &ada.access).await;
    let ada_session = ada_sessions[0]["id"].as_str().unwrap();

    // Mallory's list holds only Mallory's session.
    let mallorys = list(&app, &mallory.access).await;
    assert_eq!(mallorys.len(), 1);
    assert_ne!(mallorys[0]["id"], ada_sessions[0]["id"]);

    // Ending Ada's session looks exactly like ending one that does not exist.
    let theirs = app
        .delete(
            &format!("/auth/sessions/{ada_session}"),
            Some(&mallory.access),
        )
        .await;
    let missing = app
        .delete(
            &format!("/auth/sessions/{}", uuid::Uuid::now_v7()),
            Some(&mallory.access),
        )
        .await;
    let mut a = problem(theirs, StatusCode::NOT_FOUND).await;
    let mut b = problem(missing, StatusCode::NOT_FOUND).await;
    a.as_object_mut().unwrap().remove("request_id");
    b.as_object_mut().unwrap().remove("request_id");
    assert_eq!(a, b);
    assert_eq!(
        app.get("/auth/me", Some(&ada.access)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_malformed_session_id_is_a_400_problem() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let body = problem(
        app.delete("/auth/sessions/not-a-uuid", Some(&ada.access))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body["code"], "invalid_path");
}

#[tokio::test]
async fn the_per_user_rate_limit_applies_to_authenticated_endpoints() {
    let app = TestApp::spawn_with(|c| c.users.rate_limit.user_per_minute = 2).await;
    let ada = app.signed_up("ada").await;
    app.get("/auth/me", Some(&ada.access)).await;
    app.get("/auth/me", Some(&ada.access)).await;
    let refused = app.get("/auth/sessions", Some(&ada.access)).await;
    assert!(refused.headers().contains_key("retry-after"));
    problem(refused, StatusCode::TOO_MANY_REQUESTS).await;
    // Another user has their own budget.
    let grace = app.signed_up("grace").await;
    assert_eq!(
        app.get("/auth/me", Some(&grace.access)).await.status(),
        StatusCode::OK
    );
}
