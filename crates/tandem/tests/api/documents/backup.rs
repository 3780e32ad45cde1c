//! Backup and restore of the Document Service (the library the `tandem backup` commands
//! call), against real PostgreSQL, Redis and the local object store.

use crate::helpers::TestApp;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use tandem_documents::backup::{self, NoProgress};
use tandem_documents::storage::Storage;

const TABLES: &[(&str, &str)] = &[
    ("documents", "id"),
    ("permissions", "document_id, user_id"),
    ("versions", "document_id, version"),
    ("attachments", "id"),
    ("analytics_daily", "document_id, day"),
    ("analytics_user_daily", "document_id, day, user_id"),
    ("analytics_flushes", "batch_id"),
];

fn storage(app: &TestApp) -> Storage {
    Storage::open(
        &app.config.documents.storage,
        &app.config.platform.server.data_dir,
    )
    .unwrap()
}

fn redis(app: &TestApp) -> tandem_platform::redis::Redis {
    tandem_platform::redis::Redis::new(&app.config.platform.redis).unwrap()
}

/// A second app on a fresh database sharing `first`'s object store, signing key and Redis
/// prefix (so `first`'s tokens work on it: the users schema is not part of a backup).
async fn sibling(first: &TestApp) -> TestApp {
    let data_dir = first.config.platform.server.data_dir.clone();
    let prefix = first.config.platform.redis.key_prefix.clone();
    TestApp::spawn_with(move |c| {
        c.platform.server.data_dir = data_dir;
        c.platform.redis.key_prefix = prefix;
        // The shared prefix would let this app flush `first`'s buffered analytics.
        c.documents.analytics_flush_secs = 3600;
    })
    .await
}

/// Every row of `table`, by primary key, as JSON.
async fn rows(app: &TestApp, table: &str, key: &str) -> Vec<Value> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT row_to_json(t)::jsonb FROM documents.{table} t ORDER BY {key}"
    )))
    .fetch_all(&app.db)
    .await
    .unwrap()
}

async fn upload(app: &TestApp, token: &str, id: &str, bytes: Vec<u8>) -> Value {
    let part = Part::bytes(bytes)
        .file_name("notes.txt")
        .mime_str("text/plain")
        .unwrap();
    let response = app
        .client
        .post(app.url(&format!("/documents/{id}/attachments")))
        .bearer_auth(token)
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_backup_restores_into_a_fresh_database_row_for_row() {
    let first = TestApp::spawn_with(|c| c.documents.analytics_flush_secs = 1).await;
    let ada = first.signed_up("ada").await;
    first.signed_up("bob").await;
    let doc = first.create_document(&ada.access, "Plan", "v1").await;
    let id = doc["id"].as_str().unwrap();
    for version in 1..=2 {
        let response = first
            .update_document(&ada.access, id, version, &format!("v{}", version + 1))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(
        first.share(&ada.access, id, "bob", "write").await.status(),
        StatusCode::OK
    );
    let template = first.create_document(&ada.access, "Template", "# T").await;
    let template_id = template["id"].as_str().unwrap();
    let marked = first
        .post(
            &format!("/documents/{template_id}/template"),
            &json!({}),
            Some(&ada.access),
        )
        .await;
    assert_eq!(marked.status(), StatusCode::OK);
    let trashed = first.create_document(&ada.access, "Old", "x").await;
    let trashed_id = trashed["id"].as_str().unwrap();
    first
        .delete(&format!("/documents/{trashed_id}"), Some(&ada.access))
        .await;
    let bytes = b"attachment bytes \x00\x01\x02".repeat(100);
    let attachment = upload(&first, &ada.access, id, bytes.clone()).await;
    let attachment_id = attachment["id"].as_str().unwrap();

    // Analytics flushed (so the backup has some, and no flush changes the tables later).
    let mut settled = false;
    for _ in 0..20 {
        let before = rows(&first, "analytics_daily", "document_id, day").await;
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let after = rows(&first, "analytics_daily", "document_id, day").await;
        if !before.is_empty() && before == after {
            settled = true;
            break;
        }
    }
    assert!(settled, "the analytics were flushed");

    let store = storage(&first);
    let info = backup::create(&first.db, &store, &NoProgress)
        .await
        .unwrap();
    assert!(info.name.starts_with("tandem-") && info.name.ends_with(".tar.gz"));
    assert_eq!(info.counts["documents"], 3);
    assert_eq!(info.counts["versions"], 5);
    assert_eq!(info.counts["attachments"], 1);
    let listed = backup::list(&store).await.unwrap();
    assert_eq!(listed, vec![info.clone()]);

    // The bytes are lost; the restore must bring them back.
    let (object_key,): (String,) =
        sqlx::query_as("SELECT object_key FROM documents.attachments WHERE id = $1")
            .bind(attachment_id.parse::<uuid::Uuid>().unwrap())
            .fetch_one(&first.db)
            .await
            .unwrap();
    store.delete(&object_key).await.unwrap();

    let second = sibling(&first).await;
    let report = backup::restore(
        &second.db,
        &storage(&second),
        &redis(&second),
        &info.name,
        false,
        &NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(report.manifest.counts, info.counts);

    for (table, key) in TABLES {
        assert_eq!(
            rows(&second, table, key).await,
            rows(&first, table, key).await,
            "documents.{table} differs after the restore"
        );
    }
    // The generated search column is recomputed.
    let found: Value = second
        .get("/documents/search?q=plan", Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["items"][0]["id"], id, "{found}");
    let download = second
        .get(
            &format!("/documents/{id}/attachments/{attachment_id}"),
            Some(&ada.access),
        )
        .await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.bytes().await.unwrap().as_ref(), bytes.as_slice());
    let restored: Value = second
        .get(&format!("/documents/{id}"), Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(restored["version"], 3);
    assert_eq!(restored["content"], "v3");
}

#[tokio::test]
async fn a_backup_taken_during_writes_is_one_point_in_time() {
    let first = TestApp::spawn().await;
    let ada = first.signed_up("ada").await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let doc = first
            .create_document(&ada.access, &format!("Doc {n}"), "0")
            .await;
        ids.push(doc["id"].as_str().unwrap().to_owned());
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for id in ids {
        let (address, token, stop) = (first.address.clone(), ada.access.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut version = 1;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let response = client
                    .put(format!("{address}/documents/{id}"))
                    .bearer_auth(&token)
                    .json(&json!({"content": format!("{version}"), "version": version}))
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                assert_eq!(
                    status,
                    StatusCode::OK,
                    "a write during the backup was refused: {}",
                    response.text().await.unwrap_or_default()
                );
                version += 1;
            }
            version
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let store = storage(&first);
    // The backups use a pool of their own, as `tandem backup` does: the app's pool is
    // busy serving the writers, and a wait for one of its connections is not what this
    // test is about.
    let own_pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(std::time::Duration::from_secs(30))
        .connect_with(first.db.connect_options().as_ref().clone())
        .await
        .unwrap();
    let mut backups = Vec::new();
    for _ in 0..3 {
        backups.push(
            backup::create(&own_pool, &store, &NoProgress)
                .await
                .unwrap_or_else(|e| panic!("a backup during writes failed: {e:#}")),
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for writer in writers {
        assert!(writer.await.unwrap() > 1, "the writers wrote");
    }

    for info in backups {
        let target = sibling(&first).await;
        backup::restore(
            &target.db,
            &storage(&target),
            &redis(&target),
            &info.name,
            false,
            &NoProgress,
        )
        .await
        .unwrap();
        let (mismatched, orphans): (i64, i64) = sqlx::query_as(
            "SELECT
               (SELECT count(*) FROM documents.documents d
                 WHERE d.version <> (SELECT max(version) FROM documents.versions v
                                     WHERE v.document_id = d.id)
                    OR d.content <> (SELECT content FROM documents.versions v
                                     WHERE v.document_id = d.id AND v.version = d.version)),
               (SELECT count(*) FROM documents.versions v
                 WHERE NOT EXISTS (SELECT 1 FROM documents.documents d WHERE d.id = v.document_id))",
        )
        .fetch_one(&target.db)
        .await
        .unwrap();
        assert_eq!((mismatched, orphans), (0, 0), "{}", info.name);
        let versions: i64 = sqlx::query_scalar("SELECT count(*) FROM documents.versions")
            .fetch_one(&target.db)
            .await
            .unwrap();
        assert_eq!(versions as u64, info.counts["versions"]);
    }
}

#[tokio::test]
async fn retention_keeps_the_newest_backups() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    app.create_document(&ada.access, "Doc", "x").await;
    let store = storage(&app);
    let mut names = Vec::new();
    for _ in 0..4 {
        names.push(
            backup::create(&app.db, &store, &NoProgress)
                .await
                .unwrap()
                .name,
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        backup::prune(&app.db, &store, 2).await.unwrap();
    }
    let listed: Vec<String> = backup::list(&store)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(listed, names[2..]);
    for old in &names[..2] {
        assert!(
            store.read(&format!("backups/{old}")).await.is_err(),
            "{old}"
        );
    }
    for kept in &names[2..] {
        store.read(&format!("backups/{kept}")).await.unwrap();
    }
}

#[tokio::test]
async fn a_restore_refuses_a_database_with_documents_unless_forced() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("ada").await;
    let doc = app.create_document(&ada.access, "Kept", "old").await;
    let id = doc["id"].as_str().unwrap();
    let store = storage(&app);
    let info = backup::create(&app.db, &store, &NoProgress).await.unwrap();
    // Later writes, then a restore into the same, non-empty database.
    assert_eq!(
        app.update_document(&ada.access, id, 1, "new")
            .await
            .status(),
        StatusCode::OK
    );
    app.create_document(&ada.access, "Later", "x").await;
    let cached: Value = app
        .get(&format!("/documents/{id}"), Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cached["content"], "new");

    let error = backup::restore(
        &app.db,
        &store,
        &redis(&app),
        &info.name,
        false,
        &NoProgress,
    )
    .await
    .unwrap_err();
    assert!(
        error.downcast_ref::<backup::NotEmpty>().is_some(),
        "{error:#}"
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM documents.documents")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 2, "nothing changed");

    backup::restore(&app.db, &store, &redis(&app), &info.name, true, &NoProgress)
        .await
        .unwrap();
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM documents.documents")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 1);
    // The cache does not serve the pre-restore document.
    let restored: Value = app
        .get(&format!("/documents/{id}"), Some(&ada.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(restored["content"], "old");
    assert_eq!(restored["version"], 1);
}

#[tokio::test]
async fn scheduled_backups_are_taken_once_per_interval_by_one_of_several_instances() {
    let first = TestApp::spawn_with(|c| {
        c.documents.backup_interval_secs = 2;
        c.documents.backup_keep = 5;
    })
    .await;
    let (url, data_dir) = (
        first.config.platform.database.url.clone(),
        first.config.platform.server.data_dir.clone(),
    );
    // A second instance of the same deployment: same database, same object store.
    let _second = TestApp::spawn_with(move |c| {
        c.platform.database.url = url;
        c.platform.server.data_dir = data_dir;
        c.documents.backup_interval_secs = 2;
        c.documents.backup_keep = 5;
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(4700)).await;
    // Each instance ticks at about 2 s and 4 s; uncoordinated, that would be 4 backups.
    let taken = backup::list(&storage(&first)).await.unwrap();
    assert!((1..=2).contains(&taken.len()), "{taken:?}");
}
