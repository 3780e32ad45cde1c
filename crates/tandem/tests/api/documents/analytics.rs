//! Usage analytics: recorded through the real endpoints, buffered in Redis, flushed to
//! PostgreSQL by the background job (every second here), read back over HTTP.

use crate::helpers::{TestApp, Tokens, fields, problem};
use chrono::{Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn spawn() -> TestApp {
    TestApp::spawn_with(|c| c.documents.analytics_flush_secs = 1).await
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

async fn analytics(app: &TestApp, token: &str, id: &str, query: &str) -> reqwest::Response {
    app.get(&format!("/documents/{id}/analytics{query}"), Some(token))
        .await
}

/// The analytics of `id` once `done` holds for them; figures lag by a flush interval, so
/// this asks again for up to ten seconds.
async fn analytics_when(
    app: &TestApp,
    token: &str,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let mut last = Value::Null;
    for _ in 0..50 {
        let response = analytics(app, token, id, "").await;
        assert_eq!(response.status(), StatusCode::OK);
        last = response.json().await.unwrap();
        if done(&last) {
            return last;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("the analytics never got there: {last}");
}

async fn view(app: &TestApp, token: &str, id: &str, times: usize) {
    for _ in 0..times {
        let response = app.get(&format!("/documents/{id}"), Some(token)).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
}

/// Per-user rows: (views, edits, exports, shares) of `user` on `id`, today.
async fn user_counts(app: &TestApp, id: &str, user: &Tokens) -> (i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT views, edits, exports, shares FROM documents.analytics_user_daily
         WHERE document_id = $1 AND user_id = $2 AND day = $3",
    )
    .bind(id.parse::<uuid::Uuid>().unwrap())
    .bind(user.user_id.parse::<uuid::Uuid>().unwrap())
    .bind(today())
    .fetch_optional(&app.db)
    .await
    .unwrap()
    .unwrap_or_default()
}

#[tokio::test]
async fn views_edits_exports_and_shares_are_counted_per_document_and_per_user() {
    let app = spawn().await;
    let ada = app.signed_up("ada").await;
    let grace = app.signed_up("grace").await;
    let doc = app.create_document(&ada.access, "Counted", "one").await;
    let id = doc["id"].as_str().unwrap();
    let other = app.create_document(&ada.access, "Other", "").await;
    let other = other["id"].as_str().unwrap();

    assert_eq!(
        app.share(&ada.access, id, "grace", "write").await.status(),
        StatusCode::OK
    );
    view(&app, &ada.access, id, 2).await;
    view(&app, &grace.access, id, 1).await;
    view(&app, &ada.access, other, 4).await;
    let edit = app.update_document(&grace.access, id, 1, "two").await;
    assert_eq!(edit.status(), StatusCode::OK);
    let edit = app.update_document(&ada.access, id, 2, "three").await;
    assert_eq!(edit.status(), StatusCode::OK);
    // A save that changes nothing creates no version, so it is no edit.
    let same = app.update_document(&ada.access, id, 3, "three").await;
    assert_eq!(same.status(), StatusCode::OK);
    let restore = app
        .post(
            &format!("/documents/{id}/versions/1/restore"),
            &json!({}),
            Some(&ada.access),
        )
        .await;
    assert_eq!(restore.status(), StatusCode::OK);
    let export = app
        .get(
            &format!("/documents/{id}/export?format=md"),
            Some(&grace.access),
        )
        .await;
    assert_eq!(export.status(), StatusCode::OK);

    let body = analytics_when(&app, &ada.access, id, |b| {
        b["totals"]["views"] == 3
            && b["totals"]["edits"] == 3
            && b["totals"]["exports"] == 1
            && b["totals"]["shares"] == 1
    })
    .await;
    assert_eq!(body["document_id"], id);
    assert_eq!(body["totals"]["unique_viewers"], 2);
    assert_eq!(
        body["top_editors"],
        json!([{"user_id": ada.user_id, "edits": 2}, {"user_id": grace.user_id, "edits": 1}])
    );
    let last = body["days"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["day"], today().to_string());
    assert_eq!(
        (
            &last["views"],
            &last["edits"],
            &last["exports"],
            &last["shares"]
        ),
        (&json!(3), &json!(3), &json!(1), &json!(1))
    );
    assert_eq!(user_counts(&app, id, &ada).await, (2, 2, 0, 1));
    assert_eq!(user_counts(&app, id, &grace).await, (1, 1, 1, 0));

    let other = analytics_when(&app, &ada.access, other, |b| b["totals"]["views"] == 4).await;
    assert_eq!(other["totals"]["edits"], 0);
    assert_eq!(other["top_editors"], json!([]));
}

#[tokio::test]
async fn unique_viewers_counts_each_user_once() {
    let app = spawn().await;
    let ada = app.signed_up("ada").await;
    let grace = app.signed_up("grace").await;
    let doc = app.create_document(&ada.access, "Popular", "").await;
    let id = doc["id"].as_str().unwrap();
    app.share(&ada.access, id, "grace", "read").await;

    view(&app, &ada.access, id, 3).await;
    view(&app, &grace.access, id, 3).await;

    let body = analytics_when(&app, &ada.access, id, |b| b["totals"]["views"] == 6).await;
    assert_eq!(body["totals"]["unique_viewers"], 2);
    let today = body["days"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(today["unique_viewers"], 2, "{today}");
}

#[tokio::test]
async fn the_series_has_every_day_of_the_range_with_zeros_for_quiet_days() {
    let app = spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Quiet", "").await;
    let id = doc["id"].as_str().unwrap();
    view(&app, &ada.access, id, 1).await;
    analytics_when(&app, &ada.access, id, |b| b["totals"]["views"] == 1).await;

    let from = today() - Duration::days(6);
    let body: Value = analytics(
        &app,
        &ada.access,
        id,
        &format!("?from={from}&to={}", today()),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(body["from"], from.to_string());
    let days = body["days"].as_array().unwrap();
    let dates: Vec<_> = days.iter().map(|d| d["day"].as_str().unwrap()).collect();
    let expected: Vec<_> = (0..7)
        .map(|n| (from + Duration::days(n)).to_string())
        .collect();
    assert_eq!(dates, expected);
    for day in &days[..6] {
        assert_eq!(
            day,
            &json!({"day": day["day"], "views": 0, "edits": 0, "exports": 0, "shares": 0, "unique_viewers": 0})
        );
    }
    assert_eq!(days[6]["views"], 1);

    // A range in the past has nothing, but every day is still there.
    let past: Value = analytics(&app, &ada.access, id, "?from=2024-02-27&to=2024-03-01")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(past["days"].as_array().unwrap().len(), 4, "{past}");
    assert_eq!(past["totals"]["views"], 0);

    // Without a range: the last 30 days, ending today.
    let default: Value = analytics(&app, &ada.access, id, "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(default["days"].as_array().unwrap().len(), 30);
    assert_eq!(default["to"], today().to_string());
}

#[tokio::test]
async fn only_the_owner_or_an_admin_can_read_analytics() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let admin = app.signed_up("admin").await;
    let writer = app.signed_up("writer").await;
    let reader = app.signed_up("reader").await;
    let stranger = app.signed_up("stranger").await;
    let doc = app
        .create_document(&ada.access, "Private figures", "")
        .await;
    let id = doc["id"].as_str().unwrap();
    for (user, role) in [("admin", "admin"), ("writer", "write"), ("reader", "read")] {
        assert_eq!(
            app.share(&ada.access, id, user, role).await.status(),
            StatusCode::OK
        );
    }

    for token in [&ada.access, &admin.access] {
        assert_eq!(
            analytics(&app, token, id, "").await.status(),
            StatusCode::OK
        );
    }
    for token in [&writer.access, &reader.access] {
        problem(analytics(&app, token, id, "").await, StatusCode::FORBIDDEN).await;
    }
    problem(
        analytics(&app, &stranger.access, id, "").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let missing = uuid::Uuid::now_v7();
    problem(
        analytics(&app, &ada.access, &missing.to_string(), "").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        app.get(&format!("/documents/{id}/analytics"), None).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn bad_dates_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Dated", "").await;
    let id = doc["id"].as_str().unwrap();

    for (query, status, expected) in [
        ("?from=2025-13-01", StatusCode::BAD_REQUEST, vec!["from"]),
        ("?to=yesterday", StatusCode::BAD_REQUEST, vec!["to"]),
        (
            "?from=01/03/2025&to=2025-02-30",
            StatusCode::BAD_REQUEST,
            vec!["from", "to"],
        ),
        (
            "?from=2025-03-02&to=2025-03-01",
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["from"],
        ),
        (
            "?from=2024-01-01&to=2025-01-01",
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["to"],
        ),
    ] {
        let body = problem(analytics(&app, &ada.access, id, query).await, status).await;
        assert_eq!(fields(&body), expected, "{query}: {body}");
    }
    // 366 days, a leap year, is the longest range allowed.
    let year = analytics(&app, &ada.access, id, "?from=2024-01-01&to=2024-12-31").await;
    assert_eq!(year.status(), StatusCode::OK);
    let year: Value = year.json().await.unwrap();
    assert_eq!(year["days"].as_array().unwrap().len(), 366);
}

#[tokio::test]
async fn the_analytics_endpoint_is_in_the_openapi_document() {
    let app = TestApp::spawn().await;
    let spec: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    let operation = &spec["paths"]["/documents/{id}/analytics"]["get"];
    assert!(operation.is_object(), "missing from the OpenAPI document");
    assert!(operation["responses"]["200"].is_object());
    assert!(spec["components"]["schemas"]["AnalyticsResponse"].is_object());
}
