//! The signed device logs on the server (R-REC-5): devices upload their log
//! entries with sync; the server keeps them and checks each device's hash chain
//! and signatures, so the desk can show "verified" or "broken at entry N".

use std::collections::HashMap;

use ed25519_dalek::VerifyingKey;
use serde::Serialize;

use liuhen_domain::audit::{ChainError, LogEntry, verify_chain_with};

use crate::auth::DeviceAuth;
use crate::state::AppState;
use crate::storage::device_log::StoredLogEntry;
use crate::storage::{Device, StorageError};

/// The tamper check of one device's log, as far as an inspection is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceLogCheck {
    /// Device id.
    pub device_id: String,
    /// Device display name (empty if unknown).
    pub device_name: String,
    /// Entries of this device's log that belong to the inspection.
    pub entries_for_inspection: usize,
    /// Entries of the device's log on the server (the chain checked).
    pub entries_checked: usize,
    /// The result.
    pub outcome: LogOutcome,
}

/// Result of checking one device's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LogOutcome {
    /// Every entry links to the one before and is signed by the device's key.
    Verified,
    /// The first bad entry (1-based sequence number) and why, in Chinese.
    Broken {
        /// Sequence number of the first bad entry.
        seq: u64,
        /// Why (altered, missing, reordered, bad signature, link broken, divergent).
        reason: String,
    },
}

/// The tamper check of every device log of `agency_id` that recorded steps of an
/// inspection (the inspection's agency). Devices of other agencies are never
/// listed, whatever their entries name (issue 16 item 6). Empty when no device has
/// uploaded log entries for it yet.
pub async fn check_inspection(
    st: &AppState,
    agency_id: &str,
    inspection_id: &str,
) -> Result<Vec<DeviceLogCheck>, StorageError> {
    let mut out = vec![];
    for d in st
        .storage
        .log_devices_for_inspection(agency_id, inspection_id)
        .await?
    {
        let log = st.storage.device_log(&d.device_id).await?;
        let divergent = st.storage.divergent_log_entries(&d.device_id).await?;
        let entries_checked = log.len();
        // Thousands of signature checks: off the async workers.
        let outcome = tokio::task::spawn_blocking(move || check_chain(&log, &divergent))
            .await
            .map_err(|e| StorageError::Backend(format!("log check task failed: {e}")))?;
        if let LogOutcome::Broken { seq, reason } = &outcome {
            tracing::warn!(device = %d.device_id, inspection_id, seq, %reason, "device log does not verify");
        }
        out.push(DeviceLogCheck {
            device_id: d.device_id,
            device_name: d.device_name,
            entries_for_inspection: d.entries_for_inspection,
            entries_checked,
            outcome,
        });
    }
    Ok(out)
}

/// Checks one device's stored log from entry 1 to its last entry with core's
/// [`verify_chain_with`] (content hash, link, order, gaps, and each signature against
/// the key the device had registered when the entry arrived), and its divergent
/// entries. Reports the first problem by entry number.
pub fn check_chain(log: &[StoredLogEntry], divergent: &[StoredLogEntry]) -> LogOutcome {
    let mut keys: HashMap<&str, Option<VerifyingKey>> = HashMap::new();
    for s in log {
        keys.entry(s.public_key.as_str())
            .or_insert_with(|| parse_key(&s.public_key));
    }
    let entries: Vec<LogEntry> = log.iter().map(|s| s.entry.clone()).collect();
    let chain = verify_chain_with(&entries, |i, _| {
        log.get(i)
            .and_then(|s| keys.get(s.public_key.as_str()).copied().flatten())
    })
    .err();
    let first_divergent = divergent.iter().map(|d| d.entry.seq).min();
    match (chain, first_divergent) {
        (Some(e), Some(d)) if d < e.seq() => divergent_outcome(d),
        (Some(e), _) => LogOutcome::Broken {
            seq: e.seq(),
            reason: chain_reason(&e),
        },
        (None, Some(d)) => divergent_outcome(d),
        (None, None) => LogOutcome::Verified,
    }
}

fn parse_key(hex_key: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = hex::decode(hex_key).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

fn divergent_outcome(seq: u64) -> LogOutcome {
    LogOutcome::Broken {
        seq,
        reason: format!("R-REC-5: 设备再次上传的第 {seq} 条与此前上传的第 {seq} 条不一致"),
    }
}

/// The reason the desk shows, in Chinese.
fn chain_reason(e: &ChainError) -> String {
    match e {
        ChainError::Altered { seq } => {
            format!("R-REC-5: 第 {seq} 条记录内容被改动（与其哈希不符）")
        }
        ChainError::BrokenLink { seq } => {
            format!("R-REC-5: 第 {seq} 条与前一条的哈希链断开")
        }
        ChainError::Missing { expected, found } => {
            format!("R-REC-5: 缺少第 {expected} 条（服务器上的下一条为第 {found} 条）")
        }
        ChainError::Reordered { expected, found } => {
            format!("R-REC-5: 第 {found} 条出现在第 {expected} 条的位置，顺序被打乱")
        }
        ChainError::BadSignature { seq } => {
            format!("R-REC-5: 第 {seq} 条签名无效（与设备登记的公钥不符）")
        }
    }
}

/// Why an uploaded entry is refused (not stored), in Chinese; `None` if acceptable.
fn refusal(device: &Device, e: &LogEntry) -> Option<String> {
    if e.device_id != device.id {
        return Some(format!(
            "R-REC-5: 日志第 {} 条记载的设备为 {}，不是上传它的设备 {}，已拒收",
            e.seq, e.device_id, device.id
        ));
    }
    if e.seq == 0 || i64::try_from(e.seq).is_err() {
        return Some(format!("R-REC-5: 日志序号 {} 无效，已拒收", e.seq));
    }
    None
}

/// Why a device's log upload is refused as a whole.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// An entry names an inspection of another agency (issue 16 item 6): nothing of
    /// the request is stored.
    #[error(
        "R-REC-5: 设备日志第 {seq} 条记载的检查记录 {inspection_id} 属于其他执法主体，本设备无权为其上传日志；本次同步的内容均未保存，请联系管理员"
    )]
    OtherAgency {
        /// The entry's number.
        seq: u64,
        /// The inspection it names.
        inspection_id: String,
    },
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Stable code of [`ReceiveError::OtherAgency`] (HTTP 403).
pub const CODE_LOG_ENTRY_FORBIDDEN: &str = "log_entry_forbidden";

impl From<ReceiveError> for crate::api::sync::SyncFailure {
    fn from(e: ReceiveError) -> Self {
        match e {
            ReceiveError::Storage(e) => e.into(),
            other => crate::api::sync::SyncFailure::new(
                axum::http::StatusCode::FORBIDDEN,
                CODE_LOG_ENTRY_FORBIDDEN,
                other.to_string(),
            ),
        }
    }
}

/// Refuses the whole upload if an entry names an inspection the server holds for
/// another agency than the device's. Entries naming the device's own agency's
/// inspections are taken whichever officers the record lists now (a task that was
/// reassigned drops officers from the record, and the log is append-only: refusing
/// their entries would hold the device's acknowledgement back for ever); entries
/// naming an inspection not on the server yet are taken (the log goes up before
/// the documents of the same request). The desk lists only devices of the record's
/// agency ([`check_inspection`]), so such entries never show on another agency's
/// desk.
async fn check_scope(
    st: &AppState,
    agency_id: &str,
    entries: &[LogEntry],
) -> Result<(), ReceiveError> {
    let mut ids: Vec<String> = entries
        .iter()
        .filter_map(|e| e.inspection_id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    let agencies: HashMap<String, String> =
        st.storage.doc_agencies(&ids).await?.into_iter().collect();
    for e in entries {
        if let Some(id) = &e.inspection_id
            && agencies.get(id).is_some_and(|a| a != agency_id)
        {
            return Err(ReceiveError::OtherAgency {
                seq: e.seq,
                inspection_id: id.clone(),
            });
        }
    }
    Ok(())
}

/// Takes the log entries a device sent with sync: refuses the whole upload if one
/// names another agency's inspection ([`ReceiveError::OtherAgency`], nothing
/// stored); refuses (and logs) entries that claim another device or carry an
/// impossible number; stores the rest as they are (even when they do not verify: a
/// broken chain is itself evidence), and returns the acknowledgement: the highest
/// number held without gaps from 1.
pub async fn receive(
    st: &AppState,
    auth: &DeviceAuth,
    entries: &[LogEntry],
) -> Result<u64, ReceiveError> {
    let device = &auth.device;
    if let Err(e) = check_scope(st, &auth.user.agency_id, entries).await {
        if let ReceiveError::OtherAgency { seq, inspection_id } = &e {
            tracing::warn!(device = %device.id, agency = %auth.user.agency_id, seq, inspection = %inspection_id, "device log upload refused: entry names another agency's inspection");
        }
        return Err(e);
    }
    let mut accepted = Vec::with_capacity(entries.len());
    for e in entries {
        match refusal(device, e) {
            Some(reason) => {
                tracing::warn!(device = %device.id, seq = e.seq, claimed = %e.device_id, %reason, "log entry refused");
            }
            None => accepted.push(e.clone()),
        }
    }
    if accepted.is_empty() {
        return Ok(st.storage.log_acked_seq(&device.id).await?);
    }
    let out = st
        .storage
        .put_log_entries(&device.id, &device.public_key, &accepted, st.clock.now())
        .await?;
    if !out.divergent.is_empty() {
        tracing::warn!(device = %device.id, seqs = ?out.divergent, "R-REC-5: 设备上传的日志与此前上传的不一致，已另行保存");
    }
    tracing::debug!(device = %device.id, stored = out.stored, duplicates = out.duplicates, acked = out.acked_seq, "device log received");
    Ok(out.acked_seq)
}

/// The chain check over what the SQLite store kept (moved here from the backend:
/// the store does not know the check).
#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use ed25519_dalek::SigningKey;
    use liuhen_domain::audit::NewLogEntry;

    use super::*;
    use crate::storage::device_log::{DeviceLogStorage, LogUploadOutcome};
    use crate::storage::sqlite::{DB_FILE_NAME, SqliteStorage};
    use chrono::Utc;

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
}
