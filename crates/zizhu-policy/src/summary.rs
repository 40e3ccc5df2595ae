//! Summaries of payable entitlements: 人次 and 金额 per policy, category,
//! township, school or term, in 元 and 万元, exactly.
//!
//! Totals are computed as the sum of the rows, so a summary always adds up;
//! the seed's hand-made report (whose items sum to 4,202.27 万元 against a
//! stated 3,492.13989) is exactly what this prevents.

use crate::engine::{Entitlement, TermResult};
use crate::policy::{Category, term_label};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use zizhu_core::Fen;

/// What a summary groups by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dimension {
    Policy,
    Category,
    Township,
    School,
    Term,
}

impl Dimension {
    pub fn label(&self) -> &'static str {
        match self {
            Dimension::Policy => "项目",
            Dimension::Category => "类别",
            Dimension::Township => "乡镇",
            Dimension::School => "学校",
            Dimension::Term => "学期",
        }
    }
}

/// One row: a group's person-times and amount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryRow {
    /// The group's key: policy code, category, township, school or term.
    pub key: String,
    /// A readable label (the policy's name; otherwise the key).
    pub label: String,
    /// 人次: one per payable entitlement, i.e. per student per policy per term.
    pub person_times: u64,
    pub amount: Fen,
}

impl SummaryRow {
    /// The amount in 元 with two decimals: `2938000.00`.
    pub fn yuan(&self) -> String {
        self.amount.fmt_yuan()
    }

    /// The amount in 万元 as the seed writes it: `293.8`.
    pub fn wan(&self) -> String {
        self.amount.fmt_wan()
    }
}

/// A summary table with its total row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub dimension: Dimension,
    pub rows: Vec<SummaryRow>,
    /// The sum of the rows.
    pub total: SummaryRow,
}

impl Summary {
    /// The row with `key`.
    pub fn row(&self, key: &str) -> Option<&SummaryRow> {
        self.rows.iter().find(|r| r.key == key)
    }

    /// A plain-text table in Chinese.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}\t名称\t人次\t金额（元）\t金额（万元）",
            self.dimension.label()
        );
        for r in self.rows.iter().chain(std::iter::once(&self.total)) {
            let _ = writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}",
                r.key,
                r.label,
                r.person_times,
                r.amount.fmt_yuan_grouped(),
                r.amount.fmt_wan_grouped()
            );
        }
        out
    }
}

/// Sums the payable entitlements of one or more term results (pass both
/// terms of a year for yearly figures like the seed's).
pub fn summarize(results: &[&TermResult], by: Dimension) -> Summary {
    // Keys sort by an order key so that policies keep file order, categories
    // follow 补助免奖贷 and terms run chronologically.
    let mut groups: BTreeMap<(i64, String), (String, u64, i64)> = BTreeMap::new();
    for r in results {
        for e in r.entitlements.iter().filter(|e| e.status.is_payable()) {
            let (order, key, label) = group_of(r, e, by);
            let g = groups.entry((order, key)).or_insert((label, 0, 0));
            g.1 += 1;
            g.2 += e.amount.0;
        }
    }
    let rows: Vec<SummaryRow> = groups
        .into_iter()
        .map(|((_, key), (label, n, amount))| SummaryRow {
            key,
            label,
            person_times: n,
            amount: Fen(amount),
        })
        .collect();
    let total = SummaryRow {
        key: "合计".to_string(),
        label: String::new(),
        person_times: rows.iter().map(|r| r.person_times).sum(),
        amount: Fen(rows.iter().map(|r| r.amount.0).sum()),
    };
    Summary {
        dimension: by,
        rows,
        total,
    }
}

fn group_of(r: &TermResult, e: &Entitlement, by: Dimension) -> (i64, String, String) {
    match by {
        Dimension::Policy => {
            let p = r.policy_of(e);
            (i64::from(e.policy), p.code.to_string(), p.name.clone())
        }
        Dimension::Category => {
            let order = Category::ALL
                .iter()
                .position(|c| *c == e.category)
                .unwrap_or(0) as i64;
            let l = e.category.label().to_string();
            (order, l.clone(), l)
        }
        Dimension::Township => {
            let t = r.students[e.student as usize].township.to_string();
            (0, t.clone(), t)
        }
        Dimension::School => {
            let s = r.students[e.student as usize].school.to_string();
            (0, s.clone(), s)
        }
        Dimension::Term => {
            let t = r.term;
            let order =
                i64::from(t.year()) * 2 + i64::from(t.season() == zizhu_core::Season::Autumn);
            let l = term_label(t);
            (order, l.clone(), l)
        }
    }
}
