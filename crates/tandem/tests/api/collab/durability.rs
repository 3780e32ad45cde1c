//! Nothing typed is lost and nothing is applied twice: exactly once, catch-up, resync,
//! saves, and edits made outside the session.

use super::{collab_app, shared_document};
use crate::helpers::{TestApp, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

async fn ops_of(app: &TestApp, doc: &str, client_id: uuid::Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM collab.ops WHERE document_id = $1 AND client_id = $2")
        .bind(doc.parse::<uuid::Uuid>().unwrap())
        .bind(client_id)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_change_whose_ack_was_lost_is_in_the_log_once_after_a_reconnect() {
    let pair = shared_document(collab_app().await, "").await;
    let mut ada = pair.ada().await;
    let mut grace = pair.grace().await;
    ada.types(0, "once").await;
    // The connection drops before the ack is read.
    ada.drops();
    grace.sees("once").await;
    ada.reconnects().await;
    ada.sees("once").await;
    assert_eq!(ada.welcome["last_seq"], 1);
    // A client that re-sends anyway is acknowledged again, with the original revision.
    ada.send(&json!({"type": "document_change", "revision": 0, "operation": ["once"], "seq": 1}))
        .await;
    let ack = ada.receives("ack", |_| true).await;
    assert_eq!(ack["revision"], 1);
    assert_eq!(ops_of(&pair.app, &pair.doc, ada.client_id).await, 1);
    grace.pump(Duration::from_millis(200)).await;
    assert_eq!(grace.text, "once");
}

#[tokio::test]
async fn a_reconnect_inside_the_window_gets_exactly_the_missed_changes() {
    let pair = shared_document(collab_app().await, "start").await;
    let mut ada = pair.ada().await;
    let mut grace = pair.grace().await;
    ada.drops();
    for word in [" one", " two", " three"] {
        let end = grace.text.chars().count();
        grace.types(end, word).await;
        grace.settles().await;
    }
    // Typed while offline: kept, and sent on reconnect.
    ada.types(0, "> ").await;
    ada.reconnects().await;
    let changes = ada.welcome["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 3);
    assert!(ada.welcome["content"].is_null());
    ada.sees("> start one two three").await;
    grace.sees("> start one two three").await;
}

#[tokio::test]
async fn a_client_back_from_beyond_the_window_resyncs_without_losing_what_it_typed() {
    let app = TestApp::spawn_with(|c| {
        c.collab.memory_window = 2;
        c.collab.window_revisions = 2;
        c.collab.snapshot_every = 1;
        c.collab.retention_interval_secs = 1;
    })
    .await;
    let pair = shared_document(app, "base").await;
    let mut ada = pair.ada().await;
    let mut grace = pair.grace().await;
    ada.types(4, "!").await;
    ada.sees("base!").await;
    ada.drops();
    ada.types(0, "offline ").await;
    for i in 0..8 {
        let end = grace.text.chars().count();
        grace.types(end, &i.to_string()).await;
        grace.settles().await;
    }
    // Let the retention job cut the log past ada's revision.
    let oldest = || async {
        sqlx::query_scalar::<_, Option<i64>>("SELECT min(revision) FROM collab.ops")
            .fetch_one(&pair.app.db)
            .await
            .unwrap()
    };
    for _ in 0..50 {
        if oldest().await.unwrap_or(0) > 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ada.reconnects().await;
    assert_eq!(ada.welcome["resync"], true);
    assert_eq!(ada.welcome["last_seq"], 1);
    let expected = "offline base!01234567";
    ada.sees(expected).await;
    grace.sees(expected).await;
}

#[tokio::test]
async fn edits_are_saved_as_versions_listing_every_contributor() {
    let pair = shared_document(collab_app().await, "v1").await;
    let mut ada = pair.ada().await;
    let mut grace = pair.grace().await;
    ada.types(2, " ada").await;
    grace.types(0, "grace ").await;
    ada.settles().await;
    grace.settles().await;
    let saved = ada.receives("document_saved", |_| true).await;
    assert!(saved["version"].as_i64().unwrap() >= 2);
    grace.until("the same text", |g| g.text == ada.text).await;
    let document: Value = pair
        .app
        .get(&format!("/documents/{}", pair.doc), Some(&pair.ada.access))
        .await
        .json()
        .await
        .unwrap();
    let versions: Value = pair
        .app
        .get(
            &format!("/documents/{}/versions", pair.doc),
            Some(&pair.ada.access),
        )
        .await
        .json()
        .await
        .unwrap();
    let latest = &versions["items"][0];
    if latest["contributors"].as_array().unwrap().len() == 2 {
        assert_eq!(document["content"], ada.text.as_str());
    }
    // Whatever the save timing, every contributor is on some auto version.
    let contributors: Vec<String> = versions["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["kind"] == "auto")
        .flat_map(|v| v["contributors"].as_array().unwrap().clone())
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert!(contributors.contains(&pair.ada.user_id));
    assert!(contributors.contains(&pair.grace.user_id));
    // The list names them, in the order of their ids.
    let names: Vec<String> = versions["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["kind"] == "auto")
        .flat_map(|v| v["contributor_names"].as_array().unwrap().clone())
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), contributors.len());
    assert!(names.contains(&"ada display".to_owned()), "{names:?}");
    assert!(names.contains(&"grace display".to_owned()), "{names:?}");
    // Saved records in collab say which revision each version holds.
    let (revision,): (i64,) = sqlx::query_as(
        "SELECT revision FROM collab.saves WHERE document_id = $1 ORDER BY version DESC LIMIT 1",
    )
    .bind(pair.doc.parse::<uuid::Uuid>().unwrap())
    .fetch_one(&pair.app.db)
    .await
    .unwrap();
    assert!(revision >= 1);
}

#[tokio::test]
async fn an_explicit_save_answers_with_document_saved() {
    let pair = shared_document(collab_app().await, "x").await;
    let mut ada = pair.ada().await;
    ada.types(1, "y").await;
    ada.settles().await;
    ada.send(&json!({"type": "save"})).await;
    let saved = ada.receives("document_saved", |_| true).await;
    assert_eq!(saved["revision"], 1);
}

#[tokio::test]
async fn a_rest_edit_during_a_live_session_is_merged_broadcast_and_returned() {
    let pair = shared_document(collab_app().await, "Hello world").await;
    let mut ada = pair.ada().await;
    // Ada types before the REST edit, which is based on version 1.
    ada.types(11, "!").await;
    ada.settles().await;
    let response = pair
        .app
        .update_document(&pair.grace.access, &pair.doc, 1, "Hello brave world")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let merged: Value = response.json().await.unwrap();
    assert_eq!(merged["content"], "Hello brave world!");
    ada.sees("Hello brave world!").await;
    let change = ada.receives("document_change", |_| true).await;
    assert_eq!(change["user_id"], pair.grace.user_id.as_str());
    // A REST edit based on a version collab never saved cannot be merged.
    let stale = pair
        .app
        .update_document(&pair.grace.access, &pair.doc, 999, "x")
        .await;
    problem(stale, StatusCode::CONFLICT).await;
}

#[tokio::test]
async fn a_version_restore_during_a_live_session_reaches_the_editors() {
    let pair = shared_document(collab_app().await, "first").await;
    let mut ada = pair.ada().await;
    ada.deletes(0, 5).await;
    ada.types(0, "second").await;
    ada.receives("document_saved", |_| true).await;
    let restored = pair
        .app
        .post(
            &format!("/documents/{}/versions/1/restore", pair.doc),
            &json!({}),
            Some(&pair.ada.access),
        )
        .await;
    assert_eq!(restored.status(), StatusCode::OK);
    ada.sees("first").await;
}

#[tokio::test]
async fn participants_and_the_op_log_are_readable_by_readers_only() {
    let pair = shared_document(collab_app().await, "ab").await;
    let mut ada = pair.ada().await;
    let _grace = pair.grace().await;
    ada.types(2, "c").await;
    ada.types(3, "d").await;
    ada.sees("abcd").await;
    let participants: Value = pair
        .app
        .get(
            &format!("/collab/{}/participants", pair.doc),
            Some(&pair.grace.access),
        )
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = participants["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["display_name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"ada display") && names.contains(&"grace display"),
        "{names:?}"
    );
    let ops: Value = pair
        .app
        .get(
            &format!("/collab/{}/ops?from=1", pair.doc),
            Some(&pair.grace.access),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ops["head"], ada.revision);
    assert_eq!(ops["items"][0]["revision"], 1);
    assert_eq!(ops["items"][0]["user_id"], pair.ada.user_id.as_str());
    let eve = pair.app.signed_up("eve").await;
    for path in ["participants", "ops"] {
        let response = pair
            .app
            .get(&format!("/collab/{}/{path}", pair.doc), Some(&eve.access))
            .await;
        problem(response, StatusCode::NOT_FOUND).await;
        let response = pair
            .app
            .get(&format!("/collab/{}/{path}", pair.doc), None)
            .await;
        problem(response, StatusCode::UNAUTHORIZED).await;
    }
    let bad = pair
        .app
        .get(
            &format!("/collab/{}/ops?from=5&to=2", pair.doc),
            Some(&pair.ada.access),
        )
        .await;
    problem(bad, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn internal_endpoints_take_only_the_service_token() {
    let pair = shared_document(collab_app().await, "x").await;
    let paths = [
        format!("/internal/documents/{}", pair.doc),
        format!(
            "/internal/documents/{}/access/{}",
            pair.doc, pair.ada.user_id
        ),
        format!("/internal/collab/documents/{}/participants", pair.doc),
    ];
    for path in &paths {
        let body = problem(
            pair.app.get(path, Some(&pair.ada.access)).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert_eq!(body["code"], "service_unauthorized");
        problem(pair.app.get(path, None).await, StatusCode::UNAUTHORIZED).await;
    }
    let token = std::fs::read_to_string(
        pair.app
            .config
            .platform
            .server
            .data_dir
            .join("service-token"),
    )
    .unwrap();
    for path in &paths {
        assert_eq!(
            pair.app.get(path, Some(token.trim())).await.status(),
            StatusCode::OK,
            "{path}"
        );
    }
    let eve = pair.app.signed_up("eve").await;
    let strangers = format!("/internal/documents/{}/access/{}", pair.doc, eve.user_id);
    problem(
        pair.app.get(&strangers, Some(token.trim())).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}
