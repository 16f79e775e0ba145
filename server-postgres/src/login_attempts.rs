//! PostgreSQL implementation of [`liuhen_server_store::login_attempts::LoginAttemptStorage`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use liuhen_server_store::login_attempts::{LoginAttemptStorage, LoginGate, LoginPolicy};

use super::{PgStorage, not_yet};
use liuhen_server_store::StorageResult;

#[async_trait]
impl LoginAttemptStorage for PgStorage {
    async fn begin_login_attempt(
        &self,
        _login: &str,
        _addr: &str,
        _now: DateTime<Utc>,
        _policy: LoginPolicy,
    ) -> StorageResult<LoginGate> {
        Err(not_yet())
    }

    async fn login_succeeded(&self, _login: &str, _addr: &str) -> StorageResult<()> {
        Err(not_yet())
    }
}
