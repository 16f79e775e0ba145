//! The legal review forms that `legal_pages.rs` does not drive, against a real
//! `liuhen-server` process: signed in through the sign-in form, each step under
//! test is done like a browser (GET the page, read the form's action and hidden
//! fields with the CSRF token, POST it) and its result is read back from the
//! pages' HTML and cross-checked with the JSON API. The JSON API only prepares the
//! state the step needs.
//!
//! What is proved: a reviewer asks for a review-deadline extension on the draft
//! page and the admin approves it there (R-LEGAL-5), the deadline moves and both
//! steps are in the audit trail; a second request (from a stale page) is refused
//! with the R-LEGAL-5 message and nothing is recorded; the handling unit disputes a
//! 存在问题 opinion on the page and the admin records the coordination outcome
//! there (R-LEGAL-7), an empty reason or a missing outcome being refused with a
//! message naming what is missing; the catalogue form refuses a bad threshold
//! naming the field and keeps the version, then a good edit publishes a new one
//! (R-LEGAL-2); the calendar form on /admin/legal refuses malformed JSON clearly
//! and imports a valid year.

use crate::common;

use serde_json::{Value, json};

use common::TestServer;
use common::browser::{Browser, Page, attr, form_fields, form_html, hidden_fields, set, unescape};
use common::legal::{Api, checks, content};

/// A major draft (¥200,000 > the demo catalogue's ¥50,000) created and submitted
/// by the officer qy-zf-001 through the API; returns its id.
fn submitted_draft(server: &TestServer, title: &str) -> String {
    let officer = Api::login(server, "qy-zf-001");
    let (s, b) = officer.post(
        "/api/v1/legal/drafts",
        &json!({"content": content(title, 200_000)}),
    );
    assert_eq!(s, 201, "create: {b}");
    let id = b["id"].as_str().expect("id").to_string();
    let (s, b) = officer.post(
        &format!("/api/v1/legal/drafts/{id}/submit"),
        &json!({"note": "请审核"}),
    );
    assert_eq!(s, 200, "submit: {b}");
    assert_eq!(b["version"], 1, "{b}");
    id
}

/// Starts the review of version 1 as `legal` through the API.
fn start_review(server: &TestServer, id: &str) {
    let legal = Api::login(server, "legal");
    let (s, b) = legal.post(
        &format!("/api/v1/legal/drafts/{id}/review/start"),
        &json!({}),
    );
    assert_eq!(s, 204, "start review: {b}");
}

/// Returns version 1 with problems (存在问题) as `legal` through the API.
fn return_with_problems(server: &TestServer, id: &str) {
    start_review(server, id);
    let legal = Api::login(server, "legal");
    let (s, b) = legal.post(
        &format!("/api/v1/legal/drafts/{id}/review"),
        &json!({"version": 1, "checks": checks(Some("law_discretion")), "opinion": "problems", "opinion_text": "裁量过重"}),
    );
    assert_eq!(s, 200, "review: {b}");
}

fn detail(api: &Api<'_>, id: &str) -> Value {
    let (s, b) = api.get(&format!("/api/v1/legal/drafts/{id}"));
    assert_eq!(s, 200, "detail: {b}");
    b
}

fn count_kind(d: &Value, kind: &str) -> usize {
    d["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == kind)
        .count()
}

/// The current catalogue version through the API (0: none).
fn catalogue_version(api: &Api<'_>) -> u64 {
    let (s, b) = api.get("/api/v1/legal/catalogue");
    assert_eq!(s, 200, "catalogue: {b}");
    b["version"].as_u64().unwrap_or(0)
}

// ---- page helpers --------------------------------------------------------------------

fn signed_in(server: &TestServer, login: &str) -> Browser {
    let mut b = Browser::new(server);
    b.sign_in(login);
    b
}

/// The `action` of the form with `id="FORM_ID"` on a page, asserting it exists.
fn action_of(html: &str, form_id: &str) -> String {
    let i = html
        .find(&format!("id=\"{form_id}\""))
        .unwrap_or_else(|| panic!("no #{form_id} on the page: {html}"));
    let start = html[..i].rfind("<form").unwrap();
    let tag = &html[start..start + html[start..].find('>').unwrap()];
    attr(tag, "action").unwrap_or_else(|| panic!("#{form_id} has no action: {tag}"))
}

/// Hidden fields of a form, checking it carries the session's CSRF token.
fn hidden_with_csrf(html: &str, action: &str) -> Vec<(String, String)> {
    let f = hidden_fields(html, action);
    assert!(
        f.iter().any(|(k, v)| k == "csrf" && !v.is_empty()),
        "form to {action} carries no CSRF token: {f:?}"
    );
    f
}

/// The text of the element with `id="ID"` up to its first closing tag `</TAG>`.
fn section<'a>(html: &'a str, id: &str, close: &str) -> &'a str {
    let i = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}: {html}"));
    let end = i + html[i..].find(close).unwrap_or(html.len() - i);
    &html[i..end]
}

/// The audit trail entries as (data-kind, text).
fn audit_trail(html: &str) -> Vec<(String, String)> {
    section(html, "audit-trail", "</ol>")
        .split("<li")
        .skip(1)
        .map(|li| {
            let tag = &li[..li.find('>').unwrap()];
            let kind = attr(tag, "data-kind").unwrap_or_default();
            let body = &li[li.find('>').unwrap() + 1..li.find("</li>").unwrap_or(li.len())];
            (kind, unescape(body))
        })
        .collect()
}

fn draft_status(html: &str) -> String {
    let tag = section(html, "draft", ">");
    attr(&format!(" {tag}"), "data-status").unwrap_or_default()
}

/// Follows a 303 after a form and returns the page it leads to.
fn follow(b: &mut Browser, r: &Page) -> Page {
    assert_eq!(r.status, 303, "expected a redirect: {}", r.html);
    let loc = r.location.clone().expect("Location");
    let p = b.get(&loc);
    assert_eq!(p.status, 200, "{loc}: {}", p.html);
    p
}

fn refusal_text(html: &str) -> String {
    unescape(section(html, "refusal", "</div>"))
}

// ---- tests ---------------------------------------------------------------------------

#[test]
fn r_legal_5_extension_is_requested_and_approved_on_the_page_and_only_once() {
    let server = TestServer::start(true);
    let admin_api = Api::login(&server, "admin");
    let id = submitted_draft(&server, "延期表单测试");
    start_review(&server, &id);
    let page_path = format!("/legal/drafts/{id}");
    let due_before = detail(&admin_api, &id)["draft"]["deadline"]["due"]
        .as_str()
        .expect("due before")
        .to_string();

    // The reviewer asks on the draft page.
    let mut legal = signed_in(&server, "legal");
    let page = legal.get(&page_path);
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        !page.html.contains("id=\"extension-approve-form\""),
        "a reviewer is not offered the approval"
    );
    let action = action_of(&page.html, "extension-request-form");
    assert_eq!(action, format!("/legal/drafts/{id}/extension"));
    let stale = page.html.clone();
    let mut f = hidden_with_csrf(&page.html, &action);
    // An empty reason is refused, naming what is missing; nothing is recorded.
    let r = legal.post(&action, &f);
    assert_eq!(r.status, 400, "{}", r.html);
    assert!(
        refusal_text(&r.html).contains("请填写延期理由"),
        "{}",
        r.html
    );
    assert_eq!(
        count_kind(&detail(&admin_api, &id), "extension_requested"),
        0
    );

    f.push(("reason".into(), "涉及多个法律关系，需要补充调取材料".into()));
    let r = legal.post(&action, &f);
    let p = follow(&mut legal, &r);
    assert!(r.location.unwrap().contains("done=extension"));
    assert!(
        section(&p.html, "notice", "</p>").contains("已申请延长审核期限"),
        "{}",
        p.html
    );
    let ext = section(&p.html, "extension", "</section>");
    assert!(ext.contains("涉及多个法律关系，需要补充调取材料"), "{ext}");
    assert!(ext.contains("待机关负责人批准"), "{ext}");
    assert!(
        !p.html.contains("id=\"extension-request-form\""),
        "the request form is offered only once"
    );
    let trail = audit_trail(&p.html);
    assert!(
        trail.iter().any(|(k, t)| k == "extension_requested"
            && t.contains("申请延长审核期限：涉及多个法律关系，需要补充调取材料")),
        "{trail:?}"
    );

    // The admin (leader) approves on the page.
    let mut admin = signed_in(&server, "admin");
    let page = admin.get(&page_path);
    assert_eq!(page.status, 200, "{}", page.html);
    let action = action_of(&page.html, "extension-approve-form");
    assert_eq!(action, format!("/legal/drafts/{id}/extension/approve"));
    let mut f = hidden_with_csrf(&page.html, &action);
    f.push(("note".into(), "同意延长".into()));
    let r = admin.post(&action, &f);
    let p = follow(&mut admin, &r);
    assert!(r.location.unwrap().contains("done=extension_approved"));
    assert!(
        section(&p.html, "notice", "</p>").contains("已批准延长审核期限"),
        "{}",
        p.html
    );
    assert!(
        !p.html.contains("id=\"extension-approve-form\""),
        "an approved extension is not offered again"
    );
    let trail = audit_trail(&p.html);
    assert!(
        trail.iter().any(|(k, t)| k == "extension_approved"
            && t.contains("批准延长审核期限 3 个工作日。同意延长")),
        "{trail:?}"
    );
    let d = detail(&admin_api, &id);
    assert_eq!(d["draft"]["extended"], true, "{d}");
    let due_after = d["draft"]["deadline"]["due"].as_str().expect("due after");
    assert!(
        due_after > due_before.as_str(),
        "{due_before} → {due_after}"
    );
    // The page shows the new due date.
    let p = legal.get(&page_path);
    let deadline = section(&p.html, "deadline", "</section>");
    assert!(
        deadline.contains(due_after),
        "{due_after} not in {deadline}"
    );

    // A second request, sent from the reviewer's earlier page, is refused with the
    // R-LEGAL-5 message; nothing is recorded and the deadline stays.
    let f2 = {
        let mut f = hidden_with_csrf(&stale, &format!("/legal/drafts/{id}/extension"));
        f.push(("reason".into(), "再次申请延期".into()));
        f
    };
    let r = legal.post(&format!("/legal/drafts/{id}/extension"), &f2);
    assert_eq!(r.status, 409, "{}", r.html);
    let refusal = refusal_text(&r.html);
    assert!(refusal.contains("R-LEGAL-5"), "{refusal}");
    assert!(refusal.contains("只能延长一次"), "{refusal}");
    assert!(refusal.contains("未写入任何内容"), "{refusal}");
    let d = detail(&admin_api, &id);
    assert_eq!(count_kind(&d, "extension_requested"), 1, "{d}");
    assert_eq!(count_kind(&d, "extension_approved"), 1, "{d}");
    assert_eq!(d["draft"]["deadline"]["due"].as_str(), Some(due_after));
    let trail = audit_trail(&legal.get(&page_path).html);
    assert!(
        !trail.iter().any(|(_, t)| t.contains("再次申请延期")),
        "{trail:?}"
    );
}

#[test]
fn r_legal_7_the_unit_disputes_on_the_page_and_the_admin_coordinates() {
    let server = TestServer::start(true);
    let admin_api = Api::login(&server, "admin");
    let id = submitted_draft(&server, "异议表单测试");
    return_with_problems(&server, &id);
    let page_path = format!("/legal/drafts/{id}");

    // The handling unit (the officer who drafted it) disputes on the page.
    let mut officer = signed_in(&server, "qy-zf-001");
    let page = officer.get(&page_path);
    assert_eq!(page.status, 200, "{}", page.html);
    assert_eq!(draft_status(&page.html), "returned");
    assert!(page.html.contains("存在问题"), "{}", page.html);
    assert!(!page.html.contains("id=\"coordinate-form\""));
    let action = action_of(&page.html, "dispute-form");
    assert_eq!(action, format!("/legal/drafts/{id}/dispute"));
    let mut f = hidden_with_csrf(&page.html, &action);

    // Without a reason: refused, the field named, still returned.
    let r = officer.post(&action, &f);
    assert_eq!(r.status, 400, "{}", r.html);
    assert!(
        refusal_text(&r.html).contains("请填写异议理由"),
        "{}",
        r.html
    );
    assert_eq!(draft_status(&r.html), "returned");
    assert_eq!(count_kind(&detail(&admin_api, &id), "disputed"), 0);

    f.push(("reason".into(), "已按裁量基准上限以下处理".into()));
    let r = officer.post(&action, &f);
    let p = follow(&mut officer, &r);
    assert!(r.location.unwrap().contains("done=dispute"));
    assert!(
        section(&p.html, "notice", "</p>").contains("异议已提出"),
        "{}",
        p.html
    );
    assert_eq!(draft_status(&p.html), "disputed");
    assert!(
        section(&p.html, "draft-status", "</span>").contains("协调中"),
        "{}",
        p.html
    );
    let disputes = section(&p.html, "disputes", "</section>");
    assert!(disputes.contains("已按裁量基准上限以下处理"), "{disputes}");
    assert!(disputes.contains("协调中。"), "{disputes}");
    assert!(!p.html.contains("id=\"dispute-form\""));
    let trail = audit_trail(&p.html);
    assert!(
        trail
            .iter()
            .any(|(k, t)| k == "disputed"
                && t.contains("对审核意见提出异议：已按裁量基准上限以下处理")),
        "{trail:?}"
    );

    // The admin records the outcome on the page.
    let mut admin = signed_in(&server, "admin");
    let page = admin.get(&page_path);
    assert_eq!(page.status, 200, "{}", page.html);
    let action = action_of(&page.html, "coordinate-form");
    assert_eq!(action, format!("/legal/drafts/{id}/coordinate"));
    let mut f = form_fields(&page.html, &action);
    assert!(f.iter().any(|(k, v)| k == "csrf" && !v.is_empty()), "{f:?}");
    assert!(
        !f.iter().any(|(k, _)| k == "outcome"),
        "no outcome is preselected: {f:?}"
    );
    set(&mut f, "note", "经协调，采纳承办单位意见");
    // No outcome chosen: refused with the choice named, still disputed.
    let r = admin.post(&action, &f);
    assert_eq!(r.status, 400, "{}", r.html);
    let refusal = refusal_text(&r.html);
    assert!(refusal.contains("维持审核意见"), "{refusal}");
    assert!(refusal.contains("采纳承办单位意见"), "{refusal}");
    assert_eq!(draft_status(&r.html), "disputed");
    // The typed note is kept in the re-shown form.
    assert!(
        form_html(&r.html, &action).contains("经协调，采纳承办单位意见"),
        "{}",
        r.html
    );
    assert_eq!(count_kind(&detail(&admin_api, &id), "coordinated"), 0);

    set(&mut f, "outcome", "overturned");
    let r = admin.post(&action, &f);
    let p = follow(&mut admin, &r);
    assert!(r.location.unwrap().contains("done=coordinate"));
    assert!(
        section(&p.html, "notice", "</p>").contains("协调结果已记录"),
        "{}",
        p.html
    );
    assert_eq!(draft_status(&p.html), "approved");
    assert!(
        section(&p.html, "draft-status", "</span>").contains("审核通过"),
        "{}",
        p.html
    );
    let disputes = section(&p.html, "disputes", "</section>");
    assert!(
        disputes.contains("协调结果：采纳承办单位意见"),
        "{disputes}"
    );
    assert!(
        disputes.contains("演示管理员"),
        "who coordinated: {disputes}"
    );
    assert!(
        disputes.contains("。经协调，采纳承办单位意见"),
        "{disputes}"
    );
    assert!(!p.html.contains("id=\"coordinate-form\""));
    let trail = audit_trail(&p.html);
    assert!(
        trail.iter().any(|(k, t)| k == "coordinated"
            && t.contains("协调结果：采纳承办单位意见。经协调，采纳承办单位意见")),
        "{trail:?}"
    );
    let d = detail(&admin_api, &id);
    assert_eq!(d["draft"]["status"], "approved", "{d}");
    assert_eq!(count_kind(&d, "coordinated"), 1, "{d}");
}

#[test]
fn r_legal_2_the_catalogue_form_refuses_a_bad_threshold_and_publishes_a_good_edit() {
    let server = TestServer::start(true);
    let admin_api = Api::login(&server, "admin");
    let before = catalogue_version(&admin_api);

    let mut admin = signed_in(&server, "admin");
    let page = admin.get("/legal/catalogue");
    assert_eq!(page.status, 200, "{}", page.html);
    let action = action_of(&page.html, "catalogue-form");
    assert_eq!(action, "/legal/catalogue");
    let mut f = form_fields(&page.html, &action);
    assert!(f.iter().any(|(k, v)| k == "csrf" && !v.is_empty()), "{f:?}");
    assert!(
        f.iter().any(|(k, v)| k == "trigger" && v == "large_fine"),
        "the form starts from the current catalogue: {f:?}"
    );

    // A threshold written the way people write money in Chinese is refused, the
    // field named; nothing is published and the input is kept.
    set(&mut f, "fine_threshold", "10万");
    set(&mut f, "note", "提高较大数额罚款标准");
    let r = admin.post(&action, &f);
    assert_eq!(r.status, 400, "{}", r.html);
    let refusal = refusal_text(&r.html);
    assert!(refusal.contains("较大数额罚款标准"), "{refusal}");
    assert!(refusal.contains("10万"), "{refusal}");
    assert!(refusal.contains("未发布新版本"), "{refusal}");
    let kept = form_html(&r.html, &action);
    assert!(kept.contains("value=\"10万\""), "{kept}");
    assert!(kept.contains("提高较大数额罚款标准"), "{kept}");
    assert_eq!(catalogue_version(&admin_api), before);

    // A negative threshold likewise.
    set(&mut f, "fine_threshold", "-5");
    let r = admin.post(&action, &f);
    assert_eq!(r.status, 400, "{}", r.html);
    assert!(
        refusal_text(&r.html).contains("较大数额罚款标准"),
        "{}",
        r.html
    );
    assert_eq!(catalogue_version(&admin_api), before);

    // A good edit publishes the next version.
    set(&mut f, "fine_threshold", "100000");
    let r = admin.post(&action, &f);
    assert_eq!(r.status, 303, "{}", r.html);
    let loc = r.location.clone().unwrap();
    assert_eq!(loc, format!("/legal/catalogue?published={}", before + 1));
    let p = follow(&mut admin, &r);
    assert!(
        section(&p.html, "notice", "</p>").contains(&format!("目录清单第 {} 版已发布", before + 1)),
        "{}",
        p.html
    );
    let current = section(&p.html, "catalogue", "</div>");
    assert!(
        current.contains(&format!("现行目录清单：第 {} 版", before + 1)),
        "{current}"
    );
    assert!(
        current.contains("100,000") || current.contains("100000"),
        "{current}"
    );
    let versions = section(&p.html, "catalogue-versions", "</section>");
    assert!(
        versions.contains(&format!("data-version=\"{}\"", before + 1)),
        "{versions}"
    );
    assert!(versions.contains("提高较大数额罚款标准"), "{versions}");
    assert_eq!(catalogue_version(&admin_api), before + 1);
    let (_, c) = admin_api.get("/api/v1/legal/catalogue");
    assert_eq!(c["catalogue"]["fine_threshold_fen"], 10_000_000, "{c}");

    // The admin page lists the edit among the agency's legal events.
    let p = admin.get("/admin/legal");
    assert!(
        section(&p.html, "legal-events", "</section>").contains(&format!(
            "发布目录清单第 {} 版：提高较大数额罚款标准",
            before + 1
        )),
        "{}",
        p.html
    );
}

#[test]
fn r_legal_6_the_calendar_form_refuses_malformed_json_and_imports_a_valid_year() {
    let server = TestServer::start(true);
    let mut admin = signed_in(&server, "admin");
    let page = admin.get("/admin/legal");
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(!page.html.contains("2027"), "2027 is not loaded yet");
    let action = action_of(&page.html, "calendar-form");
    assert_eq!(action, "/admin/legal/calendar");
    let hidden = hidden_with_csrf(&page.html, &action);

    // Malformed JSON: refused with a clear reason, the text kept, nothing imported.
    let broken = r#"{"year": 2027, "papers": ["https://www.gov.cn/"], "days": ["#;
    let mut f = hidden.clone();
    f.push(("json".into(), broken.into()));
    let r = admin.post(&action, &f);
    assert_eq!(r.status, 400, "{}", r.html);
    let err = unescape(section(&r.html, "calendar-error", "</div>"));
    assert!(err.contains("导入失败"), "{err}");
    assert!(err.contains("JSON 格式不符合节假日数据结构"), "{err}");
    assert!(err.contains("未导入任何数据"), "{err}");
    assert!(
        unescape(form_html(&r.html, &action)).contains(broken),
        "the pasted text is kept"
    );

    // Well-formed but invalid data (a 13th month) is refused naming the field.
    let bad_date = r#"{"year": 2027, "papers": ["https://www.gov.cn/"], "days": [{"name": "元旦", "date": "2027-13-01", "isOffDay": true}]}"#;
    let mut f = hidden.clone();
    f.push(("json".into(), bad_date.into()));
    let r = admin.post(&action, &f);
    assert_eq!(r.status, 400, "{}", r.html);
    let err = unescape(section(&r.html, "calendar-error", "</div>"));
    assert!(err.contains("days[0].date"), "{err}");
    let p = admin.get("/admin/legal");
    assert!(
        !p.html.contains("2027"),
        "nothing imported: {}",
        section(&p.html, "legal-events", "</section>")
    );

    // A valid year is imported and listed.
    let good = r#"{"year": 2027, "papers": ["https://www.gov.cn/"], "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}]}"#;
    let mut f = hidden;
    f.push(("json".into(), good.into()));
    let r = admin.post(&action, &f);
    assert_eq!(r.status, 303, "{}", r.html);
    assert_eq!(r.location.as_deref(), Some("/admin/legal?imported=2027"));
    let p = follow(&mut admin, &r);
    assert!(
        section(&p.html, "notice", "</p>").contains("2027 年节假日安排已导入"),
        "{}",
        p.html
    );
    assert!(p.html.contains("2026、2027"), "{}", p.html);
    assert!(
        section(&p.html, "legal-events", "</section>").contains("导入 2027 年节假日安排"),
        "{}",
        p.html
    );

    // The supervisor cannot import through the form.
    let mut sup = signed_in(&server, "supervisor");
    let p = sup.get("/admin/legal");
    assert_eq!(p.status, 403, "{}", p.html);
    assert!(!p.html.contains("id=\"calendar-form\""), "{}", p.html);
    // Even with a valid CSRF token of their own session (from another form), a
    // supervisor's post is refused and imports nothing.
    let new_draft = sup.get("/legal/drafts/new");
    let mut f: Vec<(String, String)> = hidden_with_csrf(&new_draft.html, "/legal/drafts/new")
        .into_iter()
        .filter(|(k, _)| k == "csrf")
        .collect();
    f.push(("form".into(), "calendar".into()));
    f.push(("json".into(), good.replace("2027", "2028")));
    let r = sup.post(&action, &f);
    assert_eq!(r.status, 403, "{}", r.html);
    let p = admin.get("/admin/legal");
    assert!(!p.html.contains("2028"), "{}", p.html);
}
