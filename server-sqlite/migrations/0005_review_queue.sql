-- 0005: the supervisors' review queue (summaries of each inspection). Append-only.

-- One summary row per inspection document, recomputed by desk::summary::refresh
-- whenever the document or its evidence changes on the server. Everything the
-- queue page filters and sorts on is a column here, so the page never opens an
-- automerge document. (No foreign key to docs: documents are never deleted, R-REC-5.)
CREATE TABLE queue_summaries (
    doc_id              TEXT PRIMARY KEY,
    agency_id           TEXT NOT NULL,
    -- open | pending | returned | amended | approved
    state               TEXT NOT NULL,
    -- Attention rank, 0 = most urgent (see desk::summary::rank).
    rank                INTEGER NOT NULL,
    -- The rank once missing evidence becomes late (R-REC-4), and when that is;
    -- NULL when the rank cannot change with time alone.
    rank_late           INTEGER NOT NULL,
    rank_due_at         TEXT,
    opened_at           TEXT NOT NULL,
    target_id           TEXT NOT NULL,
    target_name         TEXT NOT NULL,
    target_credit_code  TEXT,
    officer_ids         TEXT NOT NULL,   -- JSON array
    officer_names       TEXT NOT NULL,   -- JSON array, same order
    -- Violated rule ids at the last refresh (JSON array, sorted); R-REC-4 of a blob
    -- still missing is also decided at query time from oldest_missing_at.
    violations          TEXT NOT NULL,
    has_violations      INTEGER NOT NULL,
    evidence_total      INTEGER NOT NULL,
    evidence_missing    INTEGER NOT NULL,
    -- Oldest capture time of a blob not received yet (NULL if none is missing).
    oldest_missing_at   TEXT,
    -- Some blob reached the platform more than 24 hours after capture (R-REC-4).
    arrived_late        INTEGER NOT NULL,
    updated_at          TEXT NOT NULL,
    -- Minus updated_at in microseconds: "newest first" as an ascending key, so the
    -- keyset (rank, recency, doc_id) is one ascending row value.
    recency             INTEGER NOT NULL,
    -- Heads of the document this summary was computed from (JSON array).
    doc_heads           TEXT NOT NULL
) STRICT;

-- Attention order within an agency (keyset paging), with and without a state filter.
CREATE INDEX queue_order ON queue_summaries(agency_id, rank, recency, doc_id);
CREATE INDEX queue_state_order ON queue_summaries(agency_id, state, rank, recency, doc_id);
-- Ranks that change when missing evidence turns 24 hours old.
CREATE INDEX queue_rank_due ON queue_summaries(agency_id, rank_due_at)
    WHERE rank_due_at IS NOT NULL;

-- Officers of each summarised inspection, for the officer filter.
CREATE TABLE queue_officers (
    officer_id  TEXT NOT NULL,
    doc_id      TEXT NOT NULL REFERENCES queue_summaries(doc_id) ON DELETE CASCADE,
    PRIMARY KEY (officer_id, doc_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX queue_officers_doc ON queue_officers(doc_id);

-- Number of an agency's summaries in each state, kept with every summary write so
-- the page's counts cost one short read at any size.
CREATE TABLE queue_counts (
    agency_id  TEXT NOT NULL,
    state      TEXT NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (agency_id, state)
) STRICT, WITHOUT ROWID;
