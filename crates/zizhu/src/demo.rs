//! `zizhu gen` and `zizhu demo`: the synthetic county's department lists,
//! and the demo that loads them through the real import pipeline.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use zizhu_gen::{Format, GenConfig};
use zizhu_io::{ImportOptions, ListKind};

use crate::cli::{DemoArgs, GenArgs, GenFormat};
use crate::say;

pub fn gen_config(args: &GenArgs) -> GenConfig {
    GenConfig {
        county: args.county.clone(),
        students: args.students,
        seed: args.seed,
        format: match args.format {
            GenFormat::Xlsx => Format::Xlsx,
            GenFormat::Csv => Format::Csv,
            GenFormat::Both => Format::Both,
        },
        ..GenConfig::default()
    }
}

pub fn generate(args: GenArgs) -> Result<()> {
    let config = gen_config(&args);
    let summary = zizhu_gen::generate(&config, &args.out)
        .with_context(|| format!("生成虚拟县失败（输出目录 {}）", args.out.display()))?;
    say!("{summary}");
    say!(
        "名单已写入 {}，真值在 {}/{}/",
        args.out.display(),
        args.out.display(),
        zizhu_gen::TRUTH_DIR
    );
    Ok(())
}

/// The department lists in the order they must be imported: regions and
/// schools first, households before the people in them, accounts last.
const IMPORT_ORDER: &[(&str, ListKind)] = &[
    ("统计局-行政区划", ListKind::Regions),
    ("教育局-学校名册", ListKind::Schools),
    ("扶贫办-建档立卡贫困户", ListKind::Households),
    ("扶贫办-建档立卡贫困人口", ListKind::Households),
    ("教育局-学籍名册", ListKind::Roster),
    ("残联-持证残疾儿童少年名册", ListKind::Disabled),
    ("民政局-低保对象名册", ListKind::Welfare),
    ("民政局-特困供养人员名册", ListKind::Welfare),
    ("民政局-孤儿名册", ListKind::Welfare),
    ("公安卫健-0至17岁人口名册", ListKind::Population),
    ("资助中心-资助卡账户名册", ListKind::Accounts),
];

/// Written last, once everything loaded: its presence means the demo
/// database is complete and can be reused.
const READY_MARKER: &str = "演示数据已就绪.txt";

pub async fn demo(args: DemoArgs) -> Result<()> {
    let dir = &args.dir;
    let db_path = dir.join("zizhu-demo.sqlite");
    let files = dir.join("名单");
    let marker = dir.join(READY_MARKER);
    let wanted = format!("students={} seed={}\n", args.students, args.seed);
    let reusable = !args.fresh
        && std::fs::read_to_string(&marker).is_ok_and(|m| m == wanted)
        && db_path.exists();
    let url = format!("sqlite://{}", db_path.display());
    if reusable {
        say!(
            "沿用已有的演示数据库 {}（{} 名学生，种子 {}）；加 --fresh 可重新生成。",
            db_path.display(),
            args.students,
            args.seed
        );
    } else {
        if marker.exists() || db_path.exists() || files.exists() {
            say!("重新生成演示数据（{}）……", dir.display());
        } else {
            say!("首次运行：生成演示数据到 {} ……", dir.display());
        }
        remove_demo_files(dir, &db_path, &files, &marker)?;
        std::fs::create_dir_all(dir).with_context(|| format!("无法创建目录 {}", dir.display()))?;
    }
    let store = zizhu_store::Store::connect(&url).await?;
    store.migrate().await.context("数据库结构升级失败")?;
    if !reusable {
        load(&args, &store, &files).await?;
        std::fs::write(&marker, &wanted)
            .with_context(|| format!("无法写入 {}", marker.display()))?;
    }
    let accounts = zizhu_web::accounts::create_demo_accounts(&store).await?;
    say!("");
    say!("演示账号（每次运行重新设置密码）：");
    say!("  角色\t范围\t登录名\t密码");
    for a in &accounts {
        say!(
            "  {}\t{}\t{}\t{}",
            a.role_label,
            a.scope_label,
            a.username,
            a.password
        );
    }
    if args.no_serve {
        say!("");
        say!("演示数据库：{url}");
        return Ok(());
    }
    say!("");
    say!("请用浏览器打开 http://{}/ ，按 Ctrl-C 停止。", args.listen);
    crate::serve(store, &args.listen, dir.join("上传"), false).await
}

/// Removes only what a previous demo run wrote, never anything else the
/// user keeps in that folder.
fn remove_demo_files(dir: &Path, db_path: &Path, files: &Path, marker: &Path) -> Result<()> {
    let _ = std::fs::remove_file(marker);
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", db_path.display()));
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("无法删除 {}", p.display()))?;
        }
    }
    for sub in [files.to_path_buf(), dir.join("上传")] {
        if sub.exists() {
            std::fs::remove_dir_all(&sub).with_context(|| format!("无法删除 {}", sub.display()))?;
        }
    }
    Ok(())
}

async fn load(args: &DemoArgs, store: &zizhu_store::Store, files: &Path) -> Result<()> {
    let config = GenConfig {
        students: args.students,
        seed: args.seed,
        format: Format::Both,
        ..GenConfig::default()
    };
    let started = Instant::now();
    let summary = zizhu_gen::generate(&config, files)
        .with_context(|| format!("生成虚拟县失败（{}）", files.display()))?;
    say!(
        "已生成虚拟县（{} 名学生，种子 {}），名单在 {}，用时 {:.1} 秒。",
        args.students,
        args.seed,
        files.display(),
        started.elapsed().as_secs_f32()
    );
    drop(summary);
    let mut opts = ImportOptions::new("演示程序");
    // The generated roster, like a real 学籍 export, names no term.
    opts.term = Some(config.term);
    for (stem, kind) in IMPORT_ORDER {
        let path = files.join(format!("{stem}.csv"));
        let t = Instant::now();
        let s = match zizhu_io::import_file(store, *kind, &path, &opts).await {
            Ok(s) => s,
            // A small county can have an empty list (no 特困 person at
            // all): that is a fact about the county, not a failure.
            Err(zizhu_io::ImportError::NoData { .. }) => {
                say!("导入 {stem}：名单为空，跳过");
                continue;
            }
            Err(e) => return Err(e).with_context(|| format!("导入 {} 失败", path.display())),
        };
        say!(
            "导入 {stem}：读入 {}，接受 {}，退回 {}，未变 {}（{:.1} 秒）",
            s.read,
            s.accepted,
            s.rejected,
            s.unchanged,
            t.elapsed().as_secs_f32()
        );
    }
    say!("名单导入完毕，退回报告在 {}。", files.display());
    let t = Instant::now();
    let report = zizhu_app::entitle_term(
        store,
        config.term,
        &zizhu_policy::PolicySet::hunan_2018(),
        &zizhu_app::EntitleOptions {
            dry_run: false,
            actor: "演示程序".to_owned(),
        },
    )
    .await
    .context("计算资助失败")?;
    say!("{report}");
    say!(
        "{} 资助已计算（{:.1} 秒）。",
        config.term.code(),
        t.elapsed().as_secs_f32()
    );
    let report = zizhu_app::compare_term(
        store,
        config.term,
        &zizhu_app::CompareOptions::new("演示程序"),
    )
    .await
    .context("大数据比对失败")?;
    say!("{report}");
    Ok(())
}
