//! The legal review pages (法制审核, R-LEGAL-1..7) against a real `liuhen-server`
//! process with a real SQLite data directory, through the sign-in form and the
//! pages' forms (cookie session, CSRF token), checked against the JSON API.
//!
//! What is proved: every /legal URL needs a session; the drafter opening the
//! reviewer's page is refused (R-LEGAL-3) and nothing is recorded; a form without
//! CSRF token writes nothing; a submit form sent twice is done once; an edit from a
//! stale page merges with a concurrent edit of another field; the decide form of a
//! major draft before approval is refused with R-LEGAL-1 and no decision exists;
//! an injected `<script>` in a title is escaped.

use crate::common;

use serde_json::{Value, json};

use common::browser::{Browser, form_fields, form_html, hidden_fields, set};
use common::{DEMO_PASSWORD, TestServer, status_json};

// ---- the scenario's steps -----------------------------------------------------

/// Publishes catalogue version 1 as admin through the JSON API (R-LEGAL-2), unless
/// the demo already has one.
fn ensure_catalogue(server: &TestServer) -> String {
    let admin = server.login("admin", DEMO_PASSWORD);
    let (status, body) = status_json(
        server
            .get("/api/v1/legal/catalogue")
            .bearer_auth(&admin)
            .send()
            .unwrap(),
    );
    let has_one = status == 200 && !body.is_null() && body.get("version").is_some();
    if !has_one {
        let r = common::client()
            .put(server.url("/api/v1/legal/catalogue"))
            .bearer_auth(&admin)
            .json(&json!({
                "catalogue": {
                    "triggers": ["revocation","suspension","hearing_held","judicial_transfer","major_coercion","public_interest","social_risk","complex","large_fine"],
                    "fine_threshold_fen": 5000000,
                    "other_items": []
                },
                "note": "页面测试：目录清单第 1 版"
            }))
            .send()
            .unwrap();
        let (status, body) = status_json(r);
        assert_eq!(status, 200, "catalogue: {body}");
    }
    admin
}

/// A complete major penalty draft (fine ¥80,000 > ¥50,000), created through the
/// new-draft form; returns its id.
fn create_draft(b: &mut Browser, title: &str) -> String {
    let page = b.get("/legal/drafts/new");
    assert_eq!(page.status, 200, "{}", page.html);
    let mut f = form_fields(&page.html, "/legal/drafts/new");
    for (k, v) in [
        ("kind", "penalty"),
        ("title", title),
        ("category", "生态环境"),
        ("party_kind", "company"),
        ("party_name", "清远市鑫达陶瓷有限公司"),
        ("legal_basis", "《中华人民共和国大气污染防治法》第九十九条"),
        ("facts", "2026年3月2日现场检查发现废气超标排放。"),
        ("discretion", "清远市生态环境行政处罚裁量基准第 12 项"),
        ("conclusion", "罚款人民币八万元。"),
        ("fine", "80000"),
    ] {
        set(&mut f, k, v);
    }
    let r = b.post("/legal/drafts/new", &f);
    assert_eq!(r.status, 303, "create: {}", r.html);
    let loc = r.location.unwrap();
    let id = loc
        .trim_start_matches("/legal/drafts/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    assert!(loc.contains("done=created"), "{loc}");
    id
}

fn detail(server: &TestServer, token: &str, id: &str) -> Value {
    let (status, body) = status_json(
        server
            .get(&format!("/api/v1/legal/drafts/{id}"))
            .bearer_auth(token)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "detail: {body}");
    body
}

fn event_kinds(d: &Value) -> Vec<String> {
    d["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

// ---- tests -----------------------------------------------------------------------

#[test]
fn legal_pages_need_a_session() {
    let server = TestServer::start(true);
    let mut anon = Browser::new(&server);
    let id = "01936d00-0000-7000-8000-0000000000aa";
    for path in [
        "/legal".to_string(),
        "/legal?state=in_review".into(),
        "/legal/drafts/new".into(),
        format!("/legal/drafts/{id}"),
        format!("/legal/drafts/{id}/edit"),
        format!("/legal/drafts/{id}/review"),
        "/legal/catalogue".into(),
        "/admin/legal".into(),
    ] {
        let p = anon.get(&path);
        assert_eq!(p.status, 303, "{path}: {}", p.html);
        let loc = p.location.unwrap();
        assert!(loc.starts_with("/login?next="), "{path} → {loc}");
    }
    // A form sent without a session is not carried out; the typed text is kept
    // for after signing in.
    let p = anon.post(
        &format!("/legal/drafts/{id}/submit"),
        &[("note".into(), "会话结束后提交的说明".into())],
    );
    assert_eq!(p.status, 401, "{}", p.html);
    assert!(p.html.contains("已保留"), "{}", p.html);
}

#[test]
fn r_legal_3_the_drafter_cannot_open_the_review_and_nothing_is_recorded() {
    let server = TestServer::start(true);
    let admin = ensure_catalogue(&server);
    let mut sup = Browser::new(&server);
    sup.sign_in("supervisor");
    let id = create_draft(&mut sup, "关于鑫达陶瓷超标排放的行政处罚决定");
    let page = sup.get(&format!("/legal/drafts/{id}"));
    let f = hidden_fields(&page.html, &format!("/legal/drafts/{id}/submit"));
    let r = sup.post(&format!("/legal/drafts/{id}/submit"), &f);
    assert_eq!(r.status, 303, "{}", r.html);

    let r = sup.get(&format!("/legal/drafts/{id}/review"));
    assert_eq!(r.status, 403, "{}", r.html);
    assert!(r.html.contains("id=\"refusal\""), "{}", r.html);
    assert!(r.html.contains("R-LEGAL-3"), "{}", r.html);
    assert!(!r.html.contains("id=\"review-form\""), "{}", r.html);
    let d = detail(&server, &admin, &id);
    assert!(
        !event_kinds(&d).contains(&"review_started".to_string()),
        "{:?}",
        event_kinds(&d)
    );

    // The reviewer may open it: the start is recorded once.
    let mut legal = Browser::new(&server);
    legal.sign_in("legal");
    let r = legal.get(&format!("/legal/drafts/{id}/review"));
    assert_eq!(r.status, 200, "{}", r.html);
    assert!(r.html.contains("id=\"review-form\""));
    legal.get(&format!("/legal/drafts/{id}/review"));
    let d = detail(&server, &admin, &id);
    let started = event_kinds(&d)
        .iter()
        .filter(|k| *k == "review_started")
        .count();
    assert_eq!(started, 1, "{:?}", event_kinds(&d));
}

#[test]
fn forms_without_csrf_write_nothing_and_a_double_submit_is_done_once() {
    let server = TestServer::start(true);
    let admin = ensure_catalogue(&server);
    let mut sup = Browser::new(&server);
    sup.sign_in("supervisor");
    let id = create_draft(&mut sup, "重复提交测试");
    let page = sup.get(&format!("/legal/drafts/{id}"));
    let action = format!("/legal/drafts/{id}/submit");
    let mut f = hidden_fields(&page.html, &action);
    f.push(("note".into(), "首次提交".into()));

    let no_csrf: Vec<(String, String)> = f.iter().filter(|(k, _)| k != "csrf").cloned().collect();
    let r = sup.post(&action, &no_csrf);
    assert_eq!(r.status, 403, "{}", r.html);
    let d = detail(&server, &admin, &id);
    assert_eq!(d["draft"]["status"], "drafting", "{d}");
    assert_eq!(d["versions"].as_array().unwrap().len(), 0);

    let r1 = sup.post(&action, &f);
    assert_eq!(r1.status, 303, "{}", r1.html);
    assert!(r1.location.unwrap().contains("done=submit"));
    let r2 = sup.post(&action, &f);
    assert_eq!(r2.status, 200, "{}", r2.html);
    assert!(r2.html.contains("id=\"duplicate-notice\""), "{}", r2.html);
    let d = detail(&server, &admin, &id);
    assert_eq!(d["versions"].as_array().unwrap().len(), 1, "{d}");
    let submitted = event_kinds(&d).iter().filter(|k| *k == "submitted").count();
    assert_eq!(submitted, 1);

    // The notice of the first answer.
    let p = sup.get(&format!("/legal/drafts/{id}?done=submit"));
    assert!(p.html.contains("id=\"notice\""));
    assert!(p.html.contains("id=\"deadline\""));
}

#[test]
fn an_edit_from_a_stale_page_merges_with_a_concurrent_edit() {
    let server = TestServer::start(true);
    let admin = ensure_catalogue(&server);
    let mut a = Browser::new(&server);
    a.sign_in("supervisor");
    let id = create_draft(&mut a, "合并测试原标题");
    let edit = format!("/legal/drafts/{id}/edit");
    // Two people open the edit page at the same heads: the supervisor and an
    // officer of the same unit.
    let page_a = a.get(&edit);
    assert_eq!(page_a.status, 200, "{}", page_a.html);
    let mut b = Browser::new(&server);
    b.sign_in("qy-zf-001");
    let page_b = b.get(&edit);
    assert_eq!(page_b.status, 200, "{}", page_b.html);

    // The officer changes the facts first.
    let mut fb = form_fields(&page_b.html, &edit);
    set(&mut fb, "facts", "经复核，废气颗粒物浓度超标 2.1 倍。");
    let r = b.post(&edit, &fb);
    assert_eq!(r.status, 303, "{}", r.html);
    assert!(r.location.unwrap().contains("done=edited"));

    // The supervisor's page (now stale: its facts are the old ones) changes only
    // the title.
    let mut fa = form_fields(&page_a.html, &edit);
    set(&mut fa, "title", "合并测试新标题");
    let r = a.post(&edit, &fa);
    assert_eq!(r.status, 303, "{}", r.html);
    assert!(r.location.unwrap().contains("done=merged"));

    let d = detail(&server, &admin, &id);
    assert_eq!(d["content"]["title"], "合并测试新标题", "{d}");
    assert_eq!(
        d["content"]["facts"], "经复核，废气颗粒物浓度超标 2.1 倍。",
        "the concurrent edit of another field stands: {d}"
    );
    assert_eq!(d["conflicts"].as_array().unwrap().len(), 0, "{d}");
}

#[test]
fn r_legal_1_decide_before_approval_is_refused_and_nothing_is_decided() {
    let server = TestServer::start(true);
    let admin = ensure_catalogue(&server);
    let mut sup = Browser::new(&server);
    sup.sign_in("supervisor");
    let id = create_draft(&mut sup, "未经审核不得决定");
    let page = sup.get(&format!("/legal/drafts/{id}"));
    assert!(page.html.contains("id=\"classification\""));
    assert!(page.html.contains("较大数额罚款"), "major: {}", page.html);
    let action = format!("/legal/drafts/{id}/decide");
    let mut f = hidden_fields(&page.html, &action);
    f.push(("doc_number".into(), "清环罚〔2026〕98号".into()));
    let today = form_html(&page.html, &action)
        .split("name=\"decided_on\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    assert_eq!(today.len(), 10, "decided_on defaults to today: {today}");
    f.push(("decided_on".into(), today));
    let r = sup.post(&action, &f);
    assert_eq!(r.status, 409, "{}", r.html);
    assert!(r.html.contains("id=\"refusal\""), "{}", r.html);
    assert!(r.html.contains("R-LEGAL-1"), "{}", r.html);
    // The typed document number is kept in the re-shown form.
    assert!(r.html.contains("清环罚〔2026〕98号"));
    let d = detail(&server, &admin, &id);
    assert!(d["decision"].is_null(), "{d}");
    assert_ne!(d["draft"]["status"], "decided");

    // Bad money is refused with the input kept.
    let page = sup.get("/legal/drafts/new");
    let mut f = form_fields(&page.html, "/legal/drafts/new");
    set(&mut f, "title", "金额格式测试");
    set(&mut f, "fine", "8万");
    let r = sup.post("/legal/drafts/new", &f);
    assert_eq!(r.status, 400, "{}", r.html);
    assert!(r.html.contains("id=\"refusal\""));
    assert!(r.html.contains("金额格式测试"));
}

#[test]
fn an_injected_script_in_a_title_is_escaped() {
    let server = TestServer::start(true);
    ensure_catalogue(&server);
    let mut sup = Browser::new(&server);
    sup.sign_in("supervisor");
    let evil = "<script>alert('x')</script>处罚决定";
    let id = create_draft(&mut sup, evil);
    for path in [format!("/legal/drafts/{id}"), "/legal?state=all".into()] {
        let p = sup.get(&path);
        assert_eq!(p.status, 200);
        assert!(!p.html.contains("<script>alert"), "{path}: {}", p.html);
        assert!(
            p.html.contains("&lt;script&gt;") || p.html.contains("&#60;script&#62;"),
            "{path}"
        );
    }
    let q = sup.get("/legal?state=all");
    assert!(q.html.contains(&format!("data-id=\"{id}\"")));
}
