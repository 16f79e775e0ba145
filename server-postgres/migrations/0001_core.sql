-- 0001: the core schema of the liuhen server on PostgreSQL (issue 18): rosters,
-- draws, accounts, devices, documents and their change cursor, evidence, device
-- logs, the review queue, the access log, review submissions and form drafts.
-- The legal workflow, publication and public profile tables are migration 0002.
-- Append-only: never edit a migration that has shipped; add the next number instead.
-- Instants are timestamptz (microseconds), dates are date, records kept whole as
-- JSON of the domain types are jsonb, lists of ids and heads are text[], bytes bytea.

-- Rosters (R-PRE-2): one row per agency, records as JSON in the order given.
CREATE TABLE agencies (
    id          text PRIMARY KEY,
    data        jsonb NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE roster_officers (
    agency_id   text NOT NULL REFERENCES agencies(id) ON DELETE CASCADE,
    id          text NOT NULL,
    position    bigint NOT NULL,
    data        jsonb NOT NULL,
    PRIMARY KEY (agency_id, id)
);

CREATE TABLE roster_targets (
    agency_id   text NOT NULL REFERENCES agencies(id) ON DELETE CASCADE,
    id          text NOT NULL,
    position    bigint NOT NULL,
    data        jsonb NOT NULL,
    PRIMARY KEY (agency_id, id)
);

CREATE TABLE roster_tasks (
    agency_id   text NOT NULL REFERENCES agencies(id) ON DELETE CASCADE,
    id          text NOT NULL,
    position    bigint NOT NULL,
    data        jsonb NOT NULL,
    PRIMARY KEY (agency_id, id)
);

-- Which officers a task is assigned to (a device receives only its officer's tasks).
CREATE TABLE roster_task_officers (
    agency_id   text NOT NULL,
    task_id     text NOT NULL,
    officer_id  text NOT NULL,
    PRIMARY KEY (agency_id, officer_id, task_id),
    FOREIGN KEY (agency_id, task_id) REFERENCES roster_tasks(agency_id, id) ON DELETE CASCADE
);

-- The random spot-check item list (R-PRE-3).
CREATE TABLE check_items (
    agency_id   text NOT NULL REFERENCES agencies(id) ON DELETE CASCADE,
    code        text NOT NULL,
    position    bigint NOT NULL,
    data        jsonb NOT NULL,
    PRIMARY KEY (agency_id, code)
);

-- Enforcement categories an agency uses besides the built-in catalogue.
CREATE TABLE enforcement_categories (
    agency_id   text NOT NULL,
    name        text NOT NULL,
    PRIMARY KEY (agency_id, name)
);

-- Declared conflicts of interest (回避): the officer is never drawn for the target.
CREATE TABLE officer_conflicts (
    agency_id    text NOT NULL,
    officer_id   text NOT NULL,
    target_id    text NOT NULL,
    reason       text NOT NULL,
    declared_at  timestamptz NOT NULL,
    PRIMARY KEY (agency_id, officer_id, target_id)
);
CREATE INDEX officer_conflicts_target ON officer_conflicts(agency_id, target_id);

-- Draws (R-RAND-1..3): committed (seed hidden, its SHA-256 published), then
-- completed (seed revealed, outcome stored). `inputs` is kept as the exact JSON
-- text the inputs hash covers.
CREATE TABLE draws (
    id               text PRIMARY KEY,
    agency_id        text NOT NULL,
    item_code        text NOT NULL,
    item_name        text NOT NULL,
    status           text NOT NULL CHECK (status IN ('committed', 'completed')),
    draw_date        date NOT NULL,
    due_date         date NOT NULL,
    created_at       timestamptz NOT NULL,
    created_by       text NOT NULL,
    inputs_hash      text NOT NULL,
    seed_commitment  text NOT NULL,
    seed             text NOT NULL,
    public_entropy   text,
    inputs           text NOT NULL,
    outcome          text,
    completed_at     timestamptz
);
CREATE INDEX draws_agency_created ON draws(agency_id, created_at DESC, id);

-- Tasks a draw created (the tasks themselves are in roster_tasks).
CREATE TABLE draw_tasks (
    draw_id    text NOT NULL REFERENCES draws(id),
    agency_id  text NOT NULL,
    seq        bigint NOT NULL,
    task_id    text NOT NULL,
    target_id  text NOT NULL,
    PRIMARY KEY (draw_id, seq),
    UNIQUE (agency_id, task_id)
);

-- Cancellations and reassignments of tasks, with the reason (kept forever).
CREATE TABLE task_events (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agency_id    text NOT NULL,
    task_id      text NOT NULL,
    at           timestamptz NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('cancelled', 'reassigned')),
    reason       text NOT NULL,
    before_ids   text[] NOT NULL,
    after_ids    text[] NOT NULL,
    by_user      text NOT NULL
);
CREATE INDEX task_events_task ON task_events(agency_id, task_id, at);

-- Accounts. Logins compare without case (the unique index is on lower(login)).
CREATE TABLE users (
    id             text PRIMARY KEY,
    agency_id      text NOT NULL,
    login          text NOT NULL,
    name           text NOT NULL,
    role           text NOT NULL CHECK (role IN ('officer', 'supervisor', 'legal_reviewer', 'admin')),
    officer_id     text,
    password_hash  text NOT NULL,
    disabled       boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_login ON users(lower(login));
CREATE INDEX users_agency ON users(agency_id, login);

-- Enrolled devices; only the SHA-256 of the device token is kept. An actor id
-- belongs to one device ever, revoked or not (issue 16 item 5).
CREATE TABLE devices (
    id           text PRIMARY KEY,
    user_id      text NOT NULL REFERENCES users(id),
    public_key   text NOT NULL,
    actor_id     text NOT NULL UNIQUE,
    token_hash   text NOT NULL UNIQUE,
    name         text NOT NULL DEFAULT '',
    enrolled_at  timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX devices_user ON devices(user_id);

-- A device row keeps its actor id and its person forever (issue 16 item 5); the
-- enrolment checks this first and answers with a stable code, this is the backstop.
CREATE FUNCTION devices_identity_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.actor_id IS DISTINCT FROM OLD.actor_id OR NEW.user_id IS DISTINCT FROM OLD.user_id THEN
        RAISE EXCEPTION 'liuhen: device_identity_fixed';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER devices_identity_fixed BEFORE UPDATE OF actor_id, user_id ON devices
    FOR EACH ROW EXECUTE FUNCTION devices_identity_fixed();

-- One-time enrollment codes (hash only).
CREATE TABLE enrollment_codes (
    code_hash   text PRIMARY KEY,
    user_id     text NOT NULL REFERENCES users(id),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

-- API and page sessions (hash only): in the database, so every instance sees them.
CREATE TABLE sessions (
    token_hash  text PRIMARY KEY,
    user_id     text NOT NULL REFERENCES users(id),
    expires_at  timestamptz NOT NULL
);

-- Failed (or reserved) password checks for the lockout, per lower-case login and
-- client address.
CREATE TABLE login_failures (
    seq    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login  text NOT NULL,
    addr   text NOT NULL,
    at     timestamptz NOT NULL
);
CREATE INDEX login_failures_login_at ON login_failures(login, at);
CREATE INDEX login_failures_login_addr_at ON login_failures(login, addr, at);

-- Inspection documents (full automerge saves) and who may see them. `change_seq`
-- is the change cursor (issue 19): every write takes the next value of
-- `change_counter` in its own transaction (see that table).
CREATE TABLE docs (
    id           text PRIMARY KEY,
    agency_id    text NOT NULL,
    task_id      text,
    target_name  text NOT NULL,
    status       text NOT NULL,
    heads        text[] NOT NULL,
    bytes        bytea NOT NULL,
    updated_at   timestamptz NOT NULL,
    change_seq   bigint NOT NULL
);
CREATE INDEX docs_agency_updated ON docs(agency_id, updated_at DESC, id);
CREATE INDEX docs_by_change ON docs(change_seq);
CREATE INDEX docs_task ON docs(task_id);

-- The last change cursor handed out. A write bumps it with UPDATE ... RETURNING as
-- its last statement: the row lock is held until the writer commits, so values are
-- committed in order, and a reader that sees value N sees every record written
-- with a value up to N (no device skips a record committed late).
CREATE TABLE change_counter (
    id   integer PRIMARY KEY CHECK (id = 1),
    seq  bigint NOT NULL
);
INSERT INTO change_counter (id, seq) VALUES (1, 0);

CREATE TABLE doc_officers (
    doc_id      text NOT NULL REFERENCES docs(id) ON DELETE CASCADE,
    officer_id  text NOT NULL,
    position    bigint NOT NULL,
    PRIMARY KEY (doc_id, officer_id)
);
CREATE INDEX doc_officers_officer ON doc_officers(officer_id, doc_id);

-- Persisted automerge sync states, per device and document.
CREATE TABLE peer_states (
    device_id   text NOT NULL,
    doc_id      text NOT NULL,
    state       bytea NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (device_id, doc_id)
);
CREATE INDEX peer_states_doc ON peer_states(doc_id);

-- Evidence: which documents reference which blob (`seq`: the order they were
-- first referenced in), and which agency received the verified bytes (issue 16
-- item 6: receipt is a grant per agency).
CREATE TABLE blob_refs (
    seq            bigint GENERATED ALWAYS AS IDENTITY,
    sha256         text NOT NULL,
    inspection_id  text NOT NULL,
    captured_at    timestamptz NOT NULL,
    size           bigint NOT NULL,
    PRIMARY KEY (sha256, inspection_id)
);
CREATE INDEX blob_refs_inspection ON blob_refs(inspection_id, sha256);

CREATE TABLE blob_grants (
    agency_id    text NOT NULL,
    sha256       text NOT NULL,
    size         bigint NOT NULL,
    received_at  timestamptz NOT NULL,
    PRIMARY KEY (agency_id, sha256)
);

-- A form typed in the browser whose session had ended when it was sent (R-REC-5).
CREATE TABLE form_drafts (
    user_id    text NOT NULL REFERENCES users(id),
    path       text NOT NULL,
    fields     jsonb NOT NULL,   -- array of [name, value] pairs, as typed
    saved_at   timestamptz NOT NULL,
    PRIMARY KEY (user_id, path)
);

-- The signed device logs (R-REC-5), kept as they arrived, even when they do not
-- verify. `public_key` is the key the device had registered when the entry arrived.
CREATE TABLE device_log_entries (
    device_id     text NOT NULL,
    seq           bigint NOT NULL,
    prev_hash     text NOT NULL,
    at            timestamptz NOT NULL,
    officer_id    text NOT NULL,
    inspection_id text,
    action        text NOT NULL,
    detail        text NOT NULL,           -- JSON text, as signed
    evidence      text[] NOT NULL,
    doc_heads     text[] NOT NULL,
    hash          text NOT NULL,
    signature     text NOT NULL,
    public_key    text NOT NULL,
    received_at   timestamptz NOT NULL,
    PRIMARY KEY (device_id, seq)
);
CREATE INDEX device_log_entries_inspection ON device_log_entries (inspection_id, device_id);

-- An entry whose number was already stored with another hash: kept aside.
CREATE TABLE device_log_divergent (
    device_id     text NOT NULL,
    seq           bigint NOT NULL,
    hash          text NOT NULL,
    entry         text NOT NULL,           -- JSON of the whole entry as it arrived
    public_key    text NOT NULL,
    received_at   timestamptz NOT NULL,
    PRIMARY KEY (device_id, seq, hash)
);

-- Highest sequence number held without gaps from 1, per device (the sync ack).
CREATE TABLE device_log_acks (
    device_id      text PRIMARY KEY,
    contiguous_seq bigint NOT NULL
);

-- The supervisors' review queue: one summary per inspection document, written in
-- the transaction of every sync (so it always matches the committed document).
-- `recency` is minus updated_at in microseconds ("newest first" ascending).
CREATE TABLE queue_summaries (
    doc_id              text PRIMARY KEY,
    agency_id           text NOT NULL,
    state               text NOT NULL,
    rank                integer NOT NULL,
    rank_late           integer NOT NULL,
    rank_due_at         timestamptz,
    opened_at           timestamptz NOT NULL,
    target_id           text NOT NULL,
    target_name         text NOT NULL,
    target_credit_code  text,
    officer_ids         text[] NOT NULL,
    officer_names       text[] NOT NULL,
    violations          text[] NOT NULL,
    has_violations      boolean NOT NULL,
    evidence_total      integer NOT NULL,
    evidence_missing    integer NOT NULL,
    oldest_missing_at   timestamptz,
    arrived_late        boolean NOT NULL,
    updated_at          timestamptz NOT NULL,
    recency             bigint NOT NULL,
    doc_heads           text[] NOT NULL
);
CREATE INDEX queue_order ON queue_summaries(agency_id, rank, recency, doc_id);
CREATE INDEX queue_state_order ON queue_summaries(agency_id, state, rank, recency, doc_id);
CREATE INDEX queue_rank_due ON queue_summaries(agency_id, rank_due_at)
    WHERE rank_due_at IS NOT NULL;

CREATE TABLE queue_officers (
    officer_id  text NOT NULL,
    doc_id      text NOT NULL REFERENCES queue_summaries(doc_id) ON DELETE CASCADE,
    PRIMARY KEY (officer_id, doc_id)
);
CREATE INDEX queue_officers_doc ON queue_officers(doc_id);

CREATE TABLE queue_counts (
    agency_id  text NOT NULL,
    state      text NOT NULL,
    n          bigint NOT NULL,
    PRIMARY KEY (agency_id, state)
);

-- The access log (R-REC-7): append-only, guarded by triggers.
CREATE TABLE access_log (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agency_id      text NOT NULL,
    inspection_id  text NOT NULL,
    user_id        text NOT NULL,
    user_name      text NOT NULL,
    user_role      text NOT NULL,
    action         text NOT NULL,
    object         text,
    at             timestamptz NOT NULL,
    client_ip      text
);
CREATE INDEX access_log_inspection ON access_log(agency_id, inspection_id, id);

-- Refuses UPDATE and DELETE on append-only tables; the message is the argument.
CREATE FUNCTION liuhen_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0];
END $$;
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION liuhen_append_only('R-REC-7: the access log is append-only');

-- Review submissions from the desk: the same form sent again is done once.
CREATE TABLE review_submissions (
    form_id       text PRIMARY KEY,
    inspection_id text NOT NULL,
    user_id       text NOT NULL REFERENCES users(id),
    decision      text NOT NULL CHECK (decision IN ('approved', 'returned')),
    comments      bigint NOT NULL,
    heads_after   text[] NOT NULL,
    at            timestamptz NOT NULL
);
CREATE INDEX review_submissions_by_inspection ON review_submissions (inspection_id, at);
