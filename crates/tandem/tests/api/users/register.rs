use crate::helpers::{PASSWORD, TestApp, fields, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn body(email: &str, username: &str, password: &str, display_name: &str) -> Value {
    json!({"email": email, "username": username, "password": password, "display_name": display_name})
}

#[tokio::test]
async fn registering_returns_201_with_the_user_and_never_the_password_hash() {
    let app = TestApp::spawn().await;
    let response = app
        .post(
            "/auth/register",
            &body(" Ada@Example.com ", "Ada_L", PASSWORD, "Ada Lovelace"),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let text = response.text().await.unwrap();
    assert!(!text.contains("password"), "{text}");
    assert!(!text.contains("$2b$"), "{text}");
    let user: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["username"], "ada_l");
    assert_eq!(user["display_name"], "Ada Lovelace");
    assert!(user["id"].as_str().unwrap().parse::<uuid::Uuid>().is_ok());
    // Stored as a bcrypt hash at the configured cost.
    let (hash,): (String,) = sqlx::query_as("SELECT password_hash FROM users.accounts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(hash.starts_with("$2b$04$"), "{hash}");
}

#[tokio::test]
async fn a_duplicate_email_or_username_is_409_whatever_its_case() {
    let app = TestApp::spawn().await;
    app.register("ada").await;
    let same_email = app
        .post(
            "/auth/register",
            &body("ADA@example.com", "other", PASSWORD, "x"),
            None,
        )
        .await;
    let p = problem(same_email, StatusCode::CONFLICT).await;
    assert_eq!(p["code"], "email_taken");
    assert_eq!(fields(&p), ["email"]);
    let same_username = app
        .post(
            "/auth/register",
            &body("new@example.com", "ADA", PASSWORD, "x"),
            None,
        )
        .await;
    let p = problem(same_username, StatusCode::CONFLICT).await;
    assert_eq!(p["code"], "username_taken");
    assert_eq!(fields(&p), ["username"]);
}

#[tokio::test]
async fn one_mailbox_is_one_account_whatever_its_unicode_spelling() {
    let app = TestApp::spawn().await;
    // `josé` with a precomposed é (NFC), and a domain in Unicode.
    let nfc = "jos\u{e9}@b\u{fc}cher.example";
    let created = app
        .post("/auth/register", &body(nfc, "jose", PASSWORD, "José"), None)
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let user: Value = created.json().await.unwrap();
    assert_eq!(user["email"], nfc);
    // The same address with e + combining acute (NFD), and the domain in punycode.
    for twin in [
        "jose\u{301}@b\u{fc}cher.example",
        "JOS\u{c9}@xn--bcher-kva.example",
    ] {
        let response = app
            .post("/auth/register", &body(twin, "other", PASSWORD, "x"), None)
            .await;
        assert_eq!(
            problem(response, StatusCode::CONFLICT).await["code"],
            "email_taken",
            "{twin}"
        );
        let login = app
            .post(
                "/auth/login",
                &json!({"email": twin, "password": PASSWORD}),
                None,
            )
            .await;
        assert_eq!(login.status(), StatusCode::OK, "{twin}");
    }
}

#[tokio::test]
async fn every_invalid_field_is_named_in_one_422() {
    let app = TestApp::spawn().await;
    let response = app
        .post(
            "/auth/register",
            &body("not-an-email", "a", "short", "  "),
            None,
        )
        .await;
    let p = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["code"], "validation_failed");
    let mut named = fields(&p);
    named.sort();
    assert_eq!(named, ["display_name", "email", "password", "username"]);
}

#[tokio::test]
async fn a_missing_field_is_named() {
    let app = TestApp::spawn().await;
    let response = app
        .post(
            "/auth/register",
            &json!({"email": "a@example.com", "username": "abc", "password": PASSWORD}),
            None,
        )
        .await;
    let p = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&p), ["display_name"]);
}

#[tokio::test]
async fn a_weak_password_is_refused_with_zxcvbn_advice() {
    let app = TestApp::spawn().await;
    let response = app
        .post(
            "/auth/register",
            &body("a@example.com", "abc", "password1234", "A"),
            None,
        )
        .await;
    let p = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let message = p["errors"][0]["message"].as_str().unwrap();
    assert_eq!(p["errors"][0]["field"], "password");
    assert!(message.contains("too easy to guess"), "{message}");
    assert!(
        message.len() > "is too easy to guess".len() + 10,
        "advice included: {message}"
    );
}

#[tokio::test]
async fn a_password_over_72_bytes_is_refused_not_truncated() {
    let app = TestApp::spawn().await;
    let long = format!("{PASSWORD} {}", "x".repeat(60));
    let response = app
        .post(
            "/auth/register",
            &body("a@example.com", "abc", &long, "A"),
            None,
        )
        .await;
    let p = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("72 bytes")
    );
}

#[tokio::test]
async fn a_password_containing_the_username_is_refused() {
    let app = TestApp::spawn().await;
    let response = app
        .post(
            "/auth/register",
            &body("a@example.com", "zebra", "zebra horse battery staple", "A"),
            None,
        )
        .await;
    let p = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("username")
    );
}

#[tokio::test]
async fn script_tags_and_sql_injection_strings_never_get_through_any_text_field() {
    let app = TestApp::spawn().await;
    let attacks = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "' OR '1'='1",
        "x'); DROP TABLE users.accounts; --",
    ];
    for (i, attack) in attacks.iter().enumerate() {
        for field in ["email", "username", "display_name"] {
            let mut b = body(
                &format!("u{i}{field}@example.com"),
                &format!("u{i}{field}"),
                PASSWORD,
                "Name",
            );
            b[field] = json!(attack);
            let response = app.post("/auth/register", &b, None).await;
            let status = response.status();
            let text = response.text().await.unwrap();
            if status == StatusCode::CREATED {
                // Only prose-like SQL strings in the display name are legitimate text:
                // stored verbatim as data, never executed, never markup.
                assert_eq!(field, "display_name", "{attack} accepted in {field}");
                assert!(!attack.contains('<'));
                let user: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(user["display_name"], *attack);
            } else {
                assert_eq!(
                    status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{field}={attack}: {text}"
                );
            }
        }
    }
    // The table is intact and holds only the accepted rows.
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM users.accounts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 2);
}

#[tokio::test]
async fn registration_is_rate_limited_per_ip() {
    let app = TestApp::spawn_with(|c| c.users.rate_limit.register_per_minute = 2).await;
    app.register("one").await;
    app.register("two").await;
    let response = app
        .post(
            "/auth/register",
            &body("three@example.com", "three", PASSWORD, "x"),
            None,
        )
        .await;
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(response.headers()["ratelimit-limit"], "2");
    assert_eq!(response.headers()["ratelimit-remaining"], "0");
    let p = problem(response, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(p["code"], "rate_limited");
}
