//! Issue 18: a database connection lost under the server (PostgreSQL restarted,
//! a connection killed by an administrator or a proxy) is `Busy` -- retryable, the
//! server answers 503 storage_busy -- and the next call works on a new connection.

use liuhen_server_store::{ErrorKind, Storage};
use tokio_postgres::NoTls;

use super::make;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_connection_is_retryable_and_the_next_call_works() {
    let (db, s) = make().await;
    assert_eq!(s.total_docs().await.unwrap(), 0);
    // Kill every other session of the test database (the pool's connections).
    let (admin, conn) = tokio_postgres::connect(&db.url, NoTls).await.unwrap();
    tokio::spawn(conn);
    let killed: i64 = admin
        .query_one(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(killed >= 1, "the pool held a connection");
    // A dead connection goes back to the pool after its failed call and is dropped
    // at its next checkout once the driver has seen the socket close (deadpool's
    // fast recycling); on a busy machine that can take a failed call or two more.
    let mut failures = 0;
    let mut answer = None;
    for _ in 0..20 {
        match s.total_docs().await {
            Ok(n) => {
                answer = Some(n);
                break;
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Retryable, "{e:?}");
                failures += 1;
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    }
    assert_eq!(
        answer,
        Some(0),
        "a fresh connection answers ({failures} retryable failures first)"
    );
}
