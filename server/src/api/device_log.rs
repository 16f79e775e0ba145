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
