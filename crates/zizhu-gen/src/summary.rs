//! What a run produced: counts per file, stage and township, the injected
//! errors, the entitlements and the time taken.

use crate::config::ErrorKind;
use crate::inject::ErrorCount;
use crate::lists::FileSummary;
use crate::policy::Policy;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;
use zizhu_core::{Fen, Stage};

/// Counts for one township (by where the children are registered).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TownshipSummary {
    /// 12-digit statistical code.
    pub code: String,
    pub name: String,
    /// Children aged 0–17 registered there.
    pub children: u64,
    /// Of them (and of the older students), those enrolled anywhere.
    pub students: u64,
    /// Those enrolled in one of the county's schools.
    pub students_in_county: u64,
    /// Registered poor (建档立卡) households.
    pub poverty_households: u64,
}

/// Count and amount of one policy's entitlements for the term.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PolicyTotal {
    pub count: u64,
    pub amount: Fen,
}

/// The education indicators the seed reports, in basis points (1/100 %).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Indicators {
    /// 学前三年毛入园率: enrolled 3–5 year-olds (by grade cohort) ÷ cohort.
    pub preschool_gross_bp: u32,
    /// 义务教育巩固率, approximated as the share of the compulsory cohorts
    /// enrolled somewhere known (in or out of the county).
    pub compulsory_retention_bp: u32,
    /// 高中阶段毛入学率: 普高 and 中职 students ÷ the three cohorts.
    pub senior_gross_bp: u32,
}

/// The result of [`crate::generate()`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub out_dir: PathBuf,
    /// The department lists written.
    pub files: Vec<FileSummary>,
    /// The truth files written (relative paths) and their data rows.
    pub truth_files: Vec<(PathBuf, u64)>,
    pub townships: u64,
    pub villages: u64,
    /// The county's own schools.
    pub schools: u64,
    pub households: u64,
    pub poverty_households: u64,
    /// Rows of `truth/persons.csv`: every person appearing in some list.
    pub persons: u64,
    /// Children aged 0–17 (the population list without duplicates).
    pub children: u64,
    /// Students enrolled in the county's own schools.
    pub students: u64,
    /// Students enrolled outside the county (县外就读, in the roster).
    pub out_of_county: u64,
    /// Children of compulsory age with no known enrolment.
    pub out_of_school: u64,
    /// Of those, the real dropouts (辍学).
    pub dropouts: u64,
    /// In-county students by stage.
    pub by_stage: BTreeMap<Stage, u64>,
    pub by_township: Vec<TownshipSummary>,
    /// In-county 小学 and 初中 students …
    pub compulsory_students: u64,
    /// … and of them those from 建档立卡 households.
    pub compulsory_poverty_students: u64,
    pub indicators: Indicators,
    /// Injected errors per kind (duplicated copies not counted).
    pub errors: BTreeMap<ErrorKind, ErrorCount>,
    /// Rows of `truth/errors.csv`.
    pub error_rows: u64,
    /// Entitlements for the term, per policy.
    pub entitlements: BTreeMap<Policy, PolicyTotal>,
    pub entitlement_count: u64,
    pub entitlement_amount: Fen,
    /// Payments a year: the term's entitlements paid in both terms.
    pub payments_per_year: u64,
    pub elapsed: Duration,
}

impl Summary {
    /// The share of 建档立卡 students among compulsory students, in basis
    /// points.
    pub fn compulsory_poverty_share_bp(&self) -> u64 {
        (self.compulsory_poverty_students * 10_000)
            .checked_div(self.compulsory_students)
            .unwrap_or(0)
    }
}

fn pct(bp: u64) -> String {
    format!("{}.{:02}%", bp / 100, bp % 100)
}

impl fmt::Display for Summary {
    /// A Chinese report for the command line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "输出目录：{}", self.out_dir.display())?;
        writeln!(
            f,
            "乡镇 {} 个，村（社区）{} 个，学校 {} 所，户 {} 户（建档立卡 {} 户）",
            self.townships, self.villages, self.schools, self.households, self.poverty_households
        )?;
        writeln!(
            f,
            "0-17岁儿童 {} 人；县内在校生 {} 人，县外就读 {} 人，适龄未入学 {} 人（其中辍学 {} 人）",
            self.children, self.students, self.out_of_county, self.out_of_school, self.dropouts
        )?;
        for (stage, n) in &self.by_stage {
            writeln!(f, "  {}：{} 人", stage.label(), n)?;
        }
        writeln!(
            f,
            "义务教育阶段建档立卡学生占比 {}；学前三年毛入园率 {}，义务教育巩固率 {}，高中阶段毛入学率 {}",
            pct(self.compulsory_poverty_share_bp()),
            pct(u64::from(self.indicators.preschool_gross_bp)),
            pct(u64::from(self.indicators.compulsory_retention_bp)),
            pct(u64::from(self.indicators.senior_gross_bp)),
        )?;
        writeln!(
            f,
            "本学期应享资助 {} 人次，{} 元；全年约 {} 人次",
            self.entitlement_count,
            self.entitlement_amount.fmt_yuan(),
            self.payments_per_year
        )?;
        for (p, t) in &self.entitlements {
            writeln!(
                f,
                "  {}：{} 人次，{} 元",
                p.label(),
                t.count,
                t.amount.fmt_yuan()
            )?;
        }
        writeln!(f, "文件：")?;
        for file in &self.files {
            let names: Vec<String> = file.files.iter().map(|p| p.display().to_string()).collect();
            writeln!(f, "  {}：{} 行", names.join("、"), file.rows)?;
        }
        writeln!(
            f,
            "注入错误（truth/errors.csv 共 {} 行）：",
            self.error_rows
        )?;
        for (k, c) in &self.errors {
            if c.opportunities > 0 {
                writeln!(f, "  {}：{} / {}", k.label(), c.injected, c.opportunities)?;
            }
        }
        write!(f, "用时 {} 毫秒", self.elapsed.as_millis())
    }
}
