-- 0006: the access log (R-REC-7): every view of a record or of an original piece of
-- evidence, and every export, is itself recorded and reviewable. Append-only: the
-- triggers refuse any UPDATE or DELETE, so no route (and no bug) can edit it.
CREATE TABLE access_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id      TEXT NOT NULL,
    inspection_id  TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    user_name      TEXT NOT NULL,
    user_role      TEXT NOT NULL,
    action         TEXT NOT NULL,   -- view_record | view_original | play_recording | export
    object         TEXT,            -- e.g. `photo:<sha256>`; NULL for the record itself
    at             TEXT NOT NULL,
    client_ip      TEXT
) STRICT;
CREATE INDEX access_log_inspection ON access_log(agency_id, inspection_id, id);

CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'R-REC-7: the access log is append-only');
END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'R-REC-7: the access log is append-only');
END;
