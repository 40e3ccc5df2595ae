//! 居民身份证号 (GB 11643-1999).

use crate::date::Date;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sex {
    Male,
    Female,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("无法识别的性别：{text}")]
pub struct SexError {
    pub text: String,
}

impl Sex {
    pub fn label(&self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
    pub fn parse(s: &str) -> Result<Sex, SexError> {
        Err(SexError { text: s.to_string() })
    }
}

pub const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

pub fn check_digit(_first17: &str) -> Option<char> {
    None
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("身份证号为空")]
    Empty,
    #[error("身份证号长度错误：{input} 为 {len} 位，应为 18 位或 15 位")]
    WrongLength { input: String, len: usize },
    #[error("身份证号含非法字符：{input} 的第{pos}位为 {ch}")]
    NonDigit { input: String, pos: usize, ch: char },
    #[error("身份证号地区码无效：{input} 的前6位 {area}")]
    BadArea { input: String, area: String },
    #[error("身份证号出生日期无效：{input} 的出生日期 {text}")]
    BadBirthDate { input: String, text: String },
    #[error("身份证号校验位错误：{input} 的第18位应为 {expected}，实为 {found}")]
    BadCheckDigit { input: String, expected: char, found: char },
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IdNumber(String);

impl IdNumber {
    pub fn parse(s: &str) -> Result<IdNumber, IdError> {
        Ok(IdNumber(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn area_code(&self) -> &str {
        &self.0[..6]
    }
    pub fn birth_date(&self) -> Date {
        Date::from_days_since_epoch(0)
    }
    pub fn sex(&self) -> Sex {
        Sex::Male
    }
    pub fn sequence(&self) -> u16 {
        0
    }
    pub fn from_parts(area: &str, birth: Date, sequence: u16) -> Result<IdNumber, IdError> {
        Ok(IdNumber(format!("{area}{}{sequence:03}0", birth.fmt_compact())))
    }
    pub fn to_legacy15(&self) -> Option<String> {
        None
    }
    pub fn masked(&self) -> String {
        String::new()
    }
}

pub fn repair_candidates(_s: &str) -> Vec<IdNumber> {
    Vec::new()
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for IdNumber {
    type Err = IdError;
    fn from_str(s: &str) -> Result<IdNumber, IdError> {
        IdNumber::parse(s)
    }
}
