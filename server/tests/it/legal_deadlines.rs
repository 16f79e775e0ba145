//! Review deadlines of the legal workflow on the Chinese working-day calendar
//! (R-LEGAL-5), through the workflow with a clock the test moves: a draft received
//! just before the National Day holiday is due after the make-up workday; the
//! reviewers' queue flags near and overdue drafts; a leader-approved extension adds
//! three working days; a deadline in a year without holiday data is a clear error
//! (never a guess) until an admin imports that year, which survives a restart.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use liuhen_core::legal::{DeadlineStatus, DecisionKind, DraftContent};
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

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
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

async fn deadline(st: &AppState, u: &User, id: &str) -> DeadlineStatus {
    workflow::queue(st, u, &[])
        .await
        .expect("queue")
        .into_iter()
        .find(|r| r.record.id == id)
        .and_then(|r| r.deadline)
        .expect("a deadline while in review")
}

#[tokio::test]
async fn r_legal_5_received_before_national_day_is_due_after_the_make_up_workday() {
    let tmp = tempfile::tempdir().expect("tmp");
    let clock = TestClock(Arc::new(Mutex::new(Utc::now())));
    // Tuesday 2025-09-30, the last working day before 10-01..10-08.
    clock.set(2025, 9, 30);
    let st = start(tmp.path(), clock.clone()).await;
    let demo = liuhen_server::demo::load(&st).await.expect("demo");
    liuhen_server::demo::legal::load_catalogue(&st, &demo.agency_id)
        .await
        .expect("catalogue");
    let sup = user(&st, "supervisor").await;
    let legal = user(&st, "legal").await;
    let admin = user(&st, "admin").await;
    let d = workflow::create_draft(&st, &sup, &major_draft())
        .await
        .expect("draft");
    let v = workflow::submit(&st, &sup, &d.id, "", None)
        .await
        .expect("submit");
    assert_eq!(v.received_on, date(2025, 9, 30));

    // 10-09, 10-10, 10-11 (Saturday, 调休 make-up workday), 10-13, 10-14.
    match deadline(&st, &legal, &d.id).await {
        DeadlineStatus::OnTime {
            due,
            working_days_left,
        } => {
            assert_eq!(due, date(2025, 10, 14));
            assert_eq!(working_days_left, 5);
        }
        other => panic!("{other:?}"),
    }
    // In the middle of the holiday nothing has been used up.
    clock.set(2025, 10, 5);
    assert!(matches!(
        deadline(&st, &legal, &d.id).await,
        DeadlineStatus::OnTime {
            working_days_left: 5,
            ..
        }
    ));
    // Monday 10-13: one working day left → flagged as near.
    clock.set(2025, 10, 13);
    assert!(matches!(
        deadline(&st, &legal, &d.id).await,
        DeadlineStatus::Near {
            working_days_left: 1,
            ..
        }
    ));
    // Wednesday 10-15: overdue by one working day, and first in the queue.
    clock.set(2025, 10, 15);
    let other = workflow::create_draft(&st, &sup, &major_draft())
        .await
        .expect("draft");
    workflow::submit(&st, &sup, &other.id, "", None)
        .await
        .expect("submit");
    let q = workflow::queue(&st, &legal, &[]).await.expect("queue");
    assert_eq!(q[0].record.id, d.id, "the overdue draft comes first");
    assert!(matches!(
        q[0].deadline,
        Some(DeadlineStatus::Overdue {
            working_days_over: 1,
            ..
        })
    ));

    // A leader-approved extension: + 10-15, 10-16, 10-17.
    workflow::request_extension(&st, &legal, &d.id, "涉及多个法律关系")
        .await
        .expect("request");
    workflow::approve_extension(&st, &admin, &d.id, "同意延长三个工作日")
        .await
        .expect("approve");
    match deadline(&st, &legal, &d.id).await {
        DeadlineStatus::Near { due, .. } | DeadlineStatus::OnTime { due, .. } => {
            assert_eq!(due, date(2025, 10, 17));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn r_legal_5_a_deadline_in_a_year_without_data_is_a_clear_error_until_imported() {
    let tmp = tempfile::tempdir().expect("tmp");
    let clock = TestClock(Arc::new(Mutex::new(Utc::now())));
    // Monday 2026-12-28: five working days later is in 2027.
    clock.set(2026, 12, 28);
    let id;
    {
        let st = start(tmp.path(), clock.clone()).await;
        let demo = liuhen_server::demo::load(&st).await.expect("demo");
        liuhen_server::demo::legal::load_catalogue(&st, &demo.agency_id)
            .await
            .expect("catalogue");
        let sup = user(&st, "supervisor").await;
        let legal = user(&st, "legal").await;
        let admin = user(&st, "admin").await;
        let d = workflow::create_draft(&st, &sup, &major_draft())
            .await
            .expect("draft");
        // The submission itself is accepted: nothing is lost for want of a calendar.
        workflow::submit(&st, &sup, &d.id, "", None)
            .await
            .expect("submit");
        match deadline(&st, &legal, &d.id).await {
            DeadlineStatus::Unknown {
                reason,
                missing_year,
            } => {
                assert_eq!(missing_year, Some(2027));
                assert!(reason.contains("2027"), "{reason}");
                assert!(reason.contains("R-LEGAL-5"), "{reason}");
            }
            other => panic!("expected no guess, got {other:?}"),
        }
        // Unknown comes before on-time drafts in the queue (it needs attention).
        let q = workflow::queue(&st, &legal, &[]).await.expect("queue");
        assert_eq!(q[0].record.id, d.id);

        // Bad data is refused and changes nothing.
        let bad = r#"{"year": 2027, "papers": [], "days": [{"name": "元旦", "date": "2026-01-01", "isOffDay": true}]}"#;
        assert!(
            workflow::import_calendar_year(&st, &admin, bad)
                .await
                .is_err()
        );
        assert!(matches!(
            deadline(&st, &legal, &d.id).await,
            DeadlineStatus::Unknown { .. }
        ));
        // Only an admin imports.
        let good = r#"{"year": 2027, "papers": ["https://www.gov.cn/"], "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}]}"#;
        assert!(
            workflow::import_calendar_year(&st, &legal, good)
                .await
                .is_err()
        );
        assert_eq!(
            workflow::import_calendar_year(&st, &admin, good)
                .await
                .expect("import"),
            2027
        );
        // 12-29, 12-30, 12-31, (01-01 元旦), 01-04, 01-05.
        match deadline(&st, &legal, &d.id).await {
            DeadlineStatus::OnTime { due, .. } => assert_eq!(due, date(2027, 1, 5)),
            other => panic!("{other:?}"),
        }
        id = d.id;
    }
    // The imported year survives a restart.
    let st = start(tmp.path(), clock.clone()).await;
    let legal = user(&st, "legal").await;
    match deadline(&st, &legal, &id).await {
        DeadlineStatus::OnTime { due, .. } => assert_eq!(due, date(2027, 1, 5)),
        other => panic!("{other:?}"),
    }
}
