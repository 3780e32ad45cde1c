//! What happens to live sockets when sessions, shares and documents change under them.

use super::client::Editor;
use super::{collab_app, shared_document};
use crate::helpers::{PASSWORD, TestApp};
use serde_json::json;

#[tokio::test]
async fn logout_closes_the_sessions_sockets_within_seconds() {
    let pair = shared_document(collab_app().await, "x").await;
    let mut grace = pair.grace().await;
    let mut ada = pair.ada().await;
    let out = pair
        .app
        .post("/auth/logout", &json!({}), Some(&pair.grace.access))
        .await;
    assert!(out.status().is_success());
    assert_eq!(grace.closed_with().await, (4401, "session_ended".into()));
    let left = ada.receives("user_left", |_| true).await;
    assert_eq!(left["user_id"], pair.grace.user_id.as_str());
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_sockets() {
    let pair = shared_document(collab_app().await, "x").await;
    let mut laptop = pair.grace().await;
    let phone = pair.app.signed_in("grace").await;
    let changed = pair
        .app
        .put(
            "/auth/password",
            &json!({"current_password": PASSWORD, "new_password": "plaid umbrella orbit sandwich"}),
            Some(&phone.access),
        )
        .await;
    assert!(changed.status().is_success());
    assert_eq!(laptop.closed_with().await.0, 4401);
}

#[tokio::test]
async fn a_revoked_share_closes_and_a_downgrade_turns_writes_into_errors() {
    let pair = shared_document(collab_app().await, "x").await;
    let alan = pair.app.signed_up("alan").await;
    pair.app
        .share(&pair.ada.access, &pair.doc, "alan", "write")
        .await;
    let mut grace = pair.grace().await;
    let mut alan_editor = Editor::connect(&pair.app.address, &pair.doc, &alan.access, "alan").await;
    let revoked = pair
        .app
        .delete(
            &format!("/documents/{}/share/{}", pair.doc, pair.grace.user_id),
            Some(&pair.ada.access),
        )
        .await;
    assert!(revoked.status().is_success());
    assert_eq!(grace.closed_with().await, (4403, "access_revoked".into()));

    pair.app
        .share(&pair.ada.access, &pair.doc, "alan", "read")
        .await;
    let role = alan_editor.receives("role_changed", |_| true).await;
    assert_eq!(role["role"], "read");
    alan_editor.types(0, "no").await;
    alan_editor.gets_error("read_only").await;
    pair.app
        .share(&pair.ada.access, &pair.doc, "alan", "write")
        .await;
    alan_editor
        .receives("role_changed", |m| m["role"] == "write")
        .await;
    alan_editor.types(0, "yes ").await;
    alan_editor.sees("yes x").await;
}

#[tokio::test]
async fn trashing_the_document_ends_every_socket_and_a_stranger_cannot_rejoin() {
    let pair = shared_document(collab_app().await, "x").await;
    let mut ada = pair.ada().await;
    let mut grace = pair.grace().await;
    let trashed = pair
        .app
        .delete(&format!("/documents/{}", pair.doc), Some(&pair.ada.access))
        .await;
    assert!(trashed.status().is_success());
    assert_eq!(ada.closed_with().await, (4404, "document_deleted".into()));
    assert_eq!(grace.closed_with().await, (4404, "document_deleted".into()));
    let mut again =
        Editor::connect_raw(&pair.app.address, &pair.doc, &pair.ada.access, "ada").await;
    assert_eq!(again.closed_with().await, (4404, "not_found".into()));
}

#[tokio::test]
async fn an_expired_access_token_does_not_cut_a_live_socket_but_a_reconnect_needs_a_fresh_one() {
    let app = TestApp::spawn_with(|c| {
        c.users.access_token_ttl_secs = 1;
        c.collab.session_check_secs = 1;
    })
    .await;
    let pair = shared_document(app, "x").await;
    let mut ada = pair.ada().await;
    // Past the expiry and the 5 s of clock leeway verification allows.
    tokio::time::sleep(std::time::Duration::from_millis(7500)).await;
    ada.types(1, "!").await;
    ada.sees("x!").await;
    assert!(ada.closed.is_none());
    ada.drops();
    let mut stale =
        Editor::connect_raw(&pair.app.address, &pair.doc, &pair.ada.access, "stale").await;
    assert_eq!(stale.closed_with().await.0, 4401);
    let fresh = pair.app.signed_in("ada").await;
    ada.use_token(&fresh.access);
    ada.reconnects().await;
    assert_eq!(ada.text, "x!");
}
