//! Brute-force protection that stops guessers without handing them a switch to lock the
//! owner out: locks per (account, client), delays per account for unrecognised clients,
//! device tokens, and client addresses read from the right end of `X-Forwarded-For`.

use crate::helpers::{PASSWORD, TestApp, problem};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

const STRANGER: &str = "203.0.113.66";
const OWNER: &str = "198.51.100.7";
const WRONG: &str = "wrong password!!";

/// tandem behind one proxy, which appends the address it saw to `X-Forwarded-For`.
async fn behind_a_proxy(customize: impl FnOnce(&mut tandem::Config)) -> TestApp {
    TestApp::spawn_with(|c| {
        c.platform.server.forwarded_hops = 1;
        customize(c);
    })
    .await
}

/// A login as `username` arriving through the proxy from `address`.
async fn login_from(
    app: &TestApp,
    address: &str,
    username: &str,
    password: &str,
    device_token: Option<&str>,
) -> Response {
    let mut body = json!({"username": username, "password": password});
    if let Some(token) = device_token {
        body["device_token"] = json!(token);
    }
    app.client
        .post(app.url("/auth/login"))
        .header("x-forwarded-for", address)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Logs in from `address` and returns the device token the login handed out.
async fn device_token(app: &TestApp, address: &str, username: &str) -> String {
    let body: Value = login_from(app, address, username, PASSWORD, None)
        .await
        .json()
        .await
        .unwrap();
    body["device_token"].as_str().unwrap().to_owned()
}

fn retry_after(response: &Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_stranger_guessing_from_one_address_is_locked_out_and_the_owner_elsewhere_is_not() {
    let app = behind_a_proxy(|_| {}).await;
    let ada = app.register("ada").await;
    for _ in 0..5 {
        let response = login_from(&app, STRANGER, "ada", WRONG, None).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let locked = login_from(&app, STRANGER, "ada", PASSWORD, None).await;
    assert!((800..=900).contains(&retry_after(&locked)));
    assert_eq!(
        problem(locked, StatusCode::TOO_MANY_REQUESTS).await["code"],
        "account_locked"
    );
    let owner = login_from(&app, OWNER, "ada", PASSWORD, None).await;
    assert_eq!(owner.status(), StatusCode::OK);
    let lockouts = app.audit(ada["id"].as_str(), "lockout").await;
    assert_eq!(lockouts.len(), 1);
    assert_eq!(lockouts[0].1["scope"], "client");
    assert_eq!(lockouts[0].1["client"], "address");
}

#[tokio::test]
async fn the_owner_with_a_device_token_gets_in_even_from_the_strangers_address() {
    let app = behind_a_proxy(|_| {}).await;
    app.register("ada").await;
    let device = device_token(&app, OWNER, "ada").await;
    assert!(device.starts_with("tdd_"));
    // A stranger behind the same NAT address as the owner locks that address out.
    for _ in 0..5 {
        login_from(&app, STRANGER, "ada", WRONG, None).await;
    }
    let without = login_from(&app, STRANGER, "ada", PASSWORD, None).await;
    assert_eq!(without.status(), StatusCode::TOO_MANY_REQUESTS);
    let with = login_from(&app, STRANGER, "ada", PASSWORD, Some(&device)).await;
    assert_eq!(with.status(), StatusCode::OK);
    let again: Value = with.json().await.unwrap();
    assert!(again["device_token"].is_string());
    // A device token of another account is not recognised for this one.
    app.register("bob").await;
    let foreign = device_token(&app, OWNER, "bob").await;
    let refused = login_from(&app, STRANGER, "ada", PASSWORD, Some(&foreign)).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn guessing_from_many_addresses_delays_unrecognised_clients_but_never_a_known_device() {
    let app = behind_a_proxy(|c| c.users.lockout_account_threshold = 3).await;
    let ada = app.register("ada").await;
    let device = device_token(&app, OWNER, "ada").await;
    for i in 1..=3 {
        let response = login_from(&app, &format!("203.0.113.{i}"), "ada", WRONG, None).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    // A fourth address, even with the right password, must wait.
    let delayed = login_from(&app, "203.0.113.4", "ada", PASSWORD, None).await;
    assert!((1..=2).contains(&retry_after(&delayed)));
    let body = problem(delayed, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(body["code"], "login_delayed");
    // The owner's known device is not delayed, from anywhere.
    let owner = login_from(&app, "203.0.113.5", "ada", PASSWORD, Some(&device)).await;
    assert_eq!(owner.status(), StatusCode::OK);
    // The delay lifts by itself.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let later = login_from(&app, "203.0.113.6", "ada", PASSWORD, None).await;
    assert_eq!(later.status(), StatusCode::OK);
    let account_scoped = app
        .audit(ada["id"].as_str(), "lockout")
        .await
        .into_iter()
        .filter(|(_, d)| d["scope"] == "account")
        .count();
    assert_eq!(account_scoped, 1);
}

#[tokio::test]
async fn unknown_accounts_are_delayed_exactly_like_real_ones() {
    let app = behind_a_proxy(|c| c.users.lockout_account_threshold = 2).await;
    for i in 1..=2 {
        login_from(&app, &format!("203.0.113.{i}"), "nobody", WRONG, None).await;
    }
    let body = problem(
        login_from(&app, "203.0.113.3", "nobody", WRONG, None).await,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
    assert_eq!(body["code"], "login_delayed");
}

#[tokio::test]
async fn each_new_lock_of_the_same_client_lasts_twice_as_long() {
    let app = behind_a_proxy(|c| {
        c.users.lockout_threshold = 2;
        c.users.lockout_duration_secs = 1;
    })
    .await;
    app.register("ada").await;
    for expected in [1, 2] {
        for _ in 0..2 {
            login_from(&app, STRANGER, "ada", WRONG, None).await;
        }
        let locked = login_from(&app, STRANGER, "ada", PASSWORD, None).await;
        assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(retry_after(&locked), expected);
        tokio::time::sleep(Duration::from_millis(expected * 1000 + 100)).await;
    }
    // A success resets the doubling.
    assert_eq!(
        login_from(&app, STRANGER, "ada", PASSWORD, None)
            .await
            .status(),
        StatusCode::OK
    );
    for _ in 0..2 {
        login_from(&app, STRANGER, "ada", WRONG, None).await;
    }
    let locked = login_from(&app, STRANGER, "ada", PASSWORD, None).await;
    assert_eq!(retry_after(&locked), 1);
}

#[tokio::test]
async fn a_spoofed_left_forwarded_for_entry_neither_dodges_the_rate_limit_nor_reaches_the_audit() {
    let app = behind_a_proxy(|c| c.users.rate_limit.login_per_minute = 3).await;
    let ada = app.register("ada").await;
    // The client writes any address it likes; the proxy appends the one it really saw.
    for i in 0..3 {
        let chain = format!("10.66.0.{i}, {OWNER}");
        let response = login_from(&app, &chain, "ada", PASSWORD, None).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let refused = login_from(&app, &format!("10.66.0.9, {OWNER}"), "ada", PASSWORD, None).await;
    assert_eq!(
        problem(refused, StatusCode::TOO_MANY_REQUESTS).await["code"],
        "rate_limited"
    );
    let (ip,): (String,) = sqlx::query_as(
        "SELECT host(ip) FROM users.audit_events WHERE user_id = $1 AND event = 'login'
         ORDER BY occurred_at DESC LIMIT 1",
    )
    .bind(ada["id"].as_str().unwrap().parse::<uuid::Uuid>().unwrap())
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(ip, OWNER);
}

#[tokio::test]
async fn without_trusted_proxies_forwarded_for_is_ignored() {
    let app = TestApp::spawn_with(|c| c.users.rate_limit.login_per_minute = 2).await;
    app.register("ada").await;
    for i in 0..2 {
        let response = login_from(&app, &format!("10.66.0.{i}"), "ada", PASSWORD, None).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let refused = login_from(&app, "10.66.0.9", "ada", PASSWORD, None).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
}
