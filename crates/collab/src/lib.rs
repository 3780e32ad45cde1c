//! The Collaboration Service: a WebSocket session per document, operational transformation, presence.
//!
//! Its routes arrive with its own issue; the crate exists now so the workspace layout,
//! the `--service collab` mode and the schema-per-service rule are in place from the start.
