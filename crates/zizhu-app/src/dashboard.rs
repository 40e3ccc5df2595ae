//! The web dashboard's figures, read from the stored ledger within the
//! reader's [`Scope`] (applied in SQL): 应享尽享 gaps per cause, township
//! and school, and 人次 and 金额 per policy, category, township or school.

use crate::error::AppError;
use std::collections::HashMap;
use std::fmt;
use zizhu_core::mask::{mask_id, mask_name};
use zizhu_core::{Fen, Term};
use zizhu_policy::policy::term_label;
use zizhu_policy::{Category, Dimension, Summary, SummaryRow};
use zizhu_store::{
    EntitlementGroup, EntitlementRun, EntitlementSelection, EntitlementTotal, Scope, Store,
};

/// The label of an unknown township or school key.
const UNKNOWN: &str = "未知（县外就读或未登记学校）";

/// One group's gaps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoverageGroup {
    /// The township code, school code or cause; empty when unknown.
    pub key: String,
    /// The township's or school's name, or the cause.
    pub name: String,
    /// 人次.
    pub count: i64,
    /// The amount not reaching students.
    pub amount: Fen,
}

/// One student's gap for one policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoverageGap {
    /// The registry's person id.
    pub person_id: i64,
    /// 姓名, unmasked: the caller masks it (the web application logs any
    /// unmasking).
    pub name: String,
    /// 身份证号, unmasked.
    pub id_number: Option<String>,
    /// 学校标识码.
    pub school_code: Option<String>,
    /// 学校名称.
    pub school_name: Option<String>,
    /// The 9-digit township.
    pub township_code: Option<String>,
    /// 县外就读.
    pub out_of_county: bool,
    /// The policy.
    pub policy_code: String,
    /// Its name.
    pub policy_name: String,
    /// What the student would receive.
    pub amount: Fen,
    /// The kind of the first cause (无银行账户, 信息缺失, …).
    pub cause_kind: String,
    /// Every cause, in Chinese.
    pub causes: String,
}

/// 应享尽享 for a term within a scope, from the stored ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoverageReport {
    /// The term.
    pub term: Term,
    /// The latest stored run; `None` when the term was never computed.
    pub run: Option<EntitlementRun>,
    /// 人次 of gaps.
    pub count: i64,
    /// Their amount.
    pub amount: Fen,
    /// Per kind of cause.
    pub by_cause: Vec<CoverageGroup>,
    /// Per township (by code).
    pub by_township: Vec<CoverageGroup>,
    /// Per school (by code).
    pub by_school: Vec<CoverageGroup>,
    /// Every gap, by township, school and person.
    pub gaps: Vec<CoverageGap>,
}

impl fmt::Display for CoverageReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = term_label(self.term);
        let Some(run) = &self.run else {
            return writeln!(f, "{label} 尚未保存资助计算结果，无法列出应享未享名单。");
        };
        writeln!(
            f,
            "{label} 应享尽享情况（第 {} 次计算，{}）",
            run.id,
            run.finished_at.get(..10).unwrap_or(&run.finished_at)
        )?;
        if self.count == 0 {
            return writeln!(f, "没有应享未享的学生。");
        }
        writeln!(
            f,
            "应享未享 {} 人次，涉及 {} 元。",
            self.count,
            self.amount.fmt_yuan_grouped()
        )?;
        writeln!(f, "按原因：")?;
        for g in &self.by_cause {
            writeln!(
                f,
                "  {}：{} 人次，{} 元",
                g.name,
                g.count,
                g.amount.fmt_yuan()
            )?;
        }
        writeln!(f, "按乡镇：")?;
        for g in &self.by_township {
            writeln!(
                f,
                "  {}：{} 人次，{} 元",
                g.name,
                g.count,
                g.amount.fmt_yuan()
            )?;
        }
        writeln!(f, "名单（姓名、身份证号已遮蔽）：")?;
        let mut school = None;
        for g in &self.gaps {
            if school != Some(&g.school_code) {
                school = Some(&g.school_code);
                let name = g.school_name.as_deref().unwrap_or(UNKNOWN);
                writeln!(
                    f,
                    "  学校 {}（{name}）",
                    g.school_code.as_deref().unwrap_or("-")
                )?;
            }
            writeln!(
                f,
                "    {}（{}）「{}」{} 元：{}",
                mask_name(&g.name),
                g.id_number
                    .as_deref()
                    .map_or_else(|| "无身份证号".to_string(), mask_id),
                g.policy_name,
                g.amount.fmt_yuan(),
                g.causes
            )?;
        }
        Ok(())
    }
}

async fn township_names(
    store: &Store,
    totals: &[EntitlementTotal],
) -> Result<HashMap<String, String>, AppError> {
    let codes: Vec<&str> = totals
        .iter()
        .map(|t| t.key.as_str())
        .filter(|k| !k.is_empty())
        .collect();
    Ok(store.region_names(&codes).await?)
}

fn group(t: EntitlementTotal, name: String) -> CoverageGroup {
    CoverageGroup {
        key: t.key,
        name,
        count: t.count,
        amount: t.amount,
    }
}

/// 应享尽享 gaps of a term within the scope, from the stored ledger.
pub async fn coverage(
    store: &Store,
    term: Term,
    scope: &Scope,
) -> Result<CoverageReport, AppError> {
    let run = store.latest_entitlement_run(&term).await?;
    let totals = |by| store.entitlement_totals(&term, scope, EntitlementSelection::Gaps, by);
    let by_cause: Vec<CoverageGroup> = totals(EntitlementGroup::Cause)
        .await?
        .into_iter()
        .map(|t| {
            let name = t.key.clone();
            group(t, name)
        })
        .collect();
    let townships = totals(EntitlementGroup::Township).await?;
    let names = township_names(store, &townships).await?;
    let by_township = townships
        .into_iter()
        .map(|t| {
            let name = match names.get(&t.key) {
                Some(n) => format!("{}（{}）", n, t.key),
                None if t.key.is_empty() => UNKNOWN.to_string(),
                None => t.key.clone(),
            };
            group(t, name)
        })
        .collect();
    let by_school = totals(EntitlementGroup::School)
        .await?
        .into_iter()
        .map(|t| {
            let name = match (&t.label, t.key.is_empty()) {
                (Some(l), _) => l.clone(),
                (None, true) => UNKNOWN.to_string(),
                (None, false) => t.key.clone(),
            };
            group(t, name)
        })
        .collect();
    let gaps: Vec<CoverageGap> = store
        .entitlement_gaps(&term, scope)
        .await?
        .into_iter()
        .map(|g| {
            let r = g.entitlement.record;
            CoverageGap {
                person_id: r.person_id,
                name: g.name,
                id_number: g.id_number,
                school_code: r.school_code,
                school_name: g.school_name,
                township_code: r.township_code,
                out_of_county: r.out_of_county,
                policy_code: r.policy_code,
                policy_name: r.policy_name,
                amount: r.amount,
                cause_kind: r.cause_kind.unwrap_or_default(),
                causes: r.cause.unwrap_or_default(),
            }
        })
        .collect();
    let count = by_cause.iter().map(|g: &CoverageGroup| g.count).sum();
    let amount = Fen(by_cause.iter().map(|g| g.amount.0).sum());
    Ok(CoverageReport {
        term,
        run,
        count,
        amount,
        by_cause,
        by_township,
        by_school,
        gaps,
    })
}

/// 人次 and 金额 of a term's payable entitlements within the scope, from
/// the stored ledger, per `dimension`; the total row is the sum of the rows.
/// Policies keep their file order and categories the order 补助免奖贷.
pub async fn summary(
    store: &Store,
    term: Term,
    scope: &Scope,
    dimension: Dimension,
) -> Result<Summary, AppError> {
    let by = match dimension {
        Dimension::Policy => EntitlementGroup::Policy,
        Dimension::Township => EntitlementGroup::Township,
        Dimension::School => EntitlementGroup::School,
        // One term is asked for, so the term dimension is its one row,
        // summed from the categories.
        Dimension::Category | Dimension::Term => EntitlementGroup::Category,
    };
    let totals = store
        .entitlement_totals(&term, scope, EntitlementSelection::Payable, by)
        .await?;
    let names = if by == EntitlementGroup::Township {
        township_names(store, &totals).await?
    } else {
        HashMap::new()
    };
    let row = |key: String, label: String, t: &EntitlementTotal| SummaryRow {
        key,
        label,
        person_times: u64::try_from(t.count).unwrap_or(0),
        amount: t.amount,
    };
    let mut rows: Vec<SummaryRow> = match dimension {
        Dimension::Term => {
            let count: i64 = totals.iter().map(|t| t.count).sum();
            let amount = Fen(totals.iter().map(|t| t.amount.0).sum());
            if count == 0 {
                Vec::new()
            } else {
                let label = term_label(term);
                vec![SummaryRow {
                    key: label.clone(),
                    label,
                    person_times: u64::try_from(count).unwrap_or(0),
                    amount,
                }]
            }
        }
        _ => totals
            .iter()
            .map(|t| {
                let label = match by {
                    EntitlementGroup::Township => match names.get(&t.key) {
                        Some(n) => n.clone(),
                        None if t.key.is_empty() => UNKNOWN.to_string(),
                        None => t.key.clone(),
                    },
                    EntitlementGroup::School if t.key.is_empty() => UNKNOWN.to_string(),
                    _ => t.label.clone().unwrap_or_else(|| t.key.clone()),
                };
                row(t.key.clone(), label, t)
            })
            .collect(),
    };
    if dimension == Dimension::Category {
        rows.sort_by_key(|r| {
            Category::parse(&r.key)
                .and_then(|c| Category::ALL.iter().position(|x| *x == c))
                .unwrap_or(usize::MAX)
        });
    }
    let total = SummaryRow {
        key: "合计".to_string(),
        label: String::new(),
        person_times: rows.iter().map(|r| r.person_times).sum(),
        amount: Fen(rows.iter().map(|r| r.amount.0).sum()),
    };
    Ok(Summary {
        dimension,
        rows,
        total,
    })
}
