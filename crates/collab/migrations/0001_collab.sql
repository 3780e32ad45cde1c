-- The Collaboration Service's schema: the durable op log and what it needs to be exact.
-- document_id and user ids refer to other services' rows; there is no foreign key across
-- services.

-- One row per document that has ever had a session: the committed head revision and the
-- epoch of its writer. Every commit checks both (the fence), so two instances can never
-- both commit one revision. Taking the writer's lease bumps the epoch.
CREATE TABLE collab.heads (
    document_id uuid PRIMARY KEY,
    revision    bigint NOT NULL,
    epoch       bigint NOT NULL,
    -- The instance holding the epoch, for operators reading the table.
    writer      text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The op log: op k turns revision k-1 into k. A window of it is kept (see the retention
-- job); older rows are deleted once a snapshot covers them.
CREATE TABLE collab.ops (
    document_id  uuid NOT NULL,
    revision     bigint NOT NULL,
    -- The ot.js wire format.
    operation    text NOT NULL,
    author_id    uuid NOT NULL,
    -- Nil for changes the server made (REST edits, merges).
    session_id   uuid NOT NULL,
    client_id    uuid NOT NULL,
    seq          bigint NOT NULL,
    -- The author's selection after the op, [anchor, head], if they sent one.
    selection    bigint[],
    committed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, revision)
);
CREATE INDEX ops_committed_idx ON collab.ops (committed_at);

-- The text at a revision, so any revision in the window can be rebuilt.
CREATE TABLE collab.snapshots (
    document_id uuid NOT NULL,
    revision    bigint NOT NULL,
    content     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, revision)
);

-- Exactly once: per document and client id, the last committed seq and the revision it
-- produced. Written in the same statement as the op; kept long after the op window.
CREATE TABLE collab.clients (
    document_id uuid NOT NULL,
    client_id   uuid NOT NULL,
    last_seq    bigint NOT NULL,
    revision    bigint NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, client_id)
);
CREATE INDEX clients_updated_idx ON collab.clients (updated_at);

-- Every save into the Document Service: which version holds which revision.
CREATE TABLE collab.saves (
    document_id uuid NOT NULL,
    version     bigint NOT NULL,
    revision    bigint NOT NULL,
    saved_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, version)
);
