//! Undo and redo in the service: each undoes the caller's own last step, over the socket
//! and over REST, across reconnects and instances (docs/collab-protocol.md §8).

use super::client::Editor;
use super::{Pair, collab_app, converge, shared_document};
use crate::helpers::problem;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tandem_ot::Operation;

fn applied(result: &Value) -> u64 {
    assert_eq!(result["result"], "applied", "{result}");
    result["revision"]
        .as_u64()
        .expect("an applied undo names its revision")
}

async fn authorship(pair: &Pair) -> Value {
    let response = pair
        .app
        .get(
            &format!("/collab/{}/authorship", pair.doc),
            Some(&pair.ada.access),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// The user id that wrote the code point at `index`, per the authorship spans.
fn author_at(authorship: &Value, index: u64) -> String {
    authorship["spans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["start"].as_u64().unwrap() <= index && index < s["end"].as_u64().unwrap())
        .map(|s| s["user_id"].as_str().unwrap_or("nobody").to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn ada_undoing_takes_back_only_her_text_and_redo_puts_it_back() {
    let pair = shared_document(collab_app().await, "plan").await;
    let mut ada = pair.ada().await;
    let mut grace = pair.grace().await;
    ada.types(4, " by ada").await;
    ada.settles().await;
    converge(&mut [&mut ada, &mut grace]).await;
    grace.types(0, "Grace: ").await;
    grace.settles().await;
    converge(&mut [&mut ada, &mut grace]).await;

    let revision = applied(&ada.undoes().await);
    assert_eq!(converge(&mut [&mut ada, &mut grace]).await, "Grace: plan");
    assert_eq!(ada.revision, revision);
    // Everyone sees the undo as a change by ada, marked as an undo.
    let seen = grace
        .receives("document_change", |m| m["revision"] == revision)
        .await;
    assert_eq!(seen["user_id"], pair.ada.user_id.as_str());
    assert_eq!(seen["kind"], "undo");

    applied(&ada.redoes().await);
    assert_eq!(
        converge(&mut [&mut ada, &mut grace]).await,
        "Grace: plan by ada"
    );
    // Grace's own undo takes back hers, not ada's newer redo.
    applied(&grace.undoes().await);
    assert_eq!(converge(&mut [&mut ada, &mut grace]).await, "plan by ada");
}

#[tokio::test]
async fn two_deletes_undone_twice_give_back_the_original_text() {
    // The case naive "invert and transform through what came after" gets wrong: it
    // gives "acdbe".
    let pair = shared_document(collab_app().await, "abcde").await;
    let mut ada = pair.ada().await;
    ada.deletes(1, 1).await;
    ada.settles().await;
    ada.deletes(0, 3).await;
    ada.sees("e").await;
    applied(&ada.undoes().await);
    ada.sees("acde").await;
    applied(&ada.undoes().await);
    ada.sees("abcde").await;
    assert_eq!(ada.undoes().await["result"], "nothing_to_undo");
}

#[tokio::test]
async fn text_grace_typed_inside_adas_change_stays_when_ada_undoes_it() {
    let pair = shared_document(collab_app().await, "").await;
    let mut ada = pair.ada().await;
    let mut grace = pair.grace().await;
    ada.types(0, "hello world").await;
    ada.settles().await;
    converge(&mut [&mut ada, &mut grace]).await;
    grace.types(5, ", dear").await;
    grace.settles().await;
    converge(&mut [&mut ada, &mut grace]).await;
    applied(&ada.undoes().await);
    assert_eq!(converge(&mut [&mut ada, &mut grace]).await, ", dear");
}

#[tokio::test]
async fn undoing_text_others_have_deleted_is_nothing_to_undo() {
    let pair = shared_document(collab_app().await, "keep ").await;
    let mut ada = pair.ada().await;
    let mut grace = pair.grace().await;
    ada.types(5, "draft").await;
    ada.settles().await;
    converge(&mut [&mut ada, &mut grace]).await;
    grace.deletes(5, 5).await;
    grace.settles().await;
    converge(&mut [&mut ada, &mut grace]).await;
    let result = ada.undoes().await;
    assert_eq!(result["result"], "nothing_to_undo", "{result}");
    assert!(result.get("revision").is_none());
    assert_eq!(converge(&mut [&mut ada, &mut grace]).await, "keep ");
}

#[tokio::test]
async fn text_put_back_by_an_undo_is_attributed_to_whoever_first_wrote_it() {
    let pair = shared_document(collab_app().await, "").await;
    let mut ada = pair.ada().await;
    let mut grace = pair.grace().await;
    ada.types(0, "Ada's line").await;
    ada.settles().await;
    converge(&mut [&mut ada, &mut grace]).await;
    grace.deletes(0, 10).await;
    grace.settles().await;
    converge(&mut [&mut ada, &mut grace]).await;
    applied(&grace.undoes().await);
    assert_eq!(converge(&mut [&mut ada, &mut grace]).await, "Ada's line");
    let who = authorship(&pair).await;
    for index in 0..10 {
        assert_eq!(
            author_at(&who, index),
            pair.ada.user_id,
            "code point {index}"
        );
    }
}

#[tokio::test]
async fn the_stacks_survive_a_reconnect() {
    let pair = shared_document(collab_app().await, "x").await;
    let mut ada = pair.ada().await;
    ada.types(1, " one").await;
    ada.settles().await;
    ada.leaves().await;
    // Same editor (client id), new connection: the stacks come back from the op log.
    ada.reconnects().await;
    applied(&ada.undoes().await);
    ada.sees("x").await;
    applied(&ada.redoes().await);
    ada.sees("x one").await;
}

#[tokio::test]
async fn an_editor_on_a_follower_instance_undoes_through_the_writer() {
    let pair = shared_document(collab_app().await, "base").await;
    let other = pair.app.spawn_instance().await;
    let mut ada = pair.ada().await;
    let mut grace = Editor::connect(&other.address, &pair.doc, &pair.grace.access, "grace").await;
    grace.types(4, " + grace").await;
    grace.settles().await;
    ada.types(0, "ada: ").await;
    ada.settles().await;
    converge(&mut [&mut ada, &mut grace]).await;
    applied(&grace.undoes().await);
    assert_eq!(converge(&mut [&mut ada, &mut grace]).await, "ada: base");
    // And after moving to the other instance.
    grace.leaves().await;
    grace.reconnects_to(&pair.app.address).await;
    applied(&grace.redoes().await);
    assert_eq!(
        converge(&mut [&mut ada, &mut grace]).await,
        "ada: base + grace"
    );
}

#[tokio::test]
async fn an_undo_the_browser_made_itself_is_recorded_as_an_undo_and_can_be_redone() {
    let pair = shared_document(collab_app().await, "").await;
    let mut ada = pair.ada().await;
    ada.types(0, "typed").await;
    ada.settles().await;
    // The client's own history undid it and sends the result flagged as an undo.
    ada.undoes_locally(Operation::splice(5, 0, 5, "").unwrap())
        .await;
    ada.sees("").await;
    let ops: Value = pair
        .app
        .get(
            &format!("/collab/{}/ops?from=1", pair.doc),
            Some(&pair.ada.access),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ops["items"][1]["kind"], "undo", "{ops}");
    // The service recognised it: a redo puts the text back.
    applied(&ada.redoes().await);
    ada.sees("typed").await;
}

#[tokio::test]
async fn readers_cannot_undo() {
    let pair = shared_document(collab_app().await, "text").await;
    let reader = pair.app.signed_up("reader").await;
    pair.app
        .share(&pair.ada.access, &pair.doc, "reader", "read")
        .await;
    let mut watcher = Editor::connect(&pair.app.address, &pair.doc, &reader.access, "reader").await;
    let result = watcher.undoes().await;
    assert_eq!(result["result"], "failed");
    assert_eq!(result["code"], "read_only");
    let refused = pair
        .app
        .post(
            &format!("/collab/{}/undo", pair.doc),
            &json!({}),
            Some(&reader.access),
        )
        .await;
    assert_eq!(
        problem(refused, StatusCode::FORBIDDEN).await["code"],
        "read_only"
    );
}

#[tokio::test]
async fn rest_undo_takes_back_the_callers_rest_edit_during_a_live_session() {
    let pair = shared_document(collab_app().await, "draft").await;
    let mut ada = pair.ada().await;
    ada.types(5, " v2").await;
    ada.settles().await;
    // Grace edits over REST while ada is in the session: merged live.
    let doc: Value = pair
        .app
        .get(
            &format!("/documents/{}", pair.doc),
            Some(&pair.grace.access),
        )
        .await
        .json()
        .await
        .unwrap();
    let put = pair
        .app
        .put(
            &format!("/documents/{}", pair.doc),
            &json!({"content": format!("{} (checked)", doc["content"].as_str().unwrap()), "version": doc["version"]}),
            Some(&pair.grace.access),
        )
        .await;
    assert_eq!(put.status(), StatusCode::OK);
    ada.sees("draft v2 (checked)").await;

    let undo = |token: String| {
        let app = &pair.app;
        let path = format!("/collab/{}/undo", pair.doc);
        async move { app.post(&path, &json!({}), Some(&token)).await }
    };
    // Ada made no REST change: nothing of hers to undo over REST.
    let nothing: Value = undo(pair.ada.access.clone()).await.json().await.unwrap();
    assert_eq!(nothing["result"], "nothing_to_undo");
    let response = undo(pair.grace.access.clone()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["result"], "applied");
    ada.sees("draft v2").await;
    assert_eq!(ada.revision, body["revision"].as_u64().unwrap());

    // A stranger learns nothing; no token is a 401.
    let stranger = pair.app.signed_up("stranger").await;
    let hidden = undo(stranger.access.clone()).await;
    assert_eq!(problem(hidden, StatusCode::NOT_FOUND).await["status"], 404);
    let anonymous = pair
        .app
        .post(&format!("/collab/{}/redo", pair.doc), &json!({}), None)
        .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn rest_undo_opens_a_closed_document_and_still_finds_nothing_of_a_socket_editor() {
    // The REST stacks are the caller's REST changes; a socket editor's steps are its own.
    let pair = shared_document(collab_app().await, "quiet").await;
    let mut ada = pair.ada().await;
    ada.types(5, "!").await;
    ada.settles().await;
    ada.leaves().await;
    let response = pair
        .app
        .post(
            &format!("/collab/{}/undo", pair.doc),
            &json!({}),
            Some(&pair.ada.access),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["result"], "nothing_to_undo");
}
