use crate::helpers::{PASSWORD, TestApp, fields, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[tokio::test]
async fn login_by_email_or_username_returns_an_oauth2_token_pair_and_the_user() {
    let app = TestApp::spawn().await;
    app.register("ada").await;
    for body in [
        json!({"email": "ADA@example.com", "password": PASSWORD}),
        json!({"username": "Ada", "password": PASSWORD}),
    ] {
        let response = app.post("/auth/login", &body, None).await;
        assert_eq!(response.status(), StatusCode::OK);
        let tokens: Value = response.json().await.unwrap();
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["expires_in"], 900);
        assert_eq!(
            tokens["access_token"].as_str().unwrap().split('.').count(),
            3
        );
        let refresh = tokens["refresh_token"].as_str().unwrap();
        assert!(refresh.len() >= 43, "at least 256 bits: {refresh}");
        assert!(tokens["access_token_expires_at"].is_string());
        assert!(tokens["refresh_token_expires_at"].is_string());
        assert_eq!(tokens["user"]["username"], "ada");
    }
}

#[tokio::test]
async fn the_refresh_token_is_stored_only_as_a_hash() {
    let app = TestApp::spawn().await;
    let tokens = app.signed_up("ada").await;
    let mut redis = redis_conn().await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}*", app.config.platform.redis.key_prefix))
        .query_async(&mut redis)
        .await
        .unwrap();
    let secret = tokens.refresh.trim_start_matches("tdr_");
    for key in keys {
        assert!(!key.contains(secret), "{key}");
        let dump: String = redis::cmd("DUMP")
            .arg(&key)
            .query_async::<Option<Vec<u8>>>(&mut redis)
            .await
            .unwrap()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        assert!(!dump.contains(secret), "{key} holds the token");
    }
}

pub async fn redis_conn() -> redis::aio::MultiplexedConnection {
    redis::Client::open("redis://127.0.0.1:6379")
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.register("ada").await;
    let wrong = app.login("ada", "not the right password").await;
    let unknown = app.login("nobody", "not the right password").await;
    let malformed = app
        .post(
            "/auth/login",
            &json!({"email": "not an email", "password": "x"}),
            None,
        )
        .await;
    let mut bodies = Vec::new();
    for response in [wrong, unknown, malformed] {
        let mut body = problem(response, StatusCode::UNAUTHORIZED).await;
        body.as_object_mut().unwrap().remove("request_id");
        bodies.push(body);
    }
    assert_eq!(bodies[0]["code"], "invalid_credentials");
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[0], bodies[2]);
}

#[tokio::test]
async fn an_unknown_user_costs_a_bcrypt_verification_like_a_wrong_password() {
    // Cost 10 makes one bcrypt verification tens of milliseconds: an unknown-user login
    // that skipped hashing would answer in about one millisecond.
    let app = TestApp::spawn_with(|c| c.users.bcrypt_cost = 10).await;
    app.register("ada").await;
    let hash = bcrypt::hash("calibration", 10).unwrap();
    let started = Instant::now();
    bcrypt::verify("calibration", &hash).unwrap();
    let one_hash = started.elapsed();

    let time = |username: &'static str| {
        let app = &app;
        async move {
            let started = Instant::now();
            let response = app.login(username, "not the right password").await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
            started.elapsed()
        }
    };
    let mut unknown = Vec::new();
    let mut wrong = Vec::new();
    for _ in 0..3 {
        unknown.push(time("nobody").await);
        wrong.push(time("ada").await);
    }
    unknown.sort();
    wrong.sort();
    assert!(
        unknown[1] >= one_hash / 2,
        "unknown user {unknown:?} vs one hash {one_hash:?}"
    );
    assert!(
        wrong[1] >= one_hash / 2,
        "wrong password {wrong:?} vs one hash {one_hash:?}"
    );
}

#[tokio::test]
async fn login_without_email_or_username_is_a_422() {
    let app = TestApp::spawn().await;
    let p = problem(
        app.post("/auth/login", &json!({"password": PASSWORD}), None)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&p), ["email"]);
}

#[tokio::test]
async fn five_failures_from_one_client_lock_it_out_even_for_the_right_password() {
    let app = TestApp::spawn().await;
    let user = app.register("ada").await;
    let user_id = user["id"].as_str().unwrap();
    for _ in 0..5 {
        assert_eq!(
            app.login("ada", "wrong password!!").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let locked = app.login("ada", PASSWORD).await;
    let retry_after: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((800..=900).contains(&retry_after), "{retry_after}");
    let p = problem(locked, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(p["code"], "account_locked");
    assert_eq!(app.audit(Some(user_id), "lockout").await.len(), 1);
    let failures = app.audit(Some(user_id), "login").await;
    assert!(failures.iter().all(|(outcome, _)| outcome == "failure"));
    assert_eq!(failures.last().unwrap().1["reason"], "locked");
}

#[tokio::test]
async fn unknown_identifiers_lock_exactly_like_accounts() {
    let app = TestApp::spawn().await;
    for _ in 0..5 {
        app.login("nobody", "wrong password!!").await;
    }
    let p = problem(
        app.login("nobody", "wrong password!!").await,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
    assert_eq!(p["code"], "account_locked");
}

#[tokio::test]
async fn a_successful_login_resets_the_failure_count() {
    let app = TestApp::spawn().await;
    app.register("ada").await;
    for _ in 0..4 {
        app.login("ada", "wrong password!!").await;
    }
    assert_eq!(app.login("ada", PASSWORD).await.status(), StatusCode::OK);
    for _ in 0..4 {
        app.login("ada", "wrong password!!").await;
    }
    assert_eq!(app.login("ada", PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_lock_lifts_after_its_duration_and_the_unlock_is_audited() {
    let app = TestApp::spawn_with(|c| {
        c.users.lockout_threshold = 2;
        c.users.lockout_duration_secs = 1;
    })
    .await;
    let user = app.register("ada").await;
    let user_id = user["id"].as_str().unwrap();
    app.login("ada", "wrong password!!").await;
    app.login("ada", "wrong password!!").await;
    assert_eq!(
        app.login("ada", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(app.login("ada", PASSWORD).await.status(), StatusCode::OK);
    assert_eq!(app.audit(Some(user_id), "unlock").await.len(), 1);
}

#[tokio::test]
async fn login_is_rate_limited_per_ip_with_ratelimit_headers() {
    let app = TestApp::spawn_with(|c| c.users.rate_limit.login_per_minute = 3).await;
    app.register("ada").await;
    for remaining in ["2", "1", "0"] {
        let response = app.login("ada", PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["ratelimit-remaining"], remaining);
    }
    let refused = app.login("ada", PASSWORD).await;
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after));
    problem(refused, StatusCode::TOO_MANY_REQUESTS).await;
}
