//! Education stages and grades.

use crate::term::Term;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    Preschool,
    Primary,
    Junior,
    SeniorHigh,
    Vocational,
    Higher,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StageError {
    #[error("无法识别的学段：{text}")]
    UnknownStage { text: String },
    #[error("无法识别的年级：{text}")]
    UnknownGrade { text: String },
}

impl Stage {
    pub fn label(&self) -> &'static str {
        ""
    }
    pub fn parse(s: &str) -> Result<Stage, StageError> {
        Err(StageError::UnknownStage { text: s.to_string() })
    }
    pub fn is_compulsory(&self) -> bool {
        false
    }
    pub fn grades(&self) -> u8 {
        3
    }
    pub fn typical_entry_age(&self) -> u8 {
        6
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Grade {
    stage: Stage,
    year: u8,
}

impl Grade {
    pub fn new(stage: Stage, year: u8) -> Result<Grade, StageError> {
        Ok(Grade { stage, year })
    }
    pub fn stage(&self) -> Stage {
        self.stage
    }
    pub fn year(&self) -> u8 {
        self.year
    }
    pub fn parse(s: &str) -> Result<Grade, StageError> {
        Err(StageError::UnknownGrade { text: s.to_string() })
    }
    pub fn parse_with_stage(_stage: Stage, s: &str) -> Result<Grade, StageError> {
        Err(StageError::UnknownGrade { text: s.to_string() })
    }
    pub fn from_cohort(stage: Stage, _cohort_year: i32, _term: Term) -> Result<Grade, StageError> {
        Ok(Grade { stage, year: 1 })
    }
    pub fn label(&self) -> String {
        String::new()
    }
    pub fn next(&self) -> Option<Grade> {
        None
    }
}
