//! The device's tamper-evident log: every lifecycle step and evidence capture is an
//! entry in a hash chain, signed with the device's ed25519 key (R-REC-5, R-REC-6).
//! `verify_chain` names the first entry that is broken, missing, reordered or badly
//! signed.

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a step adds to the log before it is chained and signed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewLogEntry {
    /// When it happened (device clock).
    pub at: DateTime<Utc>,
    /// Officer who acted.
    pub officer_id: String,
    /// Inspection it belongs to, if any.
    pub inspection_id: Option<String>,
    /// What happened: `open`, `check_in`, `identity_notice`, `finding`, `evidence`,
    /// `rights_notice`, `close`, `amendment`, `roster_refresh`, ...
    pub action: String,
    /// Step details as JSON (small: ids and names, never blobs).
    pub detail: serde_json::Value,
    /// SHA-256 of any evidence the step captured or referenced.
    pub evidence: Vec<String>,
    /// Heads of the inspection document after the step.
    pub doc_heads: Vec<String>,
}

/// One chained, signed entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// 1, 2, 3, ... without gaps.
    pub seq: u64,
    /// Hash of the previous entry ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Officer who acted.
    pub officer_id: String,
    /// Device that wrote it.
    pub device_id: String,
    /// Inspection it belongs to.
    pub inspection_id: Option<String>,
    /// What happened.
    pub action: String,
    /// Step details.
    pub detail: serde_json::Value,
    /// Evidence hashes.
    pub evidence: Vec<String>,
    /// Document heads after the step.
    pub doc_heads: Vec<String>,
    /// SHA-256 (hex) of the canonical encoding of every field above.
    pub hash: String,
    /// ed25519 signature (hex) of the hash bytes by the device key.
    pub signature: String,
}

/// The fields covered by the hash, in a fixed order.
#[derive(Serialize)]
struct Canonical<'a> {
    v: u32,
    seq: u64,
    prev_hash: &'a str,
    at_ms: i64,
    officer_id: &'a str,
    device_id: &'a str,
    inspection_id: Option<&'a str>,
    action: &'a str,
    detail: &'a serde_json::Value,
    evidence: &'a [String],
    doc_heads: &'a [String],
}

impl LogEntry {
    /// SHA-256 of the canonical encoding (what `hash` must equal).
    pub fn compute_hash(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_bytes()))
    }

    /// The canonical encoding the hash covers (`docs/protocol/device-log.md`):
    /// compact JSON of `v`, `seq`, `prev_hash`, `at_ms`, `officer_id`, `device_id`,
    /// `inspection_id`, `action`, `detail` (object keys sorted), `evidence`,
    /// `doc_heads`, in this order.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let c = Canonical {
            v: 1,
            seq: self.seq,
            prev_hash: &self.prev_hash,
            at_ms: self.at.timestamp_millis(),
            officer_id: &self.officer_id,
            device_id: &self.device_id,
            inspection_id: self.inspection_id.as_deref(),
            action: &self.action,
            detail: &self.detail,
            evidence: &self.evidence,
            doc_heads: &self.doc_heads,
        };
        // serde_json on a struct of plain fields cannot fail; an empty vec would
        // only make the hash mismatch, never pass.
        serde_json::to_vec(&c).unwrap_or_default()
    }

    /// Chains `new` after `prev` (seq and hash) and signs it.
    pub fn seal(
        new: NewLogEntry,
        prev: Option<(u64, String)>,
        device_id: &str,
        key: &SigningKey,
    ) -> LogEntry {
        let (seq, prev_hash) = match prev {
            Some((s, h)) => (s + 1, h),
            None => (1, GENESIS_HASH.to_string()),
        };
        let mut e = LogEntry {
            seq,
            prev_hash,
            at: new.at,
            officer_id: new.officer_id,
            device_id: device_id.to_string(),
            inspection_id: new.inspection_id,
            action: new.action,
            detail: new.detail,
            evidence: new.evidence,
            doc_heads: new.doc_heads,
            hash: String::new(),
            signature: String::new(),
        };
        e.hash = e.compute_hash();
        e.signature = hex::encode(key.sign(e.hash.as_bytes()).to_bytes());
        e
    }
}

/// Why a chain does not verify; `seq` is the first entry concerned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// An entry's content does not match its hash (edited after the fact).
    #[error("R-REC-5: 日志第 {seq} 条的内容与其哈希不符，已被改动")]
    Altered {
        /// Entry number.
        seq: u64,
    },
    /// An entry does not point at the hash of the entry before it.
    #[error("R-REC-5: 日志第 {seq} 条与前一条的哈希链断开")]
    BrokenLink {
        /// Entry number.
        seq: u64,
    },
    /// Entries are missing before this one.
    #[error("R-REC-5: 日志缺少第 {expected} 条（下一条为第 {found} 条）")]
    Missing {
        /// The number that should have come.
        expected: u64,
        /// The number found instead.
        found: u64,
    },
    /// Entries are out of order.
    #[error("R-REC-5: 日志第 {found} 条出现在第 {expected} 条的位置，顺序被打乱")]
    Reordered {
        /// The number that should have come.
        expected: u64,
        /// The number found instead.
        found: u64,
    },
    /// The signature does not verify with the device key.
    #[error("R-REC-5: 日志第 {seq} 条的设备签名无效")]
    BadSignature {
        /// Entry number.
        seq: u64,
    },
}

impl ChainError {
    /// The entry number at which the chain first fails.
    pub fn seq(&self) -> u64 {
        match self {
            ChainError::Altered { seq }
            | ChainError::BrokenLink { seq }
            | ChainError::BadSignature { seq } => *seq,
            ChainError::Missing { expected, .. } | ChainError::Reordered { expected, .. } => {
                *expected
            }
        }
    }
}

/// Walks a chain from entry 1 and returns the first problem, if any.
pub fn verify_chain(entries: &[LogEntry], key: &VerifyingKey) -> Result<(), ChainError> {
    verify_chain_with(entries, |_, _| Some(*key))
}

/// As [`verify_chain`], with the key each entry's signature is checked against given
/// per entry (`key_of(index, entry)`); `None` (no usable key) fails that entry's
/// signature. The server uses it because a re-enrolled device may have registered
/// another key for later entries.
pub fn verify_chain_with(
    entries: &[LogEntry],
    mut key_of: impl FnMut(usize, &LogEntry) -> Option<VerifyingKey>,
) -> Result<(), ChainError> {
    let mut prev_hash = GENESIS_HASH.to_string();
    for (i, e) in entries.iter().enumerate() {
        let expected = i as u64 + 1;
        if e.seq > expected {
            return Err(ChainError::Missing {
                expected,
                found: e.seq,
            });
        }
        if e.seq < expected {
            return Err(ChainError::Reordered {
                expected,
                found: e.seq,
            });
        }
        if e.compute_hash() != e.hash {
            return Err(ChainError::Altered { seq: e.seq });
        }
        if e.prev_hash != prev_hash {
            return Err(ChainError::BrokenLink { seq: e.seq });
        }
        let sig = hex::decode(&e.signature)
            .ok()
            .and_then(|b| Signature::from_slice(&b).ok());
        match (sig, key_of(i, e)) {
            (Some(sig), Some(key)) if key.verify(e.hash.as_bytes(), &sig).is_ok() => {}
            _ => return Err(ChainError::BadSignature { seq: e.seq }),
        }
        prev_hash = e.hash.clone();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn chain(n: usize, key: &SigningKey) -> Vec<LogEntry> {
        let mut out: Vec<LogEntry> = vec![];
        for i in 0..n {
            let prev = out.last().map(|e| (e.seq, e.hash.clone()));
            out.push(LogEntry::seal(
                NewLogEntry {
                    at: Utc.timestamp_opt(1_700_000_000 + i as i64, 0).unwrap(),
                    officer_id: "o1".into(),
                    inspection_id: Some("i1".into()),
                    action: "finding".into(),
                    detail: serde_json::json!({ "n": i }),
                    evidence: vec![],
                    doc_heads: vec![],
                },
                prev,
                "dev-a",
                key,
            ));
        }
        out
    }

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    #[test]
    fn intact_chain_verifies() {
        let k = key();
        assert_eq!(verify_chain(&chain(20, &k), &k.verifying_key()), Ok(()));
    }

    #[test]
    fn each_kind_of_tampering_is_named() {
        let k = key();
        let vk = k.verifying_key();
        let mut c = chain(10, &k);
        c[4].detail = serde_json::json!({ "n": 999 });
        assert_eq!(verify_chain(&c, &vk), Err(ChainError::Altered { seq: 5 }));

        let mut c = chain(10, &k);
        c.remove(3);
        assert_eq!(
            verify_chain(&c, &vk),
            Err(ChainError::Missing {
                expected: 4,
                found: 5
            })
        );

        let mut c = chain(10, &k);
        c.swap(6, 7);
        assert_eq!(
            verify_chain(&c, &vk),
            Err(ChainError::Missing {
                expected: 7,
                found: 8
            })
        );

        // Re-hashing an edited entry does not help: the signature breaks.
        let mut c = chain(10, &k);
        c[2].action = "close".into();
        c[2].hash = c[2].compute_hash();
        assert_eq!(
            verify_chain(&c, &vk),
            Err(ChainError::BadSignature { seq: 3 })
        );

        // Re-signing with another key: signature fails too.
        let other = SigningKey::from_bytes(&[9u8; 32]);
        let forged = chain(3, &other);
        assert_eq!(
            verify_chain(&forged, &vk),
            Err(ChainError::BadSignature { seq: 1 })
        );

        // A re-numbered entry pointing at the wrong predecessor.
        let mut c = chain(5, &k);
        let e = LogEntry::seal(
            NewLogEntry {
                at: c[3].at,
                officer_id: "o1".into(),
                inspection_id: None,
                action: "x".into(),
                detail: serde_json::json!({}),
                evidence: vec![],
                doc_heads: vec![],
            },
            Some((3, GENESIS_HASH.into())),
            "dev-a",
            &k,
        );
        c[3] = e;
        assert_eq!(
            verify_chain(&c, &vk),
            Err(ChainError::BrokenLink { seq: 4 })
        );
        let mut c = chain(5, &k);
        c[2].seq = 1;
        assert_eq!(
            verify_chain(&c, &vk),
            Err(ChainError::Reordered {
                expected: 3,
                found: 1
            })
        );
    }

    proptest! {
        #[test]
        fn any_single_field_edit_is_detected(idx in 0usize..8, byte in 0usize..64) {
            let k = key();
            let mut c = chain(8, &k);
            let mut h = c[idx].prev_hash.clone().into_bytes();
            let b = byte % h.len();
            h[b] = if h[b] == b'0' { b'1' } else { b'0' };
            c[idx].prev_hash = String::from_utf8(h).unwrap();
            prop_assert!(verify_chain(&c, &k.verifying_key()).is_err());
        }
    }
}
