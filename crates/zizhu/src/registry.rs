//! Registry commands: `import`, `export`, `batches`, `user`.

use anyhow::{Context, Result, bail};
use zizhu_core::Term;
use zizhu_io::{ExportOptions, ImportOptions, LedgerLevel, ListKind, Mapping, Privacy};
use zizhu_store::{AuditContext, Scope};
use zizhu_web::accounts::{self, NewAccount, Role};

use crate::cli::{BatchesCommand, EntitleArgs, ExportArgs, ExportWhat, ImportArgs, UserCommand};
use crate::{open, say};

pub async fn import(args: ImportArgs) -> Result<()> {
    let kind = ListKind::parse(&args.kind)?;
    let mut opts = ImportOptions::new(args.actor.clone());
    opts.sheet = args.sheet.clone();
    opts.dry_run = args.dry_run;
    opts.force = args.force;
    opts.report_dir = args.report_dir.clone();
    if let Some(path) = &args.mapping {
        opts.mapping = Some(Mapping::load(path)?);
    }
    if let Some(term) = &args.term {
        opts.term = Some(Term::parse(term)?);
    }
    let store = open(&args.db).await?;
    store.migrate().await.context("数据库结构升级失败")?;
    let summary = zizhu_io::import_file(&store, kind, &args.file, &opts).await?;
    say!("{summary}");
    // A large list changes the tables' shape; the planner should know.
    if !args.dry_run
        && let Err(e) = store.analyze().await
    {
        say!("注意：更新查询统计信息失败（不影响导入结果）：{e}");
    }
    Ok(())
}

/// Loads the policy file the user named, or the shipped Hunan 2018 one.
pub fn policies(path: Option<&std::path::Path>) -> Result<zizhu_policy::PolicySet> {
    match path {
        None => Ok(zizhu_policy::PolicySet::hunan_2018()),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("无法读取政策文件 {}", path.display()))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string());
            Ok(zizhu_policy::PolicySet::load(&text, &name)?)
        }
    }
}

pub async fn entitle(args: EntitleArgs) -> Result<()> {
    let term = Term::parse(&args.term)?;
    let policies = policies(args.policy.as_deref())?;
    let store = open(&args.db).await?;
    store.migrate().await.context("数据库结构升级失败")?;
    if let Some(key) = &args.explain {
        let text = zizhu_app::explain_student(&store, term, &policies, key).await?;
        say!("{text}");
        return Ok(());
    }
    let opts = zizhu_app::EntitleOptions {
        dry_run: args.dry_run,
        actor: args.actor.clone(),
    };
    let report = zizhu_app::entitle_term(&store, term, &policies, &opts).await?;
    say!("{report}");
    Ok(())
}

pub async fn export(args: ExportArgs) -> Result<()> {
    let term = Term::parse(&args.term)?;
    let store = open(&args.db).await?;
    let (scope, level) = match (&args.township, &args.school) {
        (Some(_), Some(_)) => bail!("--township 与 --school 只能给一个"),
        (Some(t), None) => (Scope::Township(t.clone()), LedgerLevel::Township(t.clone())),
        (None, Some(s)) => (Scope::School(s.clone()), LedgerLevel::School(s.clone())),
        (None, None) => (Scope::All, LedgerLevel::County),
    };
    let mut opts = ExportOptions::new(term, scope);
    if args.full {
        // The command line is the county IT person's tool, run on the
        // county's own machine: it may write full data, and says so.
        opts.privacy = Privacy::Full;
        opts.may_see_full = true;
    }
    let summary = match args.what {
        ExportWhat::Students => zizhu_io::export_students(&store, &args.out, &opts).await?,
        ExportWhat::Ledger => zizhu_io::export_ledger(&store, &args.out, &level, &opts).await?,
        ExportWhat::Schools => zizhu_io::export_schools(&store, &args.out).await?,
        ExportWhat::Regions => zizhu_io::export_regions(&store, &args.out).await?,
    };
    if !summary.unmasked_persons.is_empty() {
        // Every full export is an unmasking of each person in it, logged
        // like one on a person page, with who ran it and where it went.
        let what = match args.what {
            ExportWhat::Students => "学生名册",
            ExportWhat::Ledger => "台账",
            ExportWhat::Schools => "学校名册",
            ExportWhat::Regions => "行政区划",
        };
        store
            .record_unmasks(
                &args.actor,
                &summary.unmasked_persons,
                "身份证号、银行账号、电话、住址",
                &format!(
                    "命令行完整导出{what}（{}）：{}",
                    args.term,
                    args.out.display()
                ),
            )
            .await?;
    }
    say!("{summary}");
    if args.full {
        say!("注意：文件含完整的个人信息，请妥善保管，不得外传；本次导出已记入查看完整信息日志。");
    }
    Ok(())
}

pub async fn batches(command: BatchesCommand) -> Result<()> {
    match command {
        BatchesCommand::List { limit, db } => {
            let store = open(&db).await?;
            let batches = store.list_batches(limit).await?;
            if batches.is_empty() {
                say!("还没有导入批次。");
            }
            say!("批次\t状态\t种类\t读入\t接受\t退回\t未变\t操作人\t开始时间\t文件");
            for b in batches {
                say!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    b.id,
                    b.status.label(),
                    b.file.kind,
                    b.counts.rows_read,
                    b.counts.rows_accepted,
                    b.counts.rows_rejected,
                    b.counts.rows_unchanged,
                    b.actor,
                    b.started_at,
                    b.file.file_name
                );
            }
            Ok(())
        }
        BatchesCommand::Rollback {
            batch,
            reason,
            actor,
            db,
        } => {
            let store = open(&db).await?;
            let mut tx = store
                .begin_write(AuditContext {
                    actor,
                    reason,
                    batch_id: None,
                })
                .await?;
            let summary = tx.rollback_batch(batch).await?;
            tx.commit().await?;
            say!(
                "批次 {batch} 已整批回滚，撤销了 {} 处改动（已记入审计日志）。",
                summary.reverted
            );
            Ok(())
        }
    }
}

pub async fn user(command: UserCommand) -> Result<()> {
    const ACTOR: &str = "命令行";
    match command {
        UserCommand::Add {
            username,
            role,
            name,
            township,
            school,
            classes,
            password,
            db,
        } => {
            let store = open(&db).await?;
            store.migrate().await.context("数据库结构升级失败")?;
            let account = NewAccount {
                display_name: name.unwrap_or_else(|| username.clone()),
                username,
                role: Role::parse(&role)?,
                township,
                school,
                classes,
            };
            let pw = accounts::add_user(&store, &account, password.as_deref(), ACTOR).await?;
            say!(
                "已新建账号 {}（{}），初始密码：{pw}（首次登录须修改）",
                account.username,
                account.role.label()
            );
        }
        UserCommand::Passwd {
            username,
            password,
            db,
        } => {
            let store = open(&db).await?;
            let pw = accounts::set_password(&store, &username, password.as_deref(), ACTOR).await?;
            say!("账号 {username} 的密码已重设为：{pw}（下次登录须修改）");
        }
        UserCommand::Disable { username, db } => {
            let store = open(&db).await?;
            accounts::disable_user(&store, &username, ACTOR).await?;
            say!("账号 {username} 已停用，其所有会话已结束。");
        }
        UserCommand::Enable { username, db } => {
            let store = open(&db).await?;
            accounts::enable_user(&store, &username, ACTOR).await?;
            say!("账号 {username} 已重新启用。");
        }
    }
    Ok(())
}
