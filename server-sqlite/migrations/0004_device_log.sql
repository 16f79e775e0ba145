-- 0004: the device logs that devices upload (tamper check, R-REC-5). Append-only.
-- Entries are kept as they arrived, even when they do not verify: a broken chain is
-- itself evidence. `public_key` is the key the device had registered when the entry
-- arrived (a re-enrolled device may register another one), and is what the entry's
-- signature is checked against.
CREATE TABLE device_log_entries (
    device_id     TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    prev_hash     TEXT NOT NULL,
    at            TEXT NOT NULL,
    officer_id    TEXT NOT NULL,
    inspection_id TEXT,
    action        TEXT NOT NULL,
    detail        TEXT NOT NULL,           -- JSON
    evidence      TEXT NOT NULL,           -- JSON list of SHA-256 hex
    doc_heads     TEXT NOT NULL,           -- JSON list of change hashes
    hash          TEXT NOT NULL,
    signature     TEXT NOT NULL,
    public_key    TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    PRIMARY KEY (device_id, seq)
) STRICT;
CREATE INDEX device_log_entries_inspection ON device_log_entries (inspection_id, device_id);

-- An entry whose number was already stored with another hash: kept aside, never
-- written over the first one.
CREATE TABLE device_log_divergent (
    device_id     TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    hash          TEXT NOT NULL,
    entry         TEXT NOT NULL,           -- JSON of the whole entry as it arrived
    public_key    TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    PRIMARY KEY (device_id, seq, hash)
) STRICT;

-- Highest sequence number held without gaps from 1, per device (the sync ack).
CREATE TABLE device_log_acks (
    device_id      TEXT PRIMARY KEY,
    contiguous_seq INTEGER NOT NULL
) STRICT;
