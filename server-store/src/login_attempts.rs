//! Storage of sign-in attempts for the lockout: every password check is reserved
//! (counted as a failure) in the same transaction that decides whether it may run,
//! so parallel attempts cannot all slip past the check; a right password then
//! forgets the failures of its login from its address.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::StorageResult;

/// The limits [`LoginAttemptStorage::begin_login_attempt`] enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginPolicy {
    /// Window over which failures are counted.
    pub window: Duration,
    /// Failures of one login from one client address within `window` before that
    /// address is locked out of that login (at least 1).
    pub per_address: u32,
    /// Failures of one login from all addresses within `window` before attempts on
    /// it are slowed to one per `account_interval` (0: never).
    pub per_account: u32,
    /// While slowed, the least time between two attempts on the login.
    pub account_interval: Duration,
}

/// What [`LoginAttemptStorage::begin_login_attempt`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginGate {
    /// The attempt was counted as a failure; check the password, and call
    /// [`LoginAttemptStorage::login_succeeded`] if it is right.
    Allowed,
    /// This address has failed this login too often: no attempt until `until`.
    AddressLocked {
        /// When the oldest counted failure leaves the window.
        until: DateTime<Utc>,
    },
    /// The login failed too often from many addresses: attempts are spaced out.
    AccountSlowed {
        /// When the next attempt is allowed.
        until: DateTime<Utc>,
    },
}

/// Storage of sign-in attempts (implemented by every backend).
#[async_trait]
pub trait LoginAttemptStorage {
    /// In one write transaction: refuses the attempt if `policy` says so, else
    /// records it as a failure of `login` (lower-case) from `addr` at `now`.
    async fn begin_login_attempt(
        &self,
        login: &str,
        addr: &str,
        now: DateTime<Utc>,
        policy: LoginPolicy,
    ) -> StorageResult<LoginGate>;
    /// Forgets the failures of `login` from `addr` (the right password was given);
    /// failures from other addresses stay.
    async fn login_succeeded(&self, login: &str, addr: &str) -> StorageResult<()>;
}
