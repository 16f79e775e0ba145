-- Issue 19: a change cursor per record, so a sync that has nothing to do costs
-- what changed, not what exists. Every write of a record takes the next value;
-- a device sends back the cursor of its last complete sync and is offered only
-- records written after it (docs/sync-protocol.md, "Offers").
ALTER TABLE docs ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
UPDATE docs SET change_seq = rowid;
CREATE INDEX docs_by_change ON docs(change_seq);
