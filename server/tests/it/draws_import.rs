//! Importing the directories and the item list (R-PRE-2, R-PRE-3) from CSV (UTF-8
//! and GBK) and XLSX through the real `liuhen-server admin import-*` command on a
//! real SQLite data directory: row-by-row reports, nothing imported from a file with
//! errors unless `--skip-bad-rows`, clear errors for wrong headers and encodings;
//! property tests of the parsers.

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use proptest::prelude::*;

use common::run_cli;
use liuhen_core::model::CreditCode;
use liuhen_server::services::directories::{
    self, ListKind, decode_text, parse_csv, parse_date, parse_ratio,
};
use liuhen_server::state::Config;

/// A data directory with the demo agency loaded (in-process, then closed).
fn demo_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    with_state(dir.path(), async |state| {
        liuhen_server::demo::load(state).await.unwrap();
    });
    dir
}

fn with_state<T>(dir: &Path, f: impl AsyncFnOnce(&liuhen_server::state::AppState) -> T) -> T {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let state = liuhen_server::build_state_with_clock(
            Config {
                data_dir: dir.to_path_buf(),
                secure_cookies: false,
                max_upload_bytes: 0,
                upload_lease: liuhen_server::api::tus::DEFAULT_LEASE,
            },
            Arc::new(liuhen_core::time::SystemClock),
        )
        .await
        .unwrap();
        f(&state).await
    })
}

fn counts(dir: &Path) -> (usize, usize, usize) {
    with_state(dir, async |s| {
        let (r, _) = s
            .storage
            .roster_for("qy-sthj", Some(""))
            .await
            .unwrap()
            .unwrap();
        let items = s.storage.check_items("qy-sthj").await.unwrap();
        (r.targets.len(), r.officers.len(), items.len())
    })
}

fn import(dir: &Path, cmd: &str, file: &Path, skip: bool) -> (bool, String, String) {
    let mut args = vec![
        "admin",
        cmd,
        "--data-dir",
        dir.to_str().unwrap(),
        "--agency",
        "qy-sthj",
        file.to_str().unwrap(),
    ];
    if skip {
        args.push("--skip-bad-rows");
    }
    run_cli(&args, None)
}

/// A valid credit code from a 16-character organisation body.
fn code(n: u32) -> String {
    let body = format!("91441802MA{n:06}X");
    let check = CreditCode::check_char(&body).unwrap();
    format!("{body}{check}")
}

const TARGET_HEADER: &str = "编号,名称,类型,统一社会信用代码,地址,执法类别,所在区域,纬度,经度";

fn targets_csv(rows: &[String]) -> String {
    let mut s = format!("{TARGET_HEADER}\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

fn good_target(i: u32) -> String {
    format!(
        "qy-dx-1{i:03},清远市测试{i}号有限公司,单位,{},清远市清城区测试路{i}号,生态环境,441802,23.6,113.2",
        code(i)
    )
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn utf8_csv_targets_import_with_natural_persons_and_without_coordinates() {
    let dir = demo_dir();
    let before = counts(dir.path());
    let mut rows: Vec<String> = (1..=5).map(good_target).collect();
    rows.push("qy-dx-1900,王小明,自然人,,清远市清新区某村,生态环境,441803,,".into());
    // A UTF-8 BOM, as Excel's "CSV UTF-8" writes.
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(targets_csv(&rows).as_bytes());
    let f = write(dir.path(), "targets.csv", &bytes);
    let (ok, out, err) = import(dir.path(), "import-targets", &f, false);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("导入 6 条"), "{out}");
    assert_eq!(counts(dir.path()).0, before.0 + 6);
    // Importing the same file again replaces by id: no duplicates.
    let (ok, _, _) = import(dir.path(), "import-targets", &f, false);
    assert!(ok);
    assert_eq!(counts(dir.path()).0, before.0 + 6);
}

#[test]
fn gbk_csv_is_detected_and_read() {
    let dir = demo_dir();
    let text = targets_csv(&[good_target(1), good_target(2)]);
    let (gbk, _, bad) = encoding_rs::GBK.encode(&text);
    assert!(!bad);
    assert!(std::str::from_utf8(&gbk).is_err(), "really not UTF-8");
    let f = write(dir.path(), "targets-gbk.csv", &gbk);
    let (ok, out, err) = import(dir.path(), "import-targets", &f, false);
    assert!(ok, "{out}\n{err}");
    assert!(err.contains("GBK"), "the encoding is reported: {err}");
    let names = with_state(dir.path(), async |s| {
        let (r, _) = s
            .storage
            .roster_for("qy-sthj", Some(""))
            .await
            .unwrap()
            .unwrap();
        r.targets.iter().map(|t| t.name.clone()).collect::<Vec<_>>()
    });
    assert!(
        names.contains(&"清远市测试1号有限公司".to_string()),
        "{names:?}"
    );
}

#[test]
fn a_file_in_neither_utf8_nor_gbk_says_how_to_convert_it() {
    let dir = demo_dir();
    let mut bytes = TARGET_HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(b"\n\xff\xfe\xff,\x80\x80\n");
    let f = write(dir.path(), "targets-bad.csv", &bytes);
    let before = counts(dir.path());
    let (ok, _, err) = import(dir.path(), "import-targets", &f, false);
    assert!(!ok);
    assert!(err.contains("UTF-8") && err.contains("iconv"), "{err}");
    assert_eq!(counts(dir.path()), before);
}

#[test]
fn wrong_headers_name_the_missing_and_unknown_columns() {
    let dir = demo_dir();
    let f = write(
        dir.path(),
        "t.csv",
        "编号,企业名称,类型,统一社会信用代码,地址,执法类别,所在区域\nx,y,单位,,a,生态环境,441802\n"
            .as_bytes(),
    );
    let (ok, _, err) = import(dir.path(), "import-targets", &f, false);
    assert!(!ok);
    assert!(err.contains("缺少列 名称"), "{err}");
    assert!(err.contains("无法识别的列 企业名称"), "{err}");
    assert!(err.contains("应有的列"), "{err}");
    // An officer file given to import-targets.
    let f = write(
        dir.path(),
        "o.csv",
        "编号,姓名,单位,职务,执法证件编号,执法类别,执法区域,有效期起,有效期止\n".as_bytes(),
    );
    let (ok, _, err) = import(dir.path(), "import-targets", &f, false);
    assert!(!ok);
    assert!(err.contains("检查对象名录库的列标题不正确"), "{err}");
}

#[test]
fn bad_rows_are_reported_by_row_column_and_reason_and_nothing_is_imported() {
    let dir = demo_dir();
    let before = counts(dir.path());
    let mut bad_code = code(3);
    bad_code.pop();
    bad_code.push(if code(3).ends_with('0') { '1' } else { '0' });
    let rows = vec![
        good_target(1),
        good_target(2).replace(&code(2), &bad_code), // row 3: check digit
        good_target(4).replace("生态环境", "生态环竟"), // row 4: category
        good_target(5).replace(",441802,", ",清城区,"), // row 5: area
        good_target(1).replace("测试1号", "测试1号重复"), // row 6: duplicate id
        good_target(6),
    ];
    let f = write(dir.path(), "t.csv", targets_csv(&rows).as_bytes());
    let (ok, out, err) = import(dir.path(), "import-targets", &f, false);
    assert!(!ok, "{out}");
    assert!(err.contains("4 行数据有误，未导入任何数据"), "{err}");
    assert!(err.contains("--skip-bad-rows"), "{err}");
    assert!(
        err.contains("第 3 行，列“统一社会信用代码”：校验码错误"),
        "{err}"
    );
    assert!(
        err.contains("第 4 行，列“执法类别”：未知的执法类别“生态环竟”"),
        "{err}"
    );
    assert!(err.contains("第 5 行，列“所在区域”"), "{err}");
    assert!(
        err.contains("第 6 行，列“编号”：“qy-dx-1001”与第 2 行重复"),
        "{err}"
    );
    assert_eq!(counts(dir.path()), before, "nothing imported");

    // With --skip-bad-rows the two good rows go in and the report lists the rest.
    let (ok, out, err) = import(dir.path(), "import-targets", &f, true);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("导入 2 条，跳过 4 行"), "{out}");
    assert!(out.contains("3 | 统一社会信用代码 | 校验码错误"), "{out}");
    assert_eq!(counts(dir.path()).0, before.0 + 2);
}

const OFFICER_HEADERS: [&str; 10] = [
    "编号",
    "姓名",
    "单位",
    "职务",
    "执法证件编号",
    "执法类别",
    "执法区域",
    "有效期起",
    "有效期止",
    "证件状态",
];

/// Writes an officer XLSX: dates as real date cells, certificate numbers as numbers
/// (as spreadsheets often hold them).
/// (id, name, certificate number, categories, valid until (y, m, d), status).
type OfficerRow<'a> = (&'a str, &'a str, f64, &'a str, (i32, u32, u32), &'a str);

fn officers_xlsx(path: &Path, rows: &[OfficerRow<'_>]) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date_fmt = Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in OFFICER_HEADERS.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (i, (id, name, cert, cats, until, status)) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, *id).unwrap();
        ws.write_string(r, 1, *name).unwrap();
        ws.write_string(r, 2, "清远市生态环境局执法监察支队")
            .unwrap();
        ws.write_string(r, 3, "执法队员").unwrap();
        ws.write_number(r, 4, *cert).unwrap();
        ws.write_string(r, 5, *cats).unwrap();
        ws.write_string(r, 6, "441800；441900").unwrap();
        let from = ExcelDateTime::from_ymd(2025, 1, 1).unwrap();
        ws.write_datetime_with_format(r, 7, &from, &date_fmt)
            .unwrap();
        let until = ExcelDateTime::from_ymd(until.0 as u16, until.1 as u8, until.2 as u8).unwrap();
        ws.write_datetime_with_format(r, 8, &until, &date_fmt)
            .unwrap();
        ws.write_string(r, 9, *status).unwrap();
    }
    wb.save(path).unwrap();
}

#[test]
fn xlsx_officers_import_with_date_cells_and_numeric_certificates() {
    let dir = demo_dir();
    let f = dir.path().join("officers.xlsx");
    officers_xlsx(
        &f,
        &[
            (
                "qy-zf-101",
                "赵一",
                44180026101.0,
                "生态环境",
                (2030, 6, 30),
                "有效",
            ),
            (
                "qy-zf-102",
                "钱二",
                44180026102.0,
                "生态环境、安全生产",
                (2029, 1, 31),
                "暂扣",
            ),
        ],
    );
    let (ok, out, err) = import(dir.path(), "import-officers", &f, false);
    assert!(ok, "{out}\n{err}");
    let officers = with_state(dir.path(), async |s| {
        let (r, _) = s
            .storage
            .roster_for("qy-sthj", Some(""))
            .await
            .unwrap()
            .unwrap();
        r.officers
    });
    let o = officers.iter().find(|o| o.id == "qy-zf-102").unwrap();
    assert_eq!(o.certificate_no, "44180026102");
    assert_eq!(o.categories, vec!["生态环境", "安全生产"]);
    assert_eq!(o.areas, vec!["441800", "441900"]);
    assert_eq!(o.valid_until.to_string(), "2029-01-31");
    assert_eq!(o.status, liuhen_core::model::CertificateStatus::Suspended);
}

#[test]
fn duplicate_certificate_numbers_are_refused_in_the_file_and_against_the_directory() {
    let dir = demo_dir();
    let before = counts(dir.path());
    let f = dir.path().join("officers.xlsx");
    officers_xlsx(
        &f,
        &[
            (
                "qy-zf-101",
                "赵一",
                44180026101.0,
                "生态环境",
                (2030, 6, 30),
                "有效",
            ),
            (
                "qy-zf-102",
                "钱二",
                44180026101.0,
                "生态环境",
                (2030, 6, 30),
                "有效",
            ),
            // 李明's certificate number, under another id.
            (
                "qy-zf-103",
                "孙三",
                44180021001.0,
                "生态环境",
                (2030, 6, 30),
                "有效",
            ),
            (
                "qy-zf-104",
                "李四",
                44180026104.0,
                "生态环境",
                (2020, 6, 30),
                "有效",
            ),
            (
                "qy-zf-105",
                "周五",
                44180026105.0,
                "生态环境",
                (2030, 6, 30),
                "失效了",
            ),
        ],
    );
    let (ok, _, err) = import(dir.path(), "import-officers", &f, false);
    assert!(!ok);
    assert!(
        err.contains("第 3 行，列“执法证件编号”：“44180026101”与第 2 行重复"),
        "{err}"
    );
    assert!(
        err.contains("第 4 行，列“执法证件编号”：“44180021001”已属于名录库中的执法人员 qy-zf-001"),
        "{err}"
    );
    assert!(err.contains("第 5 行，列“有效期止”"), "{err}");
    assert!(err.contains("第 6 行，列“证件状态”"), "{err}");
    assert_eq!(counts(dir.path()), before);
}

#[test]
fn item_list_imports_and_a_ratio_over_100_percent_is_refused() {
    let dir = demo_dir();
    let header = "事项编码,事项名称,抽查主体,抽查依据,执法类别,对象类型,对象区域,抽查内容,抽查比例,抽查方式,抽查频次";
    let good = "QYHJ-SJ-11,建设项目环评执行情况检查,清远市生态环境局,《环境影响评价法》,生态环境,单位；个体工商户,441800,环评批复落实情况,5%,现场检查,每年一次";
    let over = "QYHJ-SJ-12,过量抽查,清远市生态环境局,《环境保护法》,生态环境,,,内容,120%,现场检查,每年一次";
    let f = write(
        dir.path(),
        "items.csv",
        format!("{header}\n{good}\n{over}\n").as_bytes(),
    );
    let (ok, _, err) = import(dir.path(), "import-items", &f, false);
    assert!(!ok);
    assert!(
        err.contains("第 3 行，列“抽查比例”：R-PRE-3: 抽查比例不能超过 100%"),
        "{err}"
    );
    assert_eq!(counts(dir.path()).2, 2);
    let (ok, out, _) = import(dir.path(), "import-items", &f, true);
    assert!(ok, "{out}");
    let items = with_state(dir.path(), async |s| {
        s.storage.check_items("qy-sthj").await.unwrap()
    });
    let it = items.iter().find(|i| i.code == "QYHJ-SJ-11").unwrap();
    assert_eq!(it.ratio_bp, 500);
    assert_eq!(it.target_kinds.len(), 2);
    assert_eq!(it.target_areas, vec!["441800"]);
}

#[test]
fn unknown_agency_and_file_type_are_clear_errors() {
    let dir = demo_dir();
    let f = write(
        dir.path(),
        "t.csv",
        targets_csv(&[good_target(1)]).as_bytes(),
    );
    let (ok, _, err) = run_cli(
        &[
            "admin",
            "import-targets",
            "--data-dir",
            dir.path().to_str().unwrap(),
            "--agency",
            "nope",
            f.to_str().unwrap(),
        ],
        None,
    );
    assert!(!ok);
    assert!(err.contains("执法主体 nope"), "{err}");
    let f = write(dir.path(), "t.json", b"{}");
    let (ok, _, err) = import(dir.path(), "import-targets", &f, false);
    assert!(!ok);
    assert!(err.contains(".csv 或 .xlsx"), "{err}");
}

#[test]
fn parse_table_reports_per_row_without_storage() {
    let text = targets_csv(&[good_target(1), "x,,单位,,,生态环境,441802,,".into()]);
    let table = parse_csv(&text).unwrap();
    let existing = directories::Existing {
        categories: ["生态环境".to_string()].into_iter().collect(),
        ..Default::default()
    };
    let parsed = directories::parse_table(
        ListKind::Targets,
        &table,
        "qy-sthj",
        &existing,
        &indicatif::ProgressBar::hidden(),
    )
    .unwrap();
    assert_eq!(parsed.targets.len(), 1);
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].row, 3);
}

proptest! {
    #[test]
    fn csv_cells_round_trip(rows in prop::collection::vec(
        prop::collection::vec("[^\u{0}\u{feff}\u{3000}]{0,12}", 3), 1..20)
    ) {
        let mut w = csv::Writer::from_writer(vec![]);
        w.write_record(["a", "b", "c"]).unwrap();
        for r in &rows {
            w.write_record(r).unwrap();
        }
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        let table = parse_csv(&text).unwrap();
        let expected: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|c| c.trim().to_string()).collect::<Vec<_>>())
            .filter(|r| !r.iter().all(String::is_empty))
            .collect();
        let got: Vec<Vec<String>> = table.rows.iter().map(|(_, c)| c.clone()).collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn gbk_text_decodes_back(s in "[a-z0-9,\n 检查对象名录库生态环境清远市有限公司]{0,60}") {
        let (gbk, _, _) = encoding_rs::GBK.encode(&s);
        // A few short GBK strings are valid UTF-8 too (远 is D4 B6, also Զ); real
        // files are read as UTF-8 then, which is the documented rule.
        prop_assume!(std::str::from_utf8(&gbk).is_err() || gbk.is_ascii());
        let (text, _) = decode_text(&gbk).unwrap();
        prop_assert_eq!(text, s);
    }

    #[test]
    fn parsers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200), s in "\\PC{0,30}") {
        if let Ok((text, _)) = decode_text(&bytes) {
            let _ = parse_csv(&text);
        }
        let _ = parse_ratio(&s);
        let _ = parse_date(&s);
    }

    #[test]
    fn ratio_in_range_parses_to_basis_points(bp in 1u32..=10_000) {
        let text = format!("{}.{:02}%", bp / 100, bp % 100);
        prop_assert_eq!(parse_ratio(&text), Ok(bp));
    }

    #[test]
    fn ratio_over_100_percent_is_refused(bp in 10_001u32..1_000_000) {
        let text = format!("{}.{:02}", bp / 100, bp % 100);
        let e = parse_ratio(&text).unwrap_err();
        prop_assert!(e.starts_with("R-PRE-3"), "{}", e);
    }
}
