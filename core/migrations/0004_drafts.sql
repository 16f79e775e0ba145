-- 0004: proposed decisions (决定草案) drafted on the device, offline (R-LEGAL-1).
-- The automerge document is kept as one full save (drafts are a few KB), with its
-- heads and what the server said about it at the last sync. Written together with
-- the signed log entry of the step, in one transaction.
CREATE TABLE drafts (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    bytes         BLOB NOT NULL,
    heads         TEXT NOT NULL,  -- JSON array of hex change hashes, sorted
    synced_heads  TEXT,           -- the server's heads after the last sync; NULL: never synced
    server_status TEXT,           -- the server's workflow status code at the last sync
    server_label  TEXT,           -- its Chinese label, as the server gave it
    refused       TEXT,           -- why the server refused the last push, if it did
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
