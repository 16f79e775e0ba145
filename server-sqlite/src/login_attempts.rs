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
