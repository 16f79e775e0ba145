-- 0007: review submissions from the desk (double submit is done once). Append-only.

-- One approve/return form that was carried out, keyed by the random id the form
-- carried: the same form sent again is answered from here and not written twice.
CREATE TABLE review_submissions (
    form_id       TEXT PRIMARY KEY,
    inspection_id TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users(id),
    decision      TEXT NOT NULL CHECK (decision IN ('approved', 'returned')),
    comments      INTEGER NOT NULL,
    heads_after   TEXT NOT NULL,   -- JSON array of hex change hashes
    at            TEXT NOT NULL
) STRICT;

CREATE INDEX review_submissions_by_inspection ON review_submissions (inspection_id, at);
