//! The registry facts a policy may look at, and one student's facts for one
//! term.
//!
//! Every fact has a Chinese name that policy rules use (`建档立卡`, `寄宿`,
//! `困难等级` …). The list is closed: a rule naming a fact that is not here
//! is rejected when the policy file is loaded, so a typo can never silently
//! make a policy pay nobody.

use crate::key::{PersonKey, SchoolKey, TownshipKey};
use std::fmt;
use std::sync::Arc;
use zizhu_core::{Fen, Grade, Stage, Term};

/// Whether a household is on the 建档立卡 register and where it stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum PovertyStatus {
    /// Not a registered poor household (非建档立卡).
    #[default]
    NotRegistered,
    /// Registered and not yet lifted out of poverty (未脱贫).
    NotLifted,
    /// Registered and lifted out of poverty in the given calendar year
    /// (已脱贫); whether it still counts is a policy setting (脱贫不脱政策).
    Lifted { year: u16 },
    /// A household on the edge of poverty under monitoring (边缘户).
    Edge,
}

impl PovertyStatus {
    /// 非建档立卡 / 未脱贫 / 2018年已脱贫 / 边缘户.
    pub fn label(&self) -> String {
        match self {
            PovertyStatus::NotRegistered => "非建档立卡".to_string(),
            PovertyStatus::NotLifted => "建档立卡未脱贫".to_string(),
            PovertyStatus::Lifted { year } => format!("建档立卡{year}年已脱贫"),
            PovertyStatus::Edge => "边缘户".to_string(),
        }
    }
}

/// The student's own disability category (残疾类别), as the 残联 records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Disability {
    Visual,
    Hearing,
    Speech,
    Physical,
    Intellectual,
    Mental,
    Multiple,
}

impl Disability {
    /// All categories in the 残联's order.
    pub const ALL: [Disability; 7] = [
        Disability::Visual,
        Disability::Hearing,
        Disability::Speech,
        Disability::Physical,
        Disability::Intellectual,
        Disability::Mental,
        Disability::Multiple,
    ];

    /// 视力 / 听力 / 言语 / 肢体 / 智力 / 精神 / 多重.
    pub fn label(&self) -> &'static str {
        match self {
            Disability::Visual => "视力",
            Disability::Hearing => "听力",
            Disability::Speech => "言语",
            Disability::Physical => "肢体",
            Disability::Intellectual => "智力",
            Disability::Mental => "精神",
            Disability::Multiple => "多重",
        }
    }
}

/// Who runs the school, which decides e.g. whether 学前资助 applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SchoolType {
    /// 公办.
    #[default]
    Public,
    /// 普惠性民办: private but recognised as serving the public at regulated fees.
    InclusivePrivate,
    /// 民办 (not 普惠).
    Private,
}

impl SchoolType {
    pub const ALL: [SchoolType; 3] = [
        SchoolType::Public,
        SchoolType::InclusivePrivate,
        SchoolType::Private,
    ];

    /// 公办 / 普惠性民办 / 民办.
    pub fn label(&self) -> &'static str {
        match self {
            SchoolType::Public => "公办",
            SchoolType::InclusivePrivate => "普惠性民办",
            SchoolType::Private => "民办",
        }
    }
}

/// Family-hardship level (困难等级) as 教财〔2018〕16号 practice names it;
/// ordered so that `Very > Difficult > Somewhat > None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Difficulty {
    /// 不困难.
    #[default]
    None,
    /// 一般困难.
    Somewhat,
    /// 困难.
    Difficult,
    /// 特别困难.
    Very,
}

impl Difficulty {
    pub const ALL: [Difficulty; 4] = [
        Difficulty::None,
        Difficulty::Somewhat,
        Difficulty::Difficult,
        Difficulty::Very,
    ];

    /// 不困难 / 一般困难 / 困难 / 特别困难.
    pub fn label(&self) -> &'static str {
        match self {
            Difficulty::None => "不困难",
            Difficulty::Somewhat => "一般困难",
            Difficulty::Difficult => "困难",
            Difficulty::Very => "特别困难",
        }
    }
}

/// The state of the student's bank account (资助卡 / 一卡通 / 明白折).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BankAccount {
    /// No account on file.
    Missing,
    /// An account whose number passes the Luhn check.
    Valid,
    /// A number is on file but fails the length or Luhn check.
    CheckFailed,
}

impl BankAccount {
    pub const ALL: [BankAccount; 3] = [
        BankAccount::Valid,
        BankAccount::Missing,
        BankAccount::CheckFailed,
    ];

    /// Classifies a card number as typed: empty is `Missing`, 16–19 digits
    /// passing Luhn is `Valid`, anything else is `CheckFailed`.
    pub fn from_card_number(number: &str) -> BankAccount {
        let digits: String = number.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.is_empty() {
            BankAccount::Missing
        } else if (16..=19).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && zizhu_core::luhn_valid(&digits)
        {
            BankAccount::Valid
        } else {
            BankAccount::CheckFailed
        }
    }

    /// 有效 / 无 / 校验失败.
    pub fn label(&self) -> &'static str {
        match self {
            BankAccount::Valid => "有效",
            BankAccount::Missing => "无",
            BankAccount::CheckFailed => "校验失败",
        }
    }
}

/// A school's recognition (学校认定) that overrides the derived hardship
/// level, with the reason the school recorded.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Recognition {
    pub level: Difficulty,
    pub reason: Arc<str>,
}

/// One recorded source: for one fact, or (`None`) for the whole record.
type SourceEntry = (Option<Fact>, Box<str>);

/// Where the value of a fact came from, e.g. `roster.xlsx!学籍!第12行`.
///
/// Most facts of a student come from one roster row, and a few from other
/// departments' lists (the poverty office, the disabled persons'
/// federation). So a record carries one default source and per-fact
/// overrides, shared behind an `Arc` so that copying a student's facts into a
/// result never allocates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sources(Option<Arc<[SourceEntry]>>);

impl Sources {
    /// No sources recorded.
    pub fn none() -> Sources {
        Sources(None)
    }

    /// Every fact comes from `record` unless overridden with [`Sources::with`].
    pub fn record(record: &str) -> Sources {
        Sources(Some(Arc::from(vec![(None, Box::from(record))])))
    }

    /// Adds (or replaces) the source of one fact.
    pub fn with(self, fact: Fact, source: &str) -> Sources {
        let mut v: Vec<SourceEntry> = match self.0 {
            Some(a) => a
                .iter()
                .filter(|(f, _)| *f != Some(fact))
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        v.push((Some(fact), Box::from(source)));
        Sources(Some(Arc::from(v)))
    }

    /// The source of `fact`: its own if recorded, else the record's.
    pub fn of(&self, fact: Fact) -> Option<&str> {
        let entries = self.0.as_deref()?;
        entries
            .iter()
            .find(|(f, _)| *f == Some(fact))
            .or_else(|| entries.iter().find(|(f, _)| f.is_none()))
            .map(|(_, s)| &**s)
    }
}

/// A short list of policy codes (a school's nominations or choices); shared
/// behind an `Arc` for the same reason as [`Sources`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Codes(Option<Arc<[crate::key::PolicyCode]>>);

impl Codes {
    pub fn none() -> Codes {
        Codes(None)
    }

    pub fn of(codes: &[crate::key::PolicyCode]) -> Codes {
        if codes.is_empty() {
            Codes(None)
        } else {
            Codes(Some(Arc::from(codes)))
        }
    }

    pub fn contains(&self, code: crate::key::PolicyCode) -> bool {
        self.0.as_deref().is_some_and(|c| c.contains(&code))
    }

    pub fn as_slice(&self) -> &[crate::key::PolicyCode] {
        self.0.as_deref().unwrap_or(&[])
    }
}

/// One student's facts for one term, as the registry (or, for 县外就读,
/// the school attended in another county) gives them.
///
/// `Option` fields may be unknown; a policy that needs an unknown fact is
/// not silently skipped but reported as 信息缺失 naming the fact.
#[derive(Clone, Debug, PartialEq)]
pub struct StudentFacts {
    /// The person, stable across terms (ID number or 学籍号).
    pub person: PersonKey,
    /// The term these facts describe; [`crate::entitle`] ignores other terms.
    pub term: Term,
    /// The school attended (学校标识码); for 县外就读, the other county's school.
    pub school: SchoolKey,
    /// The township the student is registered under, for grouping reports.
    pub township: TownshipKey,
    pub school_type: SchoolType,
    /// Whether the school is a special-education school (特教学校).
    pub special_school: bool,
    /// The school's 学杂费 standard per term, for fee waivers that follow it.
    pub school_fee_per_term: Option<Fen>,
    pub grade: Grade,
    /// 寄宿; unknown for a 县外就读 student whose school has not said.
    pub boarding: Option<bool>,
    /// 县外就读: studying outside the county of household registration.
    pub out_of_county: bool,
    /// 学籍确认: the school has confirmed the enrollment for this term.
    pub enrollment_confirmed: Option<bool>,
    pub bank_account: Option<BankAccount>,
    pub poverty: PovertyStatus,
    /// 低保 (最低生活保障家庭).
    pub dibao: bool,
    /// 特困供养.
    pub tekun: bool,
    /// 孤儿.
    pub orphan: bool,
    /// 烈士子女.
    pub martyr_child: bool,
    /// The student's own disability, if any.
    pub disability: Option<Disability>,
    /// 残疾人子女: a parent holds a disability certificate.
    pub parent_disabled: bool,
    /// 留守儿童.
    pub left_behind: bool,
    /// 农村户籍 (户口性质 = 农业/农村).
    pub rural_hukou: bool,
    /// 涉农专业 (中职 agriculture-related major).
    pub agri_major: bool,
    /// 学校认定: overrides the derived hardship level.
    pub recognition: Option<Recognition>,
    /// 生源地信用助学贷款: the amount applied for this school year.
    pub loan_applied: Option<Fen>,
    /// Policies the school nominated the student for (e.g. 国家奖学金评选).
    pub nominated: Codes,
    /// For strict exclusivity groups: the policy the student or school chose.
    pub chosen: Codes,
    pub sources: Sources,
}

impl StudentFacts {
    /// A student with every optional fact unknown or false, to be filled in.
    pub fn new(
        person: PersonKey,
        term: Term,
        school: SchoolKey,
        township: TownshipKey,
        grade: Grade,
    ) -> StudentFacts {
        StudentFacts {
            person,
            term,
            school,
            township,
            school_type: SchoolType::Public,
            special_school: false,
            school_fee_per_term: None,
            grade,
            boarding: None,
            out_of_county: false,
            enrollment_confirmed: None,
            bank_account: None,
            poverty: PovertyStatus::NotRegistered,
            dibao: false,
            tekun: false,
            orphan: false,
            martyr_child: false,
            disability: None,
            parent_disabled: false,
            left_behind: false,
            rural_hukou: false,
            agri_major: false,
            recognition: None,
            loan_applied: None,
            nominated: Codes::none(),
            chosen: Codes::none(),
            sources: Sources::none(),
        }
    }

    pub fn stage(&self) -> Stage {
        self.grade.stage()
    }
}

/// The value type of a fact, which decides how a rule may use it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactType {
    /// 是/否; usable on its own in a rule.
    Bool,
    /// A whole number such as 年级 or 脱贫年份.
    Int,
    /// An amount in 元 (stored as fen).
    Money,
    /// One of a fixed list of Chinese values.
    Enum(EnumKind),
}

/// The closed value lists of enum facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnumKind {
    Difficulty,
    Disability,
    SchoolType,
    Stage,
    BankAccount,
}

impl EnumKind {
    /// The Chinese values, in order (the order matters for `>=` on ordered kinds).
    pub fn values(self) -> Vec<&'static str> {
        match self {
            EnumKind::Difficulty => Difficulty::ALL.iter().map(|d| d.label()).collect(),
            EnumKind::Disability => Disability::ALL.iter().map(|d| d.label()).collect(),
            EnumKind::SchoolType => SchoolType::ALL.iter().map(|d| d.label()).collect(),
            EnumKind::Stage => Stage::ALL.iter().map(|s| s.label()).collect(),
            EnumKind::BankAccount => BankAccount::ALL.iter().map(|b| b.label()).collect(),
        }
    }

    /// Whether `<`, `>` and friends make sense (困难等级, 学段).
    pub fn ordered(self) -> bool {
        matches!(self, EnumKind::Difficulty | EnumKind::Stage)
    }

    /// Finds a value by its Chinese name (simplified, already normalised);
    /// stages also accept the aliases core understands (高中, 普高 …).
    pub fn parse_value(self, text: &str) -> Option<u8> {
        if let Some(i) = self.values().iter().position(|v| *v == text) {
            return u8::try_from(i).ok();
        }
        match self {
            EnumKind::Stage => Stage::parse(text)
                .ok()
                .and_then(|s| Stage::ALL.iter().position(|x| *x == s))
                .and_then(|i| u8::try_from(i).ok()),
            EnumKind::Difficulty if text == "一般" => Some(1),
            EnumKind::BankAccount if text == "没有" || text == "缺失" => Some(1),
            _ => None,
        }
    }

    /// The Chinese name of value `v`.
    pub fn label(self, v: u8) -> &'static str {
        self.values().get(usize::from(v)).copied().unwrap_or("？")
    }
}

macro_rules! facts {
    ($( $variant:ident => $name:literal, $ty:expr, [$($alias:literal),*], $doc:literal; )*) => {
        /// A fact a rule may name. Derived facts (农村低保, 家庭经济困难 …) are
        /// computed from the stored ones so that a rule can say what the
        /// policy document says.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Fact {
            $( #[doc = $doc] $variant, )*
        }

        impl Fact {
            /// Every fact, in the order the README documents them.
            pub const ALL: &'static [Fact] = &[$(Fact::$variant),*];

            /// The Chinese name rules use.
            pub fn name(self) -> &'static str {
                match self { $(Fact::$variant => $name,)* }
            }

            pub fn fact_type(self) -> FactType {
                match self { $(Fact::$variant => $ty,)* }
            }

            /// Other spellings accepted in rules (simplified; traditional
            /// characters are converted before lookup).
            pub fn aliases(self) -> &'static [&'static str] {
                match self { $(Fact::$variant => &[$($alias),*],)* }
            }

            /// What the fact means, in Chinese, for the README and `explain`.
            pub fn doc(self) -> &'static str {
                match self { $(Fact::$variant => $doc,)* }
            }
        }
    };
}

use EnumKind as E;
use FactType::{Bool, Int, Money};

facts! {
    Poor => "建档立卡", Bool, ["建档立卡户", "建档立卡贫困户", "建档立卡学生", "贫困户"],
        "建档立卡贫困家庭学生：未脱贫，或已脱贫但按政策文件的“脱贫不脱政策”设置仍计入";
    NotLifted => "未脱贫", Bool, [], "建档立卡且尚未脱贫";
    Lifted => "已脱贫", Bool, ["脱贫户"], "建档立卡且已脱贫（不论哪一年）";
    LiftedYear => "脱贫年份", Int, [], "已脱贫户的脱贫年份；非已脱贫户比较时一律不成立";
    Edge => "边缘户", Bool, ["边缘易致贫户", "监测户"], "脱贫不稳定户或边缘易致贫户";
    Dibao => "低保", Bool, ["低保户", "最低生活保障", "低保家庭"], "最低生活保障家庭（城市或农村）";
    RuralDibao => "农村低保", Bool, [], "低保且农村户籍";
    UrbanDibao => "城市低保", Bool, [], "低保且非农村户籍";
    Tekun => "特困供养", Bool, ["特困", "特困救助供养", "特困供养人员"], "特困供养（城市或农村）";
    RuralTekun => "农村特困供养", Bool, ["农村特困", "农村特困救助供养"], "特困供养且农村户籍";
    UrbanTekun => "城市特困供养", Bool, ["城市特困"], "特困供养且非农村户籍";
    Orphan => "孤儿", Bool, [], "孤儿（含事实孤儿）";
    Disabled => "残疾", Bool, ["残疾学生", "残疾儿童"], "学生本人持有残疾证";
    DisabilityKind => "残疾类别", FactType::Enum(E::Disability), [],
        "学生本人的残疾类别：视力、听力、言语、肢体、智力、精神、多重";
    ParentDisabled => "残疾人子女", Bool, [], "父母持有残疾证";
    MartyrChild => "烈士子女", Bool, [], "烈士子女";
    LeftBehind => "留守儿童", Bool, ["留守"], "留守儿童";
    RuralHukou => "农村户籍", Bool, ["农业户口", "农村户口"], "户口性质为农业（农村）";
    DifficultyLevel => "困难等级", FactType::Enum(E::Difficulty), ["认定等级"],
        "家庭经济困难等级：特别困难、困难、一般困难、不困难；按政策文件的认定规则从特殊群体推出，学校认定可覆盖";
    Hardship => "家庭经济困难", Bool, ["经济困难", "困难学生"], "困难等级为一般困难及以上";
    StageFact => "学段", FactType::Enum(E::Stage), [], "学前、小学、初中、普通高中、中职、高职本专科";
    GradeFact => "年级", Int, [], "学段内的年级，从 1 起（七年级为初中 1 年级）";
    Boarding => "寄宿", Bool, ["寄宿生", "住校"], "本学期寄宿";
    OutOfCounty => "县外就读", Bool, ["县外", "外县就读"], "在户籍所在县以外的学校就读";
    SchoolTypeFact => "学校类型", FactType::Enum(E::SchoolType), ["办学性质"], "公办、普惠性民办、民办";
    PublicSchool => "公办学校", Bool, ["公办园"], "学校类型为公办";
    InclusivePrivate => "普惠性民办", Bool, ["普惠园", "普惠性民办园"], "学校类型为普惠性民办";
    SpecialSchool => "特教学校", Bool, ["特殊教育学校"], "就读于特殊教育学校";
    SchoolFee => "学杂费", Money, ["学费标准", "学杂费标准"], "学校每学期的学杂费标准（元）";
    AgriMajor => "涉农专业", Bool, [], "中职涉农专业";
    Enrolled => "学籍确认", Bool, ["在籍", "学籍已确认"], "学校已确认本学期学籍";
    Bank => "银行账户", FactType::Enum(E::BankAccount), ["银行卡", "资助卡"], "有效、无、校验失败";
    LoanApplied => "申请金额", Money, ["贷款申请金额"], "生源地信用助学贷款本学年申请金额（元）";
    Nominated => "学校推荐", Bool, ["学校评选", "推荐"], "学校已推荐（评选）该生享受本项政策";
}

/// A set of facts as a bit mask; there are fewer than 64 facts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FactSet(pub u64);

impl FactSet {
    pub const EMPTY: FactSet = FactSet(0);

    pub fn of(facts: &[Fact]) -> FactSet {
        let mut s = FactSet::EMPTY;
        for f in facts {
            s.insert(*f);
        }
        s
    }

    pub fn insert(&mut self, f: Fact) {
        self.0 |= 1u64 << (f as u32);
    }

    pub fn contains(self, f: Fact) -> bool {
        self.0 & (1u64 << (f as u32)) != 0
    }

    pub fn union(self, o: FactSet) -> FactSet {
        FactSet(self.0 | o.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The facts in declaration order.
    pub fn iter(self) -> impl Iterator<Item = Fact> {
        Fact::ALL.iter().copied().filter(move |f| self.contains(*f))
    }

    /// `寄宿、学籍确认`.
    pub fn names(self) -> String {
        self.iter().map(Fact::name).collect::<Vec<_>>().join("、")
    }
}

impl fmt::Display for Fact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Looks a fact up by name or alias; `name` must already be normalised
/// (simplified, half-width, no spaces).
pub fn fact_by_name(name: &str) -> Option<Fact> {
    Fact::ALL
        .iter()
        .copied()
        .find(|f| f.name() == name || f.aliases().contains(&name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fact_table_fits_a_mask_and_names_are_unique() {
        assert!(Fact::ALL.len() < 64);
        let mut names: Vec<&str> = Fact::ALL
            .iter()
            .flat_map(|f| std::iter::once(f.name()).chain(f.aliases().iter().copied()))
            .collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "a fact name or alias is used twice");
    }

    #[test]
    fn bank_account_classification() {
        assert_eq!(
            BankAccount::from_card_number("622848123456789012"),
            BankAccount::Valid
        );
        assert_eq!(
            BankAccount::from_card_number("621700123456789012"),
            BankAccount::CheckFailed
        );
        assert_eq!(BankAccount::from_card_number("  "), BankAccount::Missing);
        assert_eq!(
            BankAccount::from_card_number("1234"),
            BankAccount::CheckFailed
        );
    }

    #[test]
    fn sources_fall_back_to_the_record() {
        let s = Sources::record("roster.xlsx!学籍!第12行").with(Fact::Poor, "扶贫办.xlsx!第3行");
        assert_eq!(s.of(Fact::Poor), Some("扶贫办.xlsx!第3行"));
        assert_eq!(s.of(Fact::Boarding), Some("roster.xlsx!学籍!第12行"));
        assert_eq!(Sources::none().of(Fact::Poor), None);
    }
}
