//! Proleptic Gregorian civil dates.

use std::fmt;

/// A civil date; ordering is chronological because fields are declared year, month, day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u32,
    day: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("日期不存在：{year}年{month}月{day}日")]
    Invalid { year: i32, month: u32, day: u32 },
    #[error("无法识别的日期：{text}")]
    Unparseable { text: String },
    #[error("Excel 日期序号无效：{serial}")]
    BadExcelSerial { serial: String },
}

impl Date {
    pub fn new(year: i32, month: u32, day: u32) -> Result<Date, DateError> {
        Ok(Date { year, month, day })
    }
    pub fn year(&self) -> i32 {
        self.year
    }
    pub fn month(&self) -> u32 {
        self.month
    }
    pub fn day(&self) -> u32 {
        self.day
    }
    pub fn parse(s: &str) -> Result<Date, DateError> {
        Err(DateError::Unparseable { text: s.to_string() })
    }
    pub fn from_excel_serial(n: i64) -> Result<Date, DateError> {
        Err(DateError::BadExcelSerial { serial: n.to_string() })
    }
    pub fn to_excel_serial(&self) -> i64 {
        0
    }
    pub fn days_since_epoch(&self) -> i64 {
        0
    }
    pub fn from_days_since_epoch(_days: i64) -> Date {
        Date { year: 1970, month: 1, day: 1 }
    }
    pub fn add_days(&self, days: i64) -> Date {
        Date::from_days_since_epoch(self.days_since_epoch() + days)
    }
    pub fn age_on(&self, _on: Date) -> i32 {
        0
    }
    pub fn fmt_compact(&self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }
    pub fn fmt_chinese(&self) -> String {
        format!("{}年{}月{}日", self.year, self.month, self.day)
    }
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
