//! Drafting a decision on the phone, offline, and syncing it (R-LEGAL-1): a real
//! server process on loopback and real device stores. The draft made offline
//! reaches the server in the officer's name; an edit on the web and an edit on the
//! phone made meanwhile merge field by field on both sides; the phone learns the
//! workflow status (审核中, 已作出决定). Forged, foreign, corrupt, oversized and
//! too-late drafts are refused one by one with a reason, and the phone keeps every
//! change it made.

use automerge::ActorId;
use liuhen_core::CoreError;
use liuhen_core::draft_doc::{DraftDoc, DraftMeta};
use liuhen_core::drafting::DraftSyncState;
use liuhen_core::legal::DraftContent;
use liuhen_core::sync::protocol::{
    DocStatus, DraftPush, MAX_DRAFT_BYTES, MAX_DRAFTS_PER_REQUEST, PROTOCOL_VERSION, SYNC_PATH,
    SyncRequest, SyncResponse,
};
use liuhen_e2e::{Device, TestServer};
use serde_json::{Value, json};

const O1: &str = "qy-zf-001";

fn content(title: &str, fine_yuan: i64) -> DraftContent {
    serde_json::from_value(json!({
        "kind": "penalty",
        "title": title,
        "category": "生态环境",
        "party_kind": "company",
        "party_name": "清远市鑫达陶瓷有限公司",
        "party_code": "91441802MA53XKP2R7",
        "legal_basis": "《大气污染防治法》第九十九条",
        "facts": "颗粒物超标排放",
        "discretion": "一般情节",
        "conclusion": "罚款",
        "fine_fen": fine_yuan * 100,
        "revocation": false, "suspension": false, "major_coercion": false,
        "hearing_held": false, "crime_suspected": false, "public_interest": false,
        "social_risk": false, "complex": false,
        "confidential": "",
        "inspection_ids": [],
        "evidence": []
    }))
    .expect("draft content")
}

fn api(
    server: &TestServer,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = reqwest::blocking::Client::new()
        .request(method, format!("{}{path}", server.base_url))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(Value::Null))
}

fn get(server: &TestServer, token: &str, path: &str) -> Value {
    let (s, v) = api(server, token, reqwest::Method::GET, path, None);
    assert_eq!(s, 200, "{path}: {v}");
    v
}

/// A device enrolled as officer 001 with its roster (needed to draft).
fn phone(server: &TestServer) -> Device {
    let mut d = Device::enrolled(server, O1);
    d.sync();
    d
}

/// Sends a raw sync request carrying only `drafts`, with the phone's token.
fn push(server: &TestServer, phone: &Device, drafts: Vec<DraftPush>) -> (u16, Value) {
    let req = SyncRequest {
        protocol: PROTOCOL_VERSION,
        device_time: chrono::Utc::now(),
        roster_version: None,
        docs: vec![],
        log: vec![],
        drafts,
        offer_since: None,
    };
    let resp = reqwest::blocking::Client::new()
        .post(format!("{}{SYNC_PATH}", server.base_url))
        .bearer_auth(phone.token())
        .json(&req)
        .send()
        .expect("sync request");
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(Value::Null))
}

fn server_has(server: &TestServer, id: &str) -> bool {
    let c = rusqlite::Connection::open(server.data_dir.join("liuhen-server.db")).unwrap();
    c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    c.query_row(
        "SELECT COUNT(*) FROM legal_drafts WHERE id = ?1",
        [id],
        |r| r.get::<_, i64>(0),
    )
    .unwrap()
        > 0
}

#[test]
fn a_draft_made_offline_reaches_the_server_and_merges_with_the_web_both_ways() {
    let server = TestServer::start_demo();
    let mut p = phone(&server);
    let user = p.core.enrolled_user().unwrap().expect("enrolled user id");

    // Offline: made and edited on the phone, pending.
    let id = p
        .core
        .create_draft(O1, &content("关于鑫达陶瓷超标排放的处罚决定", 20_000))
        .unwrap();
    let d = p.core.draft(&id).unwrap();
    assert_eq!(d.sync.state, DraftSyncState::Pending);
    assert_eq!(d.meta.created_by, user);
    let mut c = d.content.clone();
    c.discretion = "一般情节，首次违法".into();
    assert!(p.core.edit_draft(&id, O1, &d.heads, &c).unwrap());
    // The same content again changes nothing.
    let d = p.core.draft(&id).unwrap();
    assert!(!p.core.edit_draft(&id, O1, &d.heads, &c).unwrap());

    let report = p.sync();
    assert_eq!(report.drafts_synced, vec![id.clone()], "{report:?}");
    assert!(report.drafts_refused.is_empty(), "{report:?}");
    let d = p.core.draft(&id).unwrap();
    assert_eq!(d.sync.state, DraftSyncState::Synced);
    assert_eq!(d.sync.server_label.as_deref(), Some("起草中"));

    // On the server: in the officer's name, with the device in the audit trail.
    let token = server.login(O1);
    let detail = get(&server, &token, &format!("/api/v1/legal/drafts/{id}"));
    assert_eq!(detail["content"]["discretion"], "一般情节，首次违法");
    assert_eq!(detail["draft"]["created_by"], user.as_str(), "{detail}");
    let created = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "created")
        .expect("created event")
        .clone();
    assert_eq!(created["detail"]["source"], "device", "{created}");

    // Meanwhile: the web changes the legal basis, the phone (offline) the facts.
    let mut web = serde_json::to_value(&d.content).unwrap();
    web["legal_basis"] = json!("《大气污染防治法》第九十九条第（二）项");
    let (s, b) = api(
        &server,
        &token,
        reqwest::Method::PUT,
        &format!("/api/v1/legal/drafts/{id}"),
        Some(json!({ "base_heads": detail["draft"]["heads"], "content": web })),
    );
    assert_eq!(s, 200, "{b}");
    let mut c = d.content.clone();
    c.facts = "颗粒物超标排放 2.1 倍，持续两日".into();
    assert!(p.core.edit_draft(&id, O1, &d.heads, &c).unwrap());

    let report = p.sync();
    assert_eq!(report.drafts_received, vec![id.clone()], "{report:?}");
    let d = p.core.draft(&id).unwrap();
    assert_eq!(d.sync.state, DraftSyncState::Synced);
    assert_eq!(d.content.facts, "颗粒物超标排放 2.1 倍，持续两日");
    assert_eq!(
        d.content.legal_basis,
        "《大气污染防治法》第九十九条第（二）项"
    );
    let detail = get(&server, &token, &format!("/api/v1/legal/drafts/{id}"));
    assert_eq!(
        detail["content"]["facts"],
        "颗粒物超标排放 2.1 倍，持续两日"
    );
    assert_eq!(
        detail["content"]["legal_basis"],
        "《大气污染防治法》第九十九条第（二）项"
    );
    let mut heads: Vec<String> = serde_json::from_value(detail["draft"]["heads"].clone()).unwrap();
    heads.sort();
    assert_eq!(heads, d.heads, "both sides converged");

    // Submitted on the web: the phone learns it is in review.
    let (s, b) = api(
        &server,
        &token,
        reqwest::Method::POST,
        &format!("/api/v1/legal/drafts/{id}/submit"),
        Some(json!({ "note": "" })),
    );
    assert_eq!(s, 200, "{b}");
    p.sync();
    let d = p.core.draft(&id).unwrap();
    assert_eq!(d.sync.server_status.as_deref(), Some("in_review"));
    assert_eq!(d.sync.server_label.as_deref(), Some("审核中"));

    // Every drafting step is in the phone's signed log, which reached the server.
    let actions: Vec<String> = p
        .core
        .store()
        .log_entries(None)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions.iter().filter(|a| a.starts_with("draft_")).count(),
        3,
        "{actions:?}"
    );
}

#[test]
fn bad_drafts_are_refused_one_by_one_and_the_phone_keeps_its_changes() {
    let server = TestServer::start_demo();
    let mut p = phone(&server);
    let user = p.core.enrolled_user().unwrap().expect("enrolled user id");
    let agency = p.core.roster().unwrap().agency.id;
    let meta = |id: &str, by: &str| DraftMeta {
        id: id.into(),
        agency_id: agency.clone(),
        created_by: by.into(),
        created_at: chrono::Utc::now(),
    };

    // Written by another actor than the phone's: forged.
    let forged_id = uuid::Uuid::now_v7().to_string();
    let mut forged = DraftDoc::create(
        ActorId::random(),
        &meta(&forged_id, &user),
        &content("冒名", 100),
    )
    .unwrap();
    // In someone else's name (made with the phone's actor).
    let foreign_id = uuid::Uuid::now_v7().to_string();
    let mut foreign = DraftDoc::create(
        p.core.device().actor.clone(),
        &meta(&foreign_id, "someone-else"),
        &content("他人名义", 100),
    )
    .unwrap();
    let corrupt_id = uuid::Uuid::now_v7().to_string();
    let big_id = uuid::Uuid::now_v7().to_string();
    let drafts = vec![
        DraftPush {
            id: forged_id.clone(),
            heads: forged.heads_hex(),
            doc: Some(forged.save()),
        },
        DraftPush {
            id: foreign_id.clone(),
            heads: foreign.heads_hex(),
            doc: Some(foreign.save()),
        },
        DraftPush {
            id: corrupt_id.clone(),
            heads: vec![],
            doc: Some(b"not an automerge document".to_vec()),
        },
        DraftPush {
            id: big_id.clone(),
            heads: vec![],
            doc: Some(vec![0u8; MAX_DRAFT_BYTES + 1]),
        },
        // Heads only, for a draft the server never had.
        DraftPush {
            id: uuid::Uuid::now_v7().to_string(),
            heads: vec![],
            doc: None,
        },
    ];
    let (s, v) = push(&server, &p, drafts);
    assert_eq!(s, 200, "{v}");
    let resp: SyncResponse = serde_json::from_value(v).unwrap();
    let by_id = |id: &str| {
        resp.drafts
            .iter()
            .find(|r| r.id == id)
            .expect("reply")
            .clone()
    };
    let r = by_id(&forged_id);
    assert_eq!(r.status, DocStatus::Forbidden);
    assert!(r.reason.unwrap().contains("不是本设备作出的修改"));
    let r = by_id(&foreign_id);
    assert_eq!(r.status, DocStatus::Forbidden);
    assert!(r.reason.unwrap().contains("登记的账号"));
    let r = by_id(&corrupt_id);
    assert_eq!(r.status, DocStatus::Malformed);
    assert!(r.reason.unwrap().contains("损坏"));
    let r = by_id(&big_id);
    assert_eq!(r.status, DocStatus::Malformed);
    assert!(r.reason.unwrap().contains("过大"));
    assert_eq!(resp.drafts.len(), 5);
    for id in [&forged_id, &foreign_id, &corrupt_id, &big_id] {
        assert!(!server_has(&server, id), "{id} must not be stored");
    }

    // Too many drafts in one request: the whole request is refused, clearly.
    let many = (0..=MAX_DRAFTS_PER_REQUEST)
        .map(|i| DraftPush {
            id: format!("d-{i}"),
            heads: vec![],
            doc: None,
        })
        .collect();
    let (s, v) = push(&server, &p, many);
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["code"], "too_many_drafts");

    // A draft decided on the server takes no more changes from the phone; the
    // phone keeps its edit, shows why, and then refuses further edits itself.
    let id = p
        .core
        .create_draft(O1, &content("关于轻微超标的处罚决定", 1_000))
        .unwrap();
    p.sync();
    let sup = server.login("supervisor");
    let today = liuhen_core::time::local_date(chrono::Utc::now());
    let (s, b) = api(
        &server,
        &sup,
        reqwest::Method::POST,
        &format!("/api/v1/legal/drafts/{id}/decide"),
        Some(json!({ "doc_number": "清环罚〔2026〕901号", "decided_on": today.to_string() })),
    );
    assert_eq!(s, 201, "{b}");
    let d = p.core.draft(&id).unwrap();
    let mut c = d.content.clone();
    c.facts = "决定后补记的事实".into();
    assert!(p.core.edit_draft(&id, O1, &d.heads, &c).unwrap());
    let report = p.sync();
    assert_eq!(report.drafts_refused.len(), 1, "{report:?}");
    assert!(report.drafts_refused[0].1.contains("已作出"), "{report:?}");
    let d = p.core.draft(&id).unwrap();
    assert_eq!(d.sync.state, DraftSyncState::Refused);
    assert_eq!(
        d.content.facts, "决定后补记的事实",
        "the phone keeps its edit"
    );
    assert_eq!(d.sync.server_label.as_deref(), Some("已作出决定"));
    let token = server.login(O1);
    let detail = get(&server, &token, &format!("/api/v1/legal/drafts/{id}"));
    assert_eq!(
        detail["content"]["facts"], "颗粒物超标排放",
        "server copy untouched"
    );
    let again = p
        .core
        .edit_draft(&id, O1, &d.heads, &content("再改", 1_000));
    assert!(
        matches!(again, Err(CoreError::DraftDecided { .. })),
        "{again:?}"
    );
}

#[test]
fn drafting_needs_an_enrolled_account_and_current_heads() {
    let server = TestServer::start_demo();
    let mut p = phone(&server);
    let id = p.core.create_draft(O1, &content("标题", 100)).unwrap();
    let d = p.core.draft(&id).unwrap();
    // Heads the phone never had (a stale screen from another install).
    let stale = vec!["00".repeat(32)];
    let r = p.core.edit_draft(&id, O1, &stale, &d.content);
    assert!(matches!(r, Err(CoreError::StaleDraft { .. })), "{r:?}");
    // A bad value names the field and writes nothing.
    let mut bad = d.content.clone();
    bad.title = "题".repeat(liuhen_core::legal::MAX_TEXT_CHARS + 1);
    let r = p.core.edit_draft(&id, O1, &d.heads, &bad);
    assert!(matches!(r, Err(CoreError::DraftInvalid(_))), "{r:?}");
    assert_eq!(p.core.draft(&id).unwrap().heads, d.heads);
    // Without the enrolled account (an old install), drafting is refused clearly.
    p.core
        .store()
        .set_device_value(liuhen_core::drafting::USER_ID_KEY, b"")
        .unwrap();
    let r = p.core.create_draft(O1, &content("标题", 100));
    assert!(matches!(r, Err(CoreError::NotEnrolled)), "{r:?}");
    assert!(r.unwrap_err().to_string().contains("登记"));
}
