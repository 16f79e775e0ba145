//! liuhen core: records a whole on-site inspection offline, durably, as automerge
//! documents, following the three systems (三项制度) of administrative enforcement.
//!
//! The pure layers live in `liuhen-domain` and are re-exported here under their
//! usual paths: [`model`] (plain domain types and validation) → [`inspection`] →
//! [`doc`] (the inspection document on automerge) → [`rules`] (pure rule checks with
//! rule IDs), with [`audit`] (signed hash-chained log), [`blobs`] (evidence files),
//! [`calendar`], [`legal`], [`draft_doc`], [`time`], [`statement`] and
//! [`write_rules`]. This crate adds the device side: [`store`] (SQLite),
//! [`evidence`] (photo ingest), [`drafting`], [`export`] (the case file), [`sync`]
//! and [`upload`] (the clients, feature `http`) → [`api::Core`], the facade the apps
//! and the field CLI use.

pub use liuhen_domain::{
    audit, blobs, calendar, doc, draft_doc, inspection, legal, model, rules, statement, time,
    write_rules,
};

pub mod api;
pub mod drafting;
pub mod evidence;
pub mod export;
pub mod store;
pub mod sync;
pub mod upload;

pub use api::{Core, CoreError};
