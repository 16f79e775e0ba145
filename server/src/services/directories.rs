//! The published directories and lists of double random draws (R-RAND-1, R-PRE-2,
//! R-PRE-3): the target directory (检查对象名录库), the officer directory
//! (执法检查人员名录库) and the spot-check item list (随机抽查事项清单).
//!
//! Files are CSV (UTF-8, or GBK/GB18030 as Excel writes them in China, detected) or
//! XLSX (read with calamine), with Chinese column headers documented in
//! `docs/directories.md`. Every row is checked before anything is stored; a file
//! with a bad row imports nothing unless the caller asks to skip bad rows, and the
//! report names row, column and reason for each one.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use calamine::{Data, Reader};
use chrono::NaiveDate;
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use liuhen_domain::model::{
    CertificateStatus, CreditCode, GeoPoint, ModelError, Officer, Target, TargetKind,
};

use crate::error::AppError;
use crate::services::draws::algorithm::{FULL_RATIO_BP, SpotCheckItem};
use crate::state::AppState;
use crate::storage::StorageError;

/// Enforcement categories (执法类别) every agency may use; agencies add their own.
pub const BUILTIN_CATEGORIES: &[&str] = &[
    "生态环境",
    "安全生产",
    "应急管理",
    "市场监管",
    "人民防空",
    "司法行政",
    "交通运输",
    "文化市场",
    "农业农村",
    "自然资源",
    "城市管理",
    "卫生健康",
    "水利",
    "林业",
    "消防",
    "住房城乡建设",
    "人力资源社会保障",
    "教育",
    "商务",
];

/// The categories an agency may use: the built-in ones and its own.
pub async fn known_categories(
    state: &AppState,
    agency_id: &str,
) -> Result<HashSet<String>, AppError> {
    let mut set: HashSet<String> = BUILTIN_CATEGORIES.iter().map(|s| s.to_string()).collect();
    set.extend(state.storage.categories(agency_id).await?);
    Ok(set)
}

/// Which list a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    /// 检查对象名录库.
    Targets,
    /// 执法检查人员名录库.
    Officers,
    /// 随机抽查事项清单.
    Items,
}

impl ListKind {
    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            ListKind::Targets => "检查对象名录库",
            ListKind::Officers => "执法检查人员名录库",
            ListKind::Items => "随机抽查事项清单",
        }
    }

    /// Columns: (header, required).
    pub fn columns(self) -> &'static [(&'static str, bool)] {
        match self {
            ListKind::Targets => &[
                ("编号", true),
                ("名称", true),
                ("类型", true),
                ("统一社会信用代码", true),
                ("地址", true),
                ("执法类别", true),
                ("所在区域", true),
                ("纬度", false),
                ("经度", false),
            ],
            ListKind::Officers => &[
                ("编号", true),
                ("姓名", true),
                ("单位", true),
                ("职务", true),
                ("执法证件编号", true),
                ("执法类别", true),
                ("执法区域", true),
                ("有效期起", true),
                ("有效期止", true),
                ("证件状态", false),
            ],
            ListKind::Items => &[
                ("事项编码", true),
                ("事项名称", true),
                ("抽查主体", true),
                ("抽查依据", true),
                ("执法类别", true),
                ("对象类型", false),
                ("对象区域", false),
                ("抽查内容", true),
                ("抽查比例", true),
                ("抽查方式", true),
                ("抽查频次", true),
            ],
        }
    }
}

/// One bad row of a file: row number (the header is row 1), column, reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// Row number in the file (header = 1).
    pub row: usize,
    /// Column header.
    pub column: String,
    /// Why, in Chinese.
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "第 {} 行，列“{}”：{}",
            self.row, self.column, self.reason
        )
    }
}

/// Why a file cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be read.
    #[error("无法读取文件 {path}：{source}")]
    Io {
        /// File.
        path: String,
        /// OS error.
        source: std::io::Error,
    },
    /// Neither CSV nor a spreadsheet.
    #[error("不支持的文件类型“{0}”：请使用 .csv 或 .xlsx 文件")]
    UnknownFormat(String),
    /// A CSV file that is neither UTF-8 nor GBK/GB18030.
    #[error(
        "文件既不是 UTF-8 编码，也不是 GBK/GB18030 编码，无法读取。请在 Excel 中“另存为 → CSV UTF-8（逗号分隔）”，或执行 iconv -f GBK -t UTF-8 原文件 > 新文件 后再导入"
    )]
    Encoding,
    /// The CSV is malformed.
    #[error("CSV 格式错误（第 {row} 行）：{reason}")]
    Csv {
        /// Row (1-based).
        row: usize,
        /// Parser's words.
        reason: String,
    },
    /// The spreadsheet is unreadable.
    #[error("无法读取电子表格：{0}")]
    Spreadsheet(String),
    /// No header row.
    #[error("文件为空：第 1 行应为列标题")]
    Empty,
    /// Wrong headers.
    #[error("{kind}的列标题不正确：{detail}。应有的列：{expected}")]
    Headers {
        /// List name.
        kind: &'static str,
        /// Missing and unknown columns.
        detail: String,
        /// The expected columns.
        expected: String,
    },
    /// Bad rows and no skipping asked for: nothing imported.
    #[error(
        "文件中有 {} 行数据有误，未导入任何数据（如需跳过错误行导入其余数据，请加 --skip-bad-rows）：\n{}",
        .0.len(),
        .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")
    )]
    BadRows(Vec<RowError>),
    /// Storage or agency problem.
    #[error("{0}")]
    App(#[from] AppError),
}

impl From<StorageError> for ImportError {
    fn from(e: StorageError) -> Self {
        ImportError::App(e.into())
    }
}

/// A file's contents: headers and data rows with their row numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Header cells, trimmed.
    pub headers: Vec<String>,
    /// (row number, cells).
    pub rows: Vec<(usize, Vec<String>)>,
    /// Set when the CSV was read as GB18030/GBK.
    pub encoding_note: Option<String>,
}

/// Decodes CSV bytes: UTF-8 (BOM stripped) or else GB18030 (a superset of GBK),
/// with a note saying so; anything else is [`ImportError::Encoding`].
pub fn decode_text(bytes: &[u8]) -> Result<(String, Option<String>), ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_string(), None));
    }
    let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
    if had_errors {
        return Err(ImportError::Encoding);
    }
    Ok((
        text.into_owned(),
        Some("文件不是 UTF-8 编码，已按 GBK/GB18030 编码读取".to_string()),
    ))
}

fn clean(cell: &str) -> String {
    cell.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '\u{3000}')
        .to_string()
}

/// Parses CSV text into a [`Table`] (blank rows skipped).
pub fn parse_csv(text: &str) -> Result<Table, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut headers = None;
    let mut rows = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| ImportError::Csv {
            row: e.position().map(|p| p.line() as usize).unwrap_or(i + 1),
            reason: e.to_string(),
        })?;
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(i + 1);
        let cells: Vec<String> = rec.iter().map(clean).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        if headers.is_none() {
            headers = Some(cells);
        } else {
            rows.push((line, cells));
        }
    }
    Ok(Table {
        headers: headers.ok_or(ImportError::Empty)?,
        rows,
        encoding_note: None,
    })
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => clean(s),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                f.to_string()
            }
        }
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) => t.date().to_string(),
            None => dt.as_f64().to_string(),
        },
        Data::Error(e) => format!("#错误:{e}"),
    }
}

/// Reads the first sheet of a spreadsheet (XLSX, also XLS/ODS) into a [`Table`].
pub fn read_spreadsheet(path: &Path) -> Result<Table, ImportError> {
    let mut book =
        calamine::open_workbook_auto(path).map_err(|e| ImportError::Spreadsheet(e.to_string()))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or(ImportError::Empty)?
        .map_err(|e| ImportError::Spreadsheet(e.to_string()))?;
    let first_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
    let mut headers = None;
    let mut rows = Vec::new();
    for (i, row) in range.rows().enumerate() {
        let cells: Vec<String> = row.iter().map(cell_text).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        let line = first_row + i + 1;
        if headers.is_none() {
            headers = Some(cells);
        } else {
            rows.push((line, cells));
        }
    }
    Ok(Table {
        headers: headers.ok_or(ImportError::Empty)?,
        rows,
        encoding_note: None,
    })
}

/// Reads a CSV or spreadsheet file by its extension.
pub fn read_file(path: &Path) -> Result<Table, ImportError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "csv" | "txt" => {
            let bytes = std::fs::read(path).map_err(|source| ImportError::Io {
                path: path.display().to_string(),
                source,
            })?;
            let (text, note) = decode_text(&bytes)?;
            let mut t = parse_csv(&text)?;
            t.encoding_note = note;
            Ok(t)
        }
        "xlsx" | "xlsm" | "xls" | "ods" => read_spreadsheet(path),
        other => Err(ImportError::UnknownFormat(other.to_string())),
    }
}

/// Maps each column of `kind` to its index in the headers; names missing and
/// unknown columns otherwise.
pub fn map_headers(
    kind: ListKind,
    headers: &[String],
) -> Result<HashMap<&'static str, usize>, ImportError> {
    let cols = kind.columns();
    let mut map = HashMap::new();
    let mut unknown = Vec::new();
    let mut dup = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            continue;
        }
        match cols.iter().find(|(c, _)| c == h) {
            Some((c, _)) => {
                if map.insert(*c, i).is_some() {
                    dup.push(h.clone());
                }
            }
            None => unknown.push(h.clone()),
        }
    }
    let missing: Vec<&str> = cols
        .iter()
        .filter(|(c, req)| *req && !map.contains_key(c))
        .map(|(c, _)| *c)
        .collect();
    if missing.is_empty() && unknown.is_empty() && dup.is_empty() {
        return Ok(map);
    }
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("缺少列 {}", missing.join("、")));
    }
    if !unknown.is_empty() {
        parts.push(format!("无法识别的列 {}", unknown.join("、")));
    }
    if !dup.is_empty() {
        parts.push(format!("重复的列 {}", dup.join("、")));
    }
    Err(ImportError::Headers {
        kind: kind.label(),
        detail: parts.join("；"),
        expected: cols
            .iter()
            .map(|(c, req)| {
                if *req {
                    c.to_string()
                } else {
                    format!("{c}（可选）")
                }
            })
            .collect::<Vec<_>>()
            .join("、"),
    })
}

/// Splits a multi-value cell (；;、,，| or line breaks).
pub fn split_list(s: &str) -> Vec<String> {
    s.split(['；', ';', '、', ',', '，', '|', '\n'])
        .map(clean)
        .filter(|v| !v.is_empty())
        .collect()
}

/// Parses a date: 2026-01-31, 2026/1/31, 2026.1.31, 2026年1月31日 or 20260131.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(s, "%Y%m%d").ok();
    }
    let norm: String = s
        .replace(['年', '月'], "-")
        .replace('日', "")
        .replace(['/', '.'], "-");
    let date_part = norm.split_whitespace().next().unwrap_or("");
    NaiveDate::parse_from_str(date_part, "%Y-%m-%d").ok()
}

/// Parses a ratio in percent (`5`, `5%`, `12.5％`) into basis points; more than
/// 100 % or 0 is refused, citing R-PRE-3.
pub fn parse_ratio(s: &str) -> Result<u32, String> {
    let t = s.trim().trim_end_matches(['%', '％']).trim();
    let v: f64 = t
        .parse()
        .map_err(|_| format!("“{s}”不是百分比数字（例如 5% 或 12.5%）"))?;
    if !v.is_finite() || v <= 0.0 {
        return Err("R-PRE-3: 抽查比例应大于 0".into());
    }
    if v > 100.0 {
        return Err(format!("R-PRE-3: 抽查比例不能超过 100%，实际为 {s}"));
    }
    let bp = (v * 100.0).round();
    if (v * 100.0 - bp).abs() > 1e-6 {
        return Err("抽查比例最多保留两位小数".into());
    }
    let bp = bp as u32;
    if bp > FULL_RATIO_BP || bp == 0 {
        return Err(format!(
            "R-PRE-3: 抽查比例应大于 0 且不超过 100%，实际为 {s}"
        ));
    }
    Ok(bp)
}

fn parse_kind(s: &str) -> Option<TargetKind> {
    Some(match s.trim() {
        "单位" | "企业" | "法人" | "organisation" => TargetKind::Organisation,
        "个体工商户" | "个体户" | "individual_business" => TargetKind::IndividualBusiness,
        "自然人" | "个人" | "natural_person" => TargetKind::NaturalPerson,
        _ => return None,
    })
}

fn parse_status(s: &str) -> Option<CertificateStatus> {
    Some(match s.trim() {
        "" | "有效" | "active" => CertificateStatus::Active,
        "暂扣" | "suspended" => CertificateStatus::Suspended,
        "注销" | "吊销" | "revoked" => CertificateStatus::Revoked,
        _ => return None,
    })
}

fn is_division_code(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The column a core validation field belongs to.
fn column_of(kind: ListKind, field: &str) -> &'static str {
    let last = field.rsplit('.').next().unwrap_or(field);
    let last = last.split('[').next().unwrap_or(last);
    match (kind, last) {
        (_, "id") => "编号",
        (ListKind::Targets, "name") => "名称",
        (ListKind::Officers, "name") => "姓名",
        (_, "credit_code") => "统一社会信用代码",
        (_, "address") => "地址",
        (_, "category" | "categories") => "执法类别",
        (ListKind::Targets, "area") => "所在区域",
        (_, "areas") => "执法区域",
        (_, "lat") => "纬度",
        (_, "lon") => "经度",
        (_, "unit") => "单位",
        (_, "post") => "职务",
        (_, "certificate_no") => "执法证件编号",
        (_, "valid_from") => "有效期起",
        (_, "valid_until") => "有效期止",
        _ => "编号",
    }
}

/// Checks a target for the directory (core validation, category, area code).
pub fn check_target(t: &Target, categories: &HashSet<String>) -> Result<(), (String, String)> {
    t.validate()
        .map_err(|e: ModelError| (column_of(ListKind::Targets, &e.field).to_string(), e.reason))?;
    if !categories.contains(&t.category) {
        return Err((
            "执法类别".into(),
            format!("未知的执法类别“{}”（不在执法类别目录中）", t.category),
        ));
    }
    if !is_division_code(&t.area) {
        return Err((
            "所在区域".into(),
            format!("应为 6 位行政区划代码，实际为“{}”", t.area),
        ));
    }
    Ok(())
}

/// Checks an officer for the directory (core validation, categories, area codes).
pub fn check_officer(o: &Officer, categories: &HashSet<String>) -> Result<(), (String, String)> {
    o.validate().map_err(|e| {
        (
            column_of(ListKind::Officers, &e.field).to_string(),
            e.reason,
        )
    })?;
    if let Some(c) = o.categories.iter().find(|c| !categories.contains(*c)) {
        return Err((
            "执法类别".into(),
            format!("未知的执法类别“{c}”（不在执法类别目录中）"),
        ));
    }
    if let Some(a) = o.areas.iter().find(|a| !is_division_code(a)) {
        return Err((
            "执法区域".into(),
            format!("应为 6 位行政区划代码，实际为“{a}”"),
        ));
    }
    Ok(())
}

fn require(field: &str, v: &str, max: usize) -> Result<(), (String, String)> {
    if v.trim().is_empty() {
        return Err((field.into(), "不能为空".into()));
    }
    if v.chars().count() > max {
        return Err((field.into(), format!("过长（最多 {max} 个字符）")));
    }
    if v.chars().any(|c| c.is_control() && c != '\n') {
        return Err((field.into(), "含有不可见的控制字符".into()));
    }
    Ok(())
}

/// Checks an item of the spot-check list (R-PRE-3).
pub fn check_item(i: &SpotCheckItem, categories: &HashSet<String>) -> Result<(), (String, String)> {
    require("事项编码", &i.code, 64)?;
    if !i
        .code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(("事项编码".into(), "只能包含字母、数字、- 和 _".into()));
    }
    require("事项名称", &i.name, 200)?;
    require("抽查主体", &i.checking_body, 200)?;
    require("抽查依据", &i.legal_basis, 500)?;
    require("执法类别", &i.category, 64)?;
    if !categories.contains(&i.category) {
        return Err((
            "执法类别".into(),
            format!("未知的执法类别“{}”（不在执法类别目录中）", i.category),
        ));
    }
    if let Some(a) = i.target_areas.iter().find(|a| !is_division_code(a)) {
        return Err((
            "对象区域".into(),
            format!("应为 6 位行政区划代码，实际为“{a}”"),
        ));
    }
    require("抽查内容", &i.content, 1000)?;
    if i.ratio_bp == 0 || i.ratio_bp > FULL_RATIO_BP {
        return Err((
            "抽查比例".into(),
            format!(
                "R-PRE-3: 抽查比例应大于 0 且不超过 100%，实际为 {}",
                i.ratio_text()
            ),
        ));
    }
    require("抽查方式", &i.method, 100)?;
    require("抽查频次", &i.frequency, 100)?;
    Ok(())
}

/// Records parsed from a file, and the rows that were refused.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// Targets (targets files).
    pub targets: Vec<Target>,
    /// Officers (officer files).
    pub officers: Vec<Officer>,
    /// Items (item list files).
    pub items: Vec<SpotCheckItem>,
    /// Refused rows.
    pub errors: Vec<RowError>,
}

/// What the directory already holds that rows are checked against.
#[derive(Debug, Clone, Default)]
pub struct Existing {
    /// Known categories.
    pub categories: HashSet<String>,
    /// Certificate number → officer id, of officers already in the directory.
    pub certificates: HashMap<String, String>,
}

/// Parses and checks every row of a table (no storage access); `progress` ticks
/// once per row.
pub fn parse_table(
    kind: ListKind,
    table: &Table,
    agency_id: &str,
    existing: &Existing,
    progress: &ProgressBar,
) -> Result<Parsed, ImportError> {
    let cols = map_headers(kind, &table.headers)?;
    let mut out = Parsed::default();
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut certs: HashMap<String, usize> = HashMap::new();
    for (row_no, cells) in &table.rows {
        progress.inc(1);
        let get = |c: &str| -> String {
            cols.get(c)
                .and_then(|&i| cells.get(i))
                .cloned()
                .unwrap_or_default()
        };
        let err = |column: &str, reason: String| RowError {
            row: *row_no,
            column: column.to_string(),
            reason,
        };
        let id_col = if kind == ListKind::Items {
            "事项编码"
        } else {
            "编号"
        };
        let id = get(id_col);
        if let Some(first) = ids.get(&id).filter(|_| !id.is_empty()) {
            out.errors
                .push(err(id_col, format!("“{id}”与第 {first} 行重复")));
            continue;
        }
        let result: Result<(), (String, String)> = (|| {
            match kind {
                ListKind::Targets => {
                    let kind_text = get("类型");
                    let tk = parse_kind(&kind_text).ok_or_else(|| {
                        (
                            "类型".to_string(),
                            format!("“{kind_text}”不是 单位、个体工商户 或 自然人"),
                        )
                    })?;
                    let code = get("统一社会信用代码");
                    let credit_code = match (tk, code.is_empty()) {
                        (_, true) => None,
                        (TargetKind::NaturalPerson, false) => {
                            return Err((
                                "统一社会信用代码".into(),
                                "自然人不应填写统一社会信用代码".into(),
                            ));
                        }
                        (_, false) => Some(
                            CreditCode::parse(&code)
                                .map_err(|e| ("统一社会信用代码".to_string(), e.reason))?,
                        ),
                    };
                    let num = |c: &str| -> Result<Option<f64>, (String, String)> {
                        let v = get(c);
                        if v.is_empty() {
                            return Ok(None);
                        }
                        v.parse::<f64>()
                            .map(Some)
                            .map_err(|_| (c.to_string(), format!("“{v}”不是数字")))
                    };
                    let location = match (num("纬度")?, num("经度")?) {
                        (Some(lat), Some(lon)) => Some(GeoPoint { lat, lon }),
                        (None, None) => None,
                        _ => {
                            return Err(("经度".into(), "纬度和经度应同时填写或同时留空".into()));
                        }
                    };
                    let t = Target {
                        id: id.clone(),
                        agency_id: agency_id.to_string(),
                        name: get("名称"),
                        kind: tk,
                        credit_code,
                        address: get("地址"),
                        category: get("执法类别"),
                        area: get("所在区域"),
                        location,
                    };
                    check_target(&t, &existing.categories)?;
                    out.targets.push(t);
                }
                ListKind::Officers => {
                    let date = |c: &str| -> Result<NaiveDate, (String, String)> {
                        let v = get(c);
                        parse_date(&v).ok_or_else(|| {
                            (c.to_string(), format!("“{v}”不是日期（例如 2026-01-31）"))
                        })
                    };
                    let status_text = get("证件状态");
                    let status = parse_status(&status_text).ok_or_else(|| {
                        (
                            "证件状态".to_string(),
                            format!("“{status_text}”不是 有效、暂扣 或 注销"),
                        )
                    })?;
                    let o = Officer {
                        id: id.clone(),
                        agency_id: agency_id.to_string(),
                        name: get("姓名"),
                        unit: get("单位"),
                        post: get("职务"),
                        certificate_no: get("执法证件编号"),
                        categories: split_list(&get("执法类别")),
                        areas: split_list(&get("执法区域")),
                        valid_from: date("有效期起")?,
                        valid_until: date("有效期止")?,
                        status,
                    };
                    check_officer(&o, &existing.categories)?;
                    if let Some(first) = certs.get(&o.certificate_no) {
                        return Err((
                            "执法证件编号".into(),
                            format!("“{}”与第 {first} 行重复", o.certificate_no),
                        ));
                    }
                    if let Some(other) = existing
                        .certificates
                        .get(&o.certificate_no)
                        .filter(|other| **other != o.id)
                    {
                        return Err((
                            "执法证件编号".into(),
                            format!("“{}”已属于名录库中的执法人员 {other}", o.certificate_no),
                        ));
                    }
                    certs.insert(o.certificate_no.clone(), *row_no);
                    out.officers.push(o);
                }
                ListKind::Items => {
                    let kinds = split_list(&get("对象类型"))
                        .iter()
                        .map(|k| {
                            parse_kind(k).ok_or_else(|| {
                                (
                                    "对象类型".to_string(),
                                    format!("“{k}”不是 单位、个体工商户 或 自然人"),
                                )
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    let ratio_bp =
                        parse_ratio(&get("抽查比例")).map_err(|r| ("抽查比例".to_string(), r))?;
                    let item = SpotCheckItem {
                        code: id.clone(),
                        name: get("事项名称"),
                        checking_body: get("抽查主体"),
                        legal_basis: get("抽查依据"),
                        category: get("执法类别"),
                        target_kinds: kinds,
                        target_areas: split_list(&get("对象区域")),
                        content: get("抽查内容"),
                        ratio_bp,
                        method: get("抽查方式"),
                        frequency: get("抽查频次"),
                    };
                    check_item(&item, &existing.categories)?;
                    out.items.push(item);
                }
            }
            Ok(())
        })();
        match result {
            Ok(()) => {
                ids.insert(id, *row_no);
            }
            Err((column, reason)) => out.errors.push(err(&column, reason)),
        }
    }
    Ok(out)
}

/// What an import stored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ImportReport {
    /// Data rows in the file.
    pub rows: usize,
    /// Records stored.
    pub imported: usize,
    /// Rows refused (only non-empty with skipping).
    pub errors: Vec<RowError>,
    /// Encoding note (GBK detected).
    pub encoding_note: Option<String>,
}

/// Imports a parsed table into an agency's directory or item list: all rows or
/// nothing, unless `skip_bad_rows`.
pub async fn import_table(
    state: &AppState,
    agency_id: &str,
    kind: ListKind,
    table: &Table,
    skip_bad_rows: bool,
    progress: &ProgressBar,
) -> Result<ImportReport, ImportError> {
    let (roster, _) = state
        .storage
        .roster_for(agency_id, Some(""))
        .await?
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "执法主体 {agency_id}（请先用 load-roster 导入该机关的名单）"
            ))
        })?;
    let existing = Existing {
        categories: known_categories(state, agency_id).await?,
        certificates: roster
            .officers
            .iter()
            .map(|o| (o.certificate_no.clone(), o.id.clone()))
            .collect(),
    };
    progress.set_length(table.rows.len() as u64);
    let parsed = parse_table(kind, table, agency_id, &existing, progress)?;
    if !parsed.errors.is_empty() && !skip_bad_rows {
        return Err(ImportError::BadRows(parsed.errors));
    }
    let imported = match kind {
        ListKind::Targets => {
            state
                .storage
                .upsert_directory(agency_id, &[], &parsed.targets)
                .await?;
            parsed.targets.len()
        }
        ListKind::Officers => {
            state
                .storage
                .upsert_directory(agency_id, &parsed.officers, &[])
                .await?;
            parsed.officers.len()
        }
        ListKind::Items => {
            state
                .storage
                .upsert_check_items(agency_id, &parsed.items)
                .await?;
            parsed.items.len()
        }
    };
    tracing::info!(
        agency = agency_id,
        list = kind.label(),
        imported,
        skipped = parsed.errors.len(),
        "list imported"
    );
    Ok(ImportReport {
        rows: table.rows.len(),
        imported,
        errors: parsed.errors,
        encoding_note: table.encoding_note.clone(),
    })
}

/// Reads and imports a file (see [`import_table`]).
pub async fn import_file(
    state: &AppState,
    agency_id: &str,
    kind: ListKind,
    path: &Path,
    skip_bad_rows: bool,
    progress: &ProgressBar,
) -> Result<ImportReport, ImportError> {
    let p = path.to_path_buf();
    let table = tokio::task::spawn_blocking(move || read_file(&p))
        .await
        .map_err(|e| AppError::internal(e.to_string()))??;
    import_table(state, agency_id, kind, &table, skip_bad_rows, progress).await
}
