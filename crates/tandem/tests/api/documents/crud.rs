use crate::helpers::{TestApp, fields, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn a_created_document_can_be_read_back_with_an_etag() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let created = app
        .create_document(&ada.access, "Notes", "# Hello\n\nGrüße, café 👋\n")
        .await;
    assert_eq!(created["version"], 1);
    assert_eq!(created["role"], "owner");
    assert_eq!(created["owner_id"], ada.user_id);
    let id = created["id"].as_str().unwrap();

    let response = app
        .get(&format!("/documents/{id}"), Some(&ada.access))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, "\"1\"");
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["content"], "# Hello\n\nGrüße, café 👋\n");
    assert_eq!(doc["title"], "Notes");

    let not_modified = app
        .client
        .get(app.url(&format!("/documents/{id}")))
        .bearer_auth(&ada.access)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);
    assert!(not_modified.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn bad_documents_get_422s_naming_the_field() {
    let app = TestApp::spawn_with(|c| c.documents.max_content_bytes = 1000).await;
    let ada = app.signed_up("ada").await;
    for (body, field) in [
        (json!({"content": "x"}), "title"),
        (json!({"title": "   "}), "title"),
        (json!({"title": "x".repeat(501)}), "title"),
        (
            json!({"title": "ok", "content": "x".repeat(1001)}),
            "content",
        ),
    ] {
        let p = problem(
            app.post("/documents", &body, Some(&ada.access)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(fields(&p), [field], "{body}");
    }
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM documents.documents")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 0, "nothing half-written");
}

#[tokio::test]
async fn the_default_content_limit_is_ten_mebibytes() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let big = "x".repeat(10 * 1024 * 1024 + 1);
    let response = app
        .post(
            "/documents",
            &json!({"title": "big", "content": big}),
            Some(&ada.access),
        )
        .await;
    let p = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&p), ["content"]);
    let fits = "x".repeat(3 * 1024 * 1024);
    let response = app
        .post(
            "/documents",
            &json!({"title": "fits", "content": fits}),
            Some(&ada.access),
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "bigger than the 2 MiB JSON default, within 10 MiB"
    );
}

#[tokio::test]
async fn an_update_needs_the_current_version_and_creates_a_version() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Plan", "one\n").await;
    let id = doc["id"].as_str().unwrap();

    let missing = app
        .put(
            &format!("/documents/{id}"),
            &json!({"content": "two\n"}),
            Some(&ada.access),
        )
        .await;
    assert_eq!(
        fields(&problem(missing, StatusCode::PRECONDITION_REQUIRED).await),
        ["version"]
    );

    let saved = app.update_document(&ada.access, id, 1, "two\n").await;
    assert_eq!(saved.status(), StatusCode::OK);
    assert_eq!(saved.headers()["etag"], "\"2\"");
    let saved: Value = saved.json().await.unwrap();
    assert_eq!(saved["version"], 2);
    assert_eq!(saved["content"], "two\n");

    // A second writer still on version 1 is told the current version.
    let stale = app.update_document(&ada.access, id, 1, "three\n").await;
    let p = problem(stale, StatusCode::CONFLICT).await;
    assert_eq!(p["code"], "version_conflict");
    assert_eq!(p["current_version"], 2);

    // If-Match works instead of the body's version.
    let via_header = app
        .client
        .put(app.url(&format!("/documents/{id}")))
        .bearer_auth(&ada.access)
        .header("if-match", "\"2\"")
        .json(&json!({"title": "Plan B"}))
        .send()
        .await
        .unwrap();
    assert_eq!(via_header.status(), StatusCode::OK);
    let doc: Value = app
        .get(&format!("/documents/{id}"), Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (doc["title"].as_str(), doc["version"].as_i64()),
        (Some("Plan B"), Some(3))
    );
}

#[tokio::test]
async fn concurrent_updates_from_one_version_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Race", "start\n").await;
    let id = doc["id"].as_str().unwrap();
    let attempts = (0..8).map(|i| {
        let app = &app;
        let token = ada.access.clone();
        async move {
            app.update_document(&token, id, 1, &format!("writer {i}\n"))
                .await
                .status()
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        7
    );
    let (versions,): (i64,) = sqlx::query_as("SELECT count(*) FROM documents.versions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(versions, 2);
}

#[tokio::test]
async fn a_malformed_document_id_is_a_400_and_an_unknown_one_a_404() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    problem(
        app.get("/documents/not-a-uuid", Some(&ada.access)).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let id = uuid::Uuid::now_v7();
    problem(
        app.get(&format!("/documents/{id}"), Some(&ada.access))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn listing_shows_owned_and_shared_documents_with_role_owner_and_last_editor() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let grace = app.signed_up("grace").await;
    let mine = app.create_document(&ada.access, "Mine", "").await;
    let theirs = app.create_document(&grace.access, "Theirs", "").await;
    app.create_document(&grace.access, "Private", "").await;
    app.share(
        &grace.access,
        theirs["id"].as_str().unwrap(),
        "ada",
        "write",
    )
    .await;

    let all: Value = app
        .get("/documents", Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    let titles: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["Theirs", "Mine"],
        "newest first, nothing private of grace's"
    );
    let shared = &all["items"][0];
    assert_eq!(shared["role"], "write");
    assert_eq!(shared["owner_id"], grace.user_id);
    assert_eq!(shared["last_editor_id"], grace.user_id);
    assert!(shared["updated_at"].is_string());
    assert!(shared.get("content").is_none());

    let owned: Value = app
        .get("/documents?filter=owned", Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(owned["items"][0]["id"], mine["id"]);
    assert_eq!(owned["items"].as_array().unwrap().len(), 1);
    let only_shared: Value = app
        .get("/documents?filter=shared", Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(only_shared["items"][0]["id"], theirs["id"]);
    assert_eq!(only_shared["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn listing_pages_through_everything_once_in_either_order() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let grace = app.signed_up("grace").await;
    for i in 0..7 {
        app.create_document(&ada.access, &format!("ada {i}"), "")
            .await;
        let doc = app
            .create_document(&grace.access, &format!("grace {i}"), "")
            .await;
        app.share(&grace.access, doc["id"].as_str().unwrap(), "ada", "read")
            .await;
    }
    for sort in ["updated_at", "title"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/documents?limit=4&sort={sort}&cursor={c}"),
                None => format!("/documents?limit=4&sort={sort}"),
            };
            let page: Value = app
                .get(&path, Some(&ada.access))
                .await
                .json()
                .await
                .unwrap();
            for item in page["items"].as_array().unwrap() {
                seen.push(item["title"].as_str().unwrap().to_owned());
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen.len(), 14, "{sort}: {seen:?}");
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 14, "{sort}: no duplicates");
        if sort == "title" {
            assert_eq!(seen, unique, "title order is alphabetical");
        }
    }
}

#[tokio::test]
async fn bad_list_parameters_are_400s_naming_the_parameter() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    for (query, field) in [
        ("cursor=garbage", "cursor"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("filter=everything", "filter"),
        ("sort=size", "sort"),
    ] {
        let p = problem(
            app.get(&format!("/documents?{query}"), Some(&ada.access))
                .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(fields(&p), [field], "{query}");
    }
}
