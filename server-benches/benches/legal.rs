//! Benchmark of the legal review workflow's reads (issue 9) over 10,000 drafts in a
//! real SQLite file: the reviewers' queue (drafts in review, each with its
//! working-day deadline computed on the calendar), opening one draft (row + automerge
//! load + read), a field-wise CRDT edit and merging a draft a phone sent whole (author
//! check + merge + read), each against a baseline measured in the
//! same run: reading one draft row by primary key through the same storage API.
//!
//! `cargo bench -p liuhen-server-benches --bench legal -- --warm-up-time 1 --measurement-time 3`

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, black_box};

use liuhen_core::calendar::WorkCalendar;
use liuhen_core::draft_doc::{DraftDoc, DraftMeta};
use liuhen_core::legal::{DecisionKind, DraftContent, review_deadline_status};
use liuhen_server::storage::Storage;
use liuhen_server::storage::legal::{DraftRecord, DraftStatus, LegalStorage, LegalWrite};
use liuhen_server_benches::{median, sqlite_bench_store};

const DRAFTS: usize = 10_000;
const AGENCY: &str = "bench-agency";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

fn content(i: usize) -> DraftContent {
    let mut c = DraftContent::empty(DecisionKind::Penalty);
    c.title = format!("关于测试{i}号公司的行政处罚决定");
    c.category = "生态环境".into();
    c.party_name = format!("清远市测试{i}号有限公司");
    c.legal_basis = "《大气污染防治法》第九十九条".into();
    c.facts = "颗粒物超标排放。".repeat(20);
    c.conclusion = "罚款".into();
    c.fine_fen = Some(1_000_000 + i as i64);
    c
}

fn main() {
    let (rt, _dir, storage) = sqlite_bench_store("legal-bench.db");
    let cal = WorkCalendar::builtin().unwrap_or_else(|e| panic!("calendar: {e}"));
    let t = Instant::now();
    rt.block_on(async {
        storage
            .create_user(&liuhen_server::storage::User {
                id: "u1".into(),
                agency_id: AGENCY.into(),
                login: "u1".into(),
                name: "起草人".into(),
                role: liuhen_server::storage::Role::Supervisor,
                officer_id: None,
                password_hash: String::new(),
                disabled: false,
            })
            .await
            .unwrap_or_else(|e| panic!("user: {e}"));
        for i in 0..DRAFTS {
            let c = content(i);
            let meta = DraftMeta {
                id: format!("draft-{i:06}"),
                agency_id: AGENCY.into(),
                created_by: "u1".into(),
                created_at: now(),
            };
            let mut doc = DraftDoc::create(automerge::ActorId::from(vec![1u8; 16]), &meta, &c)
                .unwrap_or_else(|e| panic!("doc: {e}"));
            let status = if i % 4 == 0 {
                DraftStatus::InReview
            } else {
                DraftStatus::Decided
            };
            let rec = DraftRecord {
                id: meta.id.clone(),
                agency_id: AGENCY.into(),
                created_by: "u1".into(),
                created_at: now(),
                updated_at: now() - chrono::Duration::minutes(i as i64),
                status,
                title: c.title.clone(),
                kind: c.kind,
                catalogue_version: Some(1),
                triggers: vec![],
                version: 1,
                received_on: NaiveDate::from_ymd_opt(2026, 11, 10 + (i % 10) as u32),
                extended: i % 7 == 0,
                heads: doc.heads_hex(),
                bytes: doc.save(),
            };
            storage
                .apply_legal(&LegalWrite {
                    draft: Some(rec),
                    ..LegalWrite::default()
                })
                .await
                .unwrap_or_else(|e| panic!("draft: {e}"));
        }
    });
    println!("loaded {DRAFTS} drafts in {:.1?}", t.elapsed());
    let today = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default();

    let lookup = || {
        rt.block_on(storage.legal_draft("draft-004321"))
            .ok()
            .flatten()
            .map(|d| d.version)
    };
    let queue = || {
        let rows = rt
            .block_on(storage.legal_drafts(AGENCY, &[DraftStatus::InReview]))
            .unwrap_or_default();
        rows.iter()
            .filter_map(|r| r.received_on)
            .filter(|d| {
                !matches!(
                    review_deadline_status(&cal, *d, false, today),
                    liuhen_core::legal::DeadlineStatus::Unknown { .. }
                )
            })
            .count()
    };
    let open = || {
        rt.block_on(storage.legal_draft("draft-004321"))
            .ok()
            .flatten()
            .and_then(|r| DraftDoc::load(&r.bytes).ok())
            .and_then(|d| d.read().ok())
            .map(|c| c.facts.len())
    };
    let edit = || {
        let rec = rt
            .block_on(storage.legal_draft("draft-004321"))
            .ok()
            .flatten();
        rec.and_then(|r| {
            let mut d = DraftDoc::load(&r.bytes).ok()?;
            let heads = d.heads();
            let mut c = d.read().ok()?;
            c.facts.push('。');
            d.edit(automerge::ActorId::from(vec![2u8; 16]), &heads, &c, now())
                .ok()
        })
    };
    // A phone's copy of the same draft with one offline edit, sent whole at sync.
    let device_actor = automerge::ActorId::from(vec![7u8; 16]);
    let pushed: Vec<u8> = rt
        .block_on(storage.legal_draft("draft-004321"))
        .ok()
        .flatten()
        .and_then(|r| {
            let mut d = DraftDoc::load(&r.bytes).ok()?;
            let heads = d.heads();
            let mut c = d.read().ok()?;
            c.discretion.push_str("（设备上补充）");
            d.edit(device_actor.clone(), &heads, &c, now()).ok()?;
            Some(d.save())
        })
        .unwrap_or_default();
    let merge_push = || {
        let rec = rt
            .block_on(storage.legal_draft("draft-004321"))
            .ok()
            .flatten()?;
        let mut ours = DraftDoc::load(&rec.bytes).ok()?;
        let mut theirs = DraftDoc::load(&pushed).ok()?;
        let authors = ours.authors_of_new_changes(&mut theirs);
        if !authors
            .iter()
            .all(|a| a.to_bytes().starts_with(device_actor.to_bytes()))
        {
            return None;
        }
        ours.merge(&mut theirs).ok()?;
        ours.read().ok().map(|c| c.discretion.len())
    };
    assert!(merge_push().is_some());
    assert_eq!(queue(), DRAFTS / 4);
    assert!(open().is_some());
    assert_eq!(edit(), Some(true));

    let mut c = Criterion::default().configure_from_args();
    c.bench_function("baseline: draft row by primary key", |b| {
        b.iter(|| black_box(lookup()))
    });
    c.bench_function("reviewers' queue with deadlines (2,500 rows)", |b| {
        b.iter(|| black_box(queue()))
    });
    c.bench_function("open one draft (row + automerge read)", |b| {
        b.iter(|| black_box(open()))
    });
    c.bench_function("field-wise CRDT edit of one draft", |b| {
        b.iter(|| black_box(edit()))
    });
    c.bench_function("merge a draft sent whole by a phone", |b| {
        b.iter(|| black_box(merge_push()))
    });
    c.final_summary();

    let base = median(10, 100, || {
        black_box(lookup());
    });
    println!("\n== legal review over {DRAFTS} drafts: medians of 100 runs ==");
    println!("{:<48} {:>10} {:>8}", "operation", "median", "x base");
    let show = |name: &str, d: Duration| {
        println!(
            "{name:<48} {:>10.1?} {:>8.1}",
            d,
            d.as_secs_f64() / base.as_secs_f64()
        );
    };
    show("baseline: draft row by primary key", base);
    show(
        "reviewers' queue with deadlines (2,500 rows)",
        median(10, 100, || {
            black_box(queue());
        }),
    );
    show(
        "open one draft (row + automerge read)",
        median(10, 100, || {
            black_box(open());
        }),
    );
    show(
        "field-wise CRDT edit of one draft",
        median(10, 100, || {
            black_box(edit());
        }),
    );
    show(
        "merge a draft sent whole by a phone",
        median(10, 100, || {
            black_box(merge_push());
        }),
    );
}
