//! Row validation: one spreadsheet row into typed records, or the reasons it
//! cannot be.
//!
//! Every value is parsed with the core's rules (ID check digit, dates in any
//! common shape including Excel serials, region and school codes, Luhn,
//! phones, the closed vocabularies), so a record that leaves this module
//! holds only valid values. A row with any problem is rejected as a whole,
//! with one [`Issue`] per problem, because a school officer fixes a row, not
//! a cell. A rejected row whose only identity is unusable (no ID number, or
//! an ID that fails its check) still yields the facts that did parse, with
//! no ID, so the registry keeps it as an unresolved person for the linker.

use crate::field::Field;
use crate::header::{FieldIndex, Header};
use crate::kind::ListKind;
use crate::read::{Cell, RawRow, excel_serial_days};
use crate::registry::{RegionIndex, SchoolIndex};
use crate::text::column_letter;
use std::sync::Arc;
use zizhu_core::{
    BankCard, Date, Fen, Grade, IdNumber, PersonName, Phone, RegionCode, SchoolCategory,
    SchoolCode, Sex, Stage, StudentNo, Term,
};
use zizhu_store::{AccountKind, EnrollmentStatus, PovertyStatus, RegionRecord, SchoolRecord};

/// One problem with one cell (or with the row as a whole).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    /// Zero-based column, when the problem is in one cell.
    pub col: Option<usize>,
    /// `D（身份证号）`, or empty for a whole-row problem.
    pub column: String,
    /// The cell as shown.
    pub value: String,
    /// Why, in Chinese.
    pub reason: String,
}

/// The facts about a person that a list states. `None` means the list does
/// not say (no such column, or a blank cell), so a merge keeps what the
/// registry already knows; a list never erases a fact by leaving it blank.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonFacts {
    /// 身份证号; `None` for an unresolved person.
    pub id: Option<IdNumber>,
    /// 姓名.
    pub name: Option<PersonName>,
    /// 性别.
    pub sex: Option<Sex>,
    /// 出生日期.
    pub birth_date: Option<Date>,
    /// 民族.
    pub ethnicity: Option<String>,
    /// 家庭现地址.
    pub address: Option<String>,
    /// 残疾类别.
    pub disability_category: Option<String>,
    /// 残疾等级.
    pub disability_level: Option<String>,
    /// 孤儿.
    pub orphan: Option<bool>,
    /// 留守儿童.
    pub left_behind: Option<bool>,
    /// 烈士子女.
    pub martyr_child: Option<bool>,
}

/// A guardian as a list states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuardianFacts {
    /// 监护人姓名.
    pub name: PersonName,
    /// 与学生关系.
    pub relation: String,
    /// 监护人身份证号.
    pub id: Option<IdNumber>,
    /// 监护人联系电话.
    pub phone: Option<Phone>,
}

/// An account as a list states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountFacts {
    /// 资助卡, 一卡通 or 明白折.
    pub kind: AccountKind,
    /// 开户银行.
    pub bank_name: String,
    /// 账号.
    pub account_no: BankCard,
    /// 户名.
    pub holder_name: String,
    /// 户名与学生关系.
    pub holder_relation: Option<String>,
    /// 生效日期, when the list gives one.
    pub valid_from: Option<Date>,
}

/// A roster row's enrollment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnrollmentFacts {
    /// 学期.
    pub term: Term,
    /// 学校标识码.
    pub school_code: Option<SchoolCode>,
    /// 学校名称, as written.
    pub school_name: Option<String>,
    /// 学段 and 年级.
    pub grade: Grade,
    /// 班级名称.
    pub class_name: Option<String>,
    /// 寄宿生.
    pub boarding: bool,
    /// 学籍状态.
    pub status: EnrollmentStatus,
    /// 县外就读.
    pub out_of_county: bool,
    /// 就读地.
    pub out_of_county_place: Option<String>,
    /// 全国学籍号.
    pub student_no: Option<StudentNo>,
}

/// A household as a poverty or civil-affairs list states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HouseholdFacts {
    /// 户编号.
    pub household_no: String,
    /// The village.
    pub region_code: RegionCode,
    /// 户主身份证号.
    pub head_id: Option<IdNumber>,
    /// 贫困户状态.
    pub status: PovertyStatus,
    /// 脱贫年度.
    pub lifted_year: Option<i32>,
    /// 低保户.
    pub dibao: Option<bool>,
    /// 特困供养户.
    pub tekun: Option<bool>,
    /// 致贫原因.
    pub cause: Option<String>,
    /// 人均纯收入.
    pub income: Option<Fen>,
}

/// 民政 救助类型.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WelfareType {
    /// 城市低保.
    UrbanDibao,
    /// 农村低保.
    RuralDibao,
    /// 特困供养 (城市 or 农村, 五保).
    Tekun,
    /// 孤儿.
    Orphan,
    /// 事实无人抚养儿童.
    DeFactoOrphan,
}

impl WelfareType {
    fn parse(s: &str) -> Option<WelfareType> {
        let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        Some(match t.as_str() {
            "城市低保" | "城镇低保" | "城市低保户" | "城市最低生活保障" => {
                WelfareType::UrbanDibao
            }
            "农村低保" | "农村低保户" | "农村最低生活保障" | "低保" | "低保户" => {
                WelfareType::RuralDibao
            }
            "特困"
            | "特困供养"
            | "特困人员"
            | "农村特困"
            | "城市特困"
            | "农村特困供养"
            | "城市特困供养"
            | "城镇特困供养"
            | "五保"
            | "五保户"
            | "分散供养特困人员"
            | "集中供养特困人员" => WelfareType::Tekun,
            "孤儿" | "社会散居孤儿" | "集中供养孤儿" | "散居孤儿" => {
                WelfareType::Orphan
            }
            "事实无人抚养儿童" | "事实孤儿" => WelfareType::DeFactoOrphan,
            _ => return None,
        })
    }
}

/// How a civil-affairs row names its family: the list gives 户主姓名 and
/// 与户主关系 rather than a household number, and the head's own row comes
/// first, so members are linked to the household of the head of the same
/// name in the same village of the same file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Family {
    /// 乡镇 and 村 as written, to tell apart heads of the same name.
    pub place: String,
    /// 户主姓名, when the list gives it.
    pub head_name: Option<String>,
    /// True for the head's own row (or a list without families).
    pub is_head: bool,
}

/// A validated row, by list kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// 学籍 row.
    Roster {
        /// The student.
        person: PersonFacts,
        /// The enrollment, unless it failed validation.
        enrollment: Option<EnrollmentFacts>,
        /// The guardian, when the row names one.
        guardian: Option<GuardianFacts>,
        /// Accounts the row gives.
        accounts: Vec<AccountFacts>,
    },
    /// 建档立卡 row: a household (with its head) or a member.
    Household {
        /// The household's facts, from a household-level list.
        household: Option<HouseholdFacts>,
        /// The 户编号 of a member row, whose household must already exist.
        link: Option<String>,
        /// The member, or the head of a household row.
        person: PersonFacts,
    },
    /// 残联 or 卫健/公安 row.
    Person {
        /// The person.
        person: PersonFacts,
        /// The guardian, when the row names one.
        guardian: Option<GuardianFacts>,
    },
    /// 民政 row.
    Welfare {
        /// The person.
        person: PersonFacts,
        /// 救助类型.
        welfare: WelfareType,
        /// 户编号 the list gives, to find the household.
        household_no: Option<String>,
        /// The family this row belongs to, as the list states it.
        family: Family,
        /// The guardian (孤儿's 监护人), when the row names one.
        guardian: Option<GuardianFacts>,
    },
    /// 资助卡 row.
    Account {
        /// The student.
        person: PersonFacts,
        /// The account.
        account: Option<AccountFacts>,
    },
    /// 学校 row.
    School(SchoolRecord),
    /// 行政区划 row.
    Region(RegionRecord),
}

impl Parsed {
    /// The person facts of a person row.
    pub fn person(&self) -> Option<&PersonFacts> {
        match self {
            Parsed::Roster { person, .. }
            | Parsed::Household { person, .. }
            | Parsed::Person { person, .. }
            | Parsed::Welfare { person, .. }
            | Parsed::Account { person, .. } => Some(person),
            Parsed::School(_) | Parsed::Region(_) => None,
        }
    }
}

/// Settings that apply to every row of a file.
#[derive(Clone, Debug)]
pub struct RowRules {
    /// The list kind.
    pub kind: ListKind,
    /// The term for rosters without a 学期 column.
    pub term: Option<Term>,
    /// The date new accounts take effect when the list gives none.
    pub today: Date,
    /// The registry's regions, to turn place names into codes.
    pub regions: Arc<RegionIndex>,
    /// The registry's schools, to check codes and turn names into codes.
    pub schools: Arc<SchoolIndex>,
    /// The school of a whole file (a school officer's own list).
    pub school: Option<SchoolCode>,
    /// Whether codes and names are checked against the registry (off when
    /// a file is only read and validated, without a store).
    pub check_registry: bool,
}

/// The outcome of validating one row.
#[derive(Clone, Debug)]
pub struct Validated {
    /// Problems; empty for an acceptable row.
    pub issues: Vec<Issue>,
    /// What to write: the whole row when there are no issues; for a
    /// rejected row without a usable ID, the facts that parsed (an
    /// unresolved person); otherwise `None`.
    pub parsed: Option<Parsed>,
    /// The row's key for spotting duplicates within a file.
    pub key: Option<String>,
}

/// The validation state of one row.
struct Row<'a> {
    raw: &'a RawRow,
    header: &'a Header,
    idx: &'a FieldIndex,
    issues: Vec<Issue>,
    /// True when the ID number is missing or invalid.
    id_unusable: bool,
}

/// Classifies values Excel users type for yes/no.
fn parse_bool(s: &str) -> Option<bool> {
    let t: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    match t.as_str() {
        "是" | "y" | "yes" | "1" | "√" | "✓" | "true" | "有" | "寄宿" | "寄宿生" | "住校"
        | "县外" | "县外就读" | "留守" | "留守儿童" | "孤儿" | "烈士子女" | "低保户" | "特困"
        | "特困户" | "特困供养" => Some(true),
        "否" | "n" | "no" | "0" | "×" | "✗" | "false" | "无" | "走读" | "走读生" | "不寄宿"
        | "县内" | "县内就读" | "非留守" | "非孤儿" | "非低保户" | "非特困" => {
            Some(false)
        }
        _ => None,
    }
}

/// The seven disability categories of 残联's standard (GB/T 26341).
fn parse_disability_category(s: &str) -> Option<String> {
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let base = t
        .strip_suffix("残疾")
        .or_else(|| t.strip_suffix("残"))
        .unwrap_or(&t);
    let canonical = match base {
        "视力" | "视" | "盲" | "低视力" => "视力",
        "听力" | "听" | "聋" => "听力",
        "言语" | "语言" | "言" => "言语",
        "肢体" | "肢" => "肢体",
        "智力" | "智" => "智力",
        "精神" | "精" => "精神",
        "多重" | "综合" => "多重",
        _ => return None,
    };
    Some(format!("{canonical}残疾"))
}

/// 一级 to 四级 (also 1–4, 一 to 四, 1级).
fn parse_disability_level(s: &str) -> Option<String> {
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let t = t.strip_suffix('级').unwrap_or(&t);
    let t = t.strip_prefix('第').unwrap_or(t);
    let level = match t {
        "1" | "一" | "Ⅰ" | "I" => "一级",
        "2" | "二" | "Ⅱ" | "II" => "二级",
        "3" | "三" | "Ⅲ" | "III" => "三级",
        "4" | "四" | "Ⅳ" | "IV" => "四级",
        _ => return None,
    };
    Some(level.to_string())
}

/// 贫困户状态, with the year when it is written in (2017年已脱贫).
fn parse_poverty_status(s: &str) -> Option<(PovertyStatus, Option<i32>)> {
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let year = t
        .char_indices()
        .find(|(_, c)| c.is_ascii_digit())
        .and_then(|(i, _)| t.get(i..i + 4))
        .and_then(|y| y.parse::<i32>().ok())
        .filter(|y| (2000..=2100).contains(y));
    let words: String = t.chars().filter(|c| !c.is_ascii_digit()).collect();
    let words = words.trim_start_matches('年');
    let status = match words {
        "未脱贫" | "贫困户" | "在档贫困户" | "未脱贫户" | "贫困" => {
            PovertyStatus::NotLifted
        }
        "已脱贫"
        | "脱贫户"
        | "脱贫"
        | "稳定脱贫"
        | "已脱贫户"
        | "脱贫享受政策"
        | "脱贫不享受政策" => PovertyStatus::Lifted,
        "边缘户" | "边缘易致贫户" | "脱贫不稳定户" | "监测户" | "突发严重困难户" => {
            PovertyStatus::Marginal
        }
        "无" | "非贫困户" | "一般户" => PovertyStatus::NotRegistered,
        _ => return None,
    };
    Some((status, year))
}

/// The template's 贫困类型 vocabulary; a cell may list several (建档立卡、残疾).
pub const POVERTY_TYPES: &[&str] = &[
    "农村低保",
    "城市低保",
    "残疾",
    "农村特困供养",
    "城市特困供养",
    "建档立卡",
    "其他",
];

fn parse_poverty_types(s: &str) -> Option<Vec<&'static str>> {
    let mut out = Vec::new();
    for part in s.split(['、', ',', '，', '/', ';', '；', ' ']) {
        let p = part.trim();
        if p.is_empty() {
            continue;
        }
        let t = match p {
            "农村低保" | "农村低保户" | "农村最低生活保障" => "农村低保",
            "城市低保" | "城镇低保" | "城市低保户" | "城市最低生活保障" => {
                "城市低保"
            }
            "残疾" | "残疾学生" | "残疾人子女" | "家庭经济困难残疾学生" | "残疾人家庭" => {
                "残疾"
            }
            "农村特困供养" | "农村特困" | "五保" | "五保户" | "农村五保" => {
                "农村特困供养"
            }
            "城市特困供养" | "城市特困" | "城镇特困" | "城镇特困供养" => {
                "城市特困供养"
            }
            "建档立卡" | "建档立卡户" | "建档立卡贫困户" | "建档立卡贫困家庭" | "贫困户" => {
                "建档立卡"
            }
            "其他" | "其它" | "一般困难" | "其他困难" | "孤残" | "烈士子女" => {
                "其他"
            }
            _ => return None,
        };
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.is_empty() { None } else { Some(out) }
}

fn parse_enrollment_status(s: &str) -> Option<EnrollmentStatus> {
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if let Some(st) = EnrollmentStatus::from_label(&t) {
        return Some(st);
    }
    Some(match t.as_str() {
        "在校" | "在籍" | "正常" | "在读生" => EnrollmentStatus::Studying,
        "辍学生" | "失学" | "失学辍学" => EnrollmentStatus::DroppedOut,
        "转学" | "已转出" => EnrollmentStatus::TransferredOut,
        "已毕业" | "结业" => EnrollmentStatus::Graduated,
        "送教" => EnrollmentStatus::HomeTaught,
        _ => return None,
    })
}

fn parse_account_kind(s: &str) -> Option<AccountKind> {
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if let Some(k) = AccountKind::from_label(&t) {
        return Some(k);
    }
    Some(match t.as_str() {
        "学生资助卡" | "资助卡账户" | "助学卡" => AccountKind::AidCard,
        "惠民一卡通" | "惠农一卡通" | "一卡通账户" | "社保卡" | "一折通" => {
            AccountKind::OneCard
        }
        "明白折账户" | "存折" | "惠农明白折" => AccountKind::Passbook,
        _ => return None,
    })
}

/// The stage a school of this category teaches, used to read a bare grade
/// (一年级) in the right stage.
pub fn category_stage(c: SchoolCategory) -> Option<Stage> {
    Some(match c {
        SchoolCategory::Kindergarten => Stage::Preschool,
        SchoolCategory::Primary | SchoolCategory::AdultPrimary => Stage::Primary,
        SchoolCategory::Junior | SchoolCategory::VocationalJunior | SchoolCategory::AdultJunior => {
            Stage::Junior
        }
        SchoolCategory::SeniorHigh | SchoolCategory::AdultSeniorHigh => Stage::SeniorHigh,
        SchoolCategory::SecondaryVocational | SchoolCategory::VocationalTraining => {
            Stage::Vocational
        }
        SchoolCategory::HigherEducation
        | SchoolCategory::AdultHigherEducation
        | SchoolCategory::PrivateHigherOther => Stage::Higher,
        SchoolCategory::Reform
        | SchoolCategory::SpecialEducation
        | SchoolCategory::ResearchInstitute => {
            return None;
        }
    })
}

/// `2016年03月`, `2016-03`, `2016/3`, `201603`: a month, read as its first
/// day, which is how civil-affairs lists give the start of an entitlement.
fn year_month(s: &str) -> Option<Date> {
    let t: String = s
        .chars()
        .map(crate::text::halfwidth)
        .filter(|c| !c.is_whitespace())
        .collect();
    let t = t.strip_suffix('月').unwrap_or(&t);
    let (y, m) = if let Some((y, m)) = t.split_once(['年', '-', '/', '.']) {
        (y.to_string(), m.to_string())
    } else if t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()) {
        (t[..4].to_string(), t[4..].to_string())
    } else {
        return None;
    };
    if y.len() != 4 || m.is_empty() || m.len() > 2 {
        return None;
    }
    Date::new(y.parse().ok()?, m.parse().ok()?, 1).ok()
}

/// 就读方式: where and how a student studies.
fn parse_study_mode(s: &str) -> Option<(bool, Option<EnrollmentStatus>)> {
    if let Some(b) = parse_bool(s) {
        return Some((b, None));
    }
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    Some(match t.as_str() {
        "本县就读" | "县内" | "随班就读" | "在校就读" | "正常就读" | "就近入学" => {
            (false, None)
        }
        "县外" | "外县就读" | "省外就读" | "市外就读" | "随迁就读" | "随迁子女" => {
            (true, None)
        }
        "送教上门" | "送教" => (false, Some(EnrollmentStatus::HomeTaught)),
        _ => return None,
    })
}

/// 办学性质 or 举办者: public (true) or private.
fn parse_public(s: &str) -> Option<bool> {
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    match t.as_str() {
        "公办" | "公立" | "公办学校" | "是" | "教育部门" | "地方教育部门" | "政府" | "地方政府"
        | "其他部门" | "地方企业" | "事业单位" => Some(true),
        "民办" | "私立" | "民办学校" | "否" | "个人" | "民办个人" | "社会力量" | "企业"
        | "民营企业" | "民办企业" => Some(false),
        _ => None,
    }
}

/// The number of significant decimal digits a float cell can carry; a
/// longer number typed into a general-format cell has lost its tail.
const EXACT_FLOAT_LIMIT: f64 = 9_007_199_254_740_992.0;

impl<'a> Row<'a> {
    fn cell(&self, f: Field) -> Option<(usize, &'a Cell)> {
        self.idx.col(f).map(|c| (c, self.raw.get(c)))
    }

    fn column_name(&self, col: usize) -> String {
        match self.header.columns.iter().find(|c| c.index == col) {
            Some(c) => c.describe(),
            None => column_letter(col),
        }
    }

    fn issue_at(&mut self, col: usize, value: &str, reason: impl Into<String>) {
        self.issues.push(Issue {
            col: Some(col),
            column: self.column_name(col),
            value: crate::text::preview(value),
            reason: reason.into(),
        });
    }

    /// The cell as text, or `None` when the column is absent or blank. A cell
    /// that is not a value at all (an Excel error, a formula without its
    /// result, undecodable bytes) is an issue.
    fn text(&mut self, f: Field) -> Option<String> {
        let (col, cell) = self.cell(f)?;
        match cell {
            Cell::Empty => None,
            Cell::Error(e) => {
                let e = e.clone();
                self.issue_at(
                    col,
                    &e,
                    format!("单元格是 Excel 错误值 {e}，不是{}", f.label()),
                );
                None
            }
            Cell::UncomputedFormula(formula) => {
                let shown = format!("={formula}");
                self.issue_at(
                    col,
                    &shown,
                    "单元格是公式，文件中没有保存计算结果；请在 Excel 中选择性粘贴为数值后重新导入",
                );
                None
            }
            Cell::Undecodable(s) => {
                let s = s.clone();
                self.issue_at(
                    col,
                    &s,
                    "文字编码无法识别（既不是 UTF-8 也不是 GBK），请把文件另存为 UTF-8 后重新导入",
                );
                None
            }
            // Text is by far the common case: trimmed and copied once.
            Cell::Text(t) => {
                let t = t.trim();
                if t.is_empty() {
                    None
                } else {
                    Some(t.to_string())
                }
            }
            other => {
                let s = other.display();
                if s.is_empty() { None } else { Some(s) }
            }
        }
    }

    /// Like [`Row::text`], with an issue when the cell is blank.
    fn required(&mut self, f: Field) -> Option<String> {
        let v = self.text(f);
        if v.is_none()
            && let Some((col, cell)) = self.cell(f)
            && matches!(cell, Cell::Empty | Cell::Text(_))
        {
            self.issue_at(col, "", format!("必填项“{}”为空", f.label()));
        }
        v
    }

    /// Parses a text cell, recording the parser's message as the issue.
    fn parse<T, E: std::fmt::Display>(
        &mut self,
        f: Field,
        required: bool,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let text = if required {
            self.required(f)?
        } else {
            self.text(f)?
        };
        match parse(&text) {
            Ok(v) => Some(v),
            Err(e) => {
                let col = self.idx.col(f).unwrap_or(0);
                self.issue_at(col, &text, e.to_string());
                None
            }
        }
    }

    /// Parses a vocabulary cell, listing the accepted values on failure.
    fn vocab<T>(
        &mut self,
        f: Field,
        required: bool,
        accepted: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Option<T> {
        self.parse(f, required, |s| {
            parse(s).ok_or_else(|| format!("无法识别的{}“{s}”，应为 {accepted}", f.label()))
        })
    }

    fn boolean(&mut self, f: Field) -> Option<bool> {
        self.vocab(f, false, "是 或 否", parse_bool)
    }

    /// A digit string that must not have passed through a float (ID numbers,
    /// bank cards): a large number cell has lost its last digits.
    fn digits(&mut self, f: Field, required: bool) -> Option<String> {
        if let Some((col, Cell::Float(v))) = self.cell(f)
            && v.abs() >= EXACT_FLOAT_LIMIT
        {
            let shown = Cell::Float(*v).display();
            self.issue_at(
                col,
                &shown,
                format!(
                    "{}被存成了数字，Excel 只保留 15 位有效数字，末尾几位已经丢失；请把这一列设为“文本”格式后重新录入",
                    f.label()
                ),
            );
            if f == Field::IdNumber {
                self.id_unusable = true;
            }
            return None;
        }
        if required {
            self.required(f)
        } else {
            self.text(f)
        }
    }

    fn id_number(&mut self, f: Field, required: bool) -> Option<IdNumber> {
        let before = self.issues.len();
        let text = self.digits(f, required);
        let id = match text {
            Some(t) => match IdNumber::parse(&t) {
                Ok(id) => Some(id),
                Err(e) => {
                    let col = self.idx.col(f).unwrap_or(0);
                    self.issue_at(col, &t, e.to_string());
                    None
                }
            },
            None => None,
        };
        if f == Field::IdNumber && (id.is_none() || self.issues.len() > before) {
            self.id_unusable = true;
        }
        id
    }

    fn date(&mut self, f: Field) -> Option<Date> {
        let (col, cell) = self.cell(f)?;
        let serial = match cell {
            Cell::Date(s) => Some(*s),
            // A plain number in a date column is an Excel serial whose
            // cell lost its date format, or a compact 20120901.
            Cell::Float(v) if *v < 100_000.0 => Some(*v),
            Cell::Int(i) if *i < 100_000 => Some(*i as f64),
            _ => None,
        };
        if let Some(s) = serial {
            let shown = cell.display();
            return match excel_serial_days(s).map(Date::from_excel_serial) {
                Some(Ok(d)) => Some(d),
                Some(Err(e)) => {
                    self.issue_at(col, &shown, e.to_string());
                    None
                }
                None => {
                    self.issue_at(col, &shown, format!("{}不是有效的日期", f.label()));
                    None
                }
            };
        }
        self.parse(f, false, |s| {
            Date::parse(s).or_else(|e| year_month(s).ok_or(e))
        })
    }

    fn name(&mut self, f: Field, required: bool) -> Option<PersonName> {
        self.parse(f, required, PersonName::parse)
    }

    fn phone(&mut self, f: Field) -> Option<Phone> {
        if let Some((col, Cell::Float(v))) = self.cell(f)
            && v.fract() != 0.0
        {
            let shown = Cell::Float(*v).display();
            self.issue_at(col, &shown, format!("{}不是整数", f.label()));
            return None;
        }
        self.parse(f, false, Phone::parse)
    }

    fn card(&mut self, f: Field, required: bool) -> Option<BankCard> {
        let text = self.digits(f, required)?;
        match BankCard::parse(&text) {
            Ok(c) => Some(c),
            Err(e) => {
                let col = self.idx.col(f).unwrap_or(0);
                self.issue_at(col, &text, e.to_string());
                None
            }
        }
    }

    /// The row's region: its 区划代码 column, or the code of the place its
    /// 县/乡镇/村 columns name.
    fn region(&mut self, regions: &RegionIndex, required: bool) -> Option<RegionCode> {
        if self.idx.has(Field::RegionCode) {
            return self.parse(Field::RegionCode, required, RegionCode::parse);
        }
        if !regions_checked(regions) {
            return None;
        }
        let county = self.text(Field::County);
        let township = self.text(Field::Township);
        let village = self.text(Field::Village);
        if township.is_none() && village.is_none() && !required {
            return None;
        }
        match regions.resolve(county.as_deref(), township.as_deref(), village.as_deref()) {
            Ok(c) => Some(c),
            Err(reason) => {
                let f = if village.is_some() {
                    Field::Village
                } else {
                    Field::Township
                };
                let col = self.idx.col(f).unwrap_or(0);
                let v = [township, village]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                self.issue_at(col, &v, reason);
                None
            }
        }
    }

    fn whole_row_issue(&mut self, reason: String) {
        self.issues.push(Issue {
            col: None,
            column: String::new(),
            value: String::new(),
            reason,
        });
    }

    /// The facts every person list can give.
    fn person(&mut self) -> PersonFacts {
        let name = self.name(Field::Name, true);
        let id = self.id_number(Field::IdNumber, true);
        let sex = self.vocab(Field::Sex, false, "男 或 女", |s| Sex::parse(s).ok());
        let birth_date = self.date(Field::BirthDate);
        if let Some(id) = &id {
            if let (Some(s), Some(col)) = (sex, self.idx.col(Field::Sex))
                && s != id.sex()
            {
                let v = self.raw.get(col).display();
                self.issue_at(
                    col,
                    &v,
                    format!(
                        "性别与身份证号不符：身份证号 {} 表示{}",
                        id.as_str(),
                        id.sex().label()
                    ),
                );
            }
            if let (Some(b), Some(col)) = (birth_date, self.idx.col(Field::BirthDate))
                && b != id.birth_date()
            {
                let v = self.raw.get(col).display();
                self.issue_at(
                    col,
                    &v,
                    format!(
                        "出生日期与身份证号不符：身份证号 {} 的出生日期是 {}",
                        id.as_str(),
                        id.birth_date()
                    ),
                );
            }
        }
        let ethnicity = self.text(Field::Ethnicity).map(|e| {
            if e.ends_with('族') || e == "其他" || e.contains("穿青") {
                e
            } else {
                format!("{e}族")
            }
        });
        let address = self.address();
        let disability_category = self.vocab(
            Field::DisabilityCategory,
            false,
            "视力、听力、言语、肢体、智力、精神、多重残疾之一",
            parse_disability_category,
        );
        let disability_level = self.vocab(
            Field::DisabilityLevel,
            false,
            "一级、二级、三级或四级",
            parse_disability_level,
        );
        let orphan = self.boolean(Field::Orphan);
        let left_behind = self.boolean(Field::LeftBehind);
        let martyr_child = self.boolean(Field::MartyrChild);
        // The columns the registry has no place for yet are still checked,
        // so a wrong value is reported rather than silently carried.
        self.vocab(
            Field::PovertyType,
            false,
            "农村低保、城市低保、残疾、农村特困供养、城市特困供养、建档立卡、其他（可用“、”列出多项）",
            parse_poverty_types,
        );
        self.phone(Field::Phone);
        self.phone(Field::MentorPhone);
        self.name(Field::MentorName, false);
        PersonFacts {
            id,
            name,
            sex,
            birth_date,
            ethnicity,
            address,
            disability_category,
            disability_level,
            orphan,
            left_behind,
            martyr_child,
        }
    }

    /// 家庭现地址, or the address put together from 省/市/县/乡镇/村/组.
    fn address(&mut self) -> Option<String> {
        if let Some(a) = self.text(Field::Address) {
            return Some(a);
        }
        let parts: Vec<String> = [
            (Field::Province, "省"),
            (Field::City, "市"),
            (Field::County, "县"),
            (Field::Township, ""),
            (Field::Village, ""),
            (Field::Group, "组"),
        ]
        .iter()
        .filter_map(|(f, suffix)| {
            self.text(*f).map(|t| {
                let is_number = t.chars().all(|c| c.is_ascii_digit());
                if is_number
                    || (!suffix.is_empty() && !t.ends_with(['省', '市', '县', '区', '州', '组']))
                {
                    format!("{t}{suffix}")
                } else {
                    t
                }
            })
        })
        .collect();
        if parts.is_empty() {
            None
        } else {
            Some(parts.concat())
        }
    }

    fn guardian(&mut self) -> Option<GuardianFacts> {
        let name = self.name(Field::GuardianName, false);
        let relation = self.text(Field::GuardianRelation);
        let id = self.id_number(Field::GuardianId, false);
        let phone = self.phone(Field::GuardianPhone);
        match name {
            Some(name) => Some(GuardianFacts {
                name,
                relation: relation.unwrap_or_else(|| "监护人".to_string()),
                id,
                phone,
            }),
            None => {
                let has_detail = phone.is_some() || id.is_some();
                if has_detail && let Some(col) = self.idx.col(Field::GuardianName) {
                    self.issue_at(col, "", "有监护人电话或身份证号，但监护人姓名为空");
                }
                None
            }
        }
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per column of the account"
    )]
    fn account(
        &mut self,
        number: Field,
        required: bool,
        holder: Option<Field>,
        relation: Option<Field>,
        kind: AccountKind,
        default_holder: Option<&PersonName>,
        bank: Option<&str>,
        valid_from: Option<Date>,
    ) -> Option<AccountFacts> {
        let account_no = self.card(number, required)?;
        let holder_name = holder
            .and_then(|h| self.name(h, false))
            .map(|n| n.original().to_string())
            .or_else(|| default_holder.map(|n| n.original().to_string()))
            .unwrap_or_default();
        let holder_relation = relation.and_then(|r| self.text(r));
        Some(AccountFacts {
            kind,
            bank_name: bank.unwrap_or_default().to_string(),
            account_no,
            holder_name,
            holder_relation,
            valid_from,
        })
    }
}

/// Validates one data row of a sheet.
pub fn validate(rules: &RowRules, header: &Header, idx: &FieldIndex, raw: &RawRow) -> Validated {
    let mut row = Row {
        raw,
        header,
        idx,
        issues: Vec::new(),
        id_unusable: false,
    };
    // Values to the right of the last header column belong to no column;
    // importing the row without them would lose them silently.
    let width = header.width();
    if let Some((i, c)) = raw
        .cells
        .iter()
        .enumerate()
        .skip(width)
        .find(|(_, c)| !c.is_blank())
    {
        let last = raw.cells.iter().rposition(|c| !c.is_blank()).unwrap_or(i) + 1;
        let v = c.display();
        row.issue_at(
            i,
            &v,
            format!(
                "表头只有 {width} 列，这一行在 {} 列还有内容（共 {last} 列），无法确定属于哪一列",
                column_letter(i)
            ),
        );
    }
    let parsed = match rules.kind {
        ListKind::Roster => roster(&mut row, rules),
        ListKind::Households => household(&mut row, rules),
        ListKind::Disabled | ListKind::Population => {
            let person = row.person();
            let guardian = row.guardian();
            row.text(Field::DisabilityCertNo);
            row.date(Field::CertDate);
            row.text(Field::HukouType);
            row.text(Field::HukouPlace);
            if rules.kind == ListKind::Disabled && person.disability_category.is_none() {
                row.required(Field::DisabilityCategory);
            }
            Some(Parsed::Person { person, guardian })
        }
        ListKind::Welfare => welfare(&mut row),
        ListKind::Accounts => accounts(&mut row, rules),
        ListKind::Schools => school(&mut row, rules),
        ListKind::Regions => region(&mut row),
    };
    let key = match &parsed {
        Some(Parsed::School(s)) => Some(s.code.as_str().to_string()),
        Some(Parsed::Region(r)) => Some(r.code.as_str().to_string()),
        Some(Parsed::Account { person, account }) => person.id.as_ref().map(|id| {
            format!(
                "{}:{}",
                id.as_str(),
                account.as_ref().map_or("", |a| a.kind.label())
            )
        }),
        Some(Parsed::Household {
            household: Some(h),
            link: None,
            ..
        }) => Some(format!("户:{}", h.household_no)),
        Some(p) => p
            .person()
            .and_then(|p| p.id.as_ref())
            .map(|id| id.as_str().to_string()),
        None => None,
    };
    let Row {
        mut issues,
        id_unusable,
        ..
    } = row;
    // A cell read by two checks (an address part that also names the
    // region) reports its problem once.
    let mut seen = Vec::new();
    issues.retain(|i| {
        let k = (i.col, i.reason.clone());
        if seen.contains(&k) {
            false
        } else {
            seen.push(k);
            true
        }
    });
    let parsed = if issues.is_empty() {
        parsed
    } else if id_unusable {
        // Keep what parsed as an unresolved person, but only when there is a
        // name to know them by; accounts are never attached to a person
        // nobody has identified.
        parsed.and_then(unresolved)
    } else {
        None
    };
    Validated {
        issues,
        parsed,
        key,
    }
}

/// The part of a rejected row that is kept for an unresolved person.
fn unresolved(p: Parsed) -> Option<Parsed> {
    let named = |person: &PersonFacts| person.name.is_some();
    match p {
        Parsed::Roster {
            person,
            enrollment,
            guardian,
            ..
        } if named(&person) => Some(Parsed::Roster {
            person: PersonFacts { id: None, ..person },
            enrollment,
            guardian,
            accounts: Vec::new(),
        }),
        Parsed::Household {
            household,
            link,
            person,
        } if named(&person) => Some(Parsed::Household {
            household,
            link,
            person: PersonFacts { id: None, ..person },
        }),
        Parsed::Person { person, guardian } if named(&person) => Some(Parsed::Person {
            person: PersonFacts { id: None, ..person },
            guardian,
        }),
        Parsed::Welfare {
            person,
            welfare,
            household_no,
            family,
            guardian,
        } if named(&person) => Some(Parsed::Welfare {
            person: PersonFacts { id: None, ..person },
            welfare,
            household_no,
            family,
            guardian,
        }),
        Parsed::Account { person, .. } if named(&person) => Some(Parsed::Account {
            person: PersonFacts { id: None, ..person },
            account: None,
        }),
        _ => None,
    }
}

fn roster(row: &mut Row<'_>, rules: &RowRules) -> Option<Parsed> {
    let person = row.person();
    let term = match row.idx.col(Field::Term) {
        Some(_) => row
            .parse(Field::Term, rules.term.is_none(), Term::parse)
            .or(rules.term),
        None => rules.term,
    };
    let (out_of_county, mode_status) = row
        .vocab(
            Field::OutOfCounty,
            false,
            "是、否、县内就读、县外就读或送教上门",
            parse_study_mode,
        )
        .unwrap_or((false, None));
    let school_code = roster_school(row, rules, out_of_county);
    let stage = row.parse(Field::Stage, false, Stage::parse);
    let hint = stage.or_else(|| {
        school_code
            .as_ref()
            .and_then(|c| category_stage(c.category()))
    });
    let grade = row.parse(Field::Grade, true, |s| match hint {
        Some(st) => Grade::parse_with_stage(st, s),
        None => Grade::parse(s),
    });
    let class_name = row.text(Field::ClassName);
    let boarding = row.boolean(Field::Boarding).unwrap_or(false);
    let status = row
        .vocab(
            Field::EnrollmentStatus,
            false,
            "在读、休学、辍学、转出、毕业或送教上门",
            parse_enrollment_status,
        )
        .or(mode_status)
        .unwrap_or(EnrollmentStatus::Studying);
    let school_name = row.text(Field::SchoolName);
    let out_of_county_place = row.text(Field::OutOfCountyPlace);
    let student_no = row.parse(Field::StudentNo, false, StudentNo::parse);
    if let (Some(no), Some(id)) = (&student_no, &person.id)
        && let Some(no_id) = no.id_number()
        && &no_id != id
        && let Some(col) = row.idx.col(Field::StudentNo)
    {
        let v = no.as_str().to_string();
        row.issue_at(
            col,
            &v,
            format!(
                "全国学籍号中的身份证号与身份证号列（{}）不一致",
                id.as_str()
            ),
        );
    }
    row.text(Field::HukouType);
    row.text(Field::HukouPlace);
    row.text(Field::LocalStudentNo);
    let guardian = row.guardian();

    let bank = row.text(Field::BankName);
    let valid_from = row
        .date(Field::ValidFrom)
        .or_else(|| term.map(|t| t.start_date()));
    let mut accounts = Vec::new();
    let main_kind = row.vocab(
        Field::AccountKind,
        false,
        "资助卡、一卡通或明白折",
        parse_account_kind,
    );
    if let Some(a) = row.account(
        Field::AccountNo,
        false,
        Some(Field::HolderName),
        Some(Field::HolderRelation),
        main_kind.unwrap_or(AccountKind::AidCard),
        person.name.as_ref(),
        bank.as_deref(),
        valid_from,
    ) {
        accounts.push(a);
    }
    if let Some(a) = row.account(
        Field::AidCardAccount,
        false,
        Some(Field::AidCardName),
        None,
        AccountKind::AidCard,
        person.name.as_ref(),
        bank.as_deref(),
        valid_from,
    ) {
        match accounts.iter().find(|x| x.kind == AccountKind::AidCard) {
            Some(x) if x.account_no != a.account_no => {
                let col = row.idx.col(Field::AidCardAccount).unwrap_or(0);
                row.issue_at(
                    col,
                    a.account_no.as_str(),
                    format!(
                        "资助卡账号与银行卡号（{}）不一致，无法确定哪一个是资助卡",
                        x.account_no.as_str()
                    ),
                );
            }
            Some(_) => {}
            None => accounts.push(a),
        }
    }
    if let Some(a) = row.account(
        Field::PassbookAccount,
        false,
        Some(Field::PassbookHolder),
        Some(Field::PassbookRelation),
        AccountKind::Passbook,
        person.name.as_ref(),
        bank.as_deref(),
        valid_from,
    ) {
        accounts.push(a);
    }
    row.id_number(Field::HolderId, false);
    row.id_number(Field::PassbookHolderId, false);
    row.text(Field::MentorUnit);
    row.text(Field::MentorPost);

    let enrollment = match (term, grade) {
        (Some(term), Some(grade)) => Some(EnrollmentFacts {
            term,
            school_code,
            school_name,
            grade,
            class_name,
            boarding,
            status,
            out_of_county,
            out_of_county_place,
            student_no,
        }),
        (None, _) => {
            // Reported once per file by the header check; a row-level issue
            // keeps the row out of the registry if it slipped through.
            row.whole_row_issue(
                "没有学期：文件中没有“学期”列，标题中也没有，且未指定学期".to_string(),
            );
            None
        }
        _ => None,
    };
    Some(Parsed::Roster {
        person,
        enrollment,
        guardian,
        accounts,
    })
}

/// False for the placeholder index of a validation without a store.
fn regions_checked(regions: &RegionIndex) -> bool {
    !regions.is_unchecked()
}

/// The roster row's school: its code (which must be in the school
/// register, unless the student studies outside the county), or the code of
/// the school it names, or the file's school.
fn roster_school(row: &mut Row<'_>, rules: &RowRules, out_of_county: bool) -> Option<SchoolCode> {
    let code = row.parse(Field::SchoolCode, false, SchoolCode::parse);
    if let Some(code) = code {
        if rules.check_registry && !out_of_county && !rules.schools.contains(code.as_str()) {
            let col = row.idx.col(Field::SchoolCode).unwrap_or(0);
            row.issue_at(
                col,
                code.as_str(),
                format!(
                    "学校标识码 {} 不在学校名录中；请核对学校标识码，或先导入学校名录（schools）",
                    code.as_str()
                ),
            );
        }
        return Some(code);
    }
    if row
        .issues
        .iter()
        .any(|i| i.col.is_some() && i.col == row.idx.col(Field::SchoolCode))
    {
        return None;
    }
    if let Some(name) = row.text(Field::SchoolName) {
        if out_of_county || !rules.check_registry {
            return rules.school.clone();
        }
        return match rules.schools.resolve(&name) {
            Ok(c) => Some(c),
            Err(reason) => match &rules.school {
                Some(c) => Some(c.clone()),
                None => {
                    let col = row.idx.col(Field::SchoolName).unwrap_or(0);
                    row.issue_at(col, &name, reason);
                    None
                }
            },
        };
    }
    if let Some(c) = &rules.school {
        return Some(c.clone());
    }
    if !out_of_county {
        let col = row
            .idx
            .col(Field::SchoolCode)
            .or(row.idx.col(Field::SchoolName))
            .unwrap_or(0);
        row.issue_at(col, "", "必填项“学校标识码/学校名称”为空");
    }
    None
}

fn household(row: &mut Row<'_>, rules: &RowRules) -> Option<Parsed> {
    if !row.idx.has(Field::Name) && !row.idx.has(Field::IdNumber) {
        return household_level(row, rules);
    }
    // A member list: each row is a person of a household that the
    // household list brought in (or that this row describes in full when
    // the list also carries the household's status).
    let household_no = row.required(Field::HouseholdNo);
    let full = row.idx.has(Field::PovertyStatus);
    let facts = if full {
        household_facts(row, rules, household_no.clone())
    } else {
        None
    };
    row.text(Field::Relation);
    row.text(Field::InSchool);
    row.text(Field::SchoolName);
    row.text(Field::HouseholdSize);
    let person = row.person();
    Some(Parsed::Household {
        household: facts,
        link: household_no,
        person,
    })
}

/// A household-level list: one row per household, with its head.
fn household_level(row: &mut Row<'_>, rules: &RowRules) -> Option<Parsed> {
    let household_no = row.required(Field::HouseholdNo);
    let head_name = row.name(Field::HeadName, true);
    // A registered household is known by its head: the head's ID is what
    // links the household to the other departments' lists.
    if row.idx.has(Field::HeadId) {
        row.required(Field::HeadId);
    }
    let facts = household_facts(row, rules, household_no.clone());
    row.text(Field::HouseholdSize);
    row.phone(Field::Phone);
    let head_id = facts.as_ref().and_then(|f| f.head_id.clone());
    Some(Parsed::Household {
        household: facts,
        link: None,
        person: PersonFacts {
            id: head_id,
            name: head_name,
            ..PersonFacts::default()
        },
    })
}

fn household_facts(
    row: &mut Row<'_>,
    rules: &RowRules,
    household_no: Option<String>,
) -> Option<HouseholdFacts> {
    let region_code = row.region(&rules.regions, true);
    let head_id = row.id_number(Field::HeadId, false);
    let status = row.vocab(
        Field::PovertyStatus,
        false,
        "未脱贫、已脱贫或边缘户",
        parse_poverty_status,
    );
    let lifted_year = row
        .parse(Field::LiftedYear, false, |s| {
            let t = s.trim().trim_end_matches('年');
            match t.parse::<i32>() {
                Ok(y) if (2000..=2100).contains(&y) => Ok(y),
                _ => Err(format!("脱贫年度“{s}”应为 4 位年份，如 2017")),
            }
        })
        .or(status.and_then(|(_, y)| y));
    let dibao = row.boolean(Field::Dibao);
    let tekun = row.boolean(Field::Tekun);
    let cause = row.text(Field::Cause);
    let income = row.parse(Field::Income, false, Fen::parse_yuan);
    Some(HouseholdFacts {
        household_no: household_no?,
        region_code: region_code?,
        head_id,
        status: status.map_or(PovertyStatus::NotLifted, |(s, _)| s),
        lifted_year,
        dibao,
        tekun,
        cause,
        income,
    })
}

fn welfare(row: &mut Row<'_>) -> Option<Parsed> {
    let person = row.person();
    let welfare = row.vocab(
        Field::WelfareType,
        true,
        "城市低保、农村低保、特困供养、孤儿或事实无人抚养儿童",
        WelfareType::parse,
    );
    let household_no = row.text(Field::HouseholdNo);
    row.text(Field::WelfareCertNo);
    row.date(Field::WelfareStart);
    row.text(Field::SupportMode);
    let guardian = row.guardian();
    let head_name = row.name(Field::HeadName, false);
    row.id_number(Field::HeadId, false);
    let relation = row.text(Field::Relation);
    row.text(Field::HouseholdSize);
    row.parse(Field::Amount, false, Fen::parse_yuan);
    let place = [Field::Township, Field::Village]
        .iter()
        .filter_map(|f| row.idx.col(*f).map(|c| row.raw.get(c).display()))
        .collect::<Vec<_>>()
        .join("/");
    let is_head = match (&head_name, &relation) {
        (None, _) => true,
        (_, Some(r)) => matches!(r.as_str(), "户主" | "本人"),
        (Some(h), None) => person
            .name
            .as_ref()
            .is_some_and(|n| n.normalized() == h.normalized()),
    };
    let family = Family {
        place,
        head_name: head_name.map(|h| h.normalized().to_string()),
        is_head,
    };
    let person = PersonFacts {
        orphan: match welfare {
            Some(WelfareType::Orphan | WelfareType::DeFactoOrphan) => Some(true),
            _ => person.orphan,
        },
        ..person
    };
    welfare.map(|welfare| Parsed::Welfare {
        person,
        welfare,
        household_no,
        family,
        guardian,
    })
}

fn accounts(row: &mut Row<'_>, rules: &RowRules) -> Option<Parsed> {
    let name = row.name(Field::Name, true);
    let id = row.id_number(Field::IdNumber, true);
    let kind = row
        .vocab(
            Field::AccountKind,
            false,
            "资助卡、一卡通或明白折",
            parse_account_kind,
        )
        .unwrap_or(AccountKind::AidCard);
    let bank = row.text(Field::BankName);
    let valid_from = row.date(Field::ValidFrom).or(Some(rules.today));
    let account = row.account(
        Field::AccountNo,
        true,
        Some(Field::HolderName),
        Some(Field::HolderRelation),
        kind,
        name.as_ref(),
        bank.as_deref(),
        valid_from,
    );
    row.id_number(Field::HolderId, false);
    row.text(Field::SchoolName);
    row.parse(Field::SchoolCode, false, SchoolCode::parse);
    row.phone(Field::Phone);
    row.address();
    Some(Parsed::Account {
        person: PersonFacts {
            id,
            name,
            ..PersonFacts::default()
        },
        account,
    })
}

fn school(row: &mut Row<'_>, rules: &RowRules) -> Option<Parsed> {
    let code = row.parse(Field::SchoolCode, true, SchoolCode::parse);
    let name = row.required(Field::SchoolName);
    let region_code = row.region(&rules.regions, true);
    let is_public = row
        .vocab(
            Field::Public,
            false,
            "公办或民办（或举办者：教育部门、民办等）",
            parse_public,
        )
        .unwrap_or(true);
    row.parse(Field::StudentCount, false, |s| {
        s.trim()
            .parse::<u32>()
            .map_err(|_| format!("在校生数“{s}”应为整数"))
    });
    row.boolean(Field::KeySchool);
    row.parse(Field::Tuition, false, Fen::parse_yuan);
    let mut stages: Vec<Stage> = Vec::new();
    if let Some(text) = row.text(Field::Stage) {
        for part in text
            .split(['、', ',', '，', '/', '+', ' '])
            .filter(|p| !p.trim().is_empty())
        {
            match Stage::parse(part) {
                Ok(s) if !stages.contains(&s) => stages.push(s),
                Ok(_) => {}
                Err(e) => {
                    let col = row.idx.col(Field::Stage).unwrap_or(0);
                    row.issue_at(col, &text, e.to_string());
                }
            }
        }
    }
    row.text(Field::SchoolCategory);
    row.text(Field::Address);
    row.phone(Field::Phone);
    let (code, name, region_code) = (code?, name?, region_code?);
    if stages.is_empty()
        && let Some(s) = category_stage(code.category())
    {
        stages.push(s);
    }
    Some(Parsed::School(SchoolRecord {
        code,
        name,
        region_code,
        is_public,
        stages,
    }))
}

fn region(row: &mut Row<'_>) -> Option<Parsed> {
    let code = row.parse(Field::RegionCode, true, RegionCode::parse);
    let name = row.required(Field::RegionName);
    let parent = row.parse(Field::ParentCode, false, RegionCode::parse);
    row.text(Field::RegionLevel);
    row.text(Field::UrbanRuralCode);
    let (code, name) = (code?, name?);
    let parent_code = parent.or_else(|| code.parent());
    Some(Parsed::Region(RegionRecord {
        code,
        name,
        parent_code,
    }))
}
