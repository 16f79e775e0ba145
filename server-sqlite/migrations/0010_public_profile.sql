-- 0010: the agency's public profile and documents (R-PRE-1..4) and the annual
-- statistics (R-POST-5): appeals entered by staff and the publication of a year.
-- The history tables are append-only.

-- One current profile per agency (R-PRE-1, R-PRE-4): texts shown on the portal and
-- the list of steps recorded on audio/video (JSON array of strings, R-REC-2).
-- Every change is also written to public_profile_events.
CREATE TABLE public_profiles (
    agency_id       TEXT PRIMARY KEY,
    bodies          TEXT NOT NULL,
    duties          TEXT NOT NULL,
    supervision     TEXT NOT NULL,
    remedy          TEXT NOT NULL,
    recording_steps TEXT NOT NULL,
    updated_by      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;

-- Uploaded flow charts and service guides (R-PRE-4). The bytes live in the data
-- directory under public-docs/<sha256>; a deleted document is only withdrawn
-- (deleted_at set), its row and file stay.
CREATE TABLE public_documents (
    id           TEXT PRIMARY KEY,
    agency_id    TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('flow_chart', 'service_guide')),
    title        TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    sha256       TEXT NOT NULL,
    size         INTEGER NOT NULL CHECK (size > 0),
    uploaded_by  TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL,
    deleted_by   TEXT,
    deleted_at   TEXT
) STRICT;
CREATE INDEX public_documents_agency ON public_documents (agency_id, uploaded_at);

-- A withdrawn document stays withdrawn; nothing else of a row changes.
CREATE TRIGGER public_documents_no_delete BEFORE DELETE ON public_documents
BEGIN SELECT RAISE(ABORT, 'R-REC-5: public documents are withdrawn, never deleted'); END;
CREATE TRIGGER public_documents_only_withdraw BEFORE UPDATE ON public_documents
WHEN OLD.deleted_at IS NOT NULL OR NEW.id IS NOT OLD.id OR NEW.sha256 IS NOT OLD.sha256
  OR NEW.title IS NOT OLD.title OR NEW.uploaded_at IS NOT OLD.uploaded_at
BEGIN SELECT RAISE(ABORT, 'R-REC-5: a public document can only be withdrawn once'); END;

-- Appeals against the agency's decisions in a year (行政复议 / 行政诉讼), entered by
-- staff for the annual statistics (R-POST-5). Current numbers; history in events.
CREATE TABLE appeal_stats (
    agency_id  TEXT NOT NULL,
    year       INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('reconsideration', 'litigation')),
    total      INTEGER NOT NULL CHECK (total >= 0),
    upheld     INTEGER NOT NULL CHECK (upheld >= 0),
    corrected  INTEGER NOT NULL CHECK (corrected >= 0),
    other      INTEGER NOT NULL CHECK (other >= 0),
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (upheld + corrected + other <= total),
    PRIMARY KEY (agency_id, year, kind)
) STRICT;

-- Publication of an agency's statistics of a year (R-POST-5): once, with the server
-- clock's time, never changed or back-dated.
CREATE TABLE stats_publications (
    agency_id    TEXT NOT NULL,
    year         INTEGER NOT NULL,
    published_by TEXT NOT NULL,
    by_name      TEXT NOT NULL,
    published_at TEXT NOT NULL,
    PRIMARY KEY (agency_id, year)
) STRICT;
CREATE TRIGGER stats_publications_no_update BEFORE UPDATE ON stats_publications
BEGIN SELECT RAISE(ABORT, 'R-POST-5: a publication is never changed or back-dated'); END;
CREATE TRIGGER stats_publications_no_delete BEFORE DELETE ON stats_publications
BEGIN SELECT RAISE(ABORT, 'R-POST-5: a publication is never changed or back-dated'); END;

-- Who changed what on the profile, documents, recording list, appeals and
-- publications, and when. Append-only.
CREATE TABLE public_profile_events (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id TEXT NOT NULL,
    kind      TEXT NOT NULL,
    detail    TEXT NOT NULL,
    by_user   TEXT NOT NULL,
    by_name   TEXT NOT NULL,
    at        TEXT NOT NULL
) STRICT;
CREATE INDEX public_profile_events_agency ON public_profile_events (agency_id, seq);
CREATE TRIGGER public_profile_events_no_update BEFORE UPDATE ON public_profile_events
BEGIN SELECT RAISE(ABORT, 'R-REC-5: the public profile history is append-only'); END;
CREATE TRIGGER public_profile_events_no_delete BEFORE DELETE ON public_profile_events
BEGIN SELECT RAISE(ABORT, 'R-REC-5: the public profile history is append-only'); END;
