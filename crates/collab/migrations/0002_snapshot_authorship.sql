-- Who wrote each character of a snapshot's text: a run-length list `[[length, "user id"], ...]`
-- (nil user: unknown). NULL for snapshots taken without it (the first snapshot of a document,
-- whose text came from the Document Service). Keeping it here is what lets authorship outlive
-- the op window.
ALTER TABLE collab.snapshots ADD COLUMN authorship text;
