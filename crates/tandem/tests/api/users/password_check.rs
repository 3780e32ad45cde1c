//! `POST /auth/password-check`: the registration policy's verdict, for forms as people type.

use crate::helpers::{TestApp, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn check(app: &TestApp, body: Value) -> Value {
    let response = app.post("/auth/password-check", &body, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_verdict_is_the_one_registration_gives() {
    let app = TestApp::spawn().await;
    let short = check(&app, json!({"password": "tiny"})).await;
    assert_eq!(short["acceptable"], false);
    assert_eq!(short["message"], "must be at least 12 characters");

    let guessable = check(&app, json!({"password": "password1234"})).await;
    assert_eq!(guessable["acceptable"], false);
    assert!(
        guessable["message"]
            .as_str()
            .unwrap()
            .starts_with("is too easy to guess")
    );

    let own_name = check(
        &app,
        json!({"password": "ada-lovelace-rules-1843", "username": "lovelace", "email": "x@example.com"}),
    )
    .await;
    assert_eq!(own_name["message"], "must not contain your username");

    let good = check(&app, json!({"password": "plaid umbrella orbit sandwich"})).await;
    assert_eq!(good, json!({"acceptable": true}));

    // The same password registers exactly when the check says so.
    let register = app
        .post(
            "/auth/register",
            &json!({"email": "ada@example.com", "username": "ada", "password": "password1234", "display_name": "Ada"}),
            None,
        )
        .await;
    let p = problem(register, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["errors"][0]["message"], guessable["message"]);
}

#[tokio::test]
async fn a_malformed_body_is_a_422_and_the_check_is_rate_limited() {
    let app = TestApp::spawn_with(|c| c.users.rate_limit.password_check_per_minute = 2).await;
    problem(
        app.post("/auth/password-check", &json!({"password": 5}), None)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    app.post("/auth/password-check", &json!({"password": "x"}), None)
        .await;
    problem(
        app.post("/auth/password-check", &json!({"password": "x"}), None)
            .await,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
}
