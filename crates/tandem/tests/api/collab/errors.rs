//! Every error code and close code a client can cause, and that one client's mistakes never
//! disturb the others.

use super::client::Editor;
use super::{collab_app, shared_document};
use crate::helpers::TestApp;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn no_auth_within_the_timeout_closes_with_4408() {
    let pair = shared_document(collab_app().await, "x").await;
    let mut silent = Editor::connect_silent(&pair.app.address, &pair.doc, None, "silent").await;
    assert_eq!(silent.closed_with().await, (4408, "auth_timeout".into()));
}

#[tokio::test]
async fn a_change_before_auth_closes_with_4401_and_garbage_first_with_4400() {
    let pair = shared_document(collab_app().await, "x").await;
    let mut eager = Editor::connect_silent(&pair.app.address, &pair.doc, None, "eager").await;
    eager
        .send(&json!({"type": "document_change", "revision": 0, "operation": ["a", 1], "seq": 1}))
        .await;
    assert_eq!(eager.closed_with().await, (4401, "unauthorized".into()));
    let mut garbage = Editor::connect_silent(&pair.app.address, &pair.doc, None, "garbage").await;
    garbage.send_text("hello".into()).await;
    assert_eq!(garbage.closed_with().await, (4400, "bad_request".into()));
}

#[tokio::test]
async fn an_invalid_token_closes_with_4401() {
    let pair = shared_document(collab_app().await, "x").await;
    let mut forged =
        Editor::connect_raw(&pair.app.address, &pair.doc, "not.a.token", "forged").await;
    assert_eq!(forged.closed_with().await, (4401, "unauthorized".into()));
    let mut none = Editor::connect_silent(&pair.app.address, &pair.doc, None, "none").await;
    none.send(&json!({"type": "auth", "client_id": uuid::Uuid::new_v4()}))
        .await;
    assert_eq!(none.closed_with().await.0, 4401);
}

#[tokio::test]
async fn a_non_browser_client_may_authenticate_on_the_upgrade_request() {
    let pair = shared_document(collab_app().await, "header").await;
    let mut client =
        Editor::connect_silent(&pair.app.address, &pair.doc, Some(&pair.ada.access), "cli").await;
    client.authenticates(None).await;
    assert_eq!(client.text, "header");
}

#[tokio::test]
async fn malformed_messages_are_refused_one_by_one_and_the_socket_stays_usable() {
    let pair = shared_document(collab_app().await, "ok").await;
    let mut ada = pair.ada().await;
    let mut grace = pair.grace().await;
    ada.send_text("{not json".into()).await;
    ada.gets_error("malformed_json").await;
    ada.send(&json!({"type": "shout"})).await;
    ada.gets_error("unknown_type").await;
    ada.send(&json!({"type": "document_change", "revision": "zero"}))
        .await;
    let invalid = ada.gets_error("invalid_message").await;
    assert!(
        invalid["message"]
            .as_str()
            .unwrap()
            .contains("document_change"),
        "{invalid}"
    );
    ada.send_frame(Message::Binary(vec![1, 2, 3].into())).await;
    ada.gets_error("binary_not_supported").await;
    ada.send(&json!({"type": "auth", "client_id": uuid::Uuid::new_v4()}))
        .await;
    ada.gets_error("invalid_message").await;
    ada.send(&json!({"type": "ping", "id": 7})).await;
    let pong = ada.receives("pong", |_| true).await;
    assert_eq!(pong["id"], 7);
    // Still a working editor, and Grace never heard of any of it.
    ada.types(2, "!").await;
    grace.sees("ok!").await;
    assert!(
        grace.events.iter().all(|e| e["type"] != "error"),
        "{:?}",
        grace.events
    );
}

#[tokio::test]
async fn changes_that_do_not_fit_are_refused_with_their_seq() {
    let app = TestApp::spawn_with(|c| {
        c.collab.max_operation_components = 5;
        c.collab.max_inserted_chars = 10;
    })
    .await;
    let pair = shared_document(app, "abc").await;
    let mut ada = pair.ada().await;
    let send = |revision: u64, operation: serde_json::Value, seq: u64| json!({"type": "document_change", "revision": revision, "operation": operation, "seq": seq});
    ada.send(&send(0, json!([9, "x"]), 1)).await;
    let wrong = ada.gets_error("invalid_operation").await;
    assert_eq!(wrong["seq"], 1);
    assert!(
        wrong["message"].as_str().unwrap().contains("9 code points"),
        "{wrong}"
    );
    ada.send(&send(0, json!([3, "a\r\nb"]), 2)).await;
    ada.gets_error("invalid_operation").await;
    ada.send(&send(0, json!([3, 0]), 3)).await;
    ada.gets_error("invalid_operation").await;
    ada.send(&send(5, json!([3, "x"]), 4)).await;
    let future = ada.gets_error("invalid_revision").await;
    assert_eq!(future["seq"], 4);
    ada.send(&send(0, json!([1, "a", 1, "b", 1, "c"]), 5)).await;
    ada.gets_error("operation_too_large").await;
    ada.send(&send(0, json!([3, "0123456789ab"]), 6)).await;
    ada.gets_error("operation_too_large").await;
    // None of them changed anything.
    ada.types(3, "!").await;
    ada.sees("abc!").await;
    assert_eq!(ada.revision, 1);
}

#[tokio::test]
async fn a_message_over_the_size_limit_closes_with_4413() {
    let app = TestApp::spawn_with(|c| c.collab.max_message_bytes = 4096).await;
    let pair = shared_document(app, "").await;
    let mut ada = pair.ada().await;
    let big = json!({"type": "document_change", "revision": 0, "operation": ["x".repeat(10_000)], "seq": 1});
    ada.send(&big).await;
    assert_eq!(ada.closed_with().await, (4413, "message_too_large".into()));
}

#[tokio::test]
async fn too_many_changes_per_second_are_refused_then_a_flood_is_closed() {
    let app = TestApp::spawn_with(|c| {
        c.collab.changes_per_second = 2;
        c.collab.changes_burst = 2;
    })
    .await;
    let pair = shared_document(app, "").await;
    let mut ada = pair.ada().await;
    for seq in 1..=4u64 {
        let op = if seq == 1 {
            json!(["a"])
        } else {
            json!([seq - 1, "a"])
        };
        ada.send(&json!({"type": "document_change", "revision": 0, "operation": op, "seq": seq}))
            .await;
    }
    let limited = ada.gets_error("rate_limited").await;
    assert!(limited["retry_after_ms"].as_u64().unwrap() > 0, "{limited}");
    assert!(limited["seq"].as_u64().is_some());
    for _ in 0..400 {
        ada.send(&json!({"type": "ping"})).await;
    }
    assert_eq!(ada.closed_with().await, (4429, "rate_limited".into()));
}

#[tokio::test]
async fn a_newer_connection_with_the_same_client_id_replaces_the_older() {
    let pair = shared_document(collab_app().await, "tabs").await;
    let mut first = pair.ada().await;
    let mut second = Editor::connect_as(
        &pair.app.address,
        &pair.doc,
        &pair.ada.access,
        "again",
        first.client_id,
    )
    .await;
    assert_eq!(first.closed_with().await, (4409, "replaced".into()));
    second.types(0, ">").await;
    second.sees(">tabs").await;
}
