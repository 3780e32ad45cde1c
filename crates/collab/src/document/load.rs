//! Opening a document on this instance: as its writer (taking the lease and the epoch), or
//! as a follower of the instance that holds them.

use super::authorship::Runs;
use super::core::{Core, Entry};
use crate::hub::Hub;
use crate::presence;
use crate::protocol::Close;
use crate::store::{log, meta};
use std::time::Duration;
use uuid::Uuid;

/// What opening found.
pub(super) struct Opened {
    pub core: Core,
    pub writer: Option<i64>,
    pub writer_instance: Option<String>,
    pub title: String,
    /// The Document Service version the session's text corresponds to, and its revision.
    pub version: i64,
    pub saved_revision: u64,
    /// The Document Service holds a version collab has not seen (an edit while no session
    /// was live, a restore): merge it, as `(version, content, author)`.
    pub merge: Option<(i64, String, Uuid)>,
}

/// Text as the live session holds it: `\n` line endings only.
pub fn normalize_newlines(text: &str) -> String {
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_owned()
    }
}

fn unavailable(what: &str, error: impl std::fmt::Display) -> Close {
    tracing::warn!(%error, "cannot open a document: {what}");
    Close::TryAgainLater
}

pub(super) async fn open(hub: &Hub, doc: Uuid) -> Result<Opened, Close> {
    let db = &hub.platform.db;
    let redis = &hub.platform.redis;
    let config = &hub.config;
    let leased = presence::acquire(redis, doc, &hub.instance, config.lease_ms)
        .await
        .map_err(|e| unavailable("Redis", e))?;
    let loaded = hub
        .documents
        .load(doc)
        .await
        .map_err(|e| unavailable("the Document Service", format!("{e:#}")))?
        .ok_or(Close::NotFound)?;
    let content = normalize_newlines(&loaded.content);
    if !leased {
        return open_follower(hub, doc, loaded.title).await;
    }
    let head = log::take_writership(db, doc, &hub.instance)
        .await
        .map_err(|e| unavailable("PostgreSQL", e))?;
    // The text and who wrote it come from one replay of the log.
    let (text, authors, revision) = if head.created {
        initialise(hub, doc, &content, 0, loaded.version).await?;
        (content.clone(), None, 0)
    } else {
        match log::authorship_at(db, doc, head.revision)
            .await
            .map_err(|e| unavailable("PostgreSQL", e))?
        {
            Some((text, authors)) => (text, Some(authors), head.revision),
            // The log was forgotten (the document went through the trash): start again
            // from the Document Service's text, keeping the revision count.
            None => {
                initialise(hub, doc, &content, head.revision, loaded.version).await?;
                (content.clone(), None, head.revision)
            }
        }
    };
    let (mut version, mut saved_revision) = meta::last_save(db, doc)
        .await
        .map_err(|e| unavailable("PostgreSQL", e))?
        .unwrap_or((loaded.version, revision));
    if loaded.version != version && content == text {
        // A version with the session's own text (its last save, if the instance stopped
        // before recording it) is not an outside change: merging it would add its edits
        // a second time.
        meta::record_save(db, doc, loaded.version, revision, chrono::Utc::now())
            .await
            .map_err(|e| unavailable("PostgreSQL", e))?;
        (version, saved_revision) = (loaded.version, revision);
    }
    let core = with_window(hub, doc, text, authors, revision).await?;
    let merge =
        (loaded.version != version).then_some((loaded.version, content, loaded.last_editor_id));
    Ok(Opened {
        core,
        writer: Some(head.epoch),
        writer_instance: Some(hub.instance.clone()),
        title: loaded.title,
        version,
        saved_revision,
        merge,
    })
}

async fn initialise(
    hub: &Hub,
    doc: Uuid,
    content: &str,
    revision: u64,
    version: i64,
) -> Result<(), Close> {
    let db = &hub.platform.db;
    log::write_snapshot(db, doc, revision, content, None)
        .await
        .map_err(|e| unavailable("PostgreSQL", e))?;
    meta::record_save(db, doc, version, revision, chrono::Utc::now())
        .await
        .map_err(|e| unavailable("PostgreSQL", e))
}

async fn open_follower(hub: &Hub, doc: Uuid, title: String) -> Result<Opened, Close> {
    let db = &hub.platform.db;
    let writer = presence::holder(&hub.platform.redis, doc)
        .await
        .map_err(|e| unavailable("Redis", e))?;
    // The writer may be creating the head and the first snapshot right now.
    for _ in 0..20 {
        let head = log::head(db, doc)
            .await
            .map_err(|e| unavailable("PostgreSQL", e))?;
        if let Some(head) = head
            && let Some((text, authors)) = log::authorship_at(db, doc, head.revision)
                .await
                .map_err(|e| unavailable("PostgreSQL", e))?
        {
            let (version, saved_revision) = meta::last_save(db, doc)
                .await
                .map_err(|e| unavailable("PostgreSQL", e))?
                .unwrap_or((0, head.revision));
            let core = with_window(hub, doc, text, Some(authors), head.revision).await?;
            return Ok(Opened {
                core,
                writer: None,
                writer_instance: writer,
                title,
                version,
                saved_revision,
                merge: None,
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(Close::TryAgainLater)
}

/// A core at `revision`, its memory window filled from the log so that clients resuming
/// right after a restart still get a catch-up.
/// `authors` (who wrote `text`, as the log's replay gave them) are kept in step from here on;
/// without them the text's authors are unknown (nil).
async fn with_window(
    hub: &Hub,
    doc: Uuid,
    text: String,
    authors: Option<Runs>,
    revision: u64,
) -> Result<Core, Close> {
    let capacity = hub.config.memory_window as u64;
    let mut core = Core::new(
        &text,
        revision,
        hub.config.memory_window,
        hub.config.max_document_bytes,
    );
    if revision > 0 {
        let from = revision.saturating_sub(capacity) + 1;
        let entries: Vec<Entry> = log::ops(&hub.platform.db, doc, from, revision)
            .await
            .map_err(|e| unavailable("PostgreSQL", e))?;
        core.seed_window(entries);
    }
    if let Some(authors) = authors {
        core.set_authors(authors);
    }
    Ok(core)
}
