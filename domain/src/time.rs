//! Time helpers: the clock the core reads, and China Standard Time for dates.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Asia::Shanghai;

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

/// The calendar date in China (Asia/Shanghai) of an instant: certificates and
/// deadlines are counted in local dates.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&Shanghai).date_naive()
}

/// An instant as officers read it: `2026年11月20日 09时05分` in China time.
pub fn local_text(t: DateTime<Utc>) -> String {
    t.with_timezone(&Shanghai)
        .format("%Y年%m月%d日 %H时%M分")
        .to_string()
}

/// China time to the second, e.g. `2026年11月20日 09时05分30秒` (fix times).
pub fn local_text_seconds(t: DateTime<Utc>) -> String {
    t.with_timezone(&Shanghai)
        .format("%Y年%m月%d日 %H时%M分%S秒")
        .to_string()
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
    }
}
