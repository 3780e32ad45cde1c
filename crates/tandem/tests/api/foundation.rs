//! The platform behaviour every service shares.

use crate::helpers::{TestApp, problem};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn health_lists_postgres_and_redis_as_up() {
    let app = TestApp::spawn().await;
    for path in ["/health", "/health/ready"] {
        let response = app.get(path, None).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], "ok");
        for dependency in ["postgres", "redis"] {
            assert_eq!(body["checks"][dependency]["status"], "up", "{body}");
            assert!(
                body["checks"][dependency]["latency_ms"].is_number(),
                "{body}"
            );
        }
    }
}

#[tokio::test]
async fn liveness_answers_while_the_process_is_up() {
    let app = TestApp::spawn().await;
    let response = app.get("/health/live", None).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn readiness_is_503_naming_redis_when_redis_is_unreachable() {
    let app = TestApp::spawn_with(|c| {
        // Nothing listens on port 1.
        c.platform.redis.url = "redis://127.0.0.1:1".to_owned().into();
        c.platform.redis.timeout_ms = 300;
    })
    .await;
    for path in ["/health", "/health/ready"] {
        let body = problem(app.get(path, None).await, StatusCode::SERVICE_UNAVAILABLE).await;
        assert_eq!(body["code"], "dependency_unavailable");
        assert_eq!(body["unavailable"], serde_json::json!(["redis"]), "{body}");
        assert_eq!(body["checks"]["redis"]["status"], "down");
        assert_eq!(body["checks"]["postgres"]["status"], "up");
    }
    // Liveness does not depend on Redis.
    assert_eq!(app.get("/health/live", None).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = TestApp::spawn().await;
    let body = problem(app.get("/no/such/thing", None).await, StatusCode::NOT_FOUND).await;
    assert_eq!(body["code"], "not_found");
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem_with_allow() {
    let app = TestApp::spawn().await;
    let response = app.delete("/auth/login", None).await;
    assert!(response.headers().contains_key("allow"));
    let body = problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
    assert_eq!(body["code"], "method_not_allowed");
}

#[tokio::test]
async fn malformed_json_is_a_400_problem_carrying_the_request_id() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/auth/register"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    let body = problem(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(body["code"], "malformed_json");
    assert!(!body["request_id"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415_problem() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/auth/register"))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    let body = problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    assert_eq!(body["code"], "unsupported_media_type");
}

#[tokio::test]
async fn an_oversized_body_is_a_413_problem_carrying_the_request_id() {
    let app = TestApp::spawn_with(|c| c.platform.server.body_limit_bytes = 1024).await;
    let big = serde_json::json!({ "email": "a@example.com", "display_name": "x".repeat(4096) });
    let response = app.post("/auth/register", &big, None).await;
    let body = problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(body["code"], "payload_too_large");
    assert!(!body["request_id"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn the_default_body_limit_rejects_multi_megabyte_json() {
    let app = TestApp::spawn().await;
    let big = serde_json::json!({ "email": "a@example.com", "display_name": "x".repeat(3 * 1024 * 1024) });
    problem(
        app.post("/auth/register", &big, None).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let app = TestApp::spawn().await;
    for path in ["/health", "/no/such/thing"] {
        let response = app.get(path, None).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
    }
}

#[tokio::test]
async fn hsts_is_sent_only_when_enabled() {
    let plain = TestApp::spawn().await;
    assert!(
        !plain
            .get("/health", None)
            .await
            .headers()
            .contains_key("strict-transport-security")
    );
    let tls = TestApp::spawn_with(|c| c.platform.server.hsts = true).await;
    assert!(
        tls.get("/health", None)
            .await
            .headers()
            .contains_key("strict-transport-security")
    );
}

#[tokio::test]
async fn a_request_id_is_generated_or_echoed() {
    let app = TestApp::spawn().await;
    let generated = app.get("/health", None).await;
    assert!(!generated.headers()["x-request-id"].is_empty());
    let echoed = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-me-42");
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = TestApp::spawn_with(|c| {
        c.platform.server.cors_allowed_origins = vec!["https://docs.example.com".into()]
    })
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/auth/login"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let allowed = preflight("https://docs.example.com").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://docs.example.com"
    );
    let refused = preflight("https://evil.example.net").await.unwrap();
    assert!(
        !refused
            .headers()
            .contains_key("access-control-allow-origin")
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_status() {
    let app = TestApp::spawn().await;
    app.get("/health", None).await;
    app.get("/users/01900000-0000-7000-8000-000000000000", None)
        .await;
    let response = app.get("/metrics", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(
        text.contains(
            "tandem_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 1"
        ),
        "{text}"
    );
    // The template, never the raw path with the id in it.
    assert!(
        text.contains("route=\"/users/{id}\",status=\"401\""),
        "{text}"
    );
    assert!(!text.contains("01900000-0000"), "{text}");
    assert!(
        text.contains("tandem_http_request_duration_seconds_bucket"),
        "{text}"
    );
}

#[tokio::test]
async fn metrics_need_the_token_when_one_is_configured() {
    let app = TestApp::spawn_with(|c| {
        c.platform.server.metrics_token = Some("scrape-secret".to_owned().into())
    })
    .await;
    problem(app.get("/metrics", None).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(
        app.get("/metrics", Some("wrong")).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/metrics", Some("scrape-secret")).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn invented_http_methods_are_counted_under_one_label() {
    let app = TestApp::spawn().await;
    for method in ["QQQCHECK", "BREW", "WHATEVER1"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        app.client
            .request(method, app.url("/health"))
            .send()
            .await
            .unwrap();
    }
    let text = app.get("/metrics", None).await.text().await.unwrap();
    assert!(
        !text.contains("QQQCHECK") && !text.contains("BREW"),
        "{text}"
    );
    assert!(
        text.contains(
            "tandem_http_requests_total{method=\"other\",route=\"/health\",status=\"405\"} 3"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn metrics_answer_only_callers_on_this_machine_by_default() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/metrics", None).await.status(), StatusCode::OK);
    // A proxy on the same host forwarding an outside request adds one of these.
    for header in ["x-forwarded-for", "forwarded", "x-real-ip"] {
        let response = app
            .client
            .get(app.url("/metrics"))
            .header(header, "203.0.113.9")
            .send()
            .await
            .unwrap();
        let body = problem(response, StatusCode::FORBIDDEN).await;
        assert_eq!(body["code"], "metrics_forbidden", "{header}");
    }
}

#[tokio::test]
async fn a_metrics_listener_serves_metrics_and_the_main_port_then_does_not() {
    let app = TestApp::spawn_with(|c| {
        c.platform.server.metrics_listen = Some("127.0.0.1:0".to_owned());
    })
    .await;
    app.get("/health", None).await;
    problem(app.get("/metrics", None).await, StatusCode::NOT_FOUND).await;
    let scrape = format!("{}/metrics", app.metrics_address.as_ref().unwrap());
    let response = app
        .client
        .get(&scrape)
        .header("x-forwarded-for", "10.0.0.7")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(text.contains("route=\"/health\""), "{text}");
    let other = format!("{}/health", app.metrics_address.as_ref().unwrap());
    let response = app.client.get(&other).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_openapi_document_and_swagger_ui_are_served() {
    let app = TestApp::spawn().await;
    let spec: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    for path in [
        "/auth/register",
        "/auth/login",
        "/auth/refresh",
        "/auth/me",
        "/users/{id}",
    ] {
        assert!(
            spec["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
    let ui = app.get("/docs/", None).await;
    assert_eq!(ui.status(), StatusCode::OK);
    assert!(ui.text().await.unwrap().contains("swagger"));
}

#[tokio::test]
async fn each_service_keeps_its_migration_history_in_its_own_schema() {
    let app = TestApp::spawn().await;
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM users._sqlx_migrations")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(count >= 2);
    let (public,): (bool,) =
        sqlx::query_as("SELECT to_regclass('public._sqlx_migrations') IS NOT NULL")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(!public, "no shared migration table in public");
}

#[tokio::test]
async fn user_endpoints_carry_request_and_response_examples_in_the_openapi_document() {
    let app = TestApp::spawn().await;
    let spec: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    let schemas = &spec["components"]["schemas"];
    for name in [
        "RegisterRequest",
        "LoginRequest",
        "RefreshRequest",
        "UserResponse",
        "TokenResponse",
        "PublicUser",
    ] {
        assert!(!schemas[name]["example"].is_null(), "{name} has no example");
    }
}
