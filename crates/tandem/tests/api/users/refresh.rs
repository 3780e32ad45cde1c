use crate::helpers::{TestApp, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.post("/auth/refresh", &json!({"refresh_token": token}), None)
        .await
}

#[tokio::test]
async fn refresh_rotates_the_pair() {
    let app = TestApp::spawn().await;
    let tokens = app.signed_up("ada").await;
    let response = refresh(&app, &tokens.refresh).await;
    assert_eq!(response.status(), StatusCode::OK);
    let pair: Value = response.json().await.unwrap();
    let new_refresh = pair["refresh_token"].as_str().unwrap();
    let new_access = pair["access_token"].as_str().unwrap();
    assert_ne!(new_refresh, tokens.refresh);
    assert_ne!(new_access, tokens.access);
    assert_eq!(
        app.get("/auth/me", Some(new_access)).await.status(),
        StatusCode::OK
    );
    // The new refresh token works in turn.
    assert_eq!(refresh(&app, new_refresh).await.status(), StatusCode::OK);
    assert_eq!(app.audit(Some(&tokens.user_id), "refresh").await.len(), 2);
}

#[tokio::test]
async fn two_tabs_refreshing_at_once_get_the_same_new_pair() {
    let app = TestApp::spawn().await;
    let tokens = app.signed_up("ada").await;
    let (a, b) = tokio::join!(
        refresh(&app, &tokens.refresh),
        refresh(&app, &tokens.refresh)
    );
    assert_eq!(a.status(), StatusCode::OK);
    assert_eq!(b.status(), StatusCode::OK);
    let a: Value = a.json().await.unwrap();
    let b: Value = b.json().await.unwrap();
    assert_eq!(a["refresh_token"], b["refresh_token"]);
    assert_eq!(a["access_token"], b["access_token"]);
    // And the session is intact: the shared new token still rotates.
    let next = refresh(&app, a["refresh_token"].as_str().unwrap()).await;
    assert_eq!(next.status(), StatusCode::OK);
}

#[tokio::test]
async fn reusing_a_rotated_token_after_the_grace_window_revokes_the_whole_family() {
    let app = TestApp::spawn_with(|c| c.users.refresh_reuse_grace_secs = 0).await;
    let tokens = app.signed_up("ada").await;
    let pair: Value = refresh(&app, &tokens.refresh).await.json().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;

    // The attacker replays the stolen, already-rotated token.
    let replay = refresh(&app, &tokens.refresh).await;
    let p = problem(replay, StatusCode::UNAUTHORIZED).await;
    assert_eq!(p["code"], "invalid_refresh_token");

    // Everything in the family is dead: the newest refresh token and its access token.
    let newest = pair["refresh_token"].as_str().unwrap();
    problem(refresh(&app, newest).await, StatusCode::UNAUTHORIZED).await;
    let access = pair["access_token"].as_str().unwrap();
    problem(
        app.get("/auth/me", Some(access)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let events = app.audit(Some(&tokens.user_id), "token_reuse").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, "failure");
}

#[tokio::test]
async fn unknown_malformed_and_missing_refresh_tokens_are_refused() {
    let app = TestApp::spawn().await;
    problem(
        refresh(&app, "tdr_doesnotexist").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    problem(refresh(&app, "").await, StatusCode::UNAUTHORIZED).await;
    problem(
        refresh(&app, &"x".repeat(10_000)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let missing = app.post("/auth/refresh", &json!({}), None).await;
    problem(missing, StatusCode::UNPROCESSABLE_ENTITY).await;
}

#[tokio::test]
async fn refresh_is_rate_limited_per_ip() {
    let app = TestApp::spawn_with(|c| c.users.rate_limit.refresh_per_minute = 1).await;
    refresh(&app, "tdr_x").await;
    problem(refresh(&app, "tdr_x").await, StatusCode::TOO_MANY_REQUESTS).await;
}

#[tokio::test]
async fn a_refresh_racing_a_logout_does_not_bring_the_session_back() {
    let app = TestApp::spawn().await;
    for i in 0..10 {
        let tokens = app.signed_up(&format!("racer{i}")).await;
        let empty = json!({});
        let (_, _) = tokio::join!(
            refresh(&app, &tokens.refresh),
            app.post("/auth/logout", &empty, Some(&tokens.access)),
        );
        // Whatever the interleaving, the session is over: no token of it works.
        problem(
            app.get("/auth/me", Some(&tokens.access)).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        let sessions = app.login_sessions_count(&tokens).await;
        assert_eq!(sessions, 0, "the logged-out session is gone");
    }
}
