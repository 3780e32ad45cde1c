//! The service around the sessions: renames, trash, idle documents, lost fan-out,
//! metrics, the op log's bounds, and running the Collaboration Service alone.

use super::client::Editor;
use super::{collab_app, shared_document};
use crate::helpers::TestApp;
use serde_json::json;
use std::time::Duration;
use tandem::{App, Mode};
use uuid::Uuid;

#[tokio::test]
async fn a_rename_reaches_the_editors_live() {
    let pair = shared_document(collab_app().await, "x").await;
    let mut grace = pair.grace().await;
    let renamed = pair
        .app
        .put(
            &format!("/documents/{}", pair.doc),
            &json!({"title": "Renamed", "version": 1}),
            Some(&pair.ada.access),
        )
        .await;
    assert!(renamed.status().is_success());
    let message = grace.receives("title_changed", |_| true).await;
    assert_eq!(message["title"], "Renamed");
}

#[tokio::test]
async fn trash_removes_the_op_log_and_a_restored_document_starts_a_fresh_one_from_its_text() {
    let pair = shared_document(collab_app().await, "a").await;
    let mut ada = pair.ada().await;
    ada.types(1, "b").await;
    ada.receives("document_saved", |_| true).await;
    let doc: Uuid = pair.doc.parse().unwrap();
    pair.app
        .delete(&format!("/documents/{}", pair.doc), Some(&pair.ada.access))
        .await;
    ada.closed_with().await;
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM collab.ops WHERE document_id = $1")
            .bind(doc)
            .fetch_one(&pair.app.db)
            .await
            .unwrap()
    };
    for _ in 0..50 {
        if count().await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(count().await, 0);
    pair.app
        .post(
            &format!("/documents/{}/restore", pair.doc),
            &json!({}),
            Some(&pair.ada.access),
        )
        .await;
    let mut back = pair.ada().await;
    assert_eq!(back.text, "ab");
    // Revisions go on counting: a client holding an old revision is not confused.
    assert!(back.welcome["revision"].as_u64().unwrap() >= 1);
    back.types(2, "c").await;
    back.sees("abc").await;
}

#[tokio::test]
async fn an_idle_document_is_closed_and_opens_again_from_its_snapshot() {
    let app = TestApp::spawn_with(|c| {
        c.collab.idle_secs = 1;
        c.collab.save_debounce_ms = 100;
    })
    .await;
    let pair = shared_document(app, "sleep").await;
    let mut ada = pair.ada().await;
    ada.types(5, "y").await;
    ada.settles().await;
    ada.leaves().await;
    let doc: Uuid = pair.doc.parse().unwrap();
    let snapshot = || async {
        sqlx::query_scalar::<_, Option<i64>>(
            "SELECT max(revision) FROM collab.snapshots WHERE document_id = $1",
        )
        .bind(doc)
        .fetch_one(&pair.app.db)
        .await
        .unwrap()
    };
    for _ in 0..60 {
        if snapshot().await == Some(1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        snapshot().await,
        Some(1),
        "closing left a snapshot at the head"
    );
    let again = pair.ada().await;
    assert_eq!(again.text, "sleepy");
    assert_eq!(again.welcome["document"]["version"], 2);
}

#[tokio::test]
async fn a_follower_whose_fan_out_is_lost_still_delivers_from_postgresql() {
    let pair = shared_document(collab_app().await, "").await;
    let other = pair.app.spawn_instance().await;
    let mut ada = pair.ada().await;
    let mut grace = Editor::connect(&other.address, &pair.doc, &pair.grace.access, "grace").await;
    ada.types(0, "a").await;
    grace.sees("a").await;
    // Break the follower's inbox: nothing fanned out reaches it any more.
    let client = redis::Client::open("redis://127.0.0.1:6379").unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let prefix = &pair.app.config.platform.redis.key_prefix;
    let writer: String = redis::cmd("GET")
        .arg(format!("{prefix}collab:{{{}}}:lease", pair.doc))
        .query_async(&mut conn)
        .await
        .unwrap();
    let subs: Vec<String> = redis::cmd("ZRANGE")
        .arg(format!("{prefix}collab:{{{}}}:subs", pair.doc))
        .arg(0)
        .arg(-1)
        .query_async(&mut conn)
        .await
        .unwrap();
    let follower = subs
        .into_iter()
        .find(|s| *s != writer)
        .expect("the follower is subscribed");
    let inbox = format!("{prefix}collab:inbox:{follower}");
    let () = redis::cmd("DEL")
        .arg(&inbox)
        .query_async(&mut conn)
        .await
        .unwrap();
    let () = redis::cmd("SET")
        .arg(&inbox)
        .arg("not a stream")
        .query_async(&mut conn)
        .await
        .unwrap();
    ada.types(1, "b").await;
    ada.settles().await;
    // The head check finds the op in PostgreSQL within a second or so.
    grace.sees("ab").await;
    let () = redis::cmd("DEL")
        .arg(&inbox)
        .query_async(&mut conn)
        .await
        .unwrap();
}

#[tokio::test]
async fn refusals_for_stale_seqs_old_revisions_and_oversized_documents_name_their_change() {
    let app = TestApp::spawn_with(|c| {
        c.collab.max_document_bytes = 20;
        c.collab.memory_window = 1;
        c.collab.window_revisions = 1;
        c.collab.snapshot_every = 1;
        c.collab.retention_interval_secs = 1;
    })
    .await;
    let pair = shared_document(app, "0123456789").await;
    let mut ada = pair.ada().await;
    ada.types(10, "a").await;
    ada.settles().await;
    ada.send(&json!({"type": "document_change", "revision": 1, "operation": [11, "x".repeat(20)], "seq": 2})).await;
    let too_large = ada.gets_error("document_too_large").await;
    assert_eq!(too_large["seq"], 2);
    ada.send(&json!({"type": "document_change", "revision": 1, "operation": [11, "b"], "seq": 1}))
        .await;
    ada.receives("ack", |m| m["seq"] == 1).await;
    ada.send(&json!({"type": "document_change", "revision": 1, "operation": [11, "b"], "seq": 3}))
        .await;
    ada.receives("ack", |m| m["seq"] == 3).await;
    ada.send(&json!({"type": "document_change", "revision": 2, "operation": [12, "c"], "seq": 2}))
        .await;
    ada.gets_error("stale_seq").await;
    for i in 0..4 {
        ada.send(&json!({"type": "document_change", "revision": 2 + i, "operation": [12 + i, "d"], "seq": 4 + i})).await;
        ada.receives("ack", |m| m["seq"] == 4 + i).await;
    }
    // Once the log holds no op after revision 1, a change based on it cannot be placed.
    let doc: Uuid = pair.doc.parse().unwrap();
    for _ in 0..50 {
        let oldest: Option<i64> =
            sqlx::query_scalar("SELECT min(revision) FROM collab.ops WHERE document_id = $1")
                .bind(doc)
                .fetch_one(&pair.app.db)
                .await
                .unwrap();
        if oldest.unwrap_or(0) > 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ada.send(&json!({"type": "document_change", "revision": 1, "operation": [11, "e"], "seq": 9}))
        .await;
    ada.gets_error("revision_too_old").await;
}

#[tokio::test]
async fn metrics_count_sockets_commits_and_errors() {
    let pair = shared_document(collab_app().await, "m").await;
    let mut ada = pair.ada().await;
    ada.types(1, "!").await;
    ada.settles().await;
    ada.send_text("nope".into()).await;
    ada.gets_error("malformed_json").await;
    let text = pair.app.get("/metrics", None).await.text().await.unwrap();
    for series in [
        "tandem_collab_sockets 1",
        "tandem_collab_documents_open 1",
        "tandem_collab_ops_committed_total 1",
        "tandem_collab_errors_total{code=\"malformed_json\"} 1",
        "tandem_collab_commit_seconds_bucket",
        "tandem_collab_ack_seconds_bucket",
        "tandem_collab_commit_batch_ops_bucket",
    ] {
        assert!(text.contains(series), "missing {series}");
    }
}

#[tokio::test]
async fn the_collaboration_service_runs_alone_against_the_other_services_apis() {
    let pair = shared_document(collab_app().await, "alone").await;
    let mut config = pair.app.config.clone();
    let others: url::Url = pair.app.address.parse().unwrap();
    config.platform.services.users_url = others.clone();
    config.platform.services.documents_url = others;
    let alone = App::build(config, Mode::Collab).await.unwrap();
    let address = format!("http://127.0.0.1:{}", alone.port());
    tokio::spawn(alone.run_until(std::future::pending()));
    // It verifies tokens with the User Service's published keys, and roles through the
    // Document Service's internal API.
    let mut grace = Editor::connect(&address, &pair.doc, &pair.grace.access, "grace").await;
    assert_eq!(grace.text, "alone");
    grace.types(0, "all ").await;
    grace.sees("all alone").await;
    let eve = pair.app.signed_up("eve").await;
    let mut stranger = Editor::connect_raw(&address, &pair.doc, &eve.access, "eve").await;
    assert_eq!(stranger.closed_with().await.0, 4404);
    // The document endpoints are not served there.
    let response = pair
        .app
        .client
        .get(format!("{address}/documents"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::NOT_FOUND);
}
