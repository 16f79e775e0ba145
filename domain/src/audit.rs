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

/// Signatures checked together in one batch (issue 19 item 6), which is also one
/// thread's unit of work. The batch equation's multiscalar multiplication gets
/// cheaper per signature up to a few hundred points; a failed batch is re-checked
/// one signature at a time, so it should not be much larger.
const SIGNATURE_BATCH: usize = 256;

/// At most this many threads verify the batches of one chain.
const MAX_VERIFY_THREADS: usize = 8;

/// As [`verify_chain`], with the key each entry's signature is checked against given
/// per entry (`key_of(index, entry)`); `None` (no usable key) fails that entry's
/// signature. The server uses it because a re-enrolled device may have registered
/// another key for later entries.
///
/// Content hash, link, order and gaps are checked entry by entry in chain order up to
/// the first problem; the signatures of the entries before it are verified in
/// batches of [`SIGNATURE_BATCH`] with ed25519 batch verification, spread over the
/// machine's cores. A batch that fails is re-checked one signature at a time, and the
/// earliest bad signature wins over a later content problem, so the error names the
/// same first bad entry as [`verify_chain_one_by_one`].
pub fn verify_chain_with(
    entries: &[LogEntry],
    key_of: impl FnMut(usize, &LogEntry) -> Option<VerifyingKey>,
) -> Result<(), ChainError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_VERIFY_THREADS);
    verify_chain_in(entries, key_of, SIGNATURE_BATCH, threads)
}

/// [`verify_chain_with`] with the batch size and thread count given (the tests use
/// small batches so that a short chain spreads over several threads).
///
/// Entry `i`'s checks need only entry `i - 1`'s stored hash, so the chain is cut into
/// chunks of `batch` entries that are checked independently: in each, content, link
/// and order entry by entry up to its first problem, then the signatures before that
/// problem in one ed25519 batch. The chunks go to up to `threads` workers; the answer
/// is the first problem of the earliest chunk that has one, which is exactly the first
/// problem [`verify_chain_one_by_one`] meets walking the whole chain.
fn verify_chain_in(
    entries: &[LogEntry],
    mut key_of: impl FnMut(usize, &LogEntry) -> Option<VerifyingKey>,
    batch: usize,
    threads: usize,
) -> Result<(), ChainError> {
    let batch = batch.max(1);
    // The keys first, in chain order (the caller's lookup need not be thread-safe).
    let keys: Vec<Option<VerifyingKey>> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| key_of(i, e))
        .collect();
    let chunks = entries.len().div_ceil(batch);
    let check = |k: usize| {
        check_chunk(
            entries,
            &keys,
            k * batch,
            ((k + 1) * batch).min(entries.len()),
        )
    };
    if threads <= 1 || chunks <= 1 {
        return (0..chunks)
            .map(check)
            .find_map(Result::err)
            .map_or(Ok(()), Err);
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    // The earliest chunk known to fail: later chunks need not be checked.
    let failed = std::sync::atomic::AtomicUsize::new(usize::MAX);
    let first_bad = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.min(chunks))
            .map(|_| {
                scope.spawn(|| {
                    let mut bad = vec![];
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if k >= chunks || k > failed.load(std::sync::atomic::Ordering::Relaxed) {
                            break;
                        }
                        if let Err(e) = check(k) {
                            failed.fetch_min(k, std::sync::atomic::Ordering::Relaxed);
                            bad.push((k, e));
                        }
                    }
                    bad
                })
            })
            .collect();
        let mut bad = vec![];
        for w in workers {
            // A panic in a worker is a bug: never let it pass as "verified".
            match w.join() {
                Ok(b) => bad.extend(b),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        bad.into_iter().min_by_key(|(k, _)| *k).map(|(_, e)| e)
    });
    first_bad.map_or(Ok(()), Err)
}

/// The first problem of entries `from..to` (everything [`verify_chain_one_by_one`]
/// checks), the link of entry `from` checked against entry `from - 1`'s stored hash.
fn check_chunk(
    entries: &[LogEntry],
    keys: &[Option<VerifyingKey>],
    from: usize,
    to: usize,
) -> Result<(), ChainError> {
    let mut prev_hash = match from.checked_sub(1) {
        Some(p) => entries[p].hash.as_str(),
        None => GENESIS_HASH,
    };
    let mut sigs = SignatureBatch::default();
    let mut stop = Ok(());
    for (i, e) in entries.iter().enumerate().take(to).skip(from) {
        if let Err(err) = check_entry(i, e, prev_hash) {
            stop = Err(err);
            break;
        }
        match (parse_signature(&e.signature), keys[i]) {
            (Some(sig), Some(key)) => sigs.push(e, sig, key),
            _ => {
                stop = Err(ChainError::BadSignature { seq: e.seq });
                break;
            }
        }
        prev_hash = &e.hash;
    }
    // A bad signature before the first content problem is the earlier problem.
    sigs.flush().and(stop)
}

/// The reference verifier: every check of [`verify_chain_with`], one signature at a
/// time (the algorithm before batch verification). Kept as the oracle of the property
/// tests and the baseline of the benchmark (`benches/benches/evidence.rs`).
pub fn verify_chain_one_by_one(
    entries: &[LogEntry],
    mut key_of: impl FnMut(usize, &LogEntry) -> Option<VerifyingKey>,
) -> Result<(), ChainError> {
    let mut prev_hash = GENESIS_HASH;
    for (i, e) in entries.iter().enumerate() {
        check_entry(i, e, prev_hash)?;
        match (parse_signature(&e.signature), key_of(i, e)) {
            (Some(sig), Some(key)) if key.verify(e.hash.as_bytes(), &sig).is_ok() => {}
            _ => return Err(ChainError::BadSignature { seq: e.seq }),
        }
        prev_hash = &e.hash;
    }
    Ok(())
}

/// Order, gaps, content hash and link of entry `i` (everything but the signature).
fn check_entry(i: usize, e: &LogEntry, prev_hash: &str) -> Result<(), ChainError> {
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
    Ok(())
}

fn parse_signature(hex_sig: &str) -> Option<Signature> {
    let mut bytes = [0u8; 64];
    hex::decode_to_slice(hex_sig, &mut bytes).ok()?;
    Some(Signature::from_bytes(&bytes))
}

/// Whether the `R` half of a signature is the canonical encoding of a point.
/// Single verification compares `R` byte for byte with the point it recomputes, so it
/// refuses a non-canonical encoding; batch verification decodes `R` and would accept
/// it. Such a signature is sent to the one-by-one check, which refuses it as before.
fn r_is_canonical(sig: &Signature) -> bool {
    let r = sig.r_bytes();
    let mut y = *r;
    y[31] &= 0x7f;
    let sign = r[31] >> 7;
    // y >= p = 2^255 - 19 is non-canonical: bytes ed..ff then ff.. then 7f.
    let y_ge_p = y[0] >= 0xed && y[1..31].iter().all(|&b| b == 0xff) && y[31] == 0x7f;
    // x = 0 only for y = 1 and y = p - 1; its sign bit must be 0.
    let one = y[0] == 1 && y[1..].iter().all(|&b| b == 0);
    let minus_one = y[0] == 0xec && y[1..31].iter().all(|&b| b == 0xff) && y[31] == 0x7f;
    !y_ge_p && !(sign == 1 && (one || minus_one))
}

/// Signatures waiting to be verified together, in chain order.
#[derive(Default)]
struct SignatureBatch<'a> {
    seqs: Vec<u64>,
    messages: Vec<&'a [u8]>,
    signatures: Vec<Signature>,
    keys: Vec<VerifyingKey>,
    /// Some signature in the batch must go through the one-by-one check.
    single_only: bool,
}

impl<'a> SignatureBatch<'a> {
    fn push(&mut self, e: &'a LogEntry, sig: Signature, key: VerifyingKey) {
        self.single_only |= !r_is_canonical(&sig);
        self.seqs.push(e.seq);
        self.messages.push(e.hash.as_bytes());
        self.signatures.push(sig);
        self.keys.push(key);
    }

    /// Verifies what is waiting; on failure names the first entry whose signature
    /// does not verify on its own.
    fn flush(&mut self) -> Result<(), ChainError> {
        let batch_ok = self.seqs.is_empty()
            || (!self.single_only
                && ed25519_dalek::verify_batch(&self.messages, &self.signatures, &self.keys)
                    .is_ok());
        let result = if batch_ok { Ok(()) } else { self.one_by_one() };
        self.seqs.clear();
        self.messages.clear();
        self.signatures.clear();
        self.keys.clear();
        self.single_only = false;
        result
    }

    fn one_by_one(&self) -> Result<(), ChainError> {
        for (((seq, msg), sig), key) in self
            .seqs
            .iter()
            .zip(&self.messages)
            .zip(&self.signatures)
            .zip(&self.keys)
        {
            if key.verify(msg, sig).is_err() {
                return Err(ChainError::BadSignature { seq: *seq });
            }
        }
        Ok(())
    }
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

    /// A chain long enough to span several signature batches, sealed once.
    fn long_chain() -> &'static Vec<LogEntry> {
        static CHAIN: std::sync::OnceLock<Vec<LogEntry>> = std::sync::OnceLock::new();
        CHAIN.get_or_init(|| chain(3 * SIGNATURE_BATCH + 7, &key()))
    }

    /// One way of damaging an entry.
    #[derive(Debug, Clone)]
    enum Damage {
        /// Flip one bit of the signature.
        SignatureBit(usize),
        /// Edit the content and re-hash it (the signature no longer matches).
        Rehashed,
        /// Edit the content only.
        Content,
        /// Sign with another key.
        OtherKey,
        /// Replace `R` with a non-canonical encoding (y >= p).
        NonCanonicalR,
        /// Garbage instead of hex.
        NotHex,
        /// Drop the entry.
        Drop,
    }

    fn damage() -> impl Strategy<Value = Damage> {
        prop_oneof![
            (0usize..512).prop_map(Damage::SignatureBit),
            Just(Damage::Rehashed),
            Just(Damage::Content),
            Just(Damage::OtherKey),
            Just(Damage::NonCanonicalR),
            Just(Damage::NotHex),
            Just(Damage::Drop),
        ]
    }

    fn apply(c: &mut Vec<LogEntry>, at: usize, d: &Damage) {
        let Some(e) = c.get_mut(at) else { return };
        match d {
            Damage::SignatureBit(bit) => {
                let mut b = hex::decode(&e.signature).unwrap();
                b[bit / 8] ^= 1 << (bit % 8);
                e.signature = hex::encode(b);
            }
            Damage::Rehashed => {
                e.action = "close".into();
                e.hash = e.compute_hash();
            }
            Damage::Content => e.officer_id = "o9".into(),
            Damage::OtherKey => {
                let other = SigningKey::from_bytes(&[9u8; 32]);
                e.signature = hex::encode(other.sign(e.hash.as_bytes()).to_bytes());
            }
            Damage::NonCanonicalR => {
                let mut b = hex::decode(&e.signature).unwrap();
                b[0] = 0xee;
                b[1..31].fill(0xff);
                b[31] = 0x7f;
                e.signature = hex::encode(b);
            }
            Damage::NotHex => e.signature = "zz".repeat(64),
            Damage::Drop => {
                c.remove(at);
            }
        }
    }

    #[test]
    fn non_canonical_r_is_refused_as_before() {
        let k = key();
        let mut c = long_chain().clone();
        apply(&mut c, 70, &Damage::NonCanonicalR);
        let vk = k.verifying_key();
        assert_eq!(
            verify_chain(&c, &vk),
            Err(ChainError::BadSignature { seq: 71 })
        );
        assert!(!r_is_canonical(&parse_signature(&c[70].signature).unwrap()));
        assert!(
            long_chain()
                .iter()
                .all(|e| r_is_canonical(&parse_signature(&e.signature).unwrap()))
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Batch verification names the same first problem as checking one signature
        /// at a time, whatever is damaged where (issue 19 item 6, R-REC-5).
        #[test]
        fn batch_names_the_same_first_problem_as_one_by_one(
            hits in proptest::collection::vec((0usize..3 * SIGNATURE_BATCH + 7, damage()), 0..4),
            other_key_from in proptest::option::of(0usize..3 * SIGNATURE_BATCH + 7),
        ) {
            let k = key();
            let vk = k.verifying_key();
            let other = SigningKey::from_bytes(&[9u8; 32]).verifying_key();
            let mut c = long_chain().clone();
            for (at, d) in &hits {
                apply(&mut c, *at, d);
            }
            // A re-enrolled device: later entries checked against another key.
            let key_of = |i: usize, _: &LogEntry| {
                Some(if other_key_from.is_some_and(|from| i >= from) { other } else { vk })
            };
            let batched = verify_chain_with(&c, key_of);
            let single = verify_chain_one_by_one(&c, key_of);
            prop_assert_eq!(&batched, &single);
            // Small batches over several threads name the same first problem too.
            let threaded = verify_chain_in(&c, key_of, 16, 3);
            prop_assert_eq!(&threaded, &single);
            if hits.is_empty() && other_key_from.is_none() {
                prop_assert_eq!(batched, Ok(()));
            }
        }
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
