use crate::helpers::{PASSWORD, TestApp};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_registrations_and_logins_all_succeed() {
    let app = TestApp::spawn().await;
    let registrations = (0..200).map(|i| {
        let app = &app;
        async move {
            app.post(
                "/auth/register",
                &json!({
                    "email": format!("user{i}@example.com"),
                    "username": format!("user{i}"),
                    "password": PASSWORD,
                    "display_name": format!("User {i}"),
                }),
                None,
            )
            .await
            .status()
        }
    });
    let statuses = join_all(registrations).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::CREATED),
        "{statuses:?}"
    );

    let logins = (0..200).map(|i| {
        let app = &app;
        async move {
            let response = app.login(&format!("user{i}"), PASSWORD).await;
            assert_eq!(response.status(), StatusCode::OK);
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["user"]["username"], format!("user{i}"));
            body["refresh_token"].as_str().unwrap().to_owned()
        }
    });
    let tokens: HashSet<String> = join_all(logins).await.into_iter().collect();
    assert_eq!(tokens.len(), 200, "every session got its own refresh token");

    let (accounts,): (i64,) = sqlx::query_as("SELECT count(*) FROM users.accounts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(accounts, 200);
}

#[tokio::test]
async fn the_same_username_registered_concurrently_wins_exactly_once() {
    let app = TestApp::spawn().await;
    let attempts = (0..10).map(|i| {
        let app = &app;
        async move {
            app.post(
                "/auth/register",
                &json!({
                    "email": format!("racer{i}@example.com"),
                    "username": "racer",
                    "password": PASSWORD,
                    "display_name": "Racer",
                }),
                None,
            )
            .await
            .status()
        }
    });
    let statuses = join_all(attempts).await;
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        9
    );
}

#[tokio::test]
async fn seeding_twice_creates_the_demo_accounts_once() {
    let app = TestApp::spawn().await;
    assert_eq!(tandem_users::seed::seed(&app.db, 4).await.unwrap(), 3);
    assert_eq!(tandem_users::seed::seed(&app.db, 4).await.unwrap(), 0);
    let demo = tandem_users::seed::DEMO_USERS[0];
    let response = app.login(demo.username, demo.password).await;
    assert_eq!(response.status(), StatusCode::OK);
}
