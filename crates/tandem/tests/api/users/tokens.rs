//! Access tokens: what is accepted and everything that is not.

use crate::helpers::{TestApp, problem};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn header_of(token: &str) -> Value {
    let header = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
}

/// Signs `claims` with the app's own key: a token that is valid in every way but the one
/// a test changes.
fn sign(app: &TestApp, kid: &str, claims: &Value) -> String {
    let key = EncodingKey::from_ed_pem(app.signing_key_pem().as_bytes()).unwrap();
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

async fn refused(app: &TestApp, token: &str) {
    let body = problem(
        app.get("/auth/me", Some(token)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(body["code"], "unauthorized");
}

#[tokio::test]
async fn the_access_token_carries_the_required_claims() {
    let app = TestApp::spawn().await;
    let tokens = app.signed_up("ada").await;
    let claims = claims_of(&tokens.access);
    for claim in ["sub", "sid", "exp", "iat", "iss", "aud", "jti"] {
        assert!(!claims[claim].is_null(), "{claim} missing: {claims}");
    }
    assert_eq!(claims["sub"], tokens.user_id);
    assert_eq!(claims["iss"], "tandem");
    assert_eq!(claims["aud"], "tandem");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        900
    );
    assert_eq!(header_of(&tokens.access)["alg"], "EdDSA");
}

#[tokio::test]
async fn me_without_a_token_is_401_with_www_authenticate() {
    let app = TestApp::spawn().await;
    let response = app.get("/auth/me", None).await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    problem(response, StatusCode::UNAUTHORIZED).await;
    refused(&app, "not-a-jwt").await;
}

#[tokio::test]
async fn a_tampered_signature_is_refused() {
    let app = TestApp::spawn().await;
    let tokens = app.signed_up("ada").await;
    let mut parts: Vec<String> = tokens.access.split('.').map(str::to_owned).collect();
    let mut signature = URL_SAFE_NO_PAD.decode(&parts[2]).unwrap();
    signature[0] ^= 1;
    parts[2] = URL_SAFE_NO_PAD.encode(signature);
    refused(&app, &parts.join(".")).await;
    // A changed payload with the original signature.
    let mut claims = claims_of(&tokens.access);
    claims["sub"] = json!(uuid::Uuid::now_v7());
    let forged = format!(
        "{}.{}.{}",
        tokens.access.split('.').next().unwrap(),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        tokens.access.split('.').nth(2).unwrap()
    );
    refused(&app, &forged).await;
}

#[tokio::test]
async fn alg_none_is_refused() {
    let app = TestApp::spawn().await;
    let tokens = app.signed_up("ada").await;
    let header = json!({"alg": "none", "typ": "JWT", "kid": header_of(&tokens.access)["kid"]});
    let token = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims_of(&tokens.access).to_string())
    );
    refused(&app, &token).await;
}

#[tokio::test]
async fn an_hs256_token_signed_with_the_public_key_is_refused() {
    let app = TestApp::spawn().await;
    let tokens = app.signed_up("ada").await;
    let jwks: Value = app
        .get("/.well-known/jwks.json", None)
        .await
        .json()
        .await
        .unwrap();
    let public_x = jwks["keys"][0]["x"].as_str().unwrap();
    let kid = header_of(&tokens.access)["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    for secret in [
        public_x.as_bytes().to_vec(),
        URL_SAFE_NO_PAD.decode(public_x).unwrap(),
    ] {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(kid.clone());
        let token = jsonwebtoken::encode(
            &header,
            &claims_of(&tokens.access),
            &EncodingKey::from_secret(&secret),
        )
        .unwrap();
        refused(&app, &token).await;
    }
}

#[tokio::test]
async fn expired_wrong_audience_and_wrong_issuer_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let tokens = app.signed_up("ada").await;
    let kid = header_of(&tokens.access)["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let good = claims_of(&tokens.access);
    // Re-signing the unchanged claims works: the key and kid are right.
    assert_eq!(
        app.get("/auth/me", Some(&sign(&app, &kid, &good)))
            .await
            .status(),
        StatusCode::OK
    );

    let now = chrono::Utc::now().timestamp();
    let mut expired = good.clone();
    expired["iat"] = json!(now - 3600);
    expired["exp"] = json!(now - 60);
    let mut wrong_aud = good.clone();
    wrong_aud["aud"] = json!("someone-else");
    let mut wrong_iss = good.clone();
    wrong_iss["iss"] = json!("https://evil.example");
    let mut no_exp = good.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    for claims in [expired, wrong_aud, wrong_iss, no_exp] {
        refused(&app, &sign(&app, &kid, &claims)).await;
    }
    refused(&app, &sign(&app, "unknown-kid", &good)).await;
}

#[tokio::test]
async fn a_token_is_refused_after_logout() {
    let app = TestApp::spawn().await;
    let tokens = app.signed_up("ada").await;
    assert_eq!(
        app.get("/auth/me", Some(&tokens.access)).await.status(),
        StatusCode::OK
    );
    let logout = app
        .post("/auth/logout", &json!({}), Some(&tokens.access))
        .await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    refused(&app, &tokens.access).await;
    let refresh = app
        .post(
            "/auth/refresh",
            &json!({"refresh_token": tokens.refresh}),
            None,
        )
        .await;
    problem(refresh, StatusCode::UNAUTHORIZED).await;
    let user_id = tokens.user_id.as_str();
    assert_eq!(app.audit(Some(user_id), "logout").await.len(), 1);
}

#[tokio::test]
async fn logout_leaves_the_users_other_sessions_alone() {
    let app = TestApp::spawn().await;
    let laptop = app.signed_up("ada").await;
    let phone = app.signed_in("ada").await;
    app.post("/auth/logout", &json!({}), Some(&laptop.access))
        .await;
    assert_eq!(
        app.get("/auth/me", Some(&phone.access)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_jwks_publishes_the_key_that_verifies_access_tokens() {
    let app = TestApp::spawn().await;
    let tokens = app.signed_up("ada").await;
    let jwks: Value = app
        .get("/.well-known/jwks.json", None)
        .await
        .json()
        .await
        .unwrap();
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwks["keys"][0].clone()).unwrap();
    assert_eq!(
        jwk.common.key_id.as_deref(),
        header_of(&tokens.access)["kid"].as_str()
    );
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(Algorithm::EdDSA);
    validation.set_audience(&["tandem"]);
    let data = jsonwebtoken::decode::<Value>(&tokens.access, &key, &validation).unwrap();
    assert_eq!(data.claims["sub"], tokens.user_id);
    // No private material.
    assert!(jwks["keys"][0]["d"].is_null());
}

#[tokio::test]
async fn the_signing_key_survives_a_restart_so_tokens_stay_valid() {
    let first = TestApp::spawn().await;
    let tokens = first.signed_up("ada").await;
    // A second app instance sharing the data directory, database and Redis: the way
    // several instances behind a load balancer share one key.
    let config = first.config.clone();
    let second = tandem::App::build(config, tandem::Mode::All).await.unwrap();
    let address = format!("http://127.0.0.1:{}", second.port());
    tokio::spawn(second.run_until(std::future::pending()));
    let response = first
        .client
        .get(format!("{address}/auth/me"))
        .bearer_auth(&tokens.access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
