//! Conformance vectors of the documents and the device log (`docs/vectors/`): the
//! schema chain's change bytes, a complete inspection document, a migration, a
//! decision draft and signed device log entries. Each test builds the vector with
//! the Rust implementation and compares it with the committed file, then reads the
//! committed file back the way a third-party client would (apply the bytes, verify
//! the hashes and signatures), so the document (`docs/protocol/`) and the code
//! cannot drift apart.
//!
//! Regenerate after a deliberate change with
//! `LIUHEN_WRITE_VECTORS=1 cargo test -p liuhen-domain --test it vectors::`, then review
//! the diff of `docs/vectors/` and bump the document version if it changed.

use std::path::PathBuf;

use automerge::{
    AutoCommit, Change, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value,
};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use ed25519_dalek::{Signature, SigningKey, Verifier, VerifyingKey};
use serde_json::{Value as Json, json};

use liuhen_domain::audit::{GENESIS_HASH, LogEntry, NewLogEntry, verify_chain};
use liuhen_domain::doc::{
    BASE_SCHEMA_VERSION, InspectionDoc, NewInspection, SCHEMA_VERSION, schema_actor,
    schema_chain_changes, schema_chain_hashes,
};
use liuhen_domain::draft_doc::{DraftDoc, DraftMeta};
use liuhen_domain::inspection::{
    Acknowledgement, Amendment, Closure, EvidenceKind, EvidenceRef, Finding, IdentityNotice,
    InspectionKind, InspectionMeta, InspectionStep, RightsNotice, TeamMember,
};
use liuhen_domain::legal::{DecisionKind, DraftContent, EvidenceLink, PartyKind};

// ---- the fixed identities of every vector -----------------------------------------

/// The vector device's id (a UUID, as enrolment requires).
const DEVICE_ID: &str = "0193a5b0-0000-7000-8000-0000000000d1";
/// The vector device's automerge actor id (16 bytes, hex).
const ACTOR_HEX: &str = "00112233445566778899aabbccddeeff";
/// The secret key of RFC 8032 test 1 (ed25519), so the signatures can be checked
/// with any ed25519 implementation.
const KEY_SEED_HEX: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
/// The demo officer the vectors record as (`core/tests/data/demo-roster.json`).
const OFFICER: &str = "qy-zf-001";
/// The second officer checked in.
const OFFICER2: &str = "qy-zf-002";
/// The inspection of the vectors.
const INSPECTION_ID: &str = "0193a5c0-0000-7000-8000-000000000c01";
/// The draft of the vectors.
const DRAFT_ID: &str = "0193a5d0-0000-7000-8000-0000000000f1";
/// The officer's account id (`user.id` of the enrolment answer): drafts record the
/// account, not the roster officer.
const ACCOUNT_ID: &str = "0193a5a0-0000-7000-8000-0000000000e1";

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors")
}

/// Compares `value` with the committed vector `name`, or rewrites it when
/// `LIUHEN_WRITE_VECTORS=1`. Returns the committed (or written) value.
fn vector(name: &str, value: Json) -> Json {
    let path = vectors_dir().join(name);
    let text = serde_json::to_string_pretty(&value).expect("vector json") + "\n";
    if std::env::var("LIUHEN_WRITE_VECTORS").as_deref() == Ok("1") {
        std::fs::create_dir_all(vectors_dir()).expect("vectors dir");
        std::fs::write(&path, text).expect("write vector");
        return value;
    }
    let committed: Json = serde_json::from_slice(
        &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .expect("committed vector is JSON");
    assert!(
        committed == value,
        "docs/vectors/{name} differs from what the code produces: the document and the \
         implementation drifted apart. If the change is deliberate, regenerate with \
         LIUHEN_WRITE_VECTORS=1 cargo test -p liuhen-domain --test it vectors::, update \
         docs/protocol/ and bump its version.\ncode produces:\n{}",
        serde_json::to_string_pretty(&value).unwrap_or_default()
    );
    committed
}

fn unhex(v: &Json) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("hex")
}

fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, h, m, s).unwrap()
}

fn actor() -> automerge::ActorId {
    automerge::ActorId::from(hex::decode(ACTOR_HEX).unwrap())
}

fn key() -> SigningKey {
    let seed: [u8; 32] = hex::decode(KEY_SEED_HEX).unwrap().try_into().unwrap();
    SigningKey::from_bytes(&seed)
}

/// The content of a blob of the vectors: `LIUHEN-VECTOR-<name>` repeated to `len` bytes.
fn blob(name: &str, len: usize) -> Vec<u8> {
    let unit = format!("LIUHEN-VECTOR-{name}\n").into_bytes();
    unit.iter().copied().cycle().take(len).collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

// ---- a typed dump of an automerge document -----------------------------------------

/// Every value with its automerge type: a map is a JSON object, a list an array,
/// a scalar `{"str": ..}`, `{"int": ..}`, `{"uint": ..}`, `{"f64": ..}`,
/// `{"bool": ..}` or `{"null": null}`, text `{"text": ..}`. Concurrent values show
/// the one automerge picks.
fn typed(doc: &AutoCommit, obj: &ObjId) -> Json {
    let value = |v: Value<'_>, id: ObjId| -> Json {
        match v {
            Value::Object(_) => typed(doc, &id),
            Value::Scalar(s) => match s.as_ref() {
                ScalarValue::Str(s) => json!({ "str": s.to_string() }),
                ScalarValue::Int(i) => json!({ "int": i }),
                ScalarValue::Uint(u) => json!({ "uint": u }),
                ScalarValue::F64(f) => json!({ "f64": f }),
                ScalarValue::Boolean(b) => json!({ "bool": b }),
                ScalarValue::Null => json!({ "null": null }),
                other => json!({ "other": format!("{other:?}") }),
            },
        }
    };
    match doc.object_type(obj).expect("object") {
        ObjType::Map | ObjType::Table => {
            let mut out = serde_json::Map::new();
            for k in doc.keys(obj) {
                if let Some((v, id)) = doc.get(obj, k.as_str()).expect("get") {
                    out.insert(k.clone(), value(v, id));
                }
            }
            Json::Object(out)
        }
        ObjType::List => Json::Array(
            (0..doc.length(obj))
                .filter_map(|i| doc.get(obj, i).expect("get"))
                .map(|(v, id)| value(v, id))
                .collect(),
        ),
        ObjType::Text => json!({ "text": doc.text(obj).expect("text") }),
    }
}

/// Each change of `doc` in causal order: hash, actor, seq, deps, time, message, bytes.
fn changes_of(doc: &mut AutoCommit) -> Vec<Json> {
    doc.get_changes(&[])
        .iter()
        .map(|c| {
            json!({
                "hash": c.hash().to_string(),
                "actor": c.actor_id().to_hex_string(),
                "seq": c.seq(),
                "deps": c.deps().iter().map(|d| d.to_string()).collect::<Vec<_>>(),
                "time": c.timestamp(),
                "message": c.message(),
                "bytes_hex": hex::encode(c.raw_bytes()),
            })
        })
        .collect()
}

fn heads_of(doc: &mut AutoCommit) -> Vec<String> {
    let mut h: Vec<String> = doc.get_heads().iter().map(|h| h.to_string()).collect();
    h.sort();
    h
}

/// Applies the `bytes_hex` of each listed change, in order, to an empty document.
fn apply_changes(list: &Json) -> AutoCommit {
    let mut doc = AutoCommit::new();
    let changes: Vec<Change> = list
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| Change::try_from(unhex(&c["bytes_hex"]).as_slice()).expect("change decodes"))
        .collect();
    for (c, v) in changes.iter().zip(list.as_array().unwrap()) {
        assert_eq!(c.hash().to_string(), v["hash"], "hash of the change bytes");
    }
    doc.apply_changes(changes).expect("apply");
    doc
}

// ---- the schema chain ----------------------------------------------------------------

#[test]
fn schema_chain_vector() {
    let changes = schema_chain_changes().unwrap();
    let hashes = schema_chain_hashes().unwrap();
    assert_eq!(changes.len() as u64, SCHEMA_VERSION);
    let mut chain = AutoCommit::new();
    let mut listed = vec![];
    for (i, bytes) in changes.iter().enumerate() {
        let c = Change::try_from(bytes.as_slice()).unwrap();
        assert_eq!(c.hash(), hashes[i]);
        chain.apply_changes([c.clone()]).unwrap();
        listed.push(json!({
            "version": i + 1,
            "hash": c.hash().to_string(),
            "actor": c.actor_id().to_hex_string(),
            "seq": c.seq(),
            "deps": c.deps().iter().map(|d| d.to_string()).collect::<Vec<_>>(),
            "time": c.timestamp(),
            "message": c.message(),
            "bytes_hex": hex::encode(bytes),
            "document_after": typed(&chain, &ROOT),
        }));
    }
    let committed = vector(
        "schema-chain.json",
        json!({
            "description": "The schema chain of the inspection document (docs/protocol/document.md): one change per schema version by the fixed schema actor at time 0. Apply these exact bytes (in order, up to base_version) to an empty document before the first change of a new inspection; apply the missing ones up to base_version to migrate an older document; apply change 4 before the first check-in or evidence that carries a capture position (accuracy_m, fixed_at).",
            "schema_version": SCHEMA_VERSION,
            "base_version": BASE_SCHEMA_VERSION,
            "schema_actor": schema_actor().to_hex_string(),
            "schema_actor_ascii": "liuhen.schema.cn",
            "changes": listed,
        }),
    );
    // As a client would use it: the committed bytes, applied to an empty document.
    let mut doc = apply_changes(&committed["changes"]);
    assert_eq!(
        doc.get(ROOT, "schema_version")
            .unwrap()
            .and_then(|(v, _)| v.as_i64()),
        Some(SCHEMA_VERSION as i64)
    );
    let last = committed["changes"].as_array().unwrap().last().unwrap();
    assert_eq!(heads_of(&mut doc), vec![last["hash"].as_str().unwrap()]);
    assert_eq!(typed(&doc, &ROOT), last["document_after"]);
}

// ---- a complete inspection -------------------------------------------------------------

fn meta() -> InspectionMeta {
    InspectionMeta {
        id: INSPECTION_ID.into(),
        kind: InspectionKind::Task,
        task_id: Some("QY-2026-SJ-0117".into()),
        agency_id: "qy-sthj".into(),
        agency_name: "清远市生态环境局".into(),
        target_id: "qy-dx-0001".into(),
        target_name: "清远市鑫达陶瓷有限公司".into(),
        target_credit_code: Some("91441802MA53XKP2R7".into()),
        target_address: "清远市清城区源潭镇陶瓷工业园 8 号".into(),
        target_area: "441802".into(),
        target_is_natural_person: false,
        category: "生态环境".into(),
        item_code: "QYHJ-SJ-03".into(),
        item_name: "排污许可证执行情况检查".into(),
        legal_basis: "《排污许可管理条例》".into(),
        opened_at: t(1, 0, 0),
        opened_by: OFFICER.into(),
        device_id: DEVICE_ID.into(),
    }
}

/// The evidence blobs of the inspection vector: (name, kind, media type, step, bytes).
fn blobs() -> Vec<(
    &'static str,
    EvidenceKind,
    &'static str,
    InspectionStep,
    Vec<u8>,
)> {
    vec![
        (
            "notice-audio",
            EvidenceKind::Audio,
            "audio/wav",
            InspectionStep::IdentityNotice,
            blob("notice-audio", 300),
        ),
        (
            "finding-photo",
            EvidenceKind::Photo,
            "image/jpeg",
            InspectionStep::Findings,
            blob("finding-photo", 600),
        ),
        (
            "party-signature",
            EvidenceKind::Signature,
            "image/png",
            InspectionStep::RightsNotice,
            blob("party-signature", 200),
        ),
    ]
}

fn evidence_ref(i: usize, at: DateTime<Utc>) -> EvidenceRef {
    let (_, kind, media_type, step, bytes) = &blobs()[i];
    EvidenceRef {
        sha256: sha256_hex(bytes),
        kind: *kind,
        media_type: media_type.to_string(),
        size_bytes: bytes.len() as u64,
        captured_at: at,
        captured_by: OFFICER.into(),
        device_id: DEVICE_ID.into(),
        step: *step,
        lat: (i == 1).then_some(23.6312),
        lon: (i == 1).then_some(113.2405),
        accuracy_m: None,
        fixed_at: None,
    }
}

/// The inspection vector, one typed-API step per change (as the reference client
/// records them), with the input of each step (`steps` of the vector: what a client
/// in another language writes to reproduce the changes).
fn inspection() -> (InspectionDoc, Vec<Json>) {
    let m = meta();
    let mut steps = vec![json!({ "message": "open", "input": m })];
    let mut d = InspectionDoc::create(actor(), NewInspection { meta: m }).unwrap();
    for (officer, name, cert, at) in [
        (OFFICER, "李明", "44180021001", t(1, 1, 0)),
        (OFFICER2, "陈晓红", "44180021002", t(1, 1, 30)),
    ] {
        let member = TeamMember {
            officer_id: officer.into(),
            name: name.into(),
            certificate_no: cert.into(),
            certificate_valid_until: NaiveDate::from_ymd_opt(2029, 12, 31).unwrap(),
            checked_in_at: at,
            device_id: DEVICE_ID.into(),
            location: None,
        };
        d.add_team_member(&member).unwrap();
        steps.push(json!({ "message": "check_in", "input": member }));
    }
    let audio = evidence_ref(0, t(1, 2, 0));
    d.add_evidence(&audio).unwrap();
    steps.push(json!({ "message": "evidence", "input": audio }));
    let notice = IdentityNotice {
        statement: "我们是清远市生态环境局执法人员李明、陈晓红，执法证件号 44180021001、44180021002，现依法对你单位进行排污许可证执行情况检查，全程录音录像。".into(),
        recording_sha256: audio.sha256.clone(),
        given_at: t(1, 3, 0),
        given_by: OFFICER.into(),
    };
    d.set_identity_notice(&notice).unwrap();
    steps.push(json!({ "message": "identity_notice", "input": notice }));
    let photo = evidence_ref(1, t(1, 10, 0));
    d.add_evidence(&photo).unwrap();
    steps.push(json!({ "message": "evidence", "input": photo }));
    let finding = Finding {
        id: "0193a5c0-0000-7000-8000-0000000000f1".into(),
        text: "危废贮存间标识不全，台账记录缺 11 月 18 日至 19 日。".into(),
        author: OFFICER.into(),
        at: t(1, 11, 0),
        evidence: vec![photo.sha256.clone()],
    };
    d.add_finding(&finding).unwrap();
    steps.push(json!({ "message": "finding", "input": finding }));
    let (fid, text, at) = (
        "0193a5c0-0000-7000-8000-0000000000f1",
        "危废贮存间标识不全，台账记录缺 11 月 18 日、19 日两天。",
        t(1, 12, 0),
    );
    assert!(d.edit_finding(fid, text, at).unwrap());
    steps
        .push(json!({ "message": "edit_finding", "input": { "id": fid, "text": text, "at": at } }));
    let signature = evidence_ref(2, t(1, 20, 0));
    d.add_evidence(&signature).unwrap();
    steps.push(json!({ "message": "evidence", "input": signature }));
    let rights = RightsNotice {
        notice_version: "2026-01".into(),
        remedy_channels: vec![
            "行政复议：清远市人民政府".into(),
            "行政诉讼：清城区人民法院".into(),
        ],
        acknowledgement: Acknowledgement::Signed {
            signer_name: "王某".into(),
            signature_sha256: signature.sha256.clone(),
        },
        given_at: t(1, 21, 0),
        given_by: OFFICER.into(),
    };
    d.set_rights_notice(&rights).unwrap();
    steps.push(json!({ "message": "rights_notice", "input": rights }));
    let closure = Closure {
        closed_at: t(1, 30, 0),
        closed_by: OFFICER.into(),
    };
    d.set_closure(&closure).unwrap();
    steps.push(json!({ "message": "close", "input": closure }));
    let amendment = Amendment {
        id: "0193a5c0-0000-7000-8000-0000000000a1".into(),
        amends: "finding:0193a5c0-0000-7000-8000-0000000000f1".into(),
        text: "补充：当事人当场出示了 11 月 18 日的纸质台账。".into(),
        author: OFFICER.into(),
        at: t(2, 0, 0),
        evidence: vec![],
    };
    d.add_amendment(&amendment).unwrap();
    steps.push(json!({ "message": "amendment", "input": amendment }));
    (d, steps)
}

#[test]
fn inspection_vector() {
    let (mut d, steps) = inspection();
    let read = serde_json::to_value(d.read().unwrap()).unwrap();
    let heads: Vec<String> = {
        let mut h: Vec<String> = d.heads().iter().map(|h| h.to_string()).collect();
        h.sort();
        h
    };
    let saved = d.save();
    let am = d.automerge_mut();
    let changes = changes_of(am);
    let typed_doc = typed(am, &ROOT);
    let blob_list: Vec<Json> = blobs()
        .into_iter()
        .map(|(name, kind, media_type, step, bytes)| {
            json!({
                "name": name,
                "kind": kind.as_str(),
                "media_type": media_type,
                "step": step.as_str(),
                "size_bytes": bytes.len(),
                "sha256": sha256_hex(&bytes),
                "bytes_hex": hex::encode(&bytes),
            })
        })
        .collect();
    let committed = vector(
        "inspection.json",
        json!({
            "description": "A complete, valid inspection (schema 3) recorded by one device for the demo agency: the schema chain (changes 1-3), then one change per step by the device's actor. `steps` is the input of each step after the chain, in order (times RFC 3339; stored as integer milliseconds); `changes` every change with its bytes; `typed` every field with its automerge type; `read` how the reference implementation reads it.",
            "device": { "device_id": DEVICE_ID, "actor_id": ACTOR_HEX, "officer_id": OFFICER },
            "inspection_id": INSPECTION_ID,
            "steps": steps,
            "changes": changes,
            "heads": heads,
            "document_hex": hex::encode(&saved),
            "typed": typed_doc,
            "read": read,
            "blobs": blob_list,
        }),
    );

    // A client's view: apply the committed changes, or load the committed save.
    let mut replayed = apply_changes(&committed["changes"]);
    assert_eq!(json!(heads_of(&mut replayed)), committed["heads"]);
    assert_eq!(typed(&replayed, &ROOT), committed["typed"]);
    let loaded = InspectionDoc::load(&unhex(&committed["document_hex"])).unwrap();
    assert_eq!(
        serde_json::to_value(loaded.read().unwrap()).unwrap(),
        committed["read"]
    );
    // Every change after the chain is the device's, and the chain is byte-identical.
    let chain = schema_chain_hashes().unwrap();
    for c in committed["changes"].as_array().unwrap() {
        let h: ChangeHash = c["hash"].as_str().unwrap().parse().unwrap();
        if chain.contains(&h) {
            assert_eq!(c["actor"], schema_actor().to_hex_string());
        } else {
            assert_eq!(c["actor"], ACTOR_HEX);
        }
    }
    // Blobs: the evidence references are the hashes of the listed bytes.
    for b in committed["blobs"].as_array().unwrap() {
        assert_eq!(sha256_hex(&unhex(&b["bytes_hex"])), b["sha256"]);
    }
}

// ---- migration --------------------------------------------------------------------------

#[test]
fn migration_vector() {
    let mut v1 =
        InspectionDoc::create_at_version(actor(), 1, NewInspection { meta: meta() }).unwrap();
    v1.add_team_member(&TeamMember {
        officer_id: OFFICER.into(),
        name: "李明".into(),
        certificate_no: "44180021001".into(),
        certificate_valid_until: NaiveDate::from_ymd_opt(2029, 12, 31).unwrap(),
        checked_in_at: t(1, 1, 0),
        device_id: DEVICE_ID.into(),
        location: None,
    })
    .unwrap();
    let v1_bytes = v1.save();
    let v1_typed = typed(v1.automerge_mut(), &ROOT);
    let v1_heads = heads_of(v1.automerge_mut());
    let mut migrated = InspectionDoc::load(&v1_bytes).unwrap();
    assert_eq!(migrated.migrate().unwrap(), 1);
    let committed = vector(
        "migration.json",
        json!({
            "description": "A schema-1 inspection (chain change 1, the opening change, one check-in) and the same document after migration: the schema chain's changes 2 and 3 (schema-chain.json) applied to it. Migration adds no change of its own; two devices migrating the same document produce the same heads.",
            "from_version": 1,
            "to_version": BASE_SCHEMA_VERSION,
            "v1_document_hex": hex::encode(&v1_bytes),
            "v1_heads": v1_heads,
            "v1_typed": v1_typed,
            "migrated_heads": heads_of(migrated.automerge_mut()),
            "migrated_typed": typed(migrated.automerge_mut(), &ROOT),
        }),
    );
    // A client's migration: apply the missing chain changes to the committed v1 bytes.
    let chain: Vec<Change> = schema_chain_changes()
        .unwrap()
        .iter()
        .map(|b| Change::try_from(b.as_slice()).unwrap())
        .collect();
    let mut doc = AutoCommit::load(&unhex(&committed["v1_document_hex"])).unwrap();
    assert_eq!(typed(&doc, &ROOT), committed["v1_typed"]);
    doc.apply_changes(chain[1..BASE_SCHEMA_VERSION as usize].to_vec())
        .unwrap();
    assert_eq!(json!(heads_of(&mut doc)), committed["migrated_heads"]);
    assert_eq!(typed(&doc, &ROOT), committed["migrated_typed"]);
}

// ---- the decision draft -----------------------------------------------------------------

#[test]
fn draft_vector() {
    let meta = DraftMeta {
        id: DRAFT_ID.into(),
        agency_id: "qy-sthj".into(),
        created_by: ACCOUNT_ID.into(),
        created_at: t(3, 0, 0),
    };
    let mut content = DraftContent::empty(DecisionKind::Penalty);
    content.title = "关于清远市鑫达陶瓷有限公司危废管理不规范的行政处罚决定".into();
    content.category = "生态环境".into();
    content.party_kind = PartyKind::Company;
    content.party_name = "清远市鑫达陶瓷有限公司".into();
    content.party_code = "91441802MA53XKP2R7".into();
    content.legal_basis = "《中华人民共和国固体废物污染环境防治法》第一百一十二条".into();
    content.facts = "2026 年 11 月 20 日现场检查发现危废贮存间标识不全。".into();
    content.fine_fen = Some(5_000_000);
    content.inspection_ids = vec![INSPECTION_ID.into()];
    let photo = evidence_ref(1, t(1, 10, 0));
    content.evidence = vec![EvidenceLink {
        inspection_id: INSPECTION_ID.into(),
        sha256: photo.sha256,
        note: "危废贮存间现场照片".into(),
    }];
    let mut d = DraftDoc::create(actor(), &meta, &content).unwrap();
    let saved = d.save();
    let heads = d.heads_hex();
    let mut am = AutoCommit::load(&saved).unwrap();
    let committed = vector(
        "draft.json",
        json!({
            "description": "A decision draft (docs/protocol/draft-document.md) made on a device: one change by the device's actor. `push` is the `drafts` entry of the sync request that sends it.",
            "device": { "device_id": DEVICE_ID, "actor_id": ACTOR_HEX, "account_id": ACCOUNT_ID },
            "draft_id": DRAFT_ID,
            "changes": changes_of(&mut am),
            "heads": heads,
            "document_hex": hex::encode(&saved),
            "typed": typed(&am, &ROOT),
            "push": {
                "id": DRAFT_ID,
                "heads": heads,
                "doc": base64_std(&saved),
            },
        }),
    );
    let loaded = DraftDoc::load(&unhex(&committed["document_hex"])).unwrap();
    assert_eq!(loaded.read().unwrap(), content);
    assert_eq!(loaded.meta().unwrap(), meta);
    let replayed = apply_changes(&committed["changes"]);
    assert_eq!(typed(&replayed, &ROOT), committed["typed"]);
}

fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

// ---- the device log ---------------------------------------------------------------------

fn log_inputs() -> Vec<NewLogEntry> {
    let heads = |n: usize| -> Vec<String> {
        let (mut d, _) = inspection();
        let am = d.automerge_mut();
        let hashes: Vec<String> = am
            .get_changes(&[])
            .iter()
            .map(|c| c.hash().to_string())
            .collect();
        vec![hashes[n].clone()]
    };
    let photo = evidence_ref(1, t(1, 10, 0));
    vec![
        NewLogEntry {
            at: DateTime::from_timestamp_millis(1_795_136_340_123).unwrap(),
            officer_id: DEVICE_ID.into(),
            inspection_id: None,
            action: "roster_refresh".into(),
            // Keys out of order on purpose: the canonical form sorts them.
            detail: json!({ "tasks": 3, "officers": 4, "targets": 12 }),
            evidence: vec![],
            doc_heads: vec![],
        },
        NewLogEntry {
            at: t(1, 0, 0),
            officer_id: OFFICER.into(),
            inspection_id: Some(INSPECTION_ID.into()),
            action: "open".into(),
            detail: json!({ "task_id": "QY-2026-SJ-0117", "target_id": "qy-dx-0001" }),
            evidence: vec![],
            doc_heads: heads(3),
        },
        NewLogEntry {
            at: t(1, 10, 0),
            officer_id: OFFICER.into(),
            inspection_id: Some(INSPECTION_ID.into()),
            action: "evidence".into(),
            detail: json!({
                "kind": "photo",
                "step": "findings",
                "media_type": "image/jpeg",
                "note": "“危废”\t贮存间 \u{1F4F7}",
                "size_bytes": 600,
                "gps": { "lon": "113.2405", "lat": "23.6312" },
            }),
            evidence: vec![photo.sha256.clone()],
            doc_heads: heads(8),
        },
    ]
}

#[test]
fn device_log_vector() {
    let key = key();
    let mut entries: Vec<LogEntry> = vec![];
    for new in log_inputs() {
        let prev = entries.last().map(|e| (e.seq, e.hash.clone()));
        entries.push(LogEntry::seal(new, prev, DEVICE_ID, &key));
    }
    let listed: Vec<Json> = entries
        .iter()
        .map(|e| {
            let canonical = e.canonical_bytes();
            json!({
                "entry": serde_json::to_value(e).unwrap(),
                "canonical": String::from_utf8(canonical.clone()).unwrap(),
                "canonical_hex": hex::encode(&canonical),
                "hash": e.hash,
                "signature": e.signature,
            })
        })
        .collect();
    let committed = vector(
        "device-log.json",
        json!({
            "description": "Three chained, signed device log entries (docs/protocol/device-log.md). `entry` is the JSON as sent in the sync request's `log`; `canonical` the exact text whose SHA-256 is `hash` (UTF-8, `canonical_hex` its bytes); `signature` the ed25519 signature of the ASCII bytes of `hash` with the RFC 8032 test-1 key.",
            "device_id": DEVICE_ID,
            "secret_key_seed_hex": KEY_SEED_HEX,
            "public_key_hex": hex::encode(key.verifying_key().as_bytes()),
            "genesis_prev_hash": GENESIS_HASH,
            "entries": listed,
        }),
    );

    // A verifier's view of the committed entries.
    let public: [u8; 32] = unhex(&committed["public_key_hex"]).try_into().unwrap();
    let public = VerifyingKey::from_bytes(&public).unwrap();
    let mut parsed = vec![];
    for v in committed["entries"].as_array().unwrap() {
        let e: LogEntry = serde_json::from_value(v["entry"].clone()).unwrap();
        assert_eq!(
            e.canonical_bytes(),
            v["canonical"].as_str().unwrap().as_bytes()
        );
        assert_eq!(e.canonical_bytes(), unhex(&v["canonical_hex"]));
        assert_eq!(sha256_hex(&e.canonical_bytes()), v["hash"]);
        assert_eq!(e.compute_hash(), e.hash);
        let sig = Signature::from_slice(&unhex(&v["signature"])).unwrap();
        public.verify(e.hash.as_bytes(), &sig).unwrap();
        parsed.push(e);
    }
    verify_chain(&parsed, &public).unwrap();
}
