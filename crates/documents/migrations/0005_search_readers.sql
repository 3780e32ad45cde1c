-- Search looks only at documents the caller can read. With the search index over every
-- document, a common word matched tens of thousands of rows of other users, each visited
-- in the heap and thrown away (bench/documents.sh: 300-500 ms for `project`). So each
-- document carries the ids of everyone who can read it, and one GIN index over
-- (readers, search) yields exactly the caller's matches.
--
-- `readers` is derived data: the owner plus every user in documents.permissions, sorted.
-- Triggers keep it true whoever writes permissions (handlers, purge cascades, restore).
-- They change the array in place (not by re-reading permissions), so two shares of one
-- document committed at once cannot lose each other: the second UPDATE waits for the
-- first and then applies its change to the row the first wrote.

ALTER TABLE documents.documents ADD COLUMN readers uuid[];

UPDATE documents.documents d
SET readers = ARRAY(
    SELECT u FROM (
        SELECT d.owner_id AS u
        UNION
        SELECT p.user_id FROM documents.permissions p WHERE p.document_id = d.id
    ) r ORDER BY u
);

ALTER TABLE documents.documents ALTER COLUMN readers SET NOT NULL;

CREATE FUNCTION documents.sorted_readers(readers uuid[]) RETURNS uuid[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(DISTINCT u ORDER BY u), '{}') FROM unnest(readers) u
$$;

-- A new document starts with its owner alone; permissions inserted afterwards (a restore
-- inserts documents first) add the rest.
CREATE FUNCTION documents.documents_init_readers() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.readers := ARRAY[NEW.owner_id];
    RETURN NEW;
END
$$;

CREATE TRIGGER documents_init_readers BEFORE INSERT ON documents.documents
FOR EACH ROW EXECUTE FUNCTION documents.documents_init_readers();

CREATE FUNCTION documents.permissions_sync_readers() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE documents.documents
        SET readers = array_remove(readers, OLD.user_id)
        WHERE id = OLD.document_id AND owner_id <> OLD.user_id AND readers @> ARRAY[OLD.user_id];
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE documents.documents
        SET readers = documents.sorted_readers(readers || NEW.user_id)
        WHERE id = NEW.document_id AND NOT readers @> ARRAY[NEW.user_id];
    END IF;
    RETURN NULL;
END
$$;

-- Only changes of who (not of the role) touch readers.
CREATE TRIGGER permissions_sync_readers_insert_delete AFTER INSERT OR DELETE ON documents.permissions
FOR EACH ROW EXECUTE FUNCTION documents.permissions_sync_readers();
CREATE TRIGGER permissions_sync_readers_update AFTER UPDATE OF document_id, user_id ON documents.permissions
FOR EACH ROW WHEN (OLD.document_id IS DISTINCT FROM NEW.document_id OR OLD.user_id IS DISTINCT FROM NEW.user_id)
EXECUTE FUNCTION documents.permissions_sync_readers();

-- Trashed documents are never searched, so they stay out of the index.
CREATE INDEX documents_readers_search_idx ON documents.documents USING gin (readers, search)
    WHERE deleted_at IS NULL;
DROP INDEX documents.documents_search_idx;

-- Keep the tsvector in the heap row (compressed), not in TOAST: a phrase or exclusion query
-- rechecks every candidate's tsvector, and ranking reads it for every document in the
-- window; a TOAST fetch per row made that 2-3 times slower (bench/documents.sh). Rows up to
-- 4 KB stay whole (two per page); `content`, the larger column, is moved out first, and a
-- very large document's tsvector still goes to TOAST. Rows written before this migration
-- keep their old layout until they are next edited (or `VACUUM FULL documents.documents`).
ALTER TABLE documents.documents ALTER COLUMN search SET STORAGE MAIN;
ALTER TABLE documents.documents SET (toast_tuple_target = 4080);
