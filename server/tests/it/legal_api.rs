//! Legal review of major decisions through the JSON API of a real server process
//! (R-LEGAL-1..7): the server itself refuses a major decision without a passed
//! review, a reviewer reviewing their own draft, a second opinion on a version, an
//! approval of content changed after submission, a second extension; a catalogue
//! edit leaves drafts under review with the version that classified them; every
//! step lands in the audit trail.

use crate::common;

use common::legal::{Api, checks, content};
use common::{DEMO_PASSWORD, TestServer};
use serde_json::{Value, json};

fn create(api: &Api<'_>, title: &str, fine_yuan: i64) -> (String, Vec<String>) {
    let (s, b) = api.post(
        "/api/v1/legal/drafts",
        &json!({"content": content(title, fine_yuan)}),
    );
    assert_eq!(s, 201, "{b}");
    let heads = b["heads"]
        .as_array()
        .expect("heads")
        .iter()
        .map(|h| h.as_str().expect("hex").to_string())
        .collect();
    (b["id"].as_str().expect("id").to_string(), heads)
}

fn decide(api: &Api<'_>, id: &str, doc: &str) -> (u16, Value) {
    let today = liuhen_core::time::local_date(chrono::Utc::now());
    api.post(
        &format!("/api/v1/legal/drafts/{id}/decide"),
        &json!({"doc_number": doc, "decided_on": today.to_string()}),
    )
}

#[test]
fn r_legal_1_a_major_fine_cannot_be_decided_through_the_api_without_approval() {
    let server = TestServer::start(true);
    let sup = Api::login(&server, "supervisor");
    let legal = Api::login(&server, "legal");

    // ¥80,000 is above the demo catalogue's ¥50,000: major (R-LEGAL-2).
    let (id, heads) = create(&sup, "超标排放处罚", 80_000);
    let (s, b) = decide(&sup, &id, "清环罚〔2026〕101号");
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["code"], "legal_review_required");
    assert!(
        b["message"].as_str().unwrap_or("").contains("R-LEGAL-1"),
        "{b}"
    );

    let (s, b) = sup.post(
        &format!("/api/v1/legal/drafts/{id}/submit"),
        &json!({"note": "请审核"}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["version"], 1);
    assert_eq!(b["triggers"], json!(["large_fine"]));
    // Under review: still refused.
    let (s, b) = decide(&sup, &id, "清环罚〔2026〕101号");
    assert_eq!(
        (s, b["code"].as_str()),
        (409, Some("legal_review_required")),
        "{b}"
    );

    // Problems found → returned → still refused.
    let (s, b) = legal.post(
        &format!("/api/v1/legal/drafts/{id}/review"),
        &json!({"version": 1, "checks": checks(Some("facts_evidence")), "opinion": "problems", "opinion_text": "缺少监测报告"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = decide(&sup, &id, "清环罚〔2026〕101号");
    assert_eq!(
        (s, b["code"].as_str()),
        (409, Some("legal_review_required")),
        "{b}"
    );

    // Amend and resubmit; the next review sees what changed.
    let mut amended = content("超标排放处罚", 80_000);
    amended["facts"] = json!("颗粒物超标排放（监测报告 QYJC-1108）");
    let (s, b) = sup.put(
        &format!("/api/v1/legal/drafts/{id}"),
        &json!({"base_heads": heads, "content": amended}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["changes"][0]["field"], "facts");
    let (s, b) = sup.post(&format!("/api/v1/legal/drafts/{id}/submit"), &json!({}));
    assert_eq!((s, b["version"].as_u64()), (200, Some(2)), "{b}");
    let (_, detail) = legal.get(&format!("/api/v1/legal/drafts/{id}"));
    let changed: Vec<&str> = detail["changes_since_last_review"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["field"].as_str())
        .collect();
    assert_eq!(changed, vec!["facts"]);

    // Approve with a failed item is refused (R-LEGAL-3/4); with all passed it goes.
    let (s, b) = legal.post(
        &format!("/api/v1/legal/drafts/{id}/review"),
        &json!({"version": 2, "checks": checks(Some("documents")), "opinion": "approve"}),
    );
    assert_eq!(s, 400, "{b}");
    let (s, b) = legal.post(
        &format!("/api/v1/legal/drafts/{id}/review"),
        &json!({"version": 2, "checks": checks(None), "opinion": "approve", "opinion_text": "同意"}),
    );
    assert_eq!(s, 200, "{b}");

    // A second approval of the same version is refused and writes nothing.
    let (s, b) = legal.post(
        &format!("/api/v1/legal/drafts/{id}/review"),
        &json!({"version": 2, "checks": checks(None), "opinion": "approve", "opinion_text": "同意"}),
    );
    assert_eq!(s, 409, "{b}");
    assert!(
        b["message"].as_str().unwrap_or("").contains("不能重复审核"),
        "{b}"
    );

    let (s, b) = decide(&sup, &id, "清环罚〔2026〕101号");
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["major"], true);
    assert_eq!(b["reviewed_version"], 2);
    // Decided once.
    let (s, _) = decide(&sup, &id, "清环罚〔2026〕102号");
    assert_eq!(s, 409);

    // The audit trail has every step with who.
    let (_, detail) = sup.get(&format!("/api/v1/legal/drafts/{id}"));
    let kinds: Vec<&str> = detail["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    for k in ["created", "submitted", "opinion", "edited", "decided"] {
        assert!(kinds.contains(&k), "missing {k} in {kinds:?}");
    }
    assert_eq!(detail["reviews"].as_array().map(Vec::len), Some(2));
    assert!(
        detail["events"]
            .as_array()
            .expect("events")
            .iter()
            .all(|e| e["by_name"].as_str().is_some_and(|n| !n.is_empty()))
    );
}

#[test]
fn r_legal_1_an_approval_of_a_version_changed_after_submission_is_refused() {
    let server = TestServer::start(true);
    let sup = Api::login(&server, "supervisor");
    let legal = Api::login(&server, "legal");
    let (id, heads) = create(&sup, "变更后审核", 90_000);
    sup.post(&format!("/api/v1/legal/drafts/{id}/submit"), &json!({}));
    let (s, _) = legal.post(
        &format!("/api/v1/legal/drafts/{id}/review/start"),
        &json!({}),
    );
    assert_eq!(s, 204);
    // The unit changes the fine while the review is under way.
    let mut changed = content("变更后审核", 90_000);
    changed["fine_fen"] = json!(120_000 * 100);
    let (s, _) = sup.put(
        &format!("/api/v1/legal/drafts/{id}"),
        &json!({"base_heads": heads, "content": changed}),
    );
    assert_eq!(s, 200);
    let (s, b) = legal.post(
        &format!("/api/v1/legal/drafts/{id}/review"),
        &json!({"version": 1, "checks": checks(None), "opinion": "approve", "opinion_text": "同意"}),
    );
    assert_eq!((s, b["code"].as_str()), (409, Some("stale")), "{b}");
    assert!(
        b["message"].as_str().unwrap_or("").contains("罚款金额"),
        "{b}"
    );
    let (_, detail) = sup.get(&format!("/api/v1/legal/drafts/{id}"));
    assert_eq!(detail["reviews"], json!([]), "nothing written");
    assert_eq!(detail["draft"]["status"], "in_review");
    let (s, b) = decide(&sup, &id, "清环罚〔2026〕103号");
    assert_eq!(
        (s, b["code"].as_str()),
        (409, Some("legal_review_required"))
    );
}

#[test]
fn r_legal_3_a_reviewer_never_reviews_a_draft_they_drafted() {
    let server = TestServer::start(true);
    let admin = Api::login(&server, "admin");
    let (s, b) = admin.post(
        "/api/v1/admin/users",
        &json!({"login": "legal2", "name": "第二审核员", "role": "legal_reviewer", "password": DEMO_PASSWORD}),
    );
    assert!(s == 200 || s == 201, "{b}");
    let legal = Api::login(&server, "legal");
    let legal2 = Api::login(&server, "legal2");
    // A matter of the legal office itself: drafted by a reviewer.
    let (id, _) = create(&legal, "法制机构承办事项", 60_000);
    let (s, _) = legal.post(&format!("/api/v1/legal/drafts/{id}/submit"), &json!({}));
    assert_eq!(s, 200);
    let (s, b) = legal.post(
        &format!("/api/v1/legal/drafts/{id}/review"),
        &json!({"version": 1, "checks": checks(None), "opinion": "approve", "opinion_text": "同意"}),
    );
    assert_eq!(s, 403, "{b}");
    assert!(
        b["message"].as_str().unwrap_or("").contains("R-LEGAL-3"),
        "{b}"
    );
    let (s, _) = legal.post(
        &format!("/api/v1/legal/drafts/{id}/review/start"),
        &json!({}),
    );
    assert_eq!(s, 403);
    // Another reviewer may.
    let (s, b) = legal2.post(
        &format!("/api/v1/legal/drafts/{id}/review"),
        &json!({"version": 1, "checks": checks(None), "opinion": "approve", "opinion_text": "同意"}),
    );
    assert_eq!(s, 200, "{b}");
    // A supervisor is not a reviewer at all.
    let sup = Api::login(&server, "supervisor");
    let (id2, _) = create(&sup, "督查员起草", 60_000);
    sup.post(&format!("/api/v1/legal/drafts/{id2}/submit"), &json!({}));
    let (s, _) = sup.post(
        &format!("/api/v1/legal/drafts/{id2}/review"),
        &json!({"version": 1, "checks": checks(None), "opinion": "approve"}),
    );
    assert_eq!(s, 403);
}

#[test]
fn r_legal_2_a_catalogue_edit_leaves_drafts_under_review_with_their_version() {
    let server = TestServer::start(true);
    let sup = Api::login(&server, "supervisor");
    let admin = Api::login(&server, "admin");
    let legal = Api::login(&server, "legal");
    let (id, _) = create(&sup, "目录变更前提交", 60_000);
    let (_, b) = sup.post(&format!("/api/v1/legal/drafts/{id}/submit"), &json!({}));
    assert_eq!(b["catalogue_version"], 1);
    assert_eq!(b["triggers"], json!(["large_fine"]));

    // The admin raises the threshold to ¥100,000: ¥60,000 would not be major now.
    let (s, b) = admin.put(
        "/api/v1/legal/catalogue",
        &json!({"catalogue": {"triggers": ["revocation", "large_fine"], "fine_threshold_fen": 10_000_000, "other_items": []}, "note": "提高罚款标准"}),
    );
    assert_eq!((s, b["version"].as_u64()), (200, Some(2)), "{b}");
    // Non-admins cannot edit it; a negative threshold is refused.
    let (s, _) = sup.put(
        "/api/v1/legal/catalogue",
        &json!({"catalogue": {"triggers": [], "fine_threshold_fen": 0, "other_items": []}, "note": "x"}),
    );
    assert_eq!(s, 403);
    let (s, _) = admin.put(
        "/api/v1/legal/catalogue",
        &json!({"catalogue": {"triggers": [], "fine_threshold_fen": -1, "other_items": []}, "note": "x"}),
    );
    assert_eq!(s, 400);

    // The draft under review keeps version 1: still major, still needs approval.
    let (_, detail) = sup.get(&format!("/api/v1/legal/drafts/{id}"));
    assert_eq!(detail["draft"]["catalogue_version"], 1);
    assert_eq!(detail["classification"], json!([1, ["large_fine"]]));
    let (s, b) = decide(&sup, &id, "清环罚〔2026〕104号");
    assert_eq!(
        (s, b["code"].as_str()),
        (409, Some("legal_review_required")),
        "{b}"
    );
    assert!(
        b["message"].as_str().unwrap_or("").contains("第 1 版"),
        "{b}"
    );

    // A new draft is classified by version 2: ¥60,000 is not major, decided directly.
    let (id2, _) = create(&sup, "目录变更后起草", 60_000);
    let (s, b) = decide(&sup, &id2, "清环罚〔2026〕105号");
    assert_eq!(s, 201, "{b}");
    assert_eq!(
        (b["major"].as_bool(), b["catalogue_version"].as_u64()),
        (Some(false), Some(2))
    );

    // The first one goes through review and is decided with version 1 recorded.
    legal.post(
        &format!("/api/v1/legal/drafts/{id}/review"),
        &json!({"version": 1, "checks": checks(None), "opinion": "approve", "opinion_text": "同意"}),
    );
    let (s, b) = decide(&sup, &id, "清环罚〔2026〕104号");
    assert_eq!(s, 201, "{b}");
    assert_eq!(
        (b["major"].as_bool(), b["catalogue_version"].as_u64()),
        (Some(true), Some(1))
    );
    // A document number is unique in the agency.
    let (id3, _) = create(&sup, "重复文号", 1_000);
    let (s, b) = decide(&sup, &id3, "清环罚〔2026〕104号");
    assert_eq!(s, 409, "{b}");
}

#[test]
fn r_legal_5_one_extension_with_a_leader_and_r_legal_7_disputes_are_coordinated() {
    let server = TestServer::start(true);
    let sup = Api::login(&server, "supervisor");
    let legal = Api::login(&server, "legal");
    let admin = Api::login(&server, "admin");
    let (id, _) = create(&sup, "复杂案件", 200_000);
    sup.post(&format!("/api/v1/legal/drafts/{id}/submit"), &json!({}));
    let (_, d) = legal.get(&format!("/api/v1/legal/drafts/{id}"));
    let due_before = d["draft"]["deadline"]["due"]
        .as_str()
        .expect("due")
        .to_string();

    // Only a reviewer asks, only a leader approves, only once.
    let (s, _) = sup.post(
        &format!("/api/v1/legal/drafts/{id}/extension"),
        &json!({"reason": "x"}),
    );
    assert_eq!(s, 403);
    let (s, _) = legal.post(
        &format!("/api/v1/legal/drafts/{id}/extension"),
        &json!({"reason": "涉及多个法律关系"}),
    );
    assert_eq!(s, 204);
    let (s, _) = legal.post(
        &format!("/api/v1/legal/drafts/{id}/extension/approve"),
        &json!({"note": "同意"}),
    );
    assert_eq!(s, 403);
    let (s, _) = admin.post(
        &format!("/api/v1/legal/drafts/{id}/extension/approve"),
        &json!({"note": "同意延长"}),
    );
    assert_eq!(s, 204);
    let (s, b) = legal.post(
        &format!("/api/v1/legal/drafts/{id}/extension"),
        &json!({"reason": "再次"}),
    );
    assert_eq!(s, 409, "{b}");
    assert!(b["message"].as_str().unwrap_or("").contains("R-LEGAL-5"));
    let (_, d) = legal.get(&format!("/api/v1/legal/drafts/{id}"));
    let due_after = d["draft"]["deadline"]["due"].as_str().expect("due");
    assert!(
        due_after > due_before.as_str(),
        "{due_before} → {due_after}"
    );
    assert_eq!(d["draft"]["extended"], true);

    // Problems → the unit disputes → coordination adopts the unit's view → decided.
    legal.post(
        &format!("/api/v1/legal/drafts/{id}/review"),
        &json!({"version": 1, "checks": checks(Some("law_discretion")), "opinion": "problems", "opinion_text": "裁量过重"}),
    );
    let (s, _) = sup.post(
        &format!("/api/v1/legal/drafts/{id}/dispute"),
        &json!({"reason": "已按裁量基准上限以下处理"}),
    );
    assert_eq!(s, 204);
    let (s, b) = decide(&sup, &id, "清环罚〔2026〕106号");
    assert_eq!(
        (s, b["code"].as_str()),
        (409, Some("legal_review_required")),
        "{b}"
    );
    let (s, _) = sup.post(
        &format!("/api/v1/legal/drafts/{id}/coordinate"),
        &json!({"outcome": "overturned", "note": "x"}),
    );
    assert_eq!(s, 403);
    let (s, _) = admin.post(
        &format!("/api/v1/legal/drafts/{id}/coordinate"),
        &json!({"outcome": "overturned", "note": "经协调，采纳承办单位意见"}),
    );
    assert_eq!(s, 204);
    let (s, b) = decide(&sup, &id, "清环罚〔2026〕106号");
    assert_eq!(s, 201, "{b}");
    let (_, d) = sup.get(&format!("/api/v1/legal/drafts/{id}"));
    let kinds: Vec<&str> = d["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    for k in [
        "extension_requested",
        "extension_approved",
        "opinion",
        "disputed",
        "coordinated",
        "decided",
    ] {
        assert!(kinds.contains(&k), "missing {k} in {kinds:?}");
    }
}

#[test]
fn r_legal_6_staffing_and_a_calendar_year_import_is_validated() {
    let server = TestServer::start(true);
    let admin = Api::login(&server, "admin");
    let (s, b) = admin.get("/api/v1/legal/staffing");
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["required"], 1);
    assert!(b["reviewers"].as_u64() >= Some(1));
    assert_eq!(b["enough"], true);
    let sup = Api::login(&server, "supervisor");
    assert_eq!(sup.get("/api/v1/legal/staffing").0, 403);

    // Bad holiday data is refused with the reason; nothing stored.
    let (s, b) = admin.post("/api/v1/legal/calendar", &json!({"json": "{\"year\": 2027, \"papers\": [], \"days\": [{\"name\": \"元旦\", \"date\": \"2027-13-01\", \"isOffDay\": true}]}"}));
    assert_eq!(s, 400, "{b}");
    let good = r#"{"year": 2027, "papers": ["https://www.gov.cn/"], "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}]}"#;
    let (s, b) = admin.post("/api/v1/legal/calendar", &json!({"json": good}));
    assert_eq!((s, b["year"].as_u64()), (200, Some(2027)), "{b}");
    assert_eq!(
        sup.post("/api/v1/legal/calendar", &json!({"json": good})).0,
        403
    );
}

#[test]
fn bad_input_is_refused_clearly_and_writes_nothing() {
    let server = TestServer::start(true);
    let sup = Api::login(&server, "supervisor");
    // Incomplete draft: submit names the missing field.
    let mut c = content("缺字段", 1_000);
    c["legal_basis"] = json!("");
    let (s, b) = sup.post("/api/v1/legal/drafts", &json!({"content": c}));
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_str().expect("id").to_string();
    let (s, b) = sup.post(&format!("/api/v1/legal/drafts/{id}/submit"), &json!({}));
    assert_eq!(s, 400, "{b}");
    assert!(
        b["message"].as_str().unwrap_or("").contains("法律依据"),
        "{b}"
    );
    // Bad credit code, negative fine, unknown inspection.
    let mut c = content("坏代码", 1_000);
    c["party_code"] = json!("91441802MA53XKP2R8");
    assert_eq!(
        sup.post("/api/v1/legal/drafts", &json!({"content": c})).0,
        400
    );
    let mut c = content("负罚款", 1_000);
    c["fine_fen"] = json!(-5);
    assert_eq!(
        sup.post("/api/v1/legal/drafts", &json!({"content": c})).0,
        400
    );
    let mut c = content("无检查", 1_000);
    c["inspection_ids"] = json!(["no-such-inspection"]);
    assert_eq!(
        sup.post("/api/v1/legal/drafts", &json!({"content": c})).0,
        400
    );
    // Unknown heads, future decision date, empty document number.
    let (s, b) = sup.put(
        &format!("/api/v1/legal/drafts/{id}"),
        &json!({"base_heads": ["00"], "content": content("x", 1)}),
    );
    assert_eq!(s, 400, "{b}");
    let (s, b) = sup.post(
        &format!("/api/v1/legal/drafts/{id}/decide"),
        &json!({"doc_number": "号", "decided_on": "2999-01-01"}),
    );
    assert_eq!(s, 400, "{b}");
    let (s, _) = sup.post(
        &format!("/api/v1/legal/drafts/{id}/decide"),
        &json!({"doc_number": "  ", "decided_on": "2026-01-01"}),
    );
    assert_eq!(s, 400);
    // An unknown draft id is a clear 404.
    assert_eq!(sup.get("/api/v1/legal/drafts/no-such-draft").0, 404);
    // Nothing was decided.
    let (_, d) = sup.get(&format!("/api/v1/legal/drafts/{id}"));
    assert_eq!(d["decision"], Value::Null);
    // A double-sent submit (same form id) is done once.
    let (id2, _) = create(&sup, "重复提交", 1_000);
    let body = json!({"note": "", "form_id": "0123456789abcdef0123"});
    let (s1, _) = sup.post(&format!("/api/v1/legal/drafts/{id2}/submit"), &body);
    let (s2, b2) = sup.post(&format!("/api/v1/legal/drafts/{id2}/submit"), &body);
    assert_eq!(
        (s1, s2, b2["code"].as_str()),
        (200, 409, Some("duplicate")),
        "{b2}"
    );
    let (_, d) = sup.get(&format!("/api/v1/legal/drafts/{id2}"));
    assert_eq!(d["versions"].as_array().map(Vec::len), Some(1));
}

#[test]
fn one_person_editing_from_two_tabs_at_the_same_heads_merges_both_edits() {
    let server = TestServer::start(true);
    let sup = Api::login(&server, "supervisor");
    let (id, heads) = create(&sup, "两个标签页", 1_000);
    let mut a = content("两个标签页（改标题）", 1_000);
    a["facts"] = json!("颗粒物超标排放");
    let mut b = content("两个标签页", 1_000);
    b["facts"] = json!("颗粒物超标排放（补充）");
    let (s1, r1) = sup.put(
        &format!("/api/v1/legal/drafts/{id}"),
        &json!({"base_heads": heads, "content": a}),
    );
    let (s2, r2) = sup.put(
        &format!("/api/v1/legal/drafts/{id}"),
        &json!({"base_heads": heads, "content": b}),
    );
    assert_eq!((s1, s2), (200, 200), "{r1} {r2}");
    let (_, d) = sup.get(&format!("/api/v1/legal/drafts/{id}"));
    assert_eq!(d["content"]["title"], "两个标签页（改标题）");
    assert_eq!(d["content"]["facts"], "颗粒物超标排放（补充）");
    assert_eq!(d["conflicts"], json!([]));
}
