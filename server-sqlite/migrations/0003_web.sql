-- 0003: web pages (issue 8). Append-only.

-- A form typed in the browser whose session had ended when it was sent (R-REC-5:
-- nothing typed is lost). Kept for the user who signs in next in that browser and
-- shown on the page it belongs to, to be checked and sent again.
CREATE TABLE form_drafts (
    user_id    TEXT NOT NULL REFERENCES users(id),
    path       TEXT NOT NULL,
    fields     TEXT NOT NULL,   -- JSON array of [name, value] pairs, as typed
    saved_at   TEXT NOT NULL,
    PRIMARY KEY (user_id, path)
) STRICT;
