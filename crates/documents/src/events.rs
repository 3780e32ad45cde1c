//! The Document Service's event channel: what other services must learn at once about
//! documents they hold open. The Collaboration Service ends sockets when access goes,
//! relays renames, and merges content changed behind its back; it never reads this
//! service's tables.
//!
//! The channel is the Redis Stream `documents:events` (after `redis.key_prefix`), capped at
//! about 10,000 entries. Each entry has one field, `event`: a JSON object with a `type` and
//! `document_id` (docs/system-context.md lists them). Publishing is best effort after the
//! change has committed; readers re-check access periodically as well, so a lost event
//! delays an effect, never prevents it.

use crate::domain::Role;
use serde::{Deserialize, Serialize};
use tandem_platform::redis::Redis;
use uuid::Uuid;

/// The stream key, without the deployment prefix.
pub const STREAM: &str = "documents:events";

/// Something other services must know about a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// `user_id`'s role changed; `role` is `None` when their access was revoked.
    AccessChanged {
        /// The document.
        document_id: Uuid,
        /// Whose access.
        user_id: Uuid,
        /// Their role now.
        role: Option<Role>,
    },
    /// The document went to the trash.
    Trashed {
        /// The document.
        document_id: Uuid,
    },
    /// The document came back from the trash.
    Restored {
        /// The document.
        document_id: Uuid,
    },
    /// The document was deleted for good.
    Deleted {
        /// The document.
        document_id: Uuid,
    },
    /// The document was renamed.
    TitleChanged {
        /// The document.
        document_id: Uuid,
        /// The new title.
        title: String,
    },
    /// The content changed outside a live session (a REST edit, a version restore) and is
    /// now `version`.
    ContentChanged {
        /// The document.
        document_id: Uuid,
        /// The version holding the new content.
        version: i64,
    },
}

/// Publishes `event`. Failures are logged, not returned: the change itself has committed.
pub async fn publish(redis: &Redis, event: &Event) {
    let Ok(json) = serde_json::to_string(event) else {
        return;
    };
    let mut conn = redis.conn();
    let result: redis::RedisResult<String> = redis::cmd("XADD")
        .arg(redis.key(STREAM))
        .arg("MAXLEN")
        .arg("~")
        .arg(10_000)
        .arg("*")
        .arg("event")
        .arg(json)
        .query_async(&mut conn)
        .await;
    if let Err(error) = result {
        tracing::warn!(%error, ?event, "could not publish a document event");
    }
}
