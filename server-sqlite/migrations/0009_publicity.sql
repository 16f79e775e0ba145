-- 0009: publication of decisions (公示, R-POST-1..3, R-POST-7). A decision is in the
-- publishing queue from the day it is made (the queue is `decisions` left-joined
-- with these tables); a publication row appears when a filer files it, and gains a
-- reviewer and an approver. Once approved (published) it never changes; a
-- withdrawal is a separate append-only row. Every step is also in the append-only
-- history `publication_events`.

CREATE TABLE publications (
    decision_id       TEXT PRIMARY KEY REFERENCES decisions(id),
    agency_id         TEXT NOT NULL,
    -- What the public sees of the body and the target, fixed at filing time (the
    -- masked name of a natural person, R-POST-2; the credit code of a company only).
    public_body       TEXT NOT NULL,
    public_target     TEXT NOT NULL,
    public_code       TEXT NOT NULL,
    filed_by          TEXT NOT NULL REFERENCES users(id),
    filed_at          TEXT NOT NULL,
    reviewed_by       TEXT REFERENCES users(id),
    reviewed_at       TEXT,
    approved_by       TEXT REFERENCES users(id),
    approved_at       TEXT,
    -- Beijing date of approval = publication (never back-dated).
    published_on      TEXT,
    -- The deadline (R-POST-1) as computed at publication; NULL: the calendar had no
    -- data for that year.
    due_on            TEXT,
    -- 1: published after the deadline (逾期公开); NULL: unknown (no calendar data).
    late              INTEGER CHECK (late IN (0, 1)),
    late_working_days INTEGER CHECK (late_working_days >= 0),
    -- R-POST-7: filer, reviewer and approver are three different people.
    CHECK (reviewed_by IS NULL OR reviewed_by <> filed_by),
    CHECK (approved_by IS NULL OR (approved_by <> filed_by AND approved_by <> reviewed_by)),
    CHECK (approved_by IS NULL OR reviewed_by IS NOT NULL)
) STRICT;

CREATE INDEX publications_by_agency ON publications (agency_id, published_on);
CREATE INDEX publications_published ON publications (published_on) WHERE published_on IS NOT NULL;

CREATE TRIGGER publications_no_delete BEFORE DELETE ON publications
BEGIN SELECT RAISE(ABORT, 'R-POST-3: publication records are never deleted'); END;
CREATE TRIGGER publications_published_fixed BEFORE UPDATE ON publications
WHEN OLD.approved_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'R-POST-1: a published record never changes'); END;

-- Withdrawals of published decisions (R-POST-3). Append-only.
CREATE TABLE publication_withdrawals (
    decision_id  TEXT PRIMARY KEY REFERENCES publications(decision_id),
    agency_id    TEXT NOT NULL,
    -- revoked 撤销 | confirmed_illegal 确认违法 | redo 责令重新作出
    reason_kind  TEXT NOT NULL CHECK (reason_kind IN ('revoked', 'confirmed_illegal', 'redo')),
    reason       TEXT NOT NULL,
    by_user      TEXT NOT NULL REFERENCES users(id),
    at           TEXT NOT NULL,
    withdrawn_on TEXT NOT NULL
) STRICT;

CREATE TRIGGER publication_withdrawals_no_update BEFORE UPDATE ON publication_withdrawals
BEGIN SELECT RAISE(ABORT, 'R-POST-3: withdrawals are append-only'); END;
CREATE TRIGGER publication_withdrawals_no_delete BEFORE DELETE ON publication_withdrawals
BEGIN SELECT RAISE(ABORT, 'R-POST-3: withdrawals are append-only'); END;

-- The history of every publishing step: filed, reviewed, published, withdrawn.
CREATE TABLE publication_events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id   TEXT NOT NULL,
    decision_id TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('filed', 'reviewed', 'published', 'withdrawn')),
    by_user     TEXT NOT NULL REFERENCES users(id),
    at          TEXT NOT NULL,
    detail      TEXT NOT NULL
) STRICT;

CREATE INDEX publication_events_by_decision ON publication_events (decision_id, seq);
CREATE TRIGGER publication_events_no_update BEFORE UPDATE ON publication_events
BEGIN SELECT RAISE(ABORT, 'R-REC-5: the publication history is append-only'); END;
CREATE TRIGGER publication_events_no_delete BEFORE DELETE ON publication_events
BEGIN SELECT RAISE(ABORT, 'R-REC-5: the publication history is append-only'); END;

-- Forms already carried out (a double submit is done once).
CREATE TABLE publication_forms (
    form_id     TEXT PRIMARY KEY,
    decision_id TEXT NOT NULL,
    action      TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id),
    at          TEXT NOT NULL
) STRICT;
