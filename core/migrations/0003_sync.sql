-- 0003: sync with the server. The automerge sync state per document (only shared
-- heads survive encoding, which is what lets an interrupted sync resume), and the
-- upload state of evidence blobs (a resumable tus upload URL until confirmed).
CREATE TABLE sync_peer_states (
    doc_id     TEXT PRIMARY KEY,
    state      BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE uploads (
    sha256        TEXT PRIMARY KEY,
    inspection_id TEXT NOT NULL,
    upload_url    TEXT,
    confirmed_at  INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT
);
