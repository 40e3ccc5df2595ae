//! 学校: the schools of the user's area with their students this term, and
//! one school's page.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use serde::Deserialize;
use zizhu_store::{PovertyFilter, StudentFilter, StudentGroup};

use super::{pick_term, townships};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::charts;
use crate::error::PageError;
use crate::view::{Layout, grouped, query_string};

pub(crate) struct SchoolLine {
    code: String,
    name: String,
    category: String,
    township: String,
    public: &'static str,
    students: String,
    poor: String,
}

#[derive(Template)]
#[template(path = "schools.html")]
struct SchoolsPage {
    layout: Layout,
    term: String,
    rows: Vec<SchoolLine>,
}

#[derive(Deserialize)]
pub(crate) struct TermQuery {
    term: Option<String>,
}

/// GET /schools.
pub(crate) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<TermQuery>,
) -> Result<Html<String>, PageError> {
    let store = &state.store;
    let scope = user.scope();
    let (term, _) = pick_term(store, q.term.as_deref()).await?;
    let schools = store.list_schools(scope).await?;
    let towns: HashMap<String, String> = townships(store, scope).await?.into_iter().collect();
    let (all, poor): (HashMap<String, i64>, HashMap<String, i64>) = match &term {
        Some(t) => (
            store
                .student_counts(t, scope, &StudentFilter::default(), StudentGroup::School)
                .await?
                .into_iter()
                .collect(),
            store
                .student_counts(
                    t,
                    scope,
                    &StudentFilter {
                        poverty: Some(PovertyFilter::Registered),
                        ..Default::default()
                    },
                    StudentGroup::School,
                )
                .await?
                .into_iter()
                .collect(),
        ),
        None => Default::default(),
    };
    let rows = schools
        .into_iter()
        .map(|s| {
            let code = s.record.code.as_str().to_owned();
            SchoolLine {
                name: s.record.name.clone(),
                category: s.category.clone(),
                township: s
                    .township_code
                    .as_ref()
                    .map(|t| towns.get(t).cloned().unwrap_or_else(|| t.clone()))
                    .unwrap_or_default(),
                public: if s.record.is_public {
                    "公办"
                } else {
                    "民办"
                },
                students: grouped(all.get(&code).copied().unwrap_or(0)),
                poor: grouped(poor.get(&code).copied().unwrap_or(0)),
                code,
            }
        })
        .collect();
    let page = SchoolsPage {
        layout: user.layout(&state, "学校", "/schools"),
        term: term.map(|t| t.code()).unwrap_or_default(),
        rows,
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "school.html")]
struct SchoolPage {
    layout: Layout,
    code: String,
    name: String,
    category: String,
    township: String,
    region_code: String,
    public: &'static str,
    stages: String,
    term: String,
    students: String,
    students_href: String,
    stage_chart: String,
    status_chart: String,
}

/// GET /schools/{code}.
pub(crate) async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(q): Query<TermQuery>,
) -> Result<Html<String>, PageError> {
    let store = &state.store;
    let scope = user.scope();
    let school = store
        .school_in_scope(&code, scope)
        .await?
        .ok_or(PageError::NotFound)?;
    let (term, _) = pick_term(store, q.term.as_deref()).await?;
    let filter = StudentFilter {
        school_code: Some(school.record.code.clone()),
        ..Default::default()
    };
    let (students, stage_chart, status_chart, term_code) = match &term {
        Some(t) => {
            let n = store.count_students(t, scope, &filter).await?;
            let stages = store
                .student_counts(t, scope, &filter, StudentGroup::Stage)
                .await?;
            let statuses = store
                .student_counts(t, scope, &filter, StudentGroup::Status)
                .await?;
            (
                n,
                charts::hbars(&format!("{} 各学段在籍学生", t.code()), &stages, 10),
                charts::hbars(&format!("{} 学籍状态", t.code()), &statuses, 10),
                t.code(),
            )
        }
        None => (0, String::new(), String::new(), String::new()),
    };
    let township = match &school.township_code {
        Some(t) => store
            .region_names(&[t.as_str()])
            .await?
            .get(t)
            .cloned()
            .unwrap_or_else(|| t.clone()),
        None => String::new(),
    };
    let page = SchoolPage {
        layout: user.layout(&state, &school.record.name, "/schools"),
        students_href: format!(
            "/students?{}",
            query_string(&[("term", term_code.clone()), ("school", code.clone())])
        ),
        code,
        name: school.record.name.clone(),
        category: school.category.clone(),
        township,
        region_code: school.record.region_code.as_str().to_owned(),
        public: if school.record.is_public {
            "公办"
        } else {
            "民办"
        },
        stages: school
            .record
            .stages
            .iter()
            .map(|s| s.label())
            .collect::<Vec<_>>()
            .join("、"),
        term: term_code,
        students: grouped(students),
        stage_chart,
        status_chart,
    };
    Ok(Html(page.render()?))
}
