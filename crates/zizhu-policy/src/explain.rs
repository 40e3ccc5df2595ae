//! Chinese explanations: one entitlement's trace, and every policy for one
//! student, including why each policy that does not apply does not.

use crate::engine::{Assessment, Entitlement, TermResult, assess, ctx_for, difficulty_of};
use crate::facts::{Fact, FactSet, StudentFacts};
use crate::policy::{Amount, Policy, PolicySet, term_label};
use crate::rule::{Ctx, value_of};
use std::fmt::Write as _;
use zizhu_core::Term;

/// `建档立卡 = 是（来源：扶贫办.xlsx!第3行）`, for each fact in `facts`.
pub(crate) fn facts_text(ctx: &Ctx<'_>, facts: FactSet) -> String {
    facts
        .iter()
        .map(|f| fact_text(ctx, f))
        .collect::<Vec<_>>()
        .join("；")
}

fn fact_text(ctx: &Ctx<'_>, f: Fact) -> String {
    let value = value_of(f, ctx);
    let mut s = format!("{} = {}", f.name(), value.label());
    if value == crate::rule::Value::Unknown {
        // An unknown value has no source; say what is missing instead.
        s.push_str("（信息缺失）");
        return s;
    }
    match f {
        Fact::Poor => {
            s.push_str(&format!("（{}", ctx.facts.poverty.label()));
            if let Some(src) = ctx.facts.sources.of(f) {
                s.push_str(&format!("，来源：{src}"));
            }
            s.push('）');
        }
        Fact::DifficultyLevel | Fact::Hardship => {
            if let Some(r) = &ctx.facts.recognition {
                s.push_str(&format!(
                    "（学校认定：{}，理由：{}）",
                    r.level.label(),
                    r.reason
                ));
            } else {
                s.push_str("（由认定规则推出）");
            }
        }
        _ => {
            if let Some(src) = ctx.facts.sources.of(f) {
                s.push_str(&format!("（来源：{src}）"));
            }
        }
    }
    s
}

/// `「义务教育家庭经济困难寄宿生生活补助」（补，国家政策）`: the policy as a
/// user reads it. The ASCII code is an identifier for files and exports; it
/// never leads a sentence shown to a user, who reads only Chinese.
fn policy_head(p: &Policy) -> String {
    let level = match p.level {
        crate::policy::Level::National => "国家政策",
        crate::policy::Level::Province => "省级政策",
        crate::policy::Level::City => "市级政策",
        crate::policy::Level::County => "县级政策",
        crate::policy::Level::Social => "社会资助项目",
    };
    format!("「{}」（{}，{level}）", p.name, p.category.label())
}

impl TermResult {
    /// Renders an entitlement's trace in Chinese: the rule, the facts it used
    /// with their values and sources, the amount basis, the funding split,
    /// and the status.
    pub fn trace_text(&self, e: &Entitlement) -> String {
        let set = &self.policies;
        let p = self.policy_of(e);
        let s = &self.students[e.student as usize];
        let ctx = ctx_for(set, Some(p), s, self.term, e.trace.difficulty);
        let t = &e.trace;
        let mut out = format!(
            "依据 {}：资格条件「{}」{}",
            policy_head(p),
            p.eligible,
            t.rule.label()
        );
        if !t.rule_facts.is_empty() {
            let _ = write!(out, "，所用事实：{}", facts_text(&ctx, t.rule_facts));
        }
        out.push('。');
        if t.rule_facts.contains(Fact::Poor) {
            let _ = write!(out, "建档立卡认定口径：{}。", p.poverty.describe());
        }
        if t.rule_facts.contains(Fact::Hardship) || t.rule_facts.contains(Fact::DifficultyLevel) {
            out.push_str(&difficulty_text(set, s, self.term));
        }
        if let (Some(i), Amount::Tiers(tiers)) = (t.tier, &p.amount)
            && let Some(tier) = tiers.get(usize::from(i))
        {
            let _ = write!(out, "档次：{}（条件「{}」）。", tier.name, tier.when);
        }
        if let (Some(i), Amount::Table(rows)) = (t.row, &p.amount)
            && let Some(r) = rows.get(usize::from(i))
        {
            let mut keys = Vec::new();
            if let Some(sc) = r.school {
                keys.push(format!("学校 {sc}"));
            }
            if let Some(st) = r.stage {
                keys.push(st.label().to_string());
            }
            if let Some(g) = r.grade {
                keys.push(format!("{g} 年级"));
            }
            let keys = if keys.is_empty() {
                "默认".to_string()
            } else {
                keys.join("、")
            };
            let _ = write!(out, "金额表第 {} 行（{keys}）。", i + 1);
        }
        let _ = write!(
            out,
            "金额：{}，本学期 {} 元；资金分担：{}；发放方式：{}。",
            t.basis.describe(),
            e.amount.fmt_yuan(),
            e.funding.describe(),
            e.payment_mode.label()
        );
        if let Some(rank) = t.quota_rank {
            if t.guaranteed {
                let _ = write!(out, "名额：保障对象，不受名额限制（遴选排第 {rank} 位）。");
            } else {
                let _ = write!(out, "名额：遴选排第 {rank} 位。");
            }
        }
        if !t.other_facts.is_empty() {
            let _ = write!(
                out,
                "金额与发放所用事实：{}。",
                facts_text(&ctx, t.other_facts)
            );
        }
        let _ = write!(out, "状态：{}。", e.status.label_in(set));
        out
    }

    /// Explains, in Chinese, every policy for the student with `person`:
    /// what they receive, what is blocked and why, and why each other policy
    /// does not apply. `None` if the person is not in this result.
    pub fn explain(&self, person: &str) -> Option<String> {
        self.explain_with(person, PlaceNames::default())
    }

    /// [`TermResult::explain`], with the school and township named as the
    /// caller's directory knows them instead of by their codes.
    pub fn explain_with(&self, person: &str, names: PlaceNames<'_>) -> Option<String> {
        let idx = self.find_student(person)?;
        let s = &self.students[idx as usize];
        let set = &self.policies;
        let (difficulty, _) = difficulty_of(set, s, self.term);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "学生 {}，{}，学校 {}（{}{}），乡镇 {}，{}{}",
            s.person,
            term_label(self.term),
            names.school.unwrap_or(s.school.as_str()),
            s.school_type.label(),
            if s.special_school {
                "，特教学校"
            } else {
                ""
            },
            names.township.unwrap_or(s.township.as_str()),
            s.grade.stage().label(),
            format_args!(" {} 年级", s.grade.year()),
        );
        let _ = writeln!(
            out,
            "家庭情况：{}；困难等级：{}。{}",
            s.poverty.label(),
            difficulty.label(),
            difficulty_text(set, s, self.term)
        );
        if s.out_of_county {
            let _ = writeln!(
                out,
                "县外就读：是（寄宿、学籍、学杂费等信息以就读地学校提供的为准）。"
            );
        }

        let mine = self.entitlements_of(idx);
        let mut payable = Vec::new();
        let mut blocked = Vec::new();
        let mut not_applied = Vec::new();
        for (pi, p) in set.policies.iter().enumerate() {
            if let Some(e) = mine.iter().find(|e| usize::from(e.policy) == pi) {
                let line = format!("{} 元：{}", e.amount.fmt_yuan(), self.trace_text(e));
                if e.status.is_payable() {
                    payable.push(line);
                } else {
                    blocked.push(line);
                }
                continue;
            }
            not_applied.push(format!(
                "{}：{}",
                policy_head(p),
                why_not(set, p, s, self.term, difficulty)
            ));
        }
        let total: i64 = mine
            .iter()
            .filter(|e| e.status.is_payable())
            .map(|e| e.amount.0)
            .sum();
        let _ = writeln!(
            out,
            "【可发放】{} 项，合计 {} 元",
            payable.len(),
            zizhu_core::Fen(total).fmt_yuan()
        );
        for (i, l) in payable.iter().enumerate() {
            let _ = writeln!(out, "  {}. {l}", i + 1);
        }
        let _ = writeln!(out, "【应享但受阻】{} 项", blocked.len());
        for (i, l) in blocked.iter().enumerate() {
            let _ = writeln!(out, "  {}. {l}", i + 1);
        }
        let _ = writeln!(out, "【不适用】{} 项", not_applied.len());
        for (i, l) in not_applied.iter().enumerate() {
            let _ = writeln!(out, "  {}. {l}", i + 1);
        }
        Some(out)
    }
}

/// The names of a student's school and township for an explanation's first
/// line, where the caller has them (the registry's directory): the result
/// itself knows only their codes, which tell a reader nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct PlaceNames<'a> {
    pub school: Option<&'a str>,
    pub township: Option<&'a str>,
}

/// How the hardship level was reached, in one sentence.
pub(crate) fn difficulty_text(set: &PolicySet, s: &StudentFacts, term: Term) -> String {
    if let Some(r) = &s.recognition {
        return format!(
            "困难等级由学校认定为「{}」，理由：{}。",
            r.level.label(),
            r.reason
        );
    }
    let ctx = ctx_for(set, None, s, term, crate::facts::Difficulty::None);
    match set.difficulty.derive(&ctx) {
        (level, Some(rule)) => {
            let mut used = FactSet::EMPTY;
            let mut unknown = FactSet::EMPTY;
            rule.eval(&ctx, &mut used, &mut unknown);
            format!(
                "困难等级按认定规则「{rule}」推为「{}」（{}）。",
                level.label(),
                facts_text(&ctx, used)
            )
        }
        (_, None) => {
            "不属于认定规则中的任何特殊群体，困难等级为「不困难」（学校认定可调整）。".to_string()
        }
    }
}

/// Why a policy produced no entitlement for the student.
fn why_not(
    set: &PolicySet,
    p: &Policy,
    s: &StudentFacts,
    term: Term,
    difficulty: crate::facts::Difficulty,
) -> String {
    match assess(set, p, s, term, difficulty) {
        Assessment::Inactive(why) => format!("本学期不适用：{}", why.describe()),
        Assessment::NotCovered => format!(
            "学段年级不符：该生为{} {} 年级，本政策适用于 {}",
            s.grade.stage().label(),
            s.grade.year(),
            p.scope_label()
        ),
        Assessment::RuleFalse { used } => {
            let ctx = ctx_for(set, Some(p), s, term, difficulty);
            format!(
                "资格条件「{}」不成立（{}）",
                p.eligible,
                facts_text(&ctx, used)
            )
        }
        Assessment::NoAmount { used, why } => {
            let ctx = ctx_for(set, Some(p), s, term, difficulty);
            format!(
                "符合资格条件「{}」（{}），但{}",
                p.eligible,
                facts_text(&ctx, used),
                why.describe()
            )
        }
        Assessment::Candidate { .. } => {
            // A candidate always produces an entitlement; reaching here
            // means the result was computed with a different policy set.
            "结果与政策文件不一致，请重新计算".to_string()
        }
    }
}
