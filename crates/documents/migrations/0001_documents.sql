-- The Document Service's schema. owner_id and user ids refer to the User Service's
-- accounts; there is no foreign key across services.
CREATE TABLE documents.documents (
    id             uuid PRIMARY KEY,
    owner_id       uuid NOT NULL,
    title          text NOT NULL,
    content        text NOT NULL,
    -- Content version: bumped by every accepted edit; what If-Match/ETag carry.
    version        bigint NOT NULL DEFAULT 1,
    last_editor_id uuid NOT NULL,
    is_template    boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    -- Set while the document is in the trash.
    deleted_at     timestamptz,
    search         tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') ||
        setweight(to_tsvector('english', content), 'B')
    ) STORED
);

-- List "my documents" by recency or title (keyset pagination).
CREATE INDEX documents_owner_updated_idx ON documents.documents (owner_id, updated_at DESC, id DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX documents_owner_title_idx ON documents.documents (owner_id, title, id)
    WHERE deleted_at IS NULL;
CREATE INDEX documents_trash_idx ON documents.documents (owner_id, deleted_at DESC, id DESC)
    WHERE deleted_at IS NOT NULL;
CREATE INDEX documents_purge_idx ON documents.documents (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX documents_search_idx ON documents.documents USING gin (search);

CREATE TABLE documents.permissions (
    document_id uuid NOT NULL REFERENCES documents.documents (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL,
    role        text NOT NULL CHECK (role IN ('read', 'write', 'admin')),
    granted_by  uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, user_id)
);
-- "Documents shared with me".
CREATE INDEX permissions_user_idx ON documents.permissions (user_id, document_id);

CREATE TABLE documents.versions (
    document_id uuid NOT NULL REFERENCES documents.documents (id) ON DELETE CASCADE,
    version     bigint NOT NULL,
    title       text NOT NULL,
    content     text NOT NULL,
    author_id   uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- Unified diff against the previous version (empty for version 1).
    diff        text NOT NULL,
    PRIMARY KEY (document_id, version)
);
-- Collaborator statistics: edits per author.
CREATE INDEX versions_author_idx ON documents.versions (document_id, author_id);
