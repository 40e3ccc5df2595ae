//! 学校标识码 (10-digit school identifier) and 全国学籍号 (national student number).

use crate::date::Date;
use crate::id::{self, IdError, IdNumber, check_digit, normalize_id_text};
use crate::region::is_province_prefix;
use crate::text;
use std::fmt;

/// The 2-digit category that starts a school identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SchoolCategory {
    /// 11 幼儿园.
    Kindergarten,
    /// 21 小学.
    Primary,
    /// 22 成人小学.
    AdultPrimary,
    /// 31 普通初中.
    Junior,
    /// 32 职业初中.
    VocationalJunior,
    /// 33 成人初中.
    AdultJunior,
    /// 34 普通高中.
    SeniorHigh,
    /// 35 成人高中.
    AdultSeniorHigh,
    /// 36 中等职业学校.
    SecondaryVocational,
    /// 37 工读学校.
    Reform,
    /// 41 普通高等学校.
    HigherEducation,
    /// 42 成人高等学校.
    AdultHigherEducation,
    /// 51 特殊教育.
    SpecialEducation,
    /// 91 培养研究生的科研机构.
    ResearchInstitute,
    /// 92 民办的其他高等教育机构.
    PrivateHigherOther,
    /// 93 中等职业培训机构.
    VocationalTraining,
}

impl SchoolCategory {
    /// All categories in code order.
    pub const ALL: [SchoolCategory; 16] = [
        SchoolCategory::Kindergarten,
        SchoolCategory::Primary,
        SchoolCategory::AdultPrimary,
        SchoolCategory::Junior,
        SchoolCategory::VocationalJunior,
        SchoolCategory::AdultJunior,
        SchoolCategory::SeniorHigh,
        SchoolCategory::AdultSeniorHigh,
        SchoolCategory::SecondaryVocational,
        SchoolCategory::Reform,
        SchoolCategory::HigherEducation,
        SchoolCategory::AdultHigherEducation,
        SchoolCategory::SpecialEducation,
        SchoolCategory::ResearchInstitute,
        SchoolCategory::PrivateHigherOther,
        SchoolCategory::VocationalTraining,
    ];

    /// The 2-digit code.
    pub fn code(&self) -> &'static str {
        self.entry().0
    }

    /// The Chinese name of the category.
    pub fn label(&self) -> &'static str {
        self.entry().1
    }

    fn entry(&self) -> (&'static str, &'static str) {
        match self {
            SchoolCategory::Kindergarten => ("11", "幼儿园"),
            SchoolCategory::Primary => ("21", "小学"),
            SchoolCategory::AdultPrimary => ("22", "成人小学"),
            SchoolCategory::Junior => ("31", "普通初中"),
            SchoolCategory::VocationalJunior => ("32", "职业初中"),
            SchoolCategory::AdultJunior => ("33", "成人初中"),
            SchoolCategory::SeniorHigh => ("34", "普通高中"),
            SchoolCategory::AdultSeniorHigh => ("35", "成人高中"),
            SchoolCategory::SecondaryVocational => ("36", "中等职业学校"),
            SchoolCategory::Reform => ("37", "工读学校"),
            SchoolCategory::HigherEducation => ("41", "普通高等学校"),
            SchoolCategory::AdultHigherEducation => ("42", "成人高等学校"),
            SchoolCategory::SpecialEducation => ("51", "特殊教育"),
            SchoolCategory::ResearchInstitute => ("91", "培养研究生的科研机构"),
            SchoolCategory::PrivateHigherOther => ("92", "民办的其他高等教育机构"),
            SchoolCategory::VocationalTraining => ("93", "中等职业培训机构"),
        }
    }

    /// The category with this 2-digit code, if any.
    pub fn from_code(code: &str) -> Option<SchoolCategory> {
        SchoolCategory::ALL.into_iter().find(|c| c.code() == code)
    }
}

impl fmt::Display for SchoolCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why a school identifier or student number was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchoolError {
    #[error("学校标识码为空")]
    EmptySchoolCode,
    #[error("学校标识码长度错误：“{text}” 为 {len} 位，应为 10 位")]
    SchoolCodeLength { text: String, len: usize },
    #[error("学校标识码含非数字字符：“{text}” 中的“{ch}”")]
    SchoolCodeNonDigit { text: String, ch: char },
    #[error("学校标识码类别无效：“{text}” 的前2位 {code} 不是已知的学校类别")]
    UnknownCategory { text: String, code: String },
    #[error("学校标识码省份无效：“{text}” 的第3–4位 {province} 不是有效的省级代码")]
    BadProvince { text: String, province: String },
    #[error("学校标识码顺序号无效：{sequence}，应在 0–999999 之间")]
    BadSequence { sequence: u32 },
    #[error("学籍号为空")]
    EmptyStudentNo,
    #[error("学籍号首字母无效：“{text}”，应以 G、J 或 L 开头")]
    StudentNoPrefix { text: String },
    #[error("学籍号长度错误：“{text}” 为 {len} 位，应为 19 位")]
    StudentNoLength { text: String, len: usize },
    #[error("学籍号中的身份证号无效：“{text}”：{reason}")]
    StudentNoId { text: String, reason: IdError },
    #[error("学籍号含非法字符：“{text}” 的第{pos}位为“{ch}”")]
    StudentNoNonDigit { text: String, pos: usize, ch: char },
    #[error("学籍号地区码无效：“{text}” 中的 {area}")]
    StudentNoArea { text: String, area: String },
    #[error("学籍号出生日期无效：“{text}” 中的 {birth}")]
    StudentNoBirthDate { text: String, birth: String },
    #[error("学籍号校验位错误：“{text}” 的第19位应为 {expected}，实为 {found}")]
    StudentNoCheckDigit {
        text: String,
        expected: char,
        found: char,
    },
}

/// A 10-digit school identifier: 2 category + 2 province + 6 sequence.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SchoolCode(String);

impl SchoolCode {
    /// Validates length, digits, a known category and a real province.
    pub fn parse(s: &str) -> Result<SchoolCode, SchoolError> {
        let t = normalize_id_text(s);
        if t.is_empty() {
            return Err(SchoolError::EmptySchoolCode);
        }
        if let Some(ch) = t.chars().find(|c| !c.is_ascii_digit()) {
            return Err(SchoolError::SchoolCodeNonDigit { text: t, ch });
        }
        if t.len() != 10 {
            let len = t.len();
            return Err(SchoolError::SchoolCodeLength { text: t, len });
        }
        if SchoolCategory::from_code(&t[..2]).is_none() {
            return Err(SchoolError::UnknownCategory {
                code: t[..2].to_string(),
                text: t,
            });
        }
        if !is_province_prefix(&t[2..4]) {
            return Err(SchoolError::BadProvince {
                province: t[2..4].to_string(),
                text: t,
            });
        }
        Ok(SchoolCode(t))
    }

    /// Builds a code from its parts (used by data generators).
    pub fn new(
        category: SchoolCategory,
        province: &str,
        sequence: u32,
    ) -> Result<SchoolCode, SchoolError> {
        if sequence > 999_999 {
            return Err(SchoolError::BadSequence { sequence });
        }
        SchoolCode::parse(&format!("{}{province}{sequence:06}", category.code()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn category(&self) -> SchoolCategory {
        // Parsing guaranteed a known category; Kindergarten is never reached.
        SchoolCategory::from_code(&self.0[..2]).unwrap_or(SchoolCategory::Kindergarten)
    }

    /// The 2-digit province code, e.g. `43` for 湖南.
    pub fn province_code(&self) -> &str {
        &self.0[2..4]
    }

    /// The 6-digit sequence.
    pub fn sequence(&self) -> &str {
        &self.0[4..]
    }
}

impl fmt::Display for SchoolCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for SchoolCode {
    type Err = SchoolError;
    fn from_str(s: &str) -> Result<SchoolCode, SchoolError> {
        SchoolCode::parse(s)
    }
}

/// The kind of a national student number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StudentNoKind {
    /// G + the 18-character ID number (the normal case).
    G,
    /// J + area + birth date + sequence + check digit, for students without a usable ID.
    J,
    /// L + area + birth date + 4 digits, a temporary number.
    L,
}

/// A 19-character 全国学籍号.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StudentNo(String);

impl StudentNo {
    /// Validates the number: upper-cases, trims and folds full width first.
    ///
    /// G requires a valid ID number; J requires the ID structure (area,
    /// birth date, GB 11643 check digit); L requires area, birth date and 4 digits.
    pub fn parse(s: &str) -> Result<StudentNo, SchoolError> {
        let t = text::compact(s).to_ascii_uppercase();
        let t = t.trim_start_matches(['\'', '‘', '’', '`']).to_string();
        let Some(first) = t.chars().next() else {
            return Err(SchoolError::EmptyStudentNo);
        };
        if !matches!(first, 'G' | 'J' | 'L') {
            return Err(SchoolError::StudentNoPrefix { text: t });
        }
        let len = t.chars().count();
        if len != 19 {
            return Err(SchoolError::StudentNoLength { text: t, len });
        }
        // Any non-ASCII character would have changed the count or failed below.
        let body = &t[1..];
        for (i, ch) in body.chars().enumerate() {
            let x_ok = ch == 'X' && i == 17 && first != 'L';
            if !(ch.is_ascii_digit() || x_ok) {
                return Err(SchoolError::StudentNoNonDigit {
                    text: t.clone(),
                    pos: i + 2,
                    ch,
                });
            }
        }
        match first {
            'G' => {
                IdNumber::parse(body).map_err(|reason| SchoolError::StudentNoId {
                    text: t.clone(),
                    reason,
                })?;
            }
            _ => {
                let area = &body[..6];
                if area == "000000" || !is_province_prefix(&area[..2]) {
                    return Err(SchoolError::StudentNoArea {
                        area: area.to_string(),
                        text: t,
                    });
                }
                let birth = &body[6..14];
                match Date::parse_compact(birth) {
                    Ok(d) if (id::MIN_BIRTH..=id::MAX_BIRTH).contains(&d) => {}
                    _ => {
                        return Err(SchoolError::StudentNoBirthDate {
                            birth: birth.to_string(),
                            text: t,
                        });
                    }
                }
                if first == 'J' {
                    let expected = check_digit(&body[..17]).unwrap_or('?');
                    let found = body.chars().nth(17).unwrap_or('?');
                    if expected != found {
                        return Err(SchoolError::StudentNoCheckDigit {
                            text: t,
                            expected,
                            found,
                        });
                    }
                }
            }
        }
        Ok(StudentNo(t))
    }

    /// A G number for a valid ID.
    pub fn from_id(id: &IdNumber) -> StudentNo {
        StudentNo(format!("G{id}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn kind(&self) -> StudentNoKind {
        match self.0.as_bytes()[0] {
            b'J' => StudentNoKind::J,
            b'L' => StudentNoKind::L,
            _ => StudentNoKind::G,
        }
    }

    /// The ID number inside a G number; None for J and L.
    pub fn id_number(&self) -> Option<IdNumber> {
        match self.kind() {
            StudentNoKind::G => IdNumber::parse(&self.0[1..]).ok(),
            _ => None,
        }
    }

    /// The birth date encoded in characters 8–15 (all kinds carry one).
    pub fn birth_date(&self) -> Option<Date> {
        Date::parse_compact(&self.0[7..15]).ok()
    }
}

impl fmt::Display for StudentNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for StudentNo {
    type Err = SchoolError;
    fn from_str(s: &str) -> Result<StudentNo, SchoolError> {
        StudentNo::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn school_code_table() {
        let check = |input: &str, expected: Option<(SchoolCategory, &str, &str)>| {
            let got = SchoolCode::parse(input).ok();
            let got = got
                .as_ref()
                .map(|c| (c.category(), c.province_code(), c.sequence()));
            assert_eq!(got, expected, "input {input:?}");
        };
        check(
            "4111010001",
            Some((SchoolCategory::HigherEducation, "11", "010001")),
        );
        check(
            "2143001234",
            Some((SchoolCategory::Primary, "43", "001234")),
        );
        check(
            "２１４３００１２３４",
            Some((SchoolCategory::Primary, "43", "001234")),
        );
        check(
            " 3443 000001 ",
            Some((SchoolCategory::SeniorHigh, "43", "000001")),
        );
        check(
            "3643000001",
            Some((SchoolCategory::SecondaryVocational, "43", "000001")),
        );
        check(
            "5143000001",
            Some((SchoolCategory::SpecialEducation, "43", "000001")),
        );
        check(
            "1143000001",
            Some((SchoolCategory::Kindergarten, "43", "000001")),
        );
        check("1243000001", None);
        check("2199000001", None);
        check("214300123", None);
        check("21430012345", None);
        check("21430012A4", None);
        check("", None);
        let msg = SchoolCode::parse("1243000001").unwrap_err().to_string();
        assert!(msg.contains("12") && msg.contains("1243000001"), "{msg}");
    }

    #[test]
    fn categories() {
        let codes: Vec<&str> = SchoolCategory::ALL
            .iter()
            .map(SchoolCategory::code)
            .collect();
        assert_eq!(
            codes,
            [
                "11", "21", "22", "31", "32", "33", "34", "35", "36", "37", "41", "42", "51", "91",
                "92", "93"
            ]
        );
        for c in SchoolCategory::ALL {
            assert_eq!(SchoolCategory::from_code(c.code()), Some(c));
        }
        assert_eq!(SchoolCategory::Junior.label(), "普通初中");
        assert_eq!(SchoolCategory::SecondaryVocational.label(), "中等职业学校");
        let built = SchoolCode::new(SchoolCategory::Junior, "43", 1234).unwrap();
        assert_eq!(built.as_str(), "3143001234");
        assert!(SchoolCode::new(SchoolCategory::Junior, "43", 1_000_000).is_err());
        assert!(SchoolCode::new(SchoolCategory::Junior, "4", 1).is_err());
        assert!(SchoolCode::new(SchoolCategory::Junior, "99", 1).is_err());
    }

    #[test]
    fn student_no_table() {
        let check = |input: &str, expected: Option<StudentNoKind>| {
            assert_eq!(
                StudentNo::parse(input).ok().map(|n| n.kind()),
                expected,
                "input {input:?}"
            );
        };
        check("G431126201209010017", Some(StudentNoKind::G));
        check("g431126201209010017", Some(StudentNoKind::G));
        check(
            "Ｇ４３１１２６２０１２０９０１００１７",
            Some(StudentNoKind::G),
        );
        check(" G11010519491231002x ", Some(StudentNoKind::G));
        check("G431126201209010018", None);
        check("G110105491231002", None);
        check("J431126201209010017", Some(StudentNoKind::J));
        check("J431126201209010018", None);
        check("J431126201302290017", None);
        check("L4311262012090112345", None);
        check("L431126201209011234", Some(StudentNoKind::L));
        check("L43112620120901123X", None);
        check("L431126201213011234", None);
        check("L001126201209011234", None);
        check("X431126201209010017", None);
        check("431126201209010017", None);
        check("", None);
        check("G", None);
        let g = StudentNo::parse("G431126201209010017").unwrap();
        assert_eq!(g.id_number().unwrap().as_str(), "431126201209010017");
        assert_eq!(g.birth_date(), Some(Date::new(2012, 9, 1).unwrap()));
        assert_eq!(StudentNo::from_id(&g.id_number().unwrap()), g);
        let l = StudentNo::parse("L431126201209011234").unwrap();
        assert_eq!(l.id_number(), None);
        assert_eq!(l.birth_date(), Some(Date::new(2012, 9, 1).unwrap()));
        let j = StudentNo::parse("J431126201209010017").unwrap();
        assert_eq!(j.id_number(), None);
        let msg = StudentNo::parse("G431126201209010018")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("应为 7，实为 8"), "{msg}");
        let msg = StudentNo::parse("J431126201209010018")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("第19位应为 7，实为 8"), "{msg}");
    }
}
