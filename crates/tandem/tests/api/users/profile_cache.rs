//! The profile cache behind `GET /auth/me` and `GET /users/{id}` never serves a profile
//! PostgreSQL no longer holds, and never holds a secret.

use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn lookups(app: &TestApp, result: &str) -> u64 {
    app.counter(&format!(
        "tandem_user_profile_cache_lookups_total{{cache=\"profile\",result=\"{result}\"}}"
    ))
    .await
}

async fn me(app: &TestApp, token: &str) -> Value {
    let response = app.get("/auth/me", Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn profile_reads_are_served_from_the_cache_and_counted() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let first = me(&app, &ada.access).await;
    for _ in 0..3 {
        assert_eq!(me(&app, &ada.access).await, first);
    }
    assert_eq!(lookups(&app, "miss").await, 1);
    assert_eq!(lookups(&app, "hit").await, 3);
}

#[tokio::test]
async fn the_cached_profile_holds_no_password_hash() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    me(&app, &ada.access).await;
    let cached = app
        .redis_get(&format!("users:profile:{}", ada.user_id))
        .await
        .expect("the profile is cached after a read");
    let cached: Value = serde_json::from_str(&cached).unwrap();
    assert_eq!(cached["username"], "ada");
    assert!(cached.get("password_hash").is_none());
    assert!(
        !cached.to_string().contains("$2"),
        "no bcrypt hash: {cached}"
    );
}

#[tokio::test]
async fn a_profile_change_is_seen_at_once_by_me_and_by_lookups() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let grace = app.signed_up("grace").await;
    let lookup = format!("/users/{}", ada.user_id);
    // Fill the cache through both readers.
    me(&app, &ada.access).await;
    app.get(&lookup, Some(&grace.access)).await;

    let response = app
        .put(
            "/auth/profile",
            &json!({"display_name": "Ada King", "username": "countess"}),
            Some(&ada.access),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let own = me(&app, &ada.access).await;
    assert_eq!(own["display_name"], "Ada King");
    assert_eq!(own["username"], "countess");
    let seen: Value = app
        .get(&lookup, Some(&grace.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["display_name"], "Ada King");
    assert_eq!(seen["username"], "countess");
    assert!(seen.get("email").is_none(), "lookups stay public: {seen}");
}

#[tokio::test]
async fn a_password_change_refreshes_the_cached_profile() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let before = me(&app, &ada.access).await;
    let response = app
        .put(
            "/auth/password",
            &json!({"current_password": crate::helpers::PASSWORD,
                    "new_password": "plaid umbrella orbit sandwich"}),
            Some(&ada.access),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let after = me(&app, &ada.access).await;
    assert_ne!(after["updated_at"], before["updated_at"]);
}

#[tokio::test]
async fn reads_racing_profile_changes_never_leave_an_old_profile_in_the_cache() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    for round in 0..10 {
        let name = format!("Ada {round}");
        let body = json!({"display_name": name});
        let reads = (0..5).map(|_| app.get("/auth/me", Some(&ada.access)));
        let write = app.put("/auth/profile", &body, Some(&ada.access));
        let (_, written) = tokio::join!(futures::future::join_all(reads), write);
        assert_eq!(written.status(), StatusCode::OK);
        assert_eq!(me(&app, &ada.access).await["display_name"], name);
    }
}

#[tokio::test]
async fn a_lookup_of_an_unknown_user_is_not_cached_as_a_user() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let nobody = uuid::Uuid::now_v7();
    for _ in 0..2 {
        let response = app
            .get(&format!("/users/{nobody}"), Some(&ada.access))
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    assert_eq!(
        app.redis_get(&format!("users:profile:{nobody}")).await,
        None
    );
}
