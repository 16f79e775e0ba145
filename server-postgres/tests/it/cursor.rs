//! Issue 19 on PostgreSQL with several writers (issue 18): a device that follows
//! the change cursor never misses a record, however the writers' transactions
//! interleave and whatever order they commit in; and optimistic writes racing on
//! the same records each land once (Stale, re-read, retry) with none lost.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{TimeZone, Utc};
use liuhen_server_store::{DocRecord, Storage, StorageError, SyncWrite};

use super::make;

const WRITERS: usize = 8;
const WRITES_EACH: usize = 40;
const DOCS: usize = 12;

fn doc(id: usize, heads: String) -> DocRecord {
    DocRecord {
        id: format!("i{id:02}"),
        agency_id: "qy".into(),
        officer_ids: vec!["o1".into()],
        task_id: None,
        target_name: "某公司".into(),
        status: "open".into(),
        heads: vec![heads],
        bytes: vec![1, 2, 3],
        updated_at: Utc.with_ymd_and_hms(2026, 12, 7, 8, 0, 0).unwrap(),
    }
}

/// Follows the cursor as a device does; returns the heads last offered per record.
async fn follow(
    s: &dyn Storage,
    cursor: &mut u64,
    seen: &mut BTreeMap<String, Vec<String>>,
) -> usize {
    let scan = s.offer_scan("qy", "o1", "dev", *cursor).await.unwrap();
    assert!(scan.cursor >= *cursor, "the cursor never goes back");
    *cursor = scan.cursor;
    let n = scan.docs.len();
    for (id, heads, _) in scan.docs {
        seen.insert(id, heads);
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_commits_never_slip_behind_the_cursor() {
    let (_db, s) = make().await;
    let s = Arc::new(s);
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (s, done) = (s.clone(), done.clone());
        tokio::spawn(async move {
            let (mut cursor, mut seen, mut scans) = (0u64, BTreeMap::new(), 0u32);
            while !done.load(Ordering::SeqCst) {
                follow(&*s, &mut cursor, &mut seen).await;
                scans += 1;
            }
            // One last sync after every writer has committed.
            follow(&*s, &mut cursor, &mut seen).await;
            (seen, scans)
        })
    };
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let s = s.clone();
        writers.push(tokio::spawn(async move {
            let mut stale = 0u32;
            for k in 0..WRITES_EACH {
                let id = (w * 7 + k) % DOCS;
                // Optimistic writes (issue 18): read, write with the heads read,
                // and read again when another writer got there first.
                loop {
                    let expected = s.doc(&format!("i{id:02}")).await.unwrap().map(|d| d.heads);
                    let write = SyncWrite {
                        doc: doc(id, format!("w{w}-k{k}")),
                        expected_heads: expected.clone(),
                        blobs: vec![],
                        peer_state: Some((format!("writer-{w}"), vec![k as u8])),
                        summary: Box::new(|_| None),
                    };
                    // Alternate the two write paths that move the cursor.
                    let out = if k % 3 == 2 {
                        s.put_doc(&write.doc, expected.as_deref()).await
                    } else {
                        s.commit_sync(write).await
                    };
                    match out {
                        Ok(()) => break,
                        Err(StorageError::Stale(_)) => stale += 1,
                        Err(e) => panic!("write failed: {e:?}"),
                    }
                }
            }
            stale
        }));
    }
    let mut stale = 0;
    for w in writers {
        stale += w.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let (seen, scans) = reader.await.unwrap();
    assert!(scans > 1, "the reader scanned while the writers wrote");
    eprintln!("{scans} scans; {stale} stale writes read again and retried");
    // What the device last saw of each record is what the server holds.
    for id in 0..DOCS {
        let stored = s.doc(&format!("i{id:02}")).await.unwrap().unwrap();
        assert_eq!(
            seen.get(&stored.id),
            Some(&stored.heads),
            "record {} was skipped by the cursor",
            stored.id
        );
    }
}

/// Two instances (two pools on one database) inserting the same new record at once:
/// one insert wins, the other is Stale (never an overwrite), and a write expecting
/// the old heads after a newer write is Stale and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_inserts_racing_are_stale_not_overwrites() {
    let (db, a) = make().await;
    let b = liuhen_server_postgres::PgStorage::connect(&db.url)
        .await
        .unwrap();
    for round in 0..20 {
        let (x, y) = (doc(round, "from-a".into()), doc(round, "from-b".into()));
        let (ra, rb) = tokio::join!(a.put_doc(&x, None), b.put_doc(&y, None));
        let stored = a.doc(&x.id).await.unwrap().unwrap();
        match (ra, rb) {
            (Ok(()), Err(StorageError::Stale(_))) => assert_eq!(stored.heads, x.heads),
            (Err(StorageError::Stale(_)), Ok(())) => assert_eq!(stored.heads, y.heads),
            other => panic!("round {round}: exactly one insert wins: {other:?}"),
        }
    }
    let first = a.doc("i00").await.unwrap().unwrap();
    let newer = doc(0, "newer".into());
    a.put_doc(&newer, Some(&first.heads)).await.unwrap();
    let late = doc(0, "late".into());
    assert!(matches!(
        b.put_doc(&late, Some(&first.heads)).await,
        Err(StorageError::Stale(_))
    ));
    assert_eq!(a.doc("i00").await.unwrap().unwrap().heads, newer.heads);
}
