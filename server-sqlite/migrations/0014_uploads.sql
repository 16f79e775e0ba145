-- 0015: tus upload state in the database (issue 18 item 2), so that several server
-- instances share it; the bytes of unfinished uploads are pieces in the evidence
-- store. Append-only. (Uploads in flight under <data_dir>/uploads/*.json before
-- this migration are not carried over: their devices start them again.)
CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    inspection_id TEXT NOT NULL,
    filename TEXT,
    media_type TEXT,
    metadata TEXT NOT NULL,
    length INTEGER NOT NULL CHECK (length > 0),
    -- Bytes confirmed: the rows of upload_pieces cover exactly 0..offset.
    offset INTEGER NOT NULL DEFAULT 0 CHECK (offset >= 0 AND offset <= length),
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    completed_at TEXT,
    verified INTEGER NOT NULL DEFAULT 0,
    -- The newest request on the upload (a running one stops when it is not this).
    claimed_by TEXT,
    -- The request writing now, and until when its lease runs unless renewed.
    lease_holder TEXT,
    lease_until TEXT
);
CREATE INDEX uploads_by_updated ON uploads(updated_at) WHERE completed_at IS NULL;
CREATE INDEX uploads_by_completed ON uploads(completed_at) WHERE completed_at IS NOT NULL;

CREATE TABLE upload_pieces (
    upload_id TEXT NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    end_offset INTEGER NOT NULL CHECK (end_offset > start),
    key TEXT NOT NULL,
    PRIMARY KEY (upload_id, start)
);
