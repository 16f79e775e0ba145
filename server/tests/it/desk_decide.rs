//! Approve or return from the supervisor's desk, against a real `liuhen-server`
//! process with a real SQLite data directory, through the sign-in form and the
//! inspection page's decision form; a real device store (liuhen-core's sync client)
//! records the inspection and receives the decision at its next sync.
//!
//! What is proved: a return with a general and a per-finding comment is written into
//! the document and reaches the device; a form sent twice is done once; a record that
//! changed since the page was opened is not decided blindly (the stale page names the
//! change and keeps the text); an ended session keeps the text through sign-in; CSRF,
//! roles and bad input write nothing; typed markup is escaped.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use common::browser::{Browser, attr, form_html, hidden_fields, unescape};
use common::{DEMO_PASSWORD, TestServer};
use liuhen_core::Core;
use liuhen_core::inspection::{Inspection, ReviewOutcome};
use liuhen_core::sync::http::{Credentials, client_for, enroll};
use liuhen_server::storage::sqlite::DB_FILE_NAME;

const O1: &str = "qy-zf-001";
const O2: &str = "qy-zf-002";
const TASK: &str = "QY-2026-SJ-0117";

// ---- a simulated phone ------------------------------------------------------

/// A real device store enrolled with the server.
struct Phone {
    core: Core,
    _dir: tempfile::TempDir,
}

impl Phone {
    fn enrolled(server: &TestServer, officer: &str) -> Phone {
        let dir = tempfile::tempdir().unwrap();
        let mut core = Core::open(dir.path()).unwrap();
        enroll(
            &mut core,
            &server.base_url,
            Credentials::Password {
                login: officer.into(),
                password: DEMO_PASSWORD.into(),
            },
            "审核测试手机",
        )
        .unwrap();
        let mut p = Phone { core, _dir: dir };
        p.sync();
        p
    }

    fn sync(&mut self) {
        let client = client_for(&self.core).unwrap().unwrap();
        client.run(&mut self.core).unwrap();
    }
}

/// A phone with one synced inspection (two officers, two findings); returns the
/// inspection id and the finding ids.
fn recorded_inspection(server: &TestServer) -> (Phone, String, Vec<String>) {
    let mut phone = Phone::enrolled(server, O1);
    let id = phone.core.open_for_task(TASK, O1).unwrap();
    phone.core.check_in(&id, O1).unwrap();
    phone.core.check_in(&id, O2).unwrap();
    let f1 = phone
        .core
        .add_finding(
            &id,
            "危废贮存间标识不全，未张贴危险废物识别标志",
            vec![],
            O1,
        )
        .unwrap();
    let f2 = phone
        .core
        .add_finding(&id, "在线监测数据正常", vec![], O1)
        .unwrap();
    phone.sync();
    (phone, id, vec![f1, f2])
}

/// Every textarea of the form to `action`, as (name, text).
fn textareas(html: &str, action: &str) -> Vec<(String, String)> {
    form_html(html, action)
        .split("<textarea")
        .skip(1)
        .map(|t| {
            let tag_end = t.find('>').unwrap();
            let name = attr(&t[..tag_end], "name").unwrap();
            let text = &t[tag_end + 1..t.find("</textarea>").unwrap()];
            (name, unescape(text))
        })
        .collect()
}

fn decide_path(id: &str) -> String {
    format!("/desk/inspections/{id}/decide")
}

/// The decision form of a page: its hidden fields with `texts` filled in and the
/// decision button pressed.
fn filled(html: &str, id: &str, texts: &[(&str, &str)], decision: &str) -> Vec<(String, String)> {
    let action = decide_path(id);
    let mut fields = hidden_fields(html, &action);
    for (name, _) in textareas(html, &action) {
        let text = texts
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t.to_string())
            .unwrap_or_default();
        fields.push((name, text));
    }
    fields.push(("decision".into(), decision.into()));
    fields
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no field {name}"))
}

/// The server's copy of the inspection, through the supervisor API.
fn server_copy(server: &TestServer, token: &str, id: &str) -> Inspection {
    let r = server
        .get(&format!("/api/v1/inspections/{id}"))
        .bearer_auth(token)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut v: serde_json::Value = r.json().unwrap();
    serde_json::from_value(v["inspection"].take()).unwrap()
}

fn submissions(data_dir: &Path, id: &str) -> i64 {
    let c = rusqlite::Connection::open(data_dir.join(DB_FILE_NAME)).unwrap();
    c.query_row(
        "SELECT count(*) FROM review_submissions WHERE inspection_id = ?1",
        [id],
        |r| r.get(0),
    )
    .unwrap()
}

// ---- the tests ----------------------------------------------------------------

#[test]
fn a_return_with_comments_reaches_the_device_and_a_resend_is_done_once() {
    let server = TestServer::start(true);
    let api = server.login("supervisor", DEMO_PASSWORD);
    let (mut phone, id, findings) = recorded_inspection(&server);
    let mut b = Browser::new(&server);
    b.sign_in("supervisor");

    let page = b.get(&format!("/desk/inspections/{id}"));
    assert_eq!(page.status, 200, "{}", page.html);
    let names: Vec<String> = textareas(&page.html, &decide_path(&id))
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert!(names.contains(&"comment".to_string()), "{names:?}");
    let finding_field = format!("item:finding:{}", findings[0]);
    assert!(names.contains(&finding_field), "{names:?}");
    assert!(
        page.html.contains(&format!("data-keep=\"review-{id}\"")),
        "the general comment is kept in the browser"
    );
    assert!(page.html.contains("危废贮存间标识不全"), "finding label");

    let general = "请补充危废台账照片 <script>alert(1)</script>";
    let form = filled(
        &page.html,
        &id,
        &[
            ("comment", general),
            (&finding_field, "标识照片需补拍，能看清标志内容"),
        ],
        "returned",
    );
    let done = b.post(&decide_path(&id), &form);
    assert_eq!(done.status, 200, "{}", done.html);
    assert!(done.html.contains("id=\"decision-done\""), "{}", done.html);
    assert!(done.html.contains("退回补正"));
    assert!(!done.html.contains("<script>alert(1)"), "markup is escaped");
    assert!(done.html.contains("&#60;script&#62;") || done.html.contains("&lt;script&gt;"));

    // The document holds both comments, with their items, and the decision.
    let i = server_copy(&server, &api, &id);
    let decision = i.review.decision.clone().expect("decision");
    assert_eq!(decision.decision, ReviewOutcome::Returned);
    assert!(
        !decision.decided_by_name.is_empty(),
        "the reviewer is named (R-POST-7)"
    );
    assert!(
        i.review
            .comments
            .iter()
            .all(|c| c.author_id == decision.decided_by)
    );
    assert_eq!(i.review.comments.len(), 2, "{:?}", i.review.comments);
    assert_eq!(i.review.comments[0].text, general);
    assert_eq!(i.review.comments[0].item, None);
    assert_eq!(i.review.comments[1].text, "标识照片需补拍，能看清标志内容");
    assert_eq!(
        i.review.comments[1].item.as_deref(),
        Some(format!("finding:{}", findings[0]).as_str())
    );

    // The device receives them at its next sync, in its own store.
    phone.sync();
    let local = phone.core.inspection(&id).unwrap();
    assert_eq!(local.review, i.review);

    // The same form again (a double click, a resend): done once.
    let again = b.post(&decide_path(&id), &form);
    assert_eq!(again.status, 200, "{}", again.html);
    assert!(
        again.html.contains("id=\"decision-duplicate\""),
        "{}",
        again.html
    );
    assert!(again.html.contains("重复提交未再次执行"));
    assert!(again.html.contains("退回补正"));
    let after = server_copy(&server, &api, &id);
    assert_eq!(after.review, i.review, "nothing written twice");
    assert_eq!(submissions(&server.data_dir, &id), 1);

    // The inspection page shows the comment escaped, too.
    let page = b.get(&format!("/desk/inspections/{id}"));
    assert_eq!(page.status, 200);
    assert!(page.html.contains("请补充危废台账照片"), "{}", page.html);
    assert!(!page.html.contains("<script>alert(1)"), "markup is escaped");
}

#[test]
fn a_record_changed_since_the_page_was_opened_is_not_decided_blindly() {
    let server = TestServer::start(true);
    let api = server.login("supervisor", DEMO_PASSWORD);
    let (mut phone, id, findings) = recorded_inspection(&server);
    let mut b = Browser::new(&server);
    b.sign_in("supervisor");
    let page = b.get(&format!("/desk/inspections/{id}"));
    assert_eq!(page.status, 200, "{}", page.html);

    // Between rendering and sending, the phone syncs a new finding and an edit.
    phone
        .core
        .add_finding(&id, "新发现：废水管道接口渗漏", vec![], O1)
        .unwrap();
    phone
        .core
        .edit_finding(&id, &findings[1], "在线监测数据正常，但缺少校准记录", O1)
        .unwrap();
    phone.sync();

    let finding_field = format!("item:finding:{}", findings[0]);
    let form = filled(
        &page.html,
        &id,
        &[
            ("comment", "整体记录较完整"),
            (&finding_field, "请补拍标识"),
        ],
        "approved",
    );
    let stale = b.post(&decide_path(&id), &form);
    assert_eq!(stale.status, 409, "{}", stale.html);
    assert!(
        stale.html.contains("id=\"decision-stale\""),
        "{}",
        stale.html
    );
    assert!(stale.html.contains("新增检查情况"));
    assert!(
        stale.html.contains("新发现：废水管道接口渗漏"),
        "names the new finding"
    );
    assert!(stale.html.contains("检查情况被修改"));
    assert!(stale.html.contains("但缺少校准记录"));
    let i = server_copy(&server, &api, &id);
    assert!(i.review.decision.is_none(), "nothing written");
    assert!(i.review.comments.is_empty(), "nothing written");

    // The typed text is in a fresh form carrying the new heads.
    let kept: BTreeMap<String, String> = textareas(&stale.html, &decide_path(&id))
        .into_iter()
        .collect();
    assert_eq!(kept["comment"], "整体记录较完整");
    assert_eq!(kept[&finding_field], "请补拍标识");
    let new_finding = i
        .findings
        .iter()
        .find(|f| f.text.starts_with("新发现"))
        .unwrap();
    assert!(
        kept.contains_key(&format!("item:finding:{}", new_finding.id)),
        "the new finding can be commented on"
    );
    let fresh = hidden_fields(&stale.html, &decide_path(&id));
    assert_ne!(field(&fresh, "base_heads"), field(&form, "base_heads"));
    assert_ne!(field(&fresh, "form_id"), field(&form, "form_id"));

    // Sent again from there, after re-checking: carried out.
    let form = filled(
        &stale.html,
        &id,
        &[
            ("comment", "整体记录较完整"),
            (&finding_field, "请补拍标识"),
        ],
        "approved",
    );
    let done = b.post(&decide_path(&id), &form);
    assert_eq!(done.status, 200, "{}", done.html);
    assert!(done.html.contains("id=\"decision-done\""));
    let i = server_copy(&server, &api, &id);
    assert_eq!(i.review.decision.unwrap().decision, ReviewOutcome::Approved);
    assert_eq!(i.review.comments.len(), 2);

    // Heads that are garbage or unknown: stale with a message, never a 500.
    let page = b.get(&format!("/desk/inspections/{id}"));
    for heads in ["garbage", &"ab".repeat(32), ""] {
        let mut form = filled(&page.html, &id, &[("comment", "再看一遍")], "returned");
        for f in form.iter_mut() {
            if f.0 == "base_heads" {
                f.1 = heads.to_string();
            }
        }
        let r = b.post(&decide_path(&id), &form);
        assert_eq!(r.status, 409, "{heads}: {}", r.html);
        assert!(r.html.contains("id=\"decision-stale\""));
        assert!(r.html.contains("本次审核决定未提交"));
        assert!(r.html.contains("再看一遍"), "text kept");
    }
    assert_eq!(server_copy(&server, &api, &id).review.comments.len(), 2);

    // A decision written elsewhere meanwhile (here: through the API) also makes it stale.
    let page = b.get(&format!("/desk/inspections/{id}"));
    let r = server
        .post_json(
            &format!("/api/v1/inspections/{id}/review"),
            &serde_json::json!({ "comment": "复核：同意", "decision": "approved" }),
        )
        .bearer_auth(&api)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let form = filled(&page.html, &id, &[("comment", "改为退回")], "returned");
    let r = b.post(&decide_path(&id), &form);
    assert_eq!(r.status, 409, "{}", r.html);
    assert!(r.html.contains("审核决定已由"));
    assert!(r.html.contains("复核：同意"));
}

#[test]
fn an_ended_session_keeps_the_text_through_sign_in() {
    let server = TestServer::start(true);
    let (_phone, id, findings) = recorded_inspection(&server);
    let mut b = Browser::new(&server);
    b.sign_in("supervisor");
    let page = b.get(&format!("/desk/inspections/{id}"));
    assert_eq!(page.status, 200);
    let finding_field = format!("item:finding:{}", findings[1]);
    let form = filled(
        &page.html,
        &id,
        &[
            ("comment", "过期前写的总体意见"),
            (&finding_field, "过期前写的逐项意见"),
        ],
        "returned",
    );

    // The session expires while the supervisor types.
    let c = rusqlite::Connection::open(server.data_dir.join(DB_FILE_NAME)).unwrap();
    let n = c
        .execute(
            "UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000000Z'",
            [],
        )
        .unwrap();
    assert!(n >= 1);
    // An API session to look at the server's copy (opened after the expiry).
    let api = server.login("supervisor", DEMO_PASSWORD);
    let login = b.post(&decide_path(&id), &form);
    assert_eq!(login.status, 401, "{}", login.html);
    assert!(login.html.contains("登录已过期"), "{}", login.html);
    assert!(
        login.html.contains("过期前写的总体意见"),
        "carried in the page"
    );
    assert!(server_copy(&server, &api, &id).review.comments.is_empty());

    let r = b.submit_sign_in(&login, "supervisor");
    assert_eq!(r.status, 303, "{}", r.html);
    let next = r.location.unwrap();
    assert_eq!(next, format!("/desk/inspections/{id}"));
    let page = b.get(&next);
    assert_eq!(page.status, 200);
    assert!(
        page.html.contains("id=\"kept-form-notice\""),
        "{}",
        page.html
    );
    let kept: BTreeMap<String, String> = textareas(&page.html, &decide_path(&id))
        .into_iter()
        .collect();
    assert_eq!(kept["comment"], "过期前写的总体意见");
    assert_eq!(kept[&finding_field], "过期前写的逐项意见");
    // Shown once; the page's own form now sends it.
    let again = b.get(&next);
    assert!(!again.html.contains("id=\"kept-form-notice\""));
    let form = filled(
        &page.html,
        &id,
        &[
            ("comment", &kept["comment"]),
            (&finding_field, &kept[&finding_field]),
        ],
        "returned",
    );
    let done = b.post(&decide_path(&id), &form);
    assert_eq!(done.status, 200, "{}", done.html);
    assert_eq!(server_copy(&server, &api, &id).review.comments.len(), 2);

    // No session at all (a browser that never signed in): the sign-in page keeps it.
    let mut stranger = Browser::new(&server);
    let form = filled(
        &page.html,
        &id,
        &[("comment", "未登录时写的意见")],
        "returned",
    );
    let login = stranger.post(&decide_path(&id), &form);
    assert_eq!(login.status, 401);
    assert!(login.html.contains("未登录时写的意见"));
    assert!(
        !login.html.contains(field(&form, "csrf")),
        "the token is not kept"
    );
    assert_eq!(server_copy(&server, &api, &id).review.comments.len(), 2);
}

#[test]
fn forged_wrong_and_forbidden_forms_write_nothing() {
    let server = TestServer::start(true);
    let api = server.login("supervisor", DEMO_PASSWORD);
    let (_phone, id, findings) = recorded_inspection(&server);
    let mut b = Browser::new(&server);
    b.sign_in("supervisor");
    let page = b.get(&format!("/desk/inspections/{id}"));
    assert_eq!(page.status, 200);
    let finding_field = format!("item:finding:{}", findings[0]);
    let untouched = |server: &TestServer| {
        let i = server_copy(server, &api, &id);
        assert!(i.review.decision.is_none(), "{:?}", i.review);
        assert!(i.review.comments.is_empty(), "{:?}", i.review);
    };

    // No CSRF token, or a wrong one: 403.
    let form = filled(&page.html, &id, &[("comment", "伪造")], "approved");
    let without: Vec<(String, String)> =
        form.iter().filter(|(n, _)| n != "csrf").cloned().collect();
    let r = b.post(&decide_path(&id), &without);
    assert_eq!(r.status, 403, "{}", r.html);
    assert!(r.html.contains("表单安全校验失败"));
    let wrong: Vec<(String, String)> = form
        .iter()
        .map(|(n, v)| {
            if n == "csrf" {
                (n.clone(), "0".repeat(32))
            } else {
                (n.clone(), v.clone())
            }
        })
        .collect();
    assert_eq!(b.post(&decide_path(&id), &wrong).status, 403);
    untouched(&server);

    // Return without any comment: a clear error, the form kept.
    let form = filled(&page.html, &id, &[], "returned");
    let r = b.post(&decide_path(&id), &form);
    assert_eq!(r.status, 400, "{}", r.html);
    assert!(r.html.contains("id=\"decision-error\""));
    assert!(r.html.contains("退回补正须至少填写一条意见"));
    // Only white space counts as nothing.
    let form = filled(&page.html, &id, &[("comment", "  \n ")], "returned");
    assert_eq!(b.post(&decide_path(&id), &form).status, 400);

    // A comment on an item the record does not have: named, the text kept.
    let mut form = filled(&page.html, &id, &[("comment", "总体")], "returned");
    form.push((
        "item:finding:no-such-finding".into(),
        "对不存在的项目".into(),
    ));
    let r = b.post(&decide_path(&id), &form);
    assert_eq!(r.status, 400, "{}", r.html);
    assert!(r.html.contains("不在该检查记录中"));
    assert!(r.html.contains("finding:no-such-finding"));
    assert!(r.html.contains("对不存在的项目"), "the text is kept");
    let kept: BTreeMap<String, String> =
        textareas(&r.html, &decide_path(&id)).into_iter().collect();
    assert_eq!(kept["comment"], "总体");

    // Too long (the API's 2,000-character rule).
    let long = "长".repeat(2001);
    let form = filled(&page.html, &id, &[(&finding_field, &long)], "returned");
    let r = b.post(&decide_path(&id), &form);
    assert_eq!(r.status, 400);
    assert!(r.html.contains("2001 字"), "{}", r.html);
    assert!(r.html.contains("2000"));

    // No decision button, an unknown decision.
    let mut form = filled(&page.html, &id, &[("comment", "x")], "maybe");
    assert_eq!(b.post(&decide_path(&id), &form).status, 400);
    form.retain(|(n, _)| n != "decision");
    assert_eq!(b.post(&decide_path(&id), &form).status, 400);
    untouched(&server);

    // An admin sees the record but may not decide.
    let mut admin = Browser::new(&server);
    admin.sign_in("admin");
    let apage = admin.get(&format!("/desk/inspections/{id}"));
    assert_eq!(apage.status, 200, "{}", apage.html);
    assert!(apage.html.contains("id=\"decide-readonly\""));
    assert!(!apage.html.contains("form id=\"decide\""));
    let mut form = filled(&page.html, &id, &[("comment", "管理员的意见")], "approved");
    let csrf = hidden_fields(&apage.html, "/logout")
        .into_iter()
        .find(|(n, _)| n == "csrf")
        .unwrap()
        .1;
    for f in form.iter_mut() {
        if f.0 == "csrf" {
            f.1 = csrf.clone();
        }
    }
    let r = admin.post(&decide_path(&id), &form);
    assert_eq!(r.status, 403, "{}", r.html);
    assert!(r.html.contains("id=\"decision-forbidden\""));
    assert!(r.html.contains("不能作出审核决定"));
    untouched(&server);
    assert_eq!(submissions(&server.data_dir, &id), 0);

    // Approve needs no comment.
    let form = filled(&page.html, &id, &[], "approved");
    let r = b.post(&decide_path(&id), &form);
    assert_eq!(r.status, 200, "{}", r.html);
    let i = server_copy(&server, &api, &id);
    assert_eq!(i.review.decision.unwrap().decision, ReviewOutcome::Approved);
    assert!(i.review.comments.is_empty());
}
