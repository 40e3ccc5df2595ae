//! 家庭户: 建档立卡, 低保 and 特困 households of the user's area, and one
//! household with the members the user may see.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use serde::Deserialize;
use zizhu_store::{HouseholdFilter, PovertyFilter, Scope};

use super::{parse_id, townships};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::pages::students::{Opt, hardship};
use crate::view::{Layout, Pager, mask_id, query_string, yes_no};

const PER_PAGE: u64 = 50;

pub(crate) struct HouseholdLine {
    id: i64,
    no: String,
    region: String,
    head: String,
    hardship: String,
    cause: String,
}

#[derive(Template)]
#[template(path = "households.html")]
struct HouseholdsPage {
    layout: Layout,
    no: String,
    poverty: Vec<Opt>,
    townships: Vec<Opt>,
    show_townships: bool,
    rows: Vec<HouseholdLine>,
    pager: Pager,
}

#[derive(Deserialize, Default)]
pub(crate) struct HouseholdQuery {
    no: Option<String>,
    poverty: Option<String>,
    township: Option<String>,
    page: Option<String>,
}

fn opt(value: &str, label: &str, current: &str) -> Opt {
    Opt {
        value: value.to_owned(),
        label: label.to_owned(),
        selected: value == current,
    }
}

/// GET /households.
pub(crate) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HouseholdQuery>,
) -> Result<Html<String>, PageError> {
    let store = &state.store;
    let scope = user.scope();
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let poverty = match given(&q.poverty) {
        Some(p) => Some(
            PovertyFilter::from_code(&p)
                .ok_or_else(|| PageError::BadRequest(format!("困难类型无效：“{p}”")))?,
        ),
        None => None,
    };
    let township = given(&q.township);
    if let Some(t) = &township
        && !(t.len() == 9 && t.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(PageError::BadRequest(format!("乡镇代码无效：“{t}”")));
    }
    let filter = HouseholdFilter {
        poverty,
        household_no: given(&q.no),
        township_code: township.clone(),
    };
    let total = store.count_households_in(scope, &filter).await?;
    let echo = query_string(&[
        ("no", given(&q.no).unwrap_or_default()),
        ("poverty", given(&q.poverty).unwrap_or_default()),
        ("township", township.clone().unwrap_or_default()),
    ]);
    let page: u64 = given(&q.page).and_then(|p| p.parse().ok()).unwrap_or(1);
    let pager = Pager::new(total, PER_PAGE, page, |n| {
        if echo.is_empty() {
            format!("/households?page={n}")
        } else {
            format!("/households?{echo}&page={n}")
        }
    });
    let households = store
        .list_households(scope, &filter, PER_PAGE, pager.offset(PER_PAGE))
        .await?;
    let codes: Vec<&str> = households
        .iter()
        .map(|h| h.record.region_code.as_str())
        .collect();
    let names = store.region_names(&codes).await?;
    let rows = households
        .iter()
        .map(|h| HouseholdLine {
            id: h.id,
            no: h.record.household_no.clone(),
            region: names
                .get(h.record.region_code.as_str())
                .cloned()
                .unwrap_or_else(|| h.record.region_code.as_str().to_owned()),
            head: mask_id(h.record.head_id_number.as_ref().map(|i| i.as_str())),
            hardship: hardship(h),
            cause: h.record.cause.clone().unwrap_or_default(),
        })
        .collect();
    let current_poverty = given(&q.poverty).unwrap_or_default();
    let current_town = township.unwrap_or_default();
    let page = HouseholdsPage {
        layout: user.layout(&state, "家庭户", "/households"),
        no: given(&q.no).unwrap_or_default(),
        poverty: PovertyFilter::ALL
            .iter()
            .map(|p| opt(p.code(), p.label(), &current_poverty))
            .collect(),
        show_townships: matches!(scope, Scope::All),
        townships: townships(store, scope)
            .await?
            .iter()
            .map(|(c, n)| opt(c, n, &current_town))
            .collect(),
        rows,
        pager,
    };
    Ok(Html(page.render()?))
}

pub(crate) struct MemberLine {
    id: i64,
    name: String,
    sex: String,
    birth_date: String,
    id_number: String,
}

#[derive(Template)]
#[template(path = "household.html")]
struct HouseholdPage {
    layout: Layout,
    no: String,
    region: String,
    region_code: String,
    head: String,
    status: String,
    lifted_year: String,
    dibao: &'static str,
    tekun: &'static str,
    cause: String,
    income: String,
    members: Vec<MemberLine>,
    hidden: i64,
}

/// GET /households/{id}.
pub(crate) async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let id = parse_id(&id)?;
    let store = &state.store;
    let h = store
        .household_in_scope(id, user.scope())
        .await?
        .ok_or(PageError::NotFound)?;
    let (members, hidden) = store.household_members(h.id, user.scope()).await?;
    let r = &h.record;
    let names = store.region_names(&[r.region_code.as_str()]).await?;
    let page = HouseholdPage {
        layout: user.layout(&state, &format!("家庭户 {}", r.household_no), "/households"),
        no: r.household_no.clone(),
        region: names
            .get(r.region_code.as_str())
            .cloned()
            .unwrap_or_default(),
        region_code: r.region_code.as_str().to_owned(),
        head: mask_id(r.head_id_number.as_ref().map(|i| i.as_str())),
        status: r.poverty_status.label().to_owned(),
        lifted_year: r.lifted_year.map(|y| y.to_string()).unwrap_or_default(),
        dibao: yes_no(r.dibao),
        tekun: yes_no(r.tekun),
        cause: r.cause.clone().unwrap_or_default(),
        income: r
            .income_per_capita
            .map(|f| format!("{} 元", f.fmt_yuan_grouped()))
            .unwrap_or_default(),
        members: members
            .into_iter()
            .map(|p| MemberLine {
                id: p.id,
                name: p.record.name.original().to_owned(),
                sex: p
                    .record
                    .sex
                    .map(|s| s.label().to_owned())
                    .unwrap_or_default(),
                birth_date: p
                    .record
                    .birth_date
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                id_number: mask_id(p.record.id_number.as_ref().map(|i| i.as_str())),
            })
            .collect(),
        hidden,
    };
    Ok(Html(page.render()?))
}
