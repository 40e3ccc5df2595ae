//! What changed between two computations of a term, and why.
//!
//! After a registry change (a household lifted out of poverty, a bank
//! account added) the term is recomputed and the two results compared. Each
//! change names the facts whose values changed among those the policy
//! depends on, so a reviewer sees "低保 是 → 否" next to "removed".

use crate::engine::{Entitlement, Status, TermResult, ctx_for, difficulty_of};
use crate::facts::{Fact, StudentFacts};
use crate::key::{PersonKey, PolicyCode, SchoolKey};
use crate::policy::{Policy, PolicySet, term_label};
use crate::rule::value_of;
use std::collections::HashMap;
use std::fmt;
use zizhu_core::{Fen, Term};

/// How an entitlement changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    Added {
        amount: Fen,
        status: Status,
    },
    Removed {
        amount: Fen,
        status: Status,
    },
    /// Amount, status or funding split changed.
    Changed {
        old_amount: Fen,
        new_amount: Fen,
        old_status: Status,
        new_status: Status,
    },
}

/// Why it changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A fact the policy depends on has a new value.
    FactChanged {
        fact: Fact,
        old: String,
        new: String,
    },
    /// The student moved to another school (quota units and amount tables
    /// depend on the school).
    SchoolChanged { old: SchoolKey, new: SchoolKey },
    /// The student is new in the population.
    StudentAdded,
    /// The student is no longer in the population.
    StudentRemoved,
    /// The two results are for different terms.
    TermChanged { old: Term, new: Term },
    /// The policy's definition in the policy file changed.
    PolicyChanged,
    /// The policy exists in only one of the two policy files.
    PolicyAddedOrRemoved,
    /// Nothing about this student changed, but the quota selection did,
    /// because of other students.
    QuotaSelection,
    /// Another policy of the same exclusivity group changed.
    Exclusivity,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::FactChanged { fact, old, new } => write!(f, "{fact} 由 {old} 变为 {new}"),
            Reason::SchoolChanged { old, new } => write!(f, "就读学校由 {old} 变为 {new}"),
            Reason::StudentAdded => f.write_str("学生新增到名单"),
            Reason::StudentRemoved => f.write_str("学生已不在名单中"),
            Reason::TermChanged { old, new } => {
                write!(f, "学期由 {} 变为 {}", term_label(*old), term_label(*new))
            }
            Reason::PolicyChanged => f.write_str("政策文件中该政策的规定有变化"),
            Reason::PolicyAddedOrRemoved => f.write_str("政策文件中新增或删除了该政策"),
            Reason::QuotaSelection => {
                f.write_str("该生信息未变，因其他学生变化导致名额遴选结果变化")
            }
            Reason::Exclusivity => f.write_str("同一互斥组中的其他政策结果变化"),
        }
    }
}

/// One changed entitlement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub person: PersonKey,
    pub policy_code: PolicyCode,
    pub policy_name: String,
    pub kind: ChangeKind,
    pub reasons: Vec<Reason>,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}「{}」：", self.person, self.policy_name)?;
        match &self.kind {
            ChangeKind::Added { amount, status } => {
                write!(f, "新增 {} 元（{}）", amount.fmt_yuan(), status.label())?
            }
            ChangeKind::Removed { amount, status } => {
                write!(f, "取消（原 {} 元，{}）", amount.fmt_yuan(), status.label())?
            }
            ChangeKind::Changed {
                old_amount,
                new_amount,
                old_status,
                new_status,
            } => {
                if old_amount != new_amount {
                    write!(
                        f,
                        "金额由 {} 元变为 {} 元",
                        old_amount.fmt_yuan(),
                        new_amount.fmt_yuan()
                    )?;
                    if old_status != new_status {
                        f.write_str("，")?;
                    }
                }
                if old_status != new_status {
                    write!(
                        f,
                        "状态由「{}」变为「{}」",
                        old_status.label(),
                        new_status.label()
                    )?;
                }
                if old_amount == new_amount && old_status == new_status {
                    f.write_str("资金分担变化")?;
                }
            }
        }
        if !self.reasons.is_empty() {
            let r: Vec<String> = self.reasons.iter().map(ToString::to_string).collect();
            write!(f, "。原因：{}", r.join("；"))?;
        }
        Ok(())
    }
}

/// A policy's definition without its position in the file, to tell whether
/// the policy itself changed between two files.
fn fingerprint(p: &Policy) -> String {
    let mut q = p.clone();
    q.line = 0;
    format!("{q:?}")
}

/// Compares two results of (usually) the same term, entitlement by
/// entitlement, matched by person and policy code.
pub fn diff(old: &TermResult, new: &TermResult) -> Vec<Change> {
    let key = |e: &Entitlement| (e.person, e.policy_code);
    let old_map: HashMap<(PersonKey, PolicyCode), &Entitlement> =
        old.entitlements.iter().map(|e| (key(e), e)).collect();
    let new_map: HashMap<(PersonKey, PolicyCode), &Entitlement> =
        new.entitlements.iter().map(|e| (key(e), e)).collect();
    let old_students: HashMap<PersonKey, &StudentFacts> =
        old.students.iter().map(|s| (s.person, s)).collect();
    let new_students: HashMap<PersonKey, &StudentFacts> =
        new.students.iter().map(|s| (s.person, s)).collect();

    let mut changes = Vec::new();
    for e in &new.entitlements {
        match old_map.get(&key(e)) {
            None => changes.push(make(
                old,
                new,
                &old_students,
                &new_students,
                e.person,
                e.policy_code,
                ChangeKind::Added {
                    amount: e.amount,
                    status: e.status,
                },
            )),
            Some(o) if o.amount != e.amount || o.status != e.status || o.funding != e.funding => {
                changes.push(make(
                    old,
                    new,
                    &old_students,
                    &new_students,
                    e.person,
                    e.policy_code,
                    ChangeKind::Changed {
                        old_amount: o.amount,
                        new_amount: e.amount,
                        old_status: o.status,
                        new_status: e.status,
                    },
                ))
            }
            Some(_) => {}
        }
    }
    for o in &old.entitlements {
        if !new_map.contains_key(&key(o)) {
            changes.push(make(
                old,
                new,
                &old_students,
                &new_students,
                o.person,
                o.policy_code,
                ChangeKind::Removed {
                    amount: o.amount,
                    status: o.status,
                },
            ));
        }
    }
    changes.sort_by_key(|c| (c.person, c.policy_code));
    changes
}

fn make(
    old: &TermResult,
    new: &TermResult,
    old_students: &HashMap<PersonKey, &StudentFacts>,
    new_students: &HashMap<PersonKey, &StudentFacts>,
    person: PersonKey,
    code: PolicyCode,
    kind: ChangeKind,
) -> Change {
    let op = old.policies.get(code.as_str());
    let np = new.policies.get(code.as_str());
    let policy_name = np.or(op).map_or_else(String::new, |p| p.name.clone());
    let mut reasons = Vec::new();
    if old.term != new.term {
        reasons.push(Reason::TermChanged {
            old: old.term,
            new: new.term,
        });
    }
    match (op, np) {
        (Some(a), Some(b)) if fingerprint(a) != fingerprint(b) => {
            reasons.push(Reason::PolicyChanged)
        }
        (Some(_), Some(_)) => {}
        _ => reasons.push(Reason::PolicyAddedOrRemoved),
    }
    let os = old_students.get(&person).copied();
    let ns = new_students.get(&person).copied();
    match (os, ns) {
        (None, Some(_)) => reasons.push(Reason::StudentAdded),
        (Some(_), None) => reasons.push(Reason::StudentRemoved),
        (Some(a), Some(b)) => {
            if let Some(p) = np.or(op) {
                reasons.extend(fact_changes(
                    &old.policies,
                    &new.policies,
                    p,
                    a,
                    b,
                    old.term,
                    new.term,
                ));
            }
        }
        (None, None) => {}
    }
    if reasons.is_empty() {
        let status_of = |k: &ChangeKind| match k {
            ChangeKind::Added { status, .. } | ChangeKind::Removed { status, .. } => vec![*status],
            ChangeKind::Changed {
                old_status,
                new_status,
                ..
            } => vec![*old_status, *new_status],
        };
        let statuses = status_of(&kind);
        use crate::engine::Cause;
        if statuses
            .iter()
            .any(|s| matches!(s, Status::Blocked(Cause::QuotaExhausted { .. })))
            || np.or(op).is_some_and(|p| p.quota.is_some())
        {
            reasons.push(Reason::QuotaSelection);
        } else {
            reasons.push(Reason::Exclusivity);
        }
    }
    Change {
        person,
        policy_code: code,
        policy_name,
        kind,
        reasons,
    }
}

/// The relevant facts whose displayed value differs between the two records.
fn fact_changes(
    old_set: &PolicySet,
    new_set: &PolicySet,
    p: &Policy,
    a: &StudentFacts,
    b: &StudentFacts,
    old_term: Term,
    new_term: Term,
) -> Vec<Reason> {
    let (da, _) = difficulty_of(old_set, a, old_term);
    let (db, _) = difficulty_of(new_set, b, new_term);
    let op = old_set.get(p.code.as_str()).unwrap_or(p);
    let np = new_set.get(p.code.as_str()).unwrap_or(p);
    let ca = ctx_for(old_set, Some(op), a, old_term, da);
    let cb = ctx_for(new_set, Some(np), b, new_term, db);
    let mut out = Vec::new();
    let relevant = op.relevant_facts().union(np.relevant_facts());
    for f in relevant.iter() {
        let (va, vb) = (value_of(f, &ca), value_of(f, &cb));
        if va != vb {
            out.push(Reason::FactChanged {
                fact: f,
                old: va.label(),
                new: vb.label(),
            });
        }
    }
    if a.school != b.school {
        out.push(Reason::SchoolChanged {
            old: a.school,
            new: b.school,
        });
    }
    out
}
