//! The policy model: what a loaded, validated policy file contains.
//!
//! Nothing here is built except by [`crate::PolicySet::load`], so a
//! `PolicySet` that exists has passed every check in `load.rs`.

use crate::facts::{Difficulty, Fact, FactSet, PovertyStatus};
use crate::key::{PolicyCode, SchoolKey};
use crate::rule::{Ctx, Rule, Tri};
use std::fmt;
use zizhu_core::{Fen, Grade, Season, Stage, Term};

/// 补、助、免、奖、贷.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// 补: living subsidies (生活补助).
    Subsidy,
    /// 助: grants (助学金).
    Grant,
    /// 免: fee waivers (免学费、免学杂费).
    Waiver,
    /// 奖: scholarships (奖学金).
    Award,
    /// 贷: loans (助学贷款).
    Loan,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::Subsidy,
        Category::Grant,
        Category::Waiver,
        Category::Award,
        Category::Loan,
    ];

    /// 补 / 助 / 免 / 奖 / 贷.
    pub fn label(&self) -> &'static str {
        match self {
            Category::Subsidy => "补",
            Category::Grant => "助",
            Category::Waiver => "免",
            Category::Award => "奖",
            Category::Loan => "贷",
        }
    }

    /// Accepts the single character in either script.
    pub fn parse(s: &str) -> Option<Category> {
        match s.trim() {
            "补" | "補" => Some(Category::Subsidy),
            "助" => Some(Category::Grant),
            "免" => Some(Category::Waiver),
            "奖" | "獎" => Some(Category::Award),
            "贷" | "貸" => Some(Category::Loan),
            _ => None,
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Which government level or body runs the programme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    National,
    Province,
    City,
    County,
    /// 社会: foundations and donors (教育基金会、泛海助学 …).
    Social,
}

impl Level {
    /// 国家 / 省 / 市 / 县 / 社会.
    pub fn label(&self) -> &'static str {
        match self {
            Level::National => "国家",
            Level::Province => "省",
            Level::City => "市",
            Level::County => "县",
            Level::Social => "社会",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        match s.trim() {
            "国家" | "國家" | "中央" => Some(Level::National),
            "省" | "省级" => Some(Level::Province),
            "市" | "市级" => Some(Level::City),
            "县" | "縣" | "县级" => Some(Level::County),
            "社会" | "社會" | "基金会" | "基金會" => Some(Level::Social),
            _ => None,
        }
    }
}

/// How the money reaches the student.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaymentMode {
    /// 打卡: paid to the student's bank account; needs a valid account.
    ToCard,
    /// 免除: the school does not charge the fee; no account needed.
    FeeWaiver,
    /// 贷款: a loan disbursed by the bank; no grant money.
    Loan,
}

impl PaymentMode {
    /// 打卡 / 免除 / 贷款.
    pub fn label(&self) -> &'static str {
        match self {
            PaymentMode::ToCard => "打卡",
            PaymentMode::FeeWaiver => "免除",
            PaymentMode::Loan => "贷款",
        }
    }

    pub fn parse(s: &str) -> Option<PaymentMode> {
        match s.trim() {
            "打卡" | "打卡发放" | "发放到卡" => Some(PaymentMode::ToCard),
            "免除" | "减免" | "直接减免" => Some(PaymentMode::FeeWaiver),
            "贷款" | "貸款" => Some(PaymentMode::Loan),
            _ => None,
        }
    }
}

/// Who pays which share.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FundingLevel {
    Central,
    Province,
    City,
    County,
    /// 社会: foundation or donor money, or for a loan the lending bank.
    Other,
}

impl FundingLevel {
    pub const ALL: [FundingLevel; 5] = [
        FundingLevel::Central,
        FundingLevel::Province,
        FundingLevel::City,
        FundingLevel::County,
        FundingLevel::Other,
    ];

    /// 中央 / 省 / 市 / 县 / 社会.
    pub fn label(&self) -> &'static str {
        match self {
            FundingLevel::Central => "中央",
            FundingLevel::Province => "省",
            FundingLevel::City => "市",
            FundingLevel::County => "县",
            FundingLevel::Other => "社会",
        }
    }

    /// The key used in the policy file's `funding` table.
    pub fn key(&self) -> &'static str {
        match self {
            FundingLevel::Central => "central",
            FundingLevel::Province => "province",
            FundingLevel::City => "city",
            FundingLevel::County => "county",
            FundingLevel::Other => "other",
        }
    }
}

/// Funding shares in per-mille, summing to exactly 1000.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Funding {
    per_mille: [u16; 5],
}

/// An amount split by funding level; the parts sum exactly to the amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct FundingSplit(pub [Fen; 5]);

impl FundingSplit {
    pub fn get(&self, level: FundingLevel) -> Fen {
        self.0[level as usize]
    }

    pub fn total(&self) -> Fen {
        Fen(self.0.iter().map(|f| f.0).sum())
    }

    /// `中央 900.00 元，县 100.00 元` (zero shares left out).
    pub fn describe(&self) -> String {
        let parts: Vec<String> = FundingLevel::ALL
            .iter()
            .filter(|l| self.get(**l) != Fen::ZERO)
            .map(|l| format!("{} {} 元", l.label(), self.get(*l).fmt_yuan()))
            .collect();
        if parts.is_empty() {
            "无".to_string()
        } else {
            parts.join("，")
        }
    }
}

impl Funding {
    /// Shares in per-mille in the order 中央、省、市、县、社会; `None` unless
    /// they sum to exactly 1000.
    pub fn new(per_mille: [u16; 5]) -> Option<Funding> {
        (per_mille.iter().map(|x| u32::from(*x)).sum::<u32>() == 1000)
            .then_some(Funding { per_mille })
    }

    pub fn per_mille(&self, level: FundingLevel) -> u16 {
        self.per_mille[level as usize]
    }

    /// Splits `amount` by the shares with the largest-remainder method, so
    /// that the parts are within one fen of the exact shares and always sum
    /// to the amount. Ties go to the earlier level (中央 first).
    pub fn split(&self, amount: Fen) -> FundingSplit {
        let negative = amount.0 < 0;
        let total = i128::from(amount.0).abs();
        let mut parts = [0i128; 5];
        let mut rems = [0i128; 5];
        for i in 0..5 {
            let exact = total * i128::from(self.per_mille[i]);
            parts[i] = exact / 1000;
            rems[i] = exact % 1000;
        }
        let mut left = total - parts.iter().sum::<i128>();
        let mut order: [usize; 5] = [0, 1, 2, 3, 4];
        order.sort_by_key(|i| (std::cmp::Reverse(rems[*i]), *i));
        for i in order {
            if left == 0 {
                break;
            }
            if rems[i] > 0 {
                parts[i] += 1;
                left -= 1;
            }
        }
        let mut out = [Fen::ZERO; 5];
        for i in 0..5 {
            // Each part is at most |amount|, which came from an i64.
            let v = i64::try_from(parts[i]).unwrap_or(i64::MAX);
            out[i] = Fen(if negative { -v } else { v });
        }
        FundingSplit(out)
    }

    /// `中央 600‰、省 300‰、县 100‰`.
    pub fn describe(&self) -> String {
        FundingLevel::ALL
            .iter()
            .filter(|l| self.per_mille(**l) > 0)
            .map(|l| format!("{} {}‰", l.label(), self.per_mille(*l)))
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// Whether a household lifted out of poverty still counts as 建档立卡.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct PovertyRule {
    /// 脱贫不脱政策: lifted households count in every term of a calendar
    /// year up to and including this one (Hunan: 2020).
    pub keep_policy_through: Option<i32>,
    /// Lifted households count for this many calendar years after the year
    /// they were lifted (0 = only the year of lifting).
    pub grace_years: Option<u16>,
}

impl PovertyRule {
    /// Whether `status` counts as 建档立卡 in `term`.
    pub fn counts(&self, status: PovertyStatus, term: Term) -> bool {
        match status {
            PovertyStatus::NotLifted => true,
            PovertyStatus::Lifted { year } => {
                self.keep_policy_through.is_some_and(|k| term.year() <= k)
                    || self
                        .grace_years
                        .is_some_and(|g| term.year() <= i32::from(year) + i32::from(g))
            }
            PovertyStatus::NotRegistered | PovertyStatus::Edge => false,
        }
    }

    /// The setting in Chinese, for explanations.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(k) = self.keep_policy_through {
            parts.push(format!(
                "已脱贫户在 {k} 年底前仍按建档立卡享受（脱贫不脱政策）"
            ));
        }
        if let Some(g) = self.grace_years {
            if g == 0 {
                parts.push("已脱贫户在脱贫当年仍按建档立卡享受".to_string());
            } else {
                parts.push(format!("已脱贫户在脱贫后 {g} 年内仍按建档立卡享受"));
            }
        }
        if parts.is_empty() {
            "已脱贫户不再按建档立卡享受".to_string()
        } else {
            parts.join("；")
        }
    }
}

/// How the hardship level is derived from the special groups (教财〔2018〕16号
/// names the groups; the mapping to levels is each province's practice and
/// so lives in the policy file).
#[derive(Clone, Debug)]
pub struct DifficultyRules {
    pub very_difficult: Rule,
    pub difficult: Rule,
    pub somewhat_difficult: Rule,
}

impl DifficultyRules {
    /// The level for the student in `ctx` (whose own `difficulty` is
    /// ignored) before any 学校认定, and the rule that decided it.
    pub fn derive(&self, ctx: &Ctx<'_>) -> (Difficulty, Option<&Rule>) {
        for (level, rule) in [
            (Difficulty::Very, &self.very_difficult),
            (Difficulty::Difficult, &self.difficult),
            (Difficulty::Somewhat, &self.somewhat_difficult),
        ] {
            if rule.holds(ctx) == Tri::Yes {
                return (level, Some(rule));
            }
        }
        (Difficulty::None, None)
    }

    pub fn facts(&self) -> FactSet {
        self.very_difficult
            .facts()
            .union(self.difficult.facts())
            .union(self.somewhat_difficult.facts())
    }
}

/// How much one entitlement is worth in one term.
#[derive(Clone, Debug)]
pub enum Amount {
    /// The same amount every term the policy pays.
    PerTerm(Fen),
    /// A yearly amount divided over the terms the policy pays in; with two
    /// terms the autumn term takes the odd fen, if any.
    PerYear(Fen),
    /// The school's 学杂费 standard per term (学杂费 fact).
    SchoolFee,
    /// What the student applied for, capped (a loan).
    Applied {
        cap_per_year: Fen,
        min_per_year: Fen,
    },
    /// Rows by school, stage and grade; the most specific matching row wins.
    Table(Vec<AmountRow>),
    /// Tiers tried in order; the first whose condition holds decides.
    Tiers(Vec<Tier>),
}

/// One row of an amount table; empty keys match everything.
#[derive(Clone, Debug)]
pub struct AmountRow {
    pub school: Option<SchoolKey>,
    pub stage: Option<Stage>,
    pub grade: Option<u8>,
    pub amount: Amount,
}

impl AmountRow {
    pub(crate) fn matches(&self, school: SchoolKey, grade: Grade) -> bool {
        self.school.is_none_or(|s| s == school)
            && self.stage.is_none_or(|s| s == grade.stage())
            && self.grade.is_none_or(|g| g == grade.year())
    }

    /// More keys given = more specific; the school counts most.
    pub(crate) fn specificity(&self) -> u8 {
        u8::from(self.school.is_some()) * 4
            + u8::from(self.stage.is_some()) * 2
            + u8::from(self.grade.is_some())
    }
}

/// One tier of a tiered amount.
#[derive(Clone, Debug)]
pub struct Tier {
    pub name: String,
    pub when: Rule,
    pub amount: Amount,
}

/// Where a quota's size comes from.
#[derive(Clone, Debug)]
pub enum QuotaSize {
    /// Per-mille of the base: all students in the policy's stages and grades
    /// in the scope, eligible or not.
    PerMille(u16),
    /// A fixed number per scope unit.
    Count(u32),
    /// A number per school (指标分配), with a default for unlisted schools.
    PerSchool {
        counts: Vec<(SchoolKey, u32)>,
        default: u32,
    },
}

/// The unit a quota is counted in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QuotaScope {
    School,
    Township,
    /// The whole population passed to [`crate::entitle`].
    All,
}

impl QuotaScope {
    pub fn label(&self) -> &'static str {
        match self {
            QuotaScope::School => "学校",
            QuotaScope::Township => "乡镇",
            QuotaScope::All => "全县",
        }
    }
}

/// How a per-mille quota is rounded to whole students.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rounding {
    Up,
    Down,
    Nearest,
}

impl Rounding {
    pub fn label(&self) -> &'static str {
        match self {
            Rounding::Up => "向上取整",
            Rounding::Down => "向下取整",
            Rounding::Nearest => "四舍五入",
        }
    }

    /// `base × per_mille / 1000`, rounded, in integers.
    pub fn apply(&self, base: u64, per_mille: u16) -> u64 {
        let n = base * u64::from(per_mille);
        match self {
            Rounding::Up => n.div_ceil(1000),
            Rounding::Down => n / 1000,
            Rounding::Nearest => (n + 500) / 1000,
        }
    }
}

/// A limit on how many students a policy may pay, with the order in which
/// eligible students are selected.
#[derive(Clone, Debug)]
pub struct Quota {
    pub size: QuotaSize,
    pub scope: QuotaScope,
    pub rounding: Rounding,
    /// Students for whom the policy is guaranteed (全覆盖): they take places
    /// first and are never refused for lack of places.
    pub guaranteed: Option<Rule>,
    /// Selection order: students meeting an earlier rule go first; then
    /// higher hardship level; then person key, so the result is reproducible.
    pub order: Vec<Rule>,
}

/// A group of policies of which a student may receive only one.
#[derive(Clone, Debug)]
pub struct ExclusiveGroup {
    pub name: String,
    /// Policy indices in priority order.
    pub members: Vec<usize>,
    /// Strict groups refuse to choose: a student eligible for two members is
    /// blocked (叠加规则冲突) until the school records a choice.
    pub strict: bool,
    pub line: usize,
}

/// One aid policy.
#[derive(Clone, Debug)]
pub struct Policy {
    pub code: PolicyCode,
    pub name: String,
    pub category: Category,
    pub level: Level,
    pub stages: Vec<Stage>,
    /// Grades within the stage (1-based); empty means all grades.
    pub grades: Vec<u8>,
    pub eligible: Rule,
    pub amount: Amount,
    pub quota: Option<Quota>,
    pub funding: Funding,
    pub payment: PaymentMode,
    pub valid_from: Option<Term>,
    pub valid_to: Option<Term>,
    /// The seasons the policy pays in.
    pub seasons: Vec<Season>,
    pub enabled: bool,
    pub poverty: PovertyRule,
    pub note: String,
    /// The line of the policy's `[[policy]]` header.
    pub line: usize,
    /// Facts whose change can change this policy's entitlement (for diff).
    pub(crate) relevant: FactSet,
}

/// Why a policy does not run in a term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inactive {
    Disabled,
    NotYet(Term),
    Ended(Term),
    Season(Season),
}

impl Inactive {
    pub fn describe(&self) -> String {
        match self {
            Inactive::Disabled => "政策文件中未启用（enabled = false）".to_string(),
            Inactive::NotYet(t) => format!("尚未生效（{} 起执行）", term_label(*t)),
            Inactive::Ended(t) => format!("已停止执行（执行至 {}）", term_label(*t)),
            Inactive::Season(s) => format!("{}季学期不发放", s.label()),
        }
    }
}

/// `2018秋`.
pub fn term_label(t: Term) -> String {
    format!("{}{}", t.year(), t.season().label())
}

impl Policy {
    /// Whether the policy pays in `term`, or why not.
    pub fn active_in(&self, term: Term) -> Result<(), Inactive> {
        if !self.enabled {
            return Err(Inactive::Disabled);
        }
        if let Some(f) = self.valid_from.filter(|f| term < *f) {
            return Err(Inactive::NotYet(f));
        }
        if let Some(t) = self.valid_to.filter(|t| term > *t) {
            return Err(Inactive::Ended(t));
        }
        if !self.seasons.contains(&term.season()) {
            return Err(Inactive::Season(term.season()));
        }
        Ok(())
    }

    /// Whether the policy covers the stage and grade.
    pub fn covers(&self, grade: Grade) -> bool {
        self.stages.contains(&grade.stage())
            && (self.grades.is_empty() || self.grades.contains(&grade.year()))
    }

    /// `小学、初中` and `（1、2 年级）`.
    pub fn scope_label(&self) -> String {
        let stages: Vec<&str> = self.stages.iter().map(|s| s.label()).collect();
        let mut s = stages.join("、");
        if !self.grades.is_empty() {
            let g: Vec<String> = self.grades.iter().map(|g| g.to_string()).collect();
            s.push_str(&format!("（{} 年级）", g.join("、")));
        }
        s
    }

    /// The facts a change of which could change this policy's result.
    pub fn relevant_facts(&self) -> FactSet {
        self.relevant
    }

    /// The yearly amount as the file states it, divided over the policy's terms.
    pub(crate) fn per_term_of_year(&self, year: Fen, season: Season) -> Fen {
        let n = self.seasons.len().max(1) as i64;
        let base = year.0 / n;
        let extra = year.0 % n;
        // The odd fen of an uneven split goes to the autumn term, which
        // opens the school year.
        if season == Season::Autumn {
            Fen(base + extra)
        } else {
            Fen(base)
        }
    }
}

/// A complete, validated policy file.
#[derive(Clone, Debug)]
pub struct PolicySet {
    pub file_name: String,
    pub province: String,
    pub year: i32,
    pub title: String,
    pub poverty: PovertyRule,
    pub difficulty: DifficultyRules,
    pub policies: Vec<Policy>,
    pub exclusive: Vec<ExclusiveGroup>,
}

impl PolicySet {
    /// The policy with `code`.
    pub fn get(&self, code: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.code.as_str() == code)
    }

    /// The index of the policy with `code`.
    pub fn index_of(&self, code: PolicyCode) -> Option<usize> {
        self.policies.iter().position(|p| p.code == code)
    }

    /// The exclusivity group a policy belongs to, if any.
    pub fn group_of(&self, policy: usize) -> Option<&ExclusiveGroup> {
        self.exclusive.iter().find(|g| g.members.contains(&policy))
    }
}

/// Facts that derive from the registry alone and are never unknown; only
/// these may appear in the hardship-level rules, which run before any policy.
pub(crate) fn registry_only(f: Fact) -> bool {
    !matches!(
        f,
        Fact::DifficultyLevel
            | Fact::Hardship
            | Fact::Boarding
            | Fact::Enrolled
            | Fact::Bank
            | Fact::SchoolFee
            | Fact::LoanApplied
            | Fact::Nominated
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_uses_largest_remainder() {
        let f = Funding::new([333, 333, 0, 334, 0]).unwrap();
        let s = f.split(Fen(100));
        assert_eq!(s.total(), Fen(100));
        assert_eq!(s.0, [Fen(33), Fen(33), Fen(0), Fen(34), Fen(0)]);
        let f = Funding::new([500, 500, 0, 0, 0]).unwrap();
        assert_eq!(f.split(Fen(1)).0, [Fen(1), Fen(0), Fen(0), Fen(0), Fen(0)]);
        assert_eq!(f.split(Fen(-3)).total(), Fen(-3));
        assert!(Funding::new([600, 300, 0, 0, 0]).is_none());
    }

    #[test]
    fn poverty_rule_counts_lifted_households_by_setting() {
        let t2018 = Term::new(2018, Season::Autumn);
        let this_year = PovertyStatus::Lifted { year: 2018 };
        let last_year = PovertyStatus::Lifted { year: 2017 };
        let strict = PovertyRule::default();
        let same_year = PovertyRule {
            keep_policy_through: None,
            grace_years: Some(0),
        };
        let hunan = PovertyRule {
            keep_policy_through: Some(2020),
            grace_years: None,
        };
        assert!(!strict.counts(this_year, t2018));
        assert!(same_year.counts(this_year, t2018));
        assert!(!same_year.counts(last_year, t2018));
        assert!(hunan.counts(last_year, t2018));
        assert!(!hunan.counts(last_year, Term::new(2021, Season::Spring)));
        assert!(hunan.counts(PovertyStatus::NotLifted, Term::new(2030, Season::Spring)));
    }

    #[test]
    fn rounding_is_integer() {
        assert_eq!(Rounding::Up.apply(101, 150), 16);
        assert_eq!(Rounding::Down.apply(101, 150), 15);
        assert_eq!(Rounding::Nearest.apply(10, 150), 2);
    }
}
