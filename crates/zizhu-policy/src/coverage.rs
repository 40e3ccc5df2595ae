//! 应享尽享: every eligible student who will not receive an entitlement,
//! with the causes, groupable by school and township.

use crate::engine::{Cause, TermResult, all_causes};
use crate::key::{PersonKey, PolicyCode, SchoolKey, TownshipKey};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use zizhu_core::Fen;

/// The kind of a gap's cause, for grouping and counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GapKind {
    NoBankAccount,
    BankCardInvalid,
    EnrollmentUnconfirmed,
    QuotaExhausted,
    StackingConflict,
    /// 信息缺失 for a student in the county.
    MissingInfo,
    /// 信息缺失 for a 县外就读 student: the other county's school must supply it.
    MissingInfoOutOfCounty,
}

impl GapKind {
    /// 无银行账户 / 银行卡号校验失败 / ….
    pub fn label(&self) -> &'static str {
        match self {
            GapKind::NoBankAccount => "无银行账户",
            GapKind::BankCardInvalid => "银行卡号校验失败",
            GapKind::EnrollmentUnconfirmed => "学籍未确认",
            GapKind::QuotaExhausted => "名额已满",
            GapKind::StackingConflict => "叠加规则冲突",
            GapKind::MissingInfo => "信息缺失",
            GapKind::MissingInfoOutOfCounty => "县外就读信息缺失",
        }
    }

    pub fn of(c: &Cause) -> Option<GapKind> {
        Some(match c {
            Cause::NoBankAccount => GapKind::NoBankAccount,
            Cause::BankCardInvalid => GapKind::BankCardInvalid,
            Cause::EnrollmentUnconfirmed => GapKind::EnrollmentUnconfirmed,
            Cause::QuotaExhausted { .. } => GapKind::QuotaExhausted,
            Cause::StackingConflict { .. } => GapKind::StackingConflict,
            Cause::MissingInfo {
                out_of_county: true,
                ..
            } => GapKind::MissingInfoOutOfCounty,
            Cause::MissingInfo { .. } => GapKind::MissingInfo,
            Cause::Excluded { .. } => return None,
        })
    }
}

/// One eligible student without a complete entitlement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    pub student: u32,
    pub person: PersonKey,
    pub school: SchoolKey,
    pub township: TownshipKey,
    pub out_of_county: bool,
    pub policy_code: PolicyCode,
    pub policy_name: String,
    /// What the student would receive this term.
    pub amount: Fen,
    /// The recorded cause first, then any other failing precondition, so
    /// that one round of fixing resolves the case.
    pub causes: Vec<Cause>,
}

impl Gap {
    /// The kind of the first cause.
    pub fn kind(&self) -> GapKind {
        self.causes
            .first()
            .and_then(GapKind::of)
            .unwrap_or(GapKind::MissingInfo)
    }

    /// `无银行账户；学籍未确认`.
    pub fn causes_text(&self) -> String {
        self.causes
            .iter()
            .map(Cause::describe)
            .collect::<Vec<_>>()
            .join("；")
    }
}

/// The coverage gaps of one term.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    pub gaps: Vec<Gap>,
}

impl TermResult {
    /// Lists every eligible student without a complete entitlement.
    pub fn coverage(&self) -> Coverage {
        let mut gaps = Vec::new();
        for e in &self.entitlements {
            let crate::engine::Status::Blocked(c) = e.status else {
                continue;
            };
            if !c.is_gap() {
                continue;
            }
            let s = &self.students[e.student as usize];
            gaps.push(Gap {
                student: e.student,
                person: e.person,
                school: s.school,
                township: s.township,
                out_of_county: s.out_of_county,
                policy_code: e.policy_code,
                policy_name: self.policy_of(e).name.clone(),
                amount: e.amount,
                causes: all_causes(e, s),
            });
        }
        Coverage { gaps }
    }
}

impl Coverage {
    pub fn is_empty(&self) -> bool {
        self.gaps.is_empty()
    }

    /// Gaps per school, schools in code order.
    pub fn by_school(&self) -> BTreeMap<SchoolKey, Vec<&Gap>> {
        let mut m: BTreeMap<SchoolKey, Vec<&Gap>> = BTreeMap::new();
        for g in &self.gaps {
            m.entry(g.school).or_default().push(g);
        }
        m
    }

    /// Gaps per township.
    pub fn by_township(&self) -> BTreeMap<TownshipKey, Vec<&Gap>> {
        let mut m: BTreeMap<TownshipKey, Vec<&Gap>> = BTreeMap::new();
        for g in &self.gaps {
            m.entry(g.township).or_default().push(g);
        }
        m
    }

    /// Number of gaps per kind of first cause.
    pub fn count_by_kind(&self) -> BTreeMap<GapKind, usize> {
        let mut m = BTreeMap::new();
        for g in &self.gaps {
            *m.entry(g.kind()).or_insert(0) += 1;
        }
        m
    }

    /// A Chinese list grouped by township and school, for the county office.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.gaps.is_empty() {
            out.push_str("应享尽享：没有应享未享的学生。\n");
            return out;
        }
        let total: i64 = self.gaps.iter().map(|g| g.amount.0).sum();
        let _ = writeln!(
            out,
            "应享未享共 {} 人次，涉及金额 {} 元：",
            self.gaps.len(),
            Fen(total).fmt_yuan()
        );
        for (kind, n) in self.count_by_kind() {
            let _ = writeln!(out, "  {}：{n} 人次", kind.label());
        }
        for (town, gaps) in self.by_township() {
            let _ = writeln!(out, "乡镇 {town}（{} 人次）", gaps.len());
            let mut by_school: BTreeMap<SchoolKey, Vec<&Gap>> = BTreeMap::new();
            for g in gaps {
                by_school.entry(g.school).or_default().push(g);
            }
            for (school, gaps) in by_school {
                let _ = writeln!(out, "  学校 {school}（{} 人次）", gaps.len());
                for g in gaps {
                    let _ = writeln!(
                        out,
                        "    {}「{}」{} 元：{}",
                        g.person,
                        g.policy_name,
                        g.amount.fmt_yuan(),
                        g.causes_text()
                    );
                }
            }
        }
        out
    }
}
