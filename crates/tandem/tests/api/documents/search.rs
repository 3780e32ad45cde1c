use crate::helpers::{TestApp, fields, problem};
use reqwest::StatusCode;
use serde_json::Value;

async fn search(app: &TestApp, token: &str, q: &str) -> Vec<Value> {
    let url = format!("/documents/search?q={}", urlencode(q));
    let response = app.get(&url, Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK, "{q}");
    let body: Value = response.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn titles(hits: &[Value]) -> Vec<&str> {
    hits.iter().map(|h| h["title"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn search_ranks_title_matches_first_and_highlights_safely() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    app.create_document(
        &ada.access,
        "Gardening notes",
        "Tomatoes need sun. <script>alert(1)</script>",
    )
    .await;
    app.create_document(&ada.access, "Budget", "The gardening budget is small.")
        .await;
    app.create_document(&ada.access, "Unrelated", "Nothing here.")
        .await;
    let hits = search(&app, &ada.access, "gardening").await;
    assert_eq!(titles(&hits), ["Gardening notes", "Budget"]);
    assert!(
        hits[1]["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>gardening</mark>"),
        "{}",
        hits[1]
    );
    let hits = search(&app, &ada.access, "tomatoes").await;
    let snippet = hits[0]["snippet"].as_str().unwrap();
    assert!(!snippet.contains("<script>"), "{snippet}");
    assert!(snippet.contains("<mark>Tomatoes</mark>"), "{snippet}");
}

#[tokio::test]
async fn search_understands_phrases_or_and_exclusion() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    app.create_document(&ada.access, "A", "red apple pie").await;
    app.create_document(&ada.access, "B", "apple red wine")
        .await;
    app.create_document(&ada.access, "C", "green pear").await;
    let mut phrase = titles(&search(&app, &ada.access, "\"red apple\"").await).join(",");
    assert_eq!(phrase, "A");
    let mut either: Vec<&str> = vec![];
    let or_hits = search(&app, &ada.access, "pie OR pear").await;
    either.extend(titles(&or_hits));
    either.sort();
    assert_eq!(either, ["A", "C"]);
    phrase = titles(&search(&app, &ada.access, "apple -wine").await).join(",");
    assert_eq!(phrase, "A");
}

#[tokio::test]
async fn search_sees_only_documents_the_caller_can_read() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let grace = app.signed_up("grace").await;
    app.create_document(&grace.access, "Private plans", "quarterly secret")
        .await;
    let shared = app
        .create_document(&grace.access, "Shared plans", "quarterly public")
        .await;
    app.share(&grace.access, shared["id"].as_str().unwrap(), "ada", "read")
        .await;
    let hits = search(&app, &ada.access, "quarterly").await;
    assert_eq!(titles(&hits), ["Shared plans"]);
    assert_eq!(hits[0]["role"], "read");
}

#[tokio::test]
async fn search_pages_through_results() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    for i in 0..5 {
        app.create_document(&ada.access, &format!("Report {i}"), "quarterly figures")
            .await;
    }
    let first: Value = app
        .get("/documents/search?q=quarterly&limit=3", Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value = app
        .get(
            &format!("/documents/search?q=quarterly&limit=3&cursor={cursor}"),
            Some(&ada.access),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    assert_eq!(second["items"].as_array().unwrap().len(), 2);
    assert!(second["next_cursor"].is_null());
}

#[tokio::test]
async fn an_empty_or_missing_query_is_a_400_naming_q() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    for path in [
        "/documents/search?q=",
        "/documents/search?q=%20%20",
        "/documents/search",
    ] {
        let p = problem(
            app.get(path, Some(&ada.access)).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(fields(&p), ["q"], "{path}");
    }
}
