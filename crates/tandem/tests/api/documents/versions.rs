use crate::helpers::{TestApp, fields, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn every_change_is_a_version_with_author_and_diff() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let grace = app.signed_up("grace").await;
    let doc = app
        .create_document(&ada.access, "History", "one\ntwo\nthree\n")
        .await;
    let id = doc["id"].as_str().unwrap();
    app.share(&ada.access, id, "grace", "write").await;
    app.update_document(&grace.access, id, 1, "one\n2\nthree\n")
        .await;

    let list: Value = app
        .get(&format!("/documents/{id}/versions"), Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    let versions: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [2, 1]);
    assert_eq!(list["items"][0]["author_id"], grace.user_id);

    let v2: Value = app
        .get(&format!("/documents/{id}/versions/2"), Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v2["content"], "one\n2\nthree\n");
    assert!(v2["diff"].as_str().unwrap().contains("-two\n+2\n"), "{v2}");

    let diff: Value = app
        .get(
            &format!("/documents/{id}/diff?from=1&to=2"),
            Some(&ada.access),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(diff["unified"].as_str().unwrap().contains("-two\n+2\n"));
    let kinds: Vec<&str> = diff["hunks"][0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["context", "delete", "insert", "context"]);
}

#[tokio::test]
async fn versions_page_newest_first() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Many", "0").await;
    let id = doc["id"].as_str().unwrap();
    for v in 1..5 {
        app.update_document(&ada.access, id, v, &v.to_string())
            .await;
    }
    let first: Value = app
        .get(
            &format!("/documents/{id}/versions?limit=3"),
            Some(&ada.access),
        )
        .await
        .json()
        .await
        .unwrap();
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value = app
        .get(
            &format!("/documents/{id}/versions?limit=3&cursor={cursor}"),
            Some(&ada.access),
        )
        .await
        .json()
        .await
        .unwrap();
    let all: Vec<i64> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["items"].as_array().unwrap())
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(all, [5, 4, 3, 2, 1]);
    assert!(second["next_cursor"].is_null());
}

#[tokio::test]
async fn restoring_a_version_creates_a_new_one_with_the_old_content() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Undo", "good\n").await;
    let id = doc["id"].as_str().unwrap();
    app.update_document(&ada.access, id, 1, "bad\n").await;
    let restored = app
        .post(
            &format!("/documents/{id}/versions/1/restore"),
            &json!({}),
            Some(&ada.access),
        )
        .await;
    assert_eq!(restored.status(), StatusCode::OK);
    let restored: Value = restored.json().await.unwrap();
    assert_eq!(restored["version"], 3);
    assert_eq!(restored["content"], "good\n");
}

#[tokio::test]
async fn diffs_and_versions_that_do_not_exist_are_4xx_naming_the_field() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Short", "x").await;
    let id = doc["id"].as_str().unwrap();
    let p = problem(
        app.get(
            &format!("/documents/{id}/diff?from=1&to=9"),
            Some(&ada.access),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&p), ["to"]);
    let p = problem(
        app.get(&format!("/documents/{id}/diff?from=7"), Some(&ada.access))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&p), ["from"]);
    let p = problem(
        app.get(&format!("/documents/{id}/diff"), Some(&ada.access))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&p), ["from"]);
    let p = problem(
        app.get(&format!("/documents/{id}/diff?from=one"), Some(&ada.access))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(fields(&p), ["from"]);
    problem(
        app.get(&format!("/documents/{id}/versions/9"), Some(&ada.access))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn auto_saves_are_thinned_as_they_age_and_everything_else_is_kept() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Busy", "v1").await;
    let id: uuid::Uuid = doc["id"].as_str().unwrap().parse().unwrap();
    let author: uuid::Uuid = ada.user_id.parse().unwrap();
    // Versions 2..: (age, kind). Three auto-saves in one hour two days ago, two in one day
    // two months ago, a restore among them, and recent auto-saves.
    // Times are inside one day or one hour whatever the clock says now.
    let day = "date_trunc('day', now()) - interval '60 days'";
    let hour = "date_trunc('hour', now()) - interval '2 days'";
    let history = [
        (format!("{day} + interval '1 hour'"), "auto"),
        (format!("{day} + interval '2 hours'"), "auto"),
        (format!("{day} + interval '3 hours'"), "restore"),
        (format!("{hour} + interval '10 minutes'"), "auto"),
        (format!("{hour} + interval '20 minutes'"), "auto"),
        (format!("{hour} + interval '30 minutes'"), "auto"),
        ("now() - interval '2 hours'".to_owned(), "auto"),
        ("now() - interval '1 hour'".to_owned(), "auto"),
    ];
    for (i, (at, kind)) in history.iter().enumerate() {
        let version = i as i64 + 2;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO documents.versions
                 (document_id, version, title, content, author_id, diff, contributors, kind, created_at)
             VALUES ($1, $2, 'Busy', 'x', $3, '', ARRAY[$3], '{kind}', {at})"
        )))
        .bind(id)
        .bind(version)
        .bind(author)
        .execute(&app.db)
        .await
        .unwrap();
    }
    sqlx::query("UPDATE documents.documents SET version = 9 WHERE id = $1")
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();
    let removed = tandem_documents::store::versions::thin(&app.db)
        .await
        .unwrap();
    let kept: Vec<i64> = sqlx::query_scalar(
        "SELECT version FROM documents.versions WHERE document_id = $1 ORDER BY version",
    )
    .bind(id)
    .fetch_all(&app.db)
    .await
    .unwrap();
    // Old day: the last auto-save of the day (3) stays, 2 goes; the restore (4) stays.
    // Two days ago, in one hour: only the last (7) stays. The last day stays whole.
    assert_eq!(kept, [1, 3, 4, 7, 8, 9]);
    assert_eq!(removed, 3);
}
