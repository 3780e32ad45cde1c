-- Files attached to documents. The bytes live in the object store under object_key;
-- this row is the metadata. Rows go with their document; the purge job deletes the
-- objects of purged documents.
CREATE TABLE documents.attachments (
    id           uuid PRIMARY KEY,
    document_id  uuid NOT NULL REFERENCES documents.documents (id) ON DELETE CASCADE,
    filename     text NOT NULL,
    content_type text NOT NULL,
    size_bytes   bigint NOT NULL,
    sha256       text NOT NULL,
    object_key   text NOT NULL UNIQUE,
    uploaded_by  uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX attachments_document_idx ON documents.attachments (document_id, created_at DESC, id DESC);
