//! Usage analytics: views, edits, exports and shares per document, day and user.
//!
//! Recording never touches PostgreSQL and never waits on Redis. A handler calls
//! [`Analytics::record`], which puts the event on a bounded in-process queue (dropped, and
//! counted, if the queue is full). A writer task drains the queue in batches into Redis,
//! one atomic pipeline per batch. A flush job then moves the Redis counters into
//! PostgreSQL every `documents.analytics_flush_secs`.
//!
//! Redis keys (all under `redis.key_prefix`):
//!
//! - `documents:analytics:pending` — hash, field `{day}|{document}|{user}|{kind}` (kind is
//!   `v`iew, `e`dit, e`x`port or `s`hare), value the count since the last flush.
//! - `documents:analytics:batch:{batch}` — a pending hash claimed by a flush: the claim
//!   `RENAME`s `pending` here in a Lua script, so the events counted after the claim go
//!   into a fresh `pending` and every event lands in exactly one batch.
//! - `documents:analytics:inflight` — sorted set of claimed batches, scored by claim time.
//!   A batch still there after [`STALE_SECS`] belonged to an instance that died mid-flush;
//!   any instance takes it over.
//! - `documents:analytics:uv:{document}:{day}` — HyperLogLog of the day's viewers, kept
//!   for two days. Its `PFCOUNT` is stored as the day's `unique_viewers` on each flush.
//!
//! Applying a batch to PostgreSQL records its id in `documents.analytics_flushes` in the
//! same transaction, so a batch retried after a crash between commit and cleanup is not
//! counted twice. Figures therefore lag by up to one flush interval; a crash loses at most
//! what was still queued in memory or not yet written to Redis.

mod buffer;
mod flush;
pub(crate) mod store;

pub(crate) use buffer::{Analytics, Kind};
pub(crate) use flush::run;

/// A claimed batch older than this (seconds) is taken over by another flush.
pub(crate) const STALE_SECS: i64 = 120;
