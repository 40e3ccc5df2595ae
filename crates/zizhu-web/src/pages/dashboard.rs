//! 首页: the key figures of the user's area for a term, with charts.
//!
//! Entitlements and coverage (应享尽享) are not shown yet: the policy
//! engine does not write entitlement records to the store. When it does,
//! they join the figures here through a scoped store read, like the rest.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use serde::Deserialize;
use zizhu_store::{EnrollmentStatus, HouseholdFilter, PovertyFilter, StudentFilter, StudentGroup};

use super::{pick_term, school_names};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::charts::{self, Series};
use crate::error::PageError;
use crate::view::{Layout, grouped, query_string};

/// One key figure, linking to the list behind it.
pub(crate) struct Figure {
    pub(crate) label: &'static str,
    pub(crate) value: String,
    pub(crate) href: String,
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
    let store = &state.store;
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
                value: grouped(store.count_schools(scope).await?),
                href: "/schools".into(),
            }],
            stage_chart: String::new(),
            area_chart: String::new(),
        };
        return Ok(Html(page.render()?));
    };
    let code = term.code();
    let link = |extra: &[(&str, String)]| {
        let mut pairs = vec![("term", code.clone())];
        pairs.extend(extra.iter().cloned());
        format!("/students?{}", query_string(&pairs))
    };
    let count =
        |filter: StudentFilter| async move { store.count_students(&term, scope, &filter).await };
    let registered = StudentFilter {
        poverty: Some(PovertyFilter::Registered),
        ..Default::default()
    };
    let figures = vec![
        Figure {
            label: "在籍学生",
            value: grouped(count(StudentFilter::default()).await?),
            href: link(&[]),
        },
        Figure {
            label: "建档立卡学生",
            value: grouped(count(registered.clone()).await?),
            href: link(&[("poverty", "registered".into())]),
        },
        Figure {
            label: "辍学（待劝返）",
            value: grouped(
                count(StudentFilter {
                    status: Some(EnrollmentStatus::DroppedOut),
                    ..Default::default()
                })
                .await?,
            ),
            href: link(&[("status", "辍学".into())]),
        },
        Figure {
            label: "休学",
            value: grouped(
                count(StudentFilter {
                    status: Some(EnrollmentStatus::Suspended),
                    ..Default::default()
                })
                .await?,
            ),
            href: link(&[("status", "休学".into())]),
        },
        Figure {
            label: "寄宿生",
            value: grouped(
                count(StudentFilter {
                    boarding: Some(true),
                    ..Default::default()
                })
                .await?,
            ),
            href: link(&[("boarding", "1".into())]),
        },
        Figure {
            label: "县外就读",
            value: grouped(
                count(StudentFilter {
                    out_of_county: Some(true),
                    ..Default::default()
                })
                .await?,
            ),
            href: link(&[("out", "1".into())]),
        },
        Figure {
            label: "学校",
            value: grouped(store.count_schools(scope).await?),
            href: "/schools".into(),
        },
        Figure {
            label: "家庭户",
            value: grouped(
                store
                    .count_households_in(scope, &HouseholdFilter::default())
                    .await?,
            ),
            href: "/households".into(),
        },
    ];

    // Students by stage, all and 建档立卡, in stage order.
    let all = store
        .student_counts(&term, scope, &StudentFilter::default(), StudentGroup::Stage)
        .await?;
    let poor = store
        .student_counts(&term, scope, &registered, StudentGroup::Stage)
        .await?;
    let mut stages: Vec<zizhu_core::Stage> = all
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
                values: categories.iter().map(|c| value_of(&all, c)).collect(),
            },
            Series {
                name: "建档立卡",
                values: categories.iter().map(|c| value_of(&poor, c)).collect(),
            },
        ],
    );

    // The next level down: townships for the county, schools for a
    // township, 学籍状态 within a school or class.
    let area_chart = match scope {
        zizhu_store::Scope::All => {
            let rows = store
                .student_counts(
                    &term,
                    scope,
                    &StudentFilter::default(),
                    StudentGroup::Township,
                )
                .await?;
            let codes: Vec<&str> = rows.iter().map(|(k, _)| k.as_str()).collect();
            let names = store.region_names(&codes).await?;
            let items: Vec<(String, i64)> = rows
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
            let rows = store
                .student_counts(
                    &term,
                    scope,
                    &StudentFilter::default(),
                    StudentGroup::School,
                )
                .await?;
            let names = school_names(store).await?;
            let items: Vec<(String, i64)> = rows
                .iter()
                .map(|(k, n)| (names.get(k).cloned().unwrap_or_else(|| k.clone()), *n))
                .collect();
            charts::hbars(&format!("{code} 各学校在籍学生"), &items, 40)
        }
        _ => {
            let rows = store
                .student_counts(
                    &term,
                    scope,
                    &StudentFilter::default(),
                    StudentGroup::Status,
                )
                .await?;
            charts::hbars(&format!("{code} 学籍状态"), &rows, 10)
        }
    };
    let page = DashboardPage {
        layout,
        term: code,
        terms: term_names,
        figures,
        stage_chart,
        area_chart,
    };
    Ok(Html(page.render()?))
}
