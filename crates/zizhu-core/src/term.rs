//! School terms (学期): spring and autumn of a calendar year.

use crate::date::Date;
use crate::text;
use std::fmt;

/// The season of a term; Spring is declared first so that, within one
/// calendar year, spring sorts before autumn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Season {
    /// 春季学期, starting around March; the second term of a school year.
    Spring,
    /// 秋季学期, starting around September; the first term of a school year.
    Autumn,
}

impl Season {
    /// `春` or `秋`.
    pub fn label(&self) -> &'static str {
        match self {
            Season::Spring => "春",
            Season::Autumn => "秋",
        }
    }
}

/// A term identified by calendar year and season; ordered chronologically
/// (2018秋 < 2019春 < 2019秋).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Term {
    year: i32,
    season: Season,
}

/// Why a term text was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TermError {
    #[error("无法识别的学期：“{text}”，应为 2018秋、2018年秋季学期 或 2018-2019学年第一学期")]
    Unparseable { text: String },
    #[error("学年起止年份不连续：“{text}”，后一年应比前一年大 1")]
    BadSchoolYear { text: String },
    #[error("学期年份超出范围：“{text}”，应在 1900–2100 之间")]
    YearOutOfRange { text: String },
}

/// Years accepted when parsing; aid records outside this span are typos.
const YEAR_RANGE: std::ops::RangeInclusive<i32> = 1900..=2100;

impl Term {
    pub fn new(year: i32, season: Season) -> Term {
        Term { year, season }
    }

    /// The calendar year the term starts in.
    pub fn year(&self) -> i32 {
        self.year
    }

    pub fn season(&self) -> Season {
        self.season
    }

    /// Parses `2018年秋季学期`, `2018秋`, `2018秋季`, `2019春`, `2019年春季`,
    /// `2018-2019学年第一学期` (= 2018秋), `2018-2019学年第二学期` (= 2019春);
    /// also `第1学期`/`上学期`/`下学期`, separators `-`, `—`, `~`, `至`, and
    /// traditional characters such as `2018年秋季學期`.
    pub fn parse(s: &str) -> Result<Term, TermError> {
        let unparseable = || TermError::Unparseable {
            text: s.to_string(),
        };
        let t = text::compact(s).replace('學', "学");
        let (year_text, rest) = take_digits(&t);
        if year_text.len() != 4 {
            return Err(unparseable());
        }
        let year: i32 = year_text.parse().map_err(|_| unparseable())?;
        if !YEAR_RANGE.contains(&year) {
            return Err(TermError::YearOutOfRange {
                text: s.to_string(),
            });
        }
        // School-year form: 2018-2019学年第一学期.
        if let Some(after_sep) = rest
            .strip_prefix(['-', '—', '–', '~', '～', '_'])
            .or_else(|| rest.strip_prefix("至"))
        {
            let (second_text, rest) = take_digits(after_sep);
            let second: i32 = second_text.parse().map_err(|_| unparseable())?;
            if second_text.len() != 4 {
                return Err(unparseable());
            }
            if second != year + 1 {
                return Err(TermError::BadSchoolYear {
                    text: s.to_string(),
                });
            }
            let rest = rest.strip_prefix("学年").unwrap_or(rest);
            let which = rest
                .strip_suffix("学期")
                .ok_or_else(unparseable)?
                .trim_start_matches('第');
            return match which {
                "一" | "1" | "上" => Ok(Term::new(year, Season::Autumn)),
                "二" | "2" | "下" => Ok(Term::new(second, Season::Spring)),
                _ => Err(unparseable()),
            };
        }
        // Calendar form: 2018年秋季学期, 2018秋, 2019春季.
        let rest = rest.strip_prefix('年').unwrap_or(rest);
        let rest = rest.strip_suffix("学期").unwrap_or(rest);
        let rest = rest.strip_suffix('季').unwrap_or(rest);
        match rest {
            "春" => Ok(Term::new(year, Season::Spring)),
            "秋" => Ok(Term::new(year, Season::Autumn)),
            _ => Err(unparseable()),
        }
    }

    /// The term containing `date`: March–August is spring, September to
    /// February is the autumn term that began the previous September.
    pub fn of_date(date: Date) -> Term {
        match date.month() {
            3..=8 => Term::new(date.year(), Season::Spring),
            9..=12 => Term::new(date.year(), Season::Autumn),
            _ => Term::new(date.year() - 1, Season::Autumn),
        }
    }

    /// Short code `2018秋`, used as a key in files and URLs.
    pub fn code(&self) -> String {
        format!("{}{}", self.year, self.season.label())
    }

    /// The year the school year starts: 2018 for both 2018秋 and 2019春.
    pub fn school_year_start(&self) -> i32 {
        match self.season {
            Season::Autumn => self.year,
            Season::Spring => self.year - 1,
        }
    }

    /// `2018-2019学年第一学期`.
    pub fn school_year_label(&self) -> String {
        let start = self.school_year_start();
        let which = match self.season {
            Season::Autumn => "一",
            Season::Spring => "二",
        };
        format!("{start}-{}学年第{which}学期", start + 1)
    }

    /// The following term (2018秋 → 2019春 → 2019秋).
    pub fn next(&self) -> Term {
        match self.season {
            Season::Spring => Term::new(self.year, Season::Autumn),
            Season::Autumn => Term::new(self.year + 1, Season::Spring),
        }
    }

    /// The preceding term.
    pub fn prev(&self) -> Term {
        match self.season {
            Season::Spring => Term::new(self.year - 1, Season::Autumn),
            Season::Autumn => Term::new(self.year, Season::Spring),
        }
    }

    /// The nominal first day: March 1 for spring, September 1 for autumn.
    ///
    /// The year is clamped into the supported date range so that the
    /// function is total even for absurd terms built with [`Term::new`].
    pub fn start_date(&self) -> Date {
        let month = match self.season {
            Season::Spring => 3,
            Season::Autumn => 9,
        };
        let year = self
            .year
            .clamp(crate::date::MIN_YEAR, crate::date::MAX_YEAR);
        Date::new(year, month, 1).unwrap_or(Date::MIN)
    }
}

/// Splits a leading run of ASCII digits from the rest.
fn take_digits(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

impl fmt::Display for Term {
    /// `2018年秋季学期`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}年{}季学期", self.year, self.season.label())
    }
}

impl std::str::FromStr for Term {
    type Err = TermError;
    fn from_str(s: &str) -> Result<Term, TermError> {
        Term::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(y: i32, autumn: bool) -> Term {
        Term::new(
            y,
            if autumn {
                Season::Autumn
            } else {
                Season::Spring
            },
        )
    }

    #[test]
    fn parse_table() {
        let check = |input: &str, expected: Option<Term>| {
            assert_eq!(Term::parse(input).ok(), expected, "input {input:?}");
        };
        check("2018年秋季学期", Some(t(2018, true)));
        check("2018秋", Some(t(2018, true)));
        check("2018秋季", Some(t(2018, true)));
        check("2018年秋季", Some(t(2018, true)));
        check("2018年秋", Some(t(2018, true)));
        check("2018秋季学期", Some(t(2018, true)));
        check("2018年秋季學期", Some(t(2018, true)));
        check(" ２０１８ 秋 ", Some(t(2018, true)));
        check("2019春", Some(t(2019, false)));
        check("2019年春季", Some(t(2019, false)));
        check("2019年春季学期", Some(t(2019, false)));
        check("2018-2019学年第一学期", Some(t(2018, true)));
        check("2018-2019学年第二学期", Some(t(2019, false)));
        check("2018—2019学年第1学期", Some(t(2018, true)));
        check("2018至2019学年第2学期", Some(t(2019, false)));
        check("2018-2019学年上学期", Some(t(2018, true)));
        check("2018-2019学年下学期", Some(t(2019, false)));
        check("2018-2020学年第一学期", None);
        check("2018-2019学年第三学期", None);
        check("2018-2019学年", None);
        check("2018", None);
        check("2018夏", None);
        check("18秋", None);
        check("秋季学期", None);
        check("", None);
        check("1800秋", None);
        check("2018A", None);
        check("2018-autumn", None);
        assert!(matches!(
            Term::parse("2018-2020学年第一学期"),
            Err(TermError::BadSchoolYear { .. })
        ));
        assert!(
            Term::parse("2018夏")
                .unwrap_err()
                .to_string()
                .contains("2018夏")
        );
    }

    #[test]
    fn ordering_and_navigation() {
        assert!(t(2018, true) < t(2019, false));
        assert!(t(2019, false) < t(2019, true));
        assert!(t(2018, false) < t(2018, true));
        assert_eq!(t(2018, true).next(), t(2019, false));
        assert_eq!(t(2019, false).next(), t(2019, true));
        assert_eq!(t(2019, false).prev(), t(2018, true));
        assert_eq!(t(2019, true).prev(), t(2019, false));
        assert_eq!(t(2018, true).school_year_start(), 2018);
        assert_eq!(t(2019, false).school_year_start(), 2018);
        for term in [t(2018, true), t(2019, false)] {
            assert_eq!(term.next().prev(), term);
            assert_eq!(Term::parse(&term.code()).unwrap(), term);
            assert_eq!(Term::parse(&term.to_string()).unwrap(), term);
            assert_eq!(Term::parse(&term.school_year_label()).unwrap(), term);
        }
    }

    #[test]
    fn labels_and_dates() {
        assert_eq!(t(2018, true).code(), "2018秋");
        assert_eq!(t(2018, true).to_string(), "2018年秋季学期");
        assert_eq!(t(2019, false).to_string(), "2019年春季学期");
        assert_eq!(t(2019, false).school_year_label(), "2018-2019学年第二学期");
        assert_eq!(t(2018, true).start_date(), Date::new(2018, 9, 1).unwrap());
        assert_eq!(t(2019, false).start_date(), Date::new(2019, 3, 1).unwrap());
        let of = |y, m, d| Term::of_date(Date::new(y, m, d).unwrap());
        assert_eq!(of(2019, 1, 15), t(2018, true));
        assert_eq!(of(2019, 3, 1), t(2019, false));
        assert_eq!(of(2019, 8, 31), t(2019, false));
        assert_eq!(of(2019, 9, 1), t(2019, true));
    }
}
