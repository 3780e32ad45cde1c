-- Versions written by the Collaboration Service hold many people's changes: record all of
-- them, and what made the version, so auto-saves can be thinned as they age while edits,
-- explicit saves and restores are kept.
ALTER TABLE documents.versions
    ADD COLUMN contributors uuid[] NOT NULL DEFAULT '{}',
    ADD COLUMN kind text NOT NULL DEFAULT 'edit'
        CHECK (kind IN ('edit', 'auto', 'explicit', 'restore'));
UPDATE documents.versions SET contributors = ARRAY[author_id];
CREATE INDEX versions_auto_idx ON documents.versions (created_at) WHERE kind = 'auto';
