-- 0011: the server's trust boundary (issue 16 items 5 and 6). Append-only.

-- Device identity (issue 16 item 5). A device row keeps its automerge actor id and
-- its person (user) forever: a revoked device re-enrols only as the same person with
-- the same actor id, so its offline changes are still its own. And an actor id
-- belongs to one device ever, revoked or not. The enrolment endpoint checks both
-- and answers with a stable code; these triggers are the backstop. Rows enrolled
-- before this migration may share an actor id with a revoked row (0001 only kept
-- active devices apart); no new row can.
CREATE TRIGGER devices_actor_unique_forever
BEFORE INSERT ON devices
WHEN EXISTS (SELECT 1 FROM devices WHERE actor_id = NEW.actor_id)
BEGIN
    SELECT RAISE(ABORT, 'liuhen: actor_id_taken');
END;

CREATE TRIGGER devices_identity_fixed
BEFORE UPDATE OF actor_id, user_id ON devices
WHEN NEW.actor_id IS NOT OLD.actor_id OR NEW.user_id IS NOT OLD.user_id
BEGIN
    SELECT RAISE(ABORT, 'liuhen: device_identity_fixed');
END;

-- Evidence belongs to the agency that uploaded it (issue 16 item 6). The bytes are
-- stored once by content address, but receipt is a grant per agency: the same bytes
-- from two agencies are two grants, and each agency's device must upload them
-- itself. Replaces `blobs_received` (one row per hash for everyone).
CREATE TABLE blob_grants (
    agency_id    TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    size         INTEGER NOT NULL,
    received_at  TEXT NOT NULL,
    PRIMARY KEY (agency_id, sha256)
) STRICT;

-- Existing receipts go to the agency of the inspection that referenced the hash
-- first (the bytes were uploaded for it: nothing could be received before a
-- reference existed). A later reference by another agency was granted without an
-- upload, which is what this migration ends: that agency's devices are asked for
-- the file again (`missing_blobs`) and upload it themselves.
INSERT INTO blob_grants (agency_id, sha256, size, received_at)
SELECT d.agency_id, b.sha256, b.size, b.received_at
FROM blobs_received b
JOIN blob_refs r ON r.rowid = (SELECT MIN(rowid) FROM blob_refs WHERE sha256 = b.sha256)
JOIN docs d ON d.id = r.inspection_id;

-- Queue summaries that counted a receipt their agency no longer holds are marked
-- stale (no heads) so that the backfill at the next start summarises them again.
UPDATE queue_summaries SET doc_heads = '[]' WHERE doc_id IN (
    SELECT r.inspection_id
    FROM blob_refs r JOIN docs d ON d.id = r.inspection_id
    WHERE EXISTS (SELECT 1 FROM blobs_received b WHERE b.sha256 = r.sha256)
      AND NOT EXISTS (
          SELECT 1 FROM blob_grants g WHERE g.agency_id = d.agency_id AND g.sha256 = r.sha256
      )
);

DROP TABLE blobs_received;
