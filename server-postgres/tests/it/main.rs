//! Integration tests of the PostgreSQL backend: the backend-agnostic store suite
//! and what only PostgreSQL has to show (concurrent writers and the change cursor,
//! migrations under concurrent starts). They need a throwaway cluster:
//! `eval "$(bash scripts/postgres.sh start)"` sets `LIUHEN_TEST_POSTGRES`.

use liuhen_server_postgres::PgStorage;

/// Keeps the test's database name (the cluster is throwaway: it is not dropped).
pub struct TestDb {
    /// The database's name.
    pub name: String,
    /// The database's URL.
    pub url: String,
}

/// The superuser URL of the test cluster; a missing variable fails the test.
pub fn admin_url() -> String {
    std::env::var("LIUHEN_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!(
            "LIUHEN_TEST_POSTGRES is not set: start a throwaway PostgreSQL cluster with \
             `eval \"$(bash scripts/postgres.sh start)\"` (and `bash scripts/postgres.sh stop` after)"
        )
    })
}

/// Creates a database `liuhen_t_<uuid>` on the test cluster: empty, or a copy of
/// database `template`.
async fn new_db(template: Option<&str>) -> TestDb {
    let admin = admin_url();
    let name = format!("liuhen_t_{}", uuid::Uuid::now_v7().simple());
    let url = liuhen_server_postgres::create_database_from(&admin, &name, template)
        .await
        .unwrap_or_else(|e| panic!("cannot create database {name} on {admin}: {e}"));
    TestDb { name, url }
}

/// Creates a fresh (empty) database on the test cluster.
pub async fn fresh_db() -> TestDb {
    new_db(None).await
}

/// The name of a database migrated once per test process, which [`make`] copies
/// (`CREATE DATABASE .. TEMPLATE`): migrating each test's database cost ~170 ms of
/// the cluster's CPU, for some eighty tests (issue 17). The migrations themselves are
/// tested on fresh databases (`migrations.rs`).
async fn migrated_template() -> &'static str {
    static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let db = fresh_db().await;
            let s = PgStorage::connect(&db.url)
                .await
                .unwrap_or_else(|e| panic!("cannot open {}: {e}", db.url));
            // Its connections close (a template must have none; PostgreSQL waits up
            // to 5 s for closing ones).
            drop(s);
            db.name
        })
        .await
}

async fn make() -> (TestDb, PgStorage) {
    let db = new_db(Some(migrated_template().await)).await;
    let s = PgStorage::connect(&db.url)
        .await
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", db.url));
    (db, s)
}

mod suite {
    use super::make;
    liuhen_server_store::store_test_suite!(make);
}

mod busy;
mod cursor;
mod migrations;
mod publication;
mod uploads;
