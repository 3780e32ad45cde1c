//! The live history (timeslider) and authorship, read over REST.

use super::{collab_app, converge, shared_document};
use crate::helpers::{TestApp, problem};
use reqwest::StatusCode;
use serde_json::Value;
use tandem_ot::Operation;

async fn get(pair: &super::Pair, path: &str, token: &str) -> Value {
    let response = pair
        .app
        .get(&format!("/collab/{}/{path}", pair.doc), Some(token))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_text_at_every_revision_equals_replaying_the_ops_up_to_it() {
    let pair = shared_document(collab_app().await, "start").await;
    let mut ada = pair.ada().await;
    let mut grace = pair.grace().await;
    ada.types(5, " one").await;
    grace.types(0, "🦀 ").await;
    ada.settles().await;
    grace.settles().await;
    converge(&mut [&mut ada, &mut grace]).await;
    ada.deletes(0, 2).await;
    grace.types(3, "é").await;
    ada.settles().await;
    grace.settles().await;
    let text = converge(&mut [&mut ada, &mut grace]).await;
    let head = ada.revision;
    assert_eq!(head, 4);

    let ops = get(&pair, "ops?from=1", &pair.grace.access).await;
    let mut replayed = String::from("start");
    for n in 0..=head {
        if n > 0 {
            let op: Operation =
                serde_json::from_value(ops["items"][(n - 1) as usize]["operation"].clone())
                    .unwrap();
            replayed = op.apply(&replayed).unwrap();
        }
        let at = get(&pair, &format!("history?revision={n}"), &pair.grace.access).await;
        assert_eq!(at["revision"], n);
        assert_eq!(at["content"], replayed.as_str(), "revision {n}");
    }
    assert_eq!(replayed, text);

    // The timeline: one burst (nobody paused), both authors named.
    let timeline = get(&pair, "history", &pair.ada.access).await;
    assert_eq!(timeline["head"], head);
    assert_eq!(timeline["oldest"], 0);
    assert_eq!(timeline["bursts"].as_array().unwrap().len(), 1);
    assert_eq!(timeline["bursts"][0]["from"], 1);
    assert_eq!(timeline["bursts"][0]["to"], head);
    assert_eq!(timeline["bursts"][0]["ops"], head);
    let names: Vec<&str> = timeline["authors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["display_name"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(names.len(), 2);
    assert!(
        names.contains(&"ada display") && names.contains(&"grace display"),
        "{names:?}"
    );
}

#[tokio::test]
async fn authorship_names_who_wrote_each_part_of_the_text() {
    let pair = shared_document(collab_app().await, "Title\n").await;
    let mut ada = pair.ada().await;
    ada.types(6, "Hello").await;
    ada.settles().await;
    let mut grace = pair.grace().await;
    grace.types(11, " world").await;
    grace.settles().await;
    let text = converge(&mut [&mut ada, &mut grace]).await;
    assert_eq!(text, "Title\nHello world");

    let authorship = get(&pair, "authorship", &pair.grace.access).await;
    assert_eq!(authorship["revision"], 2);
    let spans: Vec<(u64, u64, Value)> = authorship["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["start"].as_u64().unwrap(),
                s["end"].as_u64().unwrap(),
                s["user_id"].clone(),
            )
        })
        .collect();
    assert_eq!(
        spans,
        vec![
            (0, 6, Value::Null),
            (6, 11, Value::from(pair.ada.user_id.as_str())),
            (11, 17, Value::from(pair.grace.user_id.as_str())),
        ]
    );
    let authors = authorship["authors"].as_array().unwrap();
    assert_eq!(authors.len(), 2);
    assert!(
        authors
            .iter()
            .all(|a| a["color"].as_str().unwrap().starts_with('#'))
    );

    // At revision 1 only ada had written.
    let earlier = get(&pair, "authorship?revision=1", &pair.ada.access).await;
    assert_eq!(earlier["spans"].as_array().unwrap().len(), 2);
    assert_eq!(earlier["spans"][1]["end"], 11);
}

#[tokio::test]
async fn history_is_for_readers_only_and_refuses_revisions_it_cannot_give() {
    let pair = shared_document(collab_app().await, "private").await;
    let mut ada = pair.ada().await;
    ada.types(0, "x").await;
    ada.settles().await;
    let eve = pair.app.signed_up("eve").await;
    for path in ["history", "history?revision=0", "authorship"] {
        let url = format!("/collab/{}/{path}", pair.doc);
        let body = problem(
            pair.app.get(&url, Some(&eve.access)).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert!(!body.to_string().contains("private"));
        problem(pair.app.get(&url, None).await, StatusCode::UNAUTHORIZED).await;
    }
    for path in ["history?revision=9", "authorship?revision=9"] {
        let url = format!("/collab/{}/{path}", pair.doc);
        let body = problem(
            pair.app.get(&url, Some(&pair.ada.access)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert!(body.to_string().contains("revision"), "{body}");
    }
    let bad = pair
        .app
        .get(
            &format!("/collab/{}/history?revision=-1", pair.doc),
            Some(&pair.ada.access),
        )
        .await;
    problem(bad, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn authorship_is_kept_with_snapshots_and_outlives_the_op_window() {
    let app = TestApp::spawn_with(|c| {
        c.collab.save_debounce_ms = 200;
        c.collab.snapshot_every = 2;
    })
    .await;
    let pair = shared_document(app, "").await;
    let mut ada = pair.ada().await;
    ada.types(0, "Hello").await;
    ada.settles().await;
    let mut grace = pair.grace().await;
    grace.types(5, " world").await;
    grace.settles().await;
    converge(&mut [&mut ada, &mut grace]).await;
    let doc: uuid::Uuid = pair.doc.parse().unwrap();
    // The snapshot at revision 2 is written beside the session, with its authors.
    let mut stored = None;
    for _ in 0..100 {
        stored = sqlx::query_scalar::<_, Option<String>>(
            "SELECT authorship FROM collab.snapshots WHERE document_id = $1 AND revision = 2",
        )
        .bind(doc)
        .fetch_optional(&pair.app.db)
        .await
        .unwrap()
        .flatten();
        if stored.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(stored.is_some(), "the snapshot kept no authors");
    // The ops that wrote the text leave the window, as the retention job would do.
    for sql in [
        "DELETE FROM collab.ops WHERE document_id = $1 AND revision <= 2",
        "DELETE FROM collab.snapshots WHERE document_id = $1 AND revision < 2",
    ] {
        sqlx::query(sql)
            .bind(doc)
            .execute(&pair.app.db)
            .await
            .unwrap();
    }
    ada.types(11, "!").await;
    ada.settles().await;
    let authorship = get(&pair, "authorship", &pair.ada.access).await;
    assert_eq!(authorship["revision"], 3);
    assert_ada_then_grace_then_ada(&pair, &authorship);
}

#[tokio::test]
async fn authorship_survives_the_document_closing_and_reopening() {
    let app = TestApp::spawn_with(|c| {
        c.collab.save_debounce_ms = 200;
        c.collab.idle_secs = 1;
        c.collab.snapshot_every = 1;
    })
    .await;
    let pair = shared_document(app, "").await;
    let mut ada = pair.ada().await;
    let mut grace = pair.grace().await;
    ada.types(0, "Hello").await;
    ada.settles().await;
    converge(&mut [&mut ada, &mut grace]).await;
    grace.types(5, " world").await;
    grace.settles().await;
    converge(&mut [&mut ada, &mut grace]).await;
    ada.leaves().await;
    grace.leaves().await;
    // The session closes (its lease goes), and the next one loads who wrote what.
    let lease = format!("collab:{{{}}}:lease", pair.doc);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    while pair.app.redis_get(&lease).await.is_some() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the session never closed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut ada = pair.ada().await;
    ada.types(11, "!").await;
    ada.settles().await;
    // Only the newest snapshot is left: what the reopened session held in memory.
    let doc: uuid::Uuid = pair.doc.parse().unwrap();
    let mut head_snapshot = false;
    for _ in 0..100 {
        head_snapshot = sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM collab.snapshots
             WHERE document_id = $1 AND revision = 3 AND authorship IS NOT NULL",
        )
        .bind(doc)
        .fetch_one(&pair.app.db)
        .await
        .unwrap()
            == 1;
        if head_snapshot {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(head_snapshot, "the reopened session wrote no snapshot");
    for sql in [
        "DELETE FROM collab.ops WHERE document_id = $1 AND revision <= 3",
        "DELETE FROM collab.snapshots WHERE document_id = $1 AND revision < 3",
    ] {
        sqlx::query(sql)
            .bind(doc)
            .execute(&pair.app.db)
            .await
            .unwrap();
    }
    let authorship = get(&pair, "authorship", &pair.grace.access).await;
    assert_ada_then_grace_then_ada(&pair, &authorship);
}

/// The spans are "Hello" by ada, " world" by grace, "!" by ada.
fn assert_ada_then_grace_then_ada(pair: &super::Pair, authorship: &Value) {
    let owners: Vec<(u64, &str)> = authorship["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["end"].as_u64().unwrap(),
                s["user_id"].as_str().unwrap_or("nobody"),
            )
        })
        .collect();
    assert_eq!(
        owners,
        vec![
            (5, pair.ada.user_id.as_str()),
            (11, pair.grace.user_id.as_str()),
            (12, pair.ada.user_id.as_str()),
        ]
    );
}
