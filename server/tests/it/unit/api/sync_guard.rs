//! Tests of `server/src/api/sync_guard.rs`.

//! Tests of the sync-message guard: each known attack built by hand is refused
//! with its code; every message automerge itself writes for real documents
//! (v1 and v2) passes and round-trips; whatever passes decodes and applies.

use std::io::Write;

use automerge::sync::{Message, State, SyncDoc};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc};
use proptest::prelude::*;

use liuhen_server::api::sync_guard::*;

// ---------------------------------------------------------------- byte builders

fn uleb(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

fn sleb(mut v: i64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if (v == 0 && b & 0x40 == 0) || (v == -1 && b & 0x40 != 0) {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

/// A bloom filter's bytes: header and `bit_bytes` zero bytes.
fn bloom(entries: u64, bits: u64, probes: u64, bit_bytes: usize) -> Vec<u8> {
    let mut out = uleb(entries);
    out.extend(uleb(bits));
    out.extend(uleb(probes));
    out.extend(vec![0u8; bit_bytes]);
    out
}

/// A whole message.
struct Msg {
    version: u8,
    heads: u64,
    need: u64,
    have: Vec<Vec<u8>>,
    changes: Vec<Vec<u8>>,
    flags: Option<Vec<u8>>,
}

impl Default for Msg {
    fn default() -> Self {
        Msg {
            version: 0x42,
            heads: 0,
            need: 0,
            have: Vec::new(),
            changes: Vec::new(),
            flags: Some(vec![0x02, 0x84]),
        }
    }
}

impl Msg {
    fn bytes(&self) -> Vec<u8> {
        let mut out = vec![self.version];
        out.extend(uleb(self.heads));
        out.extend(vec![7u8; 32 * self.heads as usize]);
        out.extend(uleb(self.need));
        out.extend(vec![9u8; 32 * self.need as usize]);
        out.extend(uleb(self.have.len() as u64));
        for filter in &self.have {
            out.extend(uleb(0)); // last_sync
            out.extend(uleb(filter.len() as u64));
            out.extend(filter);
        }
        out.extend(uleb(self.changes.len() as u64));
        for c in &self.changes {
            out.extend(uleb(c.len() as u64));
            out.extend(c);
        }
        if let Some(f) = &self.flags {
            out.extend(uleb(f.len() as u64));
            out.extend(f);
        }
        out
    }
}

fn chunk(chunk_type: u8, body: &[u8]) -> Vec<u8> {
    let mut out = CHUNK_MAGIC.to_vec();
    out.extend([0u8; 4]);
    out.push(chunk_type);
    out.extend(uleb(body.len() as u64));
    out.extend(body);
    out
}

fn columns(cols: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut out = uleb(cols.len() as u64);
    for (spec, data) in cols {
        out.extend(uleb(u64::from(*spec)));
        out.extend(uleb(data.len() as u64));
    }
    out
}

/// A change chunk body with the given op columns.
fn change_body(cols: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut out = uleb(0); // deps
    out.extend(uleb(16));
    out.extend([1u8; 16]); // actor
    out.extend(uleb(1)); // seq
    out.extend(uleb(1)); // start op
    out.extend(sleb(0)); // time
    out.extend(uleb(0)); // message
    out.extend(uleb(0)); // other actors
    out.extend(columns(cols));
    for (_, data) in cols {
        out.extend(data);
    }
    out
}

/// A document chunk body with the given change and op columns.
fn document_body(change_cols: &[(u32, Vec<u8>)], op_cols: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut out = uleb(1);
    out.extend(uleb(16));
    out.extend([1u8; 16]); // one actor
    out.extend(uleb(0)); // heads
    out.extend(columns(change_cols));
    out.extend(columns(op_cols));
    for (_, data) in change_cols.iter().chain(op_cols) {
        out.extend(data);
    }
    out
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).expect("deflate in memory");
    enc.finish().expect("deflate in memory")
}

/// Column specification: id, type, deflate bit.
fn spec(id: u32, col_type: u32, deflated: bool) -> u32 {
    (id << 4) | col_type | if deflated { COLUMN_DEFLATE } else { 0 }
}

fn code(bytes: &[u8]) -> &'static str {
    match check(bytes, &Limits::default()) {
        Ok(shape) => panic!("accepted: {shape:?}"),
        Err(e) => {
            // Every refusal reads as Chinese text.
            assert!(
                e.to_string()
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
            );
            e.code()
        }
    }
}

// ---------------------------------------------------------------- attacks

#[test]
fn bloom_with_u32_max_probes_is_refused() {
    let m = Msg {
        have: vec![bloom(1, 10, u64::from(u32::MAX), 2)],
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "bloom_probes");
}

#[test]
fn bloom_with_sixty_million_probes_is_refused() {
    let m = Msg {
        have: vec![bloom(1, 10, 60_000_000, 2)],
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "bloom_probes");
}

#[test]
fn bloom_with_zero_probes_or_zero_bits_is_refused() {
    let zero_bits = Msg {
        have: vec![bloom(5, 0, 7, 0)],
        ..Msg::default()
    };
    assert_eq!(code(&zero_bits.bytes()), "bloom_bits_per_entry");
    let many_bits = Msg {
        have: vec![bloom(1, 33, 7, 5)],
        ..Msg::default()
    };
    assert_eq!(code(&many_bits.bytes()), "bloom_bits_per_entry");
    let zero_probes = Msg {
        have: vec![bloom(1, 10, 0, 2)],
        ..Msg::default()
    };
    assert_eq!(code(&zero_probes.bytes()), "bloom_probes");
}

#[test]
fn bloom_sizes_must_match_and_stay_small() {
    let short = Msg {
        have: vec![bloom(10, 10, 7, 12)],
        ..Msg::default()
    };
    assert_eq!(code(&short.bytes()), "bloom_length_mismatch");
    let long = Msg {
        have: vec![bloom(10, 10, 7, 14)],
        ..Msg::default()
    };
    assert_eq!(code(&long.bytes()), "bloom_length_mismatch");
    // u32::MAX entries at 32 bits each would be a 16 GiB bit array.
    let huge = Msg {
        have: vec![bloom(u64::from(u32::MAX), 32, 7, 0)],
        ..Msg::default()
    };
    assert_eq!(code(&huge.bytes()), "bloom_too_large");
    // More than 32 bits for a count is not automerge's format.
    let wide = Msg {
        have: vec![bloom(1 << 33, 10, 7, 0)],
        ..Msg::default()
    };
    assert_eq!(code(&wide.bytes()), "bad_leb128");
    let exact = Msg {
        have: vec![bloom(10, 10, 7, 13)],
        ..Msg::default()
    };
    assert!(check(&exact.bytes(), &Limits::default()).is_ok());
}

#[test]
fn zip_bomb_change_chunk_is_refused() {
    // 64 MiB of zeros deflate to about 64 KB.
    let bomb = deflate(&vec![0u8; 64 << 20]);
    assert!(bomb.len() < 1 << 20);
    let m = Msg {
        changes: vec![chunk(2, &bomb)],
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "change_too_large");
}

#[test]
fn many_small_bombs_exceed_the_total() {
    // Each inflates to just under 1 MiB, twenty of them exceed 16 MiB.
    let one = chunk(2, &deflate(&vec![0u8; (1 << 20) - 1]));
    let m = Msg {
        changes: vec![one; 20],
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "inflated_too_large");
}

#[test]
fn deflated_document_column_bomb_is_refused() {
    let body = document_body(
        &[],
        &[(
            spec(2, col_type::VALUE, true),
            deflate(&vec![0u8; 32 << 20]),
        )],
    );
    let m = Msg {
        version: 0x43,
        changes: vec![chunk(0, &body)],
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "inflated_too_large");
}

#[test]
fn broken_deflate_is_refused() {
    let m = Msg {
        changes: vec![chunk(2, &[0xff, 0xff, 0xff, 0xff])],
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "bad_deflate");
}

#[test]
fn run_length_bombs_are_refused() {
    // One run of 2^40 rows of action 1 in three bytes of column data.
    let mut run = sleb(1 << 40);
    run.extend(uleb(1));
    let m = Msg {
        changes: vec![chunk(
            1,
            &change_body(&[(spec(4, col_type::INTEGER, false), run)]),
        )],
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "too_many_ops");
    // A literal run of i64::MIN (whose absolute value overflows i64).
    let m = Msg {
        changes: vec![chunk(
            1,
            &change_body(&[(spec(4, col_type::INTEGER, false), sleb(i64::MIN))]),
        )],
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "too_many_ops");
    // A null run, a boolean run.
    let mut nulls = sleb(0);
    nulls.extend(uleb(u64::MAX));
    let m = Msg {
        changes: vec![chunk(
            1,
            &change_body(&[(spec(5, col_type::STRING, false), nulls)]),
        )],
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "too_many_ops");
    let m = Msg {
        changes: vec![chunk(
            1,
            &change_body(&[(spec(3, col_type::BOOLEAN, false), uleb(1 << 50))]),
        )],
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "too_many_ops");
    // Group sizes that promise more children than allowed.
    let mut groups = sleb(1000);
    groups.extend(uleb(1 << 30));
    let m = Msg {
        changes: vec![chunk(
            1,
            &change_body(&[(spec(7, col_type::GROUP, false), groups)]),
        )],
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "too_many_ops");
    // Strings repeated until they fill memory.
    let mut strings = sleb(90_000);
    strings.extend(uleb(200));
    strings.extend(vec![b'a'; 200]);
    let m = Msg {
        changes: vec![chunk(
            1,
            &change_body(&[(spec(3, col_type::STRING, false), strings)]),
        )],
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "strings_too_large");
    // Too many operations across chunks of a message, each within the limit.
    let mut run = sleb(60_000);
    run.extend(uleb(1));
    let one = chunk(1, &change_body(&[(spec(4, col_type::INTEGER, false), run)]));
    let m = Msg {
        changes: vec![one.clone(), one],
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "too_many_ops");
}

#[test]
fn column_values_that_cannot_be_right_are_refused() {
    // Deltas that overflow i64.
    let mut deltas = sleb(3);
    deltas.extend(sleb(i64::MAX / 2));
    let m = Msg {
        changes: vec![chunk(
            1,
            &change_body(&[(spec(2, col_type::DELTA, false), deltas)]),
        )],
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "bad_column");
    // Value metadata declaring 1000 bytes with a 3-byte value column.
    let mut meta = sleb(1);
    meta.extend(uleb((1000 << 4) | 6));
    let m = Msg {
        changes: vec![chunk(
            1,
            &change_body(&[
                (spec(10, col_type::VALUE_META, false), meta),
                (spec(10, col_type::VALUE, false), vec![1, 2, 3]),
            ]),
        )],
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "bad_column");
    // Change chunks never have individually deflated columns.
    let m = Msg {
        changes: vec![chunk(
            1,
            &change_body(&[(spec(2, col_type::DELTA, true), deflate(b"abc"))]),
        )],
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "compressed_change_columns");
}

#[test]
fn bad_leb128_is_refused() {
    // Truncated: a continuation bit on the last byte.
    assert_eq!(code(&[0x42, 0x80]), "truncated");
    // Overlong: a redundant zero byte.
    assert_eq!(code(&[0x42, 0x80, 0x00, 0x00, 0x00, 0x00]), "bad_leb128");
    // Eleven bytes.
    let mut long = vec![0x42];
    long.extend([0xff; 10]);
    long.push(0x01);
    assert_eq!(code(&long), "bad_leb128");
    // Ten bytes overflowing 64 bits.
    let mut over = vec![0x42];
    over.extend([0xff; 9]);
    over.push(0x02);
    assert_eq!(code(&over), "bad_leb128");
}

#[test]
fn absurd_counts_are_refused() {
    let mut m = vec![0x42];
    m.extend(uleb(1 << 60));
    assert_eq!(code(&m), "too_many_heads");
    let mut m = vec![0x42, 0x00];
    m.extend(uleb(u64::MAX));
    assert_eq!(code(&m), "too_many_need");
    let mut m = vec![0x42, 0x00, 0x00];
    m.extend(uleb(1_000_000));
    assert_eq!(code(&m), "too_many_have");
    let mut m = vec![0x42, 0x00, 0x00, 0x00];
    m.extend(uleb(1 << 40));
    assert_eq!(code(&m), "too_many_changes");
    // Within the limit but absent.
    assert_eq!(code(&[0x42, 0x05]), "truncated");
    let mut m = vec![0x42, 0x00, 0x00, 0x00, 0x01];
    m.extend(uleb(1 << 62));
    assert_eq!(code(&m), "truncated");
    // Too many columns, actors, change dependencies.
    let mut body = uleb(0);
    body.extend([0, 1, 1]); // empty actor, seq 1, start op 1
    body.extend([0, 0, 0]); // time, message, other actors
    body.extend(uleb(10_000));
    let m = Msg {
        changes: vec![chunk(1, &body)],
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "too_many_columns");
    let mut body = uleb(0);
    body.extend([0, 1, 1, 0, 0]);
    body.extend(uleb(1 << 20));
    let m = Msg {
        changes: vec![chunk(1, &body)],
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "too_many_actors");
    let m = Msg {
        changes: vec![chunk(1, &uleb(1 << 20))],
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "too_many_heads");
    // Column lengths that add up to more than 64 bits.
    let mut body = uleb(0);
    body.extend([0, 1, 1, 0, 0, 0]);
    body.extend(uleb(2));
    body.extend(uleb(0x12));
    body.extend(uleb(u64::MAX));
    body.extend(uleb(0x22));
    body.extend(uleb(u64::MAX));
    let m = Msg {
        changes: vec![chunk(1, &body)],
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "length_mismatch");
}

#[test]
fn framing_errors_are_refused() {
    assert_eq!(code(&[]), "truncated");
    assert_eq!(code(&[0x41, 0, 0, 0, 0]), "unknown_message_type");
    let too_big = vec![0u8; 6 * 1024 * 1024 + 1];
    assert_eq!(code(&too_big), "message_too_large");
    let mut bad_magic = chunk(1, &change_body(&[]));
    bad_magic[0] = 0;
    let m = Msg {
        changes: vec![bad_magic],
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "bad_chunk_magic");
    for t in [3u8, 4, 0xff] {
        let m = Msg {
            changes: vec![chunk(t, &[])],
            ..Msg::default()
        };
        assert_eq!(code(&m.bytes()), "unsupported_chunk_type");
    }
    let m = Msg {
        changes: vec![Vec::new()],
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "length_mismatch");
    let mut trailing = Msg::default().bytes();
    trailing.push(0);
    assert_eq!(code(&trailing), "trailing_bytes");
    let m = Msg {
        flags: Some(vec![0x80; 17]),
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "flags_too_large");
    let mut doc = document_body(&[], &[]);
    doc.extend([1, 2, 3]);
    let m = Msg {
        changes: vec![chunk(0, &doc)],
        ..Msg::default()
    };
    assert_eq!(code(&m.bytes()), "length_mismatch");
}

#[test]
fn codes_are_distinct_snake_case() {
    let all = [
        GuardError::MessageTooLarge { bytes: 0, max: 0 },
        GuardError::Truncated { field: "" },
        GuardError::BadLeb128 { field: "" },
        GuardError::UnknownMessageType { found: 0 },
        GuardError::TooManyHeads { count: 0, max: 0 },
        GuardError::TooManyNeed { count: 0, max: 0 },
        GuardError::TooManyHave { count: 0, max: 0 },
        GuardError::BloomTooLarge { bytes: 0, max: 0 },
        GuardError::BloomBitsPerEntry { found: 0, max: 0 },
        GuardError::BloomProbes { found: 0, max: 0 },
        GuardError::BloomLength {
            found: 0,
            expected: 0,
        },
        GuardError::TooManyChanges { max: 0 },
        GuardError::ChangeTooLarge { max: 0 },
        GuardError::InflatedTooLarge { max: 0 },
        GuardError::TooManyOps { max: 0 },
        GuardError::TooManyActors { count: 0, max: 0 },
        GuardError::TooManyColumns { count: 0, max: 0 },
        GuardError::StringsTooLarge { max: 0 },
        GuardError::FlagsTooLarge { bytes: 0, max: 0 },
        GuardError::BadChunkMagic,
        GuardError::UnsupportedChunkType { found: 0 },
        GuardError::LengthMismatch { field: "" },
        GuardError::BadDeflate,
        GuardError::BadColumn { field: "" },
        GuardError::CompressedChangeColumns,
        GuardError::TrailingBytes { count: 0 },
    ];
    let codes: std::collections::BTreeSet<_> = all.iter().map(|e| e.code()).collect();
    assert_eq!(codes.len(), all.len());
    for c in codes {
        assert!(
            c.chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_'),
            "{c}"
        );
    }
}

// ---------------------------------------------------------------- real documents

/// One random edit of a document.
#[derive(Debug, Clone)]
enum Edit {
    Put(u8, i64),
    PutText(u8, String),
    Delete(u8),
    ListInsert(u8, String),
    TextSplice(u8, String),
    Increment(i64),
    Mark(u8),
    Commit,
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<u8>(), any::<i64>()).prop_map(|(k, v)| Edit::Put(k, v)),
        (any::<u8>(), "[a-z检查记录]{0,12}").prop_map(|(k, v)| Edit::PutText(k, v)),
        any::<u8>().prop_map(Edit::Delete),
        (any::<u8>(), "[a-z]{0,6}").prop_map(|(i, v)| Edit::ListInsert(i, v)),
        (any::<u8>(), "[a-z现场]{1,20}").prop_map(|(i, v)| Edit::TextSplice(i, v)),
        (-100i64..100).prop_map(Edit::Increment),
        any::<u8>().prop_map(Edit::Mark),
        Just(Edit::Commit),
    ]
}

/// The shared objects every test document starts with (a fixed schema change,
/// like liuhen's schema chain, so forks merge).
fn base_doc() -> AutoCommit {
    let mut doc = AutoCommit::new().with_actor(ActorId::from([0x5a; 16]));
    let list = doc.put_object(ROOT, "list", ObjType::List).expect("list");
    doc.insert(&list, 0, "first").expect("insert");
    let text = doc.put_object(ROOT, "text", ObjType::Text).expect("text");
    doc.splice_text(&text, 0, 0, "检查记录").expect("text");
    doc.put(ROOT, "counter", automerge::ScalarValue::counter(0))
        .expect("counter");
    doc.commit_with(CommitOptions::default().with_time(0));
    doc
}

fn apply(doc: &mut AutoCommit, edits: &[Edit]) {
    let list = doc.get(ROOT, "list").ok().flatten().map(|(_, id)| id);
    let text = doc.get(ROOT, "text").ok().flatten().map(|(_, id)| id);
    for e in edits {
        // Edits that do not apply (index out of range) are skipped.
        let _ = match e {
            Edit::Put(k, v) => doc.put(ROOT, format!("k{}", k % 16), *v),
            Edit::PutText(k, v) => doc.put(ROOT, format!("s{}", k % 8), v.as_str()),
            Edit::Delete(k) => doc.delete(ROOT, format!("k{}", k % 16)),
            Edit::ListInsert(i, v) => match &list {
                Some(l) => {
                    let len = doc.length(l);
                    doc.insert(l, usize::from(*i) % (len + 1), v.as_str())
                }
                None => Ok(()),
            },
            Edit::TextSplice(i, v) => match &text {
                Some(t) => {
                    let len = doc.length(t);
                    doc.splice_text(t, usize::from(*i) % (len + 1), 0, v)
                }
                None => Ok(()),
            },
            Edit::Increment(by) => doc.increment(ROOT, "counter", *by),
            Edit::Mark(i) => match &text {
                Some(t) => {
                    let len = doc.length(t);
                    let start = usize::from(*i) % (len + 1);
                    doc.mark(
                        t,
                        automerge::marks::Mark::new("bold".into(), true, start, len),
                        automerge::marks::ExpandMark::After,
                    )
                }
                None => Ok(()),
            },
            Edit::Commit => {
                doc.commit();
                Ok(())
            }
        };
    }
    doc.commit();
}

/// Syncs two documents to quiescence; returns every message sent, in order.
fn sync_pair(a: &mut AutoCommit, b: &mut AutoCommit) -> Vec<Vec<u8>> {
    let (mut sa, mut sb) = (State::new(), State::new());
    let mut sent = Vec::new();
    for _ in 0..32 {
        let from_a = a.sync().generate_sync_message(&mut sa).map(|m| m.encode());
        if let Some(bytes) = &from_a {
            sent.push(bytes.clone());
            let msg = Message::decode(bytes).expect("automerge decodes its own message");
            b.sync()
                .receive_sync_message(&mut sb, msg)
                .expect("receive");
        }
        let from_b = b.sync().generate_sync_message(&mut sb).map(|m| m.encode());
        if let Some(bytes) = &from_b {
            sent.push(bytes.clone());
            let msg = Message::decode(bytes).expect("automerge decodes its own message");
            a.sync()
                .receive_sync_message(&mut sa, msg)
                .expect("receive");
        }
        if from_a.is_none() && from_b.is_none() {
            break;
        }
    }
    sent
}

/// A device document with history and a server document that may be empty
/// (the first upload of an inspection), in sync after [`sync_pair`].
fn peers(
    base: &[Edit],
    device: &[Edit],
    server: &[Edit],
    server_empty: bool,
) -> (AutoCommit, AutoCommit) {
    let mut origin = base_doc();
    apply(&mut origin, base);
    let mut a = origin.fork().with_actor(ActorId::from([0xa1; 16]));
    apply(&mut a, device);
    let b = if server_empty {
        AutoCommit::new().with_actor(ActorId::from([0xb2; 16]))
    } else {
        let mut b = origin.fork().with_actor(ActorId::from([0xb2; 16]));
        apply(&mut b, server);
        b
    };
    (a, b)
}

fn assert_passes(bytes: &[u8]) -> MessageShape {
    let shape = match check(bytes, &Limits::default()) {
        Ok(s) => s,
        Err(e) => panic!("automerge's own message refused ({}): {e}", e.code()),
    };
    let msg = Message::decode(bytes).expect("decodes");
    assert_eq!(msg.encode(), bytes, "round trip");
    shape
}

#[test]
fn a_first_upload_is_a_v2_document_with_deflated_columns() {
    let edits: Vec<Edit> = (0..400)
        .map(|i| match i % 3 {
            0 => Edit::TextSplice(i as u8, "现场检查发现消防通道堵塞".into()),
            1 => Edit::Put(i as u8, i64::from(i)),
            _ => Edit::Commit,
        })
        .collect();
    let (mut a, mut b) = peers(&edits, &edits, &[], true);
    let sent = sync_pair(&mut a, &mut b);
    let shapes: Vec<MessageShape> = sent.iter().map(|m| assert_passes(m)).collect();
    assert_eq!(a.get_heads(), b.get_heads());
    assert!(
        shapes
            .iter()
            .any(|s| s.version == MessageVersion::V2 && s.document_chunks == 1)
    );
    assert!(shapes.iter().any(|s| s.inflated_bytes > 0), "{shapes:?}");
    assert!(shapes.iter().all(|s| s.ops < 20_000));
}

#[test]
fn ops_are_counted() {
    let mut a = AutoCommit::new().with_actor(ActorId::from([0xa1; 16]));
    for i in 0..100 {
        a.put(ROOT, format!("k{i}"), i).expect("put");
    }
    a.commit();
    let mut b = AutoCommit::new().with_actor(ActorId::from([0xb2; 16]));
    let sent = sync_pair(&mut a, &mut b);
    let most = sent.iter().map(|m| assert_passes(m).ops).max();
    assert_eq!(most, Some(100));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Every message automerge writes while two peers sync real documents passes
    /// the guard and round-trips (v1 change lists and v2 whole documents).
    #[test]
    fn automerge_messages_pass(
        base in prop::collection::vec(edit(), 0..30),
        device in prop::collection::vec(edit(), 0..60),
        server in prop::collection::vec(edit(), 0..30),
        later in prop::collection::vec(edit(), 0..20),
        server_empty in any::<bool>(),
    ) {
        let (mut a, mut b) = peers(&base, &device, &server, server_empty);
        let mut sent = sync_pair(&mut a, &mut b);
        prop_assert_eq!(a.get_heads(), b.get_heads());
        // Edits after a first sync: incremental messages with bloom filters.
        apply(&mut a, &later);
        sent.extend(sync_pair(&mut a, &mut b));
        prop_assert_eq!(a.get_heads(), b.get_heads());
        for m in &sent {
            assert_passes(m);
        }
    }

    /// Whatever passes the guard decodes, and applies to a document fork and
    /// answers without a panic, with bloom parameters within the limits.
    #[test]
    fn whatever_passes_is_safe_for_automerge(
        base in prop::collection::vec(edit(), 0..20),
        device in prop::collection::vec(edit(), 0..30),
        mutations in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 0..4),
        which in any::<prop::sample::Index>(),
    ) {
        let (mut a, mut b) = peers(&base, &device, &[], false);
        let server = b.fork();
        let sent = sync_pair(&mut a, &mut b);
        let mut bytes = which.get(&sent).clone();
        for (at, value, kind) in mutations {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match kind {
                0 => bytes[i] = value,
                1 => bytes.insert(i, value),
                2 => { bytes.remove(i); }
                _ => bytes.truncate(i),
            }
        }
        let limits = Limits::default();
        if check(&bytes, &limits).is_ok() {
            let msg = Message::decode(&bytes);
            prop_assert!(msg.is_ok(), "passed the guard but does not decode");
            let msg = msg.expect("checked");
            let json = serde_json::to_value(&msg).expect("serialises");
            for have in json["have"].as_array().into_iter().flatten() {
                let probes = have["bloom"]["num_probes"].as_u64().unwrap_or(0);
                prop_assert!(probes <= u64::from(limits.max_bloom_probes));
            }
            let mut fork = server.clone();
            let mut state = State::new();
            let _ = fork.sync().receive_sync_message(&mut state, msg);
            let _ = fork.sync().generate_sync_message(&mut state);
        }
    }

    /// Random bytes never panic the guard.
    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = check(&bytes, &Limits::default());
    }
}

/// What the guard read before it reused one inflater (issue 19): a fresh buffered
/// decoder, capped by `take`.
fn inflate_reference(data: &[u8], limit: u64) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::bufread::DeflateDecoder::new(data)
        .take(limit)
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// The reused inflater reads exactly what a fresh capped decoder reads, from
    /// whole, truncated, damaged and padded streams, at any cap, one after another.
    #[test]
    fn inflate_capped_reads_what_the_decoder_reads(
        cases in prop::collection::vec(
            (
                prop::collection::vec(0u8..4, 0..3000),
                0usize..4,
                any::<prop::sample::Index>(),
                any::<u8>(),
                0u64..8000,
            ),
            1..6,
        ),
    ) {
        let mut inflater = flate2::Decompress::new(false);
        for (plain, damage, at, byte, limit) in cases {
            let mut data = deflate(&plain);
            match damage {
                0 => {}
                1 => data.truncate(at.index(data.len() + 1)),
                2 => {
                    let i = at.index(data.len());
                    data[i] ^= byte | 1;
                }
                _ => data.extend([byte; 7]),
            }
            let got = inflate_capped(&mut inflater, &data, limit);
            prop_assert_eq!(got, inflate_reference(&data, limit));
        }
        let garbage = inflate_capped(&mut inflater, &[0xff; 16], 100);
        prop_assert_eq!(garbage, inflate_reference(&[0xff; 16], 100));
    }
}
