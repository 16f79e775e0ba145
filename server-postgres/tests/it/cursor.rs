//! Issue 19 on PostgreSQL with several writers (issue 18): a device that follows
//! the change cursor never misses a record, however the writers' transactions
//! interleave and whatever order they commit in.

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
            for k in 0..WRITES_EACH {
                let id = (w * 7 + k) % DOCS;
                // Optimistic (issue 18): write on the heads read, again when stale.
                loop {
                    let read = s.doc(&format!("i{id:02}")).await.unwrap().map(|d| d.heads);
                    let write = SyncWrite {
                        doc: doc(id, format!("w{w}-k{k}")),
                        expected_heads: read.clone(),
                        blobs: vec![],
                        peer_state: Some((format!("writer-{w}"), vec![k as u8])),
                        summary: Box::new(|_| None),
                    };
                    // Alternate the two write paths that move the cursor.
                    let done = if k % 3 == 2 {
                        s.put_doc(&write.doc, read.as_deref()).await
                    } else {
                        s.commit_sync(write).await
                    };
                    match done {
                        Err(StorageError::Stale(_)) => continue,
                        other => break other.unwrap(),
                    }
                }
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let (seen, scans) = reader.await.unwrap();
    assert!(scans > 1, "the reader scanned while the writers wrote");
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
