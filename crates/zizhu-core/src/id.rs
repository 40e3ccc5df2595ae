//! 居民身份证号 (GB 11643-1999): parsing, validation, repair and sex.

use crate::date::Date;
use crate::region::is_province_prefix;
use crate::text;
use std::fmt;

/// Sex as recorded on the ID card (the 17th digit: odd = male).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sex {
    Male,
    Female,
}

/// The text is not one of the accepted sex labels.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("无法识别的性别：“{text}”，应为 男、女、男性、女性、M、F、1（男）或 2（女）")]
pub struct SexError {
    pub text: String,
}

impl Sex {
    /// `男` or `女`.
    pub fn label(&self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }

    /// Accepts 男/女/男性/女性/M/F/Male/Female/1 (男)/2 (女), any width and case.
    pub fn parse(s: &str) -> Result<Sex, SexError> {
        let t = text::compact(s).to_ascii_uppercase();
        match t.as_str() {
            "男" | "男性" | "M" | "MALE" | "1" => Ok(Sex::Male),
            "女" | "女性" | "F" | "FEMALE" | "2" => Ok(Sex::Female),
            _ => Err(SexError {
                text: s.to_string(),
            }),
        }
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Weights of the first 17 digits in the GB 11643 check (2^(18-i) mod 11).
pub const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// Check characters indexed by the weighted sum mod 11.
const CHECK_MAP: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Earliest birth date accepted in an ID number.
pub const MIN_BIRTH: Date = Date::ymd(1900, 1, 1);
/// Latest birth date accepted in an ID number; the crate has no clock, so
/// "not in the future" is left to callers and only this fixed bound applies.
pub const MAX_BIRTH: Date = Date::ymd(2100, 12, 31);

/// Computes the GB 11643 check character of 17 ASCII digits; None for any
/// other input.
pub fn check_digit(first17: &str) -> Option<char> {
    let b = first17.as_bytes();
    if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = b
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    Some(CHECK_MAP[(sum % 11) as usize])
}

/// Why a string is not a valid ID number; each variant names the failed rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("身份证号为空")]
    Empty,
    #[error("身份证号长度错误：{input} 为 {len} 位，应为 18 位（或旧式 15 位）")]
    WrongLength { input: String, len: usize },
    #[error("身份证号含非法字符：{input} 的第{pos}位为“{ch}”，只能是数字（第18位可为 X）")]
    NonDigit { input: String, pos: usize, ch: char },
    #[error("身份证号地区码无效：{input} 的前6位 {area} 不是有效的行政区划代码")]
    BadArea { input: String, area: String },
    #[error(
        "身份证号出生日期无效：{input} 中的出生日期 {text} 不存在或不在 1900-01-01 至 2100-12-31 之间"
    )]
    BadBirthDate { input: String, text: String },
    #[error("身份证号校验位错误：{input} 的第18位应为 {expected}，实为 {found}")]
    BadCheckDigit {
        input: String,
        expected: char,
        found: char,
    },
    #[error("身份证号顺序码无效：{sequence}，应在 0–999 之间")]
    BadSequence { sequence: u32 },
}

/// A valid 18-character resident ID number in canonical form (upper-case X).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IdNumber(String);

/// Folds the forms people type into plain ASCII: full width, spaces anywhere
/// (including U+3000), lower-case x, the multiplication sign `×` that IMEs
/// offer for X, and the leading apostrophe Excel users add to keep digits as text.
pub(crate) fn normalize_id_text(s: &str) -> String {
    let t: String = s
        .chars()
        .map(text::halfwidth)
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            'x' | '×' => 'X',
            c => c,
        })
        .collect();
    t.trim_start_matches(['\'', '‘', '’', '`']).to_string()
}

/// Validates the area code: six digits, not all zero, with a real province prefix.
fn area_ok(area: &str) -> bool {
    area.len() == 6
        && area.bytes().all(|b| b.is_ascii_digit())
        && area != "000000"
        && is_province_prefix(&area[..2])
}

/// Whether a birth date lies in the range accepted for ID numbers.
fn birth_in_range(d: Date) -> bool {
    (MIN_BIRTH..=MAX_BIRTH).contains(&d)
}

impl IdNumber {
    /// Parses and validates an ID number (18-digit, or 15-digit legacy which
    /// is upgraded by inserting `19` and appending the check digit).
    ///
    /// Rules are checked in order: empty, length, characters, area code,
    /// birth date, check digit; the first failure is reported.
    pub fn parse(s: &str) -> Result<IdNumber, IdError> {
        let t = normalize_id_text(s);
        if t.is_empty() {
            return Err(IdError::Empty);
        }
        let len = t.chars().count();
        if len != 18 && len != 15 {
            return Err(IdError::WrongLength { input: t, len });
        }
        for (i, ch) in t.chars().enumerate() {
            let ok = ch.is_ascii_digit() || (ch == 'X' && len == 18 && i == 17);
            if !ok {
                return Err(IdError::NonDigit {
                    input: t,
                    pos: i + 1,
                    ch,
                });
            }
        }
        // From here on the text is pure ASCII, so byte slicing is safe.
        let area = &t[..6];
        if !area_ok(area) {
            return Err(IdError::BadArea {
                area: area.to_string(),
                input: t,
            });
        }
        let birth_text = if len == 18 {
            t[6..14].to_string()
        } else {
            format!("19{}", &t[6..12])
        };
        match Date::parse_compact(&birth_text) {
            Ok(d) if birth_in_range(d) => {}
            _ => {
                return Err(IdError::BadBirthDate {
                    input: t,
                    text: birth_text,
                });
            }
        }
        let first17 = if len == 18 {
            t[..17].to_string()
        } else {
            format!("{}{}{}", area, birth_text, &t[12..15])
        };
        // The first 17 characters are digits here, so check_digit succeeds.
        let expected = check_digit(&first17).unwrap_or('?');
        if len == 18 {
            let found = t.chars().nth(17).unwrap_or('?');
            if found != expected {
                return Err(IdError::BadCheckDigit {
                    input: t,
                    expected,
                    found,
                });
            }
        }
        Ok(IdNumber(format!("{first17}{expected}")))
    }

    /// The canonical 18-character form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 6-digit area code (the registration place, not necessarily current).
    pub fn area_code(&self) -> &str {
        &self.0[..6]
    }

    /// The birth date encoded in digits 7–14.
    pub fn birth_date(&self) -> Date {
        // Parsing validated these digits, so the fallback is unreachable.
        Date::parse_compact(&self.0[6..14]).unwrap_or(MIN_BIRTH)
    }

    /// Sex from the 17th digit: odd is male, even is female.
    pub fn sex(&self) -> Sex {
        if self.0.as_bytes()[16] % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The sequence code, digits 15–17 (0–999).
    pub fn sequence(&self) -> u16 {
        self.0[14..17].parse().unwrap_or(0)
    }

    /// The check character, digit 18 (`0`–`9` or `X`).
    pub fn check_char(&self) -> char {
        char::from(self.0.as_bytes()[17])
    }

    /// Builds an ID number from its parts and computes the check digit.
    pub fn from_parts(area: &str, birth: Date, sequence: u16) -> Result<IdNumber, IdError> {
        if !area_ok(area) {
            return Err(IdError::BadArea {
                input: area.to_string(),
                area: area.to_string(),
            });
        }
        if !birth_in_range(birth) {
            return Err(IdError::BadBirthDate {
                input: format!("{area}{}", birth.fmt_compact()),
                text: birth.fmt_compact(),
            });
        }
        if sequence > 999 {
            return Err(IdError::BadSequence {
                sequence: u32::from(sequence),
            });
        }
        let first17 = format!("{area}{}{sequence:03}", birth.fmt_compact());
        let check = check_digit(&first17).unwrap_or('?');
        Ok(IdNumber(format!("{first17}{check}")))
    }

    /// The legacy 15-digit form, which only exists for births in 1900–1999.
    pub fn to_legacy15(&self) -> Option<String> {
        if &self.0[6..8] != "19" {
            return None;
        }
        Some(format!("{}{}", &self.0[..6], &self.0[8..17]))
    }

    /// `431126********0017`: the area and last four stay, the birth date and
    /// sequence are hidden.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }
}

/// For an 18-character ID whose validation fails (typically the check
/// digit), returns every valid ID reachable by changing one character or
/// swapping two adjacent characters, sorted and without duplicates.
///
/// Because every weight is non-zero mod 11 and adjacent weights differ mod
/// 11, a single substitution or transposition always breaks the check, so a
/// one-typo number always has its original among the candidates. An input
/// that is already valid yields just itself; any other length yields nothing.
pub fn repair_candidates(s: &str) -> Vec<IdNumber> {
    let t = normalize_id_text(s);
    let chars: Vec<char> = t.chars().collect();
    if chars.len() != 18 {
        return Vec::new();
    }
    if let Ok(id) = IdNumber::parse(&t) {
        return vec![id];
    }
    let mut out = Vec::new();
    let mut buf = chars.clone();
    for i in 0..18 {
        let alphabet: &[char] = if i == 17 {
            &['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'X']
        } else {
            &['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']
        };
        for &c in alphabet {
            if c == chars[i] {
                continue;
            }
            buf[i] = c;
            if let Ok(id) = IdNumber::parse(&buf.iter().collect::<String>()) {
                out.push(id);
            }
        }
        buf[i] = chars[i];
    }
    for i in 0..17 {
        if chars[i] == chars[i + 1] {
            continue;
        }
        buf.swap(i, i + 1);
        if let Ok(id) = IdNumber::parse(&buf.iter().collect::<String>()) {
            out.push(id);
        }
        buf.swap(i, i + 1);
    }
    out.sort();
    out.dedup();
    out
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

impl AsRef<str> for IdNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<&str, IdError>) {
        let got = IdNumber::parse(input);
        assert_eq!(
            got.as_ref().map(IdNumber::as_str),
            expected.as_ref().map(|s| *s),
            "input {input:?}"
        );
    }

    fn s(x: &str) -> String {
        x.to_string()
    }

    #[test]
    fn parse_table() {
        check("431126201209010017", Ok("431126201209010017"));
        check("431126201003150022", Ok("431126201003150022"));
        check("431126200507040033", Ok("431126200507040033"));
        check("11010519491231002X", Ok("11010519491231002X"));
        check("11010519491231002x", Ok("11010519491231002X"));
        check("11010519491231002×", Ok("11010519491231002X"));
        check(
            "１１０１０５１９４９１２３１００２Ｘ",
            Ok("11010519491231002X"),
        );
        check(
            "１１０１０５１９４９１２３１００２ｘ",
            Ok("11010519491231002X"),
        );
        check(" 431126 20120901 0017 ", Ok("431126201209010017"));
        check("431126\u{3000}201209010017", Ok("431126201209010017"));
        check("'431126201209010017", Ok("431126201209010017"));
        check("110105491231002", Ok("11010519491231002X"));
        check("１１０１０５４９１２３１００２", Ok("11010519491231002X"));
        check(
            "431126201202290011",
            Err(IdError::BadCheckDigit {
                input: s("431126201202290011"),
                expected: IdNumber::from_parts("431126", Date::new(2012, 2, 29).unwrap(), 1)
                    .unwrap()
                    .check_char(),
                found: '1',
            }),
        );
        check(
            "431126201209010018",
            Err(IdError::BadCheckDigit {
                input: s("431126201209010018"),
                expected: '7',
                found: '8',
            }),
        );
        check("", Err(IdError::Empty));
        check(" \u{3000} ", Err(IdError::Empty));
        check(
            "43112620120901001",
            Err(IdError::WrongLength {
                input: s("43112620120901001"),
                len: 17,
            }),
        );
        check(
            "4311262012090100177",
            Err(IdError::WrongLength {
                input: s("4311262012090100177"),
                len: 19,
            }),
        );
        check(
            "43112620120901001A",
            Err(IdError::NonDigit {
                input: s("43112620120901001A"),
                pos: 18,
                ch: 'A',
            }),
        );
        check(
            "4311262012090100X7",
            Err(IdError::NonDigit {
                input: s("4311262012090100X7"),
                pos: 17,
                ch: 'X',
            }),
        );
        check(
            "11010549123100X",
            Err(IdError::NonDigit {
                input: s("11010549123100X"),
                pos: 15,
                ch: 'X',
            }),
        );
        check(
            "000000201209010017",
            Err(IdError::BadArea {
                input: s("000000201209010017"),
                area: s("000000"),
            }),
        );
        check(
            "031126201209010017",
            Err(IdError::BadArea {
                input: s("031126201209010017"),
                area: s("031126"),
            }),
        );
        check(
            "991126201209010017",
            Err(IdError::BadArea {
                input: s("991126201209010017"),
                area: s("991126"),
            }),
        );
        check(
            "431126201302290017",
            Err(IdError::BadBirthDate {
                input: s("431126201302290017"),
                text: s("20130229"),
            }),
        );
        check(
            "431126189912310017",
            Err(IdError::BadBirthDate {
                input: s("431126189912310017"),
                text: s("18991231"),
            }),
        );
        check(
            "431126210101010017",
            Err(IdError::BadBirthDate {
                input: s("431126210101010017"),
                text: s("21010101"),
            }),
        );
        check(
            "431126201213010017",
            Err(IdError::BadBirthDate {
                input: s("431126201213010017"),
                text: s("20121301"),
            }),
        );
        check(
            "110105490231002",
            Err(IdError::BadBirthDate {
                input: s("110105490231002"),
                text: s("19490231"),
            }),
        );
    }

    #[test]
    fn feb_29_and_range_bounds() {
        let ok = |y, m, d| IdNumber::from_parts("431126", Date::new(y, m, d).unwrap(), 1).is_ok();
        assert!(ok(2012, 2, 29));
        assert!(ok(1900, 1, 1));
        assert!(ok(2100, 12, 31));
        assert!(!ok(1899, 12, 31));
        assert!(!ok(2101, 1, 1));
        let id = IdNumber::from_parts("431126", Date::new(2012, 2, 29).unwrap(), 1).unwrap();
        assert_eq!(IdNumber::parse(id.as_str()).unwrap(), id);
        assert!(IdNumber::from_parts("43112", Date::new(2012, 1, 1).unwrap(), 1).is_err());
        assert_eq!(
            IdNumber::from_parts("431126", Date::new(2012, 1, 1).unwrap(), 1000),
            Err(IdError::BadSequence { sequence: 1000 })
        );
    }

    #[test]
    fn error_messages_name_rule_and_value() {
        let msg = |s: &str| IdNumber::parse(s).unwrap_err().to_string();
        assert_eq!(
            msg("431126201209010018"),
            "身份证号校验位错误：431126201209010018 的第18位应为 7，实为 8"
        );
        assert!(msg("4311262012").contains("4311262012 为 10 位"));
        assert!(msg("43112620120901001A").contains("第18位为“A”"));
        assert!(msg("000000201209010017").contains("000000"));
        assert!(msg("431126201302290017").contains("20130229"));
        assert_eq!(msg(""), "身份证号为空");
    }

    #[test]
    fn accessors() {
        let id = IdNumber::parse("431126201209010017").unwrap();
        assert_eq!(id.area_code(), "431126");
        assert_eq!(id.birth_date(), Date::new(2012, 9, 1).unwrap());
        assert_eq!(id.sequence(), 1);
        assert_eq!(id.sex(), Sex::Male);
        assert_eq!(id.masked(), "431126********0017");
        assert_eq!(id.to_legacy15(), None);
        assert_eq!(id.to_string(), "431126201209010017");
        assert_eq!("431126201209010017".parse::<IdNumber>().unwrap(), id);
        let f = IdNumber::parse("431126201003150022").unwrap();
        assert_eq!(f.sex(), Sex::Female);
        assert_eq!(f.sequence(), 2);
        let old = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(old.sex(), Sex::Female);
        assert_eq!(old.to_legacy15().as_deref(), Some("110105491231002"));
        assert_eq!(old.check_char(), 'X');
        assert_eq!(old.masked(), "110105********002X");
        let built = IdNumber::from_parts("110105", Date::new(1949, 12, 31).unwrap(), 2).unwrap();
        assert_eq!(built, old);
        assert_eq!(
            IdNumber::from_parts("431126", Date::new(2012, 9, 1).unwrap(), 1)
                .unwrap()
                .as_str(),
            "431126201209010017"
        );
    }

    #[test]
    fn check_digit_table() {
        let check = |s: &str, c: Option<char>| assert_eq!(check_digit(s), c, "{s}");
        check("43112620120901001", Some('7'));
        check("43112620100315002", Some('2'));
        check("11010519491231002", Some('X'));
        check("4311262012090100", None);
        check("431126201209010011", None);
        check("4311262012090100a", None);
        check("４３１１２６２０１２０９０１００１", None);
    }

    #[test]
    fn sex_parse_table() {
        let check = |s: &str, e: Option<Sex>| assert_eq!(Sex::parse(s).ok(), e, "{s}");
        check("男", Some(Sex::Male));
        check("男性", Some(Sex::Male));
        check(" M ", Some(Sex::Male));
        check("m", Some(Sex::Male));
        check("1", Some(Sex::Male));
        check("１", Some(Sex::Male));
        check("女", Some(Sex::Female));
        check("女性", Some(Sex::Female));
        check("F", Some(Sex::Female));
        check("2", Some(Sex::Female));
        check("", None);
        check("0", None);
        check("未知", None);
        assert_eq!(Sex::Male.label(), "男");
        assert_eq!(Sex::Female.label(), "女");
        assert!(Sex::parse("未知").unwrap_err().to_string().contains("未知"));
    }

    #[test]
    fn repair_finds_original() {
        let check = |input: &str, must_contain: &str| {
            let c = repair_candidates(input);
            assert!(
                c.iter().any(|x| x.as_str() == must_contain),
                "{input} -> {c:?}"
            );
            assert!(c.iter().all(|x| IdNumber::parse(x.as_str()).is_ok()));
        };
        check("431126201209010018", "431126201209010017");
        check("431126201209010071", "431126201209010017");
        check("431126202109010017", "431126201209010017");
        check("431126201209010017", "431126201209010017");
        check("431126201209010O17", "431126201209010017");
        check("11010519491231002x", "11010519491231002X");
        assert_eq!(repair_candidates("431126201209010017").len(), 1);
        assert!(repair_candidates("4311262012090100").is_empty());
        assert!(repair_candidates("").is_empty());
    }
}
