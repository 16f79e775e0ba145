//! Chinese working-day calendar (工作日历).
//!
//! Legal deadlines in liuhen are counted in Chinese working days: publication
//! within 7 / 20 working days (R-POST-1), legal review within 5 working days
//! plus a 3-day extension (R-LEGAL-5). Working days follow the State Council's
//! yearly holiday arrangement (国务院办公厅关于部分节假日安排的通知), including
//! make-up workdays (调休上班) that fall on a Saturday or Sunday.
//!
//! The arrangement for each year is vendored under `domain/data/holidays/` in
//! the JSON shape of the holiday-cn project and validated when loaded. A
//! calculation that touches a date in a year without data fails with
//! [`CalendarError::NoDataForYear`]; the calendar never guesses.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;

/// Lowest year accepted in holiday data.
const MIN_YEAR: i64 = 2000;
/// Highest year accepted in holiday data.
const MAX_YEAR: i64 = 2100;

/// The vendored holiday files compiled into the binary: (source name, JSON).
const BUILTIN_YEARS: &[(&str, &str)] = &[
    (
        "data/holidays/2024.json",
        include_str!("../data/holidays/2024.json"),
    ),
    (
        "data/holidays/2025.json",
        include_str!("../data/holidays/2025.json"),
    ),
    (
        "data/holidays/2026.json",
        include_str!("../data/holidays/2026.json"),
    ),
];

/// What kind of day a date is under the holiday arrangement of its year.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DayKind {
    /// An ordinary Monday to Friday: a working day.
    Workday,
    /// An ordinary Saturday or Sunday: not a working day.
    Weekend,
    /// A day inside a holiday period (weekend days inside it included): not a working day.
    Holiday {
        /// Name of the holiday, e.g. `春节`.
        name: String,
    },
    /// A Saturday or Sunday made a working day (调休上班) to compensate a holiday.
    MakeUpWorkday {
        /// Name of the holiday the make-up day belongs to, e.g. `春节`.
        name: String,
    },
}

impl DayKind {
    /// Whether a day of this kind is a working day.
    pub fn is_working_day(&self) -> bool {
        matches!(self, DayKind::Workday | DayKind::MakeUpWorkday { .. })
    }
}

/// Errors of the working-day calendar. Messages are shown to officers and staff.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CalendarError {
    /// A calculation touched a date in a year whose holiday arrangement is not loaded.
    #[error(
        "R-POST-1/R-LEGAL-5: 缺少 {year} 年的法定节假日安排数据，无法计算工作日期限；请导入该年度国务院办公厅节假日安排通知数据"
    )]
    NoDataForYear {
        /// The year without data.
        year: i32,
    },
    /// Holiday data failed validation while being loaded.
    #[error("节假日数据 {source_name} 无效：{reason}")]
    InvalidData {
        /// Name of the data source (file name or description given by the caller).
        source_name: String,
        /// What is wrong, naming the offending field or date.
        reason: String,
    },
    /// A date calculation left the range of representable dates.
    #[error("R-POST-1/R-LEGAL-5: 从 {date} 起的日期计算超出可表示的日期范围")]
    OutOfRange {
        /// The last date reached before the calculation overflowed.
        date: NaiveDate,
    },
}

impl CalendarError {
    /// The year whose holiday arrangement is missing, if that is the error
    /// (pages show 「待导入 N 年节假日安排」 instead of the message).
    pub fn missing_year(&self) -> Option<i32> {
        match self {
            CalendarError::NoDataForYear { year } => Some(*year),
            _ => None,
        }
    }
}

/// Validated holiday arrangement of one year.
#[derive(Debug, Clone, PartialEq, Eq)]
struct YearData {
    /// URLs of the notices the data comes from.
    papers: Vec<String>,
    /// Listed days: holiday-period days (off) and make-up workdays (on).
    days: BTreeMap<NaiveDate, ListedDay>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ListedDay {
    name: String,
    is_off_day: bool,
}

/// The file shape of holiday-cn (`$schema` and `$id` are accepted and ignored).
#[derive(Deserialize)]
struct RawYear {
    year: i64,
    papers: Vec<String>,
    days: Vec<RawDay>,
}

#[derive(Deserialize)]
struct RawDay {
    name: String,
    date: String,
    #[serde(rename = "isOffDay")]
    is_off_day: bool,
}

/// Chinese working-day calendar holding validated holiday data per year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    years: BTreeMap<i32, YearData>,
}

impl WorkCalendar {
    /// A calendar without any year loaded; every date query fails with `NoDataForYear`.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The calendar with the vendored years (2024–2026), validated at load.
    pub fn builtin() -> Result<Self, CalendarError> {
        let mut calendar = Self::empty();
        for (source_name, json) in BUILTIN_YEARS {
            calendar.load_year_json(json, source_name)?;
        }
        Ok(calendar)
    }

    /// Validates a holiday-cn shaped JSON file and adds its year, replacing the
    /// year if already loaded. Returns the year. On error the calendar is unchanged.
    pub fn load_year_json(&mut self, json: &str, source_name: &str) -> Result<i32, CalendarError> {
        let (year, data) = parse_year(json).map_err(|reason| CalendarError::InvalidData {
            source_name: source_name.to_string(),
            reason,
        })?;
        self.years.insert(year, data);
        Ok(year)
    }

    /// The loaded years, ascending.
    pub fn years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    /// URLs of the State Council notices a loaded year's data comes from.
    pub fn papers(&self, year: i32) -> Result<&[String], CalendarError> {
        Ok(&self.year_data(year)?.papers)
    }

    /// The kind of `date` under its year's holiday arrangement.
    pub fn day_kind(&self, date: NaiveDate) -> Result<DayKind, CalendarError> {
        let data = self.year_data(date.year())?;
        Ok(match data.days.get(&date) {
            Some(day) if day.is_off_day => DayKind::Holiday {
                name: day.name.clone(),
            },
            Some(day) => DayKind::MakeUpWorkday {
                name: day.name.clone(),
            },
            None if is_weekend(date) => DayKind::Weekend,
            None => DayKind::Workday,
        })
    }

    /// Whether `date` is a working day (an ordinary weekday or a make-up workday).
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        let data = self.year_data(date.year())?;
        Ok(match data.days.get(&date) {
            Some(day) => !day.is_off_day,
            None => !is_weekend(date),
        })
    }

    /// The n-th working day strictly after `start` (start itself never counts); n = 0 returns start.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let mut date = start;
        let mut remaining = n;
        while remaining > 0 {
            date = date.succ_opt().ok_or(CalendarError::OutOfRange { date })?;
            if self.is_working_day(date)? {
                remaining -= 1;
            }
        }
        Ok(date)
    }

    /// Number of working days in the half-open interval (from, to]; 0 when to <= from.
    pub fn working_days_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<u32, CalendarError> {
        let mut count: u32 = 0;
        let mut date = from;
        while date < to {
            date = date.succ_opt().ok_or(CalendarError::OutOfRange { date })?;
            if self.is_working_day(date)? {
                count = count
                    .checked_add(1)
                    .ok_or(CalendarError::OutOfRange { date })?;
            }
        }
        Ok(count)
    }

    fn year_data(&self, year: i32) -> Result<&YearData, CalendarError> {
        self.years
            .get(&year)
            .ok_or(CalendarError::NoDataForYear { year })
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Parses a strict `YYYY-MM-DD` date (exactly four, two and two digits).
fn parse_iso_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Parses and validates one year's file; the error is the InvalidData reason.
fn parse_year(json: &str) -> Result<(i32, YearData), String> {
    let raw: RawYear =
        serde_json::from_str(json).map_err(|e| format!("JSON 格式不符合节假日数据结构（{e}）"))?;

    if !(MIN_YEAR..=MAX_YEAR).contains(&raw.year) {
        return Err(format!(
            "year 字段 {} 超出允许范围 {MIN_YEAR}–{MAX_YEAR}",
            raw.year
        ));
    }
    let year = i32::try_from(raw.year).map_err(|_| format!("year 字段 {} 无效", raw.year))?;

    if raw.papers.is_empty() {
        return Err("papers 字段为空，须列出国务院办公厅节假日安排通知的网址".to_string());
    }
    if let Some(i) = raw.papers.iter().position(|p| p.trim().is_empty()) {
        return Err(format!("papers[{i}] 为空字符串"));
    }

    let mut days = BTreeMap::new();
    for (i, day) in raw.days.into_iter().enumerate() {
        let date = parse_iso_date(&day.date)
            .ok_or_else(|| format!("days[{i}].date \"{}\" 不是有效的 YYYY-MM-DD 日期", day.date))?;
        if date.year() != year {
            return Err(format!("days[{i}].date {date} 不在数据年度 {year} 年内"));
        }
        if day.name.trim().is_empty() {
            return Err(format!("days[{i}]（{date}）的 name 字段为空"));
        }
        if !day.is_off_day && !is_weekend(date) {
            return Err(format!(
                "days[{i}]：调休上班日 {date} 是{}，调休上班日只能是周六或周日",
                weekday_zh(date.weekday())
            ));
        }
        if days.contains_key(&date) {
            return Err(format!("days[{i}]：日期 {date} 重复列出"));
        }
        days.insert(
            date,
            ListedDay {
                name: day.name,
                is_off_day: day.is_off_day,
            },
        );
    }

    Ok((
        year,
        YearData {
            papers: raw.papers,
            days,
        },
    ))
}

fn weekday_zh(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "周一",
        Weekday::Tue => "周二",
        Weekday::Wed => "周三",
        Weekday::Thu => "周四",
        Weekday::Fri => "周五",
        Weekday::Sat => "周六",
        Weekday::Sun => "周日",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn cal() -> WorkCalendar {
        WorkCalendar::builtin().expect("builtin holiday data is valid")
    }

    fn holiday(name: &str) -> DayKind {
        DayKind::Holiday {
            name: name.to_string(),
        }
    }

    fn make_up(name: &str) -> DayKind {
        DayKind::MakeUpWorkday {
            name: name.to_string(),
        }
    }

    /// Test fixture only (not real State Council data): a 2027 file with just 元旦.
    const FIXTURE_2027: &str = r#"{
        "$schema": "https://raw.githubusercontent.com/NateScarlet/holiday-cn/master/schema.json",
        "$id": "https://raw.githubusercontent.com/NateScarlet/holiday-cn/master/2027.json",
        "year": 2027,
        "papers": ["https://example.invalid/test-fixture-2027"],
        "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}]
    }"#;

    fn year_json(year: i32, papers: &str, days: &str) -> String {
        format!(r#"{{"year": {year}, "papers": {papers}, "days": [{days}]}}"#)
    }

    fn invalid_reason(json: &str) -> String {
        let mut calendar = WorkCalendar::empty();
        match calendar.load_year_json(json, "test.json") {
            Err(CalendarError::InvalidData {
                source_name,
                reason,
            }) => {
                assert_eq!(source_name, "test.json");
                assert!(
                    calendar.years().is_empty(),
                    "failed load must not add a year"
                );
                reason
            }
            other => panic!("expected InvalidData, got {other:?}"),
        }
    }

    #[test]
    fn builtin_years_and_papers() {
        let c = cal();
        assert_eq!(c.years(), vec![2024, 2025, 2026]);
        assert_eq!(
            c.papers(2024).unwrap(),
            ["https://www.gov.cn/zhengce/content/202310/content_6911527.htm"]
        );
        assert_eq!(
            c.papers(2025).unwrap(),
            ["https://www.gov.cn/zhengce/content/202411/content_6986382.htm"]
        );
        assert_eq!(
            c.papers(2026).unwrap(),
            ["https://www.gov.cn/zhengce/content/202511/content_7047090.htm"]
        );
        assert_eq!(
            c.papers(2027),
            Err(CalendarError::NoDataForYear { year: 2027 })
        );
    }

    /// The make-up workdays of each year, as written in the notices.
    #[test]
    fn builtin_make_up_workdays_match_notices() {
        let c = cal();
        let expected = [
            (
                2024,
                vec![
                    d(2024, 2, 4),
                    d(2024, 2, 18),
                    d(2024, 4, 7),
                    d(2024, 4, 28),
                    d(2024, 5, 11),
                    d(2024, 9, 14),
                    d(2024, 9, 29),
                    d(2024, 10, 12),
                ],
            ),
            (
                2025,
                vec![
                    d(2025, 1, 26),
                    d(2025, 2, 8),
                    d(2025, 4, 27),
                    d(2025, 9, 28),
                    d(2025, 10, 11),
                ],
            ),
            (
                2026,
                vec![
                    d(2026, 1, 4),
                    d(2026, 2, 14),
                    d(2026, 2, 28),
                    d(2026, 5, 9),
                    d(2026, 9, 20),
                    d(2026, 10, 10),
                ],
            ),
        ];
        for (year, dates) in expected {
            let listed: Vec<NaiveDate> = c.years[&year]
                .days
                .iter()
                .filter(|(_, day)| !day.is_off_day)
                .map(|(date, _)| *date)
                .collect();
            assert_eq!(listed, dates, "make-up workdays of {year}");
        }
    }

    /// Number of off days per holiday period, as written in the notices.
    #[test]
    fn builtin_holiday_period_lengths() {
        let c = cal();
        let count = |year: i32, name: &str| {
            c.years[&year]
                .days
                .values()
                .filter(|day| day.is_off_day && day.name == name)
                .count()
        };
        // 2024: 元旦 only 1/1 in this year; 端午 6/8–6/10 (与周末连休).
        assert_eq!(count(2024, "元旦"), 1);
        assert_eq!(count(2024, "春节"), 8);
        assert_eq!(count(2024, "清明节"), 3);
        assert_eq!(count(2024, "劳动节"), 5);
        assert_eq!(count(2024, "端午节"), 3);
        assert_eq!(count(2024, "中秋节"), 3);
        assert_eq!(count(2024, "国庆节"), 7);
        assert_eq!(count(2025, "元旦"), 1);
        assert_eq!(count(2025, "春节"), 8);
        assert_eq!(count(2025, "清明节"), 3);
        assert_eq!(count(2025, "劳动节"), 5);
        assert_eq!(count(2025, "端午节"), 3);
        assert_eq!(count(2025, "国庆节、中秋节"), 8);
        assert_eq!(count(2026, "元旦"), 3);
        assert_eq!(count(2026, "春节"), 9);
        assert_eq!(count(2026, "清明节"), 3);
        assert_eq!(count(2026, "劳动节"), 5);
        assert_eq!(count(2026, "端午节"), 3);
        assert_eq!(count(2026, "中秋节"), 3);
        assert_eq!(count(2026, "国庆节"), 7);
    }

    #[test]
    fn day_kinds_against_the_notices() {
        let c = cal();
        // 2026-02-14 (Sat): make-up workday for 春节.
        assert_eq!(d(2026, 2, 14).weekday(), Weekday::Sat);
        assert_eq!(c.day_kind(d(2026, 2, 14)).unwrap(), make_up("春节"));
        assert!(c.is_working_day(d(2026, 2, 14)).unwrap());
        // 2026-02-16 (Mon): inside 春节.
        assert_eq!(c.day_kind(d(2026, 2, 16)).unwrap(), holiday("春节"));
        assert!(!c.is_working_day(d(2026, 2, 16)).unwrap());
        // 2025-10-08 (Wed): last day of the merged 国庆节、中秋节 period.
        assert_eq!(
            c.day_kind(d(2025, 10, 8)).unwrap(),
            holiday("国庆节、中秋节")
        );
        assert!(!c.is_working_day(d(2025, 10, 8)).unwrap());
        // 2025-10-11 (Sat): make-up workday.
        assert_eq!(d(2025, 10, 11).weekday(), Weekday::Sat);
        assert!(c.is_working_day(d(2025, 10, 11)).unwrap());
        assert_eq!(
            c.day_kind(d(2025, 10, 11)).unwrap(),
            make_up("国庆节、中秋节")
        );
        // 2025-03-15: an ordinary Saturday; 2025-03-12: an ordinary Wednesday.
        assert_eq!(c.day_kind(d(2025, 3, 15)).unwrap(), DayKind::Weekend);
        assert!(!c.is_working_day(d(2025, 3, 15)).unwrap());
        assert_eq!(c.day_kind(d(2025, 3, 12)).unwrap(), DayKind::Workday);
        assert!(c.is_working_day(d(2025, 3, 12)).unwrap());
        // 2025 added 除夕 (1/28) and 5/2 as statutory days.
        assert_eq!(c.day_kind(d(2025, 1, 28)).unwrap(), holiday("春节"));
        assert_eq!(c.day_kind(d(2025, 5, 2)).unwrap(), holiday("劳动节"));
        // 2024-02-09 (除夕, Fri) was not a holiday in 2024: an ordinary working day.
        assert_eq!(c.day_kind(d(2024, 2, 9)).unwrap(), DayKind::Workday);
        // 2026-01-04 (Sun): make-up workday after 元旦.
        assert_eq!(c.day_kind(d(2026, 1, 4)).unwrap(), make_up("元旦"));
        // Weekend inside a holiday period is reported as Holiday.
        assert_eq!(c.day_kind(d(2026, 10, 3)).unwrap(), holiday("国庆节"));
        assert!(DayKind::Workday.is_working_day());
        assert!(make_up("春节").is_working_day());
        assert!(!DayKind::Weekend.is_working_day());
        assert!(!holiday("春节").is_working_day());
    }

    #[test]
    fn add_working_days_over_2025_national_day() {
        let c = cal();
        // 2025-09-30 (Tue); 10/1–10/8 off, so the next working day is 10/9 (Thu).
        assert_eq!(
            c.add_working_days(d(2025, 9, 30), 1).unwrap(),
            d(2025, 10, 9)
        );
        // 10/9 Thu (1), 10/10 Fri (2), 10/11 Sat make-up (3).
        assert_eq!(
            c.add_working_days(d(2025, 9, 30), 3).unwrap(),
            d(2025, 10, 11)
        );
        // 2025-09-26 (Fri): 9/28 Sun make-up (1), 9/29 Mon (2), 9/30 Tue (3), then 10/9 (4).
        assert_eq!(
            c.add_working_days(d(2025, 9, 26), 4).unwrap(),
            d(2025, 10, 9)
        );
        assert_eq!(
            c.working_days_between(d(2025, 9, 30), d(2025, 10, 9))
                .unwrap(),
            1
        );
        assert_eq!(
            c.working_days_between(d(2025, 9, 30), d(2025, 10, 8))
                .unwrap(),
            0
        );
    }

    /// R-POST-1: 7 and 20 working days from 2026-02-11 (Wed), across 春节 2026.
    ///
    /// Counted by hand from the notice (春节 2/15–2/23 off; 2/14 Sat and 2/28 Sat work):
    /// 2/12 Thu (1), 2/13 Fri (2), 2/14 Sat make-up (3), 2/15–2/23 holiday,
    /// 2/24 Tue (4), 2/25 Wed (5), 2/26 Thu (6), 2/27 Fri (7) => 2026-02-27.
    /// Continuing: 2/28 Sat make-up (8), 3/2–3/6 (9–13), 3/9–3/13 (14–18),
    /// 3/16 Mon (19), 3/17 Tue (20) => 2026-03-17.
    #[test]
    fn deadline_across_2026_spring_festival() {
        let c = cal();
        let start = d(2026, 2, 11);
        assert_eq!(c.add_working_days(start, 7).unwrap(), d(2026, 2, 27));
        assert_eq!(c.add_working_days(start, 20).unwrap(), d(2026, 3, 17));
        // A count that ignored the make-up day 2/14 would give 2026-03-02 for 7 days.
        assert_eq!(c.working_days_between(start, d(2026, 2, 27)).unwrap(), 7);
        assert_eq!(c.working_days_between(start, d(2026, 3, 17)).unwrap(), 20);
        // R-LEGAL-5: 5 working days, then 3 more working days of extension.
        let review = c.add_working_days(start, 5).unwrap();
        assert_eq!(review, d(2026, 2, 25));
        assert_eq!(
            c.add_working_days(review, 3).unwrap(),
            c.add_working_days(start, 8).unwrap()
        );
    }

    #[test]
    fn zero_and_reversed_intervals() {
        let c = cal();
        let start = d(2026, 2, 15); // a holiday: n = 0 still returns start
        assert_eq!(c.add_working_days(start, 0).unwrap(), start);
        assert_eq!(c.working_days_between(start, start).unwrap(), 0);
        assert_eq!(
            c.working_days_between(d(2026, 3, 1), d(2026, 2, 1))
                .unwrap(),
            0
        );
        // Start on a holiday: the first working day after 2/15 is 2/24.
        assert_eq!(c.add_working_days(start, 1).unwrap(), d(2026, 2, 24));
    }

    #[test]
    fn crossing_years_with_data() {
        let c = cal();
        // 2024-12-31 (Tue) -> 2025-01-01 holiday -> 2025-01-02 (Thu).
        assert_eq!(
            c.add_working_days(d(2024, 12, 31), 1).unwrap(),
            d(2025, 1, 2)
        );
        // 2025-12-31 (Wed) -> 2026-01-01..03 off -> 1/4 Sun make-up.
        assert_eq!(
            c.add_working_days(d(2025, 12, 31), 1).unwrap(),
            d(2026, 1, 4)
        );
        assert!(
            c.working_days_between(d(2024, 12, 30), d(2026, 1, 5))
                .unwrap()
                > 240
        );
    }

    fn no_data<T>(year: i32) -> Result<T, CalendarError> {
        Err(CalendarError::NoDataForYear { year })
    }

    #[test]
    fn no_data_for_2023_and_2027() {
        let c = cal();
        assert_eq!(c.day_kind(d(2023, 6, 1)), no_data(2023));
        assert_eq!(c.is_working_day(d(2023, 12, 29)), no_data(2023));
        assert_eq!(c.papers(2023), no_data(2023));
        assert_eq!(c.day_kind(d(2027, 1, 4)), no_data(2027));
        // Counting forward out of 2023 hits 2023 before reaching 2024 data.
        assert_eq!(c.add_working_days(d(2023, 12, 20), 1), no_data(2023));
        assert_eq!(
            c.working_days_between(d(2023, 12, 30), d(2024, 1, 10)),
            no_data(2023)
        );
        // 20 working days from 2026-12-20 (Sun): only 9 working days remain in
        // December (12/21–25, 12/28–31), so the count reaches into 2027.
        assert_eq!(
            c.add_working_days(d(2026, 12, 20), 9).unwrap(),
            d(2026, 12, 31)
        );
        assert_eq!(c.add_working_days(d(2026, 12, 20), 20), no_data(2027));
        assert_eq!(
            c.working_days_between(d(2026, 12, 20), d(2027, 1, 18)),
            no_data(2027)
        );
        assert_eq!(
            WorkCalendar::empty().is_working_day(d(2025, 1, 2)),
            no_data(2025)
        );
    }

    #[test]
    fn loading_2027_at_run_time() {
        let mut c = cal();
        assert!(c.add_working_days(d(2026, 12, 20), 20).is_err());
        assert_eq!(c.load_year_json(FIXTURE_2027, "2027.json").unwrap(), 2027);
        assert_eq!(c.years(), vec![2024, 2025, 2026, 2027]);
        // 9 working days in December 2026, 1/1 (Fri) holiday in the fixture,
        // 1/4–1/8 (10–14), 1/11–1/15 (15–19), 1/18 Mon (20).
        assert_eq!(
            c.add_working_days(d(2026, 12, 20), 20).unwrap(),
            d(2027, 1, 18)
        );
        assert_eq!(
            c.working_days_between(d(2026, 12, 20), d(2027, 1, 18))
                .unwrap(),
            20
        );
        assert_eq!(c.day_kind(d(2027, 1, 1)).unwrap(), holiday("元旦"));
        // Loading the same year again replaces it.
        let replacement = year_json(2027, r#"["https://example.invalid/other"]"#, "");
        assert_eq!(
            c.load_year_json(&replacement, "2027-v2.json").unwrap(),
            2027
        );
        assert_eq!(c.day_kind(d(2027, 1, 1)).unwrap(), DayKind::Workday);
        assert_eq!(c.papers(2027).unwrap(), ["https://example.invalid/other"]);
    }

    #[test]
    fn validation_bad_date() {
        let papers = r#"["https://example.invalid/p"]"#;
        for bad in [
            "2025-13-01",
            "2025-02-30",
            "2025-1-1",
            "2025/01/01",
            "20250101",
            "",
        ] {
            let json = year_json(
                2025,
                papers,
                &format!(r#"{{"name":"元旦","date":"{bad}","isOffDay":true}}"#),
            );
            let reason = invalid_reason(&json);
            assert!(reason.contains("days[0].date"), "{reason}");
            assert!(reason.contains(&format!("\"{bad}\"")), "{reason}");
            assert!(reason.contains("YYYY-MM-DD"), "{reason}");
        }
    }

    #[test]
    fn validation_date_outside_year() {
        let json = year_json(
            2025,
            r#"["https://example.invalid/p"]"#,
            r#"{"name":"元旦","date":"2025-01-01","isOffDay":true},{"name":"元旦","date":"2024-12-31","isOffDay":true}"#,
        );
        let reason = invalid_reason(&json);
        assert!(reason.contains("days[1].date 2024-12-31"), "{reason}");
        assert!(reason.contains("2025"), "{reason}");
    }

    #[test]
    fn validation_duplicate_date() {
        let json = year_json(
            2025,
            r#"["https://example.invalid/p"]"#,
            r#"{"name":"元旦","date":"2025-01-01","isOffDay":true},{"name":"元旦","date":"2025-01-01","isOffDay":true}"#,
        );
        let reason = invalid_reason(&json);
        assert!(reason.contains("2025-01-01"), "{reason}");
        assert!(reason.contains("重复"), "{reason}");
    }

    #[test]
    fn validation_make_up_workday_on_wednesday() {
        // 2025-10-15 is a Wednesday.
        let json = year_json(
            2025,
            r#"["https://example.invalid/p"]"#,
            r#"{"name":"国庆节","date":"2025-10-15","isOffDay":false}"#,
        );
        let reason = invalid_reason(&json);
        assert!(reason.contains("2025-10-15"), "{reason}");
        assert!(reason.contains("周三"), "{reason}");
        assert!(reason.contains("调休上班日"), "{reason}");
    }

    #[test]
    fn validation_papers_and_name_and_year() {
        let day = r#"{"name":"元旦","date":"2025-01-01","isOffDay":true}"#;
        let reason = invalid_reason(&year_json(2025, "[]", day));
        assert!(reason.contains("papers"), "{reason}");
        let reason = invalid_reason(&year_json(2025, r#"["  "]"#, day));
        assert!(reason.contains("papers[0]"), "{reason}");
        let reason = invalid_reason(&year_json(
            2025,
            r#"["https://example.invalid/p"]"#,
            r#"{"name":" ","date":"2025-01-01","isOffDay":true}"#,
        ));
        assert!(
            reason.contains("name") && reason.contains("2025-01-01"),
            "{reason}"
        );
        for year in [1999_i64, 2101, -5, 99_999_999_999] {
            let json = format!(r#"{{"year": {year}, "papers": ["p"], "days": []}}"#);
            let reason = invalid_reason(&json);
            assert!(
                reason.contains("year") && reason.contains(&year.to_string()),
                "{reason}"
            );
        }
    }

    #[test]
    fn validation_malformed_json() {
        for bad in [
            "{",
            "not json",
            r#"{"year": 2025, "papers": ["p"]}"#,
            r#"{"year": "2025", "papers": ["p"], "days": []}"#,
            r#"{"year": 2025, "papers": ["p"], "days": [{"name":"元旦","date":"2025-01-01","isOffDay":"yes"}]}"#,
            r#"{"year": 2025, "papers": ["p"], "days": [{"name":"元旦","date":"2025-01-01","is_off_day":true}]}"#,
        ] {
            let reason = invalid_reason(bad);
            assert!(reason.starts_with("JSON 格式"), "{reason}");
        }
    }

    #[test]
    fn failed_load_keeps_existing_year() {
        let mut c = cal();
        let before = c.clone();
        let err = c.load_year_json(
            r#"{"year": 2026, "papers": [], "days": []}"#,
            "bad-2026.json",
        );
        assert!(matches!(err, Err(CalendarError::InvalidData { .. })));
        assert_eq!(c, before);
    }

    #[test]
    fn messages_are_chinese_and_cite_rules() {
        let msg = CalendarError::NoDataForYear { year: 2027 }.to_string();
        assert!(msg.contains("R-POST-1"), "{msg}");
        assert!(msg.contains("R-LEGAL-5"), "{msg}");
        assert!(msg.contains("缺少 2027 年的法定节假日安排数据"), "{msg}");
        assert!(msg.contains("国务院办公厅节假日安排通知"), "{msg}");
        let msg = CalendarError::InvalidData {
            source_name: "2027.json".into(),
            reason: "papers 字段为空".into(),
        }
        .to_string();
        assert_eq!(msg, "节假日数据 2027.json 无效：papers 字段为空");
        let msg = CalendarError::OutOfRange {
            date: NaiveDate::MAX,
        }
        .to_string();
        assert!(msg.contains("超出"), "{msg}");
    }

    #[test]
    fn out_of_range_at_the_end_of_time() {
        // Only reachable with a calendar that claims data for the last representable
        // year, which validation forbids; exercise the overflow path directly.
        let mut c = WorkCalendar::empty();
        c.years.insert(
            NaiveDate::MAX.year(),
            YearData {
                papers: vec!["p".into()],
                days: BTreeMap::new(),
            },
        );
        assert_eq!(
            c.add_working_days(NaiveDate::MAX, 1),
            Err(CalendarError::OutOfRange {
                date: NaiveDate::MAX
            })
        );
    }

    const FIRST_DAY: NaiveDate = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    const LAST_START: NaiveDate = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();

    proptest! {
        #[test]
        fn add_then_count_is_identity(offset in 0..=(LAST_START - FIRST_DAY).num_days(), n in 0u32..=30) {
            let c = cal();
            let start = FIRST_DAY + chrono::Duration::days(offset);
            match c.add_working_days(start, n) {
                Ok(end) => {
                    prop_assert!(end >= start);
                    prop_assert_eq!(c.working_days_between(start, end).unwrap(), n);
                    if n > 0 {
                        prop_assert!(end > start);
                        prop_assert!(c.is_working_day(end).unwrap());
                        // The day before the result adds nothing beyond n - 1.
                        prop_assert_eq!(c.working_days_between(start, end.pred_opt().unwrap()).unwrap(), n - 1);
                    } else {
                        prop_assert_eq!(end, start);
                    }
                }
                // Only a late-2026 start may run past the loaded data.
                Err(CalendarError::NoDataForYear { year }) => {
                    prop_assert_eq!(year, 2027);
                    prop_assert!(start >= NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
                }
                Err(other) => prop_assert!(false, "unexpected error {other:?}"),
            }
        }
    }
}
