//! R-POST-2 against what people actually type (issue 20): decisions whose public
//! text holds ID numbers written with spaces and dashes, mobiles with dashes or in
//! full-width digits, a mobile with +86, and the names of natural persons other
//! than the party (a relative, a witness, a legal representative) are published,
//! and every public page (crawled from `/public`), the open data JSON and CSV,
//! and the statistics pages, CSV and XLSX of their year are scanned: none of those
//! strings, nor their digits with the separators taken out, may appear. The
//! masked forms (王某, [已隐去]) must. Real router and SQLite storage in-process
//! over real HTTP on loopback; staff sign in through the login form.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use reqwest::blocking::{Client, Response};
use reqwest::redirect::Policy;
use serde_json::Value;

use liuhen_core::legal::{DecisionKind, PartyKind};
use liuhen_core::model::RosterSnapshot;
use liuhen_core::time::Clock;
use liuhen_server::admin::{NewUser, create_user, load_roster};
use liuhen_server::demo::{DEMO_PASSWORD, DEMO_ROSTER_JSON};
use liuhen_server::public::mask;
use liuhen_server::state::{AppState, Config};
use liuhen_server::storage::Role;
use liuhen_server::storage::legal::{DecisionRecord, DraftRecord, DraftStatus, LegalWrite};
use liuhen_server::storage::publicity::PublicationStep;

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
}

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
