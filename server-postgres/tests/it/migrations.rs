//! Migrations of the PostgreSQL schema: several instances starting at once migrate
//! once; a newer schema is refused; append-only tables refuse raw edits.

use liuhen_server_postgres::{PgStorage, SCHEMA_VERSION};
use liuhen_server_store::{Storage, StorageError};
use tokio_postgres::NoTls;

use super::fresh_db;

async fn raw(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(conn);
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_together_migrate_once() {
    let db = fresh_db().await;
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url.clone();
            tokio::spawn(async move { PgStorage::connect(&url).await })
        })
        .collect();
    for s in starts {
        let s = s.await.unwrap().unwrap();
        assert_eq!(s.schema_version().await.unwrap(), SCHEMA_VERSION);
    }
    let rows = raw(&db.url)
        .await
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap();
    let versions: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, (1..=SCHEMA_VERSION as i32).collect::<Vec<_>>());
    // Reopening is a no-op.
    let again = PgStorage::connect(&db.url).await.unwrap();
    assert_eq!(again.schema_version().await.unwrap(), SCHEMA_VERSION);
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let db = fresh_db().await;
    PgStorage::connect(&db.url).await.unwrap();
    raw(&db.url)
        .await
        .execute(
            "INSERT INTO schema_migrations (version, name) VALUES (999, 'future')",
            &[],
        )
        .await
        .unwrap();
    let err = PgStorage::connect(&db.url).await.unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::NewerSchema {
                found: 999,
                supported: SCHEMA_VERSION
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn r_rec_7_the_access_log_refuses_update_and_delete_even_in_raw_sql() {
    use chrono::Utc;
    use liuhen_server_store::Role;
    use liuhen_server_store::access::{AccessAction, AccessEntry, AccessStorage};
    let db = fresh_db().await;
    let s = PgStorage::connect(&db.url).await.unwrap();
    let id = s
        .log_access(&AccessEntry {
            id: 0,
            agency_id: "a1".into(),
            inspection_id: "i1".into(),
            user_id: "u1".into(),
            user_name: "督查员".into(),
            user_role: Role::Supervisor,
            action: AccessAction::ViewRecord,
            object: None,
            at: Utc::now(),
            client_ip: None,
        })
        .await
        .unwrap();
    assert!(id > 0);
    let c = raw(&db.url).await;
    let upd = c
        .execute("UPDATE access_log SET user_name = 'x'", &[])
        .await;
    assert!(upd.is_err(), "{upd:?}");
    let del = c.execute("DELETE FROM access_log", &[]).await;
    assert!(del.is_err(), "{del:?}");
    assert_eq!(s.access_count("a1", "i1").await.unwrap(), 1);
}

#[tokio::test]
async fn a_device_row_keeps_its_actor_and_person() {
    let db = fresh_db().await;
    PgStorage::connect(&db.url).await.unwrap();
    let c = raw(&db.url).await;
    c.batch_execute(
        "INSERT INTO users (id, agency_id, login, name, role, password_hash, created_at)
         VALUES ('u1', 'a', 'a', 'A', 'officer', 'x', now()),
                ('u2', 'a', 'b', 'B', 'officer', 'x', now());
         INSERT INTO devices (id, user_id, public_key, actor_id, token_hash, enrolled_at,
         revoked_at) VALUES ('d1', 'u1', '', 'aa', 't1', now(), now())",
    )
    .await
    .unwrap();
    for sql in [
        "UPDATE devices SET user_id = 'u2' WHERE id = 'd1'",
        "UPDATE devices SET actor_id = 'bb' WHERE id = 'd1'",
        "INSERT INTO devices (id, user_id, public_key, actor_id, token_hash, enrolled_at)
         VALUES ('d2', 'u1', '', 'aa', 't2', now())",
    ] {
        assert!(c.execute(sql, &[]).await.is_err(), "{sql} was refused");
    }
    c.execute("UPDATE devices SET revoked_at = NULL WHERE id = 'd1'", &[])
        .await
        .unwrap();
}
