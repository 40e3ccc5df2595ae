//! `zizhu entitle --explain ID`: one student's entitlements end to end —
//! the registry facts with their sources, every policy and why it applies
//! or not, the amounts, and what the stored ledger says.

use crate::error::AppError;
use crate::facts::{Notes, build_page, wanted_facts};
use std::fmt::Write as _;
use zizhu_core::mask::{mask_id, mask_name};
use zizhu_core::{IdNumber, StudentNo, Term};
use zizhu_policy::policy::term_label;
use zizhu_policy::rule::{Ctx, Value, value_of};
use zizhu_policy::{Difficulty, Fact, PlaceNames, PolicySet, StudentFacts, entitle};
use zizhu_store::{
    EntitlementStatus, Person, Scope, Store, StoredEntitlement, StudentFilter, StudentSearch,
};

/// Finds the person `key` names: an ID number, a 全国学籍号 (looked up in
/// the term's enrollments, and for a `G` number also by the ID number it
/// holds) or the registry's person id.
async fn find_person(store: &Store, term: Term, key: &str) -> Result<Option<Person>, AppError> {
    let key = key.trim();
    if let Ok(id) = IdNumber::parse(key)
        && let Some(p) = store.get_person_by_id_number(&id).await?
    {
        return Ok(Some(p));
    }
    if let Ok(no) = StudentNo::parse(key) {
        let filter = StudentFilter {
            search: Some(StudentSearch::StudentNo(no.as_str().to_string())),
            ..StudentFilter::default()
        };
        let rows = store
            .list_students(&term, &Scope::All, &filter, 1, 0)
            .await?;
        if let Some(r) = rows.into_iter().next() {
            return Ok(Some(r.person));
        }
        if let Some(id) = no.id_number()
            && let Some(p) = store.get_person_by_id_number(&id).await?
        {
            return Ok(Some(p));
        }
    }
    // Person ids are short; an 18-digit number is an ID number that is not
    // in the registry, not a person id.
    if key.len() <= 12
        && key.bytes().all(|b| b.is_ascii_digit())
        && let Ok(id) = key.parse::<i64>()
    {
        return Ok(store.get_person(id).await?);
    }
    Ok(None)
}

/// The facts table of the explanation: each fact the policy file reads,
/// with its value and source.
fn facts_table(set: &PolicySet, term: Term, f: &StudentFacts) -> String {
    let poor = set.poverty.counts(f.poverty, term);
    let plain = Ctx {
        facts: f,
        poor,
        difficulty: Difficulty::None,
        nominated: false,
    };
    let (difficulty, recognized) = match &f.recognition {
        Some(r) => (r.level, true),
        None => (set.difficulty.derive(&plain).0, false),
    };
    let ctx = Ctx {
        difficulty,
        ..plain
    };
    let mut out = String::new();
    let wanted = wanted_facts(set);
    for fact in Fact::ALL.iter().copied().filter(|x| wanted.contains(*x)) {
        // Nominations and loan applications are per policy and not kept
        // in the registry; the per-policy explanation covers them.
        if matches!(fact, Fact::Nominated | Fact::LoanApplied) {
            continue;
        }
        let value = value_of(fact, &ctx);
        let _ = write!(out, "  {} = {}", fact.name(), value.label());
        let note = match fact {
            _ if value == Value::Unknown => {
                if f.out_of_county {
                    "信息缺失，需就读地学校提供".to_string()
                } else {
                    "信息缺失".to_string()
                }
            }
            Fact::DifficultyLevel | Fact::Hardship if recognized => "学校认定".to_string(),
            Fact::DifficultyLevel | Fact::Hardship => "按政策文件的认定规则推出".to_string(),
            Fact::Poor => format!(
                "{}；{}；来源：{}",
                f.poverty.label(),
                set.poverty.describe(),
                f.sources.of(fact).unwrap_or("未记录")
            ),
            _ => format!("来源：{}", f.sources.of(fact).unwrap_or("未记录")),
        };
        let _ = writeln!(out, "（{note}）");
    }
    out
}

fn stored_line(row: &StoredEntitlement) -> String {
    let r = &row.record;
    let status = match (r.status, &r.cause) {
        (EntitlementStatus::Blocked, Some(c)) => format!("受阻：{c}"),
        (s, _) => s.label().to_string(),
    };
    let mut line = format!(
        "「{}」{} 元，{status}（第 {} 次计算写入）",
        r.policy_name,
        r.amount.fmt_yuan(),
        row.run_id
    );
    if let Some(reason) = &r.change_reason {
        let _ = write!(line, "\n     变化原因：{reason}");
    }
    let _ = write!(line, "\n     依据：{}", r.trace);
    line
}

/// Explains one student's entitlements for a term, county-wide: see
/// [`explain_student_in`].
pub async fn explain_student(
    store: &Store,
    term: Term,
    policies: &PolicySet,
    key: &str,
) -> Result<String, AppError> {
    explain_student_in(store, term, policies, key, &Scope::All).await
}

/// Explains, in Chinese, one student's entitlements for a term: who the
/// student is (name and ID number masked), every registry fact the policy
/// file reads with its value and source, each policy computed from the
/// current registry with the reason it applies or not, and the stored
/// ledger rows with their status and the reason they last changed.
///
/// `key` is an ID number, a 全国学籍号 or a person id. A person outside
/// `scope` is reported as not found, like one that does not exist.
pub async fn explain_student_in(
    store: &Store,
    term: Term,
    policies: &PolicySet,
    key: &str,
    scope: &Scope,
) -> Result<String, AppError> {
    let not_found = || AppError::StudentNotFound {
        key: key.trim().to_string(),
    };
    let person = find_person(store, term, key).await?.ok_or_else(not_found)?;
    if store.person_in_scope(person.id, scope).await?.is_none() {
        return Err(not_found());
    }
    let label = term_label(term);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "学生 {}（{}，人员编号 {}），{label}",
        mask_name(person.record.name.original()),
        person
            .record
            .id_number
            .as_ref()
            .map_or_else(|| "无身份证号".to_string(), |i| mask_id(i.as_str())),
        person.id
    );

    let mut live: Vec<(String, zizhu_core::Fen, EntitlementStatus)> = Vec::new();
    match store.aid_student(&term, person.id).await? {
        None => {
            let _ = writeln!(
                out,
                "\n该生 {label} 没有参与资助计算的学籍（没有本学期学籍，或学籍状态为转出、毕业）。"
            );
        }
        Some(a) => {
            let mut notes = Notes::default();
            let wanted = wanted_facts(policies);
            let built =
                build_page(store, term, std::slice::from_ref(&a), wanted, &mut notes).await?;
            let Some((_, facts)) = built.into_iter().next() else {
                return Err(not_found());
            };
            let _ = writeln!(out, "\n【登记信息：事实、取值及来源】");
            out.push_str(&facts_table(policies, term, &facts));
            for n in notes.lines() {
                let _ = writeln!(out, "  注：{}", n.trim_start_matches("1 名学生"));
            }
            let result = entitle(policies, term, std::slice::from_ref(&facts));
            let _ = writeln!(
                out,
                "\n【按当前登记信息逐项计算（政策文件 {}）】",
                policies.file_name
            );
            // The school and township by name: the result knows codes only.
            let schools = store.school_names().await?;
            let towns = store.township_names().await?;
            let names = PlaceNames {
                school: schools.get(facts.school.as_str()).map(String::as_str),
                township: towns.get(facts.township.as_str()).map(String::as_str),
            };
            if let Some(text) = result.explain_with(facts.person.as_str(), names) {
                out.push_str(&text);
            }
            let mut quota = false;
            for e in &result.entitlements {
                quota |= result.policy_of(e).quota.is_some();
                let status = if e.status.is_payable() {
                    EntitlementStatus::Payable
                } else {
                    EntitlementStatus::Blocked
                };
                live.push((e.policy_code.as_str().to_string(), e.amount, status));
            }
            if quota {
                let _ = writeln!(
                    out,
                    "  注：有名额限制的政策须与全县学生一起遴选，这里单独计算的名额排位仅供参考，以下方已保存的计算结果为准。"
                );
            }
        }
    }

    let _ = writeln!(out, "\n【已保存的计算结果】");
    let rows = store.person_entitlements(person.id, &term).await?;
    match store.latest_entitlement_run(&term).await? {
        None => {
            let _ = writeln!(out, "  {label} 尚未保存资助计算结果（请运行资助计算）。");
        }
        Some(run) => {
            let _ = writeln!(
                out,
                "  最近一次为第 {} 次计算（{}，{}，政策文件 {}）。",
                run.id,
                run.finished_at.get(..10).unwrap_or(&run.finished_at),
                run.actor,
                run.record.policy_file
            );
            if rows.is_empty() {
                let _ = writeln!(out, "  该生没有资助记录。");
            }
            for (i, row) in rows.iter().enumerate() {
                let _ = writeln!(out, "  {}. {}", i + 1, stored_line(row));
            }
            let stored: Vec<(String, zizhu_core::Fen, EntitlementStatus)> = rows
                .iter()
                .filter(|r| r.record.status != EntitlementStatus::Revoked)
                .map(|r| {
                    (
                        r.record.policy_code.clone(),
                        r.record.amount,
                        r.record.status,
                    )
                })
                .collect();
            let mut live_sorted = live.clone();
            live_sorted.sort_by(|a, b| a.0.cmp(&b.0));
            let mut stored_sorted = stored;
            stored_sorted.sort_by(|a, b| a.0.cmp(&b.0));
            if live_sorted != stored_sorted {
                let _ = writeln!(
                    out,
                    "  注：按当前登记信息计算的结果与已保存的结果不同（登记信息或政策文件在上次计算后有变化，或名额遴选需全县一起计算），请重新运行资助计算。"
                );
            }
        }
    }
    Ok(out)
}
