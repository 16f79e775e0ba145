-- 0002: double random draws (双随机, R-RAND-1..3): the spot-check item list, the
-- enforcement category catalogue, declared conflicts, draws and their tasks.
-- The target and officer directories are the roster tables of 0001
-- (roster_targets, roster_officers); drawn tasks live in roster_tasks so they reach
-- the devices of their officers through the roster. Append-only, like 0001.

-- The random spot-check item list (随机抽查事项清单, R-PRE-3), records as JSON.
CREATE TABLE check_items (
    agency_id   TEXT NOT NULL REFERENCES agencies(id) ON DELETE CASCADE,
    code        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (agency_id, code)
) STRICT;

-- Enforcement categories an agency uses besides the built-in catalogue.
CREATE TABLE enforcement_categories (
    agency_id   TEXT NOT NULL,
    name        TEXT NOT NULL,
    PRIMARY KEY (agency_id, name)
) STRICT;

-- Declared conflicts of interest (回避): the officer is never drawn for the target.
CREATE TABLE officer_conflicts (
    agency_id    TEXT NOT NULL,
    officer_id   TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    reason       TEXT NOT NULL,
    declared_at  TEXT NOT NULL,
    PRIMARY KEY (agency_id, officer_id, target_id)
) STRICT;
CREATE INDEX officer_conflicts_target ON officer_conflicts(agency_id, target_id);

-- Draws: committed (seed hidden, its SHA-256 published) then completed (seed
-- revealed, outcome stored). `inputs` is the canonical JSON the inputs hash covers.
CREATE TABLE draws (
    id               TEXT PRIMARY KEY,
    agency_id        TEXT NOT NULL,
    item_code        TEXT NOT NULL,
    item_name        TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('committed', 'completed')),
    draw_date        TEXT NOT NULL,
    due_date         TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    inputs_hash      TEXT NOT NULL,
    seed_commitment  TEXT NOT NULL,
    seed             TEXT NOT NULL,
    public_entropy   TEXT,
    inputs           TEXT NOT NULL,
    outcome          TEXT,
    completed_at     TEXT
) STRICT;
CREATE INDEX draws_agency_created ON draws(agency_id, created_at DESC, id);

-- Tasks a draw created (the tasks themselves are in roster_tasks).
CREATE TABLE draw_tasks (
    draw_id    TEXT NOT NULL REFERENCES draws(id),
    agency_id  TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    task_id    TEXT NOT NULL,
    target_id  TEXT NOT NULL,
    PRIMARY KEY (draw_id, seq),
    UNIQUE (agency_id, task_id)
) STRICT;

-- Cancellations and reassignments of tasks, with the reason (kept forever).
CREATE TABLE task_events (
    agency_id    TEXT NOT NULL,
    task_id      TEXT NOT NULL,
    at           TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('cancelled', 'reassigned')),
    reason       TEXT NOT NULL,
    before_ids   TEXT NOT NULL,
    after_ids    TEXT NOT NULL,
    by_user      TEXT NOT NULL
) STRICT;
CREATE INDEX task_events_task ON task_events(agency_id, task_id, at);
