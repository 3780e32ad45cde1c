//! Joining, editing, acks and broadcasts, ties, roles.

use super::client::Editor;
use super::{collab_app, shared_document};
use serde_json::json;

#[tokio::test]
async fn two_editors_see_each_others_changes_and_their_own_as_acks() {
    let pair = shared_document(collab_app().await, "Hi").await;
    let mut ada = pair.ada().await;
    assert_eq!(ada.text, "Hi");
    assert_eq!(ada.welcome["protocol"], 1);
    assert_eq!(ada.welcome["role"], "owner");
    assert_eq!(ada.welcome["document"]["title"], "Plan");
    assert_eq!(ada.welcome["user"]["display_name"], "ada display");
    let mut grace = pair.grace().await;
    assert_eq!(grace.welcome["role"], "write");
    let participants = grace.welcome["participants"].as_array().unwrap();
    assert_eq!(participants.len(), 1);
    assert_eq!(participants[0]["display_name"], "ada display");
    let joined = ada.receives("user_joined", |_| true).await;
    assert_eq!(joined["display_name"], "grace display");

    ada.types(2, "!").await;
    ada.sees("Hi!").await;
    grace.sees("Hi!").await;
    let change = grace.receives("document_change", |_| true).await;
    assert_eq!(change["user_id"], pair.ada.user_id.as_str());
    assert_eq!(change["operation"], json!([2, "!"]));
    // Ada got an ack, never her own op back.
    assert!(ada.events.iter().all(|e| e["type"] != "document_change"));

    grace.types(0, "Oh, ").await;
    ada.sees("Oh, Hi!").await;
    grace.sees("Oh, Hi!").await;
    assert_eq!(ada.revision, 2);
}

#[tokio::test]
async fn inserts_at_one_place_at_one_moment_converge_with_the_earlier_commit_first() {
    let pair = shared_document(collab_app().await, "ab").await;
    let mut ada = pair.ada().await;
    let mut grace = pair.grace().await;
    for round in 0..20 {
        // Both type at the same place without waiting for each other.
        ada.types(1, "A").await;
        grace.types(1, "G").await;
        ada.settles().await;
        grace.settles().await;
        ada.pump(std::time::Duration::from_millis(20)).await;
        grace
            .until("the same text as ada", |g| g.revision == ada.revision)
            .await;
        ada.until("the same revision", |a| a.revision == grace.revision)
            .await;
        assert_eq!(ada.text, grace.text, "round {round}");
    }
    assert_eq!(ada.text.chars().count(), 42);
    assert_eq!(ada.text.matches('A').count(), 20);
}

#[tokio::test]
async fn readers_follow_live_and_send_cursors_but_cannot_change_the_text() {
    let pair = shared_document(collab_app().await, "Read me").await;
    let alan = pair.app.signed_up("alan").await;
    pair.app
        .share(&pair.ada.access, &pair.doc, "alan", "read")
        .await;
    let mut ada = pair.ada().await;
    let mut reader = Editor::connect(&pair.app.address, &pair.doc, &alan.access, "alan").await;
    assert_eq!(reader.welcome["role"], "read");
    reader.types(0, "x").await;
    let error = reader.gets_error("read_only").await;
    assert_eq!(error["seq"], 1);
    reader.selects(0, 4).await;
    let cursor = ada.receives("cursor_position", |_| true).await;
    assert_eq!(cursor["user_id"], alan.user_id.as_str());
    assert_eq!(cursor["selection"], json!({"anchor": 0, "head": 4}));
    ada.types(0, "> ").await;
    ada.sees("> Read me").await;
    reader.until("ada's change", |r| r.revision == 1).await;
    assert_eq!(reader.server_text, "> Read me");
}

#[tokio::test]
async fn a_stranger_and_a_missing_document_get_the_same_close() {
    let pair = shared_document(collab_app().await, "secret").await;
    let eve = pair.app.signed_up("eve").await;
    let mut stranger = Editor::connect_raw(&pair.app.address, &pair.doc, &eve.access, "eve").await;
    let missing = uuid::Uuid::now_v7().to_string();
    let mut nowhere = Editor::connect_raw(&pair.app.address, &missing, &eve.access, "eve").await;
    let a = stranger.closed_with().await;
    let b = nowhere.closed_with().await;
    assert_eq!(a, (4404, "not_found".to_owned()));
    assert_eq!(a, b);
    assert!(stranger.events.is_empty() && nowhere.events.is_empty());
}
