-- Undo and redo: which ops undid (or redid) their author's step, and who wrote the text
-- such an op put back. The undo stacks are rebuilt from these and the ops themselves.
ALTER TABLE collab.ops
    -- 0: an edit, 1: an undo, 2: a redo.
    ADD COLUMN kind smallint NOT NULL DEFAULT 0,
    -- Who wrote what the op inserts, as a JSON run list [[length, "user id"], ...], when
    -- that is not its author (an undo puts text back under its original author). NULL:
    -- all of it by author_id.
    ADD COLUMN restores text;
