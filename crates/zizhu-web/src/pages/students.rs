//! 学生: search, filters, pages of fifty, a printable 台账 and xlsx exports.
//!
//! The filter travels in the query string, so a filtered list can be
//! bookmarked, printed and exported exactly as shown. The search box takes
//! a name (any script: 李小龍 finds 李小龙), an ID number or a 学籍号; the
//! store decides which, the same way for every caller.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use zizhu_core::{SchoolCode, Stage, Term};
use zizhu_store::{
    EnrollmentStatus, PovertyFilter, PovertyStatus, Scope, StudentFilter, StudentRow, StudentSearch,
};

use super::{pick_term, townships};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::view::{Layout, Pager, attachment, mask_id, query_string, yes_no};

/// Rows on a page of the list.
const PER_PAGE: u64 = 50;
/// Rows a printed 台账 holds at most; a longer one is better exported.
const PRINT_LIMIT: u64 = 2000;
/// Rows an export of the current filter holds at most.
pub(crate) const EXPORT_LIMIT: u64 = 200_000;

/// The list's query string, as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct StudentQuery {
    q: Option<String>,
    term: Option<String>,
    township: Option<String>,
    school: Option<String>,
    stage: Option<String>,
    grade: Option<String>,
    poverty: Option<String>,
    boarding: Option<String>,
    out: Option<String>,
    status: Option<String>,
    page: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn yes_no_param(v: &Option<String>, what: &str) -> Result<Option<bool>, PageError> {
    match given(v) {
        None => Ok(None),
        Some("1") => Ok(Some(true)),
        Some("0") => Ok(Some(false)),
        Some(other) => Err(PageError::BadRequest(format!(
            "{what}的取值无效：“{other}”"
        ))),
    }
}

impl StudentQuery {
    /// The filter the query asks for, or a Chinese 400 naming the bad value.
    fn filter(&self) -> Result<StudentFilter, PageError> {
        let bad = |what: &str, v: &str| PageError::BadRequest(format!("{what}无效：“{v}”"));
        Ok(StudentFilter {
            school_code: given(&self.school)
                .map(|s| SchoolCode::parse(s).map_err(|_| bad("学校标识码", s)))
                .transpose()?,
            township_code: given(&self.township)
                .map(|t| {
                    if t.len() == 9 && t.bytes().all(|b| b.is_ascii_digit()) {
                        Ok(t.to_owned())
                    } else {
                        Err(bad("乡镇代码", t))
                    }
                })
                .transpose()?,
            stage: given(&self.stage)
                .map(|s| Stage::parse(s).map_err(|_| bad("学段", s)))
                .transpose()?,
            status: given(&self.status)
                .map(|s| EnrollmentStatus::from_label(s).ok_or_else(|| bad("学籍状态", s)))
                .transpose()?,
            grade: given(&self.grade)
                .map(|g| {
                    g.parse::<u8>()
                        .ok()
                        .filter(|g| (1..=9).contains(g))
                        .ok_or_else(|| bad("年级", g))
                })
                .transpose()?,
            poverty: given(&self.poverty)
                .map(|p| PovertyFilter::from_code(p).ok_or_else(|| bad("困难类型", p)))
                .transpose()?,
            boarding: yes_no_param(&self.boarding, "寄宿")?,
            out_of_county: yes_no_param(&self.out, "县外就读")?,
            search: self.q.as_deref().and_then(StudentSearch::parse),
        })
    }

    /// The query without the page, for links that keep the filter.
    fn echo(&self, term: &str) -> Vec<(&'static str, String)> {
        let v = |o: &Option<String>| given(o).unwrap_or_default().to_owned();
        vec![
            ("q", v(&self.q)),
            ("term", term.to_owned()),
            ("township", v(&self.township)),
            ("school", v(&self.school)),
            ("stage", v(&self.stage)),
            ("grade", v(&self.grade)),
            ("poverty", v(&self.poverty)),
            ("boarding", v(&self.boarding)),
            ("out", v(&self.out)),
            ("status", v(&self.status)),
        ]
    }

    fn value(&self, key: &str) -> String {
        let v = match key {
            "q" => &self.q,
            "township" => &self.township,
            "school" => &self.school,
            "stage" => &self.stage,
            "grade" => &self.grade,
            "poverty" => &self.poverty,
            "boarding" => &self.boarding,
            "out" => &self.out,
            "status" => &self.status,
            _ => return String::new(),
        };
        given(v).unwrap_or_default().to_owned()
    }
}

/// One choice of a filter menu.
pub(crate) struct Opt {
    pub(crate) value: String,
    pub(crate) label: String,
    pub(crate) selected: bool,
}

fn options(pairs: impl IntoIterator<Item = (String, String)>, current: &str) -> Vec<Opt> {
    pairs
        .into_iter()
        .map(|(value, label)| Opt {
            selected: value == current,
            value,
            label,
        })
        .collect()
}

/// One line of the list, every personal number masked.
pub(crate) struct StudentLine {
    pub(crate) person_id: i64,
    pub(crate) name: String,
    pub(crate) sex: String,
    pub(crate) id_number: String,
    pub(crate) student_no: String,
    pub(crate) school: String,
    pub(crate) grade: String,
    pub(crate) class_name: String,
    pub(crate) boarding: &'static str,
    pub(crate) out_of_county: &'static str,
    pub(crate) status: &'static str,
    pub(crate) hardship: String,
}

/// A 学籍号 with the ID number it carries masked (`G431126********0017`).
pub(crate) fn mask_student_no(no: &str) -> String {
    zizhu_core::mask::mask_student_no(no)
}

/// The hardship of a household in words (建档立卡·未脱贫、低保).
pub(crate) fn hardship(h: &zizhu_store::Household) -> String {
    let r = &h.record;
    let mut parts: Vec<String> = Vec::new();
    match r.poverty_status {
        PovertyStatus::NotRegistered => {}
        PovertyStatus::Lifted => parts.push(match r.lifted_year {
            Some(y) => format!("已脱贫（{y}）"),
            None => "已脱贫".to_owned(),
        }),
        PovertyStatus::NotLifted => parts.push("建档立卡·未脱贫".to_owned()),
        PovertyStatus::Marginal => parts.push("边缘户".to_owned()),
    }
    if r.dibao {
        parts.push("低保".to_owned());
    }
    if r.tekun {
        parts.push("特困".to_owned());
    }
    parts.join("、")
}

/// A school the directory does not hold, in words: a 县外就读 student's
/// school in another county usually, which the roster names only by its
/// code and 就读地. A bare ten-digit code tells the reader nothing.
pub(crate) fn unknown_school(
    code: &SchoolCode,
    out_of_county: bool,
    place: Option<&str>,
) -> String {
    let place = place.map(str::trim).filter(|p| !p.is_empty());
    match (out_of_county, place) {
        (true, Some(p)) => format!("县外学校（{p}，代码 {}）", code.as_str()),
        (true, None) => format!("县外学校（代码 {}）", code.as_str()),
        (false, _) => format!("未登记的学校（代码 {}）", code.as_str()),
    }
}

/// Lines for rows of a list, with school names and household hardship
/// (both read with the rows).
pub(crate) fn lines(rows: &[StudentRow]) -> Vec<StudentLine> {
    rows.iter()
        .map(|r| {
            let e = &r.enrollment.record;
            let p = &r.person.record;
            let school = match (&e.school_code, e.out_of_county) {
                (Some(c), out) => r
                    .school_name
                    .clone()
                    .unwrap_or_else(|| unknown_school(c, out, e.out_of_county_place.as_deref())),
                (None, true) => e
                    .out_of_county_place
                    .as_ref()
                    .map(|p| format!("县外：{p}"))
                    .unwrap_or_else(|| "县外".to_owned()),
                (None, false) => String::new(),
            };
            StudentLine {
                person_id: r.person.id,
                name: p.name.original().to_owned(),
                sex: p.sex.map(|s| s.label().to_owned()).unwrap_or_default(),
                id_number: mask_id(p.id_number.as_ref().map(|i| i.as_str())),
                student_no: e
                    .student_no
                    .as_ref()
                    .map(|n| mask_student_no(n.as_str()))
                    .unwrap_or_default(),
                school,
                grade: e.grade.label(),
                class_name: e.class_name.clone().unwrap_or_default(),
                boarding: yes_no(e.boarding),
                out_of_county: yes_no(e.out_of_county),
                status: e.status.label(),
                hardship: r.household.as_ref().map(hardship).unwrap_or_default(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "students.html")]
struct StudentsPage {
    layout: Layout,
    term: String,
    terms: Vec<Opt>,
    q: String,
    search_kind: &'static str,
    townships: Vec<Opt>,
    show_townships: bool,
    schools: Vec<Opt>,
    stages: Vec<Opt>,
    grades: Vec<Opt>,
    poverty: Vec<Opt>,
    statuses: Vec<Opt>,
    boarding: Vec<Opt>,
    out: Vec<Opt>,
    rows: Vec<StudentLine>,
    pager: Pager,
    query: String,
    filtered: bool,
    may_ledger: bool,
}

struct Resolved {
    term: Term,
    terms: Vec<Term>,
    filter: StudentFilter,
}

async fn resolve(
    store: &zizhu_store::Store,
    q: &StudentQuery,
) -> Result<Option<Resolved>, PageError> {
    let filter = q.filter()?;
    let (term, terms) = pick_term(store, q.term.as_deref()).await?;
    Ok(term.map(|term| Resolved {
        term,
        terms,
        filter,
    }))
}

/// GET /students.
pub(crate) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<StudentQuery>,
) -> Result<Html<String>, PageError> {
    // One read of the registry change counter for every cached figure the
    // page shows (terms, count, school and township menus).
    let store = &state.store.pinned().await?;
    let scope = user.scope();
    let layout = user.layout(&state, "学生", "/students");
    let Some(Resolved {
        term,
        terms,
        filter,
    }) = resolve(store, &q).await?
    else {
        return Err(PageError::BadRequest(
            "登记信息库中还没有任何学籍。请先导入学籍名单。".to_owned(),
        ));
    };
    let code = term.code();
    let echo = q.echo(&code);
    let base = query_string(&echo);
    let total = store.count_students(&term, scope, &filter).await?;
    let page: u64 = given(&q.page).and_then(|p| p.parse().ok()).unwrap_or(1);
    let pager = Pager::new(total, PER_PAGE, page, |n| {
        if base.is_empty() {
            format!("/students?page={n}")
        } else {
            format!("/students?{base}&page={n}")
        }
    });
    let rows = store
        .list_students(&term, scope, &filter, PER_PAGE, pager.offset(PER_PAGE))
        .await?;
    let lines = lines(&rows);
    // With a township chosen, the school menu offers that township's
    // schools only: a county has two thousand, and listing them all made
    // the page 140 KB.
    let directory = store.all_schools().await?;
    let visible_schools: Vec<_> = directory
        .iter()
        .filter(|s| s.in_scope(scope))
        .filter(|s| {
            filter.township_code.is_none()
                || s.township_code.as_deref() == filter.township_code.as_deref()
                || q.value("school") == s.record.code.as_str()
        })
        .collect();
    let search_kind = match &filter.search {
        None => "",
        Some(StudentSearch::Name(_)) => "按姓名（繁简体、全半角均可）",
        Some(StudentSearch::IdNumber(_)) => "按身份证号",
        Some(StudentSearch::StudentNo(_)) => "按学籍号",
    };
    let filtered = echo.iter().any(|(k, v)| *k != "term" && !v.is_empty());
    let page = StudentsPage {
        layout,
        terms: options(terms.iter().map(|t| (t.code(), t.code())), &code),
        term: code,
        q: q.value("q"),
        search_kind,
        show_townships: matches!(scope, Scope::All),
        townships: options(townships(store, scope).await?, &q.value("township")),
        schools: options(
            visible_schools
                .iter()
                .map(|s| (s.record.code.as_str().to_owned(), s.record.name.clone())),
            &q.value("school"),
        ),
        stages: options(
            Stage::ALL
                .iter()
                .map(|s| (s.label().to_owned(), s.label().to_owned())),
            &q.value("stage"),
        ),
        grades: options(
            (1..=9).map(|g: u8| (g.to_string(), format!("{g} 年级"))),
            &q.value("grade"),
        ),
        poverty: options(
            PovertyFilter::ALL
                .iter()
                .map(|p| (p.code().to_owned(), p.label().to_owned())),
            &q.value("poverty"),
        ),
        statuses: options(
            EnrollmentStatus::ALL
                .iter()
                .map(|s| (s.label().to_owned(), s.label().to_owned())),
            &q.value("status"),
        ),
        boarding: options(
            [("1", "寄宿生"), ("0", "走读生")].map(|(a, b)| (a.to_owned(), b.to_owned())),
            &q.value("boarding"),
        ),
        out: options(
            [("1", "县外就读"), ("0", "县内就读")].map(|(a, b)| (a.to_owned(), b.to_owned())),
            &q.value("out"),
        ),
        rows: lines,
        pager,
        query: base,
        filtered,
        may_ledger: !matches!(scope, Scope::Classes { .. }),
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "students_print.html")]
struct PrintPage {
    layout: Layout,
    title: String,
    scope_label: String,
    term: String,
    printed_by: String,
    total: i64,
    truncated: bool,
    rows: Vec<StudentLine>,
    back: String,
}

/// The area a printed 台账 covers: the school or township the list is
/// filtered to, else the user's own area. A 班主任's classes stay named,
/// since a school filter cannot widen them.
async fn print_place(
    store: &zizhu_store::Store,
    scope: &Scope,
    scope_label: &str,
    filter: &StudentFilter,
) -> Result<String, PageError> {
    if matches!(scope, Scope::Classes { .. }) {
        return Ok(scope_label.to_owned());
    }
    if let Some(c) = &filter.school_code {
        let names = store.school_names().await?;
        return Ok(names
            .get(c.as_str())
            .cloned()
            .unwrap_or_else(|| format!("学校（代码 {}）", c.as_str())));
    }
    if let Some(t) = &filter.township_code {
        let names = store.township_names().await?;
        return Ok(names
            .get(t)
            .cloned()
            .unwrap_or_else(|| format!("乡镇（代码 {t}）")));
    }
    Ok(scope_label.to_owned())
}

/// The list's other conditions in words (`初中、2 年级、寄宿生`), so that a
/// printed 台账 says which students it holds. A search entry is not
/// repeated: it may be an ID number, which a print shows only masked.
fn print_conditions(f: &StudentFilter) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(s) = f.stage {
        parts.push(s.label().to_owned());
    }
    if let Some(g) = f.grade {
        parts.push(format!("{g} 年级"));
    }
    if let Some(p) = f.poverty {
        parts.push(p.label().to_owned());
    }
    match f.boarding {
        Some(true) => parts.push("寄宿生".to_owned()),
        Some(false) => parts.push("走读生".to_owned()),
        None => {}
    }
    match f.out_of_county {
        Some(true) => parts.push("县外就读".to_owned()),
        Some(false) => parts.push("县内就读".to_owned()),
        None => {}
    }
    if let Some(s) = f.status {
        parts.push(format!("学籍{}", s.label()));
    }
    if f.search.is_some() {
        parts.push("按查询结果".to_owned());
    }
    parts.join("、")
}

/// GET /students/print: the current filter as an A4 landscape 台账.
pub(crate) async fn print(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<StudentQuery>,
) -> Result<Html<String>, PageError> {
    let store = &state.store;
    let scope = user.scope();
    let Some(Resolved { term, filter, .. }) = resolve(&state.store, &q).await? else {
        return Err(PageError::NotFound);
    };
    let code = term.code();
    let total = store.count_students(&term, scope, &filter).await?;
    let rows = store
        .list_students(&term, scope, &filter, PRINT_LIMIT, 0)
        .await?;
    let place = print_place(store, scope, &user.scope_label, &filter).await?;
    let conditions = print_conditions(&filter);
    let page = PrintPage {
        layout: user.layout(&state, "学生信息台账", "/students"),
        title: format!("{place}学生信息台账"),
        scope_label: if conditions.is_empty() {
            place
        } else {
            format!("{place}（{conditions}）")
        },
        term: code.clone(),
        printed_by: user.user.record.display_name.clone(),
        total,
        truncated: u64::try_from(total).unwrap_or(0) > PRINT_LIMIT,
        rows: lines(&rows),
        back: format!("/students?{}", query_string(&q.echo(&code))),
    };
    Ok(Html(page.render()?))
}

/// GET /students/export.xlsx: the current filter as a workbook, masked.
pub(crate) async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<StudentQuery>,
) -> Result<Response, PageError> {
    let Some(Resolved { term, filter, .. }) = resolve(&state.store, &q).await? else {
        return Err(PageError::NotFound);
    };
    let bytes =
        crate::export::students_xlsx(&state.store, &term, user.scope(), &filter, &user).await?;
    let name = format!("学生名单_{}_{}.xlsx", user.scope_label, term.code());
    Ok(xlsx_response(bytes, &name))
}

/// GET /students/ledger.xlsx: the 台账 of the user's level (county,
/// township or school), written by zizhu-io in the county's template,
/// masked.
pub(crate) async fn ledger(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<StudentQuery>,
) -> Result<Response, PageError> {
    let (term, _) = pick_term(&state.store, q.term.as_deref()).await?;
    let term = term.ok_or(PageError::NotFound)?;
    let bytes = crate::export::ledger_xlsx(&state, &term, &user).await?;
    let name = format!("资助信息台账_{}_{}.xlsx", user.scope_label, term.code());
    Ok(xlsx_response(bytes, &name))
}

pub(crate) fn xlsx_response(bytes: Vec<u8>, file_name: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (header::CONTENT_DISPOSITION, attachment(file_name)),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn student_numbers_hide_the_id_they_carry() {
        assert_eq!(
            mask_student_no("G431126201209010017"),
            "G431126********0017"
        );
        assert_eq!(mask_student_no("L4311262012090100"), "L431126******0100");
    }

    #[test]
    fn bad_filter_values_are_a_chinese_400() {
        let q = StudentQuery {
            grade: Some("13".into()),
            ..Default::default()
        };
        assert!(matches!(q.filter(), Err(PageError::BadRequest(m)) if m.contains("年级")));
        let q = StudentQuery {
            q: Some("李小龍".into()),
            boarding: Some("1".into()),
            ..Default::default()
        };
        let f = q.filter().unwrap();
        assert_eq!(f.search, Some(StudentSearch::Name("李小龙".into())));
        assert_eq!(f.boarding, Some(true));
    }
}
