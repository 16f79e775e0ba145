-- 0001: initial schema of the liuhen server.
-- Append-only: never edit a migration that has shipped; add the next number instead.
-- Timestamps are RFC 3339 UTC text with microseconds ("2026-11-23T08:00:00.000000Z"),
-- so text order is time order.

-- Rosters (R-PRE-2): one row per agency, records kept as JSON of the core model
-- types, in the order they were given.
CREATE TABLE agencies (
    id          TEXT PRIMARY KEY,
    data        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

CREATE TABLE roster_officers (
    agency_id   TEXT NOT NULL REFERENCES agencies(id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    position    INTEGER NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (agency_id, id)
) STRICT;

CREATE TABLE roster_targets (
    agency_id   TEXT NOT NULL REFERENCES agencies(id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    position    INTEGER NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (agency_id, id)
) STRICT;

CREATE TABLE roster_tasks (
    agency_id   TEXT NOT NULL REFERENCES agencies(id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    position    INTEGER NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (agency_id, id)
) STRICT;

-- Which officers a task is assigned to (a device receives only its officer's tasks).
CREATE TABLE roster_task_officers (
    agency_id   TEXT NOT NULL,
    task_id     TEXT NOT NULL,
    officer_id  TEXT NOT NULL,
    PRIMARY KEY (agency_id, officer_id, task_id),
    FOREIGN KEY (agency_id, task_id) REFERENCES roster_tasks(agency_id, id) ON DELETE CASCADE
) STRICT;

-- Accounts. Logins compare without ASCII case.
CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    agency_id      TEXT NOT NULL,
    login          TEXT NOT NULL COLLATE NOCASE UNIQUE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('officer', 'supervisor', 'legal_reviewer', 'admin')),
    officer_id     TEXT,
    password_hash  TEXT NOT NULL,
    disabled       INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at     TEXT NOT NULL
) STRICT;
CREATE INDEX users_agency ON users(agency_id, login);

-- Enrolled devices; only the SHA-256 of the device token is kept.
CREATE TABLE devices (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id),
    public_key   TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL DEFAULT '',
    enrolled_at  TEXT NOT NULL,
    revoked_at   TEXT
) STRICT;
CREATE INDEX devices_user ON devices(user_id);
-- Two active devices never share an automerge actor id.
CREATE UNIQUE INDEX devices_active_actor ON devices(actor_id) WHERE revoked_at IS NULL;

-- One-time enrollment codes (hash only).
CREATE TABLE enrollment_codes (
    code_hash   TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    expires_at  TEXT NOT NULL,
    used_at     TEXT
) STRICT;

-- API sessions (hash only).
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    expires_at  TEXT NOT NULL
) STRICT;

-- Failed password checks, for the lockout (keyed by lower-case login).
CREATE TABLE login_failures (
    login  TEXT NOT NULL,
    at     TEXT NOT NULL
) STRICT;
CREATE INDEX login_failures_login_at ON login_failures(login, at);

-- Inspection documents (full automerge saves) and who may see them.
CREATE TABLE docs (
    id           TEXT PRIMARY KEY,
    agency_id    TEXT NOT NULL,
    task_id      TEXT,
    target_name  TEXT NOT NULL,
    status       TEXT NOT NULL,
    heads        TEXT NOT NULL,
    bytes        BLOB NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;
CREATE INDEX docs_agency_updated ON docs(agency_id, updated_at DESC, id);

CREATE TABLE doc_officers (
    doc_id      TEXT NOT NULL REFERENCES docs(id) ON DELETE CASCADE,
    officer_id  TEXT NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (doc_id, officer_id)
) STRICT;
CREATE INDEX doc_officers_officer ON doc_officers(officer_id, doc_id);

-- Persisted automerge sync states, per device and document.
CREATE TABLE peer_states (
    device_id   TEXT NOT NULL,
    doc_id      TEXT NOT NULL,
    state       BLOB NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (device_id, doc_id)
) STRICT;

-- Evidence: which documents reference which blob, and which blobs arrived verified.
CREATE TABLE blob_refs (
    sha256         TEXT NOT NULL,
    inspection_id  TEXT NOT NULL,
    captured_at    TEXT NOT NULL,
    size           INTEGER NOT NULL,
    PRIMARY KEY (sha256, inspection_id)
) STRICT;
CREATE INDEX blob_refs_inspection ON blob_refs(inspection_id, sha256);

CREATE TABLE blobs_received (
    sha256       TEXT PRIMARY KEY,
    size         INTEGER NOT NULL,
    received_at  TEXT NOT NULL
) STRICT;
