//! Time helpers: the clock the core reads, and Beijing time (China Standard Time).
//!
//! This module is the one place Beijing time is computed (issue 17): every date,
//! day boundary and time text an officer, supervisor or citizen reads goes through
//! it. China has one time zone and no daylight saving time since 1991, so Beijing
//! time (Asia/Shanghai) is exactly UTC+8 for every instant this system records; a
//! property test checks the helpers against chrono-tz's Asia/Shanghai.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};

/// Source of the current time; tests and scripted demos use a fixed clock.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that always answers the same instant (tests, scripted runs).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// Beijing time's offset from UTC, in seconds (UTC+8).
pub const BEIJING_OFFSET_SECS: i32 = 8 * 3600;

/// Beijing time as a chrono offset (UTC+8).
pub const BEIJING: FixedOffset = match FixedOffset::east_opt(BEIJING_OFFSET_SECS) {
    Some(o) => o,
    None => panic!("UTC+8 is a valid offset"),
};

/// An instant in Beijing time (for its date, hour, minute).
pub fn beijing(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&BEIJING)
}

/// The calendar date in China (Asia/Shanghai) of an instant: certificates and
/// deadlines are counted in local dates.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    beijing(t).date_naive()
}

/// An instant as officers read it: `2026年11月20日 09时05分` in China time.
pub fn local_text(t: DateTime<Utc>) -> String {
    beijing(t).format("%Y年%m月%d日 %H时%M分").to_string()
}

/// An instant as the pages show it: `2026-11-20 09:05` in Beijing time.
pub fn beijing_text(t: DateTime<Utc>) -> String {
    beijing(t).format("%Y-%m-%d %H:%M").to_string()
}

/// An instant with seconds: `2026-11-20 09:05:00` in Beijing time (evidence and
/// access log views).
pub fn beijing_seconds_text(t: DateTime<Utc>) -> String {
    beijing(t).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The instant a clock in Beijing shows `time` on `date`.
pub fn beijing_instant(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    (date.and_time(time) - chrono::Duration::seconds(i64::from(BEIJING_OFFSET_SECS))).and_utc()
}

/// The instant a Beijing calendar day begins (00:00 Beijing time).
pub fn beijing_day_start(date: NaiveDate) -> DateTime<Utc> {
    beijing_instant(date, NaiveTime::MIN)
}

/// China time to the second, e.g. `2026年11月20日 09时05分30秒` (fix times).
pub fn local_text_seconds(t: DateTime<Utc>) -> String {
    beijing(t).format("%Y年%m月%d日 %H时%M分%S秒").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn local_date_uses_china_time() {
        // 2026-11-19 17:30 UTC is already 11-20 01:30 in Beijing.
        let t = Utc.with_ymd_and_hms(2026, 11, 19, 17, 30, 0).unwrap();
        assert_eq!(
            local_date(t),
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
        );
        assert_eq!(local_text(t), "2026年11月20日 01时30分");
        assert_eq!(beijing_text(t), "2026-11-20 01:30");
        assert_eq!(beijing_seconds_text(t), "2026-11-20 01:30:00");
        let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        assert_eq!(
            beijing_day_start(day),
            Utc.with_ymd_and_hms(2026, 11, 19, 16, 0, 0).unwrap()
        );
    }

    mod against_chrono_tz {
        use super::*;
        use chrono::{Datelike, Timelike};
        use chrono_tz::Asia::Shanghai;
        use proptest::prelude::*;

        /// 1992-01-01 (after China's last daylight saving time, 1986–1991) to
        /// 2200-01-01, in seconds since the epoch.
        const FROM: i64 = 694_224_000;
        const TO: i64 = 7_258_118_400;

        proptest! {
            #[test]
            fn the_helpers_agree_with_asia_shanghai(secs in FROM..TO) {
                let t = DateTime::from_timestamp(secs, 0).unwrap();
                let tz = t.with_timezone(&Shanghai);
                prop_assert_eq!(local_date(t), tz.date_naive());
                prop_assert_eq!(
                    local_text(t),
                    tz.format("%Y年%m月%d日 %H时%M分").to_string()
                );
                prop_assert_eq!(beijing_text(t), tz.format("%Y-%m-%d %H:%M").to_string());
                prop_assert_eq!(
                    beijing_seconds_text(t),
                    tz.format("%Y-%m-%d %H:%M:%S").to_string()
                );
                let b = beijing(t);
                prop_assert_eq!(
                    (b.year(), b.month(), b.day(), b.hour(), b.minute(), b.second()),
                    (tz.year(), tz.month(), tz.day(), tz.hour(), tz.minute(), tz.second())
                );
                // The day the instant falls in begins at its Beijing midnight.
                let day = tz.date_naive();
                let start = day
                    .and_time(NaiveTime::MIN)
                    .and_local_timezone(Shanghai)
                    .single()
                    .unwrap()
                    .with_timezone(&Utc);
                prop_assert_eq!(beijing_day_start(day), start);
                prop_assert!(beijing_day_start(day) <= t);
                prop_assert!(t < beijing_day_start(day.succ_opt().unwrap()));
                let clock = tz.time();
                prop_assert_eq!(
                    beijing_instant(day, clock).timestamp(),
                    secs
                );
            }
        }
    }
}
