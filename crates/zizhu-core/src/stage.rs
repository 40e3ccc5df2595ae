//! Education stages (学段) and grades (年级).

use crate::term::Term;
use std::fmt;

/// An education stage; declared in progression order so sorting follows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    Preschool,
    Primary,
    Junior,
    SeniorHigh,
    Vocational,
    Higher,
}

/// Why a stage or grade text was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StageError {
    #[error("无法识别的学段：“{text}”，应为 学前、小学、初中、普通高中、中职 或 高职本专科")]
    UnknownStage { text: String },
    #[error("无法识别的年级：“{text}”")]
    UnknownGrade { text: String },
    #[error("年级超出学段范围：{stage}没有第{year}年级（共 {max} 个年级）")]
    YearOutOfRange {
        stage: &'static str,
        year: i64,
        max: u8,
    },
    #[error("年级与学段不符：“{text}” 不属于{stage}")]
    StageMismatch { text: String, stage: &'static str },
    #[error("“{text}” 是入学年级（级），需结合学期换算，请使用 Grade::from_cohort")]
    CohortNeedsTerm { text: String },
}

impl Stage {
    /// All stages in order.
    pub const ALL: [Stage; 6] = [
        Stage::Preschool,
        Stage::Primary,
        Stage::Junior,
        Stage::SeniorHigh,
        Stage::Vocational,
        Stage::Higher,
    ];

    /// 学前/小学/初中/普通高中/中职/高职本专科.
    pub fn label(&self) -> &'static str {
        match self {
            Stage::Preschool => "学前",
            Stage::Primary => "小学",
            Stage::Junior => "初中",
            Stage::SeniorHigh => "普通高中",
            Stage::Vocational => "中职",
            Stage::Higher => "高职本专科",
        }
    }

    /// Accepts the stage names used across templates, in either script.
    pub fn parse(s: &str) -> Result<Stage, StageError> {
        let t = crate::name::normalize_text(s);
        let stage = match t.as_str() {
            "学前" | "学前教育" | "幼儿园" | "幼儿" | "学前班" => Stage::Preschool,
            "小学" | "普通小学" => Stage::Primary,
            "初中" | "初级中学" | "普通初中" => Stage::Junior,
            "高中" | "普通高中" | "普高" | "高级中学" => Stage::SeniorHigh,
            "中职" | "中等职业" | "中等职业教育" | "中等职业学校" | "职高" | "职业高中"
            | "中专" => Stage::Vocational,
            "高职" | "高职高专" | "大专" | "专科" | "本科" | "本专科" | "高职本专科"
            | "高等教育" | "大学" => Stage::Higher,
            _ => {
                return Err(StageError::UnknownStage {
                    text: s.to_string(),
                });
            }
        };
        Ok(stage)
    }

    /// Whether the stage is part of 义务教育 (free compulsory education).
    pub fn is_compulsory(&self) -> bool {
        matches!(self, Stage::Primary | Stage::Junior)
    }

    /// Number of grades: 学前 3, 小学 6, 初中 3, 高中 3, 中职 3, 高职 4.
    pub fn grades(&self) -> u8 {
        match self {
            Stage::Primary => 6,
            Stage::Higher => 4,
            _ => 3,
        }
    }

    /// Usual age on entering the first grade.
    pub fn typical_entry_age(&self) -> u8 {
        match self {
            Stage::Preschool => 3,
            Stage::Primary => 6,
            Stage::Junior => 12,
            Stage::SeniorHigh | Stage::Vocational => 15,
            Stage::Higher => 18,
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl std::str::FromStr for Stage {
    type Err = StageError;
    fn from_str(s: &str) -> Result<Stage, StageError> {
        Stage::parse(s)
    }
}

/// A grade: a stage and a 1-based year within it (七年级 = Junior year 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Grade {
    stage: Stage,
    year: u8,
}

/// Chinese numerals one to nine as they appear in grade names.
const NUMERALS: [&str; 9] = ["一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// Reads a single Chinese or ASCII numeral 1–9.
fn numeral(s: &str) -> Option<u8> {
    if let Some(i) = NUMERALS.iter().position(|n| *n == s) {
        return u8::try_from(i + 1).ok();
    }
    match s.parse::<u8>() {
        Ok(n) if (1..=9).contains(&n) => Some(n),
        _ => None,
    }
}

/// Reads `N年级` (N a numeral), returning N.
fn n_nianji(s: &str) -> Option<u8> {
    numeral(s.strip_suffix("年级")?)
}

impl Grade {
    /// Builds a grade, rejecting years outside 1..=`stage.grades()`.
    pub fn new(stage: Stage, year: u8) -> Result<Grade, StageError> {
        if year == 0 || year > stage.grades() {
            return Err(StageError::YearOutOfRange {
                stage: stage.label(),
                year: i64::from(year),
                max: stage.grades(),
            });
        }
        Ok(Grade { stage, year })
    }

    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// The 1-based year within the stage.
    pub fn year(&self) -> u8 {
        self.year
    }

    /// Parses a grade whose name alone determines the stage: 小班/中班/大班,
    /// 一年级…六年级 and 1年级 (primary), 七年级…九年级 and 初一…初三
    /// (junior), 高一…高三, 中职一年级/中职1年级/职一, 大一…大四, and
    /// generally `<学段>N年级`.
    pub fn parse(s: &str) -> Result<Grade, StageError> {
        let unknown = || StageError::UnknownGrade {
            text: s.to_string(),
        };
        let t = crate::name::normalize_text(s);
        let t = t.as_str();
        if t.ends_with('级') && !t.ends_with("年级") {
            return Err(StageError::CohortNeedsTerm {
                text: s.to_string(),
            });
        }
        match t {
            "小班" => return Grade::new(Stage::Preschool, 1),
            "中班" => return Grade::new(Stage::Preschool, 2),
            "大班" | "学前班" => return Grade::new(Stage::Preschool, 3),
            _ => {}
        }
        if let Some(n) = n_nianji(t) {
            return match n {
                1..=6 => Grade::new(Stage::Primary, n),
                _ => Grade::new(Stage::Junior, n - 6),
            };
        }
        // Short forms: 初一, 高二, 职三, 大一, optionally followed by 年级.
        let short = t.strip_suffix("年级").unwrap_or(t);
        for (prefix, stage) in [
            ("初", Stage::Junior),
            ("高", Stage::SeniorHigh),
            ("职", Stage::Vocational),
            ("大", Stage::Higher),
        ] {
            if let Some(n) = short.strip_prefix(prefix).and_then(numeral) {
                return Grade::new(stage, n);
            }
        }
        // Stage-prefixed forms: 中职一年级, 高中2年级, 小学三年级.
        if let Some(pos) =
            t.find(|c: char| c.is_ascii_digit() || NUMERALS.iter().any(|n| n.starts_with(c)))
            && pos > 0
        {
            let (stage_text, rest) = t.split_at(pos);
            if let Ok(stage) = Stage::parse(stage_text) {
                return Grade::parse_with_stage(stage, rest);
            }
        }
        Err(unknown())
    }

    /// Parses a grade from a sheet where the stage is in its own column:
    /// `一年级`/`1年级`/`1`/`一` mean the first year of `stage`, and any form
    /// [`Grade::parse`] accepts is allowed if it belongs to `stage`
    /// (`七年级` with 初中 is year 1). `2018级` needs a term: use
    /// [`Grade::from_cohort`].
    pub fn parse_with_stage(stage: Stage, s: &str) -> Result<Grade, StageError> {
        let t = crate::name::normalize_text(s);
        let t = t.as_str();
        if t.ends_with('级') && !t.ends_with("年级") {
            return Err(StageError::CohortNeedsTerm {
                text: s.to_string(),
            });
        }
        let n = n_nianji(t).or_else(|| numeral(t)).or_else(|| {
            t.strip_prefix('第')
                .and_then(|x| x.strip_suffix("学年"))
                .and_then(numeral)
        });
        if let Some(n) = n {
            if stage == Stage::Junior && (7..=9).contains(&n) {
                return Grade::new(stage, n - 6);
            }
            return Grade::new(stage, n);
        }
        let g = Grade::parse(s)?;
        if g.stage != stage {
            return Err(StageError::StageMismatch {
                text: s.to_string(),
                stage: stage.label(),
            });
        }
        Ok(g)
    }

    /// The grade in `term` of the cohort that entered `stage` in the autumn
    /// of `cohort_year` (`2018级`): in 2019春 the 2018级 is year 1, in
    /// 2019秋 year 2.
    pub fn from_cohort(stage: Stage, cohort_year: i32, term: Term) -> Result<Grade, StageError> {
        let year = i64::from(term.school_year_start()) - i64::from(cohort_year) + 1;
        match u8::try_from(year) {
            Ok(y) => Grade::new(stage, y),
            Err(_) => Err(StageError::YearOutOfRange {
                stage: stage.label(),
                year,
                max: stage.grades(),
            }),
        }
    }

    /// The entry cohort (`2018级`) of this grade in `term`; inverse of
    /// [`Grade::from_cohort`].
    pub fn cohort(&self, term: Term) -> i32 {
        term.school_year_start() - i32::from(self.year) + 1
    }

    /// 小班/一年级/七年级/高一/中职一年级/大一.
    pub fn label(&self) -> String {
        let n = NUMERALS[usize::from(self.year.clamp(1, 9)) - 1];
        match self.stage {
            Stage::Preschool => ["小班", "中班", "大班"]
                .get(usize::from(self.year) - 1)
                .copied()
                .unwrap_or("大班")
                .to_string(),
            Stage::Primary => format!("{n}年级"),
            Stage::Junior => format!("{}年级", NUMERALS[usize::from(self.year + 5).min(8)]),
            Stage::SeniorHigh => format!("高{n}"),
            Stage::Vocational => format!("中职{n}年级"),
            Stage::Higher => format!("大{n}"),
        }
    }

    /// The next grade within the same stage, or None after the final year
    /// (where students may move to different stages).
    pub fn next(&self) -> Option<Grade> {
        Grade::new(self.stage, self.year + 1).ok()
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

impl std::str::FromStr for Grade {
    type Err = StageError;
    fn from_str(s: &str) -> Result<Grade, StageError> {
        Grade::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::term::Season;

    fn g(stage: Stage, year: u8) -> Grade {
        Grade::new(stage, year).unwrap()
    }

    #[test]
    fn stage_table() {
        let check = |input: &str, expected: Option<Stage>| {
            assert_eq!(Stage::parse(input).ok(), expected, "input {input:?}");
        };
        check("幼儿园", Some(Stage::Preschool));
        check("学前教育", Some(Stage::Preschool));
        check("学前", Some(Stage::Preschool));
        check("小学", Some(Stage::Primary));
        check("初中", Some(Stage::Junior));
        check("初级中学", Some(Stage::Junior));
        check("高中", Some(Stage::SeniorHigh));
        check("普通高中", Some(Stage::SeniorHigh));
        check("普高", Some(Stage::SeniorHigh));
        check("中职", Some(Stage::Vocational));
        check("中等职业", Some(Stage::Vocational));
        check("职高", Some(Stage::Vocational));
        check("中专", Some(Stage::Vocational));
        check("高职", Some(Stage::Higher));
        check("大专", Some(Stage::Higher));
        check("本科", Some(Stage::Higher));
        check("本专科", Some(Stage::Higher));
        check("高等教育", Some(Stage::Higher));
        check("學前教育", Some(Stage::Preschool));
        check(" 小 学 ", Some(Stage::Primary));
        check("研究生", None);
        check("", None);
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.label()).unwrap(), s);
        }
        assert!(Stage::Primary.is_compulsory() && Stage::Junior.is_compulsory());
        assert!(!Stage::Preschool.is_compulsory() && !Stage::SeniorHigh.is_compulsory());
        let grades: Vec<u8> = Stage::ALL.iter().map(Stage::grades).collect();
        assert_eq!(grades, [3, 6, 3, 3, 3, 4]);
        let ages: Vec<u8> = Stage::ALL.iter().map(Stage::typical_entry_age).collect();
        assert_eq!(ages, [3, 6, 12, 15, 15, 18]);
    }

    #[test]
    fn grade_table() {
        use Stage::*;
        let check = |input: &str, expected: Option<Grade>| {
            assert_eq!(Grade::parse(input).ok(), expected, "input {input:?}");
        };
        check("小班", Some(g(Preschool, 1)));
        check("中班", Some(g(Preschool, 2)));
        check("大班", Some(g(Preschool, 3)));
        check("一年级", Some(g(Primary, 1)));
        check("六年级", Some(g(Primary, 6)));
        check("1年级", Some(g(Primary, 1)));
        check("１年级", Some(g(Primary, 1)));
        check("七年级", Some(g(Junior, 1)));
        check("八年级", Some(g(Junior, 2)));
        check("九年级", Some(g(Junior, 3)));
        check("9年级", Some(g(Junior, 3)));
        check("初一", Some(g(Junior, 1)));
        check("初二", Some(g(Junior, 2)));
        check("初三", Some(g(Junior, 3)));
        check("初三年级", Some(g(Junior, 3)));
        check("高一", Some(g(SeniorHigh, 1)));
        check("高二", Some(g(SeniorHigh, 2)));
        check("高三", Some(g(SeniorHigh, 3)));
        check("高1", Some(g(SeniorHigh, 1)));
        check("中职一年级", Some(g(Vocational, 1)));
        check("中职1年级", Some(g(Vocational, 1)));
        check("职二", Some(g(Vocational, 2)));
        check("大一", Some(g(Higher, 1)));
        check("大四", Some(g(Higher, 4)));
        check("小学三年级", Some(g(Primary, 3)));
        check("初中二年级", Some(g(Junior, 2)));
        check("高中3年级", Some(g(SeniorHigh, 3)));
        check("八年級", Some(g(Junior, 2)));
        check("初四", None);
        check("高四", None);
        check("大五", None);
        check("十年级", None);
        check("0年级", None);
        check("年级", None);
        check("", None);
        check("2018级", None);
        assert!(matches!(
            Grade::parse("2018级"),
            Err(StageError::CohortNeedsTerm { .. })
        ));
    }

    #[test]
    fn grade_with_stage_table() {
        use Stage::*;
        let check = |stage: Stage, input: &str, expected: Option<Grade>| {
            assert_eq!(
                Grade::parse_with_stage(stage, input).ok(),
                expected,
                "{stage} {input:?}"
            );
        };
        check(Junior, "一年级", Some(g(Junior, 1)));
        check(Junior, "七年级", Some(g(Junior, 1)));
        check(Junior, "初二", Some(g(Junior, 2)));
        check(Junior, "3", Some(g(Junior, 3)));
        check(Vocational, "一年级", Some(g(Vocational, 1)));
        check(Vocational, "二", Some(g(Vocational, 2)));
        check(SeniorHigh, "高三", Some(g(SeniorHigh, 3)));
        check(Higher, "第四学年", Some(g(Higher, 4)));
        check(Primary, "六年级", Some(g(Primary, 6)));
        check(Primary, "七年级", None);
        check(Junior, "高一", None);
        check(Vocational, "四年级", None);
        check(Junior, "2018级", None);
        assert!(matches!(
            Grade::parse_with_stage(Junior, "高一"),
            Err(StageError::StageMismatch { .. })
        ));
        assert!(matches!(
            Grade::parse_with_stage(Junior, "2018级"),
            Err(StageError::CohortNeedsTerm { .. })
        ));
    }

    #[test]
    fn cohorts() {
        let autumn18 = Term::new(2018, Season::Autumn);
        let spring19 = Term::new(2019, Season::Spring);
        let autumn19 = Term::new(2019, Season::Autumn);
        assert_eq!(
            Grade::from_cohort(Stage::Junior, 2018, autumn18).unwrap(),
            g(Stage::Junior, 1)
        );
        assert_eq!(
            Grade::from_cohort(Stage::Junior, 2018, spring19).unwrap(),
            g(Stage::Junior, 1)
        );
        assert_eq!(
            Grade::from_cohort(Stage::Junior, 2018, autumn19).unwrap(),
            g(Stage::Junior, 2)
        );
        assert_eq!(
            Grade::from_cohort(Stage::Vocational, 2017, autumn18).unwrap(),
            g(Stage::Vocational, 2)
        );
        assert!(Grade::from_cohort(Stage::Junior, 2019, autumn18).is_err());
        assert!(Grade::from_cohort(Stage::Junior, 2015, autumn18).is_err());
        assert!(Grade::from_cohort(Stage::Junior, i32::MIN, autumn18).is_err());
        assert_eq!(g(Stage::Junior, 2).cohort(autumn19), 2018);
    }

    #[test]
    fn labels_and_next() {
        use Stage::*;
        let check = |grade: Grade, label: &str| {
            assert_eq!(grade.label(), label);
            assert_eq!(Grade::parse(label).unwrap(), grade, "{label}");
        };
        check(g(Preschool, 1), "小班");
        check(g(Preschool, 3), "大班");
        check(g(Primary, 1), "一年级");
        check(g(Primary, 6), "六年级");
        check(g(Junior, 1), "七年级");
        check(g(Junior, 3), "九年级");
        check(g(SeniorHigh, 1), "高一");
        check(g(Vocational, 1), "中职一年级");
        check(g(Vocational, 3), "中职三年级");
        check(g(Higher, 4), "大四");
        assert_eq!(g(Primary, 5).next(), Some(g(Primary, 6)));
        assert_eq!(g(Primary, 6).next(), None);
        assert_eq!(g(Junior, 3).next(), None);
        assert!(Grade::new(Primary, 0).is_err());
        assert!(Grade::new(Primary, 7).is_err());
        assert_eq!(
            Grade::new(Junior, 4).unwrap_err().to_string(),
            "年级超出学段范围：初中没有第4年级（共 3 个年级）"
        );
        assert!(g(Primary, 6) < g(Junior, 1));
    }
}
