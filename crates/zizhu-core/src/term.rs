//! School terms (学期).

use crate::date::Date;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Season {
    Spring,
    Autumn,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Term {
    year: i32,
    season: Season,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("无法识别的学期：{text}")]
pub struct TermError {
    pub text: String,
}

impl Term {
    pub fn new(year: i32, season: Season) -> Term {
        Term { year, season }
    }
    pub fn year(&self) -> i32 {
        self.year
    }
    pub fn season(&self) -> Season {
        self.season
    }
    pub fn parse(s: &str) -> Result<Term, TermError> {
        Err(TermError { text: s.to_string() })
    }
    pub fn code(&self) -> String {
        String::new()
    }
    pub fn school_year_start(&self) -> i32 {
        self.year
    }
    pub fn next(&self) -> Term {
        *self
    }
    pub fn prev(&self) -> Term {
        *self
    }
    pub fn start_date(&self) -> Date {
        Date::from_days_since_epoch(0)
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.year)
    }
}
