//! The rules half of issue 20 through the legal workflow, with a clock the test
//! sets and the demo accounts: R-POST-2 (a draft naming a person other than the
//! party is refused at submission and at decision, naming the field, position
//! and text; numbers written any way are accepted and published redacted),
//! R-LEGAL-2 (a selected catalogue 其他事项 makes a draft 重大, so deciding it
//! without review is refused), R-LEGAL-3 (the lockout a reviewer's edit would
//! cause, with the other reviewers or the R-LEGAL-6 staffing as the way out) and
//! the calendar's missing years (R-POST-1, R-LEGAL-5).

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};

use liuhen_core::legal::{DecisionKind, DraftContent, MajorTrigger};
use liuhen_core::time::Clock;
use liuhen_server::services::legal::workflow;
use liuhen_server::state::{AppState, Config};
use liuhen_server::storage::User;

/// A clock the test sets.
#[derive(Debug, Clone)]
struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl TestClock {
    /// 10:00 Beijing time on the given date.
    fn set(&self, y: i32, m: u32, d: u32) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Utc
            .with_ymd_and_hms(y, m, d, 2, 0, 0)
            .single()
            .expect("date");
    }
}

async fn start(dir: &std::path::Path, clock: TestClock) -> AppState {
    let config = Config {
        data_dir: dir.to_path_buf(),
        secure_cookies: false,
        max_upload_bytes: 1 << 20,
        upload_lease: liuhen_server::api::tus::DEFAULT_LEASE,
    };
    liuhen_server::build_state_with_clock(config, Arc::new(clock))
        .await
        .expect("state")
}

async fn user(st: &AppState, login: &str) -> User {
    st.storage
        .user_by_login(login)
        .await
        .expect("storage")
        .expect("demo user")
}

fn major_draft() -> DraftContent {
    let mut c = DraftContent::empty(DecisionKind::Penalty);
    c.title = "停产整治决定".into();
    c.category = "生态环境".into();
    c.party_name = "清远市鑫达陶瓷有限公司".into();
    c.legal_basis = "《大气污染防治法》".into();
    c.facts = "超标排放".into();
    c.conclusion = "责令停产整治".into();
    c.suspension = true;
    c
}

async fn setup(clock: &TestClock, dir: &std::path::Path) -> (AppState, String) {
    let st = start(dir, clock.clone()).await;
    let demo = liuhen_server::demo::load(&st).await.expect("demo");
    liuhen_server::demo::legal::load_catalogue(&st, &demo.agency_id)
        .await
        .expect("catalogue");
    (st, demo.agency_id)
}

fn decide_input(doc: &str, on: chrono::NaiveDate) -> workflow::DecideInput {
    workflow::DecideInput {
        doc_number: doc.into(),
        decided_on: on,
    }
}

#[tokio::test]
async fn r_post_2_a_person_named_in_the_decision_is_refused_with_its_position() {
    let tmp = tempfile::tempdir().expect("tmp");
    let clock = TestClock(Arc::new(Mutex::new(Utc::now())));
    clock.set(2025, 10, 9);
    let (st, _) = setup(&clock, tmp.path()).await;
    let sup = user(&st, "supervisor").await;
    let mut c = major_draft();
    c.suspension = false;
    c.conclusion = "责令改正。其妻王小红（电话 138-0013-8001）在场。".into();
    let d = workflow::create_draft(&st, &sup, &c)
        .await
        .expect("saving is never refused");
    let err = workflow::submit(&st, &sup, &d.id, "", None)
        .await
        .expect_err("R-POST-2 refuses the submission");
    let msg = err.to_string();
    assert!(msg.contains("R-POST-2"), "{msg}");
    assert!(msg.contains("“决定内容”第 8 个字起的“王小红”"), "{msg}");
    assert!(msg.contains("王某"), "the fix is named: {msg}");
    // Not major, so it could be decided without review: refused all the same.
    let err = workflow::decide(
        &st,
        &sup,
        &d.id,
        &decide_input(
            "清环罚〔2025〕90号",
            liuhen_core::time::local_date(clock.now()),
        ),
        None,
    )
    .await
    .expect_err("R-POST-2 refuses the decision");
    assert!(err.to_string().contains("王小红"), "{err}");
    // Fixed as 王某: the number stays (it is redacted on publication).
    let (rec, doc) = workflow::load(&st, &sup, &d.id).await.expect("load");
    let mut fixed = doc.read().expect("read");
    fixed.conclusion = "责令改正。其妻王某（电话 138-0013-8001）在场。".into();
    workflow::edit_draft(&st, &sup, &d.id, &rec.heads, &fixed)
        .await
        .expect("edit");
    let dec = workflow::decide(
        &st,
        &sup,
        &d.id,
        &decide_input(
            "清环罚〔2025〕90号",
            liuhen_core::time::local_date(clock.now()),
        ),
        None,
    )
    .await
    .expect("decided once the name is masked");
    let public = liuhen_server::services::mask::public_decision(
        &liuhen_server::services::mask::source_of(&dec),
        "清远市生态环境局",
        None,
    );
    assert_eq!(
        public.conclusion,
        "责令改正。其妻王某（电话 [已隐去]）在场。"
    );
}

#[tokio::test]
async fn r_legal_2_a_selected_other_item_makes_the_draft_major() {
    let tmp = tempfile::tempdir().expect("tmp");
    let clock = TestClock(Arc::new(Mutex::new(Utc::now())));
    clock.set(2025, 10, 9);
    let (st, agency) = setup(&clock, tmp.path()).await;
    let sup = user(&st, "supervisor").await;
    let cat = st
        .storage
        .catalogue(&agency, None)
        .await
        .expect("storage")
        .expect("demo catalogue");
    let item = cat
        .catalogue
        .other_items
        .first()
        .expect("demo other item")
        .clone();
    let mut c = major_draft();
    c.suspension = false;
    c.other_items = vec![item];
    let d = workflow::create_draft(&st, &sup, &c).await.expect("draft");
    let detail = workflow::detail(&st, &sup, &d.id).await.expect("detail");
    assert_eq!(
        detail.content.other_items, c.other_items,
        "kept in the document"
    );
    let (_, triggers) = detail.classification.expect("classified");
    assert_eq!(triggers, vec![MajorTrigger::CatalogueItem]);
    let err = workflow::decide(
        &st,
        &sup,
        &d.id,
        &decide_input(
            "清环决〔2025〕91号",
            liuhen_core::time::local_date(clock.now()),
        ),
        None,
    )
    .await
    .expect_err("R-LEGAL-1: a major decision needs review first");
    assert!(err.to_string().contains("目录清单所列其他事项"), "{err}");
    let v = workflow::submit(&st, &sup, &d.id, "", None)
        .await
        .expect("submit");
    assert_eq!(v.triggers, vec![MajorTrigger::CatalogueItem]);
}

#[tokio::test]
async fn r_legal_3_a_reviewer_edit_would_lock_them_out_and_names_the_way_out() {
    let tmp = tempfile::tempdir().expect("tmp");
    let clock = TestClock(Arc::new(Mutex::new(Utc::now())));
    clock.set(2025, 10, 9);
    let (st, agency) = setup(&clock, tmp.path()).await;
    let sup = user(&st, "supervisor").await;
    let legal = user(&st, "legal").await;
    let d = workflow::create_draft(&st, &sup, &major_draft())
        .await
        .expect("draft");
    workflow::submit(&st, &sup, &d.id, "", None)
        .await
        .expect("submit");
    let rec = workflow::load(&st, &legal, &d.id).await.expect("load").0;
    assert!(
        workflow::lockout_of_edit(&st, &sup, &rec)
            .await
            .expect("lockout")
            .is_none(),
        "a supervisor never reviews: nothing to lose"
    );
    let l = workflow::lockout_of_edit(&st, &legal, &rec)
        .await
        .expect("lockout")
        .expect("the reviewer would be locked out");
    assert!(l.other_reviewers.is_empty(), "the demo has one reviewer");
    assert_eq!(l.staffing.reviewers, 1);
    // A second reviewer is the way out.
    liuhen_server::api::admin::create_user(
        &st,
        liuhen_server::api::admin::NewUser {
            agency_id: agency.clone(),
            login: "legal2".into(),
            name: "第二审核员".into(),
            role: liuhen_server::storage::Role::LegalReviewer,
            officer_id: None,
            password: "another-password-1".into(),
        },
    )
    .await
    .expect("second reviewer");
    let l = workflow::lockout_of_edit(&st, &legal, &rec)
        .await
        .expect("lockout")
        .expect("still locked out");
    assert_eq!(l.other_reviewers, vec!["第二审核员".to_string()]);
    // Once they edit, they are out: no second warning, and review is refused.
    let (rec, doc) = workflow::load(&st, &legal, &d.id).await.expect("load");
    let mut c = doc.read().expect("read");
    c.facts = "超标排放，审核人员补充".into();
    workflow::edit_draft(&st, &legal, &d.id, &rec.heads, &c)
        .await
        .expect("edit");
    let rec = workflow::load(&st, &legal, &d.id).await.expect("load").0;
    assert!(
        workflow::lockout_of_edit(&st, &legal, &rec)
            .await
            .expect("lockout")
            .is_none()
    );
    assert!(workflow::start_review(&st, &legal, &d.id).await.is_err());
}

#[tokio::test]
async fn calendar_missing_years_name_the_year_and_what_needs_it() {
    let tmp = tempfile::tempdir().expect("tmp");
    let clock = TestClock(Arc::new(Mutex::new(Utc::now())));
    clock.set(2026, 12, 7);
    let (st, agency) = setup(&clock, tmp.path()).await;
    let sup = user(&st, "supervisor").await;
    let admin = user(&st, "admin").await;
    let d = workflow::create_draft(&st, &sup, &major_draft())
        .await
        .expect("draft");
    workflow::submit(&st, &sup, &d.id, "", None)
        .await
        .expect("submit");
    // 5 working days from 12-07 stay in 2026: computable. 12-28 is not.
    clock.set(2026, 12, 28);
    let d2 = workflow::create_draft(&st, &sup, &major_draft())
        .await
        .expect("draft");
    workflow::submit(&st, &sup, &d2.id, "", None)
        .await
        .expect("submit");
    let missing = liuhen_server::services::legal::calendar::missing_years(&st, &agency)
        .await
        .expect("missing");
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_eq!(missing[0].year, 2027);
    assert_eq!(missing[0].reviews, 1);
    assert!(missing[0].near);
    assert_eq!(
        liuhen_server::services::legal::calendar::pending_text(2027),
        "待导入 2027 年节假日安排"
    );
    let good = r#"{"year": 2027, "papers": ["https://www.gov.cn/"], "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}]}"#;
    workflow::import_calendar_year(&st, &admin, good)
        .await
        .expect("import");
    let missing = liuhen_server::services::legal::calendar::missing_years(&st, &agency)
        .await
        .expect("missing");
    assert!(missing.is_empty(), "{missing:?}");
}
