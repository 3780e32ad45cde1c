use crate::helpers::{PASSWORD, TestApp, fields, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn me_returns_the_profile() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let me: Value = app
        .get("/auth/me", Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], ada.user_id);
    assert_eq!(me["email"], "ada@example.com");
    assert!(me.get("password_hash").is_none());
}

#[tokio::test]
async fn the_profile_can_be_updated_field_by_field() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let response = app
        .put(
            "/auth/profile",
            &json!({"display_name": "Ada King", "bio": "Wrote the first program.\nLikes < and >.", "avatar_url": "https://example.com/ada.png", "username": "countess"}),
            Some(&ada.access),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let me: Value = app
        .get("/auth/me", Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["display_name"], "Ada King");
    assert_eq!(me["username"], "countess");
    assert_eq!(me["avatar_url"], "https://example.com/ada.png");
    assert_eq!(me["bio"], "Wrote the first program.\nLikes < and >.");
    // An empty avatar URL removes it; other fields stay.
    app.put(
        "/auth/profile",
        &json!({"avatar_url": ""}),
        Some(&ada.access),
    )
    .await;
    let me: Value = app
        .get("/auth/me", Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    assert!(me["avatar_url"].is_null());
    assert_eq!(me["display_name"], "Ada King");
    assert_eq!(
        app.audit(Some(&ada.user_id), "profile_change").await.len(),
        2
    );
}

#[tokio::test]
async fn markup_scripts_and_bad_urls_are_refused_in_every_profile_field() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    for (field, value) in [
        ("display_name", "<script>alert(1)</script>"),
        ("bio", "hello <img src=x onerror=alert(1)>"),
        ("username", "<b>ada</b>"),
        ("avatar_url", "javascript:alert(1)"),
        ("avatar_url", "data:text/html,<script>alert(1)</script>"),
        ("display_name", &"x".repeat(101)),
        ("bio", &"x".repeat(501)),
    ] {
        let response = app
            .put("/auth/profile", &json!({ field: value }), Some(&ada.access))
            .await;
        let p = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(fields(&p), [field], "{field}={value}");
    }
    let me: Value = app
        .get("/auth/me", Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["display_name"], "ada display");
}

#[tokio::test]
async fn changing_the_email_needs_the_current_password() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let missing = app
        .put(
            "/auth/profile",
            &json!({"email": "new@example.com"}),
            Some(&ada.access),
        )
        .await;
    assert_eq!(
        fields(&problem(missing, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["current_password"]
    );
    let wrong = app
        .put(
            "/auth/profile",
            &json!({"email": "new@example.com", "current_password": "nope nope nope"}),
            Some(&ada.access),
        )
        .await;
    assert_eq!(
        problem(wrong, StatusCode::FORBIDDEN).await["code"],
        "wrong_password"
    );
    let right = app
        .put(
            "/auth/profile",
            &json!({"email": "new@example.com", "current_password": PASSWORD}),
            Some(&ada.access),
        )
        .await;
    assert_eq!(right.status(), StatusCode::OK);
    let me: Value = right.json().await.unwrap();
    assert_eq!(me["email"], "new@example.com");
}

#[tokio::test]
async fn taking_someone_elses_username_or_email_is_409() {
    let app = TestApp::spawn().await;
    app.register("grace").await;
    let ada = app.signed_up("ada").await;
    let p = problem(
        app.put(
            "/auth/profile",
            &json!({"username": "GRACE"}),
            Some(&ada.access),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(p["code"], "username_taken");
    let p = problem(
        app.put(
            "/auth/profile",
            &json!({"email": "grace@example.com", "current_password": PASSWORD}),
            Some(&ada.access),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(p["code"], "email_taken");
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session() {
    let app = TestApp::spawn().await;
    let laptop = app.signed_up("ada").await;
    let phone = app.signed_in("ada").await;
    let new_password = "plaid umbrella orbit sandwich";

    let wrong = app
        .put(
            "/auth/password",
            &json!({"current_password": "nope nope nope", "new_password": new_password}),
            Some(&laptop.access),
        )
        .await;
    problem(wrong, StatusCode::FORBIDDEN).await;
    let weak = app
        .put(
            "/auth/password",
            &json!({"current_password": PASSWORD, "new_password": "password1234"}),
            Some(&laptop.access),
        )
        .await;
    assert_eq!(
        fields(&problem(weak, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["new_password"]
    );

    let ok = app
        .put(
            "/auth/password",
            &json!({"current_password": PASSWORD, "new_password": new_password}),
            Some(&laptop.access),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/auth/me", Some(&laptop.access)).await.status(),
        StatusCode::OK
    );
    problem(
        app.get("/auth/me", Some(&phone.access)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    problem(
        app.post(
            "/auth/refresh",
            &json!({"refresh_token": phone.refresh}),
            None,
        )
        .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(
        app.login("ada", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("ada", new_password).await.status(),
        StatusCode::OK
    );
    let events = app.audit(Some(&laptop.user_id), "password_change").await;
    assert_eq!(events.iter().filter(|(o, _)| o == "success").count(), 1);
}

#[tokio::test]
async fn guessing_the_current_password_through_the_change_endpoints_locks_that_session_only() {
    let app = TestApp::spawn_with(|c| c.users.lockout_threshold = 3).await;
    let ada = app.signed_up("ada").await;
    for _ in 0..3 {
        let response = app
            .put("/auth/password", &json!({"current_password": "guess guess guess", "new_password": "plaid umbrella orbit sandwich"}), Some(&ada.access))
            .await;
        problem(response, StatusCode::FORBIDDEN).await;
    }
    let locked = app
        .put(
            "/auth/profile",
            &json!({"email": "x@example.com", "current_password": PASSWORD}),
            Some(&ada.access),
        )
        .await;
    assert_eq!(
        problem(locked, StatusCode::TOO_MANY_REQUESTS).await["code"],
        "account_locked"
    );
    // A stolen session guessing the password must not lock the owner out of signing in.
    let fresh = app.signed_in("ada").await;
    let changed = app
        .put(
            "/auth/profile",
            &json!({"email": "ada2@example.com", "current_password": PASSWORD}),
            Some(&fresh.access),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let lockouts = app.audit(Some(&ada.user_id), "lockout").await;
    assert_eq!(lockouts.len(), 1);
    assert_eq!(lockouts[0].1["client"], "session");
}
