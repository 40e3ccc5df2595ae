//! `zizhu compare`: run the comparison, work the review queue, export the
//! exception lists. Wiring only; the use cases are in `zizhu_app`.

use anyhow::{Context, Result, bail};
use std::path::Path;
use zizhu_app::{CompareOptions, Thresholds};
use zizhu_core::Term;
use zizhu_core::mask::{mask_id, mask_name};
use zizhu_io::TableSheet;
use zizhu_store::{ExceptionKind, Scope, Store, StoredLink};

use crate::cli::{CompareArgs, CompareCommand, CompareRunArgs};
use crate::{open, say};

pub async fn compare(args: CompareArgs) -> Result<()> {
    match args.command {
        None => run(args.run).await,
        Some(CompareCommand::Review {
            term,
            link,
            accept,
            reject,
            reason,
            limit,
            full,
            actor,
            db,
        }) => {
            let term = Term::parse(&term)?;
            let store = open(&db).await?;
            store.migrate().await.context("数据库结构升级失败")?;
            match link {
                None => {
                    if accept || reject || reason.is_some() {
                        bail!("确认或否决须用 --link 指明链接编号");
                    }
                    queue(&store, term, limit, full).await
                }
                Some(id) => {
                    if accept == reject {
                        bail!("请用 --accept（确认为同一人）或 --reject（否决）之一");
                    }
                    let Some(reason) = reason else {
                        bail!("复核须用 --reason 写明理由（记入审计日志）");
                    };
                    let l =
                        zizhu_app::review_link(&store, &Scope::All, id, accept, &actor, &reason)
                            .await?;
                    say!(
                        "比对链接 {id} 已{}（复核人 {}，理由：{}）。异常名单在下次 zizhu compare 时更新。",
                        l.record.status,
                        l.reviewed_by.as_deref().unwrap_or(&actor),
                        reason.trim()
                    );
                    Ok(())
                }
            }
        }
        Some(CompareCommand::Export {
            out,
            term,
            kind,
            township,
            school,
            full,
            db,
        }) => {
            let term = Term::parse(&term)?;
            let kind = match kind.as_deref() {
                None => None,
                Some(k) => Some(ExceptionKind::from_label(k.trim()).with_context(|| {
                    format!(
                        "不认识的异常类别“{k}”；可选：{}",
                        ExceptionKind::ALL
                            .iter()
                            .map(|k| k.label())
                            .collect::<Vec<_>>()
                            .join("、")
                    )
                })?),
            };
            let scope = match (township, school) {
                (Some(_), Some(_)) => bail!("--township 与 --school 只能给一个"),
                (Some(t), None) => Scope::Township(t),
                (None, Some(s)) => Scope::School(s),
                (None, None) => Scope::All,
            };
            let store = open(&db).await?;
            store.migrate().await.context("数据库结构升级失败")?;
            export(&store, term, &scope, kind, full, &out).await
        }
    }
}

async fn run(args: CompareRunArgs) -> Result<()> {
    let term = Term::parse(&args.term)?;
    let defaults = Thresholds::default();
    let mut opts = CompareOptions::new(args.actor.clone());
    opts.dry_run = args.dry_run;
    opts.thresholds = Thresholds {
        auto: args.auto.unwrap_or(defaults.auto),
        review: args.review.unwrap_or(defaults.review),
    };
    let store = open(&args.db).await?;
    store.migrate().await.context("数据库结构升级失败")?;
    let report = zizhu_app::compare_term(&store, term, &opts).await?;
    say!("{report}");
    Ok(())
}

async fn queue(store: &Store, term: Term, limit: u64, full: bool) -> Result<()> {
    let links = zizhu_app::review_queue(store, term, &Scope::All, limit).await?;
    if links.is_empty() {
        say!("{} 没有待复核的比对链接。", term.code());
        return Ok(());
    }
    say!("编号\t名单\t行\t名单人员\t登记人员\t概率\t依据");
    for l in &links {
        say!("{}", queue_line(store, l, full).await?);
    }
    say!(
        "共 {} 条。确认：zizhu compare review --link 编号 --accept --reason 理由；否决：--reject。",
        links.len()
    );
    Ok(())
}

async fn person_text(store: &Store, id: i64, full: bool) -> Result<String> {
    let Some(p) = store.get_person(id).await? else {
        return Ok(format!("人员{id}（已不存在）"));
    };
    let name = p.record.name.original().to_string();
    let idn = p
        .record
        .id_number
        .map(|i| i.as_str().to_string())
        .unwrap_or_default();
    let (name, idn) = if full {
        (name, idn)
    } else {
        (
            mask_name(&name),
            if idn.is_empty() { idn } else { mask_id(&idn) },
        )
    };
    let birth = p
        .record
        .birth_date
        .map(|d| {
            if full {
                d.to_string()
            } else {
                d.year().to_string() + "年"
            }
        })
        .unwrap_or_default();
    Ok(format!(
        "{name} {} {birth}",
        if idn.is_empty() {
            "无身份证号"
        } else {
            &idn
        }
    ))
}

async fn queue_line(store: &Store, l: &StoredLink, full: bool) -> Result<String> {
    let r = &l.record;
    let why: serde_json::Value = serde_json::from_str(&r.explanation).unwrap_or_default();
    let terms = why["各项比较"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|t| {
                    format!(
                        "{}{}({})",
                        t["字段"].as_str().unwrap_or(""),
                        t["等级"].as_str().unwrap_or(""),
                        t["权重"]
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    Ok(format!(
        "{}\t{}\t{}\t{}\t{}\t{}.{:04}\t{}",
        l.id,
        r.file_name,
        r.row_no,
        person_text(store, r.row_person_id, full).await?,
        person_text(store, r.person_id, full).await?,
        r.probability_ppm / 1_000_000,
        (r.probability_ppm % 1_000_000) / 100,
        terms
    ))
}

async fn export(
    store: &Store,
    term: Term,
    scope: &Scope,
    kind: Option<ExceptionKind>,
    full: bool,
    out: &Path,
) -> Result<()> {
    let lines = zizhu_app::exception_lines(store, term, scope, kind, full).await?;
    let headers: Vec<String> = [
        "序号",
        "类别",
        "姓名",
        "身份证号",
        "乡镇代码",
        "学校标识码",
        "班级",
        "情况",
        "依据",
        "比对记录",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut sheets = Vec::new();
    for k in ExceptionKind::ALL {
        if kind.is_some_and(|want| want != *k) {
            continue;
        }
        let rows: Vec<Vec<String>> = lines
            .iter()
            .filter(|l| l.exception.record.kind == *k)
            .enumerate()
            .map(|(i, l)| {
                let e = &l.exception.record;
                vec![
                    (i + 1).to_string(),
                    e.kind.label().to_string(),
                    l.name.clone(),
                    l.id_number.clone(),
                    e.placement.township_code.clone().unwrap_or_default(),
                    e.placement.school_code.clone().unwrap_or_default(),
                    e.placement.class_name.clone().unwrap_or_default(),
                    e.summary.clone(),
                    l.evidence.clone(),
                    l.exception.run_id.to_string(),
                ]
            })
            .collect();
        sheets.push(TableSheet {
            name: k.label().to_string(),
            title: format!("{} {}名单", term.code(), k.label()),
            headers: headers.clone(),
            rows,
        });
    }
    let summary = zizhu_io::export_tables(out, &sheets, !full).await?;
    if full {
        // A full export unmasks everyone in it: logged like a person page.
        let mut persons: Vec<i64> = lines
            .iter()
            .filter_map(|l| l.exception.record.person_id)
            .collect();
        persons.sort_unstable();
        persons.dedup();
        store
            .record_unmasks(
                "命令行",
                &persons,
                "姓名、身份证号",
                &format!(
                    "命令行完整导出异常名单（{}）：{}",
                    term.code(),
                    out.display()
                ),
            )
            .await?;
    }
    say!("{summary}");
    if full {
        say!("注意：文件含完整的个人信息，请妥善保管，不得外传；本次导出已记入查看完整信息日志。");
    }
    Ok(())
}
