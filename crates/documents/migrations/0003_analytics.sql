-- Usage analytics, written in batches by the flush job from counters buffered in Redis
-- (see src/analytics.rs). Days are UTC dates. Counts only ever grow: every flush adds.

-- Per document and day. unique_viewers is the day's HyperLogLog estimate, stored on every
-- flush that saw views (GREATEST, so a re-flush or a lost HLL never lowers it).
CREATE TABLE documents.analytics_daily (
    document_id    uuid NOT NULL REFERENCES documents.documents (id) ON DELETE CASCADE,
    day            date NOT NULL,
    views          bigint NOT NULL DEFAULT 0,
    edits          bigint NOT NULL DEFAULT 0,
    exports        bigint NOT NULL DEFAULT 0,
    shares         bigint NOT NULL DEFAULT 0,
    unique_viewers bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (document_id, day)
);

-- Per document, day and user: top editors, and exact unique viewers over a range. The key
-- starts with (document_id, day) because every read is "one document over a date range".
CREATE TABLE documents.analytics_user_daily (
    document_id uuid NOT NULL REFERENCES documents.documents (id) ON DELETE CASCADE,
    day         date NOT NULL,
    user_id     uuid NOT NULL,
    views       bigint NOT NULL DEFAULT 0,
    edits       bigint NOT NULL DEFAULT 0,
    exports     bigint NOT NULL DEFAULT 0,
    shares      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (document_id, day, user_id)
);

-- Batches already applied, so a batch retried after a crash between the PostgreSQL commit
-- and the Redis cleanup is not counted twice. Pruned after a day by the flush job.
CREATE TABLE documents.analytics_flushes (
    batch_id   uuid PRIMARY KEY,
    flushed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX analytics_flushes_flushed_at_idx ON documents.analytics_flushes (flushed_at);
