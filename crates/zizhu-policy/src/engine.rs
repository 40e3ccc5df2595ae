//! Computing a term's entitlements for a whole population.
//!
//! The work is split into passes because some decisions need the whole
//! population: (1) per student, in parallel: which policies apply, the
//! amount, and whether payment preconditions hold; (2) per policy with a
//! quota: the selection order within each school, township or county;
//! (3) per student, in parallel: exclusivity groups. The hot first pass
//! allocates one vector per chunk of students, never per student.

use crate::facts::{BankAccount, Difficulty, Fact, FactSet, StudentFacts};
use crate::key::{PersonKey, PolicyCode, SchoolKey, TownshipKey};
use crate::policy::{
    Amount, Category, FundingSplit, Inactive, PaymentMode, Policy, PolicySet, QuotaScope, QuotaSize,
};
use crate::rule::{Ctx, Rule, Tri};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;
use zizhu_core::{Fen, Term};

/// Whether an entitlement can be paid now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    Payable,
    Blocked(Cause),
}

impl Status {
    /// 可发放 / 受阻：…, without naming another policy (see
    /// [`Status::label_in`]).
    pub fn label(&self) -> String {
        match self {
            Status::Payable => "可发放".to_string(),
            Status::Blocked(c) => format!("受阻：{}", c.describe()),
        }
    }

    /// 可发放 / 受阻：…, naming the other policy of an exclusivity by its
    /// Chinese name from `set`.
    pub fn label_in(&self, set: &PolicySet) -> String {
        match self {
            Status::Payable => "可发放".to_string(),
            Status::Blocked(c) => format!("受阻：{}", c.describe_in(set)),
        }
    }

    pub fn is_payable(&self) -> bool {
        matches!(self, Status::Payable)
    }
}

/// Why an entitlement cannot be paid now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cause {
    /// Facts needed to decide are unknown (信息缺失); for a 县外就读
    /// student they must come from the school in the other county.
    MissingInfo { facts: FactSet, out_of_county: bool },
    /// Eligible, but the quota's places went to students selected earlier.
    QuotaExhausted { places: u32, rank: u32 },
    /// The school has not confirmed this term's enrollment.
    EnrollmentUnconfirmed,
    /// Paid to a card, and there is no account on file.
    NoBankAccount,
    /// Paid to a card, and the number on file fails the Luhn/length check.
    BankCardInvalid,
    /// Another policy of the same exclusivity group is kept instead; not a
    /// coverage gap, since the student receives the other policy.
    Excluded { kept: PolicyCode },
    /// A strict exclusivity group with more than one eligible member and no
    /// recorded choice (叠加规则冲突).
    StackingConflict { with: PolicyCode },
}

impl Cause {
    /// The cause in Chinese. Without the policy set the other policy of an
    /// exclusivity cannot be named, and its ASCII code is no name for a
    /// reader of Chinese, so it is called 同组另一项政策; prefer
    /// [`Cause::describe_in`].
    pub fn describe(&self) -> String {
        self.describe_with(|_| None)
    }

    /// The cause in Chinese, naming another policy by its Chinese name in
    /// `set` (「中等职业教育国家助学金」), never by its code.
    pub fn describe_in(&self, set: &PolicySet) -> String {
        self.describe_with(|code| set.get(code.as_str()).map(|p| p.name.as_str()))
    }

    fn describe_with<'a>(&self, name_of: impl Fn(PolicyCode) -> Option<&'a str>) -> String {
        let other = |code: PolicyCode| {
            name_of(code).map_or_else(|| "同组另一项政策".to_string(), |n| format!("「{n}」"))
        };
        match self {
            Cause::MissingInfo {
                facts,
                out_of_county,
            } => {
                if *out_of_county {
                    format!("信息缺失：{}（县外就读，需就读地学校提供）", facts.names())
                } else {
                    format!("信息缺失：{}", facts.names())
                }
            }
            Cause::QuotaExhausted { places, rank } => {
                format!("名额已满（共 {places} 个名额，该生排第 {rank} 位）")
            }
            Cause::EnrollmentUnconfirmed => "学籍未确认".to_string(),
            Cause::NoBankAccount => "无银行账户".to_string(),
            Cause::BankCardInvalid => "银行卡号校验失败".to_string(),
            Cause::Excluded { kept } => {
                let kept = other(*kept);
                format!("与{kept}不可兼得，已享受{kept}")
            }
            Cause::StackingConflict { with } => {
                format!(
                    "叠加规则冲突：与{}不得同时享受，需学校确定享受哪一项",
                    other(*with)
                )
            }
        }
    }

    /// Whether the student, because of this cause, goes without the aid
    /// (a coverage gap); exclusion in favour of another policy is not one.
    pub fn is_gap(&self) -> bool {
        !matches!(self, Cause::Excluded { .. })
    }
}

/// How the amount was arrived at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Basis {
    PerTerm(Fen),
    /// A yearly amount over `terms` terms.
    PerYear {
        year: Fen,
        terms: u8,
    },
    /// The school's 学杂费 standard.
    SchoolFee(Fen),
    /// A loan: what was applied for, capped per year.
    Applied {
        applied: Fen,
        cap: Fen,
    },
}

impl Basis {
    pub fn describe(&self) -> String {
        use crate::rule::trim_yuan;
        match self {
            Basis::PerTerm(f) => format!("每学期 {} 元", trim_yuan(*f)),
            Basis::PerYear { year, terms } if *terms > 1 => {
                format!("每年 {} 元，分 {terms} 个学期发放", trim_yuan(*year))
            }
            Basis::PerYear { year, .. } => format!("每年 {} 元，一次发放", trim_yuan(*year)),
            Basis::SchoolFee(f) => format!("按学校学杂费标准，每学期 {} 元", trim_yuan(*f)),
            Basis::Applied { applied, cap } => format!(
                "按申请金额 {} 元，每学年上限 {} 元",
                trim_yuan(*applied),
                trim_yuan(*cap)
            ),
        }
    }
}

/// Why an entitlement exists: which rule and which facts.
///
/// The trace is compact (no strings) because a province has millions of
/// entitlements; [`crate::TermResult::trace_text`] renders it in Chinese with
/// the facts' values and sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Trace {
    /// Whether the student is a candidate: `Yes`, or `Unknown` for 信息缺失
    /// (a fact the rule needed, or one the amount needed, is missing).
    pub eligibility: Tri,
    /// The eligibility rule's own result: `Yes` when the rule holds and
    /// only the amount is unknown (a 免学杂费 without the school's fee
    /// standard), so the trace does not call a rule that holds 无法判断.
    pub rule: Tri,
    /// Facts read by the eligibility rule.
    pub rule_facts: FactSet,
    /// Facts read for the amount and the payment preconditions.
    pub other_facts: FactSet,
    /// The tier of a tiered amount (0-based).
    pub tier: Option<u8>,
    /// The row of an amount table (0-based).
    pub row: Option<u16>,
    pub basis: Basis,
    /// The hardship level used, after 学校认定.
    pub difficulty: Difficulty,
    /// Whether a school's recognition set the level.
    pub recognized_by_school: bool,
    /// For quota policies: guaranteed (全覆盖) rather than selected.
    pub guaranteed: bool,
    /// For quota policies: the 1-based rank in the selection order.
    pub quota_rank: Option<u32>,
}

/// One student's entitlement to one policy in one term.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Entitlement {
    /// Index into [`TermResult::students`].
    pub student: u32,
    pub person: PersonKey,
    /// Index into the policy set.
    pub policy: u16,
    pub policy_code: PolicyCode,
    pub category: Category,
    pub amount: Fen,
    pub payment_mode: PaymentMode,
    /// The amount split by funding level; sums exactly to `amount`.
    pub funding: FundingSplit,
    pub status: Status,
    pub trace: Trace,
}

/// All entitlements of one term for one population.
#[derive(Clone, Debug)]
pub struct TermResult {
    pub term: Term,
    pub policies: Arc<PolicySet>,
    /// The students whose facts are for `term`, in input order.
    pub students: Vec<StudentFacts>,
    /// Sorted by student, then policy order in the file.
    pub entitlements: Vec<Entitlement>,
    /// Input records for another term, which were ignored.
    pub skipped_other_term: usize,
    /// Things an official should look at, e.g. guaranteed students beyond a quota.
    pub warnings: Vec<String>,
}

/// The outcome of looking at one policy for one student.
#[derive(Clone, Debug)]
pub(crate) enum Assessment {
    Inactive(Inactive),
    NotCovered,
    RuleFalse {
        used: FactSet,
    },
    /// Eligible by the rule, but the amount rule gives nothing.
    NoAmount {
        used: FactSet,
        why: NoAmount,
    },
    Candidate {
        /// `Unknown` when the rule or the amount could not be decided.
        tri: Tri,
        /// The eligibility rule's own result (`Yes` when only the amount
        /// is unknown).
        rule: Tri,
        used: FactSet,
        unknown: FactSet,
        amount: Fen,
        other: FactSet,
        basis: Basis,
        tier: Option<u8>,
        row: Option<u16>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NoAmount {
    NotApplied,
    BelowMinimum { min: Fen },
    NoTier,
    NoTableRow,
}

impl NoAmount {
    pub(crate) fn describe(&self) -> String {
        match self {
            NoAmount::NotApplied => "未申请".to_string(),
            NoAmount::BelowMinimum { min } => {
                format!("申请金额低于每学年下限 {} 元", crate::rule::trim_yuan(*min))
            }
            NoAmount::NoTier => "不符合任何档次的条件".to_string(),
            NoAmount::NoTableRow => "金额表中没有适用于该校、该学段年级的标准".to_string(),
        }
    }
}

/// Builds the rule context for `policy` (or for the file level when `None`).
pub(crate) fn ctx_for<'a>(
    set: &PolicySet,
    policy: Option<&Policy>,
    s: &'a StudentFacts,
    term: Term,
    difficulty: Difficulty,
) -> Ctx<'a> {
    let rule = policy.map_or(set.poverty, |p| p.poverty);
    Ctx {
        facts: s,
        poor: rule.counts(s.poverty, term),
        difficulty,
        nominated: policy.is_some_and(|p| s.nominated.contains(p.code)),
    }
}

/// The hardship level: the school's recognition if recorded, else derived.
pub(crate) fn difficulty_of(set: &PolicySet, s: &StudentFacts, term: Term) -> (Difficulty, bool) {
    if let Some(r) = &s.recognition {
        return (r.level, true);
    }
    let ctx = ctx_for(set, None, s, term, Difficulty::None);
    (set.difficulty.derive(&ctx).0, false)
}

/// Looks at one policy for one student, short of quotas and exclusivity.
pub(crate) fn assess(
    set: &PolicySet,
    p: &Policy,
    s: &StudentFacts,
    term: Term,
    difficulty: Difficulty,
) -> Assessment {
    if let Err(why) = p.active_in(term) {
        return Assessment::Inactive(why);
    }
    if !p.covers(s.grade) {
        return Assessment::NotCovered;
    }
    let ctx = ctx_for(set, Some(p), s, term, difficulty);
    let (mut used, mut unknown) = (FactSet::EMPTY, FactSet::EMPTY);
    let tri = p.eligible.eval(&ctx, &mut used, &mut unknown);
    if tri == Tri::No {
        return Assessment::RuleFalse { used };
    }
    // Unknown facts in a branch that did not decide the result (the 寄宿 of
    // `寄宿 或 低保` for a 低保 student) are not missing information.
    let unknown = if tri == Tri::Unknown {
        unknown
    } else {
        FactSet::EMPTY
    };
    let mut other = FactSet::EMPTY;
    let mut unknown_amount = FactSet::EMPTY;
    match amount_of(p, &p.amount, &ctx, term, &mut other, &mut unknown_amount) {
        AmountOutcome::Amount {
            amount,
            basis,
            tier,
            row,
        } => Assessment::Candidate {
            tri,
            rule: tri,
            used,
            unknown,
            amount,
            other,
            basis,
            tier,
            row,
        },
        AmountOutcome::Unknown => Assessment::Candidate {
            tri: Tri::Unknown,
            rule: tri,
            used,
            unknown: unknown.union(unknown_amount),
            amount: Fen::ZERO,
            other,
            basis: Basis::PerTerm(Fen::ZERO),
            tier: None,
            row: None,
        },
        AmountOutcome::None(why) => Assessment::NoAmount { used, why },
    }
}

enum AmountOutcome {
    Amount {
        amount: Fen,
        basis: Basis,
        tier: Option<u8>,
        row: Option<u16>,
    },
    Unknown,
    None(NoAmount),
}

fn amount_of(
    p: &Policy,
    a: &Amount,
    ctx: &Ctx<'_>,
    term: Term,
    used: &mut FactSet,
    unknown: &mut FactSet,
) -> AmountOutcome {
    let simple = |amount, basis| AmountOutcome::Amount {
        amount,
        basis,
        tier: None,
        row: None,
    };
    let terms = u8::try_from(p.seasons.len()).unwrap_or(2);
    match a {
        Amount::PerTerm(f) => simple(*f, Basis::PerTerm(*f)),
        Amount::PerYear(y) => simple(
            p.per_term_of_year(*y, term.season()),
            Basis::PerYear { year: *y, terms },
        ),
        Amount::SchoolFee => {
            used.insert(Fact::SchoolFee);
            match ctx.facts.school_fee_per_term {
                Some(f) => simple(f, Basis::SchoolFee(f)),
                None => {
                    unknown.insert(Fact::SchoolFee);
                    AmountOutcome::Unknown
                }
            }
        }
        Amount::Applied {
            cap_per_year,
            min_per_year,
        } => {
            used.insert(Fact::LoanApplied);
            match ctx.facts.loan_applied {
                None => AmountOutcome::None(NoAmount::NotApplied),
                Some(f) if f <= Fen::ZERO => AmountOutcome::None(NoAmount::NotApplied),
                Some(f) if f < *min_per_year => {
                    AmountOutcome::None(NoAmount::BelowMinimum { min: *min_per_year })
                }
                Some(f) => {
                    let year = f.min(*cap_per_year);
                    simple(
                        p.per_term_of_year(year, term.season()),
                        Basis::Applied {
                            applied: f,
                            cap: *cap_per_year,
                        },
                    )
                }
            }
        }
        Amount::Tiers(tiers) => {
            let mut saw_unknown = false;
            for (i, t) in tiers.iter().enumerate() {
                let mut u = FactSet::EMPTY;
                let r = t.when.eval(ctx, used, &mut u);
                match r {
                    Tri::Yes if !saw_unknown => {
                        return match amount_of(p, &t.amount, ctx, term, used, unknown) {
                            AmountOutcome::Amount { amount, basis, .. } => AmountOutcome::Amount {
                                amount,
                                basis,
                                tier: u8::try_from(i).ok(),
                                row: None,
                            },
                            other => other,
                        };
                    }
                    Tri::Unknown => {
                        *unknown = unknown.union(u);
                        saw_unknown = true;
                    }
                    _ => {}
                }
            }
            if saw_unknown {
                AmountOutcome::Unknown
            } else {
                AmountOutcome::None(NoAmount::NoTier)
            }
        }
        Amount::Table(rows) => {
            let best = rows
                .iter()
                .enumerate()
                .filter(|(_, r)| r.matches(ctx.facts.school, ctx.facts.grade))
                .max_by_key(|(i, r)| (r.specificity(), std::cmp::Reverse(*i)));
            match best {
                Some((i, r)) => match amount_of(p, &r.amount, ctx, term, used, unknown) {
                    AmountOutcome::Amount { amount, basis, .. } => AmountOutcome::Amount {
                        amount,
                        basis,
                        tier: None,
                        row: u16::try_from(i).ok(),
                    },
                    other => other,
                },
                None => AmountOutcome::None(NoAmount::NoTableRow),
            }
        }
    }
}

/// The payment preconditions: enrollment confirmed, and for card payments a
/// valid account. Unknown facts are collected into `missing`.
pub(crate) fn precondition(
    mode: PaymentMode,
    s: &StudentFacts,
    used: &mut FactSet,
    missing: &mut FactSet,
) -> Option<Cause> {
    used.insert(Fact::Enrolled);
    let mut cause = None;
    match s.enrollment_confirmed {
        None => missing.insert(Fact::Enrolled),
        Some(false) => cause = Some(Cause::EnrollmentUnconfirmed),
        Some(true) => {}
    }
    if mode == PaymentMode::ToCard {
        used.insert(Fact::Bank);
        match s.bank_account {
            None => missing.insert(Fact::Bank),
            Some(BankAccount::Missing) => cause = cause.or(Some(Cause::NoBankAccount)),
            Some(BankAccount::CheckFailed) => cause = cause.or(Some(Cause::BankCardInvalid)),
            Some(BankAccount::Valid) => {}
        }
    }
    if missing.is_empty() {
        cause
    } else {
        Some(Cause::MissingInfo {
            facts: *missing,
            out_of_county: s.out_of_county,
        })
    }
}

/// Every payment problem of an entitlement's student, for coverage lists:
/// the recorded cause first, then any other precondition that also fails.
pub(crate) fn all_causes(e: &Entitlement, s: &StudentFacts) -> Vec<Cause> {
    let mut out = Vec::new();
    if let Status::Blocked(c) = e.status {
        out.push(c);
    }
    if s.enrollment_confirmed == Some(false) && !out.contains(&Cause::EnrollmentUnconfirmed) {
        out.push(Cause::EnrollmentUnconfirmed);
    }
    if e.payment_mode == PaymentMode::ToCard {
        let c = match s.bank_account {
            Some(BankAccount::Missing) => Some(Cause::NoBankAccount),
            Some(BankAccount::CheckFailed) => Some(Cause::BankCardInvalid),
            _ => None,
        };
        if let Some(c) = c.filter(|c| !out.contains(c)) {
            out.push(c);
        }
    }
    out
}

/// Students per chunk of the parallel first pass: large enough to amortise
/// the chunk's output vector, small enough to balance two cores.
const CHUNK: usize = 8192;

/// Computes every student's entitlements for `term`.
///
/// `students` should be the whole population the quotas are counted over
/// (a county, or a province); records whose `term` differs are ignored and
/// counted in [`TermResult::skipped_other_term`].
pub fn entitle(policies: &PolicySet, term: Term, students: &[StudentFacts]) -> TermResult {
    // The common case, every record for this term, is copied in parallel
    // straight into place; copying 12 million records is mostly page faults,
    // which two cores take half the time over.
    let in_term: Vec<StudentFacts> = if students.par_iter().all(|s| s.term == term) {
        let mut v = Vec::new();
        students.par_iter().cloned().collect_into_vec(&mut v);
        v
    } else {
        students
            .iter()
            .filter(|s| s.term == term)
            .cloned()
            .collect()
    };
    let skipped = students.len() - in_term.len();
    let mut r = entitle_owned(policies, term, in_term);
    r.skipped_other_term = skipped;
    r
}

/// Like [`entitle`] but takes the population by value, which saves copying
/// it into the result (useful at province scale).
pub fn entitle_owned(policies: &PolicySet, term: Term, students: Vec<StudentFacts>) -> TermResult {
    let set = policies;
    let before = students.len();
    let students: Vec<StudentFacts> = students.into_iter().filter(|s| s.term == term).collect();
    let skipped = before - students.len();
    let active: Vec<usize> = (0..set.policies.len())
        .filter(|i| set.policies[*i].active_in(term).is_ok())
        .collect();

    // Pass 1: per student.
    let chunks: Vec<Vec<Entitlement>> = students
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(ci, chunk)| {
            let mut out = Vec::with_capacity(chunk.len() / 2);
            for (i, s) in chunk.iter().enumerate() {
                let idx = (ci * CHUNK + i) as u32;
                first_pass(set, &active, term, idx, s, &mut out);
            }
            out
        })
        .collect();
    let total: usize = chunks.iter().map(Vec::len).sum();
    let mut ents = Vec::with_capacity(total);
    for c in chunks {
        ents.extend(c);
    }

    // Pass 2: quotas. One scan buckets the candidates of every quota
    // policy, and one parallel scan counts every quota's base.
    let mut warnings = Vec::new();
    let quota_policies: Vec<usize> = active
        .iter()
        .copied()
        .filter(|pi| set.policies[*pi].quota.is_some())
        .collect();
    if !quota_policies.is_empty() {
        let bases = quota_bases(set, &quota_policies, &students);
        let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); quota_policies.len()];
        for (ei, e) in ents.iter().enumerate() {
            if e.trace.eligibility != Tri::Yes {
                continue;
            }
            if let Some(k) = quota_policies
                .iter()
                .position(|p| *p == usize::from(e.policy))
            {
                buckets[k].push(ei);
            }
        }
        for (k, &pi) in quota_policies.iter().enumerate() {
            apply_quota(
                set,
                pi,
                term,
                &students,
                &mut ents,
                &buckets[k],
                &bases[k],
                &mut warnings,
            );
        }
    }

    // Pass 3: exclusivity, per student.
    if !set.exclusive.is_empty() {
        ents.par_chunk_by_mut(|a, b| a.student == b.student)
            .for_each(|run| apply_exclusive(set, &students, run));
    }

    TermResult {
        term,
        policies: Arc::new(set.clone()),
        students,
        entitlements: ents,
        skipped_other_term: skipped,
        warnings,
    }
}

fn first_pass(
    set: &PolicySet,
    active: &[usize],
    term: Term,
    idx: u32,
    s: &StudentFacts,
    out: &mut Vec<Entitlement>,
) {
    let mut difficulty: Option<(Difficulty, bool)> = None;
    for &pi in active {
        let p = &set.policies[pi];
        // The cheap stage check first: most policies do not cover most students.
        if !p.covers(s.grade) {
            continue;
        }
        let (d, by_school) = *difficulty.get_or_insert_with(|| difficulty_of(set, s, term));
        let Assessment::Candidate {
            tri,
            rule,
            used,
            unknown,
            amount,
            mut other,
            basis,
            tier,
            row,
        } = assess(set, p, s, term, d)
        else {
            continue;
        };
        let mut missing = unknown;
        let status = match precondition(p.payment, s, &mut other, &mut missing) {
            _ if tri == Tri::Unknown || !unknown.is_empty() => {
                Status::Blocked(Cause::MissingInfo {
                    facts: missing,
                    out_of_county: s.out_of_county,
                })
            }
            Some(c) => Status::Blocked(c),
            None => Status::Payable,
        };
        out.push(Entitlement {
            student: idx,
            person: s.person,
            policy: pi as u16,
            policy_code: p.code,
            category: p.category,
            amount,
            payment_mode: p.payment,
            funding: p.funding.split(amount),
            status,
            trace: Trace {
                eligibility: tri,
                rule,
                rule_facts: used,
                other_facts: other,
                tier,
                row,
                basis,
                difficulty: d,
                recognized_by_school: by_school,
                guaranteed: false,
                quota_rank: None,
            },
        });
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum ScopeKey {
    School(SchoolKey),
    Township(TownshipKey),
    All,
}

fn scope_key(scope: QuotaScope, s: &StudentFacts) -> ScopeKey {
    match scope {
        QuotaScope::School => ScopeKey::School(s.school),
        QuotaScope::Township => ScopeKey::Township(s.township),
        QuotaScope::All => ScopeKey::All,
    }
}

/// A fast non-cryptographic hasher (the multiply-rotate scheme rustc uses)
/// for the quota counters: the keys are our own codes, not attacker input,
/// and SipHash over 12 million 32-byte keys is a measurable cost.
#[derive(Default, Clone, Copy)]
struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FastHasher>>;

/// For each quota policy, the number of students it covers per scope unit,
/// eligible or not: the base a per-mille quota is taken of.
fn quota_bases(
    set: &PolicySet,
    quota_policies: &[usize],
    students: &[StudentFacts],
) -> Vec<FastMap<ScopeKey, u64>> {
    let n = quota_policies.len();
    students
        .par_iter()
        .fold(
            || vec![FastMap::default(); n],
            |mut maps, s| {
                for (k, &pi) in quota_policies.iter().enumerate() {
                    let p = &set.policies[pi];
                    if let Some(q) = &p.quota
                        && p.covers(s.grade)
                    {
                        *maps[k].entry(scope_key(q.scope, s)).or_insert(0) += 1;
                    }
                }
                maps
            },
        )
        .reduce(
            || vec![FastMap::default(); n],
            |mut a, b| {
                for (ma, mb) in a.iter_mut().zip(b) {
                    for (key, v) in mb {
                        *ma.entry(key).or_insert(0) += v;
                    }
                }
                a
            },
        )
}

/// A candidate's place in the selection order: guaranteed students first,
/// then by the first order rule met, higher hardship, and person key.
type Rank = (bool, usize, std::cmp::Reverse<Difficulty>, PersonKey);

#[expect(
    clippy::too_many_arguments,
    reason = "the quota pass needs the whole context; a struct would only rename it"
)]
fn apply_quota(
    set: &PolicySet,
    pi: usize,
    term: Term,
    students: &[StudentFacts],
    ents: &mut [Entitlement],
    candidates: &[usize],
    base: &FastMap<ScopeKey, u64>,
    warnings: &mut Vec<String>,
) {
    let p = &set.policies[pi];
    let Some(q) = &p.quota else { return };

    let mut groups: FastMap<ScopeKey, Vec<(usize, Rank)>> = FastMap::default();
    for &ei in candidates {
        let e = &ents[ei];
        let s = &students[e.student as usize];
        let ctx = ctx_for(set, Some(p), s, term, e.trace.difficulty);
        let guaranteed = q
            .guaranteed
            .as_ref()
            .is_some_and(|g: &Rule| g.holds(&ctx) == Tri::Yes);
        let order = q
            .order
            .iter()
            .position(|r| r.holds(&ctx) == Tri::Yes)
            .unwrap_or(q.order.len());
        groups.entry(scope_key(q.scope, s)).or_default().push((
            ei,
            (
                !guaranteed,
                order,
                std::cmp::Reverse(e.trace.difficulty),
                s.person,
            ),
        ));
    }

    let mut keys: Vec<ScopeKey> = groups.keys().copied().collect();
    keys.sort();
    for key in keys {
        let Some(mut cands) = groups.remove(&key) else {
            continue;
        };
        cands.sort_unstable_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        let places: u64 = match &q.size {
            QuotaSize::PerMille(pm) => q.rounding.apply(base.get(&key).copied().unwrap_or(0), *pm),
            QuotaSize::Count(n) => u64::from(*n),
            QuotaSize::PerSchool { counts, default } => match key {
                ScopeKey::School(sk) => u64::from(
                    counts
                        .iter()
                        .find(|(k, _)| *k == sk)
                        .map_or(*default, |(_, n)| *n),
                ),
                _ => u64::from(*default),
            },
        };
        let places32 = u32::try_from(places).unwrap_or(u32::MAX);
        let guaranteed_count = cands.iter().filter(|c| !c.1.0).count() as u64;
        if guaranteed_count > places {
            warnings.push(format!(
                "「{}」：{} 的保障对象 {} 人超过名额 {} 个，保障对象仍全部享受，请核实名额",
                p.name,
                scope_label(key),
                guaranteed_count,
                places
            ));
        }
        for (rank, c) in cands.iter().enumerate() {
            let rank = rank as u64 + 1;
            let e = &mut ents[c.0];
            e.trace.quota_rank = Some(u32::try_from(rank).unwrap_or(u32::MAX));
            e.trace.guaranteed = !c.1.0;
            if c.1.0 && rank > places {
                e.status = Status::Blocked(Cause::QuotaExhausted {
                    places: places32,
                    rank: u32::try_from(rank).unwrap_or(u32::MAX),
                });
            }
        }
    }
}

fn scope_label(k: ScopeKey) -> String {
    match k {
        ScopeKey::School(s) => format!("学校 {s}"),
        ScopeKey::Township(t) => format!("乡镇 {t}"),
        ScopeKey::All => "全县".to_string(),
    }
}

fn apply_exclusive(set: &PolicySet, students: &[StudentFacts], run: &mut [Entitlement]) {
    for g in &set.exclusive {
        // Positions in `run` of the group's members, in priority order.
        let mut present = [usize::MAX; crate::load::MAX_GROUP];
        let mut n = 0;
        for &m in &g.members {
            if let Some(pos) = run.iter().position(|e| usize::from(e.policy) == m)
                && n < present.len()
            {
                present[n] = pos;
                n += 1;
            }
        }
        if n < 2 {
            continue;
        }
        let present = &present[..n];
        if g.strict {
            let s = &students[run[present[0]].student as usize];
            let chosen: Vec<usize> = present
                .iter()
                .copied()
                .filter(|&pos| s.chosen.contains(run[pos].policy_code))
                .collect();
            if let [keep] = chosen.as_slice() {
                let kept = run[*keep].policy_code;
                for &pos in present.iter().filter(|p| **p != *keep) {
                    run[pos].status = Status::Blocked(Cause::Excluded { kept });
                }
            } else {
                for &pos in present {
                    let with = present
                        .iter()
                        .find(|p| **p != pos)
                        .map(|p| run[*p].policy_code)
                        .unwrap_or(run[pos].policy_code);
                    // A member blocked for missing information stays so: the
                    // conflict may vanish once the facts are known.
                    if !matches!(run[pos].status, Status::Blocked(Cause::MissingInfo { .. })) {
                        run[pos].status = Status::Blocked(Cause::StackingConflict { with });
                    }
                }
            }
        } else {
            let keep = present
                .iter()
                .copied()
                .find(|&pos| run[pos].status.is_payable())
                .unwrap_or(present[0]);
            let kept = run[keep].policy_code;
            for &pos in present.iter().filter(|p| **p != keep) {
                run[pos].status = Status::Blocked(Cause::Excluded { kept });
            }
        }
    }
}

impl TermResult {
    /// The entitlements of the student at `student` (an index into `students`).
    pub fn entitlements_of(&self, student: u32) -> &[Entitlement] {
        let lo = self.entitlements.partition_point(|e| e.student < student);
        let hi = self.entitlements.partition_point(|e| e.student <= student);
        &self.entitlements[lo..hi]
    }

    /// The index of the student with `person`, if present.
    pub fn find_student(&self, person: &str) -> Option<u32> {
        self.students
            .iter()
            .position(|s| s.person.as_str() == person)
            .and_then(|i| u32::try_from(i).ok())
    }

    /// The policy an entitlement belongs to.
    pub fn policy_of(&self, e: &Entitlement) -> &Policy {
        &self.policies.policies[usize::from(e.policy)]
    }

    /// Total payable amount.
    pub fn payable_total(&self) -> Fen {
        Fen(self
            .entitlements
            .iter()
            .filter(|e| e.status.is_payable())
            .map(|e| e.amount.0)
            .sum())
    }
}
