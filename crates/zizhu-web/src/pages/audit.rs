//! 审计日志 for the administrator: every change with who, when and why,
//! personal numbers masked, paged backwards by id; and the log of who saw
//! whose unmasked data.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use serde::Deserialize;
use zizhu_store::{AuditAction, AuditFilter};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::pages::persons::{ChangeLine, ENTITIES, HistoryNames, change_line, entity_label};
use crate::pages::students::Opt;
use crate::view::{Layout, Pager, beijing_time, query_string};

const PER_PAGE: u64 = 50;

pub(crate) struct AuditLine {
    id: i64,
    key: String,
    person_id: Option<i64>,
    line: ChangeLine,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    actor: String,
    entities: Vec<Opt>,
    actions: Vec<Opt>,
    batch: String,
    person: String,
    rows: Vec<AuditLine>,
    older: Option<String>,
    newest: Option<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct AuditQuery {
    actor: Option<String>,
    entity: Option<String>,
    action: Option<String>,
    batch: Option<String>,
    person: Option<String>,
    before: Option<String>,
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn number(v: &Option<String>, what: &str) -> Result<Option<i64>, PageError> {
    given(v)
        .map(|s| {
            s.parse::<i64>()
                .map_err(|_| PageError::BadRequest(format!("{what}应为数字：“{s}”")))
        })
        .transpose()
}

/// GET /audit.
pub(crate) async fn log(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> Result<Html<String>, PageError> {
    user.require(user.role.is_admin())?;
    let action = match given(&q.action) {
        Some(a) => Some(
            AuditAction::from_label(&a)
                .ok_or_else(|| PageError::BadRequest(format!("操作类型无效：“{a}”")))?,
        ),
        None => None,
    };
    let filter = AuditFilter {
        entity: given(&q.entity),
        entity_key: None,
        person_id: number(&q.person, "人员编号")?,
        batch_id: number(&q.batch, "批次号")?,
        actor: given(&q.actor),
        action,
        before_id: number(&q.before, "位置")?,
    };
    // One extra row tells whether an older page exists.
    let mut entries = state.store.audit_log(&filter, PER_PAGE + 1).await?;
    let has_older = entries.len() as u64 > PER_PAGE;
    entries.truncate(usize::try_from(PER_PAGE).unwrap_or(50));
    let echo = vec![
        ("actor", given(&q.actor).unwrap_or_default()),
        ("entity", given(&q.entity).unwrap_or_default()),
        ("action", given(&q.action).unwrap_or_default()),
        ("batch", given(&q.batch).unwrap_or_default()),
        ("person", given(&q.person).unwrap_or_default()),
    ];
    let older = match (has_older, entries.last()) {
        (true, Some(last)) => {
            let mut pairs = echo.clone();
            pairs.push(("before", last.id.to_string()));
            Some(format!("/audit?{}", query_string(&pairs)))
        }
        _ => None,
    };
    let newest = filter
        .before_id
        .map(|_| format!("/audit?{}", query_string(&echo)));
    let names = HistoryNames::for_entries(&state.store, &entries).await?;
    let rows = entries
        .iter()
        .map(|e| AuditLine {
            id: e.id,
            key: e.entity_key.clone(),
            person_id: e.person_id,
            // The audit log is read without unmasking.
            line: change_line(e, &names, false),
        })
        .collect();
    let page = AuditPage {
        layout: user.layout(&state, "审计日志", "/audit"),
        actor: given(&q.actor).unwrap_or_default(),
        // The filters name tables and actions in Chinese; the values stay
        // the stored names.
        entities: ENTITIES
            .iter()
            .map(|e| Opt {
                value: (*e).to_owned(),
                label: entity_label(e).to_owned(),
                selected: given(&q.entity).as_deref() == Some(*e),
            })
            .collect(),
        actions: [
            AuditAction::Insert,
            AuditAction::Update,
            AuditAction::Delete,
            AuditAction::Rollback,
        ]
        .iter()
        .map(|a| Opt {
            value: a.label().to_owned(),
            label: crate::pages::persons::action_label(*a).to_owned(),
            selected: given(&q.action).as_deref() == Some(a.label()),
        })
        .collect(),
        batch: given(&q.batch).unwrap_or_default(),
        person: given(&q.person).unwrap_or_default(),
        rows,
        older,
        newest,
    };
    Ok(Html(page.render()?))
}

pub(crate) struct UnmaskLine {
    at: String,
    actor: String,
    person_id: i64,
    fields: String,
    ip: String,
}

#[derive(Template)]
#[template(path = "unmask_log.html")]
struct UnmaskPage {
    layout: Layout,
    person: String,
    rows: Vec<UnmaskLine>,
    pager: Pager,
}

#[derive(Deserialize, Default)]
pub(crate) struct UnmaskQuery {
    person: Option<String>,
    page: Option<String>,
}

/// GET /audit/unmask.
pub(crate) async fn unmask_log(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<UnmaskQuery>,
) -> Result<Html<String>, PageError> {
    user.require(user.role.is_admin())?;
    let person = number(&q.person, "人员编号")?;
    let total = state.store.count_unmask_log(person).await?;
    let page: u64 = given(&q.page).and_then(|p| p.parse().ok()).unwrap_or(1);
    let echo = query_string(&[("person", given(&q.person).unwrap_or_default())]);
    let pager = Pager::new(total, PER_PAGE, page, |n| {
        if echo.is_empty() {
            format!("/audit/unmask?page={n}")
        } else {
            format!("/audit/unmask?{echo}&page={n}")
        }
    });
    let rows = state
        .store
        .unmask_log(person, PER_PAGE, pager.offset(PER_PAGE))
        .await?
        .into_iter()
        .map(|e| UnmaskLine {
            at: beijing_time(&e.at),
            actor: e.record.actor,
            person_id: e.record.person_id,
            fields: e.record.fields,
            ip: e.record.ip.unwrap_or_default(),
        })
        .collect();
    let page = UnmaskPage {
        layout: user.layout(&state, "查看完整信息记录", "/audit"),
        person: given(&q.person).unwrap_or_default(),
        rows,
        pager,
    };
    Ok(Html(page.render()?))
}
