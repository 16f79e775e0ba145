//! Publication of decisions (公示, R-POST-1..3, R-POST-6, R-POST-7) over real HTTP on
//! loopback: the real router and SQLite storage in-process with a clock the test
//! moves, decisions stored through the legal workflow's storage, staff signed in
//! through the login form. Deadlines over the 2025 National Day holiday (make-up
//! Saturday), late publication flagged and never back-dated, the three-person
//! rule, withdrawal (gone at once from list, search, JSON and CSV; the record's
//! page shows the notice; the history keeps it), paging, bad input, ETag/304.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use reqwest::blocking::{Client, Response};
use reqwest::redirect::Policy;
use serde_json::Value;

use liuhen_core::legal::{DecisionKind, PartyKind};
use liuhen_core::model::RosterSnapshot;
use liuhen_core::time::Clock;
use liuhen_server::api::admin::{NewUser, create_user, load_roster};
use liuhen_server::demo::{DEMO_PASSWORD, DEMO_ROSTER_JSON};
use liuhen_server::services::mask;
use liuhen_server::state::{AppState, Config};
use liuhen_server::storage::legal::{DecisionRecord, DraftRecord, DraftStatus, LegalWrite};
use liuhen_server::storage::publicity::{PublicationStep, WithdrawReason, WithdrawalRecord};
use liuhen_server::storage::{Role, StorageError};

const AGENCY: &str = "qy-sthj";

/// A clock the test sets.
#[derive(Debug)]
struct TestClock(Mutex<DateTime<Utc>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// 10:00 Beijing time on y-m-d.
fn beijing(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 2, 0, 0).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn http() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

fn set_cookie(resp: &Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_string())
}

/// The value of `name="NAME" value="..."` in a page.
fn field(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no field {name} in {html}"));
    let rest = &html[at..];
    let v = rest.find("value=\"").unwrap() + 7;
    rest[v..v + rest[v..].find('"').unwrap()].to_string()
}

/// Ids of `tr data-id` rows in the table with `id=table`.
fn row_ids(html: &str, table: &str) -> Vec<String> {
    let Some(start) = html.find(&format!("id=\"{table}\"")) else {
        return vec![];
    };
    let end = html[start..]
        .find("</table>")
        .map_or(html.len(), |e| start + e);
    html[start..end]
        .match_indices("<tr data-id=\"")
        .map(|(i, m)| {
            let s = &html[start + i + m.len()..];
            s[..s.find('"').unwrap()].to_string()
        })
        .collect()
}

struct Portal {
    rt: tokio::runtime::Runtime,
    state: AppState,
    clock: Arc<TestClock>,
    base: String,
    http: Client,
    _dir: tempfile::TempDir,
}

impl Portal {
    fn start() -> Portal {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: dir.path().join("data"),
            secure_cookies: false,
            max_upload_bytes: 1024 * 1024,
            upload_lease: liuhen_server::api::tus::DEFAULT_LEASE,
        };
        let clock = Arc::new(TestClock(Mutex::new(beijing(2025, 10, 9))));
        let state = rt
            .block_on(liuhen_server::build_state_with_clock(config, clock.clone()))
            .unwrap();
        rt.block_on(async {
            let roster: RosterSnapshot = serde_json::from_str(DEMO_ROSTER_JSON).unwrap();
            load_roster(&state, &roster).await.unwrap();
            for (login, name, role) in [
                ("supervisor", "填报员甲", Role::Supervisor),
                ("legal", "审核员乙", Role::LegalReviewer),
                ("admin", "审批员丙", Role::Admin),
            ] {
                create_user(
                    &state,
                    NewUser {
                        agency_id: AGENCY.into(),
                        login: login.into(),
                        name: name.into(),
                        role,
                        officer_id: None,
                        password: DEMO_PASSWORD.into(),
                    },
                )
                .await
                .unwrap();
            }
        });
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let app = liuhen_server::app(state.clone());
        rt.spawn(async move { axum::serve(listener, app).await });
        Portal {
            rt,
            state,
            clock,
            base: format!("http://{addr}"),
            http: http(),
            _dir: dir,
        }
    }

    fn set_now(&self, t: DateTime<Utc>) {
        *self.clock.0.lock().unwrap() = t;
    }

    fn user_id(&self, login: &str) -> String {
        self.rt
            .block_on(self.state.storage.user_by_login(login))
            .unwrap()
            .unwrap()
            .id
    }

    /// Stores a decision (and the draft it needs) directly in storage.
    fn decision(
        &self,
        doc: &str,
        kind: DecisionKind,
        decided_on: NaiveDate,
        party: (PartyKind, &str, &str),
        conclusion: &str,
    ) -> String {
        self.decision_in("生态环境", doc, kind, decided_on, party, conclusion)
    }

    /// [`Portal::decision`] in an enforcement category (执法类别).
    fn decision_in(
        &self,
        category: &str,
        doc: &str,
        kind: DecisionKind,
        decided_on: NaiveDate,
        party: (PartyKind, &str, &str),
        conclusion: &str,
    ) -> String {
        self.decision_with(category, doc, kind, decided_on, party, conclusion, |_| {})
    }

    /// [`Portal::decision_in`] with the record changed by `edit` before it is stored.
    #[allow(clippy::too_many_arguments)]
    fn decision_with(
        &self,
        category: &str,
        doc: &str,
        kind: DecisionKind,
        decided_on: NaiveDate,
        party: (PartyKind, &str, &str),
        conclusion: &str,
        edit: impl FnOnce(&mut DecisionRecord),
    ) -> String {
        let id = uuid::Uuid::now_v7().to_string();
        let draft_id = uuid::Uuid::now_v7().to_string();
        let by = self.user_id("legal");
        let at = beijing(2025, 1, 1);
        let draft = DraftRecord {
            id: draft_id.clone(),
            agency_id: AGENCY.into(),
            created_by: by.clone(),
            created_at: at,
            updated_at: at,
            status: DraftStatus::Decided,
            title: format!("决定 {doc}"),
            kind,
            catalogue_version: None,
            triggers: vec![],
            version: 0,
            received_on: None,
            extended: false,
            heads: vec![],
            bytes: vec![],
        };
        let decision = DecisionRecord {
            id: id.clone(),
            agency_id: AGENCY.into(),
            draft_id,
            kind,
            title: format!("关于{}的{}决定", party.1, kind.label()),
            doc_number: doc.into(),
            decided_on,
            decided_at: at,
            decided_by: by,
            category: category.into(),
            party_kind: party.0,
            party_name: party.1.into(),
            party_code: party.2.into(),
            legal_basis: "《中华人民共和国大气污染防治法》第九十九条".into(),
            conclusion: conclusion.into(),
            fine_fen: Some(1_000_000),
            major: false,
            catalogue_version: None,
            reviewed_version: None,
            inspection_ids: vec![],
            confidential: "保密：内部配方 ZZ-0001".into(),
        };
        let mut decision = decision;
        edit(&mut decision);
        self.rt
            .block_on(self.state.storage.apply_legal(&LegalWrite {
                draft: Some(draft),
                decision: Some(decision),
                ..LegalWrite::default()
            }))
            .unwrap();
        id
    }

    /// Files, reviews and approves `id` in storage, published on the clock's date.
    fn publish_direct(&self, id: &str) {
        let (s, l, a) = (
            self.user_id("supervisor"),
            self.user_id("legal"),
            self.user_id("admin"),
        );
        let now = self.clock.now();
        let st = &self.state.storage;
        self.rt.block_on(async {
            let e = st.publication_entry(id).await.unwrap().unwrap();
            st.publication_step(
                None,
                &PublicationStep::File {
                    decision_id: id.into(),
                    public_body: "清远市生态环境局".into(),
                    public_target: mask::public_target(&e.source),
                    public_code: mask::public_code(&e.source),
                    by: s,
                    at: now,
                },
            )
            .await
            .unwrap();
            st.publication_step(
                None,
                &PublicationStep::Review {
                    decision_id: id.into(),
                    by: l,
                    at: now,
                },
            )
            .await
            .unwrap();
            st.publication_step(
                None,
                &PublicationStep::Approve {
                    decision_id: id.into(),
                    by: a,
                    at: now,
                    published_on: liuhen_core::time::local_date(now),
                    due_on: None,
                    late: Some(false),
                    late_working_days: None,
                },
            )
            .await
            .unwrap();
        });
    }

    /// Signs in through the form; returns the session cookie.
    fn sign_in(&self, login: &str) -> String {
        let page = self
            .http
            .get(format!("{}/login", self.base))
            .send()
            .unwrap();
        let login_cookie = set_cookie(&page, "liuhen_login_csrf").expect("login cookie");
        let csrf = field(&page.text().unwrap(), "csrf");
        let resp = self
            .http
            .post(format!("{}/login", self.base))
            .header("Cookie", login_cookie)
            .form(&[
                ("csrf", csrf.as_str()),
                ("next", "/publish"),
                ("login", login),
                ("password", DEMO_PASSWORD),
            ])
            .send()
            .unwrap();
        assert!(resp.status().is_redirection(), "{}", resp.status());
        set_cookie(&resp, "liuhen_session").expect("session cookie")
    }

    fn get(&self, path: &str, cookie: Option<&str>) -> (u16, String) {
        let mut rq = self.http.get(format!("{}{path}", self.base));
        if let Some(c) = cookie {
            rq = rq.header("Cookie", c);
        }
        let r = rq.send().unwrap();
        (r.status().as_u16(), r.text().unwrap())
    }

    fn get_resp(&self, path: &str) -> Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .unwrap()
    }

    /// Opens `/publish/{id}` as `cookie` and sends the form `action` with `extra`
    /// fields; returns (status, final page).
    fn step(&self, cookie: &str, id: &str, action: &str, extra: &[(&str, &str)]) -> (u16, String) {
        let (status, page) = self.get(&format!("/publish/{id}"), Some(cookie));
        assert_eq!(status, 200, "{page}");
        let csrf = field(&page, "csrf");
        let form_id = if page.contains(&format!("/publish/{id}/{action}\"")) {
            let at = page.find(&format!("/publish/{id}/{action}\"")).unwrap();
            field(&page[at..], "form_id")
        } else {
            "0123456789abcdef0123456789abcdef".into()
        };
        self.post_form(cookie, id, action, &csrf, &form_id, extra)
    }

    fn post_form(
        &self,
        cookie: &str,
        id: &str,
        action: &str,
        csrf: &str,
        form_id: &str,
        extra: &[(&str, &str)],
    ) -> (u16, String) {
        let mut fields = vec![("csrf", csrf), ("form_id", form_id)];
        fields.extend_from_slice(extra);
        let r = self
            .http
            .post(format!("{}/publish/{id}/{action}", self.base))
            .header("Cookie", cookie)
            .form(&fields)
            .send()
            .unwrap();
        let status = r.status().as_u16();
        if status == 303 {
            let loc = r.headers()["location"].to_str().unwrap().to_string();
            let (s, body) = self.get(&loc, Some(cookie));
            return (s, body);
        }
        (status, r.text().unwrap())
    }

    fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(
            self._dir
                .path()
                .join("data")
                .join(liuhen_server::storage::sqlite::DB_FILE_NAME),
        )
        .unwrap()
    }
}

/// Status code of a raw HTTP/1.1 GET (for requests a client library refuses to build).
fn raw_status(base: &str, path: &str) -> u16 {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let _ = s.write_all(req.as_bytes());
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap_or(0);
    let head = String::from_utf8_lossy(&buf[..n]);
    head.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn company(name: &'static str) -> (PartyKind, &'static str, &'static str) {
    (PartyKind::Company, name, "91441800MA4UJ5X21K")
}

#[test]
fn r_post_1_deadlines_count_chinese_working_days_and_never_guess() {
    let p = Portal::start();
    // Decided Tuesday 2025-09-30, just before the National Day holiday (10-01..10-08).
    let pen = p.decision(
        "清环罚〔2025〕1号",
        DecisionKind::Penalty,
        day(2025, 9, 30),
        company("清远市甲化工有限公司"),
        "罚款",
    );
    let insp = p.decision(
        "清环检〔2025〕1号",
        DecisionKind::Inspection,
        day(2025, 9, 30),
        company("清远市乙化工有限公司"),
        "未发现问题",
    );
    let future = p.decision(
        "清环检〔2026〕99号",
        DecisionKind::Inspection,
        day(2026, 12, 28),
        company("清远市丙化工有限公司"),
        "未发现问题",
    );
    let cookie = p.sign_in("supervisor");
    let (status, page) = p.get(&format!("/publish/{pen}"), Some(&cookie));
    assert_eq!(status, 200, "{page}");
    // 10-09, 10-10, 10-11 (make-up Saturday), 10-13, 10-14, 10-15, 10-16.
    assert!(
        page.contains("2025-10-16"),
        "penalty due 2025-10-16: {page}"
    );
    let (_, page) = p.get(&format!("/publish/{insp}"), Some(&cookie));
    // 20 working days: ... 10-31 is the 18th, 11-03 the 19th, 11-04 the 20th.
    assert!(
        page.contains("2025-11-04"),
        "inspection due 2025-11-04: {page}"
    );
    let (_, page) = p.get(&format!("/publish/{future}"), Some(&cookie));
    // R-POST-1: no guess and no error text: what to import, linked to where.
    assert!(
        page.contains("due-unknown")
            && page.contains("待导入 2027 年节假日安排")
            && page.contains("href=\"/admin/calendar#year-2027\""),
        "a deadline in a year without data names the year to import: {page}"
    );
    assert!(!page.contains("缺少 2027 年的法定节假日安排数据"), "{page}");
    // The calendar page lists 2027 as missing, with what needs it.
    let (status, cal) = p.get("/admin/calendar", Some(&cookie));
    assert_eq!(status, 200, "{cal}");
    assert!(
        cal.contains("id=\"year-2027\"") && cal.contains("1 项执法决定的公示期限"),
        "{cal}"
    );
    assert!(
        !cal.contains("calendar-form"),
        "only an admin imports: {cal}"
    );
    // The queue lists all three, due (the clock is 2025-10-09).
    let (status, queue) = p.get("/publish", Some(&cookie));
    assert_eq!(status, 200);
    let ids = row_ids(&queue, "publish-queue");
    assert_eq!(ids.len(), 3, "{queue}");
    assert!(queue.contains("待公开"));
    // Later the penalty is overdue, the inspection still due.
    p.set_now(beijing(2025, 10, 20));
    let cookie = p.sign_in("supervisor");
    let (_, queue) = p.get("/publish?state=overdue", Some(&cookie));
    assert_eq!(
        row_ids(&queue, "publish-queue"),
        vec![pen.clone()],
        "{queue}"
    );
    assert!(queue.contains("已超过 2 个工作日"), "{queue}");
    let (status, _) = p.get("/publish?state=bogus", Some(&cookie));
    assert_eq!(status, 400);
}

#[test]
fn r_post_7_three_people_publish_late_is_flagged_and_never_back_dated() {
    let p = Portal::start();
    let id = p.decision(
        "清环罚〔2025〕2号",
        DecisionKind::Penalty,
        day(2025, 9, 30),
        (PartyKind::Person, "欧阳建国", "441802198505120317"),
        "对当事人欧阳建国（身份证号441802198505120317，电话13902221234）罚款一万元",
    );
    let sup = p.sign_in("supervisor");
    let admin = p.sign_in("admin");
    // The filer sees exactly what will be public: masked, no ID number, no secret.
    let (_, page) = p.get(&format!("/publish/{id}"), Some(&sup));
    let preview = &page[page.find("id=\"public-preview\"").unwrap()..];
    let preview = &preview[..preview.find("</dl>").unwrap()];
    assert!(preview.contains("欧阳某"), "{preview}");
    assert!(!preview.contains("欧阳建国") && !preview.contains("441802198505120317"));
    assert!(!preview.contains("13902221234") && !preview.contains("ZZ-0001"));
    // Filing needs the confirmation.
    let (status, page) = p.step(&sup, &id, "file", &[]);
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("我已核对公开内容"));
    // Only the approver's role may approve; nothing is filed yet anyway.
    let (status, _) = p.step(&admin, &id, "approve", &[]);
    assert_eq!(status, 409, "approve before filing is refused");
    p.set_now(beijing(2025, 10, 17));
    let (sup, legal) = (p.sign_in("supervisor"), p.sign_in("legal"));
    let (status, page) = p.step(&sup, &id, "file", &[("confirm", "1")]);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("待审核"), "{page}");
    // The filer may not review (role), the approver may not review (role).
    let (status, _) = p.step(&sup, &id, "review", &[]);
    assert_eq!(status, 403);
    let (status, page) = p.step(&legal, &id, "review", &[]);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("待审批"));
    // Published on 2025-10-20 (Monday): the deadline was 10-16 → 2 working days late
    // (10-17, 10-20). A date sent with the form is ignored: never back-dated.
    p.set_now(beijing(2025, 10, 20));
    let admin = p.sign_in("admin");
    let (status, page) = p.step(
        &admin,
        &id,
        "approve",
        &[
            ("published_on", "2025-10-10"),
            ("at", "2025-10-10T00:00:00Z"),
        ],
    );
    assert_eq!(status, 200, "{page}");
    // The state's badge, then its details without repeating it (issue 20).
    assert!(
        page.contains("逾期公开</span> 超过期限 2 个工作日"),
        "{page}"
    );
    assert!(page.contains("已审批并公开"), "the step says what happened");
    assert!(page.contains("2025-10-20"));
    assert!(page.contains("填报员甲") && page.contains("审核员乙") && page.contains("审批员丙"));
    let (status, public) = p.get(&format!("/public/decisions/{id}"), None);
    assert_eq!(status, 200, "{public}");
    assert!(public.contains("id=\"decision-late\""), "{public}");
    assert!(public.contains("2025-10-20") && !public.contains("2025-10-10"));
    assert!(public.contains("欧阳某") && !public.contains("欧阳建国"));
    assert!(!public.contains("441802198505120317") && !public.contains("13902221234"));
    assert!(!public.contains("ZZ-0001"));
    let (_, queue) = p.get("/publish?state=late", Some(&admin));
    assert_eq!(row_ids(&queue, "publish-queue"), vec![id.clone()]);
}

#[test]
fn r_post_7_the_same_person_cannot_take_two_steps_and_a_double_submit_is_done_once() {
    let p = Portal::start();
    let id = p.decision(
        "清环罚〔2025〕3号",
        DecisionKind::Penalty,
        day(2025, 10, 9),
        company("清远市丁有限公司"),
        "罚款",
    );
    let s = p.user_id("supervisor");
    let st = &p.state.storage;
    let now = beijing(2025, 10, 10);
    let file = PublicationStep::File {
        decision_id: id.clone(),
        public_body: "清远市生态环境局".into(),
        public_target: "清远市丁有限公司".into(),
        public_code: "91441800MA4UJ5X21K".into(),
        by: s.clone(),
        at: now,
    };
    p.rt.block_on(st.publication_step(Some("form1"), &file))
        .unwrap();
    // The same form again: done once.
    let again =
        p.rt.block_on(st.publication_step(Some("form1"), &file))
            .unwrap();
    assert_eq!(
        again,
        liuhen_server::storage::publicity::StepOutcome::AlreadyDone
    );
    let events = p.rt.block_on(st.publication_events(&id)).unwrap();
    assert_eq!(events.len(), 1);
    // The filer reviewing their own filing: refused with R-POST-7.
    let review = PublicationStep::Review {
        decision_id: id.clone(),
        by: s.clone(),
        at: now,
    };
    match p.rt.block_on(st.publication_step(Some("form2"), &review)) {
        Err(StorageError::Conflict(m)) => assert!(m.contains("R-POST-7"), "{m}"),
        other => panic!("expected R-POST-7 refusal, got {other:?}"),
    }
    let legal = p.user_id("legal");
    p.rt.block_on(st.publication_step(
        None,
        &PublicationStep::Review {
            decision_id: id.clone(),
            by: legal.clone(),
            at: now,
        },
    ))
    .unwrap();
    for by in [s, legal] {
        let approve = PublicationStep::Approve {
            decision_id: id.clone(),
            by,
            at: now,
            published_on: day(2025, 10, 10),
            due_on: None,
            late: None,
            late_working_days: None,
        };
        match p.rt.block_on(st.publication_step(None, &approve)) {
            Err(StorageError::Conflict(m)) => assert!(m.contains("R-POST-7"), "{m}"),
            other => panic!("expected R-POST-7 refusal, got {other:?}"),
        }
    }
    // Nothing half-written: still not published, three history entries at most.
    let e = p.rt.block_on(st.publication_entry(&id)).unwrap().unwrap();
    assert!(!e.publication.unwrap().is_published());
    assert_eq!(p.rt.block_on(st.publication_events(&id)).unwrap().len(), 2);
    // A double click on the staff page: the second post is done once too.
    let sup = p.sign_in("supervisor");
    let id2 = p.decision(
        "清环罚〔2025〕4号",
        DecisionKind::Penalty,
        day(2025, 10, 9),
        company("清远市戊有限公司"),
        "罚款",
    );
    let (_, page) = p.get(&format!("/publish/{id2}"), Some(&sup));
    let csrf = field(&page, "csrf");
    let form_id = field(&page, "form_id");
    for _ in 0..2 {
        let (status, body) = p.post_form(&sup, &id2, "file", &csrf, &form_id, &[("confirm", "1")]);
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(p.rt.block_on(st.publication_events(&id2)).unwrap().len(), 1);
    // A forged form (no CSRF token) writes nothing.
    let id3 = p.decision(
        "清环罚〔2025〕5号",
        DecisionKind::Penalty,
        day(2025, 10, 9),
        company("清远市己有限公司"),
        "罚款",
    );
    let (status, _) = p.post_form(
        &sup,
        &id3,
        "file",
        "forged",
        "abcdef0123",
        &[("confirm", "1")],
    );
    assert_eq!(status, 403);
    assert!(
        p.rt.block_on(st.publication_events(&id3))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn r_post_3_withdrawal_removes_the_record_everywhere_at_once_and_the_history_keeps_it() {
    let p = Portal::start();
    p.set_now(beijing(2025, 10, 10));
    let id = p.decision(
        "清环罚〔2025〕6号",
        DecisionKind::Penalty,
        day(2025, 10, 9),
        company("清远市庚化工有限公司"),
        "罚款十万元",
    );
    let keep = p.decision(
        "清环罚〔2025〕7号",
        DecisionKind::Penalty,
        day(2025, 10, 9),
        company("清远市辛化工有限公司"),
        "罚款五万元",
    );
    p.publish_direct(&id);
    p.publish_direct(&keep);
    let find = |q: &str| {
        let (_, list) = p.get(&format!("/public/decisions?q={q}"), None);
        let json: Value = p
            .get_resp(&format!("/api/open/v1/decisions?q={q}"))
            .json()
            .unwrap();
        let csv = p
            .get_resp(&format!("/api/open/v1/decisions.csv?q={q}"))
            .text()
            .unwrap();
        (row_ids(&list, "decisions"), json, csv)
    };
    let (ids, json, csv) = find("化工有限公司");
    assert_eq!(ids.len(), 2);
    assert_eq!(json["total"], 2);
    assert!(csv.contains("清环罚〔2025〕6号"));
    let admin = p.sign_in("admin");
    // A reason category is required.
    let (status, page) = p.step(&admin, &id, "withdraw", &[("reason", "复议撤销")]);
    assert_eq!(status, 400, "{page}");
    p.set_now(beijing(2025, 11, 3));
    // Sessions end when idle: sign in again after the clock moved.
    let admin = p.sign_in("admin");
    let (status, page) = p.step(
        &admin,
        &id,
        "withdraw",
        &[
            ("reason_kind", "revoked"),
            ("reason", "行政复议决定撤销（内部说明）"),
        ],
    );
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("已撤回"));
    let (ids, json, csv) = find("化工有限公司");
    assert_eq!(ids, vec![keep.clone()]);
    assert_eq!(json["total"], 1);
    assert_eq!(json["items"][0]["id"], keep.as_str());
    assert!(!csv.contains("清环罚〔2025〕6号") && csv.contains("清环罚〔2025〕7号"));
    let (_, all) = p.get("/public/decisions", None);
    assert_eq!(row_ids(&all, "decisions"), vec![keep.clone()]);
    // The record's page answers 200 with the notice, not the content.
    let (status, page) = p.get(&format!("/public/decisions/{id}"), None);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"withdrawn-notice\""));
    assert!(page.contains("2025-11-03") && page.contains("决定被撤销"));
    assert!(!page.contains("罚款十万元") && !page.contains("内部说明"));
    // A second withdrawal is refused; the history keeps who, when and why.
    let (status, _) = p.step(
        &admin,
        &id,
        "withdraw",
        &[("reason_kind", "redo"), ("reason", "x")],
    );
    assert_eq!(status, 409);
    let events =
        p.rt.block_on(p.state.storage.publication_events(&id))
            .unwrap();
    let w = events
        .iter()
        .find(|e| e.kind == "withdrawn")
        .expect("withdrawn event");
    assert_eq!(w.by_user, p.user_id("admin"));
    assert_eq!(w.detail["reason_kind"], "revoked");
    // Append-only: the database refuses to change or delete the history.
    let db = p.db();
    for sql in [
        "UPDATE publication_withdrawals SET reason = 'x'",
        "DELETE FROM publication_withdrawals",
        "UPDATE publication_events SET kind = 'filed'",
        "DELETE FROM publication_events",
        "DELETE FROM publications",
        "UPDATE publications SET published_on = '2025-01-01'",
    ] {
        assert!(db.execute(sql, []).is_err(), "{sql} must be refused");
    }
    // Storage-level: withdrawing an unpublished decision is refused.
    let fresh = p.decision(
        "清环罚〔2025〕8号",
        DecisionKind::Penalty,
        day(2025, 10, 9),
        company("清远市壬有限公司"),
        "罚款",
    );
    let r = p.rt.block_on(p.state.storage.publication_step(
        None,
        &PublicationStep::Withdraw(WithdrawalRecord {
            decision_id: fresh,
            agency_id: AGENCY.into(),
            reason_kind: WithdrawReason::Redo,
            reason: "x".into(),
            by_user: p.user_id("admin"),
            at: beijing(2025, 11, 3),
            withdrawn_on: day(2025, 11, 3),
        }),
    ));
    assert!(matches!(r, Err(StorageError::Conflict(_))), "{r:?}");
}

#[test]
fn public_search_pages_filters_and_bad_input() {
    let p = Portal::start();
    p.set_now(beijing(2025, 10, 20));
    let mut ids = vec![];
    for n in 0..45u32 {
        let d = day(2025, 10, 1 + (n % 9));
        let kind = if n % 5 == 0 {
            DecisionKind::Inspection
        } else {
            DecisionKind::Penalty
        };
        let id = p.decision(
            &format!("清环罚〔2025〕{}号", 100 + n),
            kind,
            d,
            company("清远市分页测试有限公司"),
            "罚款",
        );
        p.publish_direct(&id);
        ids.push(id);
    }
    // Walk every page by rel=next: each record once, in a stable order.
    let mut seen = vec![];
    let mut path = "/public/decisions".to_string();
    let mut pages = 0;
    loop {
        let (status, page) = p.get(&path, None);
        assert_eq!(status, 200, "{page}");
        let rows = row_ids(&page, "decisions");
        assert!(rows.len() <= 20);
        seen.extend(rows);
        pages += 1;
        if pages > 1 {
            assert!(page.contains("rel=\"prev\""));
        }
        match page.find("rel=\"next\" class=\"button\" href=\"") {
            Some(i) => {
                let s = &page[i + "rel=\"next\" class=\"button\" href=\"".len()..];
                path = s[..s.find('"').unwrap()].replace("&amp;", "&");
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 45, "every record exactly once");
    let (_, again) = p.get("/public/decisions?page=2", None);
    assert_eq!(
        row_ids(&again, "decisions"),
        seen[20..40].to_vec(),
        "stable order"
    );
    // Past the end: 200, empty-state message with a link back to page 1.
    let (status, page) = p.get("/public/decisions?page=9", None);
    assert_eq!(status, 200);
    assert!(page.contains("id=\"decisions-empty\"") && page.contains("返回第 1 页"));
    assert!(page.contains("href=\"/public/decisions?page=1\""));
    // Filters.
    let (_, page) = p.get("/public/decisions?kind=inspection", None);
    assert_eq!(row_ids(&page, "decisions").len(), 9);
    let (_, page) = p.get("/public/decisions?from=2025-10-09&to=2025-10-09", None);
    assert_eq!(row_ids(&page, "decisions").len(), 5);
    let (_, page) = p.get("/public/decisions?q=91441800MA4UJ5X21K", None);
    assert!(page.contains("共 45 条"), "search by credit code");
    let (_, page) = p.get("/public/decisions?agency=nowhere", None);
    assert!(page.contains("id=\"decisions-empty\""));
    // Injection: shown escaped, finds nothing, no error.
    let (status, page) = p.get(
        "/public/decisions?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        None,
    );
    assert_eq!(status, 200);
    assert!(!page.contains("<script>alert(1)"));
    assert!(
        page.contains("alert(1)"),
        "the query is shown back, escaped"
    );
    assert!(page.contains("id=\"decisions-empty\""));
    let (status, _) = p.get("/public/decisions?q=%27%20OR%201%3D1%20--", None);
    assert_eq!(status, 200);
    // Bad input: clear 400s.
    let huge = format!("/public/decisions?q={}", "a".repeat(60_000));
    let (status, page) = p.get(&huge, None);
    assert_eq!(status, 400);
    assert!(page.contains("查询条件过长"), "{page}");
    // 100 KB: longer than any URI the HTTP layer accepts; refused before routing.
    let status = raw_status(
        &p.base,
        &format!("/public/decisions?q={}", "a".repeat(100_000)),
    );
    assert!(
        (400..500).contains(&status),
        "100 KB query refused: {status}"
    );
    let (status, page) = p.get(&format!("/public/decisions?q={}", "字".repeat(101)), None);
    assert_eq!(status, 400);
    assert!(page.contains("最多 100 个字"));
    for (q, msg) in [
        ("page=abc", "页码"),
        ("page=0", "页码"),
        ("page=-1", "页码"),
        ("from=2025-02-30", "日期"),
        ("to=yesterday", "日期"),
        ("from=2025-10-09&to=2025-10-01", "起始日期"),
        ("kind=fine", "决定类型"),
    ] {
        let (status, page) = p.get(&format!("/public/decisions?{q}"), None);
        assert_eq!(status, 400, "{q}");
        assert!(page.contains(msg), "{q}: {page}");
    }
    let r = p.get_resp("/api/open/v1/decisions?per_page=1000");
    assert_eq!(r.status(), 400);
    let v: Value = r.json().unwrap();
    assert!(v["error"].as_str().unwrap().contains("每页条数"));
    let (status, _) = p.get("/public/decisions/no-such-id", None);
    assert_eq!(status, 404);
    let (status, _) = p.get(&format!("/public/decisions/{}", "x".repeat(500)), None);
    assert_eq!(status, 404);
    // An unpublished decision has no public page.
    let unpublished = p.decision(
        "清环罚〔2025〕999号",
        DecisionKind::Penalty,
        day(2025, 10, 9),
        company("清远市未公开有限公司"),
        "罚款",
    );
    let (status, _) = p.get(&format!("/public/decisions/{unpublished}"), None);
    assert_eq!(status, 404);
    // Open data JSON paging.
    let v: Value = p
        .get_resp("/api/open/v1/decisions?per_page=20&page=3")
        .json()
        .unwrap();
    assert_eq!(v["total"], 45);
    assert_eq!(v["items"].as_array().unwrap().len(), 5);
    assert!(v["next"].is_null());
    let v: Value = p
        .get_resp("/api/open/v1/decisions?per_page=40")
        .json()
        .unwrap();
    assert_eq!(v["next"], "/api/open/v1/decisions?page=2&per_page=40");
    let v: Value = p.get_resp("/api/open/v1/decisions?page=99").json().unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 0);
}

#[test]
fn r_post_6_open_data_is_cacheable_with_etag_cors_and_a_bom_csv() {
    let p = Portal::start();
    p.set_now(beijing(2025, 10, 20));
    let id = p.decision(
        "清环罚〔2025〕20号",
        DecisionKind::Penalty,
        day(2025, 10, 9),
        company("清远市开放数据有限公司"),
        "罚款",
    );
    p.publish_direct(&id);
    for path in [
        "/api/open/v1/decisions",
        "/api/open/v1/decisions.csv",
        "/api/open/v1/openapi.json",
    ] {
        let r = p.get_resp(path);
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers().clone();
        assert_eq!(h["cache-control"], "public, max-age=60", "{path}");
        assert_eq!(h["access-control-allow-origin"], "*", "{path}");
        let etag = h["etag"].to_str().unwrap().to_string();
        assert!(
            etag.starts_with('"') && !etag.starts_with("W/"),
            "strong: {etag}"
        );
        let body = r.bytes().unwrap();
        if path.ends_with(".csv") {
            assert!(body.starts_with("\u{feff}".as_bytes()), "BOM");
            assert!(h["content-type"].to_str().unwrap().starts_with("text/csv"));
        }
        let r = p
            .http
            .get(format!("{}{path}", p.base))
            .header("If-None-Match", &etag)
            .send()
            .unwrap();
        assert_eq!(r.status(), 304, "{path}");
        assert_eq!(r.headers()["etag"].to_str().unwrap(), etag);
        let r = p
            .http
            .get(format!("{}{path}", p.base))
            .header("If-None-Match", "\"other\"")
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    // The human page is not an API: no CORS there.
    let r = p.get_resp("/public/open-data");
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("access-control-allow-origin").is_none());
    // The CSV parses back with the csv crate.
    let text = p.get_resp("/api/open/v1/decisions.csv").text().unwrap();
    let mut rd = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][0], id.as_str());
    assert_eq!(&rows[0][3], "91441800MA4UJ5X21K");
    // The OpenAPI document (derived from the handlers, issue 17) describes what
    // the server answers: every path it lists is served, and the JSON list has the
    // properties its schema names.
    let doc: serde_json::Value = p.get_resp("/api/open/v1/openapi.json").json().unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert_eq!(paths.len(), 3, "{doc}");
    for path in paths.keys() {
        assert_eq!(p.get_resp(path).status(), 200, "{path}");
    }
    let list: serde_json::Value = p.get_resp("/api/open/v1/decisions").json().unwrap();
    let schema = &doc["components"]["schemas"]["Decision"]["properties"];
    for key in list["items"][0].as_object().unwrap().keys() {
        assert!(schema[key].is_object(), "{key} is not documented");
    }
}

/// The `data-key` cells of the first `<tr` row carrying `attrs` (in this order).
fn stats_cells(html: &str, attrs: &str) -> Vec<String> {
    let start = html
        .find(attrs)
        .unwrap_or_else(|| panic!("no row {attrs} in {html}"));
    let row = &html[start..start + html[start..].find("</tr>").unwrap()];
    row.split("<td data-key=\"")
        .skip(1)
        .map(|c| {
            let v = &c[c.find('>').unwrap() + 1..];
            v[..v.find('<').unwrap()].to_string()
        })
        .collect()
}

#[test]
fn r_post_5_statistics_per_enforcement_category_with_totals_in_page_csv_and_xlsx() {
    use liuhen_server::storage::public_profile::{
        Actor, AppealCounts, AppealKind, StatsPublication,
    };
    let p = Portal::start();
    // 2025: 生态环境 two penalties and a coercion, 市场监管 a penalty and a licence
    // (every decision of the helper fines 10000.00 yuan); 2024 is not counted.
    for (cat, doc, kind, on) in [
        (
            "生态环境",
            "清环罚〔2025〕101号",
            DecisionKind::Penalty,
            day(2025, 3, 1),
        ),
        (
            "生态环境",
            "清环罚〔2025〕102号",
            DecisionKind::Penalty,
            day(2025, 12, 31),
        ),
        (
            "生态环境",
            "清环强〔2025〕103号",
            DecisionKind::Coercion,
            day(2025, 1, 1),
        ),
        (
            "市场监管",
            "清市罚〔2025〕104号",
            DecisionKind::Penalty,
            day(2025, 6, 1),
        ),
        (
            "市场监管",
            "清市许〔2025〕105号",
            DecisionKind::Licensing,
            day(2025, 7, 1),
        ),
        (
            "生态环境",
            "清环罚〔2024〕106号",
            DecisionKind::Penalty,
            day(2024, 12, 31),
        ),
    ] {
        p.decision_in(
            cat,
            doc,
            kind,
            on,
            company("清远市统计测试有限公司"),
            "罚款",
        );
    }
    // Published on 2026-01-10 with the appeals entered for the agency.
    p.set_now(beijing(2026, 1, 10));
    let by = Actor {
        user_id: p.user_id("admin"),
        name: "审批员丙".into(),
        at: beijing(2026, 1, 10),
    };
    p.rt.block_on(async {
        let st = &p.state.storage;
        let rc = AppealCounts {
            total: 3,
            upheld: 2,
            corrected: 1,
            other: 0,
        };
        let detail =
            liuhen_server::services::labels::appeals_detail(2025, AppealKind::Reconsideration, &rc);
        st.put_appeal_stats(AGENCY, 2025, AppealKind::Reconsideration, &rc, &by, &detail)
            .await
            .unwrap();
        st.publish_stats(&StatsPublication {
            agency_id: AGENCY.into(),
            year: 2025,
            published_by: by.user_id.clone(),
            by_name: by.name.clone(),
            published_at: by.at,
        })
        .await
        .unwrap();
    });

    // The page: a row per category, then the agency's total (合计).
    let (status, html) = p.get("/public/stats/2025", None);
    assert_eq!(status, 200, "{html}");
    let env = stats_cells(
        &html,
        &format!("data-of=\"{AGENCY}\" data-category=\"生态环境\""),
    );
    let market = stats_cells(
        &html,
        &format!("data-of=\"{AGENCY}\" data-category=\"市场监管\""),
    );
    let total = stats_cells(&html, &format!("data-agency=\"{AGENCY}\""));
    // inspections, licensing, penalty, coercion, inspection, other, fines, reviews
    assert_eq!(env, ["0", "0", "2", "1", "0", "0", "30000.00", "0"]);
    assert_eq!(market, ["0", "1", "1", "0", "0", "0", "20000.00", "0"]);
    assert_eq!(
        total[..8],
        ["0", "1", "3", "1", "0", "0", "50000.00", "0"],
        "R-POST-5: the total is the sum of the categories"
    );
    assert!(total[8].starts_with("3（2/1/0）"), "{total:?}");
    assert!(html.contains("合计") && html.contains("<svg"));
    assert!(
        html.contains("市场监管决定"),
        "the chart shows the categories"
    );
    // The category rows come before the total row.
    assert!(html.find("data-category=\"生态环境\"").unwrap() < html.find("data-agency=").unwrap());

    // CSV: UTF-8 with BOM; category column; the same numbers; totals add up.
    let r = p.get_resp("/public/stats/2025.csv");
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().unwrap().to_vec();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "BOM");
    let mut rd = csv::Reader::from_reader(&bytes[3..]);
    let headers = rd.headers().unwrap().clone();
    assert_eq!(&headers[0], "执法主体");
    assert_eq!(&headers[1], "执法类别");
    assert_eq!(&headers[4], "行政许可决定数");
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    let cats: Vec<&str> = rows.iter().map(|r| &r[1]).collect();
    assert_eq!(cats, ["市场监管", "生态环境", "合计"]);
    let by_cat = |c: &str| rows.iter().find(|r| &r[1] == c).unwrap().clone();
    let (m, e, t) = (by_cat("市场监管"), by_cat("生态环境"), by_cat("合计"));
    assert_eq!(&e[0], "清远市生态环境局");
    assert_eq!(&e[2], "2025");
    assert_eq!(&e[5], "2");
    assert_eq!(&e[9], env[6].as_str(), "CSV fines differ from the page");
    assert_eq!(&m[4], "1");
    for col in 3..=10 {
        if col == 9 {
            continue;
        }
        let sum: u64 = m[col].parse::<u64>().unwrap() + e[col].parse::<u64>().unwrap();
        assert_eq!(
            t[col].parse::<u64>().unwrap(),
            sum,
            "column {}",
            &headers[col]
        );
    }
    assert_eq!(&t[9], "50000.00");
    assert_eq!(&t[11], "3", "appeals on the total row");
    assert_eq!(
        &e[11], "",
        "appeals are entered per agency, not per category"
    );
    assert_eq!(&t[20], "否", "published by January 31");

    // XLSX: read back with calamine; the same rows, numbers as numbers.
    let r = p.get_resp("/public/stats/2025.xlsx");
    assert_eq!(r.status(), 200);
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(r.bytes().unwrap().to_vec())).unwrap();
    let range = book.worksheet_range("2025年度统计").unwrap();
    let cell = |r: u32, c: u32| range.get_value((r, c)).cloned().unwrap_or(Data::Empty);
    assert_eq!(cell(0, 1).to_string(), "执法类别");
    let xrow = |c: &str| {
        (1..=3)
            .find(|r| matches!(cell(*r, 1), Data::String(s) if s == c))
            .unwrap_or_else(|| panic!("no {c} row"))
    };
    let (xm, xe, xt) = (xrow("市场监管"), xrow("生态环境"), xrow("合计"));
    assert_eq!(cell(xe, 5), Data::Float(2.0));
    assert_eq!(cell(xm, 4), Data::Float(1.0));
    assert_eq!(cell(xt, 5), Data::Float(3.0));
    assert_eq!(cell(xt, 9), Data::Float(50000.0));
    for col in 3..=10 {
        let n = |r: u32| match cell(r, col) {
            Data::Float(f) => f,
            other => panic!("column {col} not a number: {other:?}"),
        };
        assert_eq!(n(xt), n(xm) + n(xe), "column {col}");
    }
    assert_eq!(cell(xt, 11), Data::Float(3.0));
    assert_eq!(cell(xe, 11), Data::Empty);
}

/// Issue 16 (OWASP CSV injection): text a spreadsheet would run as a formula is
/// published with a leading `'` in the open-data CSV and in the statistics CSV
/// and XLSX; numbers (a negative fine too) stay numbers.
#[test]
fn spreadsheet_cells_never_start_a_formula_in_csv_or_xlsx() {
    use liuhen_server::storage::public_profile::StatsPublication;
    const FORMULA: &str = "=HYPERLINK(\"http://x\",\"y\")";
    let p = Portal::start();
    p.set_now(beijing(2025, 10, 20));
    let id = p.decision_with(
        FORMULA,
        "清环罚〔2025〕66号",
        DecisionKind::Penalty,
        day(2025, 10, 9),
        company("清远市公式测试有限公司"),
        "-1+1 罚款",
        |d| {
            d.title = FORMULA.into();
            d.legal_basis = "@SUM(1,1)".into();
            d.fine_fen = Some(-12_345);
        },
    );
    p.publish_direct(&id);

    let r = p.get_resp("/api/open/v1/decisions.csv");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["referrer-policy"], "same-origin");
    let text = r.text().unwrap();
    let mut rd = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(&row[4], format!("'{FORMULA}"), "category");
    assert_eq!(&row[6], format!("'{FORMULA}"), "title");
    assert_eq!(&row[9], "'@SUM(1,1)", "legal basis");
    assert_eq!(&row[10], "'-1+1 罚款", "conclusion");
    assert_eq!(&row[11], "-123.45", "a fine stays a number");
    for (i, cell) in row.iter().enumerate() {
        assert!(
            i == 11 || !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "column {i}: {cell}"
        );
    }

    // The statistics of 2025 have a category row named by the formula.
    p.set_now(beijing(2026, 1, 10));
    p.rt.block_on(p.state.storage.publish_stats(&StatsPublication {
        agency_id: AGENCY.into(),
        year: 2025,
        published_by: p.user_id("admin"),
        by_name: "审批员丙".into(),
        published_at: beijing(2026, 1, 10),
    }))
    .unwrap();
    let bytes = p
        .get_resp("/public/stats/2025.csv")
        .bytes()
        .unwrap()
        .to_vec();
    let mut rd = csv::Reader::from_reader(&bytes[3..]);
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    let cats: Vec<&str> = rows.iter().map(|r| &r[1]).collect();
    assert_eq!(cats, [format!("'{FORMULA}").as_str(), "合计"]);
    assert_eq!(&rows[0][9], "-123.45", "fines stay a number");

    use calamine::{Data, Reader, Xlsx};
    let r = p.get_resp("/public/stats/2025.xlsx");
    assert_eq!(r.status(), 200);
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(r.bytes().unwrap().to_vec())).unwrap();
    let range = book.worksheet_range("2025年度统计").unwrap();
    let cell = |r: u32, c: u32| range.get_value((r, c)).cloned().unwrap_or(Data::Empty);
    assert_eq!(cell(1, 1), Data::String(format!("'{FORMULA}")));
    assert_eq!(
        cell(1, 9),
        Data::Float(-123.45),
        "a negative fine is a number"
    );
    assert_eq!(cell(2, 9), Data::Float(-123.45));
    for (r, row) in range.rows().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if let Data::String(s) = v {
                assert!(
                    !s.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "cell ({r}, {c}): {s}"
                );
            }
        }
    }
}

// ---- R-POST-2 against what people type (issue 20) ---------------------------
//
// R-POST-2 against what people actually type (issue 20): decisions whose public
// text holds ID numbers written with spaces and dashes, mobiles with dashes or in
// full-width digits, a mobile with +86, and the names of natural persons other
// than the party (a relative, a witness, a legal representative) are published,
// and every public page (crawled from `/public`), the open data JSON and CSV,
// and the statistics pages, CSV and XLSX of their year are scanned: none of those
// strings, nor their digits with the separators taken out, may appear. The
// masked forms (王某, [已隐去]) must. Real router and SQLite storage in-process
// over real HTTP on loopback; staff sign in through the login form.

/// What people typed, each as written: none may appear on a public answer.
const TYPED: &[&str] = &[
    "4401 0319 9003 0712 32",
    "4401-0319-9003-0712-3X",
    "138-0013-8001",
    "139 0222 1234",
    "１３７００１３７００２",
    "１３６－００１３－６００３",
    "+86 135 0013 5004",
    "王小红",
    "张强",
    "欧阳娜娜",
    "李建国",
    "刘建华",
];

/// The digits of `s` with full-width folded and everything else dropped.
fn digits(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            if c.is_ascii_digit() {
                Some(c)
            } else if ('０'..='９').contains(&c) {
                char::from_u32(c as u32 - '０' as u32 + '0' as u32)
            } else {
                None
            }
        })
        .collect()
}

/// Fails if `body` of `path` holds any typed value, or (digits only) any typed
/// number with its separators removed.
fn assert_clean(path: &str, body: &str) {
    for v in TYPED {
        assert!(
            !body.contains(v),
            "R-POST-2: {v:?} appears in the public answer of {path}"
        );
    }
    let all = digits(body);
    for v in TYPED {
        let d = digits(v);
        if d.len() >= 11 {
            let d = d.trim_start_matches("86").to_string();
            assert!(
                !all.contains(&d),
                "R-POST-2: the digits of {v:?} appear in the public answer of {path}"
            );
        }
    }
}

/// Every text cell of an XLSX file.
fn xlsx_text(bytes: &[u8]) -> String {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    let mut out = String::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).expect("sheet");
        for row in range.rows() {
            for c in row {
                out.push_str(&c.to_string());
                out.push('\t');
            }
            out.push('\n');
        }
    }
    out
}

/// Same-site links of a page under the public portal or the open API.
fn links(html: &str) -> Vec<String> {
    html.match_indices("href=\"")
        .filter_map(|(i, m)| {
            let s = &html[i + m.len()..];
            let end = s.find('"')?;
            let href = s[..end].replace("&amp;", "&");
            let href = href.split('#').next().unwrap_or("").to_string();
            (href.starts_with("/public") || href.starts_with("/api/open/")).then_some(href)
        })
        .collect()
}

#[test]
fn r_post_2_what_people_type_never_reaches_a_public_answer() {
    let p = Portal::start();
    let person = (PartyKind::Person, "刘建华", "440103199003071232");
    let company = (PartyKind::Company, "清远市甲化工有限公司", "");
    let ids = vec![
        p.decision(
            "清环罚〔2025〕31号",
            DecisionKind::Penalty,
            day(2025, 10, 9),
            person,
            "当事人刘建华（身份证号 4401 0319 9003 0712 32，电话 138-0013-8001）露天焚烧废旧轮胎，其妻王小红（电话 １３７００１３７００２）在场，其子张强因故未到场。处罚款二千元。",
        ),
        p.decision(
            "清环罚〔2025〕32号",
            DecisionKind::Penalty,
            day(2025, 10, 9),
            company,
            "法定代表人：欧阳娜娜（身份证号4401-0319-9003-0712-3X，手机 +86 135 0013 5004）。证人李建国（电话 139 0222 1234，备用 １３６－００１３－６００３）陈述属实。责令改正，处罚款一万元。",
        ),
    ];
    // Filing through the page: the filer is shown each probable name with its
    // position and must confirm it is masked; without that, nothing is filed.
    let sup = p.sign_in("supervisor");
    let (status, page) = p.step(&sup, &ids[1], "file", &[("confirm", "1")]);
    assert_eq!(status, 400, "{page}");
    assert!(
        page.contains("“决定内容”第 7 个字起的“欧阳娜娜”")
            && page.contains("“李建国”")
            && page.contains("id=\"name-warnings\""),
        "the filer is told which spans: {page}"
    );
    let (status, page) = p.step(
        &sup,
        &ids[1],
        "file",
        &[("confirm", "1"), ("confirm_names", "1")],
    );
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("填报"), "{page}");
    for id in &ids[..1] {
        p.publish_direct(id);
    }
    {
        let (l, a) = (p.user_id("legal"), p.user_id("admin"));
        let now = p.clock.now();
        let st = &p.state.storage;
        p.rt.block_on(async {
            st.publication_step(
                None,
                &PublicationStep::Review {
                    decision_id: ids[1].clone(),
                    by: l,
                    at: now,
                },
            )
            .await
            .unwrap();
            st.publication_step(
                None,
                &PublicationStep::Approve {
                    decision_id: ids[1].clone(),
                    by: a.clone(),
                    at: now,
                    published_on: liuhen_core::time::local_date(now),
                    due_on: None,
                    late: Some(false),
                    late_working_days: None,
                },
            )
            .await
            .unwrap();
        });
    }
    // The 2025 statistics are published in January 2026 (R-POST-5).
    p.set_now(beijing(2026, 1, 10));
    let admin_id = p.user_id("admin");
    p.rt.block_on(p.state.storage.publish_stats(
        &liuhen_server::storage::public_profile::StatsPublication {
            agency_id: AGENCY.into(),
            year: 2025,
            published_by: admin_id,
            by_name: "审批员丙".into(),
            published_at: beijing(2026, 1, 10),
        },
    ))
    .unwrap();

    let mut required: Vec<String> = vec![
        "/public".into(),
        "/public/decisions".into(),
        "/public/stats".into(),
        "/public/stats/2025".into(),
        "/public/stats/2025.csv".into(),
        "/api/open/v1/decisions".into(),
        "/api/open/v1/decisions.csv".into(),
    ];
    for id in &ids {
        required.push(format!("/public/decisions/{id}"));
        required.push(format!("/api/open/v1/decisions/{id}"));
    }
    for q in ["王小红", "4401 0319 9003 0712 32", "138-0013-8001", "王某"] {
        let q = serde_urlencoded::to_string([("q", q)]).unwrap();
        required.push(format!("/api/open/v1/decisions?{q}"));
        required.push(format!("/api/open/v1/decisions.csv?{q}"));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut todo: std::collections::VecDeque<String> = std::collections::VecDeque::new();
    for r in &required {
        let (status, body) = p.get(r, None);
        if r.starts_with("/api/open/v1/decisions/") && status == 404 {
            continue; // no per-decision JSON route: the list carries everything
        }
        assert_eq!(status, 200, "{r}: {body}");
        assert_clean(r, &body);
        seen.insert(r.clone());
        todo.extend(links(&body));
    }
    while let Some(path) = todo.pop_front() {
        if seen.len() > 300 || !seen.insert(path.clone()) {
            continue;
        }
        let (status, body) = p.get(&path, None);
        assert!(status == 200 || status == 304, "{status} {path}");
        assert_clean(&path, &body);
        todo.extend(links(&body));
    }
    // The XLSX, cell by cell.
    let r = p
        .http
        .get(format!("{}/public/stats/2025.xlsx", p.base))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let cells = xlsx_text(&r.bytes().unwrap());
    assert!(cells.contains("2025"), "{cells}");
    assert_clean("/public/stats/2025.xlsx", &cells);

    // Published, masked: the relatives and witness as 姓+某, the numbers hidden.
    let (_, json) = p.get("/api/open/v1/decisions", None);
    let v: Value = serde_json::from_str(&json).unwrap();
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{json}");
    let text = json.to_string();
    for masked in ["刘某", "王某", "张某", "欧阳某", "李某", mask::REDACTED] {
        assert!(text.contains(masked), "{masked} in {json}");
    }
}
