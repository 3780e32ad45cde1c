//! Browser mode: the refresh token in an HttpOnly cookie, never in JavaScript's reach.

use crate::helpers::{PASSWORD, TestApp, problem};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::{Value, json};

const BROWSER: (&str, &str) = ("x-tandem-browser", "1");

/// The value of the `tandem_refresh` cookie a response sets, and the whole header.
fn refresh_cookie(response: &reqwest::Response) -> (String, String) {
    let header = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("tandem_refresh="))
        .expect("a tandem_refresh cookie");
    let value = header["tandem_refresh=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    (value, header)
}

async fn browser_login(app: &TestApp, username: &str) -> reqwest::Response {
    app.client
        .post(app.url("/auth/login"))
        .header(BROWSER.0, BROWSER.1)
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
}

async fn browser_refresh(app: &TestApp, cookie: &str, with_header: bool) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/auth/refresh"))
        .header(COOKIE, format!("theme=dark; tandem_refresh={cookie}"))
        .json(&json!({}));
    if with_header {
        request = request.header(BROWSER.0, BROWSER.1);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_browser_login_sets_the_refresh_token_as_an_http_only_cookie_and_not_in_the_body() {
    let app = TestApp::spawn().await;
    app.register("ada").await;
    let response = browser_login(&app, "ada").await;
    assert_eq!(response.status(), StatusCode::OK);
    let (token, header) = refresh_cookie(&response);
    assert!(token.starts_with("tdr_"));
    for part in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/auth",
        "Max-Age=",
    ] {
        assert!(header.contains(part), "{header} lacks {part}");
    }
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert!(body["access_token"].is_string());
    assert!(body["refresh_token_expires_at"].is_string());
}

#[tokio::test]
async fn the_cookie_refreshes_and_rotates_with_the_browser_header() {
    let app = TestApp::spawn().await;
    app.register("ada").await;
    let (first, _) = refresh_cookie(&browser_login(&app, "ada").await);
    let response = browser_refresh(&app, &first, true).await;
    assert_eq!(response.status(), StatusCode::OK);
    let (second, _) = refresh_cookie(&response);
    assert_ne!(first, second);
    let body: Value = response.json().await.unwrap();
    assert!(body.get("refresh_token").is_none());
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/auth/me", Some(access)).await.status(),
        StatusCode::OK
    );
    // The rotated cookie works in turn.
    assert_eq!(
        browser_refresh(&app, &second, true).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn two_tabs_refreshing_with_one_cookie_at_once_stay_signed_in() {
    let app = TestApp::spawn().await;
    app.register("ada").await;
    let (cookie, _) = refresh_cookie(&browser_login(&app, "ada").await);
    let (a, b) = tokio::join!(
        browser_refresh(&app, &cookie, true),
        browser_refresh(&app, &cookie, true)
    );
    assert_eq!(a.status(), StatusCode::OK);
    assert_eq!(b.status(), StatusCode::OK);
    assert_eq!(refresh_cookie(&a).0, refresh_cookie(&b).0);
}

#[tokio::test]
async fn the_cookie_without_the_browser_header_is_refused_as_a_possible_cross_site_request() {
    let app = TestApp::spawn().await;
    app.register("ada").await;
    let (cookie, _) = refresh_cookie(&browser_login(&app, "ada").await);
    let p = problem(
        browser_refresh(&app, &cookie, false).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(p["code"], "browser_header_required");
    // And the refused attempt did not use the token up.
    assert_eq!(
        browser_refresh(&app, &cookie, true).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_dead_cookie_is_refused_and_cleared() {
    let app = TestApp::spawn().await;
    let response = browser_refresh(&app, "tdr_doesnotexist", true).await;
    let (value, header) = refresh_cookie(&response);
    assert_eq!(value, "");
    assert!(header.contains("Max-Age=0"));
    let p = problem(response, StatusCode::UNAUTHORIZED).await;
    assert_eq!(p["code"], "invalid_refresh_token");
    // Browser mode with no cookie at all is a plain 401, not a validation error.
    let bare = app
        .client
        .post(app.url("/auth/refresh"))
        .header(BROWSER.0, BROWSER.1)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    problem(bare, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn logout_clears_the_cookie_and_ends_its_session() {
    let app = TestApp::spawn().await;
    app.register("ada").await;
    let login = browser_login(&app, "ada").await;
    let (cookie, _) = refresh_cookie(&login);
    let body: Value = login.json().await.unwrap();
    let access = body["access_token"].as_str().unwrap();
    let logout = app.post("/auth/logout", &json!({}), Some(access)).await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let (cleared, header) = refresh_cookie(&logout);
    assert_eq!(cleared, "");
    assert!(header.contains("Max-Age=0"));
    problem(
        browser_refresh(&app, &cookie, true).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn api_clients_keep_the_token_in_the_body_and_get_no_cookie() {
    let app = TestApp::spawn().await;
    app.register("ada").await;
    let response = app.login("ada", PASSWORD).await;
    assert!(response.headers().get(SET_COOKIE).is_none());
    let body: Value = response.json().await.unwrap();
    assert!(body["refresh_token"].is_string());
}
