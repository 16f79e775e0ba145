//! What the endpoints and the pages both use: the review queue's summaries, the
//! legal workflow and its calendar, draws, the record's history check, publishing
//! masks, directory imports, spreadsheet cells, start-up repairs, and the Chinese
//! names of stored values ([`labels`]).
//!
//! Layer rule (issue 17): `services` uses `storage` and the infrastructure modules;
//! it never imports `api` or `pages` (checked by `tests/layers.rs`).

pub mod access_log;
pub mod actors;
pub mod detail;
pub mod directories;
pub mod draws;
pub mod history;
pub mod labels;
pub mod legal;
pub mod mask;
pub mod optimistic;
pub mod public_docs;
pub mod publish;
pub mod repair;
pub mod spreadsheet;
pub mod summary;
