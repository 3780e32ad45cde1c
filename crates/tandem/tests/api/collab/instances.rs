//! Several instances of the Collaboration Service on one deployment: clients anywhere,
//! one writer per document, fenced by PostgreSQL; a writer that dies is replaced.

use super::client::Editor;
use super::shared_document;
use crate::helpers::TestApp;
use std::time::Duration;
use tandem_collab::document::core::Author;
use tandem_collab::store::log::{self, DocumentBatch, NewOp};
use uuid::Uuid;

async fn quick_failover_app() -> TestApp {
    TestApp::spawn_with(|c| {
        c.collab.save_debounce_ms = 200;
        c.collab.lease_ms = 2000;
        c.collab.presence_ttl_secs = 3;
    })
    .await
}

/// The text the op log gives when replayed from its first snapshot.
pub async fn replayed(app: &TestApp, doc: &str) -> String {
    let doc: Uuid = doc.parse().unwrap();
    let head = log::head(&app.db, doc).await.unwrap().unwrap().revision;
    log::text_at(&app.db, doc, head).await.unwrap().unwrap()
}

#[tokio::test]
async fn editors_on_two_instances_edit_one_document_through_its_writer() {
    let pair = shared_document(quick_failover_app().await, "shared").await;
    let other = pair.app.spawn_instance().await;
    let mut ada = pair.ada().await;
    let mut grace = Editor::connect(&other.address, &pair.doc, &pair.grace.access, "grace").await;
    let names: Vec<&str> = grace.welcome["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["display_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ada display"]);
    ada.receives("user_joined", |m| m["display_name"] == "grace display")
        .await;
    grace.types(0, "G ").await;
    ada.types(6, " A").await;
    grace.settles().await;
    ada.settles().await;
    ada.sees("G shared A").await;
    grace.sees("G shared A").await;
    grace.selects(0, 1).await;
    let cursor = ada.receives("cursor_position", |_| true).await;
    assert_eq!(cursor["user_id"], pair.grace.user_id.as_str());
    assert_eq!(replayed(&pair.app, &pair.doc).await, "G shared A");
}

#[tokio::test]
async fn when_the_writer_dies_its_clients_reconnect_elsewhere_and_nothing_acknowledged_is_lost() {
    let pair = shared_document(quick_failover_app().await, "").await;
    let mut doomed = pair.app.spawn_instance().await;
    // Grace opens first, on the doomed instance, which becomes the writer.
    let mut grace = Editor::connect(&doomed.address, &pair.doc, &pair.grace.access, "grace").await;
    let mut ada = pair.ada().await;
    for i in 0..5 {
        grace.types(0, &format!("g{i} ")).await;
        ada.types(0, &format!("a{i} ")).await;
        grace.settles().await;
        ada.settles().await;
    }
    doomed.kill();
    // Typing goes on while the writer is gone.
    ada.types(0, "during ").await;
    grace.drops();
    grace.types(0, "offline ").await;
    grace.reconnects_to(&pair.app.address).await;
    let text = super::converge(&mut [&mut ada, &mut grace]).await;
    assert_eq!(ada.text, text);
    assert!(
        ada.text.contains("during") && ada.text.contains("offline"),
        "{}",
        ada.text
    );
    assert_eq!(ada.text.matches("g4").count(), 1);
    assert_eq!(replayed(&pair.app, &pair.doc).await, ada.text);
    // The dead instance's participant disappears.
    ada.receives("user_left", |m| m["user_id"] == pair.grace.user_id.as_str())
        .await;
}

#[tokio::test]
async fn two_writers_of_one_document_can_never_both_commit_a_revision() {
    let pair = shared_document(quick_failover_app().await, "").await;
    let doc: Uuid = pair.doc.parse().unwrap();
    let first = log::take_writership(&pair.app.db, doc, "first")
        .await
        .unwrap();
    let second = log::take_writership(&pair.app.db, doc, "second")
        .await
        .unwrap();
    assert!(second.epoch > first.epoch);
    let batch = |epoch: i64, text: &str| DocumentBatch {
        document: doc,
        epoch,
        expected: first.revision,
        ops: vec![NewOp {
            revision: first.revision + 1,
            op: tandem_ot::Operation::splice(0, 0, 0, text).unwrap(),
            author: Author {
                user_id: Uuid::nil(),
                session_id: Uuid::nil(),
                client_id: Uuid::new_v4(),
                seq: 1,
            },
            selection: None,
            kind: Default::default(),
            restores: None,
        }],
    };
    // Both in one group commit: only the current epoch's document advances.
    let other: Uuid = pair
        .app
        .create_document(&pair.ada.access, "Other", "")
        .await["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let other_head = log::take_writership(&pair.app.db, other, "second")
        .await
        .unwrap();
    let mut other_batch = batch(other_head.epoch, "fine");
    other_batch.document = other;
    let advanced = log::commit(
        &pair.app.db,
        &[batch(first.epoch, "stale"), other_batch],
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert!(
        !advanced.contains(&doc),
        "the stale writer's batch failed its fence"
    );
    assert!(
        advanced.contains(&other),
        "and did not stop the other document's"
    );
    let advanced = log::commit(
        &pair.app.db,
        &[batch(second.epoch, "current")],
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert!(advanced.contains(&doc));
    let texts: Vec<String> = sqlx::query_scalar(
        "SELECT operation FROM collab.ops WHERE document_id = $1 AND revision = 1",
    )
    .bind(doc)
    .fetch_all(&pair.app.db)
    .await
    .unwrap();
    assert_eq!(texts, [r#"["current"]"#]);
}

#[tokio::test]
async fn a_writer_fenced_out_by_a_takeover_sends_its_clients_to_reconnect_and_they_lose_nothing() {
    // Leases renewed rarely, so that the fence, not the lease, is what stops the old writer.
    let app = TestApp::spawn_with(|c| {
        c.collab.lease_ms = 60_000;
        c.collab.save_debounce_ms = 200;
    })
    .await;
    let pair = shared_document(app, "").await;
    let other = pair.app.spawn_instance().await;
    let mut ada = pair.ada().await;
    ada.types(0, "before ").await;
    ada.settles().await;
    // Split brain: the lease vanishes (Redis lost it) and another instance takes over.
    let client = redis::Client::open("redis://127.0.0.1:6379").unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!(
        "{}collab:{{{}}}:lease",
        pair.app.config.platform.redis.key_prefix, pair.doc
    );
    let () = redis::cmd("DEL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    let mut grace = Editor::connect(&other.address, &pair.doc, &pair.grace.access, "grace").await;
    // The old writer's next commit fails its fence: it acknowledged nothing of it.
    ada.types(0, "after ").await;
    assert_eq!(ada.closed_with().await, (1012, "server_restart".into()));
    ada.reconnects_to(&other.address).await;
    ada.settles().await;
    grace.sees("after before ").await;
    ada.sees("after before ").await;
    assert_eq!(replayed(&pair.app, &pair.doc).await, "after before ");
    tokio::time::sleep(Duration::from_millis(50)).await;
}
