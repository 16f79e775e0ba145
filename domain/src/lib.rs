//! liuhen domain: the pure part of the system, shared by the device core
//! (`liuhen-core`), the mobile bindings and the server. No storage engine, no image
//! decoding, no network: types, documents, rules and wire formats only.
//!
//! Layers, each in its own module: [`model`] (plain domain types and validation) →
//! [`inspection`] (plain types of an inspection record) → [`doc`] (the inspection
//! document on automerge) → [`rules`] (pure rule checks with rule IDs) and
//! [`write_rules`] (who may write what, judged change by change; [`actors`] the
//! automerge actors of server users). [`legal`] and
//! [`draft_doc`] hold legal review and the decision draft document; [`calendar`] the
//! Chinese working-day calendar for legal deadlines; [`time`] the clock and China
//! Standard Time; [`statement`] the spoken notices; [`audit`] the signed hash-chained
//! device log; [`blobs`] content-addressed evidence files; [`protocol`] and
//! [`upload`] the wire types of sync and of the tus evidence upload.

pub mod actors;
pub mod audit;
pub mod blobs;
pub mod calendar;
pub mod doc;
pub mod draft_doc;
pub mod draw;
pub mod inspection;
pub mod legal;
pub mod model;
pub mod protocol;
pub mod rules;
pub mod statement;
pub mod time;
pub mod upload;
pub mod write_rules;
