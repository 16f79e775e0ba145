//! Benchmark of the review queue (issue 8) over 100,000 inspections' summaries in
//! a real SQLite file: the first page, a page deep in (by cursor), a filtered page
//! (officer + violations) and the counts per state, each against a baseline
//! measured in the same run: a single-row primary-key lookup through the same
//! storage API (same blocking-pool hop, same row decoding).
//!
//! `cargo bench -p liuhen-server-benches --bench queue -- --warm-up-time 1 --measurement-time 3`
//! (criterion's report, then a table of medians and ratios to the baseline).

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use criterion::{Criterion, black_box};

use liuhen_server::storage::queue::{PageAt, QueueFilter, QueueStorage, QueueSummary, ReviewState};
use liuhen_server_benches::{median, sqlite_bench_store};

const ROWS: usize = 100_000;
const OFFICERS: usize = 40;
const AGENCY: &str = "bench-agency";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

/// A deterministic spread of states, ranks, officers, violations and times.
fn summary(i: usize) -> QueueSummary {
    let state = [
        ReviewState::Pending,
        ReviewState::Amended,
        ReviewState::Returned,
        ReviewState::Open,
        ReviewState::Approved,
        ReviewState::Approved,
    ][i % 6];
    let violated = i % 10 < 3;
    let rank = match state {
        ReviewState::Amended => 0,
        ReviewState::Pending if violated => 0,
        ReviewState::Pending => 1,
        ReviewState::Returned => 3,
        ReviewState::Open => 4,
        ReviewState::Approved => 5,
    };
    let a = (i * 7) % OFFICERS;
    let b = (i * 13 + 1) % OFFICERS;
    let updated_at = now() - chrono::Duration::seconds((i as i64 * 7919) % 30_000_000);
    QueueSummary {
        doc_id: format!("{:08x}-0000-7000-8000-{:012x}", i, i * 31),
        agency_id: AGENCY.into(),
        state,
        rank,
        rank_late: rank,
        rank_due_at: None,
        opened_at: updated_at - chrono::Duration::hours(3),
        target_id: format!("t{i:06}"),
        target_name: format!("清远市测试{i}号有限公司"),
        target_credit_code: Some(format!("91441800MA{i:08}")),
        officer_ids: vec![format!("o{a:03}"), format!("o{b:03}")],
        officer_names: vec![format!("人员{a}"), format!("人员{b}")],
        violations: if violated {
            vec!["R-SCENE-4".into()]
        } else {
            vec![]
        },
        evidence_total: 4,
        evidence_missing: u32::from(i.is_multiple_of(17)),
        oldest_missing_at: i
            .is_multiple_of(17)
            .then(|| updated_at - chrono::Duration::hours(2)),
        arrived_late: i.is_multiple_of(53),
        updated_at,
        doc_heads: vec![],
    }
}

fn main() {
    let (rt, _dir, storage) = sqlite_bench_store("queue-bench.db");
    let rows: Vec<QueueSummary> = (0..ROWS).map(summary).collect();
    let t = Instant::now();
    rt.block_on(storage.put_queue_summaries_unchecked(rows.clone()))
        .unwrap_or_else(|e| panic!("load: {e}"));
    println!("loaded {ROWS} summaries in {:.1?}", t.elapsed());

    // The cursor of the row half-way down the attention order.
    let mut order: Vec<&QueueSummary> = rows.iter().collect();
    order.sort_by_key(|s| (s.rank, std::cmp::Reverse(s.updated_at), s.doc_id.clone()));
    let deep = PageAt::After(order[ROWS / 2].cursor());
    let pk_id = order[ROWS / 3].doc_id.clone();
    let all = QueueFilter::default();
    let officer_violations = QueueFilter {
        officer_id: Some("o007".into()),
        violations: true,
        ..QueueFilter::default()
    };

    let lookup = || {
        rt.block_on(storage.queue_summary(&pk_id))
            .ok()
            .flatten()
            .map(|s| s.rank)
    };
    let page = |filter: &QueueFilter, at: &PageAt| {
        rt.block_on(storage.queue_page(AGENCY, filter, at, 50, now()))
            .map(|p| p.rows.len())
            .unwrap_or(0)
    };
    let counts = || {
        rt.block_on(storage.queue_counts(AGENCY))
            .map(|c| c.len())
            .unwrap_or(0)
    };
    assert_eq!(page(&all, &PageAt::First), 50);
    assert_eq!(page(&all, &deep), 50);
    assert_eq!(page(&officer_violations, &PageAt::First), 50);
    assert_eq!(counts(), 5);

    let mut c = Criterion::default().configure_from_args();
    c.bench_function("baseline: primary-key lookup", |b| {
        b.iter(|| black_box(lookup()))
    });
    c.bench_function("queue: first page", |b| {
        b.iter(|| black_box(page(&all, &PageAt::First)))
    });
    c.bench_function("queue: page deep in (cursor at row 50,000)", |b| {
        b.iter(|| black_box(page(&all, &deep)))
    });
    c.bench_function("queue: officer + violations page", |b| {
        b.iter(|| black_box(page(&officer_violations, &PageAt::First)))
    });
    c.bench_function("queue: counts per state", |b| {
        b.iter(|| black_box(counts()))
    });
    c.final_summary();

    let base = median(20, 300, || {
        black_box(lookup());
    });
    println!("\n== review queue over {ROWS} summaries: medians of 300 runs ==");
    println!("{:<44} {:>10} {:>8}", "operation", "median", "x base");
    let show = |name: &str, d: Duration| {
        println!(
            "{name:<44} {:>10.1?} {:>8.1}",
            d,
            d.as_secs_f64() / base.as_secs_f64()
        );
    };
    show("baseline: primary-key lookup", base);
    show(
        "first page (50 rows)",
        median(20, 300, || {
            black_box(page(&all, &PageAt::First));
        }),
    );
    show(
        "page deep in (cursor at row 50,000)",
        median(20, 300, || {
            black_box(page(&all, &deep));
        }),
    );
    show(
        "officer + violations, first page",
        median(20, 300, || {
            black_box(page(&officer_violations, &PageAt::First));
        }),
    );
    show(
        "counts per state",
        median(20, 300, || {
            black_box(counts());
        }),
    );
}
