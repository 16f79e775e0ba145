-- 0005: the read model (issue 19 item 4). Each inspection as the record screen shows
-- it (the hydrated document with its conflicts, as JSON), written in the same
-- transaction as the document bytes it was made from, so that reading a record does
-- not hydrate its automerge document. A row is served only when its version is the
-- running code's, its heads are the document's and the document's chunks still hash
-- to `chunks_digest`; otherwise the record is hydrated and the row rebuilt.
CREATE TABLE doc_views (
    doc_id        TEXT PRIMARY KEY REFERENCES documents (id),
    model_version TEXT NOT NULL,   -- read model version of the code that wrote it
    heads         TEXT NOT NULL,   -- documents.heads it was made at (JSON list)
    chunks_digest BLOB NOT NULL,   -- SHA-256 over the doc_chunks rows it was made from
    view          TEXT NOT NULL    -- JSON of the hydrated inspection
) WITHOUT ROWID;
