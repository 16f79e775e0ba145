-- 0006: every change hash of each document (issue 19 item 1), written in the same
-- transaction as its chunks and heads by every document write: 32 bytes per change,
-- concatenated, in no particular order. With them a record the server has never seen
-- is sent from its stored chunks without loading it (the first sync message needs
-- every change hash for its bloom filter). NULL (rows written before this migration)
-- means "load the document to know them".
ALTER TABLE documents ADD COLUMN change_hashes BLOB;
