//! The server's integration tests, one binary (issue 17: one link of the server instead
//! of one per file). Each module is one former `tests/*.rs` file; `common` starts real
//! `liuhen-server` processes on loopback.

mod api_docs;
mod auth;
mod common;
mod demo_stats;
mod desk_decide;
mod desk_pages;
mod desk_queue;
mod device_identity;
mod draws_algorithm;
mod draws_api;
mod draws_import;
mod legal_api;
mod legal_deadlines;
mod legal_forms;
mod legal_pages;
mod legal_rules;
mod process;
mod protocol_vectors;
mod public_after;
mod public_before;
mod public_limits;
mod public_privacy;
mod tus_upload;
mod unit;
mod web_session;
