//! 首页: the key figures of the user's area for a term, with charts, and,
//! once `zizhu entitle` has stored the term's entitlements, 资助人次 and
//! 金额 per policy with 应享尽享 coverage.
//!
//! Every figure is a scoped store read summed from the term's tallies,
//! which the store keeps between registry changes, so the page costs a few
//! milliseconds however large the county is.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use serde::Deserialize;
use zizhu_core::Fen;
use zizhu_store::{
    EnrollmentStatus, EntitlementGroup, EntitlementSelection, EntitlementTotal, ExceptionKind,
    Store,
};

use super::{pick_term, school_names};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::charts::{self, Series};
use crate::error::PageError;
use crate::view::{Layout, grouped, query_string};

/// One key figure, linking to the list behind it (when there is one).
pub(crate) struct Figure {
    pub(crate) label: &'static str,
    pub(crate) value: String,
    pub(crate) href: String,
}

/// One policy's line of the aid table.
pub(crate) struct PolicyLine {
    pub(crate) name: String,
    pub(crate) payable: String,
    pub(crate) payable_amount: String,
    pub(crate) gaps: String,
    pub(crate) gap_amount: String,
    pub(crate) coverage: String,
}

/// 资助 and 应享尽享 of the term in the user's area.
pub(crate) struct AidSection {
    pub(crate) run: String,
    pub(crate) figures: Vec<Figure>,
    pub(crate) policies: Vec<PolicyLine>,
    pub(crate) policy_chart: String,
    pub(crate) cause_chart: String,
}

/// `已享 / 应享` as a percentage with one decimal, in integers:
/// `payable` of `payable + gaps` 人次.
fn coverage(payable: i64, gaps: i64) -> String {
    let owed = payable + gaps;
    if owed <= 0 {
        return "—".to_owned();
    }
    let permille = (payable * 1000 + owed / 2) / owed;
    format!("{}.{}%", permille / 10, permille % 10)
}

/// The aid section, `None` when the term has no stored computation.
async fn aid_section(
    store: &Store,
    term: &zizhu_core::Term,
    scope: &zizhu_store::Scope,
) -> Result<Option<AidSection>, PageError> {
    let Some(run) = store.latest_entitlement_run_cached(term).await? else {
        return Ok(None);
    };
    let code = term.code();
    let totals = |which, by| store.entitlement_totals(term, scope, which, by);
    let payable = totals(EntitlementSelection::Payable, EntitlementGroup::Policy).await?;
    let gaps = totals(EntitlementSelection::Gaps, EntitlementGroup::Policy).await?;
    let causes = totals(EntitlementSelection::Gaps, EntitlementGroup::Cause).await?;
    let sum = |rows: &[EntitlementTotal]| {
        (
            rows.iter().map(|t| t.count).sum::<i64>(),
            Fen(rows.iter().map(|t| t.amount.0).sum()),
        )
    };
    let (paid_n, paid_fen) = sum(&payable);
    let (gap_n, gap_fen) = sum(&gaps);
    // Policies in file order, those with only gaps included.
    let mut order: Vec<(i64, String, String)> = payable
        .iter()
        .chain(gaps.iter())
        .map(|t| {
            (
                t.order,
                t.key.clone(),
                t.label.clone().unwrap_or_else(|| t.key.clone()),
            )
        })
        .collect();
    order.sort();
    order.dedup_by(|a, b| a.1 == b.1);
    let find = |rows: &[EntitlementTotal], key: &str| {
        rows.iter()
            .find(|t| t.key == key)
            .map_or((0, Fen(0)), |t| (t.count, t.amount))
    };
    let policies: Vec<PolicyLine> = order
        .iter()
        .map(|(_, key, name)| {
            let (pn, pf) = find(&payable, key);
            let (gn, gf) = find(&gaps, key);
            PolicyLine {
                name: name.clone(),
                payable: grouped(pn),
                payable_amount: pf.fmt_yuan_grouped(),
                gaps: grouped(gn),
                gap_amount: gf.fmt_yuan_grouped(),
                coverage: coverage(pn, gn),
            }
        })
        .collect();
    let names: Vec<String> = order.iter().map(|(_, _, n)| n.clone()).collect();
    // Policy names are long: a horizontal chart shows them whole.
    let policy_chart = charts::hbars_grouped(
        &format!("{code} 各项资助人次"),
        &names,
        &[
            Series {
                name: "可发放",
                values: order.iter().map(|(_, k, _)| find(&payable, k).0).collect(),
            },
            Series {
                name: "应享未享",
                values: order.iter().map(|(_, k, _)| find(&gaps, k).0).collect(),
            },
        ],
    );
    let cause_items: Vec<(String, i64)> = causes
        .iter()
        .map(|t| {
            let name = if t.key.is_empty() {
                "未说明".to_owned()
            } else {
                t.key.clone()
            };
            (name, t.count)
        })
        .collect();
    let cause_chart = charts::hbars(&format!("{code} 应享未享的原因（人次）"), &cause_items, 12);
    Ok(Some(AidSection {
        run: format!(
            "第 {} 次资助计算（{}，{}，政策文件 {}）",
            run.id,
            run.finished_at.get(..10).unwrap_or(&run.finished_at),
            run.actor,
            run.record.policy_file
        ),
        figures: vec![
            Figure {
                label: "资助人次（可发放）",
                value: grouped(paid_n),
                href: String::new(),
            },
            Figure {
                label: "资助金额（元）",
                value: paid_fen.fmt_yuan_grouped(),
                href: String::new(),
            },
            Figure {
                label: "应享未享人次",
                value: grouped(gap_n),
                href: String::new(),
            },
            Figure {
                label: "应享未享金额（元）",
                value: gap_fen.fmt_yuan_grouped(),
                href: String::new(),
            },
            Figure {
                label: "覆盖率（已享/应享）",
                value: coverage(paid_n, gap_n),
                href: String::new(),
            },
        ],
        policies,
        policy_chart,
        cause_chart,
    }))
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    term: String,
    terms: Vec<String>,
    figures: Vec<Figure>,
    stage_chart: String,
    area_chart: String,
    aid: Option<AidSection>,
}

#[derive(Deserialize)]
pub(crate) struct DashboardQuery {
    term: Option<String>,
}

/// GET /.
pub(crate) async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<DashboardQuery>,
) -> Result<Html<String>, PageError> {
    // One read of the registry change counter for all the page's figures.
    let store = &state.store.pinned().await?;
    let scope = user.scope();
    let (term, terms) = pick_term(store, q.term.as_deref()).await?;
    let layout = user.layout(&state, "首页", "/");
    let term_names: Vec<String> = terms.iter().map(|t| t.code()).collect();
    let Some(term) = term else {
        let page = DashboardPage {
            layout,
            term: String::new(),
            terms: term_names,
            figures: vec![Figure {
                label: "学校",
                value: grouped(store.count_schools_cached(scope).await?),
                href: "/schools".into(),
            }],
            stage_chart: String::new(),
            area_chart: String::new(),
            aid: None,
        };
        return Ok(Html(page.render()?));
    };
    let code = term.code();
    let link = |extra: &[(&str, String)]| {
        let mut pairs = vec![("term", code.clone())];
        pairs.extend(extra.iter().cloned());
        format!("/students?{}", query_string(&pairs))
    };
    // Every student figure and chart of the page from one summary the
    // store keeps per scope between registry changes.
    let sum = store.student_summary(&term, scope).await?;
    let mut figures = vec![
        Figure {
            label: "在籍学生",
            value: grouped(sum.total),
            href: link(&[]),
        },
        Figure {
            label: "建档立卡学生",
            value: grouped(sum.registered),
            href: link(&[("poverty", "registered".into())]),
        },
        Figure {
            label: "辍学（待劝返）",
            value: grouped(sum.dropped_out),
            href: link(&[("status", EnrollmentStatus::DroppedOut.label().into())]),
        },
        Figure {
            label: "疑似失学辍学（比对）",
            value: String::new(),
            href: String::new(),
        },
        Figure {
            label: "休学",
            value: grouped(sum.suspended),
            href: link(&[("status", EnrollmentStatus::Suspended.label().into())]),
        },
        Figure {
            label: "寄宿生",
            value: grouped(sum.boarding),
            href: link(&[("boarding", "1".into())]),
        },
        Figure {
            label: "县外就读",
            value: grouped(sum.out_of_county),
            href: link(&[("out", "1".into())]),
        },
        Figure {
            label: "学校",
            value: grouped(store.count_schools_cached(scope).await?),
            href: "/schools".into(),
        },
        Figure {
            label: "家庭户",
            value: grouped(store.count_households_cached(scope).await?),
            href: "/households".into(),
        },
    ];
    // 疑似失学辍学 from the comparison: what /compare lists for the area,
    // counted on the exceptions' index; not shown to roles that do not
    // read the exception lists.
    if super::compare::may_read(user.role) {
        let n = store
            .count_compare_exceptions_cached(&term, scope, ExceptionKind::SuspectedDropout)
            .await?;
        if let Some(f) = figures
            .iter_mut()
            .find(|f| f.label == "疑似失学辍学（比对）")
        {
            f.value = grouped(n);
            f.href = format!(
                "/compare?{}",
                query_string(&[
                    ("term", code.clone()),
                    ("kind", ExceptionKind::SuspectedDropout.label().to_owned()),
                ])
            );
        }
    } else {
        figures.retain(|f| f.label != "疑似失学辍学（比对）");
    }

    // Students by stage, all and 建档立卡, in stage order.
    let mut stages: Vec<zizhu_core::Stage> = sum
        .by_stage
        .iter()
        .filter_map(|(k, _)| zizhu_core::Stage::parse(k).ok())
        .collect();
    stages.sort();
    let value_of = |rows: &[(String, i64)], label: &str| {
        rows.iter().find(|(k, _)| k == label).map_or(0, |(_, n)| *n)
    };
    let categories: Vec<String> = stages.iter().map(|s| s.label().to_owned()).collect();
    let stage_chart = charts::bars(
        &format!("{code} 各学段在籍学生"),
        &categories,
        &[
            Series {
                name: "在籍",
                values: categories
                    .iter()
                    .map(|c| value_of(&sum.by_stage, c))
                    .collect(),
            },
            Series {
                name: "建档立卡",
                values: categories
                    .iter()
                    .map(|c| value_of(&sum.registered_by_stage, c))
                    .collect(),
            },
        ],
    );

    // The next level down: townships for the county, schools for a
    // township, 学籍状态 within a school or class.
    let area_chart = match scope {
        zizhu_store::Scope::All => {
            let names = store.township_names().await?;
            let items: Vec<(String, i64)> = sum
                .by_township
                .iter()
                .map(|(k, n)| {
                    let name = if k.is_empty() {
                        "县外或未知学校".to_owned()
                    } else {
                        names.get(k).cloned().unwrap_or_else(|| k.clone())
                    };
                    (name, *n)
                })
                .collect();
            charts::hbars(&format!("{code} 各乡镇在籍学生"), &items, 30)
        }
        zizhu_store::Scope::Township(_) => {
            let names = school_names(store).await?;
            let items: Vec<(String, i64)> = sum
                .by_school
                .iter()
                .map(|(k, n)| (names.get(k).cloned().unwrap_or_else(|| k.clone()), *n))
                .collect();
            charts::hbars(&format!("{code} 各学校在籍学生"), &items, 40)
        }
        _ => charts::hbars(&format!("{code} 学籍状态"), &sum.by_status, 10),
    };
    let page = DashboardPage {
        layout,
        term: code,
        terms: term_names,
        figures,
        stage_chart,
        area_chart,
        aid: aid_section(store, &term, scope).await?,
    };
    Ok(Html(page.render()?))
}
