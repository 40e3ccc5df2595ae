//! 人员: one person's facts, household, guardians, enrollment history, bank
//! accounts and the history of every change to them.
//!
//! Personal numbers are masked. A role that needs them (they keep records
//! right or pay money) can press 查看完整信息, a POST that logs who saw
//! which person's data and when, and answers with the page unmasked and not
//! cached. The change history masks the same columns, since it holds old
//! values of exactly those numbers.
//!
//! 资助记录: the entitlements `zizhu entitle` stored for each of the
//! person's terms, each with its status (可发放, 受阻 and why, 已取消), the
//! trace of the rule and facts that granted or blocked it, and the reason
//! it last changed.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use zizhu_store::{AuditAction, AuditEntry, Person, Store, UnmaskRecord};

use super::{parse_id, school_names};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::pages::students::{hardship, mask_student_no};
use crate::view::{Layout, beijing_time, mask_address, mask_bank, mask_id, mask_phone, yes_no};

/// Chinese names of the columns a history shows; a few columns mean
/// different things in different tables.
fn column_label<'a>(entity: &str, c: &'a str) -> &'a str {
    match (entity, c) {
        ("entitlements", "cause") => return "受阻原因",
        ("entitlements", "category") => return "资助类别",
        ("compare_exceptions", "kind") => return "异常类别",
        _ => {}
    }
    match c {
        "id_number" => "身份证号",
        "name" => "姓名",
        "name_normalized" => "规范姓名",
        "sex" => "性别",
        "birth_date" => "出生日期",
        "ethnicity" => "民族",
        "household_id" => "家庭户",
        "disability_category" => "残疾类别",
        "disability_level" => "残疾等级",
        "orphan" => "孤儿",
        "left_behind" => "留守儿童",
        "martyr_child" => "烈士子女",
        "address" => "家庭住址",
        "created_batch" => "创建批次",
        "term" => "学期",
        "school_code" => "学校",
        "stage" => "学段",
        "grade" => "年级",
        "class_name" => "班级",
        "boarding" => "寄宿",
        "status" => "状态",
        "out_of_county" => "县外就读",
        "out_of_county_place" => "就读地",
        "student_no" => "学籍号",
        "kind" => "类型",
        "bank_name" => "开户行",
        "account_no" => "账号",
        "holder_name" => "户名",
        "holder_relation" => "户名关系",
        "valid_from" => "生效日期",
        "valid_to" => "失效日期",
        "relation" => "关系",
        "phone" => "电话",
        "person_id" => "人员",
        "head_id_number" => "户主身份证号",
        "household_no" => "户编号",
        "poverty_status" => "建档立卡状态",
        "lifted_year" => "脱贫年度",
        "dibao" => "低保",
        "tekun" => "特困",
        "cause" => "致贫原因",
        "income_per_capita_fen" => "人均纯收入（元）",
        "region_code" => "区划代码",
        "township_code" => "乡镇",
        "code" => "代码",
        "level" => "级别",
        "parent_code" => "上级区划",
        "category" => "类别",
        "is_public" => "公办",
        "stages" => "学段",
        "username" => "用户名",
        "display_name" => "显示姓名",
        "role" => "角色",
        "scope_kind" => "范围",
        "scope_code" => "范围代码",
        "classes" => "班级",
        "must_change_password" => "须修改密码",
        "disabled" => "停用",
        "created_at" => "建立时间",
        "password_changed_at" => "密码修改时间",
        "file_name" => "文件",
        "sheet" => "工作表",
        "sha256" => "文件校验码",
        "actor" => "操作人",
        "started_at" => "开始时间",
        "finished_at" => "完成时间",
        "rows_read" => "读取行数",
        "rows_accepted" => "接受行数",
        "rows_rejected" => "退回行数",
        "rows_unchanged" => "未变化行数",
        "uploaded_by" => "上传人",
        "stored_file" => "上传文件",
        "report_file" => "退回报告",
        // 资助记录 (the ledger zizhu entitle keeps).
        "policy_name" => "资助政策",
        "amount_fen" => "金额（元）",
        "payment_mode" => "发放方式",
        "cause_kind" => "受阻原因类别",
        "gap" => "应享未享",
        "funding_central_fen" => "中央承担（元）",
        "funding_province_fen" => "省级承担（元）",
        "funding_city_fen" => "市级承担（元）",
        "funding_county_fen" => "县级承担（元）",
        "funding_other_fen" => "其他承担（元）",
        "change_reason" => "变更原因",
        "policy_code" => "政策代码",
        "summary" => "情况",
        "evidence" => "依据",
        "probability_ppm" => "匹配概率",
        "list_kind" => "名单",
        "row_no" => "行号",
        "row_person_id" => "名单人员",
        "reviewed_by" => "复核人",
        "reviewed_at" => "复核时间",
        "review_reason" => "复核理由",
        "explanation" => "匹配依据",
        other => other,
    }
}

/// The tables the audit log names, for its filter.
pub(crate) const ENTITIES: [&str; 19] = [
    "persons",
    "enrollments",
    "bank_accounts",
    "guardians",
    "households",
    "schools",
    "regions",
    "import_batches",
    "batch_uploads",
    "import_rows",
    "entitlement_runs",
    "entitlements",
    "entitlement_facts",
    "school_aid_profiles",
    "compare_runs",
    "compare_links",
    "compare_exceptions",
    "users",
    "audit_log",
];

/// Chinese names of the tables a history touches.
pub(crate) fn entity_label(e: &str) -> &str {
    match e {
        "persons" => "人员",
        "enrollments" => "学籍",
        "bank_accounts" => "银行账户",
        "guardians" => "监护人",
        "households" => "家庭户",
        "users" => "账号",
        "batch_uploads" => "导入来源",
        "import_batches" => "导入批次",
        "schools" => "学校",
        "regions" => "区划",
        "entitlements" => "资助记录",
        "compare_links" => "比对链接",
        "compare_exceptions" => "比对异常",
        "compare_runs" => "比对运行",
        "entitlement_runs" => "资助计算",
        "entitlement_facts" => "资助计算事实",
        "import_rows" => "导入行",
        "school_aid_profiles" => "学校资助情况",
        "audit_log" => "审计日志",
        other => other,
    }
}

pub(crate) fn action_label(a: AuditAction) -> &'static str {
    match a {
        AuditAction::Insert => "新增",
        AuditAction::Update => "修改",
        AuditAction::Delete => "删除",
        AuditAction::Rollback => "回滚",
    }
}

/// Names a history shows instead of codes: schools by 学校标识码,
/// regions (villages, townships) by code.
#[derive(Default)]
pub(crate) struct HistoryNames {
    pub(crate) schools: std::sync::Arc<std::collections::HashMap<String, String>>,
    pub(crate) regions: std::collections::HashMap<String, String>,
    /// 户编号 by household id.
    pub(crate) households: std::collections::HashMap<i64, String>,
}

impl HistoryNames {
    /// The names the entries' codes need, read once for the whole history.
    pub(crate) async fn for_entries(
        store: &Store,
        entries: &[AuditEntry],
    ) -> Result<HistoryNames, PageError> {
        let mut codes: Vec<String> = Vec::new();
        let mut households: Vec<i64> = Vec::new();
        for e in entries {
            for v in [&e.before, &e.after].into_iter().flatten() {
                if let Some(h) = v.get("household_id").and_then(serde_json::Value::as_i64) {
                    households.push(h);
                }
                for c in ["region_code", "township_code", "parent_code"] {
                    if let Some(s) = v.get(c).and_then(|x| x.as_str()) {
                        codes.push(s.to_owned());
                    }
                }
            }
        }
        codes.sort();
        codes.dedup();
        let refs: Vec<&str> = codes.iter().map(String::as_str).collect();
        households.sort_unstable();
        households.dedup();
        let households = if households.is_empty() {
            Default::default()
        } else {
            store
                .households_by_ids(&households)
                .await?
                .into_iter()
                .map(|h| (h.id, h.record.household_no))
                .collect()
        };
        Ok(HistoryNames {
            households,
            schools: school_names(store).await?,
            regions: if refs.is_empty() {
                Default::default()
            } else {
                store.region_names(&refs).await?
            },
        })
    }
}

/// A JSON value as a history shows it: money in 元, codes with their
/// names, 是/否, and personal numbers masked unless `unmasked`. `row` is
/// the whole record, for values that need a neighbour (a grade its stage).
fn shown(
    column: &str,
    v: Option<&serde_json::Value>,
    row: &serde_json::Map<String, serde_json::Value>,
    names: &HistoryNames,
    unmasked: bool,
) -> String {
    let text = match v {
        None | Some(serde_json::Value::Null) => return "（空）".to_owned(),
        Some(serde_json::Value::Bool(b)) => yes_no(*b).to_owned(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    if column.ends_with("_fen") {
        return match v.and_then(serde_json::Value::as_i64) {
            Some(f) => zizhu_core::Fen(f).fmt_yuan(),
            None => text,
        };
    }
    match column {
        "school_code" => match names.schools.get(&text) {
            Some(n) => format!("{n}（{text}）"),
            // A 县外就读 student's school is not in the directory.
            None if !text.is_empty() => format!("未登记的学校（代码 {text}）"),
            None => text,
        },
        "region_code" | "township_code" | "parent_code" => match names.regions.get(&text) {
            Some(n) => format!("{n}（{text}）"),
            None => text,
        },
        "grade" => {
            let stage = row
                .get("stage")
                .and_then(|s| s.as_str())
                .and_then(|s| zizhu_core::Stage::parse(s).ok());
            let year = v
                .and_then(serde_json::Value::as_i64)
                .and_then(|y| u8::try_from(y).ok());
            match (stage, year) {
                (Some(s), Some(y)) => zizhu_core::Grade::new(s, y)
                    .map(|g| g.label())
                    .unwrap_or(text),
                _ => text,
            }
        }
        "household_id" => match v
            .and_then(serde_json::Value::as_i64)
            .and_then(|h| names.households.get(&h))
        {
            Some(no) => format!("户编号 {no}"),
            None => text,
        },
        "probability_ppm" => match v.and_then(serde_json::Value::as_i64) {
            Some(p) => format!("{}.{:04}", p / 1_000_000, (p % 1_000_000) / 100),
            None => text,
        },
        _ if unmasked => text,
        "id_number" | "head_id_number" => mask_id(Some(&text)),
        "account_no" => mask_bank(&text),
        "phone" => mask_phone(Some(&text)),
        "address" => mask_address(Some(&text)),
        "student_no" => mask_student_no(&text),
        _ => text,
    }
}

/// One change of a record, column by column.
pub(crate) struct ChangeLine {
    pub(crate) at: String,
    pub(crate) actor: String,
    pub(crate) action: &'static str,
    pub(crate) entity: String,
    pub(crate) reason: String,
    pub(crate) batch_id: Option<i64>,
    pub(crate) source_row: Option<i64>,
    /// The first few changed columns, always shown.
    pub(crate) changes: Vec<(String, String, String)>,
    /// The rest, folded away (a new record lists every column).
    pub(crate) more: Vec<(String, String, String)>,
}

/// Changed columns shown before the rest are folded.
const SHOWN_CHANGES: usize = 4;

/// Columns that say nothing to a reader of a history: keys, derived
/// values, and machine records shown elsewhere in words (an
/// entitlement's trace is on the 资助记录 table above; an exception's
/// evidence on the 比对异常 page).
const QUIET: [&str; 13] = [
    "id",
    "person_id",
    "name_normalized",
    "created_batch",
    "batch_id",
    "run_id",
    "policy_order",
    "policy_code",
    "trace",
    "evidence",
    "explanation",
    "row_person_id",
    "key",
];

/// An audit entry as a list of changed columns in words, personal numbers
/// masked unless `unmasked`.
pub(crate) fn change_line(e: &AuditEntry, names: &HistoryNames, unmasked: bool) -> ChangeLine {
    let obj = |v: &Option<serde_json::Value>| v.as_ref().and_then(|j| j.as_object().cloned());
    let before = obj(&e.before).unwrap_or_default();
    let after = obj(&e.after).unwrap_or_default();
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    let insert = e.before.is_none();
    let mut changes: Vec<(String, String, String)> = keys
        .into_iter()
        .filter(|k| before.get(*k) != after.get(*k) && !QUIET.contains(&k.as_str()))
        // A new record's empty columns are not news.
        .filter(|k| !(insert && matches!(after.get(*k), None | Some(serde_json::Value::Null))))
        .map(|k| {
            (
                column_label(&e.entity, k).to_owned(),
                if e.before.is_some() {
                    shown(k, before.get(k), &before, names, unmasked)
                } else {
                    String::new()
                },
                shown(k, after.get(k), &after, names, unmasked),
            )
        })
        .collect();
    let more = if changes.len() > SHOWN_CHANGES + 1 {
        changes.split_off(SHOWN_CHANGES)
    } else {
        Vec::new()
    };
    ChangeLine {
        at: beijing_time(&e.at),
        actor: e.actor.clone(),
        action: action_label(e.action),
        entity: entity_label(&e.entity).to_owned(),
        reason: e.reason.clone(),
        batch_id: e.batch_id,
        source_row: e.source_row,
        changes,
        more,
    }
}

pub(crate) struct EnrollmentLine {
    term: String,
    school: String,
    grade: String,
    class_name: String,
    boarding: &'static str,
    status: &'static str,
    out_of_county: String,
    student_no: String,
}

pub(crate) struct AccountLine {
    kind: &'static str,
    bank: String,
    number: String,
    holder: String,
    status: &'static str,
    valid: String,
}

pub(crate) struct GuardianLine {
    name: String,
    relation: String,
    id_number: String,
    phone: String,
}

/// One stored entitlement of the person.
pub(crate) struct AidLine {
    term: String,
    policy: String,
    policy_code: String,
    category: String,
    amount: String,
    status: String,
    blocked: bool,
    gap: bool,
    trace: String,
    change_reason: String,
    run: i64,
}

pub(crate) struct HouseholdLine {
    id: i64,
    no: String,
    hardship: String,
    cause: String,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    layout: Layout,
    id: i64,
    name: String,
    sex: String,
    birth_date: String,
    ethnicity: String,
    id_number: String,
    address: String,
    flags: Vec<&'static str>,
    disability: String,
    household: Option<HouseholdLine>,
    guardians: Vec<GuardianLine>,
    enrollments: Vec<EnrollmentLine>,
    accounts: Vec<AccountLine>,
    aid: Vec<AidLine>,
    history: Vec<ChangeLine>,
    unmasked: bool,
    may_unmask: bool,
    csrf: String,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    person: Person,
    unmasked: bool,
) -> Result<String, PageError> {
    let store: &Store = &state.store;
    let p = &person.record;
    let id_of = |v: Option<&str>| {
        if unmasked {
            v.unwrap_or_default().to_owned()
        } else {
            mask_id(v)
        }
    };
    let schools = school_names(store).await?;
    // The household is shown only if the user's scope covers it too; a
    // student visible to a school always has a household visible to it,
    // since the household's visibility follows its members' enrollments.
    let household = match person.household_id {
        Some(h) => store
            .household_in_scope(h, user.scope())
            .await?
            .map(|h| HouseholdLine {
                id: h.id,
                no: h.record.household_no.clone(),
                hardship: hardship(&h),
                cause: h.record.cause.clone().unwrap_or_default(),
            }),
        None => None,
    };
    let guardians = store
        .person_guardians(person.id)
        .await?
        .into_iter()
        .map(|g| GuardianLine {
            name: g.record.name.original().to_owned(),
            relation: g.record.relation.clone(),
            id_number: id_of(g.record.id_number.as_ref().map(|i| i.as_str())),
            phone: match &g.record.phone {
                Some(ph) if unmasked => ph.as_str().to_owned(),
                Some(ph) => mask_phone(Some(ph.as_str())),
                None => String::new(),
            },
        })
        .collect();
    let mut enrollments: Vec<EnrollmentLine> = store
        .person_enrollments(person.id)
        .await?
        .into_iter()
        .map(|e| {
            let r = e.record;
            EnrollmentLine {
                term: r.term.code(),
                school: r
                    .school_code
                    .as_ref()
                    .map(|c| {
                        // The 就读地 has its own column here.
                        schools.get(c.as_str()).cloned().unwrap_or_else(|| {
                            super::students::unknown_school(c, r.out_of_county, None)
                        })
                    })
                    .unwrap_or_default(),
                grade: r.grade.label(),
                class_name: r.class_name.unwrap_or_default(),
                boarding: yes_no(r.boarding),
                status: r.status.label(),
                out_of_county: if r.out_of_county {
                    r.out_of_county_place
                        .map(|p| format!("是（{p}）"))
                        .unwrap_or_else(|| "是".to_owned())
                } else {
                    "否".to_owned()
                },
                student_no: r
                    .student_no
                    .map(|n| {
                        if unmasked {
                            n.as_str().to_owned()
                        } else {
                            mask_student_no(n.as_str())
                        }
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    // Newest term first: the current enrollment is what people look for.
    enrollments.sort_by(|a, b| b.term.cmp(&a.term));
    let mut terms: Vec<zizhu_core::Term> = Vec::new();
    for e in &enrollments {
        if let Ok(t) = zizhu_core::Term::parse(&e.term)
            && !terms.contains(&t)
        {
            terms.push(t);
        }
    }
    let mut aid = Vec::new();
    for term in &terms {
        for row in store.person_entitlements(person.id, term).await? {
            let r = row.record;
            let blocked = r.status == zizhu_store::EntitlementStatus::Blocked;
            aid.push(AidLine {
                term: term.code(),
                // The name is what a reader knows; the file's code is in
                // the cell's tooltip.
                policy: r.policy_name,
                policy_code: r.policy_code,
                category: r.category,
                amount: r.amount.fmt_yuan_grouped(),
                status: match (&r.cause, blocked) {
                    (Some(c), true) => format!("受阻：{c}"),
                    _ => r.status.label().to_owned(),
                },
                blocked,
                gap: r.gap,
                trace: r.trace,
                change_reason: r.change_reason.unwrap_or_default(),
                run: row.run_id,
            });
        }
    }
    let accounts = store
        .person_bank_accounts(person.id)
        .await?
        .into_iter()
        .rev()
        .map(|a| AccountLine {
            kind: a.record.kind.label(),
            bank: a.record.bank_name.clone(),
            number: if unmasked {
                a.record.account_no.as_str().to_owned()
            } else {
                mask_bank(a.record.account_no.as_str())
            },
            holder: match &a.record.holder_relation {
                Some(r) => format!("{}（{r}）", a.record.holder_name),
                None => a.record.holder_name.clone(),
            },
            status: a.status.label(),
            valid: match &a.valid_to {
                Some(to) => format!("{} 至 {to}", a.record.valid_from),
                None => format!("{} 起", a.record.valid_from),
            },
        })
        .collect();
    let entries = store.person_history(person.id).await?;
    let names = HistoryNames::for_entries(store, &entries).await?;
    let mut history: Vec<ChangeLine> = entries
        .iter()
        .map(|e| change_line(e, &names, unmasked))
        .collect();
    history.reverse();
    let mut flags = Vec::new();
    if p.orphan {
        flags.push("孤儿");
    }
    if p.left_behind {
        flags.push("留守儿童");
    }
    if p.martyr_child {
        flags.push("烈士子女");
    }
    if p.disability_category.is_some() {
        flags.push("残疾");
    }
    let page = PersonPage {
        layout: user.layout(state, p.name.original(), "/students"),
        id: person.id,
        name: p.name.original().to_owned(),
        sex: p.sex.map(|s| s.label().to_owned()).unwrap_or_default(),
        birth_date: p.birth_date.map(|d| d.to_string()).unwrap_or_default(),
        ethnicity: p.ethnicity.clone().unwrap_or_default(),
        id_number: id_of(p.id_number.as_ref().map(|i| i.as_str())),
        address: if unmasked {
            p.address.clone().unwrap_or_default()
        } else {
            mask_address(p.address.as_deref())
        },
        flags,
        disability: match (&p.disability_category, &p.disability_level) {
            (Some(c), Some(l)) => format!("{c}（{l}）"),
            (Some(c), None) => c.clone(),
            _ => String::new(),
        },
        household,
        guardians,
        enrollments,
        accounts,
        aid,
        history,
        unmasked,
        may_unmask: user.role.may_unmask(),
        csrf: user.session.csrf_token.clone(),
    };
    Ok(page.render()?)
}

/// GET /persons/{id}.
pub(crate) async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let id = parse_id(&id)?;
    let person = state
        .store
        .person_in_scope(id, user.scope())
        .await?
        .ok_or(PageError::NotFound)?;
    Ok(Html(render(&state, &user, person, false).await?))
}

/// POST /persons/{id}/unmask: the page with full numbers, logged.
pub(crate) async fn unmask(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&id)?;
    // The area comes first: outside it the person does not exist, whatever
    // the role, so a 403 cannot confirm that an id is in use elsewhere.
    let person = state
        .store
        .person_in_scope(id, user.scope())
        .await?
        .ok_or(PageError::NotFound)?;
    user.require(user.role.may_unmask())?;
    state
        .store
        .record_unmask(&UnmaskRecord {
            actor: user.user.record.username.clone(),
            user_id: Some(user.user.id),
            person_id: person.id,
            fields: SENSITIVE_FIELDS.to_owned(),
            page: format!("/persons/{}", person.id),
            ip: Some(user.ip.clone()),
        })
        .await?;
    let body = render(&state, &user, person, true).await?;
    let mut resp = Html(body).into_response();
    // Full numbers must not linger in a shared office PC's cache.
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// What an unmasking reveals, as the log records it.
const SENSITIVE_FIELDS: &str = "身份证号、学籍号、家庭住址、监护人身份证号与电话、银行账号";

#[cfg(test)]
mod tests {
    use super::*;

    /// The columns whose values are personal numbers, which a history
    /// must mask.
    const SENSITIVE: [&str; 6] = [
        "id_number",
        "head_id_number",
        "account_no",
        "phone",
        "address",
        "student_no",
    ];

    #[test]
    fn history_masks_personal_numbers() {
        let names = HistoryNames::default();
        let row = serde_json::Map::new();
        let show = |c: &str, v: Option<&serde_json::Value>, unmasked: bool| {
            shown(c, v, &row, &names, unmasked)
        };
        let id = serde_json::json!("431126201209010017");
        assert_eq!(show("id_number", Some(&id), false), "431126********0017");
        assert_eq!(show("id_number", Some(&id), true), "431126201209010017");
        assert_eq!(show("orphan", Some(&serde_json::json!(true)), false), "是");
        assert_eq!(show("name", None, false), "（空）");
        assert_eq!(
            show("amount_fen", Some(&serde_json::json!(125_050)), false),
            "1250.50"
        );
        assert!(
            SENSITIVE
                .iter()
                .all(|c| show(c, Some(&id), false) != "431126201209010017")
        );
    }
}
