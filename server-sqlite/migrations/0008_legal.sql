-- 0008: legal review of major decisions (R-LEGAL-1..7), the decisions made, and
-- the working-day calendar years imported by admins. Append-only.

-- Holiday arrangements (国务院办公厅节假日安排) imported for years the program does not
-- carry; JSON in the holiday-cn shape, validated by core::calendar before storing.
CREATE TABLE calendar_years (
    year        INTEGER PRIMARY KEY,
    json        TEXT NOT NULL,
    imported_by TEXT NOT NULL REFERENCES users(id),
    imported_at TEXT NOT NULL
) STRICT;

-- Numbered versions of an agency's catalogue of major decisions (R-LEGAL-2), as
-- JSON of core::legal::Catalogue. A version is never changed: an edit is a new one.
CREATE TABLE legal_catalogues (
    agency_id  TEXT NOT NULL,
    version    INTEGER NOT NULL CHECK (version >= 1),
    body       TEXT NOT NULL,
    note       TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (agency_id, version)
) STRICT;

CREATE TRIGGER legal_catalogues_no_update BEFORE UPDATE ON legal_catalogues
BEGIN SELECT RAISE(ABORT, 'R-LEGAL-2: catalogue versions are append-only'); END;
CREATE TRIGGER legal_catalogues_no_delete BEFORE DELETE ON legal_catalogues
BEGIN SELECT RAISE(ABORT, 'R-LEGAL-2: catalogue versions are append-only'); END;

-- A proposed decision: its automerge document (core::draft_doc) and where it stands.
CREATE TABLE legal_drafts (
    id                TEXT PRIMARY KEY,
    agency_id         TEXT NOT NULL,
    created_by        TEXT NOT NULL REFERENCES users(id),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    -- drafting | in_review | returned | disputed | approved | decided
    status            TEXT NOT NULL CHECK (status IN
        ('drafting', 'in_review', 'returned', 'disputed', 'approved', 'decided')),
    title             TEXT NOT NULL,
    kind              TEXT NOT NULL,
    -- The catalogue version that classified it (fixed at first submission) and
    -- what it found (JSON array of core::legal::MajorTrigger).
    catalogue_version INTEGER,
    triggers          TEXT NOT NULL DEFAULT '[]',
    -- Last submitted version (0: never submitted) and its receipt date (Beijing).
    version           INTEGER NOT NULL DEFAULT 0,
    received_on       TEXT,
    extended          INTEGER NOT NULL DEFAULT 0,
    heads             TEXT NOT NULL,
    bytes             BLOB NOT NULL
) STRICT;

CREATE INDEX legal_drafts_by_agency ON legal_drafts (agency_id, status, updated_at);

-- Each submission for review: the content as submitted, so a later review can see
-- what changed and an approval is tied to exactly what was reviewed.
CREATE TABLE legal_versions (
    draft_id          TEXT NOT NULL REFERENCES legal_drafts(id),
    version           INTEGER NOT NULL CHECK (version >= 1),
    submitted_by      TEXT NOT NULL REFERENCES users(id),
    submitted_at      TEXT NOT NULL,
    received_on       TEXT NOT NULL,
    heads             TEXT NOT NULL,
    content           TEXT NOT NULL,
    catalogue_version INTEGER NOT NULL,
    triggers          TEXT NOT NULL,
    note              TEXT NOT NULL,
    -- The reviewer who opened the review, and when (R-LEGAL-5 review started).
    review_started_by TEXT REFERENCES users(id),
    review_started_at TEXT,
    PRIMARY KEY (draft_id, version)
) STRICT;

-- Opinions (R-LEGAL-3, R-LEGAL-4): at most one per submitted version.
CREATE TABLE legal_reviews (
    draft_id     TEXT NOT NULL,
    version      INTEGER NOT NULL,
    reviewer     TEXT NOT NULL REFERENCES users(id),
    opinion      TEXT NOT NULL CHECK (opinion IN ('approve', 'problems')),
    opinion_text TEXT NOT NULL,
    checks       TEXT NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (draft_id, version),
    FOREIGN KEY (draft_id, version) REFERENCES legal_versions(draft_id, version)
) STRICT;

-- The one extension of a review (R-LEGAL-5): requested by the reviewer, approved by
-- a leader.
CREATE TABLE legal_extensions (
    draft_id     TEXT PRIMARY KEY REFERENCES legal_drafts(id),
    version      INTEGER NOT NULL,
    requested_by TEXT NOT NULL REFERENCES users(id),
    requested_at TEXT NOT NULL,
    reason       TEXT NOT NULL,
    approved_by  TEXT REFERENCES users(id),
    approved_at  TEXT,
    leader_note  TEXT
) STRICT;

-- Disagreements with an opinion and their coordination outcome (R-LEGAL-7).
CREATE TABLE legal_disputes (
    id           TEXT PRIMARY KEY,
    draft_id     TEXT NOT NULL REFERENCES legal_drafts(id),
    version      INTEGER NOT NULL,
    raised_by    TEXT NOT NULL REFERENCES users(id),
    raised_at    TEXT NOT NULL,
    reason       TEXT NOT NULL,
    -- upheld: the opinion stands; overturned: the unit's view is adopted.
    outcome      TEXT CHECK (outcome IN ('upheld', 'overturned')),
    outcome_note TEXT,
    decided_by   TEXT REFERENCES users(id),
    decided_at   TEXT
) STRICT;

CREATE UNIQUE INDEX legal_disputes_one_open ON legal_disputes (draft_id) WHERE outcome IS NULL;

-- Forms already carried out (a double submit is done once).
CREATE TABLE legal_forms (
    form_id  TEXT PRIMARY KEY,
    draft_id TEXT NOT NULL,
    action   TEXT NOT NULL,
    user_id  TEXT NOT NULL REFERENCES users(id),
    at       TEXT NOT NULL
) STRICT;

-- The audit trail of the legal workflow: every draft creation, edit, submission,
-- review start, opinion, extension, dispute, coordination outcome, catalogue edit
-- and decision, with who and when. Append-only.
CREATE TABLE legal_events (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id TEXT NOT NULL,
    draft_id  TEXT,
    kind      TEXT NOT NULL,
    version   INTEGER,
    by_user   TEXT NOT NULL REFERENCES users(id),
    at        TEXT NOT NULL,
    detail    TEXT NOT NULL
) STRICT;

CREATE INDEX legal_events_by_draft ON legal_events (draft_id, seq);
CREATE TRIGGER legal_events_no_update BEFORE UPDATE ON legal_events
BEGIN SELECT RAISE(ABORT, 'R-REC-5: the legal audit trail is append-only'); END;
CREATE TRIGGER legal_events_no_delete BEFORE DELETE ON legal_events
BEGIN SELECT RAISE(ABORT, 'R-REC-5: the legal audit trail is append-only'); END;

-- Decisions made (作出的执法决定). The decision date starts the publication clock
-- (R-POST-1). `party_code` (a person's ID number) and `confidential` never leave the
-- server through a public page (R-POST-2).
CREATE TABLE decisions (
    id                TEXT PRIMARY KEY,
    agency_id         TEXT NOT NULL,
    draft_id          TEXT NOT NULL UNIQUE REFERENCES legal_drafts(id),
    kind              TEXT NOT NULL CHECK (kind IN
        ('licensing', 'penalty', 'coercion', 'inspection', 'other')),
    title             TEXT NOT NULL,
    doc_number        TEXT NOT NULL,
    decided_on        TEXT NOT NULL,
    decided_at        TEXT NOT NULL,
    decided_by        TEXT NOT NULL REFERENCES users(id),
    category          TEXT NOT NULL,
    party_kind        TEXT NOT NULL CHECK (party_kind IN ('company', 'person')),
    party_name        TEXT NOT NULL,
    party_code        TEXT NOT NULL,
    legal_basis       TEXT NOT NULL,
    conclusion        TEXT NOT NULL,
    fine_fen          INTEGER,
    major             INTEGER NOT NULL,
    catalogue_version INTEGER,
    reviewed_version  INTEGER,
    inspection_ids    TEXT NOT NULL,
    confidential      TEXT NOT NULL,
    UNIQUE (agency_id, doc_number)
) STRICT;

CREATE INDEX decisions_by_agency_date ON decisions (agency_id, decided_on);
