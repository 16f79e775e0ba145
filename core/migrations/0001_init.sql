-- 0001: the device store. Append-only: never edit a published migration.

-- This device: its id, automerge actor, signing key and enrolled officer.
CREATE TABLE device (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- One row per inspection document, with what the lists show without loading it.
CREATE TABLE documents (
    id             TEXT PRIMARY KEY,
    target_name    TEXT NOT NULL,
    task_id        TEXT,
    status         TEXT NOT NULL,          -- open | closed
    schema_version INTEGER NOT NULL,
    heads          TEXT NOT NULL,          -- JSON list of hex change hashes persisted
    chunk_count    INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,       -- ms since epoch
    updated_at     INTEGER NOT NULL,
    sync_state     TEXT NOT NULL,          -- pending | syncing | synced | attention
    sync_reason    TEXT
);
CREATE INDEX documents_sync_state ON documents (sync_state, updated_at);
CREATE INDEX documents_updated ON documents (updated_at);

-- The document bytes: a full save followed by incremental saves, in order.
CREATE TABLE doc_chunks (
    doc_id TEXT NOT NULL REFERENCES documents (id),
    seq    INTEGER NOT NULL,
    bytes  BLOB NOT NULL,
    PRIMARY KEY (doc_id, seq)
) WITHOUT ROWID;

-- The cached roster and tasks (replaced whole on each refresh).
CREATE TABLE roster (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    snapshot   TEXT NOT NULL,              -- JSON RosterSnapshot
    fetched_at INTEGER NOT NULL
);

-- The device's hash-chained, signed log of every step (R-REC-5).
CREATE TABLE log_entries (
    seq           INTEGER PRIMARY KEY,
    prev_hash     TEXT NOT NULL,
    at            INTEGER NOT NULL,
    officer_id    TEXT NOT NULL,
    device_id     TEXT NOT NULL,
    inspection_id TEXT,
    action        TEXT NOT NULL,
    detail        TEXT NOT NULL,           -- JSON
    evidence      TEXT NOT NULL,           -- JSON list of SHA-256 hex
    doc_heads     TEXT NOT NULL,           -- JSON list of change hashes after the step
    hash          TEXT NOT NULL UNIQUE,
    signature     TEXT NOT NULL
);
CREATE INDEX log_entries_inspection ON log_entries (inspection_id, seq);
