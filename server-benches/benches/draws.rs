//! Benchmarks of issue 7, each against a baseline measured in the same run:
//!
//! * a draw over 100,000 targets and 2,000 officers (5 % and 100 %) vs. only
//!   sampling the same number of targets from the same list with ChaCha20;
//! * importing a 100,000-row XLSX target directory vs. reading the same file with
//!   calamine alone.
//!
//! `cargo bench -p liuhen-server-benches --bench draws` (prints a table; best of N runs).

use std::sync::Arc;
use std::time::{Duration, Instant};

use calamine::Reader;
use chrono::NaiveDate;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

use liuhen_core::model::{CertificateStatus, CreditCode, Officer, TargetKind};
use liuhen_server::services::directories::{self, ListKind};
use liuhen_server::services::draws::algorithm::{self, DrawInputs, DrawTarget, SpotCheckItem};
use liuhen_server::state::Config;

const TARGETS: usize = 100_000;
const OFFICERS: usize = 2_000;

fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        out = Some(v);
    }
    (best, out.expect("at least one run"))
}

fn areas() -> Vec<String> {
    (2..12).map(|i| format!("4418{i:02}")).collect()
}

fn inputs(ratio_bp: u32) -> DrawInputs {
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
    let areas = areas();
    let targets = (0..TARGETS)
        .map(|i| DrawTarget {
            id: format!("t{i:06}"),
            name: format!("清远市测试{i}号有限公司"),
            kind: TargetKind::Organisation,
            credit_code: None,
            category: "生态环境".into(),
            area: areas[i % areas.len()].clone(),
        })
        .collect();
    let officers = (0..OFFICERS)
        .map(|i| Officer {
            id: format!("o{i:05}"),
            agency_id: "a".into(),
            name: format!("人员{i}"),
            unit: "执法支队".into(),
            post: "队员".into(),
            certificate_no: format!("C{i:08}"),
            categories: vec!["生态环境".into()],
            // A quarter cover the whole city, the rest one district each.
            areas: vec![if i % 4 == 0 {
                "441800".into()
            } else {
                areas[i % areas.len()].clone()
            }],
            valid_from: d(2024, 1, 1),
            valid_until: d(2029, 12, 31),
            status: CertificateStatus::Active,
        })
        .collect();
    DrawInputs {
        format: algorithm::FORMAT.into(),
        agency_id: "a".into(),
        draw_date: d(2026, 11, 23),
        due_date: d(2026, 12, 31),
        item: SpotCheckItem {
            code: "B-1".into(),
            name: "基准事项".into(),
            checking_body: "清远市生态环境局".into(),
            legal_basis: "《环境保护法》".into(),
            category: "生态环境".into(),
            target_kinds: vec![],
            target_areas: vec![],
            content: "检查".into(),
            ratio_bp,
            method: "现场检查".into(),
            frequency: "每年一次".into(),
        },
        targets,
        officers,
        conflicts: vec![],
        last_teams: vec![],
    }
}

fn bench_draw() {
    println!("== draw: {TARGETS} targets x {OFFICERS} officers ==");
    for ratio in [500u32, 10_000] {
        let inp = inputs(ratio);
        let k = inp.sample_size();
        let seed = [7u8; 32];
        // Baseline: sample k of the same sorted list with the same RNG, nothing else.
        let (base, picked) = best(5, || {
            let mut rng = ChaCha20Rng::from_seed(seed);
            let mut order: Vec<usize> = (0..inp.targets.len()).collect();
            for i in 0..k {
                let j = i + algorithm::uniform(&mut rng, (order.len() - i) as u64) as usize;
                order.swap(i, j);
            }
            order.truncate(k);
            order
        });
        let (hash_t, _) = best(5, || inp.hash());
        let (draw_t, out) = best(5, || algorithm::run(&inp, &seed, "").expect("draw"));
        assert_eq!(picked.len(), out.drawn.len());
        println!(
            "ratio {:>6}: draw {k:>6} targets + teams {:>9.2?} | baseline sampling {:>9.2?} | inputs hash {:>9.2?} | draw/baseline {:>7.1}x | staffed {}",
            inp.item.ratio_text(),
            draw_t,
            base,
            hash_t,
            draw_t.as_secs_f64() / base.as_secs_f64().max(1e-9),
            out.staffed,
        );
    }
}

fn code(n: usize) -> String {
    let body = format!("91441802MA{n:06}X");
    let check = CreditCode::check_char(&body).expect("check char");
    format!("{body}{check}")
}

fn write_xlsx(path: &std::path::Path) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let headers = [
        "编号",
        "名称",
        "类型",
        "统一社会信用代码",
        "地址",
        "执法类别",
        "所在区域",
        "纬度",
        "经度",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, *h).expect("cell");
    }
    let areas = areas();
    for i in 0..TARGETS {
        let r = i as u32 + 1;
        ws.write_string(r, 0, format!("t{i:06}")).expect("cell");
        ws.write_string(r, 1, format!("清远市测试{i}号有限公司"))
            .expect("cell");
        ws.write_string(r, 2, "单位").expect("cell");
        ws.write_string(r, 3, code(i)).expect("cell");
        ws.write_string(r, 4, format!("清远市清城区测试路{i}号"))
            .expect("cell");
        ws.write_string(r, 5, "生态环境").expect("cell");
        ws.write_string(r, 6, &areas[i % areas.len()])
            .expect("cell");
        ws.write_number(r, 7, 23.6).expect("cell");
        ws.write_number(r, 8, 113.2).expect("cell");
    }
    wb.save(path).expect("save xlsx");
}

fn bench_import() {
    println!("== import: {TARGETS}-row XLSX target directory ==");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("targets.xlsx");
    let t = Instant::now();
    write_xlsx(&file);
    println!(
        "(fixture written in {:.2?}, {} bytes)",
        t.elapsed(),
        std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0)
    );
    // Baseline: calamine alone, every cell visited.
    let (base, cells) = best(3, || {
        let mut book = calamine::open_workbook_auto(&file).expect("open");
        let range = book.worksheet_range_at(0).expect("sheet").expect("range");
        range
            .rows()
            .map(|r| {
                r.iter()
                    .filter(|c| !matches!(c, calamine::Data::Empty))
                    .count()
            })
            .sum::<usize>()
    });
    let (read_t, table) = best(3, || directories::read_file(&file).expect("read"));
    assert_eq!(table.rows.len(), TARGETS);
    let existing = directories::Existing {
        categories: directories::BUILTIN_CATEGORIES
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ..Default::default()
    };
    let (parse_t, parsed) = best(3, || {
        directories::parse_table(
            ListKind::Targets,
            &table,
            "qy-sthj",
            &existing,
            &indicatif::ProgressBar::hidden(),
        )
        .expect("parse")
    });
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors.first());
    // The whole import command path: read, check, one SQLite transaction.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (import_t, report) = best(3, || {
        let data = tempfile::tempdir().expect("tempdir");
        rt.block_on(async {
            let state = liuhen_server::build_state_with_clock(
                Config {
                    data_dir: data.path().to_path_buf(),
                    secure_cookies: false,
                    max_upload_bytes: 0,
                    upload_lease: liuhen_server::api::tus::DEFAULT_LEASE,
                },
                Arc::new(liuhen_core::time::SystemClock),
            )
            .await
            .expect("state");
            liuhen_server::demo::load(&state).await.expect("demo");
            directories::import_file(
                &state,
                "qy-sthj",
                ListKind::Targets,
                &file,
                false,
                &indicatif::ProgressBar::hidden(),
            )
            .await
            .expect("import")
        })
    });
    assert_eq!(report.imported, TARGETS);
    let ratio = |t: Duration| t.as_secs_f64() / base.as_secs_f64().max(1e-9);
    println!("calamine alone (baseline)     {base:>9.2?} ({cells} cells)");
    println!(
        "read_file (calamine + text)   {read_t:>9.2?}  {:>5.2}x baseline",
        ratio(read_t)
    );
    println!(
        "check every row               {parse_t:>9.2?}  {:>5.2}x baseline",
        ratio(parse_t)
    );
    println!(
        "whole import into SQLite      {import_t:>9.2?}  {:>5.2}x baseline",
        ratio(import_t)
    );
}

fn main() {
    // `cargo test --benches` runs this with `--bench` absent: keep it quick then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("skipped (run with cargo bench)");
        return;
    }
    bench_draw();
    bench_import();
}
