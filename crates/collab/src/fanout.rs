//! Messages between instances, through per-instance inbox streams.
//!
//! Each instance reads one Redis Stream, `collab:inbox:{instance}`, with one blocking
//! `XREAD` on a connection of its own (a blocking read on the shared multiplexed connection
//! would stall every other command behind it). Everything another instance must hear
//! arrives there: committed ops from a document's writer, changes forwarded by followers
//! (and the writer's answers), presence and cursors, saves, and REST edits handed to the
//! writer. One key per reader keeps this working unchanged on Redis Cluster; see
//! docs/collab-protocol.md §9.3.
//!
//! Delivery is best effort. Ops are durable in PostgreSQL, and followers fill gaps and
//! check heads from there; forwarded changes are re-sent until acknowledged.

use crate::document::authorship::Runs;
use crate::document::core::{Author, Entry};
use crate::document::undo::{Action, Kind};
use crate::protocol::{ErrorCode, ParticipantInfo, Selection};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tandem_platform::redis::Redis;
use tokio::sync::mpsc;
use uuid::Uuid;

/// Entries kept per inbox (approximately): far more than a reader falls behind.
const INBOX_MAXLEN: usize = 100_000;
/// An inbox nobody writes to for this long disappears (its instance is gone).
const INBOX_TTL_SECS: u64 = 300;

/// A committed op on the wire between instances.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireEntry {
    /// The revision it produced.
    pub revision: u64,
    /// The op.
    pub op: tandem_ot::Operation,
    /// Author fields.
    pub user_id: Uuid,
    /// Author's connection.
    pub session_id: Uuid,
    /// Author's client id.
    pub client_id: Uuid,
    /// Author's seq.
    pub seq: u64,
    /// Author's selection after the op.
    pub selection: Option<Selection>,
    /// Commit time.
    pub committed_at: DateTime<Utc>,
    /// Edit, undo or redo.
    #[serde(default)]
    pub kind: Kind,
    /// Who wrote what it inserts, when not its author.
    #[serde(default)]
    pub restores: Option<Runs>,
}

impl From<&Entry> for WireEntry {
    fn from(e: &Entry) -> Self {
        Self {
            revision: e.revision,
            op: e.op.clone(),
            user_id: e.author.user_id,
            session_id: e.author.session_id,
            client_id: e.author.client_id,
            seq: e.author.seq,
            selection: e.selection.map(Selection::from),
            committed_at: e.committed_at,
            kind: e.kind,
            restores: e.restores.clone(),
        }
    }
}

impl From<WireEntry> for Entry {
    fn from(w: WireEntry) -> Self {
        let len = w.op.target_len();
        Self {
            revision: w.revision,
            author: Author {
                user_id: w.user_id,
                session_id: w.session_id,
                client_id: w.client_id,
                seq: w.seq,
            },
            op: w.op,
            selection: w.selection.map(|s| s.clamped(len)),
            committed_at: w.committed_at,
            kind: w.kind,
            restores: w.restores,
        }
    }
}

/// A writer's answer to a forwarded change that did not become a new op.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ForwardAnswer {
    /// Already committed: acknowledge again.
    Ack {
        /// Its seq.
        seq: u64,
        /// Its revision.
        revision: u64,
    },
    /// Refused.
    Error {
        /// The code.
        code: ErrorCode,
        /// Why.
        message: String,
        /// Its seq.
        seq: u64,
        /// When to retry.
        retry_after_ms: Option<u64>,
    },
}

/// An undo (or redo) for the document's writer to carry out.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct UndoRequest {
    /// Whose step.
    pub user_id: Uuid,
    /// Their connection (nil over REST).
    pub session_id: Uuid,
    /// Their editor's client id (a per-user id over REST).
    pub client_id: Uuid,
    /// Undo or redo.
    pub action: Action,
}

/// What the writer did with an undo.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UndoAnswer {
    /// Committed as `revision`.
    Applied {
        /// The revision.
        revision: u64,
    },
    /// Nothing to undo.
    NothingToUndo,
    /// Refused or failed: the code says which.
    Error {
        /// The code.
        code: ErrorCode,
        /// Why.
        message: String,
    },
}

impl UndoAnswer {
    pub(crate) fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        UndoAnswer::Error {
            code,
            message: message.into(),
        }
    }
}

/// The outcome of a REST edit handed to the writer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EditAnswer {
    /// Merged and saved as `version`.
    Merged {
        /// The version.
        version: i64,
    },
    /// No live session.
    NoSession,
    /// The base version is older than the op window.
    TooOld,
    /// The edit is invalid (too large, bad text).
    Invalid {
        /// Why.
        message: String,
    },
    /// Something failed; try again.
    Failed {
        /// Why.
        message: String,
    },
}

/// A message in an inbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Message {
    /// Ops the document's writer committed, in order.
    Committed {
        /// The document.
        doc: Uuid,
        /// The sending instance.
        from: String,
        /// The ops.
        entries: Vec<WireEntry>,
    },
    /// A follower's client's change, for the writer.
    Forward {
        /// The document.
        doc: Uuid,
        /// The follower.
        from: String,
        /// Author user.
        user_id: Uuid,
        /// Author connection.
        session_id: Uuid,
        /// Author client id.
        client_id: Uuid,
        /// Its seq.
        seq: u64,
        /// Its base revision.
        base: u64,
        /// The op, ot.js wire format, unparsed.
        op: String,
        /// The author's selection after it.
        selection: Option<Selection>,
        /// Edit, or the client's own undo or redo.
        #[serde(default)]
        kind: Kind,
    },
    /// The writer's answer to a forwarded change, for the follower.
    ForwardResult {
        /// The document.
        doc: Uuid,
        /// Whose change.
        client_id: Uuid,
        /// The answer.
        answer: ForwardAnswer,
    },
    /// Someone opened the document on the sending instance.
    Joined {
        /// The document.
        doc: Uuid,
        /// The sending instance.
        from: String,
        /// Who.
        participant: ParticipantInfo,
        /// Their client id (an older connection with it, anywhere, is replaced).
        client_id: Uuid,
    },
    /// Someone's connection on the sending instance closed.
    Left {
        /// The document.
        doc: Uuid,
        /// The sending instance.
        from: String,
        /// Who.
        user_id: Uuid,
        /// Their connection.
        session_id: Uuid,
    },
    /// Someone's selection.
    Cursor {
        /// The document.
        doc: Uuid,
        /// The sending instance.
        from: String,
        /// Who.
        user_id: Uuid,
        /// Their connection.
        session_id: Uuid,
        /// The revision it is expressed in.
        revision: u64,
        /// The selection, or none.
        selection: Option<Selection>,
    },
    /// The writer saved a version.
    Saved {
        /// The document.
        doc: Uuid,
        /// The revision saved.
        revision: u64,
        /// The version.
        version: i64,
        /// When.
        saved_at: DateTime<Utc>,
    },
    /// A REST edit, for the writer.
    EditRequest {
        /// The document.
        doc: Uuid,
        /// Where to answer.
        reply_to: String,
        /// To match the answer.
        request_id: Uuid,
        /// The editor.
        user_id: Uuid,
        /// The version edited.
        base_version: i64,
        /// The new content.
        content: String,
    },
    /// The writer's answer to a REST edit.
    EditReply {
        /// The request it answers.
        request_id: Uuid,
        /// The answer.
        answer: EditAnswer,
    },
    /// An undo, for the writer.
    UndoRequest {
        /// The document.
        doc: Uuid,
        /// Where to answer.
        reply_to: String,
        /// To match the answer.
        request_id: Uuid,
        /// The undo.
        request: UndoRequest,
    },
    /// The writer's answer to an undo.
    UndoReply {
        /// The request it answers.
        request_id: Uuid,
        /// The answer.
        answer: UndoAnswer,
    },
}

impl Message {
    /// The document the message is about, if it is about one.
    pub fn document(&self) -> Option<Uuid> {
        match self {
            Message::Committed { doc, .. }
            | Message::Forward { doc, .. }
            | Message::ForwardResult { doc, .. }
            | Message::Joined { doc, .. }
            | Message::Left { doc, .. }
            | Message::Cursor { doc, .. }
            | Message::Saved { doc, .. }
            | Message::EditRequest { doc, .. }
            | Message::UndoRequest { doc, .. } => Some(*doc),
            Message::EditReply { .. } | Message::UndoReply { .. } => None,
        }
    }
}

/// The inbox key of `instance`.
pub fn inbox_key(redis: &Redis, instance: &str) -> String {
    redis.key(format_args!("collab:inbox:{instance}"))
}

struct Outgoing {
    targets: Vec<String>,
    json: Arc<String>,
}

/// Sends messages to other instances' inboxes. Cheap to clone; sending never blocks: a
/// task writes everything queued in one pipeline.
#[derive(Clone)]
pub struct Publisher {
    queue: mpsc::UnboundedSender<Outgoing>,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Publisher")
    }
}

impl Publisher {
    /// Starts the publishing task.
    pub fn spawn(redis: Redis) -> Self {
        let (queue, receiver) = mpsc::unbounded_channel();
        tokio::spawn(publish(redis, receiver));
        Self { queue }
    }

    /// Queues `message` for every instance in `targets`.
    pub fn send(&self, targets: &[String], message: &Message) {
        if targets.is_empty() {
            return;
        }
        let Ok(json) = serde_json::to_string(message) else {
            return;
        };
        let _ = self.queue.send(Outgoing {
            targets: targets.to_vec(),
            json: Arc::new(json),
        });
    }
}

async fn publish(redis: Redis, mut receiver: mpsc::UnboundedReceiver<Outgoing>) {
    let mut failing = false;
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < 1000 {
            match receiver.try_recv() {
                Ok(more) => batch.push(more),
                Err(_) => break,
            }
        }
        let mut pipe = redis::pipe();
        let mut touched = std::collections::HashSet::new();
        for out in &batch {
            for target in &out.targets {
                let key = inbox_key(&redis, target);
                pipe.cmd("XADD")
                    .arg(&key)
                    .arg("MAXLEN")
                    .arg("~")
                    .arg(INBOX_MAXLEN)
                    .arg("*")
                    .arg("m")
                    .arg(out.json.as_str())
                    .ignore();
                touched.insert(key);
            }
        }
        for key in touched {
            pipe.expire(key, INBOX_TTL_SECS as i64).ignore();
        }
        let mut conn = redis.conn();
        match pipe.query_async::<()>(&mut conn).await {
            Ok(()) => failing = false,
            Err(error) => {
                if !failing {
                    tracing::warn!(%error, "fan-out to other instances failed; they catch up from PostgreSQL");
                }
                failing = true;
            }
        }
    }
}

/// Reads this instance's inbox for ever, handing each message to `deliver`. Reconnects by
/// itself when Redis goes away.
pub async fn read_inbox(
    url: secrecy::SecretString,
    key: String,
    deliver: impl Fn(Message) + Send + 'static,
) {
    use secrecy::ExposeSecret;
    let mut last_id = "$".to_owned();
    loop {
        let connection = async {
            let client = redis::Client::open(url.expose_secret())?;
            client.get_multiplexed_async_connection().await
        }
        .await;
        let mut conn = match connection {
            Ok(conn) => conn,
            Err(error) => {
                tracing::debug!(%error, "inbox reader cannot reach Redis; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        loop {
            let reply: redis::RedisResult<redis::streams::StreamReadReply> = redis::cmd("XREAD")
                .arg("COUNT")
                .arg(1000)
                .arg("BLOCK")
                .arg(5000)
                .arg("STREAMS")
                .arg(&key)
                .arg(&last_id)
                .query_async(&mut conn)
                .await;
            match reply {
                Ok(reply) => {
                    for stream in reply.keys {
                        for entry in stream.ids {
                            last_id = entry.id.clone();
                            let parsed = entry
                                .get::<String>("m")
                                .and_then(|json| serde_json::from_str::<Message>(&json).ok());
                            if let Some(message) = parsed {
                                deliver(message);
                            }
                        }
                    }
                }
                Err(error) => {
                    // Keep `last_id`: after a Redis restart new entries still sort after it.
                    tracing::debug!(%error, "inbox read failed; reconnecting");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    break;
                }
            }
        }
    }
}
