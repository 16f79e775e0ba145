//! The review queue (审核队列, `GET /desk`) over real HTTP on loopback: the real
//! router and SQLite storage in-process, a supervisor signed in through the login
//! form, inspections written as real automerge documents through core's
//! `InspectionDoc` API (one synced from a device through `POST /api/v1/sync`, one
//! decided through the review API, evidence uploaded over tus), summaries kept by
//! the server's own hooks. Checks every filter against hand-written expectations,
//! attention order, keyset paging both ways, agency isolation, sign-in redirect and
//! bad input (400 page with a Chinese message, `<script>` escaped); plus a property
//! test of keyset paging over random summaries.

use std::collections::BTreeSet;
use std::sync::Arc;

use automerge::ActorId;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use rand::RngCore;
use reqwest::blocking::{Client, Response};
use reqwest::redirect::Policy;
use serde_json::{Value, json};

use liuhen_core::doc::{InspectionDoc, NewInspection};
use liuhen_core::inspection::{
    Acknowledgement, Amendment, Closure, EvidenceKind, EvidenceRef, Finding, IdentityNotice,
    InspectionKind, InspectionMeta, InspectionStep, ReviewDecision, ReviewOutcome, RightsNotice,
    TeamMember,
};
use liuhen_core::model::RosterSnapshot;
use liuhen_core::time::FixedClock;
use liuhen_server::api::admin::{NewUser, create_user, load_roster};
use liuhen_server::auth::{new_token, token_hash};
use liuhen_server::demo::{DEMO_PASSWORD, DEMO_ROSTER_JSON};
use liuhen_server::state::{AppState, Config};
use liuhen_server::storage::queue::{PageAt, QueueFilter, QueueStorage, QueueSummary, ReviewState};
use liuhen_server::storage::sqlite::SqliteStorage;
use liuhen_server::storage::{BlobRecord, Device, DocRecord, Role};

const AGENCY: &str = "qy-sthj";
const OTHER: &str = "qy-other";

fn now() -> DateTime<Utc> {
    // 2026-11-20 18:00 in Beijing.
    Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap()
}

fn h(hours: i64) -> Duration {
    Duration::hours(hours)
}

fn random_sha() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The server in-process on a loopback port, a supervisor signed in.
struct Desk {
    rt: tokio::runtime::Runtime,
    state: AppState,
    base: String,
    http: Client,
    /// `liuhen_session=...` of the signed-in supervisor.
    cookie: String,
    _dir: tempfile::TempDir,
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

/// The value of `name="csrf" value="..."` in a page.
fn csrf_field(html: &str) -> String {
    let at = html.find("name=\"csrf\"").expect("csrf field");
    let rest = &html[at..];
    let v = rest.find("value=\"").unwrap() + 7;
    rest[v..v + rest[v..].find('"').unwrap()].to_string()
}

impl Desk {
    fn start() -> Desk {
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
        let state = rt
            .block_on(liuhen_server::build_state_with_clock(
                config,
                Arc::new(FixedClock(now())),
            ))
            .unwrap();
        rt.block_on(async {
            for agency in [AGENCY, OTHER] {
                let json = DEMO_ROSTER_JSON.replace("qy-sthj", agency);
                let roster: RosterSnapshot = serde_json::from_str(&json).unwrap();
                load_roster(&state, &roster).await.unwrap();
            }
            create_user(
                &state,
                NewUser {
                    agency_id: AGENCY.into(),
                    login: "supervisor".into(),
                    name: "演示督查员".into(),
                    role: Role::Supervisor,
                    officer_id: None,
                    password: DEMO_PASSWORD.into(),
                },
            )
            .await
            .unwrap();
        });
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let app = liuhen_server::app(state.clone());
        rt.spawn(async move { axum::serve(listener, app).await });
        let mut desk = Desk {
            rt,
            state,
            base: format!("http://{addr}"),
            http: http(),
            cookie: String::new(),
            _dir: dir,
        };
        desk.cookie = desk.sign_in("supervisor", DEMO_PASSWORD);
        desk
    }

    /// Signs in through the form; returns the session cookie.
    fn sign_in(&self, login: &str, password: &str) -> String {
        let page = self
            .http
            .get(format!("{}/login", self.base))
            .send()
            .unwrap();
        assert_eq!(page.status(), 200);
        let login_cookie = set_cookie(&page, "liuhen_login_csrf").expect("login cookie");
        let csrf = csrf_field(&page.text().unwrap());
        let resp = self
            .http
            .post(format!("{}/login", self.base))
            .header("Cookie", login_cookie)
            .form(&[
                ("csrf", csrf.as_str()),
                ("next", "/desk"),
                ("login", login),
                ("password", password),
            ])
            .send()
            .unwrap();
        assert!(resp.status().is_redirection(), "{}", resp.status());
        set_cookie(&resp, "liuhen_session").expect("session cookie")
    }

    /// `GET path` as the supervisor: (status, body).
    fn get(&self, path: &str) -> (u16, String) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header("Cookie", &self.cookie)
            .send()
            .unwrap();
        (resp.status().as_u16(), resp.text().unwrap())
    }

    /// Ids of the queue rows of `path`, in page order, and the page.
    fn ids(&self, path: &str) -> (Vec<String>, String) {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "{path}: {body}");
        (row_ids(&body), body)
    }

    /// Every row of a filtered queue, walking `rel=next` from the first page; checks
    /// that `rel=prev` walks back through the same pages.
    fn walk(&self, query: &str) -> Vec<String> {
        let mut pages: Vec<(String, Vec<String>)> = vec![];
        let mut path = format!("/desk?{query}");
        loop {
            let (ids, body) = self.ids(&path);
            assert!(
                ids.len() <= 50,
                "more than 50 rows on one page: {}",
                ids.len()
            );
            let next = link(&body, "next");
            let prev = link(&body, "prev");
            assert_eq!(prev.is_some(), !pages.is_empty(), "prev link on {path}");
            pages.push((path.clone(), ids));
            match next {
                Some(n) => path = n,
                None => break,
            }
        }
        // Back again through rel=prev: the same pages, in reverse.
        let mut path = pages.last().unwrap().0.clone();
        for i in (0..pages.len()).rev() {
            let (ids, body) = self.ids(&path);
            assert_eq!(ids, pages[i].1, "page {i} read backwards");
            match link(&body, "prev") {
                Some(p) => path = p,
                None => assert_eq!(i, 0, "no prev link on page {i}"),
            }
        }
        let all: Vec<String> = pages.into_iter().flat_map(|(_, ids)| ids).collect();
        let unique: BTreeSet<&String> = all.iter().collect();
        assert_eq!(unique.len(), all.len(), "a row appeared twice: {query}");
        all
    }

    fn block<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        self.rt.block_on(f)
    }
}

/// `data-id` of every `tr` of `#queue`, in order.
fn row_ids(html: &str) -> Vec<String> {
    let mut out = vec![];
    let mut rest = html;
    while let Some(i) = rest.find("<tr data-id=\"") {
        rest = &rest[i + 13..];
        out.push(rest[..rest.find('"').unwrap()].to_string());
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&#38;", "&")
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&#x3d;", "=")
}

/// The href of `a[rel=<rel>]`.
fn link(html: &str, rel: &str) -> Option<String> {
    let at = html.find(&format!("rel=\"{rel}\""))?;
    let rest = &html[at..];
    let v = rest.find("href=\"")? + 6;
    Some(unescape(&rest[v..v + rest[v..].find('"')?]))
}

/// An evidence item of a spec: captured `captured_ago` before now, received
/// `received_after` capture (None: not received).
#[derive(Clone, Copy)]
struct Ev {
    captured_ago: Duration,
    received_after: Option<Duration>,
}

/// How to write one inspection, and what the queue must say about it (written by
/// hand, not computed by the server's code).
#[derive(Clone)]
struct Spec {
    name: &'static str,
    agency: &'static str,
    target: usize,
    officers: [&'static str; 2],
    opened_ago: Duration,
    complete: bool,
    closed: bool,
    decision: Option<ReviewOutcome>,
    amended: bool,
    evidence: Vec<Ev>,
    updated_ago: Duration,
    // Expectations.
    state: ReviewState,
    rank: u8,
    violations: bool,
    late: bool,
    awaiting: bool,
}

const TARGETS: [(&str, &str, Option<&str>); 3] = [
    (
        "qy-dx-0001",
        "清远市鑫达陶瓷有限公司",
        Some("91441802MA53XKP2R7"),
    ),
    (
        "qy-dx-0002",
        "英德市华盈再生资源有限公司",
        Some("91441881MA4WB8Y6JA"),
    ),
    ("qy-dx-0003", "刘建华", None),
];

fn officer_name(id: &str) -> &'static str {
    match id {
        "qy-zf-001" => "李明",
        "qy-zf-002" => "陈晓红",
        "qy-zf-003" => "黄志强",
        _ => "吴建国",
    }
}

/// Builds the document of a spec with `actor` (returns the doc, its evidence).
fn build(spec: &Spec, actor: ActorId, id: &str) -> (InspectionDoc, Vec<(EvidenceRef, Ev)>) {
    let opened_at = now() - spec.opened_ago;
    let (target_id, target_name, code) = TARGETS[spec.target];
    let mut d = InspectionDoc::create(
        actor,
        NewInspection {
            meta: InspectionMeta {
                id: id.into(),
                kind: InspectionKind::AdHoc,
                task_id: None,
                agency_id: spec.agency.into(),
                agency_name: "清远市生态环境局".into(),
                target_id: target_id.into(),
                target_name: target_name.into(),
                target_credit_code: code.map(str::to_string),
                target_address: "清远市清城区".into(),
                target_area: "441802".into(),
                target_is_natural_person: code.is_none(),
                category: "生态环境".into(),
                item_code: "QYHJ-SJ-03".into(),
                item_name: "排污许可证执行情况检查".into(),
                legal_basis: "《排污许可管理条例》".into(),
                opened_at,
                opened_by: spec.officers[0].into(),
                device_id: "dev-1".into(),
            },
        },
    )
    .unwrap();
    for (n, o) in spec.officers.iter().enumerate() {
        d.add_team_member(&TeamMember {
            officer_id: (*o).into(),
            name: officer_name(o).into(),
            certificate_no: format!("4418002100{}", &o[o.len() - 1..]),
            certificate_valid_until: NaiveDate::from_ymd_opt(2029, 12, 31).unwrap(),
            checked_in_at: opened_at + Duration::minutes(n as i64),
            device_id: "dev-1".into(),
            location: None,
        })
        .unwrap();
    }
    let mut evidence = vec![];
    let mut add = |d: &mut InspectionDoc, kind, step, ev: Ev| {
        let r = EvidenceRef {
            sha256: random_sha(),
            kind,
            media_type: "application/octet-stream".into(),
            size_bytes: 100,
            captured_at: now() - ev.captured_ago,
            captured_by: spec.officers[0].into(),
            device_id: "dev-1".into(),
            step,
            lat: None,
            lon: None,
            accuracy_m: None,
            fixed_at: None,
        };
        d.add_evidence(&r).unwrap();
        evidence.push((r.clone(), ev));
        r.sha256
    };
    let on_time = Ev {
        captured_ago: spec.opened_ago,
        received_after: Some(Duration::minutes(10)),
    };
    let mut finding_id = None;
    if spec.complete {
        let audio = add(
            &mut d,
            EvidenceKind::Audio,
            InspectionStep::IdentityNotice,
            on_time,
        );
        d.set_identity_notice(&IdentityNotice {
            statement: "我们是清远市生态环境局执法人员，现依法进行检查".into(),
            recording_sha256: audio,
            given_at: opened_at,
            given_by: spec.officers[0].into(),
        })
        .unwrap();
        let f = Finding {
            id: new_id(),
            text: "排污许可证在有效期内".into(),
            author: spec.officers[0].into(),
            at: opened_at,
            evidence: vec![],
        };
        d.add_finding(&f).unwrap();
        finding_id = Some(f.id);
        let sig = add(
            &mut d,
            EvidenceKind::Signature,
            InspectionStep::RightsNotice,
            on_time,
        );
        d.set_rights_notice(&RightsNotice {
            notice_version: "2026-01".into(),
            remedy_channels: vec!["六十日内申请行政复议".into()],
            acknowledgement: Acknowledgement::Signed {
                signer_name: "刘经理".into(),
                signature_sha256: sig,
            },
            given_at: opened_at,
            given_by: spec.officers[0].into(),
        })
        .unwrap();
    }
    for ev in &spec.evidence {
        add(&mut d, EvidenceKind::Photo, InspectionStep::Findings, *ev);
    }
    if spec.closed {
        d.set_closure(&Closure {
            closed_at: opened_at + Duration::minutes(30),
            closed_by: spec.officers[0].into(),
        })
        .unwrap();
    }
    if let Some(outcome) = spec.decision {
        let decided_at = now() - spec.updated_ago - Duration::minutes(30);
        d.set_review_decision(&ReviewDecision {
            decision: outcome,
            decided_by: "u-supervisor".into(),
            decided_by_name: "演示督查员".into(),
            decided_at,
        })
        .unwrap();
        if spec.amended {
            d.add_amendment(&Amendment {
                id: new_id(),
                amends: format!("finding:{}", finding_id.clone().unwrap()),
                text: "补充说明：许可证编号已核对".into(),
                author: spec.officers[0].into(),
                at: decided_at + Duration::minutes(10),
                evidence: vec![],
            })
            .unwrap();
        }
    }
    (d, evidence)
}

/// Writes a spec's document and evidence through the storage (as a sync would) and
/// refreshes its summary; returns the id.
async fn store(state: &AppState, spec: &Spec) -> String {
    let id = new_id();
    let (mut d, evidence) = build(spec, ActorId::random(), &id);
    for (r, _) in &evidence {
        state
            .storage
            .reference_blob(&BlobRecord {
                sha256: r.sha256.clone(),
                inspection_id: id.clone(),
                captured_at: r.captured_at,
                received_at: None,
                size: r.size_bytes,
            })
            .await
            .unwrap();
    }
    let mut officers: Vec<String> = spec.officers.iter().map(|s| s.to_string()).collect();
    officers.sort();
    state
        .storage
        .put_doc(
            &DocRecord {
                id: id.clone(),
                agency_id: spec.agency.into(),
                officer_ids: officers,
                task_id: None,
                target_name: TARGETS[spec.target].1.into(),
                status: if spec.closed { "closed" } else { "open" }.into(),
                heads: d.heads().iter().map(|h| h.to_string()).collect(),
                bytes: d.save(),
                updated_at: now() - spec.updated_ago,
            },
            None,
        )
        .await
        .unwrap();
    // Receipt is per agency: granted once the agency's record is stored.
    for (r, ev) in &evidence {
        if let Some(after) = ev.received_after {
            state
                .storage
                .mark_blob_received(spec.agency, &r.sha256, r.size_bytes, r.captured_at + after)
                .await
                .unwrap();
        }
    }
    liuhen_server::services::summary::refresh(state, &id)
        .await
        .unwrap();
    id
}

fn base_spec(name: &'static str) -> Spec {
    Spec {
        name,
        agency: AGENCY,
        target: 0,
        officers: ["qy-zf-001", "qy-zf-002"],
        opened_ago: h(3),
        complete: true,
        closed: true,
        decision: None,
        amended: false,
        evidence: vec![],
        updated_ago: h(1),
        state: ReviewState::Pending,
        rank: 1,
        violations: false,
        late: false,
        awaiting: false,
    }
}

/// The fixture: one inspection of each kind, with what the queue must say.
fn fixture() -> Vec<Spec> {
    let missing = |ago| Ev {
        captured_ago: ago,
        received_after: None,
    };
    vec![
        Spec {
            decision: Some(ReviewOutcome::Returned),
            amended: true,
            updated_ago: h(1),
            state: ReviewState::Amended,
            rank: 0,
            ..base_spec("amended")
        },
        Spec {
            complete: false,
            target: 1,
            officers: ["qy-zf-003", "qy-zf-004"],
            updated_ago: h(2),
            rank: 0,
            violations: true,
            ..base_spec("pending with violations")
        },
        Spec {
            target: 2,
            officers: ["qy-zf-002", "qy-zf-001"],
            updated_ago: Duration::minutes(30),
            ..base_spec("pending clean")
        },
        Spec {
            evidence: vec![missing(h(2))],
            updated_ago: h(3),
            awaiting: true,
            ..base_spec("pending awaiting upload")
        },
        Spec {
            closed: false,
            complete: false,
            target: 1,
            opened_ago: h(31),
            evidence: vec![missing(h(30))],
            updated_ago: h(4),
            state: ReviewState::Open,
            rank: 2,
            violations: true,
            late: true,
            awaiting: true,
            ..base_spec("open, evidence missing past 24 h")
        },
        Spec {
            officers: ["qy-zf-003", "qy-zf-004"],
            decision: Some(ReviewOutcome::Returned),
            opened_ago: h(60),
            evidence: vec![Ev {
                captured_ago: h(60),
                received_after: Some(h(30)),
            }],
            updated_ago: h(5),
            state: ReviewState::Returned,
            rank: 2,
            violations: true,
            late: true,
            ..base_spec("returned, evidence arrived late")
        },
        Spec {
            target: 2,
            decision: Some(ReviewOutcome::Returned),
            updated_ago: h(6),
            state: ReviewState::Returned,
            rank: 3,
            ..base_spec("returned")
        },
        Spec {
            closed: false,
            complete: false,
            officers: ["qy-zf-001", "qy-zf-004"],
            opened_ago: h(1),
            updated_ago: h(7),
            state: ReviewState::Open,
            rank: 4,
            violations: true,
            ..base_spec("open")
        },
        Spec {
            decision: Some(ReviewOutcome::Approved),
            // Opened ten days earlier (date filter).
            opened_ago: h(240),
            updated_ago: h(8),
            state: ReviewState::Approved,
            rank: 5,
            ..base_spec("approved")
        },
        // Another agency's: the most urgent kinds, never shown.
        Spec {
            agency: OTHER,
            complete: false,
            updated_ago: Duration::minutes(1),
            rank: 0,
            violations: true,
            ..base_spec("other agency pending")
        },
        Spec {
            agency: OTHER,
            decision: Some(ReviewOutcome::Returned),
            amended: true,
            updated_ago: Duration::minutes(2),
            state: ReviewState::Amended,
            rank: 0,
            ..base_spec("other agency amended")
        },
    ]
}

/// Ids of the specs of our agency that pass `keep`, in attention order.
fn expect(specs: &[(String, Spec)], keep: impl Fn(&Spec) -> bool) -> Vec<String> {
    let mut v: Vec<&(String, Spec)> = specs
        .iter()
        .filter(|(_, s)| s.agency == AGENCY && keep(s))
        .collect();
    v.sort_by_key(|(_, s)| (s.rank, s.updated_ago));
    v.into_iter().map(|(id, _)| id.clone()).collect()
}

fn names(specs: &[(String, Spec)], ids: &[String]) -> Vec<&'static str> {
    ids.iter()
        .map(|id| {
            specs
                .iter()
                .find(|(i, _)| i == id)
                .map_or("?", |(_, s)| s.name)
        })
        .collect()
}

fn with_fixture() -> (Desk, Vec<(String, Spec)>) {
    let desk = Desk::start();
    let specs: Vec<(String, Spec)> = fixture()
        .into_iter()
        .map(|s| (desk.block(store(&desk.state, &s)), s))
        .collect();
    (desk, specs)
}

#[test]
fn states_ranks_and_attention_order() {
    let (desk, specs) = with_fixture();
    for (id, s) in &specs {
        let sum = desk
            .block(desk.state.storage.queue_summary(id))
            .unwrap()
            .unwrap();
        assert_eq!(sum.state, s.state, "{}", s.name);
        assert_eq!(sum.rank, s.rank, "{}: {:?}", s.name, sum.violations);
        assert_eq!(
            !sum.violations_at(now()).is_empty(),
            s.violations,
            "{}: {:?}",
            s.name,
            sum.violations
        );
    }
    let (ids, body) = desk.ids("/desk");
    let want = expect(&specs, |_| true);
    assert_eq!(names(&specs, &ids), names(&specs, &want));
    // Badges in Chinese, Beijing time, the rule ids, R-REC-4 wording.
    for label in ["待审核", "已退回", "已补正待复核", "审核通过", "现场进行中"]
    {
        assert!(body.contains(label), "{label}");
    }
    assert!(body.contains("R-SCENE-4"), "rule ids shown");
    assert!(body.contains("采集超过 24 小时仍未上传（R-REC-4）"));
    assert!(body.contains("有证据超过 24 小时才上传（R-REC-4）"));
    // "open" spec: opened 1 h before 18:00 Beijing time.
    assert!(body.contains("2026-11-20 17:00"), "Beijing time");
    for (id, _) in &specs {
        if ids.contains(id) {
            assert!(body.contains(&format!("href=\"/desk/inspections/{id}\"")));
        }
    }
    assert!(body.contains("id=\"queue\""));
    assert!(!body.contains("rel=\"next\"") && !body.contains("rel=\"prev\""));
}

#[test]
fn every_filter_returns_exactly_the_expected_rows() {
    let (desk, specs) = with_fixture();
    let check = |query: &str, keep: &dyn Fn(&Spec) -> bool| {
        let got = desk.walk(query);
        let want = expect(&specs, keep);
        assert_eq!(names(&specs, &got), names(&specs, &want), "filter {query}");
    };
    check("", &|_| true);
    check("state=all", &|_| true);
    for st in ReviewState::ALL {
        check(&format!("state={}", st.as_str()), &|s| s.state == st);
    }
    for o in ["qy-zf-001", "qy-zf-002", "qy-zf-003", "qy-zf-004"] {
        check(&format!("officer={o}"), &|s| s.officers.contains(&o));
    }
    check("target=%E9%91%AB%E8%BE%BE", &|s| s.target == 0); // 鑫达
    check("target=91441881", &|s| s.target == 1); // credit code
    check("target=%E5%88%98%E5%BB%BA%E5%8D%8E", &|s| s.target == 2); // 刘建华
    check("target=%25", &|_| false); // a literal %, not a wildcard
    check("violations=1", &|s| s.violations);
    check("late=1", &|s| s.late);
    check("awaiting=1", &|s| s.awaiting);
    check("violations=1&late=1&awaiting=1", &|s| {
        s.violations && s.late && s.awaiting
    });
    // Dates are Beijing dates: everything but "approved" and the two opened 31 h
    // and 60 h ago was opened on 2026-11-20.
    let day = |s: &Spec| (now() - s.opened_ago + h(8)).date_naive();
    let d20 = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let d10 = NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
    check("from=2026-11-20&to=2026-11-20", &|s| day(s) == d20);
    check("to=2026-11-10", &|s| day(s) <= d10);
    check("from=2026-11-11", &|s| day(s) > d10);
    check("state=pending&officer=qy-zf-004&awaiting=on", &|s| {
        s.state == ReviewState::Pending && s.officers.contains(&"qy-zf-004") && s.awaiting
    });
    // An empty result says so.
    let (_, body) = desk.get("/desk?state=approved&officer=qy-zf-003");
    assert!(body.contains("id=\"queue-empty\""));
    assert!(!body.contains("<tr data-id"));
    // The counts per state (our agency only).
    let (_, body) = desk.get("/desk");
    assert!(
        body.contains("待审核 <span class=\"count\">3</span>"),
        "pending count"
    );
    assert!(
        body.contains("全部 <span class=\"count\">9</span>"),
        "total count"
    );
}

#[test]
fn paging_walks_every_row_once_and_other_agencies_never_appear() {
    let desk = Desk::start();
    let mut ours = vec![];
    let mut theirs = BTreeSet::new();
    for n in 0..130i64 {
        let spec = Spec {
            agency: if n % 10 == 9 { OTHER } else { AGENCY },
            closed: n % 3 != 0,
            complete: n % 2 == 0,
            officers: if n % 4 == 0 {
                ["qy-zf-001", "qy-zf-002"]
            } else {
                ["qy-zf-003", "qy-zf-004"]
            },
            // Some share an updated_at: the id breaks the tie.
            updated_ago: Duration::minutes(n / 2),
            ..base_spec("bulk")
        };
        let id = desk.block(store(&desk.state, &spec));
        if spec.agency == AGENCY {
            ours.push(id);
        } else {
            theirs.insert(id);
        }
    }
    let all = desk.walk("");
    assert_eq!(all.len(), ours.len());
    assert_eq!(
        all.iter().collect::<BTreeSet<_>>(),
        ours.iter().collect::<BTreeSet<_>>()
    );
    assert!(all.iter().all(|id| !theirs.contains(id)));
    // The order is attention order.
    let keys: Vec<(u8, i64, String)> = all
        .iter()
        .map(|id| {
            let s = desk
                .block(desk.state.storage.queue_summary(id))
                .unwrap()
                .unwrap();
            (s.rank, -s.updated_at.timestamp_micros(), s.doc_id)
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    // A filtered walk pages too.
    let officer = desk.walk("officer=qy-zf-003");
    assert!(officer.len() > 50);
    assert!(officer.iter().all(|id| !theirs.contains(id)));
    // Another agency's inspection is not reachable through a cursor either.
    let other = desk
        .block(
            desk.state
                .storage
                .queue_summary(theirs.iter().next().unwrap()),
        )
        .unwrap()
        .unwrap();
    let (ids, _) = desk.ids(&format!(
        "/desk?after=0_{}_{}",
        other.updated_at.timestamp_micros() + 1,
        other.doc_id
    ));
    assert!(ids.iter().all(|id| !theirs.contains(id)));
}

#[test]
fn the_servers_own_hooks_keep_summaries_current() {
    let desk = Desk::start();
    // An officer's device, enrolled directly in storage.
    let token = new_token();
    let actor_hex = hex::encode([7u8; 16]);
    desk.block(async {
        let officer = create_user(
            &desk.state,
            NewUser {
                agency_id: AGENCY.into(),
                login: "qy-zf-001".into(),
                name: "李明".into(),
                role: Role::Officer,
                officer_id: Some("qy-zf-001".into()),
                password: DEMO_PASSWORD.into(),
            },
        )
        .await
        .unwrap();
        desk.state
            .storage
            .put_device(&Device {
                id: "dev-1".into(),
                user_id: officer.id,
                public_key: "00".repeat(32),
                actor_id: actor_hex.clone(),
                token_hash: token_hash(&token),
                enrolled_at: now(),
                revoked_at: None,
            })
            .await
            .unwrap();
    });
    // 1. Sync: a closed record with one photo not uploaded yet.
    let id = new_id();
    let spec = Spec {
        evidence: vec![Ev {
            captured_ago: h(2),
            received_after: None,
        }],
        ..base_spec("synced")
    };
    let (mut doc, evidence) = build(&spec, ActorId::from(&[7u8; 16][..]), &id);
    assert_eq!(actor_hex, ActorId::from(&[7u8; 16][..]).to_hex_string());
    let mut am = automerge::AutoCommit::load(&doc.save()).unwrap();
    let mut sync_state = automerge::sync::State::new();
    for _ in 0..10 {
        use automerge::sync::SyncDoc;
        let msg = am
            .sync()
            .generate_sync_message(&mut sync_state)
            .map(|m| STANDARD.encode(m.encode()));
        let Some(msg) = msg else { break };
        let resp: Value = desk
            .http
            .post(format!("{}/api/v1/sync", desk.base))
            .bearer_auth(&token)
            .json(&json!({
                "protocol": liuhen_core::sync::protocol::PROTOCOL_VERSION,
                "device_time": now(),
                "roster_version": null,
                "docs": [{"id": id, "msg": msg}],
            }))
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(resp["docs"][0]["status"], "ok", "{resp}");
        if let Some(reply) = resp["docs"][0]["msg"].as_str() {
            let m = automerge::sync::Message::decode(&STANDARD.decode(reply).unwrap()).unwrap();
            automerge::sync::SyncDoc::receive_sync_message(&mut am.sync(), &mut sync_state, m)
                .unwrap();
        }
    }
    let (ids, body) = desk.ids("/desk?awaiting=1");
    assert_eq!(ids, vec![id.clone()], "synced record awaits its photo");
    assert!(body.contains("待上传 3 件"), "{body}");

    // 2. The photo arrives over tus: no longer awaiting.
    let bytes = b"photo bytes of the synced record".to_vec();
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    // Re-point the reference at real bytes: a second photo, synced like the first.
    // The record is closed: evidence is appended for an amendment only (R-REC-5).
    let photo = EvidenceRef {
        sha256: sha.clone(),
        size_bytes: bytes.len() as u64,
        step: InspectionStep::Amendment,
        ..evidence.last().unwrap().0.clone()
    };
    let mut tail = InspectionDoc::load(&am.save()).unwrap();
    tail.set_actor(ActorId::from(&[7u8; 16][..]));
    tail.add_evidence(&photo).unwrap();
    let mut am2 = automerge::AutoCommit::load(&tail.save()).unwrap();
    for _ in 0..10 {
        use automerge::sync::SyncDoc;
        let Some(m) = am2.sync().generate_sync_message(&mut sync_state) else {
            break;
        };
        let resp: Value = desk
            .http
            .post(format!("{}/api/v1/sync", desk.base))
            .bearer_auth(&token)
            .json(&json!({
                "protocol": liuhen_core::sync::protocol::PROTOCOL_VERSION,
                "device_time": now(),
                "roster_version": null,
                "docs": [{"id": id, "msg": STANDARD.encode(m.encode())}],
            }))
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(resp["docs"][0]["status"], "ok", "{resp}");
        if let Some(reply) = resp["docs"][0]["msg"].as_str() {
            let m = automerge::sync::Message::decode(&STANDARD.decode(reply).unwrap()).unwrap();
            automerge::sync::SyncDoc::receive_sync_message(&mut am2.sync(), &mut sync_state, m)
                .unwrap();
        }
    }
    let (_, body) = desk.ids("/desk?awaiting=1");
    assert!(body.contains("待上传 4 件"), "second photo synced");
    let created = desk
        .http
        .post(format!("{}/api/v1/files", desk.base))
        .bearer_auth(&token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", bytes.len().to_string())
        .header(
            "Upload-Metadata",
            liuhen_core::upload::encode_metadata([
                ("sha256", sha.as_str()),
                ("inspection_id", id.as_str()),
                ("filename", "photo.jpg"),
                ("media_type", "image/jpeg"),
            ]),
        )
        .send()
        .unwrap();
    assert_eq!(created.status(), 201);
    let loc = created.headers()["location"].to_str().unwrap().to_string();
    let patched = desk
        .http
        .patch(format!("{}{loc}", desk.base))
        .bearer_auth(&token)
        .header("Tus-Resumable", "1.0.0")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "0")
        .body(bytes)
        .send()
        .unwrap();
    assert_eq!(patched.status(), 204);
    let (_, body) = desk.ids("/desk?awaiting=1");
    assert!(
        body.contains("待上传 3 件"),
        "tus upload refreshed the summary: {body}"
    );

    // 3. The supervisor returns it through the review API: state 已退回.
    let api: Value = desk
        .http
        .post(format!("{}/api/v1/login", desk.base))
        .json(&json!({"login": "supervisor", "password": DEMO_PASSWORD}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    // A body it cannot read is refused in the API's JSON error shape, naming why.
    let token = api["token"].as_str().unwrap();
    let url = format!("{}/api/v1/inspections/{id}/review", desk.base);
    let resp = desk
        .http
        .post(&url)
        .bearer_auth(token)
        .json(&json!({"comment": "请补充现场照片说明", "verdict": "returned"}))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 400);
    let err: Value = resp.json().unwrap();
    assert_eq!(err["code"], "malformed_request", "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("verdict"),
        "{err}"
    );
    let resp = desk
        .http
        .post(&url)
        .bearer_auth(token)
        .body(r#"{"decision":"returned"}"#)
        .send()
        .unwrap();
    assert_eq!(resp.status(), 415);
    let err: Value = resp.json().unwrap();
    assert_eq!(err["code"], "unsupported_media_type", "{err}");
    let resp = desk
        .http
        .post(&url)
        .bearer_auth(token)
        .json(&json!({"comment": "请补充现场照片说明", "decision": "returned"}))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200, "{:?}", resp.text());
    let (ids, _) = desk.ids("/desk?state=returned");
    assert_eq!(ids, vec![id.clone()]);
    let (ids, _) = desk.ids("/desk?state=pending");
    assert!(ids.is_empty());
    // The counts followed the state change.
    let (_, body) = desk.get("/desk");
    assert!(
        body.contains("已退回 <span class=\"count\">1</span>"),
        "{body}"
    );
    assert!(
        body.contains("待审核 <span class=\"count\">0</span>"),
        "{body}"
    );
}

#[test]
fn no_session_redirects_to_sign_in() {
    let desk = Desk::start();
    let resp = desk
        .http
        .get(format!("{}/desk?state=pending", desk.base))
        .send()
        .unwrap();
    assert!(resp.status().is_redirection());
    let to = resp.headers()["location"].to_str().unwrap();
    assert!(to.starts_with("/login?next="), "{to}");
    let resp = desk
        .http
        .get(format!("{}/desk", desk.base))
        .header("Cookie", "liuhen_session=forged")
        .send()
        .unwrap();
    assert!(resp.status().is_redirection());
}

#[test]
fn bad_input_answers_400_with_a_chinese_message() {
    let (desk, _) = with_fixture();
    for (query, words) in [
        ("state=deleted", "未知的审核状态"),
        ("officer=qy-zf-999", "名录中没有编号"),
        ("from=2026-13-45", "不是有效日期"),
        ("to=yesterday", "不是有效日期"),
        ("from=2026-11-20&to=2026-11-01", "开始日期晚于结束日期"),
        ("after=garbage", "翻页参数无效"),
        ("before=1_2_%3Cscript%3E", "翻页参数无效"),
        ("after=0_1_a&before=0_1_b", "翻页参数无效"),
        ("violations=maybe", "取值无效"),
        ("after=99999999999999999999_1_x", "翻页参数无效"),
    ] {
        let (status, body) = desk.get(&format!("/desk?{query}"));
        assert_eq!(status, 400, "{query}");
        assert!(body.contains("id=\"queue-error\""), "{query}");
        assert!(body.contains(words), "{query}: {body}");
        assert!(!body.contains("<tr data-id"), "{query}");
    }
    // Script in a filter value is escaped, in the form and in the message.
    for query in [
        "target=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "state=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "officer=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    ] {
        let (_, body) = desk.get(&format!("/desk?{query}"));
        assert!(!body.contains("<script>alert"), "{query}");
        assert!(
            body.contains("&lt;script&gt;") || body.contains("&#60;script&#62;"),
            "{query}"
        );
    }
    // A target search that is too long.
    let (status, body) = desk.get(&format!("/desk?target={}", "长".repeat(51)));
    assert_eq!(status, 400);
    assert!(body.contains("过长"));
}

#[test]
fn an_officer_may_not_open_the_queue() {
    let desk = Desk::start();
    desk.block(async {
        create_user(
            &desk.state,
            NewUser {
                agency_id: AGENCY.into(),
                login: "qy-zf-002".into(),
                name: "陈晓红".into(),
                role: Role::Officer,
                officer_id: Some("qy-zf-002".into()),
                password: DEMO_PASSWORD.into(),
            },
        )
        .await
        .unwrap();
    });
    let cookie = desk.sign_in("qy-zf-002", DEMO_PASSWORD);
    let resp = desk
        .http
        .get(format!("{}/desk", desk.base))
        .header("Cookie", cookie)
        .send()
        .unwrap();
    assert_eq!(resp.status(), 403);
}

// ---- keyset paging over random summaries ----------------------------------------

fn summary(agency: &str, n: usize, rank: u8, minute: i64, state: ReviewState) -> QueueSummary {
    QueueSummary {
        doc_id: format!("{n:08x}-0000-7000-8000-000000000000"),
        agency_id: agency.into(),
        state,
        rank,
        rank_late: rank,
        rank_due_at: None,
        opened_at: now() - h(2),
        target_id: "t".into(),
        target_name: "目标".into(),
        target_credit_code: None,
        officer_ids: vec![format!("o{}", n % 3)],
        officer_names: vec!["人员".into()],
        violations: vec![],
        evidence_total: 0,
        evidence_missing: 0,
        oldest_missing_at: None,
        arrived_late: false,
        updated_at: now() - Duration::minutes(minute),
        doc_heads: vec![],
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn keyset_paging_returns_each_row_once_in_order(
        rows in proptest::collection::vec((0u8..6, 0i64..20, any::<bool>()), 0..90),
        limit in 1u32..13,
        officer in proptest::option::of(0usize..3),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(&dir.path().join("q.db")).unwrap();
        let summaries: Vec<QueueSummary> = rows
            .iter()
            .enumerate()
            .map(|(n, (rank, minute, other))| {
                summary(if *other { OTHER } else { AGENCY }, n, *rank, *minute, ReviewState::Pending)
            })
            .collect();
        rt.block_on(storage.put_queue_summaries_unchecked(summaries.clone())).unwrap();
        let filter = QueueFilter {
            officer_id: officer.map(|o| format!("o{o}")),
            ..QueueFilter::default()
        };
        let mut want: Vec<&QueueSummary> = summaries
            .iter()
            .filter(|s| s.agency_id == AGENCY)
            .filter(|s| filter.officer_id.as_ref().is_none_or(|o| s.officer_ids.contains(o)))
            .collect();
        want.sort_by_key(|s| (s.rank, std::cmp::Reverse(s.updated_at), s.doc_id.clone()));
        let want: Vec<String> = want.into_iter().map(|s| s.doc_id.clone()).collect();

        // Forward.
        let mut pages = vec![];
        let mut at = PageAt::First;
        loop {
            let page = rt.block_on(storage.queue_page(AGENCY, &filter, &at, limit, now())).unwrap();
            prop_assert!(page.rows.len() <= limit as usize);
            prop_assert_eq!(page.has_prev, !pages.is_empty());
            let ids: Vec<String> = page.rows.iter().map(|r| r.doc_id.clone()).collect();
            let last = page.rows.last().map(|r| r.cursor());
            pages.push(ids);
            match (page.has_next, last) {
                (true, Some(c)) => at = PageAt::After(c),
                _ => break,
            }
        }
        let got: Vec<String> = pages.iter().flatten().cloned().collect();
        prop_assert_eq!(&got, &want);
        // Backward from the last page reproduces every page.
        for i in (1..pages.len()).rev() {
            let first = rt
                .block_on(storage.queue_summary(&pages[i][0]))
                .unwrap()
                .unwrap()
                .cursor();
            let page = rt
                .block_on(storage.queue_page(AGENCY, &filter, &PageAt::Before(first), limit, now()))
                .unwrap();
            let ids: Vec<String> = page.rows.iter().map(|r| r.doc_id.clone()).collect();
            prop_assert_eq!(&ids, &pages[i - 1]);
            prop_assert!(page.has_next);
            prop_assert_eq!(page.has_prev, i > 1);
        }
    }
}
