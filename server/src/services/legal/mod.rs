//! Legal review of major decisions (重大执法决定法制审核, R-LEGAL-1..7): the workflow
//! rules ([`workflow`]) and the holiday calendar's gaps ([`calendar`]); the JSON API
//! is [`crate::api::legal`], the pages [`crate::pages::legal`].

pub mod calendar;
pub mod workflow;
