//! Tests of `server/src/pages/public/publish.rs`.

use chrono::NaiveDate;
use liuhen_domain::calendar::WorkCalendar;
use liuhen_domain::legal::DecisionKind;
use liuhen_server::pages::public::publish::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn row(state: QueueState, text: &str) -> QueueRow {
    QueueRow {
        id: String::new(),
        doc_number: String::new(),
        title: String::new(),
        kind_label: "",
        decided_on: String::new(),
        due_text: String::new(),
        due_unknown: false,
        due_link: String::new(),
        state,
        state_text: text.into(),
        step: "",
        filer: String::new(),
        reviewer: String::new(),
        approver: String::new(),
        published_on: String::new(),
    }
}

#[test]
fn the_state_badge_and_its_details_never_repeat_the_label() {
    let cases = [
        (QueueState::PublishedOnTime, "按时公开", ""),
        (
            QueueState::Withdrawn,
            "已撤回（撤销，2026-11-02）",
            "撤销，2026-11-02",
        ),
        (
            QueueState::Overdue,
            "逾期未公开，已超过 3 个工作日",
            "已超过 3 个工作日",
        ),
        (
            QueueState::PublishedLate,
            "逾期公开（超过期限 2 个工作日）",
            "超过期限 2 个工作日",
        ),
        (
            QueueState::PublishedOnTime,
            "已公开（公开时缺少节假日数据，是否逾期无法判断）",
            "已公开（公开时缺少节假日数据，是否逾期无法判断）",
        ),
    ];
    for (state, text, detail) in cases {
        assert_eq!(row(state, text).state_detail(), detail, "{text}");
    }
}

#[test]
fn r_post_1_timing_flags_late_publication_in_working_days() {
    let cal = WorkCalendar::builtin().unwrap();
    // Penalty decided 2025-09-30: due 2025-10-16 (make-up Saturday 10-11 counts).
    let on_time = publication_timing(&cal, DecisionKind::Penalty, d(2025, 9, 30), d(2025, 10, 16));
    assert_eq!(on_time, (Some(d(2025, 10, 16)), Some(false), None));
    let late = publication_timing(&cal, DecisionKind::Penalty, d(2025, 9, 30), d(2025, 10, 20));
    // 10-17 (Fri), 10-20 (Mon).
    assert_eq!(late, (Some(d(2025, 10, 16)), Some(true), Some(2)));
    // A deadline in a year without data: no guess.
    let unknown = publication_timing(
        &cal,
        DecisionKind::Inspection,
        d(2026, 12, 20),
        d(2026, 12, 21),
    );
    assert_eq!(unknown, (None, None, None));
}
