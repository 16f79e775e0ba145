//! The JSON/HTTP endpoints for devices and machines: sync, evidence upload (tus),
//! enrollment, device logs, the inspections API, draws and directories, the legal
//! workflow's API and device drafts, and the admin API
//! (accounts, enrollment codes, devices, roster) with the CLI's account functions.
//! The open data API (R-POST-6) lives with the portal in
//! [`crate::pages::public::open_data`] (same search, same public error page).
//!
//! Layer rule (issue 17): `api` uses `services`, `storage` and the infrastructure
//! modules (state, error, auth); it never imports `pages` (checked by
//! `tests/layers.rs`).

pub mod admin;
pub mod device_identity;
pub mod device_log;
pub mod draws;
pub mod enroll;
pub mod inspections;
pub mod legal;
pub mod legal_device;
pub mod sync;
pub mod sync_guard;
pub mod tus;

use crate::state::AppState;

/// Every JSON route except tus (which sets its own body limit).
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .merge(enroll::router())
        .merge(admin::router())
        .merge(sync::router())
        .merge(inspections::router())
        .merge(draws::router())
        .merge(legal::router())
}
