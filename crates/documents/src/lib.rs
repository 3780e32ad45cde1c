//! The Document Service: Markdown documents, versions, sharing, search.
//!
//! Its routes arrive with its own issue; the crate exists now so the workspace layout,
//! the `--service documents` mode and the schema-per-service rule are in place from the start.
