//! 学校标识码 and 全国学籍号.

use crate::date::Date;
use crate::id::IdNumber;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SchoolCategory {
    Kindergarten,
    Primary,
    AdultPrimary,
    Junior,
    VocationalJunior,
    AdultJunior,
    SeniorHigh,
    AdultSeniorHigh,
    SecondaryVocational,
    Reform,
    HigherEducation,
    AdultHigherEducation,
    SpecialEducation,
    ResearchInstitute,
    PrivateHigherOther,
    VocationalTraining,
}

impl SchoolCategory {
    pub fn code(&self) -> &'static str {
        "11"
    }
    pub fn label(&self) -> &'static str {
        ""
    }
    pub fn from_code(_code: &str) -> Option<SchoolCategory> {
        None
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchoolError {
    #[error("学校标识码无效：{text}")]
    BadSchoolCode { text: String },
    #[error("学籍号无效：{text}")]
    BadStudentNo { text: String },
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SchoolCode(String);

impl SchoolCode {
    pub fn parse(s: &str) -> Result<SchoolCode, SchoolError> {
        Ok(SchoolCode(s.to_string()))
    }
    pub fn new(category: SchoolCategory, province: &str, sequence: u32) -> Result<SchoolCode, SchoolError> {
        Ok(SchoolCode(format!("{}{province}{sequence:06}", category.code())))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn category(&self) -> SchoolCategory {
        SchoolCategory::Kindergarten
    }
    pub fn province_code(&self) -> &str {
        &self.0[2..4]
    }
    pub fn sequence(&self) -> &str {
        &self.0[4..]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StudentNoKind {
    G,
    J,
    L,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StudentNo(String);

impl StudentNo {
    pub fn parse(s: &str) -> Result<StudentNo, SchoolError> {
        Ok(StudentNo(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn kind(&self) -> StudentNoKind {
        StudentNoKind::G
    }
    pub fn id_number(&self) -> Option<IdNumber> {
        None
    }
    pub fn birth_date(&self) -> Option<Date> {
        None
    }
}
