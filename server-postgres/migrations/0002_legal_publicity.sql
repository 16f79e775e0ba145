-- 0002: legal review of major decisions (R-LEGAL-1..7) and the decisions made,
-- their publication (公示, R-POST-1..3, R-POST-7), the agency's public profile
-- and the annual statistics (R-PRE-1..4, R-POST-5). The PostgreSQL
-- form of SQLite migrations 0008, 0009 and 0010 (the queue tables and review
-- submissions are in 0001). Instants are timestamptz, dates date, structured
-- JSON jsonb, lists of ids and heads text[], bytes bytea. Append-only tables are
-- guarded by `liuhen_append_only` (0001). Never edit this file once shipped.

-- ---- legal review (SQLite 0008) ----------------------------------------------

-- Holiday arrangements imported for years the program does not carry; JSON in the
-- holiday-cn shape (kept as the admin's text), validated before storing.
CREATE TABLE calendar_years (
    year        integer PRIMARY KEY,
    json        text NOT NULL,
    imported_by text NOT NULL REFERENCES users(id),
    imported_at timestamptz NOT NULL
);

-- Numbered versions of an agency's catalogue of major decisions (R-LEGAL-2). A
-- version is never changed: an edit is a new one.
CREATE TABLE legal_catalogues (
    agency_id  text NOT NULL,
    version    integer NOT NULL CHECK (version >= 1),
    body       jsonb NOT NULL,
    note       text NOT NULL,
    created_by text NOT NULL REFERENCES users(id),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (agency_id, version)
);
CREATE TRIGGER legal_catalogues_append_only BEFORE UPDATE OR DELETE ON legal_catalogues
    FOR EACH ROW EXECUTE FUNCTION liuhen_append_only('R-LEGAL-2: catalogue versions are append-only');

-- A proposed decision: its automerge document and where it stands.
CREATE TABLE legal_drafts (
    id                text PRIMARY KEY,
    agency_id         text NOT NULL,
    created_by        text NOT NULL REFERENCES users(id),
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    status            text NOT NULL CHECK (status IN
        ('drafting', 'in_review', 'returned', 'disputed', 'approved', 'decided')),
    title             text NOT NULL,
    kind              text NOT NULL,
    -- The catalogue version that classified it (fixed at first submission) and what
    -- it found (JSON array of MajorTrigger).
    catalogue_version integer,
    triggers          jsonb NOT NULL DEFAULT '[]',
    -- Last submitted version (0: never submitted) and its receipt date (Beijing).
    version           integer NOT NULL DEFAULT 0 CHECK (version >= 0),
    received_on       date,
    extended          boolean NOT NULL DEFAULT false,
    heads             text[] NOT NULL,
    bytes             bytea NOT NULL
);
CREATE INDEX legal_drafts_by_agency ON legal_drafts (agency_id, status, updated_at);

-- Each submission for review: the content as submitted.
CREATE TABLE legal_versions (
    draft_id          text NOT NULL REFERENCES legal_drafts(id),
    version           integer NOT NULL CHECK (version >= 1),
    submitted_by      text NOT NULL REFERENCES users(id),
    submitted_at      timestamptz NOT NULL,
    received_on       date NOT NULL,
    heads             text[] NOT NULL,
    content           jsonb NOT NULL,
    catalogue_version integer NOT NULL,
    triggers          jsonb NOT NULL,
    note              text NOT NULL,
    -- The reviewer who opened the review, and when (R-LEGAL-5 review started).
    review_started_by text REFERENCES users(id),
    review_started_at timestamptz,
    PRIMARY KEY (draft_id, version)
);

-- Opinions (R-LEGAL-3, R-LEGAL-4): at most one per submitted version.
CREATE TABLE legal_reviews (
    draft_id     text NOT NULL,
    version      integer NOT NULL,
    reviewer     text NOT NULL REFERENCES users(id),
    opinion      text NOT NULL CHECK (opinion IN ('approve', 'problems')),
    opinion_text text NOT NULL,
    checks       jsonb NOT NULL,
    at           timestamptz NOT NULL,
    PRIMARY KEY (draft_id, version),
    FOREIGN KEY (draft_id, version) REFERENCES legal_versions(draft_id, version)
);
CREATE INDEX legal_reviews_at ON legal_reviews (at);

-- The one extension of a review (R-LEGAL-5).
CREATE TABLE legal_extensions (
    draft_id     text PRIMARY KEY REFERENCES legal_drafts(id),
    version      integer NOT NULL,
    requested_by text NOT NULL REFERENCES users(id),
    requested_at timestamptz NOT NULL,
    reason       text NOT NULL,
    approved_by  text REFERENCES users(id),
    approved_at  timestamptz,
    leader_note  text
);

-- Disagreements with an opinion and their coordination outcome (R-LEGAL-7).
CREATE TABLE legal_disputes (
    id           text PRIMARY KEY,
    draft_id     text NOT NULL REFERENCES legal_drafts(id),
    version      integer NOT NULL,
    raised_by    text NOT NULL REFERENCES users(id),
    raised_at    timestamptz NOT NULL,
    reason       text NOT NULL,
    outcome      text CHECK (outcome IN ('upheld', 'overturned')),
    outcome_note text,
    decided_by   text REFERENCES users(id),
    decided_at   timestamptz
);
CREATE UNIQUE INDEX legal_disputes_one_open ON legal_disputes (draft_id) WHERE outcome IS NULL;

-- Forms already carried out (a double submit is done once).
CREATE TABLE legal_forms (
    form_id  text PRIMARY KEY,
    draft_id text NOT NULL,
    action   text NOT NULL,
    user_id  text NOT NULL REFERENCES users(id),
    at       timestamptz NOT NULL
);

-- The audit trail of the legal workflow. Append-only (R-REC-5).
CREATE TABLE legal_events (
    seq       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agency_id text NOT NULL,
    draft_id  text,
    kind      text NOT NULL,
    version   integer,
    by_user   text NOT NULL REFERENCES users(id),
    at        timestamptz NOT NULL,
    detail    jsonb NOT NULL
);
CREATE INDEX legal_events_by_draft ON legal_events (draft_id, seq);
CREATE INDEX legal_events_by_agency ON legal_events (agency_id, seq) WHERE draft_id IS NULL;
CREATE TRIGGER legal_events_append_only BEFORE UPDATE OR DELETE ON legal_events
    FOR EACH ROW EXECUTE FUNCTION liuhen_append_only('R-REC-5: the legal audit trail is append-only');

-- Decisions made. The decision date starts the publication clock (R-POST-1).
-- `party_code` (a person's ID number) and `confidential` never leave the server
-- through a public page (R-POST-2).
CREATE TABLE decisions (
    id                text PRIMARY KEY,
    agency_id         text NOT NULL,
    draft_id          text NOT NULL UNIQUE REFERENCES legal_drafts(id),
    kind              text NOT NULL CHECK (kind IN
        ('licensing', 'penalty', 'coercion', 'inspection', 'other')),
    title             text NOT NULL,
    doc_number        text NOT NULL,
    decided_on        date NOT NULL,
    decided_at        timestamptz NOT NULL,
    decided_by        text NOT NULL REFERENCES users(id),
    category          text NOT NULL,
    party_kind        text NOT NULL CHECK (party_kind IN ('company', 'person')),
    party_name        text NOT NULL,
    party_code        text NOT NULL,
    legal_basis       text NOT NULL,
    conclusion        text NOT NULL,
    fine_fen          bigint,
    major             boolean NOT NULL,
    catalogue_version integer,
    reviewed_version  integer,
    inspection_ids    text[] NOT NULL,
    confidential      text NOT NULL,
    UNIQUE (agency_id, doc_number)
);
CREATE INDEX decisions_by_agency_date ON decisions (agency_id, decided_on);

-- ---- publication (SQLite 0009) -----------------------------------------------

-- A publication row appears when a filer files a decision and gains a reviewer and
-- an approver. Once approved (published) it never changes; a withdrawal is a
-- separate append-only row.
CREATE TABLE publications (
    decision_id       text PRIMARY KEY REFERENCES decisions(id),
    agency_id         text NOT NULL,
    -- What the public sees, fixed at filing time (R-POST-2).
    public_body       text NOT NULL,
    public_target     text NOT NULL,
    public_code       text NOT NULL,
    filed_by          text NOT NULL REFERENCES users(id),
    filed_at          timestamptz NOT NULL,
    reviewed_by       text REFERENCES users(id),
    reviewed_at       timestamptz,
    approved_by       text REFERENCES users(id),
    approved_at       timestamptz,
    -- Beijing date of approval = publication (never back-dated).
    published_on      date,
    -- The deadline (R-POST-1) at publication; NULL: no calendar data for that year.
    due_on            date,
    -- Published after the deadline (逾期公开); NULL: unknown (no calendar data).
    late              boolean,
    late_working_days integer CHECK (late_working_days >= 0),
    -- R-POST-7: filer, reviewer and approver are three different people.
    CHECK (reviewed_by IS NULL OR reviewed_by <> filed_by),
    CHECK (approved_by IS NULL OR (approved_by <> filed_by AND approved_by <> reviewed_by)),
    CHECK (approved_by IS NULL OR reviewed_by IS NOT NULL)
);
CREATE INDEX publications_by_agency ON publications (agency_id, published_on);
CREATE INDEX publications_published ON publications (published_on)
    WHERE published_on IS NOT NULL;
CREATE TRIGGER publications_no_delete BEFORE DELETE ON publications
    FOR EACH ROW EXECUTE FUNCTION liuhen_append_only('R-POST-3: publication records are never deleted');
CREATE TRIGGER publications_published_fixed BEFORE UPDATE ON publications
    FOR EACH ROW WHEN (OLD.approved_at IS NOT NULL)
    EXECUTE FUNCTION liuhen_append_only('R-POST-1: a published record never changes');

-- Withdrawals of published decisions (R-POST-3). Append-only.
CREATE TABLE publication_withdrawals (
    decision_id  text PRIMARY KEY REFERENCES publications(decision_id),
    agency_id    text NOT NULL,
    -- revoked 撤销 | confirmed_illegal 确认违法 | redo 责令重新作出
    reason_kind  text NOT NULL CHECK (reason_kind IN ('revoked', 'confirmed_illegal', 'redo')),
    reason       text NOT NULL,
    by_user      text NOT NULL REFERENCES users(id),
    at           timestamptz NOT NULL,
    withdrawn_on date NOT NULL
);
CREATE TRIGGER publication_withdrawals_append_only
    BEFORE UPDATE OR DELETE ON publication_withdrawals
    FOR EACH ROW EXECUTE FUNCTION liuhen_append_only('R-POST-3: withdrawals are append-only');

-- The history of every publishing step: filed, reviewed, published, withdrawn.
CREATE TABLE publication_events (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agency_id   text NOT NULL,
    decision_id text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('filed', 'reviewed', 'published', 'withdrawn')),
    by_user     text NOT NULL REFERENCES users(id),
    at          timestamptz NOT NULL,
    detail      jsonb NOT NULL
);
CREATE INDEX publication_events_by_decision ON publication_events (decision_id, seq);
CREATE TRIGGER publication_events_append_only BEFORE UPDATE OR DELETE ON publication_events
    FOR EACH ROW EXECUTE FUNCTION liuhen_append_only('R-REC-5: the publication history is append-only');

-- Forms already carried out (a double submit is done once).
CREATE TABLE publication_forms (
    form_id     text PRIMARY KEY,
    decision_id text NOT NULL,
    action      text NOT NULL,
    user_id     text NOT NULL REFERENCES users(id),
    at          timestamptz NOT NULL
);

-- ---- public profile and statistics (SQLite 0010) -----------------------------

-- One current profile per agency (R-PRE-1, R-PRE-4); every change is also written
-- to public_profile_events.
CREATE TABLE public_profiles (
    agency_id       text PRIMARY KEY,
    bodies          text NOT NULL,
    duties          text NOT NULL,
    supervision     text NOT NULL,
    remedy          text NOT NULL,
    recording_steps text[] NOT NULL,
    updated_by      text NOT NULL,
    updated_at      timestamptz NOT NULL
);

-- Uploaded flow charts and service guides (R-PRE-4). A deleted document is only
-- withdrawn (deleted_at set); its row and bytes stay.
CREATE TABLE public_documents (
    id           text PRIMARY KEY,
    agency_id    text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('flow_chart', 'service_guide')),
    title        text NOT NULL,
    file_name    text NOT NULL,
    content_type text NOT NULL CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    sha256       text NOT NULL,
    size         bigint NOT NULL CHECK (size > 0),
    uploaded_by  text NOT NULL,
    uploaded_at  timestamptz NOT NULL,
    deleted_by   text,
    deleted_at   timestamptz
);
CREATE INDEX public_documents_agency ON public_documents (agency_id, uploaded_at);
CREATE TRIGGER public_documents_no_delete BEFORE DELETE ON public_documents
    FOR EACH ROW EXECUTE FUNCTION liuhen_append_only('R-REC-5: public documents are withdrawn, never deleted');
CREATE TRIGGER public_documents_only_withdraw BEFORE UPDATE ON public_documents
    FOR EACH ROW WHEN (OLD.deleted_at IS NOT NULL OR NEW.id IS DISTINCT FROM OLD.id
        OR NEW.sha256 IS DISTINCT FROM OLD.sha256 OR NEW.title IS DISTINCT FROM OLD.title
        OR NEW.uploaded_at IS DISTINCT FROM OLD.uploaded_at)
    EXECUTE FUNCTION liuhen_append_only('R-REC-5: a public document can only be withdrawn once');

-- Appeals against the agency's decisions in a year, entered by staff (R-POST-5).
CREATE TABLE appeal_stats (
    agency_id  text NOT NULL,
    year       integer NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('reconsideration', 'litigation')),
    total      integer NOT NULL CHECK (total >= 0),
    upheld     integer NOT NULL CHECK (upheld >= 0),
    corrected  integer NOT NULL CHECK (corrected >= 0),
    other      integer NOT NULL CHECK (other >= 0),
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL,
    CHECK (upheld + corrected + other <= total),
    PRIMARY KEY (agency_id, year, kind)
);

-- Publication of an agency's statistics of a year (R-POST-5): once, never changed.
CREATE TABLE stats_publications (
    agency_id    text NOT NULL,
    year         integer NOT NULL,
    published_by text NOT NULL,
    by_name      text NOT NULL,
    published_at timestamptz NOT NULL,
    PRIMARY KEY (agency_id, year)
);
CREATE TRIGGER stats_publications_append_only BEFORE UPDATE OR DELETE ON stats_publications
    FOR EACH ROW EXECUTE FUNCTION liuhen_append_only('R-POST-5: a publication is never changed or back-dated');

-- Who changed what on the profile, documents, recording list, appeals and
-- publications, and when. Append-only.
CREATE TABLE public_profile_events (
    seq       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agency_id text NOT NULL,
    kind      text NOT NULL,
    detail    text NOT NULL,
    by_user   text NOT NULL,
    by_name   text NOT NULL,
    at        timestamptz NOT NULL
);
CREATE INDEX public_profile_events_agency ON public_profile_events (agency_id, seq);
CREATE TRIGGER public_profile_events_append_only BEFORE UPDATE OR DELETE ON public_profile_events
    FOR EACH ROW EXECUTE FUNCTION liuhen_append_only('R-REC-5: the public profile history is append-only');
