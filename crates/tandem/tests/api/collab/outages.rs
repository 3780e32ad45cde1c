//! Dependencies going away, with servers and proxies the tests start themselves: without
//! PostgreSQL nothing is acknowledged (and clients are told); without Redis one instance
//! keeps serving; a draining instance sends its clients elsewhere; a client that stops
//! reading is cut off, not buffered for ever.

use super::client::Editor;
use super::shared_document;
use crate::helpers::{Proxy, RedisServer, TestApp};
use std::time::Duration;

#[tokio::test]
async fn without_postgresql_nothing_is_acknowledged_and_everything_is_when_it_returns() {
    let mut proxy = Proxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let port = proxy.port;
    let app = TestApp::spawn_with(move |c| {
        let url = secrecy::ExposeSecret::expose_secret(&c.platform.database.url)
            .replace(":5432/", &format!(":{port}/"));
        c.platform.database.url = url.into();
        c.platform.database.acquire_timeout_secs = 1;
        c.collab.save_debounce_ms = 200;
    })
    .await;
    let pair = shared_document(app, "kept").await;
    let mut ada = pair.ada().await;
    proxy.cut();
    ada.types(4, " safe").await;
    let told = ada.gets_error("storage_unavailable").await;
    assert_eq!(told["seq"], 1);
    assert!(told["retry_after_ms"].as_u64().is_some());
    ada.pump(Duration::from_millis(500)).await;
    assert!(!ada.synchronized(), "no ack while PostgreSQL is away");
    // A newcomer cannot be served right now, and hears so.
    let mut grace =
        Editor::connect_raw(&pair.app.address, &pair.doc, &pair.grace.access, "grace").await;
    assert_eq!(grace.closed_with().await, (1013, "try_again_later".into()));
    proxy.restore().await;
    ada.sees("kept safe").await;
    let mut grace = pair.grace().await;
    assert_eq!(grace.text, "kept safe");
    grace.types(0, "> ").await;
    ada.sees("> kept safe").await;
}

#[tokio::test]
async fn without_redis_one_instance_keeps_serving_its_documents() {
    let mut redis = RedisServer::start().await;
    let url = redis.url();
    let app = TestApp::spawn_with(move |c| {
        c.platform.redis.url = url.into();
        c.collab.save_debounce_ms = 200;
    })
    .await;
    let pair = shared_document(app, "on").await;
    let mut ada = pair.ada().await;
    let mut grace = pair.grace().await;
    redis.stop();
    ada.types(2, " and").await;
    grace.types(0, "still ").await;
    let text = super::converge(&mut [&mut ada, &mut grace]).await;
    assert_eq!(text, "still on and");
    redis.restart().await;
    for _ in 0..100 {
        if pair
            .app
            .get("/health/ready", None)
            .await
            .status()
            .is_success()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Redis lost everything (it keeps nothing on disk): sessions are gone, so sign in again.
    let alan = pair.app.signed_up("alan").await;
    let ada_again = pair.app.signed_in("ada").await;
    assert!(
        pair.app
            .share(&ada_again.access, &pair.doc, "alan", "write")
            .await
            .status()
            .is_success()
    );
    let mut alan_editor = Editor::connect(&pair.app.address, &pair.doc, &alan.access, "alan").await;
    assert_eq!(alan_editor.text, "still on and");
    alan_editor.types(0, "> ").await;
    alan_editor.sees("> still on and").await;
}

#[tokio::test]
async fn a_draining_instance_sends_its_clients_elsewhere_at_once() {
    let pair = shared_document(super::collab_app().await, "x").await;
    let mut other = pair.app.spawn_instance().await;
    let mut ada = Editor::connect(&other.address, &pair.doc, &pair.ada.access, "ada").await;
    ada.types(1, "y").await;
    ada.settles().await;
    other.stop();
    assert_eq!(ada.closed_with().await, (1012, "server_restart".into()));
    ada.reconnects_to(&pair.app.address).await;
    ada.sees("xy").await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_disconnected_not_buffered_for_ever() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let app = TestApp::spawn_with(|c| {
        c.collab.outgoing_queue = 4;
        c.collab.changes_per_second = 1000;
        c.collab.changes_burst = 1000;
    })
    .await;
    let pair = shared_document(app, "").await;
    let mut ada = pair.ada().await;
    // A client that authenticates and then never reads a byte.
    let url = format!(
        "{}/collab/{}",
        pair.app.address.replacen("http", "ws", 1),
        pair.doc
    );
    let (mut stalled, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let auth = serde_json::json!({"type": "auth", "token": pair.grace.access, "client_id": uuid::Uuid::new_v4()});
    stalled
        .send(Message::Text(auth.to_string().into()))
        .await
        .unwrap();
    // 128 KiB per change: far more than the socket buffers hold.
    let chunk = "x".repeat(128 * 1024);
    for _ in 0..75 {
        let end = ada.text.chars().count();
        ada.types(end, &chunk).await;
        ada.settles().await;
    }
    // Ada was never held back by the stalled client.
    assert_eq!(ada.revision, 75);
    // The server gave up on it: the socket ends (its close frame, 4503, may be stuck behind
    // the unread data), and the server counts why.
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(Ok(frame)) = stalled.next().await {
            if let Message::Close(Some(frame)) = frame {
                assert_eq!(u16::from(frame.code), 4503);
                break;
            }
        }
    })
    .await
    .expect("the stalled socket is closed");
    let closes = pair
        .app
        .counter("tandem_collab_closes_total{code=\"slow_consumer\"}")
        .await;
    assert!(closes >= 1);
}

#[tokio::test]
async fn a_drained_instance_saves_what_it_holds_and_the_next_session_does_not_add_it_again() {
    // No saves until the instance stops: its closing save is the one that matters.
    let app = TestApp::spawn_with(|c| {
        c.collab.save_debounce_ms = 600_000;
        c.collab.save_max_interval_secs = 600;
    })
    .await;
    let pair = shared_document(app, "x").await;
    let mut other = pair.app.spawn_instance().await;
    let mut ada = Editor::connect(&other.address, &pair.doc, &pair.ada.access, "ada").await;
    ada.types(1, "yz").await;
    ada.settles().await;
    other.stop();
    assert_eq!(ada.closed_with().await, (1012, "server_restart".into()));
    let path = format!("/documents/{}", pair.doc);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let document: serde_json::Value = pair
            .app
            .get(&path, Some(&pair.ada.access))
            .await
            .json()
            .await
            .unwrap();
        if document["content"] == "xyz" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never saved: {document}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ada.reconnects_to(&pair.app.address).await;
    ada.sees("xyz").await;
    // A session that took the saved version for an outside edit would merge "yz" again.
    ada.pump(Duration::from_millis(1000)).await;
    assert_eq!(ada.text, "xyz");
    ada.types(3, "!").await;
    ada.settles().await;
    assert_eq!(ada.text, "xyz!");
}
