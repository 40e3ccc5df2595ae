//! 大数据比对 in the web application: the exception lists and the review
//! queue of the user's area, and a reviewer's decision on one link. Every
//! read goes through the user's scope in the store; a link outside it is
//! "not found", for reading and for deciding alike. Names and ID numbers
//! are masked here; the person page unmasks (and logs it) for roles that
//! may.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use zizhu_core::Term;
use zizhu_core::mask::mask_name;
use zizhu_store::{ExceptionKind, Store, StoredLink};

use super::{parse_id, pick_term};
use crate::AppState;
use crate::accounts::Role;
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::pages::students::Opt;
use crate::view::{Layout, mask_id, query_string};

/// Rows a page shows at most.
const LIMIT: u64 = 500;

/// Who reads the exception lists: everyone who works with students'
/// records, not the foundation.
pub(crate) fn may_read(role: Role) -> bool {
    !matches!(role, Role::Foundation)
}

/// Who decides links: those who keep records right in their area.
fn may_review(role: Role) -> bool {
    matches!(
        role,
        Role::CountyCenter | Role::Township | Role::SchoolOfficer
    )
}

pub(crate) struct ExceptionRow {
    kind: String,
    person_id: Option<i64>,
    name: String,
    id_number: String,
    place: String,
    summary: String,
    evidence: String,
}

#[derive(Template)]
#[template(path = "compare.html")]
struct ExceptionsPage {
    layout: Layout,
    term: String,
    kinds: Vec<Opt>,
    counts: Vec<(String, usize)>,
    rows: Vec<ExceptionRow>,
    truncated: bool,
    has_term: bool,
}

pub(crate) struct LinkRow {
    id: i64,
    list: String,
    row_no: i64,
    row_person: String,
    person_id: i64,
    person: String,
    probability: String,
    why: String,
}

#[derive(Template)]
#[template(path = "compare_review.html")]
struct ReviewPage {
    layout: Layout,
    term: String,
    rows: Vec<LinkRow>,
    may_review: bool,
}

#[derive(Deserialize, Default)]
pub(crate) struct CompareQuery {
    term: Option<String>,
    kind: Option<String>,
}

async fn person_text(store: &Store, id: i64) -> Result<String, PageError> {
    Ok(match store.get_person(id).await? {
        Some(p) => {
            let idn = p.record.id_number.as_ref().map(|i| i.as_str().to_owned());
            let birth = p
                .record
                .birth_date
                .map(|d| format!("{}年生", d.year()))
                .unwrap_or_default();
            format!(
                "{} {} {birth}",
                mask_name(p.record.name.original()),
                if idn.is_some() {
                    mask_id(idn.as_deref())
                } else {
                    "无身份证号".to_owned()
                }
            )
        }
        None => format!("人员 {id}"),
    })
}

/// GET /compare: the open exceptions of the user's area.
pub(crate) async fn exceptions(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<CompareQuery>,
) -> Result<Html<String>, PageError> {
    user.require(may_read(user.role))?;
    let (term, _) = pick_term(&state.store, q.term.as_deref()).await?;
    let kind = match q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => Some(
            ExceptionKind::from_label(k)
                .ok_or_else(|| PageError::BadRequest(format!("异常类别无效：“{k}”")))?,
        ),
        None => None,
    };
    let current = kind.map(|k| k.label()).unwrap_or_default();
    let kinds = ExceptionKind::ALL
        .iter()
        .map(|k| Opt {
            value: k.label().to_owned(),
            label: k.label().to_owned(),
            selected: k.label() == current,
        })
        .collect();
    let mut rows = Vec::new();
    let mut counts = Vec::new();
    let mut truncated = false;
    if let Some(term) = term {
        let all = state
            .store
            .compare_exceptions(&term, user.scope(), None, false, 0, 100_000)
            .await?;
        let schools = super::school_names(&state.store).await?;
        let towns: std::collections::HashMap<String, String> =
            super::townships(&state.store, user.scope())
                .await?
                .into_iter()
                .collect();
        for k in ExceptionKind::ALL {
            counts.push((
                k.label().to_owned(),
                all.iter().filter(|e| e.record.kind == *k).count(),
            ));
        }
        for e in all
            .iter()
            .filter(|e| kind.is_none_or(|k| k == e.record.kind))
        {
            if rows.len() as u64 >= LIMIT {
                truncated = true;
                break;
            }
            let r = &e.record;
            let (name, id_number) = match r.person_id {
                Some(p) => match state.store.get_person(p).await? {
                    Some(p) => (
                        mask_name(p.record.name.original()),
                        mask_id(p.record.id_number.as_ref().map(|i| i.as_str())),
                    ),
                    None => (String::new(), String::new()),
                },
                None => (String::new(), String::new()),
            };
            // Names, not codes: the township and the school as a reader
            // knows them; one the directory lacks (a school in another
            // county) is said to be so, with its code.
            let place = [
                r.placement.township_code.as_ref().map(|c| {
                    towns
                        .get(c)
                        .cloned()
                        .unwrap_or_else(|| format!("乡镇（代码 {c}）"))
                }),
                r.placement.school_code.as_ref().map(|c| {
                    schools
                        .get(c)
                        .cloned()
                        .unwrap_or_else(|| format!("未登记的学校（代码 {c}）"))
                }),
                r.placement.class_name.clone(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
            rows.push(ExceptionRow {
                kind: r.kind.label().to_owned(),
                person_id: r.person_id,
                name,
                id_number,
                place,
                summary: r.summary.clone(),
                // The page masks names and ID numbers for every role; the
                // evidence is masked the same way.
                evidence: zizhu_app::render_evidence(&state.store, r, false)
                    .await
                    .map_err(app_error)?,
            });
        }
    }
    let page = ExceptionsPage {
        layout: user.layout(&state, "比对异常名单", "/compare"),
        term: term.map(|t| t.code()).unwrap_or_default(),
        kinds,
        counts,
        rows,
        truncated,
        has_term: term.is_some(),
    };
    Ok(Html(page.render()?))
}

async fn link_row(store: &Store, l: &StoredLink) -> Result<LinkRow, PageError> {
    let r = &l.record;
    let why: serde_json::Value = serde_json::from_str(&r.explanation).unwrap_or_default();
    let terms = why["各项比较"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|t| {
                    format!(
                        "{}：{}（{}）",
                        t["字段"].as_str().unwrap_or(""),
                        t["等级"].as_str().unwrap_or(""),
                        t["权重"]
                    )
                })
                .collect::<Vec<_>>()
                .join("；")
        })
        .unwrap_or_default();
    Ok(LinkRow {
        id: l.id,
        list: format!("{}（{}）", r.list_kind, r.file_name),
        row_no: r.row_no,
        row_person: person_text(store, r.row_person_id).await?,
        person_id: r.person_id,
        person: person_text(store, r.person_id).await?,
        // A percentage with one decimal, in integers: 812,345 ppm is 81.2%.
        probability: {
            let permille = (r.probability_ppm + 500) / 1_000;
            format!("{}.{}%", permille / 10, permille % 10)
        },
        why: terms,
    })
}

/// GET /compare/review: the links of the user's area waiting for a person.
pub(crate) async fn review_queue(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<CompareQuery>,
) -> Result<Html<String>, PageError> {
    user.require(may_read(user.role))?;
    let (term, _) = pick_term(&state.store, q.term.as_deref()).await?;
    let mut rows = Vec::new();
    if let Some(term) = term {
        let links = zizhu_app::review_queue(&state.store, term, user.scope(), LIMIT)
            .await
            .map_err(app_error)?;
        for l in &links {
            rows.push(link_row(&state.store, l).await?);
        }
    }
    let page = ReviewPage {
        layout: user.layout(&state, "比对复核", "/compare"),
        term: term.map(|t| t.code()).unwrap_or_default(),
        rows,
        may_review: may_review(user.role),
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
pub(crate) struct DecisionForm {
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    term: String,
}

fn app_error(e: zizhu_app::AppError) -> PageError {
    match e {
        zizhu_app::AppError::LinkNotFound { .. } => PageError::NotFound,
        zizhu_app::AppError::Store(s) => PageError::Store(s),
        other => PageError::BadRequest(other.to_string()),
    }
}

/// POST /compare/links/{id}: accept (人工确认) or reject (已否决) a link,
/// audited with the user and the reason.
pub(crate) async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    // The area comes first: outside it the link does not exist, whatever
    // the role.
    if state.store.compare_link(id, user.scope()).await?.is_none() {
        return Err(PageError::NotFound);
    }
    user.require(may_review(user.role))?;
    let accept = match form.decision.as_str() {
        "accept" => true,
        "reject" => false,
        other => return Err(PageError::BadRequest(format!("复核结论无效：“{other}”"))),
    };
    if form.reason.trim().is_empty() {
        return Err(PageError::BadRequest("复核必须填写理由".into()));
    }
    zizhu_app::review_link(
        &state.store,
        user.scope(),
        id,
        accept,
        &user.actor(),
        &form.reason,
    )
    .await
    .map_err(app_error)?;
    // The term is percent-encoded: a Location header is ASCII.
    let term = Term::parse(form.term.trim())
        .map(|t| format!("?{}", query_string(&[("term", t.code())])))
        .unwrap_or_default();
    Ok(Redirect::to(&format!("/compare/review{term}")).into_response())
}
