//! Proleptic Gregorian civil dates, parsed from the many shapes that appear
//! in county spreadsheets (ISO, compact, Chinese, slashes, Excel serials).

use crate::text;
use std::fmt;

/// Smallest supported year; earlier years never occur in aid records and
/// bounding the range keeps every day count well inside `i64`.
pub const MIN_YEAR: i32 = 1;
/// Largest supported year, matching Excel's upper limit of 9999-12-31.
pub const MAX_YEAR: i32 = 9999;

/// Largest Excel serial number, 9999-12-31 in the 1900 date system.
const MAX_EXCEL_SERIAL: i64 = 2_958_465;

/// A civil date in the proleptic Gregorian calendar.
///
/// The derived ordering is chronological because the fields are declared
/// year, month, day, and the constructor guarantees they form a real date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u32,
    day: u32,
}

/// Why a date could not be built or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// The year, month and day do not name a real calendar day.
    #[error("日期不存在：{year}年{month}月{day}日")]
    Invalid { year: i32, month: u32, day: u32 },
    /// The year lies outside the supported range.
    #[error("日期年份超出范围：{year}，应在 1–9999 之间")]
    YearOutOfRange { year: i64 },
    /// The text matches none of the accepted date shapes.
    #[error(
        "无法识别的日期：“{text}”，应为 2008-03-05、20080305、2008/3/5、2008年3月5日 或 Excel 日期序号"
    )]
    Unparseable { text: String },
    /// The Excel serial number is outside 1–2958465 or is the fictitious 1900-02-29.
    #[error(
        "Excel 日期序号无效：{serial}（序号 60 是 Excel 虚构的 1900年2月29日，有效范围 1–2958465）"
    )]
    BadExcelSerial { serial: String },
}

/// Returns whether `year` is a Gregorian leap year.
pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Returns the number of days in the month, or 0 for a month outside 1–12.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// The first supported date, 0001-01-01.
    pub const MIN: Date = Date {
        year: MIN_YEAR,
        month: 1,
        day: 1,
    };
    /// The last supported date, 9999-12-31.
    pub const MAX: Date = Date {
        year: MAX_YEAR,
        month: 12,
        day: 31,
    };

    /// Builds a date from parts known to be valid, for crate constants only.
    pub(crate) const fn ymd(year: i32, month: u32, day: u32) -> Date {
        Date { year, month, day }
    }

    /// Builds a date, rejecting impossible ones such as 2013-02-29.
    pub fn new(year: i32, month: u32, day: u32) -> Result<Date, DateError> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(DateError::YearOutOfRange {
                year: i64::from(year),
            });
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(DateError::Invalid { year, month, day });
        }
        Ok(Date { year, month, day })
    }

    /// The calendar year.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(&self) -> u32 {
        self.month
    }

    /// The day of the month, 1–31.
    pub fn day(&self) -> u32 {
        self.day
    }

    /// Parses the date shapes found in real spreadsheets.
    ///
    /// Accepted: `2008-03-05`, `2008-3-5`, `20080305`, `2008/3/5`,
    /// `2008.3.5`, `2008年3月5日` (also `号` or no final unit), full-width
    /// digits, surrounding spaces, a trailing time such as ` 00:00:00`, and
    /// Excel serial numbers (`39512`, `39512.0`).
    pub fn parse(s: &str) -> Result<Date, DateError> {
        let unparseable = || DateError::Unparseable {
            text: s.to_string(),
        };
        let t = text::to_halfwidth(s);
        let t = strip_time_suffix(t.trim());
        if t.is_empty() {
            return Err(unparseable());
        }
        // A run of digits with an optional all-zero fraction is either a
        // compact YYYYMMDD date (8 digits) or an Excel serial (up to 7 digits).
        if let Some(int_part) = integer_with_zero_fraction(t) {
            if int_part.len() == 8 {
                return Date::from_digits(int_part).ok_or_else(unparseable)?;
            }
            if int_part.len() <= 7 {
                let n: i64 = int_part.parse().map_err(|_| unparseable())?;
                return Date::from_excel_serial(n);
            }
            return Err(unparseable());
        }
        // Otherwise the text must be three numbers joined by one kind of
        // separator, or by the Chinese units 年 and 月.
        let parts: Vec<&str> = if t.contains('年') {
            let t = t
                .strip_suffix('日')
                .or_else(|| t.strip_suffix('号'))
                .unwrap_or(t);
            let (y, rest) = t.split_once('年').ok_or_else(unparseable)?;
            let (m, d) = rest.split_once('月').ok_or_else(unparseable)?;
            vec![y, m, d]
        } else {
            let sep = ['-', '/', '.']
                .into_iter()
                .find(|c| t.contains(*c))
                .ok_or_else(unparseable)?;
            t.split(sep).collect()
        };
        if parts.len() != 3 {
            return Err(unparseable());
        }
        let well_formed = parts[0].len() == 4
            && (1..=2).contains(&parts[1].len())
            && (1..=2).contains(&parts[2].len())
            && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()));
        if !well_formed {
            return Err(unparseable());
        }
        let y: i32 = parts[0].parse().map_err(|_| unparseable())?;
        let m: u32 = parts[1].parse().map_err(|_| unparseable())?;
        let d: u32 = parts[2].parse().map_err(|_| unparseable())?;
        Date::new(y, m, d)
    }

    /// Interprets eight ASCII digits as YYYYMMDD; returns None if they are not digits.
    fn from_digits(s: &str) -> Option<Result<Date, DateError>> {
        if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let y: i32 = s[0..4].parse().ok()?;
        let m: u32 = s[4..6].parse().ok()?;
        let d: u32 = s[6..8].parse().ok()?;
        Some(Date::new(y, m, d))
    }

    /// Parses eight ASCII digits YYYYMMDD, as used inside ID numbers.
    pub fn parse_compact(s: &str) -> Result<Date, DateError> {
        Date::from_digits(s).unwrap_or_else(|| {
            Err(DateError::Unparseable {
                text: s.to_string(),
            })
        })
    }

    /// Converts an Excel serial number (1900 date system) to a date.
    ///
    /// Excel wrongly treats 1900 as a leap year: serial 60 is the
    /// non-existent 1900-02-29 and is rejected, serials 1–59 are
    /// 1900-01-01..1900-02-28 and serial 61 is 1900-03-01.
    pub fn from_excel_serial(n: i64) -> Result<Date, DateError> {
        if !(1..=MAX_EXCEL_SERIAL).contains(&n) || n == 60 {
            return Err(DateError::BadExcelSerial {
                serial: n.to_string(),
            });
        }
        let base = if n < 60 {
            EPOCH_1899_12_31
        } else {
            EPOCH_1899_12_30
        };
        Ok(Date::from_days_since_epoch(base + n))
    }

    /// Converts to an Excel serial number (1900 date system).
    ///
    /// Dates before 1900-01-01 have no Excel serial; for them the result is
    /// the continued count (0 for 1899-12-31, negative before), which Excel
    /// would reject, so callers writing sheets should write text instead.
    pub fn to_excel_serial(&self) -> i64 {
        let days = self.days_since_epoch();
        if days >= EPOCH_1900_03_01 {
            days - EPOCH_1899_12_30
        } else {
            days - EPOCH_1899_12_31
        }
    }

    /// Days since 1970-01-01 (which is day 0); negative before it.
    pub fn days_since_epoch(&self) -> i64 {
        days_from_civil(i64::from(self.year), self.month, self.day)
    }

    /// The date `days` after 1970-01-01, clamped to [`Date::MIN`]..=[`Date::MAX`]
    /// so that the function is total; use [`Date::checked_from_days_since_epoch`]
    /// to detect out-of-range input instead.
    pub fn from_days_since_epoch(days: i64) -> Date {
        Date::checked_from_days_since_epoch(days).unwrap_or(if days < 0 {
            Date::MIN
        } else {
            Date::MAX
        })
    }

    /// The date `days` after 1970-01-01, or None outside 0001-01-01..=9999-12-31.
    pub fn checked_from_days_since_epoch(days: i64) -> Option<Date> {
        if days < Date::MIN.days_since_epoch() || days > Date::MAX.days_since_epoch() {
            return None;
        }
        let (y, m, d) = civil_from_days(days);
        Some(Date {
            year: i32::try_from(y).ok()?,
            month: m,
            day: d,
        })
    }

    /// The date `days` later (earlier if negative), clamped like
    /// [`Date::from_days_since_epoch`].
    pub fn add_days(&self, days: i64) -> Date {
        Date::from_days_since_epoch(self.days_since_epoch().saturating_add(days))
    }

    /// The date `days` later, or None if it leaves the supported range.
    pub fn checked_add_days(&self, days: i64) -> Option<Date> {
        Date::checked_from_days_since_epoch(self.days_since_epoch().checked_add(days)?)
    }

    /// Age in full years on the date `on`; someone born on 02-29 turns a year
    /// older on 03-01 in common years. Negative if `on` precedes the birth.
    pub fn age_on(&self, on: Date) -> i32 {
        let mut age = on.year - self.year;
        if (on.month, on.day) < (self.month, self.day) {
            age -= 1;
        }
        age
    }

    /// Formats as `20080305`.
    pub fn fmt_compact(&self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }

    /// Formats as `2008年3月5日`.
    pub fn fmt_chinese(&self) -> String {
        format!("{}年{}月{}日", self.year, self.month, self.day)
    }
}

/// Day numbers of the Excel 1900-system anchors relative to 1970-01-01.
const EPOCH_1899_12_30: i64 = -25_569;
const EPOCH_1899_12_31: i64 = -25_568;
const EPOCH_1900_03_01: i64 = -25_508;

/// Removes a trailing time of day (`2008-03-05 00:00:00`, `2008-03-05T08:30`)
/// because database and Excel exports often append one to plain dates.
fn strip_time_suffix(t: &str) -> &str {
    if let Some(pos) = t.find([' ', 'T']) {
        let (date, time) = (&t[..pos], t[pos + 1..].trim());
        let looks_like_time = !time.is_empty()
            && time.contains(':')
            && time
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b':' || b == b'.');
        if looks_like_time {
            return date.trim_end();
        }
    }
    t
}

/// If `t` is digits optionally followed by `.` and zeros, returns the digits.
fn integer_with_zero_fraction(t: &str) -> Option<&str> {
    let (int_part, frac) = match t.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    if int_part.is_empty() || !int_part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match frac {
        None => Some(int_part),
        Some(f) if !f.is_empty() && f.bytes().all(|b| b == b'0') => Some(int_part),
        Some(_) => None,
    }
}

/// Howard Hinnant's `days_from_civil`: exact integer arithmetic for the
/// proleptic Gregorian calendar, valid far beyond the supported range.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    // The arithmetic above bounds d to 1..=31 and m to 1..=12.
    (y, m as u32, d as u32)
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl std::str::FromStr for Date {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Date, DateError> {
        Date::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Date {
        Date::new(y, m, day).unwrap()
    }

    #[test]
    fn new_rejects_impossible_dates() {
        let check =
            |y, m, day, ok: bool| assert_eq!(Date::new(y, m, day).is_ok(), ok, "{y}-{m}-{day}");
        check(2012, 2, 29, true);
        check(2013, 2, 29, false);
        check(2000, 2, 29, true);
        check(1900, 2, 29, false);
        check(2018, 4, 31, false);
        check(2018, 13, 1, false);
        check(2018, 0, 1, false);
        check(2018, 1, 0, false);
        check(2018, 12, 31, true);
        check(0, 1, 1, false);
        check(10000, 1, 1, false);
        assert_eq!(
            Date::new(2013, 2, 29).unwrap_err().to_string(),
            "日期不存在：2013年2月29日"
        );
    }

    #[test]
    fn parse_table() {
        let check = |input: &str, expected: Option<(i32, u32, u32)>| {
            let got = Date::parse(input)
                .ok()
                .map(|x| (x.year(), x.month(), x.day()));
            assert_eq!(got, expected, "input {input:?}");
        };
        let mar5 = Some((2008, 3, 5));
        check("2008-03-05", mar5);
        check("2008-3-5", mar5);
        check("20080305", mar5);
        check("2008/3/5", mar5);
        check("2008.3.5", mar5);
        check("2008年3月5日", mar5);
        check("2008年3月5号", mar5);
        check("2008年03月05", mar5);
        check("２００８－０３－０５", mar5);
        check("２００８年３月５日", mar5);
        check("  2008-03-05\u{3000}", mar5);
        check("2008-03-05 00:00:00", mar5);
        check("2008-03-05T08:30", mar5);
        check("39512", mar5);
        check("39512.0", mar5);
        check("39512.000", mar5);
        check("2012-02-29", Some((2012, 2, 29)));
        check("2013-02-29", None);
        check("20130229", None);
        check("61", Some((1900, 3, 1)));
        check("60", None);
        check("59", Some((1900, 2, 28)));
        check("1", Some((1900, 1, 1)));
        check("0", None);
        check("2958465", Some((9999, 12, 31)));
        check("2958466", None);
        check("39512.5", None);
        check("", None);
        check("   ", None);
        check("abc", None);
        check("2008-03", None);
        check("2008-03-05-01", None);
        check("2008-03/05", None);
        check("08-03-05", None);
        check("2008年3月", None);
        check("-39512", None);
        check("200803051", None);
    }

    #[test]
    fn excel_serial_round_trip_and_anchors() {
        assert_eq!(Date::from_excel_serial(39512).unwrap(), d(2008, 3, 5));
        assert_eq!(d(2008, 3, 5).to_excel_serial(), 39512);
        assert_eq!(d(1900, 3, 1).to_excel_serial(), 61);
        assert_eq!(d(1900, 2, 28).to_excel_serial(), 59);
        assert_eq!(d(1900, 1, 1).to_excel_serial(), 1);
        assert_eq!(d(1970, 1, 1).to_excel_serial(), 25569);
        for n in (1..=MAX_EXCEL_SERIAL)
            .step_by(997)
            .chain([59, 61, MAX_EXCEL_SERIAL])
        {
            assert_eq!(Date::from_excel_serial(n).unwrap().to_excel_serial(), n);
        }
        let err = Date::from_excel_serial(60).unwrap_err().to_string();
        assert!(err.contains("60"), "{err}");
    }

    #[test]
    fn epoch_days() {
        assert_eq!(d(1970, 1, 1).days_since_epoch(), 0);
        assert_eq!(d(1969, 12, 31).days_since_epoch(), -1);
        assert_eq!(d(2000, 3, 1).days_since_epoch(), 11_017);
        assert_eq!(Date::from_days_since_epoch(11_017), d(2000, 3, 1));
        assert_eq!(d(2012, 2, 28).add_days(1), d(2012, 2, 29));
        assert_eq!(d(2013, 2, 28).add_days(1), d(2013, 3, 1));
        assert_eq!(d(2018, 12, 31).add_days(1), d(2019, 1, 1));
        assert_eq!(d(2019, 1, 1).add_days(-1), d(2018, 12, 31));
        assert_eq!(Date::from_days_since_epoch(i64::MIN), Date::MIN);
        assert_eq!(Date::from_days_since_epoch(i64::MAX), Date::MAX);
        assert_eq!(d(2018, 1, 1).checked_add_days(i64::MAX), None);
        let mut day = Date::MIN.days_since_epoch();
        while day <= Date::MAX.days_since_epoch() {
            let x = Date::from_days_since_epoch(day);
            assert_eq!(x.days_since_epoch(), day);
            day += 37;
        }
    }

    #[test]
    fn ages() {
        let check =
            |birth: Date, on: Date, age: i32| assert_eq!(birth.age_on(on), age, "{birth} on {on}");
        check(d(2012, 9, 1), d(2018, 9, 1), 6);
        check(d(2012, 9, 1), d(2018, 8, 31), 5);
        check(d(2012, 2, 29), d(2013, 2, 28), 0);
        check(d(2012, 2, 29), d(2013, 3, 1), 1);
        check(d(2012, 2, 29), d(2016, 2, 29), 4);
        check(d(2018, 1, 1), d(2017, 12, 31), -1);
    }

    #[test]
    fn formatting() {
        let x = d(2008, 3, 5);
        assert_eq!(x.to_string(), "2008-03-05");
        assert_eq!(x.fmt_compact(), "20080305");
        assert_eq!(x.fmt_chinese(), "2008年3月5日");
        assert!(d(2018, 9, 1) < d(2019, 3, 1));
        assert!(d(2018, 12, 31) < d(2019, 1, 1));
    }
}
