//! `[documents]`: the Document Service's settings.

use serde::Deserialize;

/// The Document Service's settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DocumentsConfig {
    /// Largest document content accepted, in bytes (default 10 MiB).
    pub max_content_bytes: usize,
    /// Documents stay in the trash this many days before they are purged.
    pub trash_retention_days: u32,
    /// How often the purge job runs, in seconds.
    pub purge_interval_secs: u64,
    /// How long cached documents and permissions live in Redis, in seconds.
    pub cache_ttl_secs: u64,
    /// Search ranks at most this many matching documents, the most recently changed ones,
    /// and returns no others (default 1,000). It bounds the cost of a search for a common
    /// word; raise it for more reachable results at the price of slower searches.
    pub search_window: u32,
    /// Requests per minute per user to Document Service endpoints (0 turns it off).
    pub user_per_minute: u32,
    /// How often buffered usage analytics are flushed from Redis to PostgreSQL, in seconds;
    /// analytics figures lag by up to this much (default 10).
    pub analytics_flush_secs: u64,
    /// Analytics events queued in memory per process before new ones are dropped, while
    /// Redis is slow or down (default 10,000).
    pub analytics_queue: usize,
    /// Largest attachment or import upload, in bytes (default 25 MiB).
    pub max_upload_bytes: usize,
    /// How often a scheduled backup is taken, in seconds (0, the default, turns it off).
    /// Only one instance backs up per interval (see docs/backup.md).
    pub backup_interval_secs: u64,
    /// How many backups to keep: after each backup, older ones beyond this are deleted
    /// (default 7).
    pub backup_keep: usize,
    /// Imports and exports converted at once per process; more wait up to 5 s for a slot,
    /// then get 503 (default 2).
    pub conversion_concurrency: usize,
    /// An import or export still converting after this many seconds is answered with 422
    /// (default 20). Keep it below `server.request_timeout_secs`.
    pub conversion_timeout_secs: u64,
    /// Largest document exported to PDF, in bytes of Markdown (default 1 MiB, a few
    /// hundred pages). Typesetting takes about 4 s and 550 MiB per MiB of Markdown on one
    /// core, so this bounds what one export costs; larger documents get a 422 naming the
    /// limit and export as DOCX or HTML (see docs/export-formats.md).
    pub pdf_max_content_bytes: usize,
    /// Directories searched (recursively) for the fonts PDF export typesets with: TrueType
    /// and OpenType files and collections. Default: `/usr/share/fonts` and
    /// `/usr/local/share/fonts`, where Debian's `fonts-noto-*` packages install.
    pub font_dirs: Vec<std::path::PathBuf>,
    /// `[documents.storage]`: where attachment bytes are kept.
    pub storage: crate::storage::StorageConfig,
}

impl Default for DocumentsConfig {
    fn default() -> Self {
        Self {
            max_content_bytes: 10 * 1024 * 1024,
            trash_retention_days: 30,
            purge_interval_secs: 3600,
            cache_ttl_secs: 300,
            search_window: 1000,
            user_per_minute: 1200,
            analytics_flush_secs: 10,
            analytics_queue: 10_000,
            max_upload_bytes: 25 * 1024 * 1024,
            backup_interval_secs: 0,
            backup_keep: 7,
            conversion_concurrency: 2,
            conversion_timeout_secs: 20,
            pdf_max_content_bytes: 1024 * 1024,
            font_dirs: vec!["/usr/share/fonts".into(), "/usr/local/share/fonts".into()],
            storage: crate::storage::StorageConfig::default(),
        }
    }
}
