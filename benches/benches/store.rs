//! Store benchmarks on a device holding 10,000 inspections: open the store and list
//! those pending sync, open one inspection with a cold document cache, and apply one
//! field edit and persist it (one durable write). A fourth bench times the pending
//! list alone on an already open store, to split the first one.
//!
//! The 10,000 inspections are created once through the real `Core` API (open, two
//! check-ins, one finding; all but 500 then marked synced) and cached in
//! `target/bench-data/store-10k/` with a marker file; later runs reuse it. Each run
//! benchmarks a private copy in a temp dir, so the cached store never changes.
//!
//! Under `cargo test --benches` (criterion's test mode) a small uncached store of
//! 200 inspections is used instead, so test runs stay quick.
//!
//! Run: `cargo bench -p liuhen-benches --no-default-features --bench store -- --warm-up-time 1 --measurement-time 3`

use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use liuhen_core::Core;
use liuhen_core::model::{
    Agency, CertificateStatus, CheckItem, CreditCode, Officer, RosterSnapshot, Target, TargetKind,
    Task, TaskSource, TaskStatus,
};
use liuhen_core::store::SyncState;
use liuhen_core::time::FixedClock;

type Res<T> = Result<T, Box<dyn Error>>;

/// Inspections in the benchmark store, and how many of them stay pending.
const FULL: Size = Size {
    inspections: 10_000,
    pending: 500,
};
/// The store used in criterion's test mode (`cargo test --benches`).
const SMALL: Size = Size {
    inspections: 200,
    pending: 20,
};
/// Cache directory under the target dir, and the marker that says it is complete.
const CACHE_DIR: &str = "bench-data/store-10k";
const MARKER: &str = "COMPLETE";
/// Marker content: changes whenever the generated data changes, forcing a rebuild.
const MARKER_TEXT: &str = "liuhen-core store bench fixture v1: 10000 inspections (open, check_in x2, finding), 500 pending\n";
/// Progress is reported every this many inspections.
const PROGRESS_EVERY: usize = 1_000;

#[derive(Debug, Clone, Copy)]
struct Size {
    inspections: usize,
    pending: usize,
}

/// 2026-11-20 09:00 Beijing time; every certificate on the roster is valid then and
/// for the week the generated inspections span (one per minute).
fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).unwrap()
}

fn clock_at(minute: usize) -> Arc<FixedClock> {
    Arc::new(FixedClock(start_time() + Duration::minutes(minute as i64)))
}

fn credit_code(n: usize) -> CreditCode {
    // 17-character body `91441800MA4UJ0E` + two digits, then the GB 32100 check char.
    let body = format!("91441800MA4UJ0E{:02}", n % 100);
    let check = CreditCode::check_char(&body).expect("body in the code alphabet");
    CreditCode::parse(&format!("{body}{check}")).expect("valid credit code")
}

const OFFICERS: [(&str, &str); 4] = [
    ("o1", "张伟"),
    ("o2", "李娜"),
    ("o3", "王强"),
    ("o4", "赵敏"),
];
/// Check-in pairs; inspection `i` uses pair `i % 2`.
const PAIRS: [(&str, &str); 2] = [("o1", "o2"), ("o3", "o4")];
const TARGETS: usize = 20;
const TASKS: usize = 4;
const CATEGORY: &str = "生态环境";

fn item() -> CheckItem {
    CheckItem {
        code: "HB-01".into(),
        name: "排污许可执行情况检查".into(),
        legal_basis: "《排污许可管理条例》第二十五条".into(),
    }
}

fn roster() -> RosterSnapshot {
    RosterSnapshot {
        agency: Agency {
            id: "qy-sthj".into(),
            name: "清远市生态环境局".into(),
            region_code: "441800".into(),
            rights_notice: None,
        },
        officers: OFFICERS
            .iter()
            .enumerate()
            .map(|(i, (id, name))| Officer {
                id: (*id).into(),
                agency_id: "qy-sthj".into(),
                name: (*name).into(),
                unit: "执法监察支队".into(),
                post: "执法人员".into(),
                certificate_no: format!("4418002000{}", i + 1),
                categories: vec![CATEGORY.into()],
                areas: vec!["441800".into()],
                valid_from: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
                valid_until: NaiveDate::from_ymd_opt(2027, 12, 31).unwrap(),
                status: CertificateStatus::Active,
            })
            .collect(),
        targets: (0..TARGETS)
            .map(|n| Target {
                id: format!("t{n}"),
                agency_id: "qy-sthj".into(),
                name: format!("清远市某化工有限公司第{}分厂", n + 1),
                kind: TargetKind::Organisation,
                credit_code: Some(credit_code(n)),
                address: format!("清远市清城区工业大道 {} 号", n + 1),
                category: CATEGORY.into(),
                area: if n % 2 == 0 { "441802" } else { "441803" }.into(),
                location: None,
            })
            .collect(),
        tasks: (0..TASKS)
            .map(|k| {
                let (a, b) = PAIRS[k % 2];
                Task {
                    id: format!("task-{k}"),
                    agency_id: "qy-sthj".into(),
                    target_id: format!("t{k}"),
                    item: item(),
                    category: CATEGORY.into(),
                    officer_ids: vec![a.into(), b.into()],
                    due_date: NaiveDate::from_ymd_opt(2026, 12, 15).unwrap(),
                    source: TaskSource::Draw,
                    status: TaskStatus::Open,
                    note: None,
                }
            })
            .collect(),
    }
}

/// Creates `size.inspections` inspections in `dir` through `Core`; all but the last
/// `size.pending` are then marked synced.
fn generate(dir: &Path, size: Size) -> Res<()> {
    let started = Instant::now();
    let open = |minute: usize| -> Res<Core> { Ok(Core::open_with_clock(dir, clock_at(minute))?) };
    let mut core = open(0)?;
    core.load_roster(roster(), "o1")?;
    let item = item();
    let mut last_report = Instant::now();
    for i in 0..size.inspections {
        if i > 0 && i % PROGRESS_EVERY == 0 {
            // A fresh Core drops the document cache, which would otherwise hold every
            // document created so far (the app never holds thousands either).
            core = open(i)?;
            let elapsed = started.elapsed().as_secs_f64();
            eprintln!(
                "store bench setup: {i}/{} inspections, {elapsed:.1} s elapsed, last {PROGRESS_EVERY}: {:.2} ms/inspection",
                size.inspections,
                last_report.elapsed().as_secs_f64() * 1000.0 / PROGRESS_EVERY as f64,
            );
            last_report = Instant::now();
        }
        core.set_clock(clock_at(i));
        let (a, b) = PAIRS[i % 2];
        let id = if i % 4 == 0 {
            // Tasks k = 0, 2 belong to pair 0, k = 1, 3 to pair 1.
            let task = format!("task-{}", (i / 4 % 2) * 2 + i % 2);
            core.open_for_task(&task, a)?
        } else {
            core.open_ad_hoc(&format!("t{}", i % TARGETS), CATEGORY, &item, a)?
        };
        core.check_in(&id, a)?;
        core.check_in(&id, b)?;
        core.add_finding(
            &id,
            &format!(
                "现场检查第 {} 号：排污口标识完整，在线监测设备运行正常，未发现超标排放。",
                i + 1
            ),
            vec![],
            a,
        )?;
        if i < size.inspections - size.pending {
            core.set_sync_state(&id, SyncState::Synced, None)?;
        }
    }
    let list = core.list_inspections(false)?;
    let pending = core.list_inspections(true)?;
    if list.len() != size.inspections || pending.len() != size.pending {
        return Err(format!(
            "generated store holds {} inspections, {} pending; expected {} and {}",
            list.len(),
            pending.len(),
            size.inspections,
            size.pending
        )
        .into());
    }
    drop(core);
    eprintln!(
        "store bench setup: {} inspections created in {:.1} s ({:.2} ms/inspection)",
        size.inspections,
        started.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64() * 1000.0 / size.inspections as f64,
    );
    Ok(())
}

/// The cargo target directory: `CARGO_TARGET_DIR` if set, else the nearest ancestor
/// of this executable holding cargo's `CACHEDIR.TAG`, else `<workspace>/target`.
fn target_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(d);
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(d) = exe.ancestors().find(|d| d.join("CACHEDIR.TAG").is_file())
    {
        return d.to_path_buf();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target")
}

/// The cached 10k store, generated first if it is missing or incomplete.
fn cached_store() -> Res<PathBuf> {
    let dir = target_dir().join(CACHE_DIR);
    let marker = std::fs::read_to_string(dir.join(MARKER)).unwrap_or_default();
    if marker == MARKER_TEXT {
        eprintln!("store bench setup: reusing {}", dir.display());
        return Ok(dir);
    }
    if dir.exists() {
        eprintln!(
            "store bench setup: {} is incomplete or stale, rebuilding",
            dir.display()
        );
        std::fs::remove_dir_all(&dir)?;
    }
    let parent = dir.parent().ok_or("cache dir has no parent")?;
    std::fs::create_dir_all(parent)?;
    // Built beside the cache and renamed into place, so an interrupted run leaves
    // nothing that looks complete.
    let building = tempfile::Builder::new()
        .prefix("store-10k.building-")
        .tempdir_in(parent)?;
    eprintln!(
        "store bench setup: creating {} inspections through Core in {} (cached for later runs)",
        FULL.inspections,
        dir.display()
    );
    generate(building.path(), FULL)?;
    std::fs::write(building.path().join(MARKER), MARKER_TEXT)?;
    std::fs::rename(building.keep(), &dir)?;
    Ok(dir)
}

fn copy_dir(from: &Path, to: &Path) -> Res<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), dest)?;
        }
    }
    Ok(())
}

/// Built once per process.
struct Fixture {
    _tmp: tempfile::TempDir,
    /// The data dir the benches use (a private copy of the cached store).
    dir: PathBuf,
    /// Ids spread over the whole store, for the open-one bench.
    sample: Vec<String>,
    /// A pending (so its sync state does not change) open inspection to edit.
    edit_id: String,
    finding_id: String,
    /// A checked-in officer of that inspection.
    editor: String,
}

fn is_bench_run() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test")
}

fn build_fixture() -> Res<Fixture> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("data");
    let size = if is_bench_run() {
        let cached = cached_store()?;
        copy_dir(&cached, &dir)?;
        std::fs::remove_file(dir.join(MARKER))?;
        FULL
    } else {
        generate(&dir, SMALL)?;
        SMALL
    };
    let db_bytes = std::fs::metadata(dir.join("liuhen.db"))?.len();
    let mut core = Core::open_with_clock(&dir, clock_at(size.inspections))?;
    let all = core.list_inspections(false)?;
    let pending = core.list_inspections(true)?;
    eprintln!(
        "store bench: {} inspections ({} pending), liuhen.db {:.1} MiB = {} bytes/inspection",
        all.len(),
        pending.len(),
        db_bytes as f64 / (1024.0 * 1024.0),
        db_bytes / all.len().max(1) as u64,
    );
    let step = (all.len() / 100).max(1);
    let sample = all.iter().step_by(step).map(|s| s.id.clone()).collect();
    let edit_id = pending.first().ok_or("no pending inspection")?.id.clone();
    let v = core.inspection(&edit_id)?;
    let finding_id = v.findings.first().ok_or("no finding")?.id.clone();
    let editor = v.team.first().ok_or("no team")?.officer_id.clone();
    Ok(Fixture {
        _tmp: tmp,
        dir,
        sample,
        edit_id,
        finding_id,
        editor,
    })
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| build_fixture().expect("store bench fixture"))
}

fn benches(c: &mut Criterion) {
    // Open the store (SQLite open, pragmas, migration check, device identity) and
    // list those pending sync. Closing the store is not timed.
    c.bench_function("open_store_and_list_pending", |b| {
        let f = fixture();
        b.iter_batched(
            || (),
            |()| {
                let core = Core::open(&f.dir).expect("open store");
                let pending = core.list_inspections(true).expect("list pending");
                assert!(!pending.is_empty());
                (core, pending)
            },
            BatchSize::PerIteration,
        )
    });

    // For reading the one above: the list query alone, on a store already open.
    let mut open: Option<Core> = None;
    c.bench_function("list_pending_store_already_open", |b| {
        let f = fixture();
        let core = open.get_or_insert_with(|| Core::open(&f.dir).expect("open store"));
        b.iter(|| core.list_inspections(true).expect("list pending"))
    });
    drop(open);

    // Load one document into a fresh Core (cold document cache and a new SQLite
    // connection; the OS page cache is warm). `Core::open` is setup, not timed.
    let mut next = 0usize;
    c.bench_function("open_one_inspection", |b| {
        let f = fixture();
        b.iter_batched(
            || {
                let id = &f.sample[next % f.sample.len()];
                next += 1;
                (Core::open(&f.dir).expect("open store"), id)
            },
            |(mut core, id)| {
                let v = core.inspection(id).expect("load inspection");
                (core, v)
            },
            BatchSize::PerIteration,
        )
    });

    // One finding edit on an open inspection whose document is already loaded: a
    // durable store transaction (doc chunk + signed log entry) per iteration. Every
    // 64th chunk the document is compacted into one full save, as in the app.
    let mut state: Option<(Core, usize)> = None;
    c.bench_function("edit_one_field_and_persist", |b| {
        let f = fixture();
        let (core, n) = state.get_or_insert_with(|| {
            let mut core = Core::open_with_clock(&f.dir, Arc::new(FixedClock(start_time())))
                .expect("open store");
            core.inspection(&f.edit_id).expect("load inspection");
            (core, 0)
        });
        const TEXTS: [&str; 2] = [
            "排污口标识完整，在线监测设备运行正常，未发现超标排放。",
            "排污口标识完整，在线监测设备运行正常；危废贮存间台账缺少十月记录，已责令补记。",
        ];
        b.iter(|| {
            *n += 1;
            core.edit_finding(&f.edit_id, &f.finding_id, TEXTS[*n % 2], &f.editor)
                .expect("edit finding");
        })
    });
}

criterion_group!(store, benches);
criterion_main!(store);
