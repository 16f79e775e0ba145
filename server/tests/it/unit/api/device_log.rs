//! Tests of `server/src/api/device_log.rs`.
//! The chain check over what the SQLite store kept (moved here from the backend:
//! the store does not know the check).

use chrono::TimeZone;
use ed25519_dalek::SigningKey;
use liuhen_domain::audit::NewLogEntry;

use chrono::Utc;
use liuhen_domain::audit::LogEntry;
use liuhen_server::api::device_log::*;
use liuhen_server::storage::device_log::{DeviceLogStorage, LogUploadOutcome};
use liuhen_server::storage::sqlite::{DB_FILE_NAME, SqliteStorage};

fn key(b: u8) -> SigningKey {
    SigningKey::from_bytes(&[b; 32])
}

fn hex_key(k: &SigningKey) -> String {
    hex::encode(k.verifying_key().to_bytes())
}

fn step(i: i64, text: &str) -> NewLogEntry {
    NewLogEntry {
        at: Utc.timestamp_millis_opt(1_763_600_000_000 + i).unwrap(),
        officer_id: "qy-zf-001".into(),
        inspection_id: Some("insp-1".into()),
        action: "finding".into(),
        detail: serde_json::json!({ "text": text }),
        evidence: vec![],
        doc_heads: vec![],
    }
}

/// Entries `from..=to` continuing `prev`, signed with `k`.
fn chain(prev: Option<&LogEntry>, to: u64, k: &SigningKey) -> Vec<LogEntry> {
    let mut out: Vec<LogEntry> = vec![];
    let mut last = prev.map(|e| (e.seq, e.hash.clone()));
    while last.as_ref().map_or(0, |(s, _)| *s) < to {
        let n = last.as_ref().map_or(1, |(s, _)| s + 1) as i64;
        let e = LogEntry::seal(step(n, &format!("第 {n} 步")), last, "dev-a", k);
        last = Some((e.seq, e.hash.clone()));
        out.push(e);
    }
    out
}

async fn open() -> (tempfile::TempDir, SqliteStorage) {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStorage::open_async(dir.path().join(DB_FILE_NAME))
        .await
        .unwrap();
    (dir, s)
}

async fn check(s: &SqliteStorage) -> LogOutcome {
    let log = s.device_log("dev-a").await.unwrap();
    let divergent = s.divergent_log_entries("dev-a").await.unwrap();
    check_chain(&log, &divergent)
}

#[tokio::test]
async fn a_different_entry_under_a_stored_number_is_kept_aside_never_overwritten() {
    let (_dir, s) = open().await;
    let k = key(1);
    let pk = hex_key(&k);
    let now = Utc::now();
    let entries = chain(None, 5, &k);
    let out = s
        .put_log_entries("dev-a", &pk, &entries, now)
        .await
        .unwrap();
    assert_eq!((out.stored, out.acked_seq), (5, 5));
    assert_eq!(check(&s).await, LogOutcome::Verified);

    // The same upload again: nothing new, nothing divergent.
    let again = s
        .put_log_entries("dev-a", &pk, &entries, now)
        .await
        .unwrap();
    assert_eq!(
        again,
        LogUploadOutcome {
            stored: 0,
            duplicates: 5,
            divergent: vec![],
            acked_seq: 5
        }
    );

    // Another, validly signed entry 3 (a rewritten history).
    let rewritten = LogEntry::seal(
        step(3, "改写后的第 3 步"),
        Some((2, entries[1].hash.clone())),
        "dev-a",
        &k,
    );
    // And an edited copy of entry 4 that still claims the old hash.
    let mut edited = entries[3].clone();
    edited.detail = serde_json::json!({ "text": "被改动" });
    let out = s
        .put_log_entries("dev-a", &pk, &[rewritten.clone(), edited], now)
        .await
        .unwrap();
    assert_eq!(out.stored, 0);
    assert_eq!(out.divergent, vec![3, 4]);
    assert_eq!(out.acked_seq, 5);
    // Sending the divergent entry again keeps it once.
    s.put_log_entries("dev-a", &pk, std::slice::from_ref(&rewritten), now)
        .await
        .unwrap();

    // The first entries stay as they were.
    let stored: Vec<LogEntry> = s
        .device_log("dev-a")
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.entry)
        .collect();
    assert_eq!(stored, entries);
    let divergent = s.divergent_log_entries("dev-a").await.unwrap();
    assert_eq!(
        divergent.iter().map(|d| d.entry.seq).collect::<Vec<_>>(),
        vec![3, 4]
    );
    assert_eq!(divergent[0].entry, rewritten);
    match check(&s).await {
        LogOutcome::Broken { seq, reason } => {
            assert_eq!(seq, 3);
            assert!(reason.contains("与此前上传的第 3 条不一致"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_ack_stops_at_a_gap_and_the_check_names_the_missing_entry() {
    let (_dir, s) = open().await;
    let k = key(1);
    let pk = hex_key(&k);
    let entries = chain(None, 8, &k);
    let without_6: Vec<LogEntry> = entries.iter().filter(|e| e.seq != 6).cloned().collect();
    let out = s
        .put_log_entries("dev-a", &pk, &without_6, Utc::now())
        .await
        .unwrap();
    assert_eq!((out.stored, out.acked_seq), (7, 5));
    match check(&s).await {
        LogOutcome::Broken { seq, reason } => {
            assert_eq!(seq, 6);
            assert!(reason.contains("缺少第 6 条"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // The missing entry arrives: the ack jumps over what was already there.
    let out = s
        .put_log_entries("dev-a", &pk, &entries[5..6], Utc::now())
        .await
        .unwrap();
    assert_eq!(out.acked_seq, 8);
    assert_eq!(s.log_acked_seq("dev-a").await.unwrap(), 8);
    assert_eq!(check(&s).await, LogOutcome::Verified);
}

#[tokio::test]
async fn each_entry_is_checked_against_the_key_registered_when_it_arrived() {
    let (_dir, s) = open().await;
    let (old, new) = (key(1), key(2));
    let first = chain(None, 3, &old);
    s.put_log_entries("dev-a", &hex_key(&old), &first, Utc::now())
        .await
        .unwrap();
    // Re-enrolled with a new key: later entries are signed with it.
    let later = chain(first.last(), 5, &new);
    s.put_log_entries("dev-a", &hex_key(&new), &later, Utc::now())
        .await
        .unwrap();
    assert_eq!(check(&s).await, LogOutcome::Verified);
    // An entry signed with the old key but arriving under the new one fails.
    let stale = chain(later.last(), 6, &old);
    s.put_log_entries("dev-a", &hex_key(&new), &stale, Utc::now())
        .await
        .unwrap();
    match check(&s).await {
        LogOutcome::Broken { seq, reason } => {
            assert_eq!(seq, 6);
            assert!(reason.contains("签名无效"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}
