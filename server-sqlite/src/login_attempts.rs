//! SQLite implementation of [`liuhen_server_store::login_attempts::LoginAttemptStorage`]
//! over `login_failures` (migration 0001, `addr` added by 0012). The writer is one
//! connection and every write an IMMEDIATE transaction, so the check and the
//! insert of [`LoginAttemptStorage::begin_login_attempt`] cannot interleave with
//! another attempt's.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{SqliteStorage, backend, parse_ts, ts};
use liuhen_server_store::login_attempts::{LoginAttemptStorage, LoginGate, LoginPolicy};
use liuhen_server_store::{StorageError, StorageResult};

fn stored_ts(s: &str) -> StorageResult<chrono::DateTime<chrono::Utc>> {
    parse_ts(s).map_err(|e| StorageError::Backend(format!("bad timestamp {s}: {e}")))
}

#[async_trait]
impl LoginAttemptStorage for SqliteStorage {
    async fn begin_login_attempt(
        &self,
        login: &str,
        addr: &str,
        now: chrono::DateTime<chrono::Utc>,
        policy: LoginPolicy,
    ) -> StorageResult<LoginGate> {
        let (login, addr) = (login.to_string(), addr.to_string());
        self.write(move |tx| {
            let since = ts(now - policy.window);
            // The failure that has to leave the window before this address may try
            // again: the `per_address`-th most recent one, if there are that many.
            let nth = i64::from(policy.per_address.max(1)) - 1;
            let blocking: Option<String> = tx
                .query_row(
                    "SELECT at FROM login_failures WHERE login = ?1 AND addr = ?2 AND at > ?3
                     ORDER BY at DESC LIMIT 1 OFFSET ?4",
                    params![login, addr, since, nth],
                    |r| r.get(0),
                )
                .optional()
                .map_err(backend)?;
            if let Some(at) = blocking {
                return Ok(LoginGate::AddressLocked {
                    until: stored_ts(&at)? + policy.window,
                });
            }
            if policy.per_account > 0 {
                let (count, last): (i64, Option<String>) = tx
                    .query_row(
                        "SELECT COUNT(*), MAX(at) FROM login_failures
                         WHERE login = ?1 AND at > ?2",
                        params![login, since],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .map_err(backend)?;
                if count >= i64::from(policy.per_account)
                    && let Some(last) = last
                {
                    let until = stored_ts(&last)? + policy.account_interval;
                    if until > now {
                        return Ok(LoginGate::AccountSlowed { until });
                    }
                }
            }
            tx.execute(
                "INSERT INTO login_failures (login, addr, at) VALUES (?1, ?2, ?3)",
                params![login, addr, ts(now)],
            )
            .map_err(backend)?;
            Ok(LoginGate::Allowed)
        })
        .await
    }

    async fn login_succeeded(&self, login: &str, addr: &str) -> StorageResult<()> {
        let (login, addr) = (login.to_string(), addr.to_string());
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM login_failures WHERE login = ?1 AND addr = ?2",
                params![login, addr],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{DateTime, Duration, TimeZone, Utc};

    use super::*;
    use crate::DB_FILE_NAME;

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap() + Duration::minutes(min)
    }

    const POLICY: LoginPolicy = LoginPolicy {
        window: Duration::minutes(15),
        per_address: 3,
        per_account: 5,
        account_interval: Duration::seconds(30),
    };

    async fn open() -> (tempfile::TempDir, SqliteStorage) {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStorage::open_async(dir.path().join(DB_FILE_NAME))
            .await
            .unwrap();
        (dir, s)
    }

    #[tokio::test]
    async fn an_address_is_locked_out_of_a_login_until_its_oldest_failure_leaves_the_window() {
        let (_d, s) = open().await;
        for m in 0..3 {
            let gate = s.begin_login_attempt("a", "1.1.1.1", t(m), POLICY).await;
            assert_eq!(gate.unwrap(), LoginGate::Allowed);
        }
        assert_eq!(
            s.begin_login_attempt("a", "1.1.1.1", t(3), POLICY)
                .await
                .unwrap(),
            LoginGate::AddressLocked { until: t(15) }
        );
        // Another address, and another login from the same address, may try.
        for (login, addr) in [("a", "2.2.2.2"), ("b", "1.1.1.1")] {
            let gate = s.begin_login_attempt(login, addr, t(3), POLICY).await;
            assert_eq!(gate.unwrap(), LoginGate::Allowed, "{login} {addr}");
        }
        // The refused attempt was not counted: at 15 minutes the first failure left.
        assert_eq!(
            s.begin_login_attempt("a", "1.1.1.1", t(15), POLICY)
                .await
                .unwrap(),
            LoginGate::Allowed
        );
        // A success forgets this address's failures only.
        s.login_succeeded("a", "1.1.1.1").await.unwrap();
        for m in 16..19 {
            let gate = s.begin_login_attempt("a", "1.1.1.1", t(m), POLICY).await;
            assert_eq!(gate.unwrap(), LoginGate::Allowed);
        }
    }

    #[tokio::test]
    async fn many_addresses_failing_one_login_slow_it_down_without_locking_it() {
        let (_d, s) = open().await;
        for i in 0..5 {
            let gate = s
                .begin_login_attempt("a", &format!("10.0.0.{i}"), t(0), POLICY)
                .await;
            assert_eq!(gate.unwrap(), LoginGate::Allowed);
        }
        let slowed = LoginGate::AccountSlowed {
            until: t(0) + Duration::seconds(30),
        };
        let at = t(0) + Duration::seconds(10);
        assert_eq!(
            s.begin_login_attempt("a", "10.0.0.9", at, POLICY)
                .await
                .unwrap(),
            slowed
        );
        // After the interval one attempt goes through, then the next waits again.
        let at = t(0) + Duration::seconds(30);
        assert_eq!(
            s.begin_login_attempt("a", "10.0.0.9", at, POLICY)
                .await
                .unwrap(),
            LoginGate::Allowed
        );
        assert_eq!(
            s.begin_login_attempt("a", "10.0.0.8", at, POLICY)
                .await
                .unwrap(),
            LoginGate::AccountSlowed {
                until: at + Duration::seconds(30)
            }
        );
        // Other logins are not slowed.
        let gate = s.begin_login_attempt("b", "10.0.0.8", at, POLICY).await;
        assert_eq!(gate.unwrap(), LoginGate::Allowed);
    }

    #[tokio::test]
    async fn parallel_attempts_are_counted_one_by_one() {
        let (_d, s) = open().await;
        let s = Arc::new(s);
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(
                    async move { s.begin_login_attempt("a", "1.1.1.1", t(0), POLICY).await },
                )
            })
            .collect();
        let mut allowed = 0;
        for task in tasks {
            if task.await.unwrap().unwrap() == LoginGate::Allowed {
                allowed += 1;
            }
        }
        assert_eq!(allowed, POLICY.per_address);
    }
}
