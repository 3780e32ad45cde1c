//! Many editors sending random changes (emoji, CJK, combining marks) with random delays,
//! on one instance and on two: every text, the op log replayed from its start, and the
//! saved version agree. Cursors follow edits and stay inside the text.

use super::client::Editor;
use super::instances::replayed;
use super::{converge, shared_document};
use crate::helpers::TestApp;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use std::time::Duration;

const PIECES: [&str; 8] = ["a", "🦀", "日本", "e\u{301}", " ", "\n", "Ω", "👩‍👩‍👧"];

async fn random_edits(editor: &mut Editor, seed: u64, edits: usize) {
    let mut rng = StdRng::seed_from_u64(seed);
    for _ in 0..edits {
        let len = editor.text.chars().count();
        if len > 0 && rng.random_bool(0.3) {
            let at = rng.random_range(0..len);
            let n = rng.random_range(1..=3.min(len - at));
            editor.deletes(at, n).await;
        } else {
            let at = rng.random_range(0..=len);
            editor
                .types(at, PIECES[rng.random_range(0..PIECES.len())])
                .await;
        }
        let pause = rng.random_range(0..15);
        editor.pump(Duration::from_millis(pause)).await;
    }
}

async fn run(app: TestApp, instances: usize) {
    let pair = shared_document(app, "start").await;
    let other = if instances > 1 {
        Some(pair.app.spawn_instance().await)
    } else {
        None
    };
    let mut editors = Vec::new();
    for i in 0..6 {
        let base = match &other {
            Some(other) if i % 2 == 1 => other.address.clone(),
            _ => pair.app.address.clone(),
        };
        let token = if i % 2 == 0 {
            &pair.ada.access
        } else {
            &pair.grace.access
        };
        editors.push(Editor::connect(&base, &pair.doc, token, &format!("editor{i}")).await);
    }
    // Every editor types at once, each from its own task.
    let tasks: Vec<_> = editors
        .into_iter()
        .enumerate()
        .map(|(i, mut editor)| {
            tokio::spawn(async move {
                random_edits(&mut editor, 1000 + i as u64, 40).await;
                editor
            })
        })
        .collect();
    let mut editors = Vec::new();
    for task in tasks {
        editors.push(task.await.unwrap());
    }
    let mut refs: Vec<&mut Editor> = editors.iter_mut().collect();
    let text = converge(&mut refs).await;
    assert_eq!(
        replayed(&pair.app, &pair.doc).await,
        text,
        "the log replays to the same text"
    );
    // The last save holds the final text.
    let head = editors[0].revision;
    editors[0].send(&serde_json::json!({"type": "save"})).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let saved: Option<(i64,)> = sqlx::query_as(
            "SELECT revision FROM collab.saves WHERE document_id = $1 AND revision = $2",
        )
        .bind(pair.doc.parse::<uuid::Uuid>().unwrap())
        .bind(head as i64)
        .fetch_optional(&pair.app.db)
        .await
        .unwrap();
        if saved.is_some() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the final text is saved"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let document: Value = pair
        .app
        .get(&format!("/documents/{}", pair.doc), Some(&pair.ada.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(document["content"], text.as_str());
}

#[tokio::test]
async fn random_concurrent_edits_converge_on_one_instance() {
    run(super::collab_app().await, 1).await;
}

#[tokio::test]
async fn random_concurrent_edits_converge_across_two_instances() {
    run(super::collab_app().await, 2).await;
}

#[tokio::test]
async fn cursors_move_through_concurrent_edits_and_stay_inside_the_text() {
    let pair = shared_document(super::collab_app().await, "hello world").await;
    let mut ada = pair.ada().await;
    let mut grace = pair.grace().await;
    // Grace selects "world".
    grace.selects(6, 11).await;
    ada.receives("cursor_position", |m| m["selection"]["head"] == 11)
        .await;
    // Ada types before it: a late joiner sees Grace's selection where the word is now.
    ada.types(0, "Oh, ").await;
    ada.settles().await;
    let mut late = Editor::connect(&pair.app.address, &pair.doc, &pair.ada.access, "late").await;
    let graces = late.welcome["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["user_id"] == pair.grace.user_id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(
        graces["selection"],
        serde_json::json!({"anchor": 10, "head": 15})
    );
    // Deleting the selected text leaves the cursor inside the document.
    ada.deletes(4, 11).await;
    ada.sees("Oh, ").await;
    late.sees("Oh, ").await;
    let mut last = Editor::connect(&pair.app.address, &pair.doc, &pair.ada.access, "last").await;
    let graces = last.welcome["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["user_id"] == pair.grace.user_id.as_str())
        .cloned()
        .unwrap();
    let length = last.text.chars().count() as u64;
    assert!(graces["selection"]["head"].as_u64().unwrap() <= length);
    // A selection sent with a change arrives with it, at the change's revision.
    ada.edit(tandem_ot::Operation::splice(4, 4, 0, "!").unwrap())
        .await;
    let change = grace
        .receives("document_change", |m| {
            m["operation"] == serde_json::json!([4, "!"])
        })
        .await;
    assert!(change.get("selection").is_none() || change["selection"].is_object());
    last.leaves().await;
}
