//! liuhen core: records a whole on-site inspection offline, durably, as automerge
//! documents, following the three systems (三项制度) of administrative enforcement.
//!
//! Layers, each in its own module: [`model`] (plain domain types and validation) →
//! [`inspection`] (plain types of an inspection record) → [`doc`] (the inspection
//! document on automerge) → [`rules`] (pure rule checks with rule IDs) → [`store`]
//! (SQLite) and [`blobs`] (evidence files) and [`audit`] (signed hash-chained log) →
//! [`api::Core`], the facade the apps and the field CLI use. [`calendar`] holds the
//! Chinese working-day calendar for legal deadlines.

pub mod api;
pub mod audit;
pub mod blobs;
pub mod calendar;
pub mod doc;
pub mod draft_doc;
pub mod drafting;
pub mod evidence;
pub mod export;
pub mod inspection;
pub mod legal;
pub mod model;
pub mod rules;
pub mod statement;
pub mod store;
pub mod sync;
pub mod time;
pub mod upload;
pub mod write_rules;

pub use api::{Core, CoreError};
