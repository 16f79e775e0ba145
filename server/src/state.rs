//! Shared state of the server process, handed to every handler.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use liuhen_domain::calendar::WorkCalendar;
use liuhen_domain::time::Clock;
use liuhen_server_blobs::EvidenceStore;

use crate::client_addr::TrustedProxies;
use crate::login_limit::{AddressRate, LoginLimits};
use crate::storage::Storage;

/// Server configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Data directory (database, blobs, uploads).
    pub data_dir: PathBuf,
    /// Whether cookies get `Secure` (served over TLS, possibly behind a proxy).
    pub secure_cookies: bool,
    /// Largest evidence upload accepted (bytes).
    pub max_upload_bytes: u64,
    /// How long an upload's write lease lasts unless renewed: a request on an
    /// instance that died blocks its upload at most this long
    /// ([`crate::api::tus::DEFAULT_LEASE`] unless `serve --upload-lease-secs`).
    pub upload_lease: chrono::Duration,
}

/// Sign-in limits and whose `X-Forwarded-For` is believed (issue 16); the
/// defaults are production values ([`crate::login_limit`]).
#[derive(Debug, Default)]
pub struct Security {
    /// Proxies whose `X-Forwarded-For` names the client (none by default).
    pub trusted_proxies: TrustedProxies,
    /// Lockout and rate limits of sign-in.
    pub login: LoginLimits,
    /// The per-address token buckets of sign-in attempts (from `login`).
    pub rate: AddressRate,
}

impl Security {
    /// The limits `login` with `trusted_proxies`.
    pub fn new(login: LoginLimits, trusted_proxies: TrustedProxies) -> Security {
        Security {
            trusted_proxies,
            rate: AddressRate::new(login.rate_per_minute, login.burst),
            login,
        }
    }
}

/// Everything a handler needs.
#[derive(Clone)]
pub struct AppState {
    /// Storage backend.
    pub storage: Arc<dyn Storage>,
    /// Verified evidence blobs, content-addressed, in object storage (and the
    /// pieces of unfinished uploads).
    pub blobs: EvidenceStore,
    /// Clock (fixed in tests).
    pub clock: Arc<dyn Clock>,
    /// Configuration.
    pub config: Arc<Config>,
    /// The working-day calendar: the years built into the program plus those an
    /// admin imported (R-POST-1, R-LEGAL-5). Replaced whole when a year is imported.
    pub calendar: Arc<RwLock<Arc<WorkCalendar>>>,
    /// Sign-in limits and trusted proxies.
    pub security: Arc<Security>,
}

impl AppState {
    /// This state with other sign-in limits and trusted proxies (`serve` flags).
    pub fn with_security(mut self, security: Security) -> AppState {
        self.security = Arc::new(security);
        self
    }

    /// This state with evidence in another store (`serve --blobs`).
    pub fn with_blobs(mut self, blobs: EvidenceStore) -> AppState {
        self.blobs = blobs;
        self
    }

    /// The working-day calendar as it is now.
    pub fn calendar(&self) -> Arc<WorkCalendar> {
        self.calendar
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replaces the working-day calendar (after an admin imported a year).
    pub fn set_calendar(&self, cal: WorkCalendar) {
        *self.calendar.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(cal);
    }
}
