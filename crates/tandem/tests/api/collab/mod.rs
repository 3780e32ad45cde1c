//! The Collaboration Service, through real WebSockets against real PostgreSQL and Redis.

pub mod client;

mod basics;
mod concurrency;
mod durability;
mod errors;
mod fuzz;
mod history;
pub mod instances;
mod lifecycle;
mod outages;
mod service;
mod undo;

use crate::helpers::{TestApp, Tokens};
use client::Editor;
use serde_json::Value;

/// An app tuned for collaboration tests: quick saves and checks.
pub async fn collab_app() -> TestApp {
    TestApp::spawn_with(|c| {
        c.collab.save_debounce_ms = 200;
        c.collab.session_check_secs = 1;
        c.collab.auth_timeout_secs = 1;
    })
    .await
}

/// Ada owns a document with `content`; Grace may write it.
pub struct Pair {
    pub app: TestApp,
    pub ada: Tokens,
    pub grace: Tokens,
    pub doc: String,
}

pub async fn shared_document(app: TestApp, content: &str) -> Pair {
    let ada = app.signed_up("ada").await;
    let grace = app.signed_up("grace").await;
    let doc: Value = app.create_document(&ada.access, "Plan", content).await;
    let doc = doc["id"].as_str().unwrap().to_owned();
    assert!(
        app.share(&ada.access, &doc, "grace", "write")
            .await
            .status()
            .is_success()
    );
    Pair {
        app,
        ada,
        grace,
        doc,
    }
}

impl Pair {
    pub async fn ada(&self) -> Editor {
        Editor::connect(&self.app.address, &self.doc, &self.ada.access, "ada").await
    }

    pub async fn grace(&self) -> Editor {
        Editor::connect(&self.app.address, &self.doc, &self.grace.access, "grace").await
    }
}

/// Pumps every editor until all are synchronized at one revision (or fails after
/// `client::PATIENCE`), and returns their common text.
pub async fn converge(editors: &mut [&mut Editor]) -> String {
    let deadline = tokio::time::Instant::now() + client::PATIENCE;
    loop {
        for editor in editors.iter_mut() {
            editor.pump(std::time::Duration::from_millis(20)).await;
        }
        let first = &editors[0];
        let agreed = editors
            .iter()
            .all(|e| e.synchronized() && e.revision == first.revision && e.text == first.text);
        if agreed {
            return first.text.clone();
        }
        if tokio::time::Instant::now() > deadline {
            let states: Vec<String> = editors
                .iter()
                .map(|e| {
                    format!(
                        "{}: rev {} sync {} {:?}",
                        e.name,
                        e.revision,
                        e.synchronized(),
                        e.text
                    )
                })
                .collect();
            panic!("the editors did not converge: {states:#?}");
        }
    }
}
