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

/// One page of `GET /documents/search?{params}` (already encoded).
async fn search_page(app: &TestApp, token: &str, params: &str) -> Value {
    let response = app
        .get(&format!("/documents/search?{params}"), Some(token))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{params}");
    response.json().await.unwrap()
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
    let first: Value = search_page(&app, &ada.access, "q=quarterly&limit=3").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value = search_page(
        &app,
        &ada.access,
        &format!("q=quarterly&limit=3&cursor={cursor}"),
    )
    .await;
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    assert_eq!(second["items"].as_array().unwrap().len(), 2);
    assert!(second["next_cursor"].is_null());
    assert_eq!(first["truncated"], false);
}

#[tokio::test]
async fn truncated_says_whether_the_window_cut_matches_off() {
    let app = TestApp::spawn_with(|c| c.documents.search_window = 2).await;
    let ada = app.signed_up("ada").await;
    app.create_document(&ada.access, "One", "quarterly").await;
    app.create_document(&ada.access, "Two", "quarterly").await;
    let exactly_full = search_page(&app, &ada.access, "q=quarterly").await;
    assert_eq!(exactly_full["items"].as_array().unwrap().len(), 2);
    assert_eq!(exactly_full["truncated"], false);
    app.create_document(&ada.access, "Three", "quarterly").await;
    let over = search_page(&app, &ada.access, "q=quarterly").await;
    assert_eq!(titles(over["items"].as_array().unwrap()).len(), 2);
    assert_eq!(over["truncated"], true);
    let none = search_page(&app, &ada.access, "q=nothingmatches").await;
    assert_eq!(none["truncated"], false);
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

#[tokio::test]
async fn search_follows_every_change_of_access() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let grace = app.signed_up("grace").await;
    let doc = app
        .create_document(&grace.access, "Plans", "quarterly plans")
        .await;
    let id = doc["id"].as_str().unwrap();
    assert!(search(&app, &ada.access, "quarterly").await.is_empty());

    app.share(&grace.access, id, "ada", "read").await;
    assert_eq!(
        search(&app, &ada.access, "quarterly").await[0]["role"],
        "read"
    );
    app.share(&grace.access, id, "ada", "admin").await;
    assert_eq!(
        search(&app, &ada.access, "quarterly").await[0]["role"],
        "admin"
    );

    let revoked = app
        .delete(
            &format!("/documents/{id}/share/{}", ada.user_id),
            Some(&grace.access),
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert!(search(&app, &ada.access, "quarterly").await.is_empty());
    // The owner never loses it, and nothing is left of ada in the row.
    assert_eq!(search(&app, &grace.access, "quarterly").await.len(), 1);
    let (readers,): (Vec<uuid::Uuid>,) =
        sqlx::query_as("SELECT readers FROM documents.documents WHERE id = $1")
            .bind(id.parse::<uuid::Uuid>().unwrap())
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(readers, [grace.user_id.parse::<uuid::Uuid>().unwrap()]);

    let trashed = app
        .delete(&format!("/documents/{id}"), Some(&grace.access))
        .await;
    assert_eq!(trashed.status(), StatusCode::NO_CONTENT);
    assert!(search(&app, &grace.access, "quarterly").await.is_empty());
    let restored = app
        .post(
            &format!("/documents/{id}/restore"),
            &serde_json::json!({}),
            Some(&grace.access),
        )
        .await;
    assert_eq!(restored.status(), StatusCode::OK);
    assert_eq!(search(&app, &grace.access, "quarterly").await.len(), 1);
}

#[tokio::test]
async fn concurrent_shares_of_one_document_all_reach_search() {
    let app = TestApp::spawn().await;
    let owner = app.signed_up("owner").await;
    let mut readers = Vec::new();
    for i in 0..8 {
        readers.push(app.signed_up(&format!("reader{i}")).await);
    }
    let doc = app
        .create_document(&owner.access, "Team notes", "quarterly notes")
        .await;
    let id = doc["id"].as_str().unwrap();
    let names: Vec<String> = (0..8).map(|i| format!("reader{i}")).collect();
    let shares = names
        .iter()
        .map(|name| app.share(&owner.access, id, name, "read"));
    for response in futures::future::join_all(shares).await {
        assert_eq!(response.status(), StatusCode::OK);
    }
    for reader in &readers {
        assert_eq!(search(&app, &reader.access, "quarterly").await.len(), 1);
    }
}

#[tokio::test]
async fn a_search_ranks_and_returns_only_the_most_recent_matches_in_its_window() {
    let app = TestApp::spawn_with(|c| c.documents.search_window = 3).await;
    let ada = app.signed_up("ada").await;
    // The oldest document is the best match (the word in its title), yet falls outside
    // a window of the three most recently changed matches.
    app.create_document(&ada.access, "Quarterly", "quarterly quarterly")
        .await;
    for i in 0..4 {
        app.create_document(&ada.access, &format!("Note {i}"), "quarterly")
            .await;
    }
    let first: Value = search_page(&app, &ada.access, "q=quarterly&limit=2").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value = search_page(
        &app,
        &ada.access,
        &format!("q=quarterly&limit=2&cursor={cursor}"),
    )
    .await;
    assert_eq!(first["truncated"], true, "five matches, a window of three");
    assert_eq!(second["truncated"], true);
    let mut seen: Vec<&str> = titles(first["items"].as_array().unwrap());
    seen.extend(titles(second["items"].as_array().unwrap()));
    seen.sort_unstable();
    assert_eq!(seen, ["Note 1", "Note 2", "Note 3"]);
    assert!(second["next_cursor"].is_null());
    // A cursor past the window is not one this endpoint returned.
    let past = tandem_platform::pagination::encode(&3_i64);
    let response = app
        .get(
            &format!("/documents/search?q=quarterly&cursor={past}"),
            Some(&ada.access),
        )
        .await;
    assert_eq!(
        fields(&problem(response, StatusCode::BAD_REQUEST).await),
        ["cursor"]
    );
}

#[tokio::test]
async fn a_search_page_holds_twenty_hits_unless_asked_for_more() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    for i in 0..21 {
        app.create_document(&ada.access, &format!("Report {i}"), "quarterly")
            .await;
    }
    let page: Value = search_page(&app, &ada.access, "q=quarterly").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 20);
    assert!(page["next_cursor"].is_string());
    let all: Value = search_page(&app, &ada.access, "q=quarterly&limit=100").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 21);
}

#[tokio::test]
async fn readers_always_equal_the_owner_plus_the_shares() {
    let app = TestApp::spawn().await;
    let owner = app.signed_up("owner").await;
    let names = ["ann", "bob", "cat"];
    let mut users = Vec::new();
    for name in names {
        users.push(app.signed_up(name).await);
    }
    let mut ids = Vec::new();
    for i in 0..3 {
        let doc = app
            .create_document(&owner.access, &format!("Doc {i}"), "quarterly")
            .await;
        ids.push(doc["id"].as_str().unwrap().to_owned());
    }
    // A fixed pseudo-random walk of grants, role changes and revokes.
    let mut state = 7_u32;
    for _ in 0..40 {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let id = &ids[(state >> 8) as usize % ids.len()];
        let who = (state >> 12) as usize % names.len();
        let response = match (state >> 16) % 4 {
            0 => {
                let path = format!("/documents/{id}/share/{}", users[who].user_id);
                app.delete(&path, Some(&owner.access)).await
            }
            role => {
                let role = ["read", "write", "admin"][role as usize - 1];
                app.share(&owner.access, id, names[who], role).await
            }
        };
        assert!(response.status().is_success() || response.status() == StatusCode::NOT_FOUND);
    }
    let (wrong,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM documents.documents d
         WHERE d.readers <> ARRAY(
             SELECT u FROM (SELECT d.owner_id AS u
                            UNION SELECT p.user_id FROM documents.permissions p
                            WHERE p.document_id = d.id) r
             ORDER BY u)",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(wrong, 0);
    // And search agrees with the permission rows, user by user.
    for (name, user) in names.iter().zip(&users) {
        let (shared,): (i64,) =
            sqlx::query_as("SELECT count(*) FROM documents.permissions WHERE user_id = $1")
                .bind(user.user_id.parse::<uuid::Uuid>().unwrap())
                .fetch_one(&app.db)
                .await
                .unwrap();
        let found = search(&app, &user.access, "quarterly").await.len();
        assert_eq!(found as i64, shared, "{name}");
    }
}
