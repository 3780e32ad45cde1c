//! `[collab]`: the Collaboration Service's settings (docs/configuration.md#collab).

use serde::Deserialize;

/// The Collaboration Service's settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct CollabConfig {
    /// A socket must send a valid `auth` within this many seconds.
    pub auth_timeout_secs: u64,
    /// Largest WebSocket message accepted, in bytes.
    pub max_message_bytes: usize,
    /// Most components in one operation.
    pub max_operation_components: usize,
    /// Most code points one operation inserts.
    pub max_inserted_chars: usize,
    /// Largest document, in bytes of UTF-8 (keep it equal to
    /// `documents.max_content_bytes`).
    pub max_document_bytes: usize,
    /// Changes a connection may send per second, sustained.
    pub changes_per_second: u32,
    /// Changes a connection may send in a burst.
    pub changes_burst: u32,
    /// Connections one user may have open on one instance.
    pub max_connections_per_user: usize,
    /// Participants (connections) per document.
    pub max_participants: usize,
    /// Participants per document who may write.
    pub max_writers: usize,
    /// Messages queued for one connection before it counts as a slow consumer.
    pub outgoing_queue: usize,
    /// Seconds between WebSocket pings; a connection that answers none of two is dropped.
    pub ping_interval_secs: u64,
    /// Minimum milliseconds between two cursor broadcasts of one connection (bursts are
    /// coalesced, the latest wins).
    pub cursor_interval_ms: u64,
    /// Committed ops each open document keeps in memory for transforms and catch-up.
    pub memory_window: usize,
    /// Revisions of the op log kept for reconnecting clients.
    pub window_revisions: u64,
    /// Hours of the op log kept for reconnecting clients.
    pub window_hours: u64,
    /// A snapshot of the text is written every this many revisions.
    pub snapshot_every: u64,
    /// A save happens this many milliseconds after the last change...
    pub save_debounce_ms: u64,
    /// ...and at least this often while changes keep coming.
    pub save_max_interval_secs: u64,
    /// A document with no participants is closed after this many seconds.
    pub idle_secs: u64,
    /// Documents one instance keeps open at most; more are refused with 1013.
    pub max_open_documents: usize,
    /// How long a writer's lease on a document lasts without renewal, in milliseconds.
    pub lease_ms: u64,
    /// How often each open document compares its revision with PostgreSQL, in milliseconds.
    pub head_check_ms: u64,
    /// How often live sessions are checked for logout, in seconds.
    pub session_check_secs: u64,
    /// Participants of an instance that stops refreshing them disappear after this long.
    pub presence_ttl_secs: u64,
    /// How often the retention job prunes the op log, in seconds.
    pub retention_interval_secs: u64,
    /// Undo steps (and redo steps) kept per editor.
    pub undo_depth: usize,
    /// Steps older than this many seconds are not undone.
    pub undo_max_age_secs: u64,
    /// An editor's undo stacks are rebuilt from at most about this many ops of the log.
    pub undo_history_ops: u64,
}

impl Default for CollabConfig {
    fn default() -> Self {
        Self {
            auth_timeout_secs: 5,
            max_message_bytes: 1024 * 1024,
            max_operation_components: 10_000,
            max_inserted_chars: 1_000_000,
            max_document_bytes: 10 * 1024 * 1024,
            changes_per_second: 50,
            changes_burst: 100,
            max_connections_per_user: 50,
            max_participants: 1000,
            max_writers: 500,
            outgoing_queue: 4096,
            ping_interval_secs: 30,
            cursor_interval_ms: 50,
            memory_window: 1000,
            window_revisions: 10_000,
            window_hours: 24,
            snapshot_every: 500,
            save_debounce_ms: 2000,
            save_max_interval_secs: 30,
            idle_secs: 60,
            max_open_documents: 10_000,
            lease_ms: 10_000,
            head_check_ms: 1000,
            session_check_secs: 5,
            presence_ttl_secs: 15,
            retention_interval_secs: 300,
            undo_depth: 100,
            undo_max_age_secs: 24 * 3600,
            undo_history_ops: 2_000,
        }
    }
}

impl CollabConfig {
    /// The operation limits clients are held to.
    pub fn op_limits(&self) -> tandem_ot::Limits {
        tandem_ot::Limits {
            max_json_bytes: self.max_message_bytes,
            max_components: self.max_operation_components,
            max_inserted_chars: self.max_inserted_chars,
        }
    }

    /// The limits as `welcome` announces them.
    pub fn limits_info(&self) -> crate::protocol::LimitsInfo {
        crate::protocol::LimitsInfo {
            max_message_bytes: self.max_message_bytes,
            max_operation_components: self.max_operation_components,
            max_inserted_chars: self.max_inserted_chars,
            max_document_bytes: self.max_document_bytes,
            changes_per_second: self.changes_per_second,
        }
    }
}
