//! Random and malformed traffic never panics the server and never disturbs anyone else;
//! every refusal is a clear error or close code, never a silent drop.

use super::client::Editor;
use super::{collab_app, shared_document};
use crate::helpers::TestApp;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

fn junk(rng: &mut StdRng) -> Value {
    let number = || -> Value {
        [
            json!(-1),
            json!(0),
            json!(1.5),
            json!(u64::MAX),
            json!(-9e300),
            json!(1e30),
            json!(7),
        ][rand::random_range(0..7)]
        .clone()
    };
    let op = || -> Value {
        [
            json!([]),
            json!([0]),
            json!([-5]),
            json!([""]),
            json!([1, "x", -1, 2]),
            json!(["a\u{0}b"]),
            json!([u64::MAX]),
            json!([{"insert": "x"}]),
            json!("retain 5"),
            json!([1.5]),
            json!(["🦀".repeat(100)]),
        ][rand::random_range(0..11)]
        .clone()
    };
    match rng.random_range(0..8) {
        0 => {
            json!({"type": "document_change", "revision": number(), "operation": op(), "seq": number()})
        }
        1 => {
            json!({"type": "document_change", "revision": 0, "operation": op(), "seq": rng.random_range(1..50)})
        }
        2 => {
            json!({"type": "cursor_position", "revision": number(), "selection": {"anchor": number(), "head": number()}})
        }
        3 => {
            let kind =
                ["auth", "save", "ping", "undo", "", "DOCUMENT_CHANGE"][rng.random_range(0..6)];
            json!({ "type": kind })
        }
        4 => json!({"type": "cursor_position", "revision": 0, "selection": "everything"}),
        5 => json!([1, 2, 3]),
        6 => json!({"type": null, "revision": {"nested": [1, {"deep": true}]}}),
        _ => json!({"type": "document_change", "revision": 0, "operation": op()}),
    }
}

#[tokio::test]
async fn random_and_malformed_messages_never_break_the_server_or_other_clients() {
    let pair = shared_document(collab_app().await, "steady").await;
    let mut ada = pair.ada().await;
    let mut rng = StdRng::seed_from_u64(7);
    for round in 0..6 {
        let mut fuzzer =
            Editor::connect(&pair.app.address, &pair.doc, &pair.grace.access, "fuzzer").await;
        for _ in 0..150 {
            match rng.random_range(0..10) {
                0 => {
                    fuzzer
                        .send_frame(Message::Binary(vec![0xff; 64].into()))
                        .await
                }
                1 => {
                    fuzzer
                        .send_text("{\"type\":".repeat(rng.random_range(1..50)))
                        .await
                }
                2 => {
                    fuzzer
                        .send_text(String::from_utf8_lossy(&rng.random::<[u8; 32]>()).into_owned())
                        .await
                }
                _ => fuzzer.send(&junk(&mut rng)).await,
            }
        }
        // Every answer is an error with a known code, or a close with a protocol code.
        fuzzer.pump(std::time::Duration::from_millis(300)).await;
        for event in &fuzzer.events {
            if event["type"] == "error" {
                assert!(
                    event["code"].is_string() && event["message"].is_string(),
                    "{event}"
                );
            }
        }
        if let Some((code, _)) = &fuzzer.closed {
            assert!(
                (4000..5000).contains(code) || *code == 1009,
                "round {round}: close {code}"
            );
        }
        // Meanwhile, the others edit as if nothing happened.
        let end = ada.text.chars().count();
        ada.types(end, &round.to_string()).await;
        ada.settles().await;
    }
    ada.sees("steady012345").await;
    pair.app.assert_alive().await;
    let mut check = pair.grace().await;
    assert!(check.text.starts_with("steady"));
    check.leaves().await;
}

#[tokio::test]
async fn a_flood_of_connections_and_joins_is_refused_with_codes_not_dropped() {
    let app = TestApp::spawn_with(|c| {
        c.collab.max_connections_per_user = 3;
        c.collab.max_participants = 5;
        c.collab.max_writers = 4;
    })
    .await;
    let pair = shared_document(app, "full").await;
    let mut editors = Vec::new();
    for i in 0..3 {
        editors.push(
            Editor::connect(
                &pair.app.address,
                &pair.doc,
                &pair.ada.access,
                &format!("ada{i}"),
            )
            .await,
        );
    }
    let mut fourth =
        Editor::connect_raw(&pair.app.address, &pair.doc, &pair.ada.access, "ada4").await;
    assert_eq!(
        fourth.closed_with().await,
        (4429, "too_many_connections".into())
    );
    editors.push(pair.grace().await);
    // A fifth writer is over `max_writers`.
    let mut over =
        Editor::connect_raw(&pair.app.address, &pair.doc, &pair.grace.access, "grace2").await;
    assert_eq!(over.closed_with().await, (4429, "document_full".into()));
    // The connections in the document still work.
    editors[0].types(0, "> ").await;
    editors[3].sees("> full").await;
}
