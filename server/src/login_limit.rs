//! Limits on sign-in (issue 16): what a serious product does so that guessing is
//! slow and nobody can lock another person out.
//!
//! Three layers, all configurable on `serve` (see [`LoginLimits`]):
//! 1. **Per client address, every sign-in attempt** (web form, API login, device
//!    enrolment): a token bucket per address ([`AddressRate`], `governor`), checked
//!    before any password work. It bounds guessing and argon2 CPU use from one
//!    address across all accounts. Answer: 429 `too_many_requests`.
//! 2. **Per account and address, failures**: after `max_failures` wrong passwords
//!    for one login from one address within the window, that address may not try
//!    that login until the oldest failure leaves the window. Another address (the
//!    real owner at their desk) is not affected. Counted atomically in storage
//!    ([`crate::storage::login_attempts`]). Answer: 429 `too_many_attempts`.
//! 3. **Per account, failures from everywhere**: past `account_max_failures`
//!    within the window (a distributed attack), attempts on that login are spaced
//!    `account_slow_secs` apart. It slows guessing; it never locks the account.
//!    Answer: 429 `account_throttled`.
//!
//! Several server instances (issue 18): layers 2 and 3 are counted in the
//! database, so they hold across instances exactly as on one. Layer 1 is kept in
//! each process's memory on purpose: it guards that process's CPU (argon2) from one
//! address, and that CPU is per instance; behind a load balancer that spreads one
//! address over N instances the address may make up to N times the rate in all.
//! That does not weaken what stops guessing (layers 2 and 3, shared), and a
//! shared bucket would cost a database write before every sign-in, the very work
//! layer 1 exists to avoid under a flood. Deployments that want one limit per
//! address for the whole site set it at the balancer (e.g. nginx `limit_req`).
//!
//! The client address is [`ClientAddr`] (TCP peer, or `X-Forwarded-For` from a
//! `--trusted-proxy`); IPv6 clients count per /64.
//!
//! Defaults, for production: 5 failures per login and address in 15 minutes (the
//! usual lockout, which now cannot shut the owner out from elsewhere); 50 failures
//! of a login from everywhere, then one attempt per 30 s (a botnet gets at most
//! about 2 900 guesses a day at one account, its owner still gets in); 30 attempts
//! a minute per address after a burst of 60 (an office, or a room of officers
//! enrolling phones, behind one NAT address is not refused; one script is bounded).
//! Tests that sign in often stay far below these.

use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration as StdDuration;

use chrono::Duration;
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::client_addr::ClientAddr;
use crate::error::AppError;
use crate::storage::login_attempts::LoginPolicy;

/// Default: wrong passwords for one login from one address before it is locked.
pub const DEFAULT_MAX_FAILURES: u32 = 5;
/// Default: minutes over which failures are counted (and a lock lasts at most).
pub const DEFAULT_WINDOW_MINUTES: u32 = 15;
/// Default: wrong passwords for one login from all addresses before it is slowed.
pub const DEFAULT_ACCOUNT_MAX_FAILURES: u32 = 50;
/// Default: seconds between attempts on a slowed login.
pub const DEFAULT_ACCOUNT_SLOW_SECS: u32 = 30;
/// Default: sign-in attempts per minute from one address (sustained).
pub const DEFAULT_RATE_PER_MINUTE: u32 = 30;
/// Default: sign-in attempts one address may make at once before the rate applies.
pub const DEFAULT_BURST: u32 = 60;

/// The sign-in limits of a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// Failure counting (layers 2 and 3).
    pub policy: LoginPolicy,
    /// Attempts per minute per address (layer 1); 0 turns layer 1 off.
    pub rate_per_minute: u32,
    /// Attempts at once per address before the rate applies (at least 1).
    pub burst: u32,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            policy: LoginPolicy {
                window: Duration::minutes(i64::from(DEFAULT_WINDOW_MINUTES)),
                per_address: DEFAULT_MAX_FAILURES,
                per_account: DEFAULT_ACCOUNT_MAX_FAILURES,
                account_interval: Duration::seconds(i64::from(DEFAULT_ACCOUNT_SLOW_SECS)),
            },
            rate_per_minute: DEFAULT_RATE_PER_MINUTE,
            burst: DEFAULT_BURST,
        }
    }
}

/// Layer 1: a token bucket per client address (GCRA, `governor`), in memory.
pub struct AddressRate {
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

impl fmt::Debug for AddressRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddressRate")
            .field("enabled", &self.limiter.is_some())
            .finish()
    }
}

impl AddressRate {
    /// `per_minute` attempts a minute after a burst of `burst`; 0 per minute: off.
    pub fn new(per_minute: u32, burst: u32) -> AddressRate {
        let limiter = NonZeroU32::new(per_minute).and_then(|n| {
            let period = StdDuration::from_secs(60) / n.get();
            let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
            Quota::with_period(period).map(|q| RateLimiter::keyed(q.allow_burst(burst)))
        });
        AddressRate { limiter }
    }

    /// Takes one attempt from `client`'s bucket, or 429 `too_many_requests` saying
    /// when the next one is allowed.
    pub fn check(&self, client: &ClientAddr) -> Result<(), AppError> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        limiter.check_key(&client.limit_key()).map_err(|not_until| {
            let wait = not_until.wait_time_from(limiter.clock().now());
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            tracing::warn!(client = %client.limit_text(), "sign-in attempts from one address limited");
            AppError::TooManyRequests {
                retry_after_secs: secs.max(1),
            }
        })
    }

    /// Forgets addresses whose buckets are full again (memory stays bounded).
    pub fn forget_idle(&self) {
        if let Some(l) = &self.limiter {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

impl Default for AddressRate {
    fn default() -> Self {
        AddressRate::new(DEFAULT_RATE_PER_MINUTE, DEFAULT_BURST)
    }
}
