//! PostgreSQL implementation of
//! [`liuhen_server_store::login_attempts::LoginAttemptStorage`] over
//! `login_failures`. Attempts on one login are serialized by a transaction-level
//! advisory lock keyed by the login, so the check and the reservation of
//! [`LoginAttemptStorage::begin_login_attempt`] cannot interleave with another
//! attempt's, on any instance.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{LOCK_CLASS_LOGIN, PgStorage, col, pg};
use liuhen_server_store::StorageResult;
use liuhen_server_store::login_attempts::{LoginAttemptStorage, LoginGate, LoginPolicy};

#[async_trait]
impl LoginAttemptStorage for PgStorage {
    async fn begin_login_attempt(
        &self,
        login: &str,
        addr: &str,
        now: DateTime<Utc>,
        policy: LoginPolicy,
    ) -> StorageResult<LoginGate> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&LOCK_CLASS_LOGIN, &login],
        )
        .await
        .map_err(pg)?;
        let since = now - policy.window;
        // The failure that has to leave the window before this address may try
        // again: the `per_address`-th most recent one, if there are that many.
        let nth = i64::from(policy.per_address.max(1)) - 1;
        let blocking = tx
            .query_opt(
                "SELECT at FROM login_failures WHERE login = $1 AND addr = $2 AND at > $3
                 ORDER BY at DESC LIMIT 1 OFFSET $4",
                &[&login, &addr, &since, &nth],
            )
            .await
            .map_err(pg)?;
        if let Some(r) = blocking {
            let at: DateTime<Utc> = col(&r, 0)?;
            return Ok(LoginGate::AddressLocked {
                until: at + policy.window,
            });
        }
        if policy.per_account > 0 {
            let r = tx
                .query_one(
                    "SELECT COUNT(*), MAX(at) FROM login_failures WHERE login = $1 AND at > $2",
                    &[&login, &since],
                )
                .await
                .map_err(pg)?;
            let count: i64 = col(&r, 0)?;
            let last: Option<DateTime<Utc>> = col(&r, 1)?;
            if count >= i64::from(policy.per_account)
                && let Some(last) = last
            {
                let until = last + policy.account_interval;
                if until > now {
                    return Ok(LoginGate::AccountSlowed { until });
                }
            }
        }
        tx.execute(
            "INSERT INTO login_failures (login, addr, at) VALUES ($1, $2, $3)",
            &[&login, &addr, &now],
        )
        .await
        .map_err(pg)?;
        tx.commit().await.map_err(pg)?;
        Ok(LoginGate::Allowed)
    }

    async fn login_succeeded(&self, login: &str, addr: &str) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "DELETE FROM login_failures WHERE login = $1 AND addr = $2",
                &[&login, &addr],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }
}
