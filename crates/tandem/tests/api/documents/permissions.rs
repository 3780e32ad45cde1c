//! The permission matrix: every endpoint as a stranger, a reader, a writer, an admin and
//! the owner.

use crate::helpers::{TestApp, Tokens, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy)]
enum Action {
    Get,
    Update,
    ListVersions,
    GetVersion,
    Diff,
    RestoreVersion,
    Collaborators,
    Share,
    Revoke,
    Delete,
    RestoreFromTrash,
}

struct World {
    app: TestApp,
    owner: Tokens,
    admin: Tokens,
    writer: Tokens,
    reader: Tokens,
    stranger: Tokens,
    extra_id: String,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let owner = app.signed_up("owner").await;
    let admin = app.signed_up("admin").await;
    let writer = app.signed_up("writer").await;
    let reader = app.signed_up("reader").await;
    let stranger = app.signed_up("stranger").await;
    let extra = app.register("extra").await;
    World {
        extra_id: extra["id"].as_str().unwrap().to_owned(),
        app,
        owner,
        admin,
        writer,
        reader,
        stranger,
    }
}

impl World {
    /// A fresh document shared with admin, writer and reader (and `extra` as reader, so
    /// revoking has someone to revoke).
    async fn document(&self) -> String {
        let doc = self
            .app
            .create_document(&self.owner.access, "Matrix", "line\n")
            .await;
        let id = doc["id"].as_str().unwrap().to_owned();
        for (who, role) in [
            ("admin", "admin"),
            ("writer", "write"),
            ("reader", "read"),
            ("extra", "read"),
        ] {
            assert_eq!(
                self.app
                    .share(&self.owner.access, &id, who, role)
                    .await
                    .status(),
                StatusCode::OK
            );
        }
        id
    }

    async fn perform(&self, action: Action, id: &str, token: &str) -> StatusCode {
        let app = &self.app;
        let t = Some(token);
        let response = match action {
            Action::Get => app.get(&format!("/documents/{id}"), t).await,
            Action::Update => app.update_document(token, id, 1, "changed\n").await,
            Action::ListVersions => app.get(&format!("/documents/{id}/versions"), t).await,
            Action::GetVersion => app.get(&format!("/documents/{id}/versions/1"), t).await,
            Action::Diff => {
                app.get(&format!("/documents/{id}/diff?from=1&to=1"), t)
                    .await
            }
            Action::RestoreVersion => {
                app.post(
                    &format!("/documents/{id}/versions/1/restore"),
                    &json!({}),
                    t,
                )
                .await
            }
            Action::Collaborators => app.get(&format!("/documents/{id}/collaborators"), t).await,
            Action::Share => {
                app.post(
                    &format!("/documents/{id}/share"),
                    &json!({"user_id": self.extra_id, "role": "write"}),
                    t,
                )
                .await
            }
            Action::Revoke => {
                app.delete(&format!("/documents/{id}/share/{}", self.extra_id), t)
                    .await
            }
            Action::Delete => app.delete(&format!("/documents/{id}"), t).await,
            Action::RestoreFromTrash => {
                let trashed = app
                    .delete(&format!("/documents/{id}"), Some(&self.owner.access))
                    .await;
                assert_eq!(trashed.status(), StatusCode::NO_CONTENT);
                app.post(&format!("/documents/{id}/restore"), &json!({}), t)
                    .await
            }
        };
        let status = response.status();
        if status.is_client_error() {
            problem(response, status).await;
        }
        status
    }
}

#[tokio::test]
async fn every_endpoint_enforces_the_role_table() {
    use Action::*;
    const OK: StatusCode = StatusCode::OK;
    const GONE: StatusCode = StatusCode::NOT_FOUND;
    const NO: StatusCode = StatusCode::FORBIDDEN;
    const DONE: StatusCode = StatusCode::NO_CONTENT;
    // (action, stranger, reader, writer, admin, owner)
    let table = [
        (Get, GONE, OK, OK, OK, OK),
        (Update, GONE, NO, OK, OK, OK),
        (ListVersions, GONE, OK, OK, OK, OK),
        (GetVersion, GONE, OK, OK, OK, OK),
        (Diff, GONE, OK, OK, OK, OK),
        (RestoreVersion, GONE, NO, OK, OK, OK),
        (Collaborators, GONE, OK, OK, OK, OK),
        (Share, GONE, NO, NO, OK, OK),
        (Revoke, GONE, NO, NO, DONE, DONE),
        (Delete, GONE, NO, NO, DONE, DONE),
        (RestoreFromTrash, GONE, NO, NO, OK, OK),
    ];
    let w = world().await;
    for (action, stranger, reader, writer, admin, owner) in table {
        let actors = [
            ("stranger", &w.stranger, stranger),
            ("reader", &w.reader, reader),
            ("writer", &w.writer, writer),
            ("admin", &w.admin, admin),
            ("owner", &w.owner, owner),
        ];
        for (name, tokens, expected) in actors {
            let id = w.document().await;
            let got = w.perform(action, &id, &tokens.access).await;
            assert_eq!(got, expected, "{action:?} as {name}");
        }
    }
}

#[tokio::test]
async fn a_stranger_cannot_tell_a_hidden_document_from_a_missing_one() {
    let w = world().await;
    let id = w.document().await;
    let hidden = w
        .app
        .get(&format!("/documents/{id}"), Some(&w.stranger.access))
        .await;
    let missing = w
        .app
        .get(
            &format!("/documents/{}", uuid::Uuid::now_v7()),
            Some(&w.stranger.access),
        )
        .await;
    let mut a = problem(hidden, StatusCode::NOT_FOUND).await;
    let mut b = problem(missing, StatusCode::NOT_FOUND).await;
    a.as_object_mut().unwrap().remove("request_id");
    b.as_object_mut().unwrap().remove("request_id");
    assert_eq!(a, b);
    // Nor through lists or search.
    let list: Value = w
        .app
        .get("/documents", Some(&w.stranger.access))
        .await
        .json()
        .await
        .unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
    let found: Value = w
        .app
        .get("/documents/search?q=matrix", Some(&w.stranger.access))
        .await
        .json()
        .await
        .unwrap();
    assert!(found["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_owner_cannot_be_demoted_or_removed_even_by_an_admin() {
    let w = world().await;
    let id = w.document().await;
    let owner_id = &w.owner.user_id;
    let demote = w
        .app
        .post(
            &format!("/documents/{id}/share"),
            &json!({"user_id": owner_id, "role": "read"}),
            Some(&w.admin.access),
        )
        .await;
    assert_eq!(
        problem(demote, StatusCode::CONFLICT).await["code"],
        "owner_immutable"
    );
    let remove = w
        .app
        .delete(
            &format!("/documents/{id}/share/{owner_id}"),
            Some(&w.admin.access),
        )
        .await;
    assert_eq!(
        problem(remove, StatusCode::CONFLICT).await["code"],
        "owner_immutable"
    );
    assert_eq!(
        w.app
            .get(&format!("/documents/{id}"), Some(&w.owner.access))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn every_document_endpoint_needs_a_live_token() {
    let w = world().await;
    let id = w.document().await;
    for path in [
        format!("/documents/{id}"),
        "/documents".into(),
        "/documents/search?q=x".into(),
        "/documents/trash".into(),
    ] {
        problem(w.app.get(&path, None).await, StatusCode::UNAUTHORIZED).await;
    }
    // After logout the reader's token is refused here too, not just by the User Service.
    assert_eq!(
        w.app
            .get(&format!("/documents/{id}"), Some(&w.reader.access))
            .await
            .status(),
        StatusCode::OK
    );
    w.app
        .post("/auth/logout", &json!({}), Some(&w.reader.access))
        .await;
    problem(
        w.app
            .get(&format!("/documents/{id}"), Some(&w.reader.access))
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn document_endpoints_are_rate_limited_per_user() {
    let app = TestApp::spawn_with(|c| c.documents.user_per_minute = 3).await;
    let ada = app.signed_up("ada").await;
    for _ in 0..3 {
        assert_eq!(
            app.get("/documents", Some(&ada.access)).await.status(),
            StatusCode::OK
        );
    }
    let refused = app.get("/documents", Some(&ada.access)).await;
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(
        problem(refused, StatusCode::TOO_MANY_REQUESTS).await["code"],
        "rate_limited"
    );
}
