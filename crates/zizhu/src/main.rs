//! `zizhu`: the one binary. This file only wires the command line to the
//! library crates; no domain logic lives here.

mod cli;
mod compare;
mod demo;
mod registry;

/// Prints a line to standard output, ignoring a closed pipe: `zizhu gen |
/// head` must end quietly, not with a panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}
pub(crate) use say;

use std::process::ExitCode;

use anyhow::{Context, Result};
use cli::{Command, DbArgs};
use zizhu_store::Store;

// mimalloc rather than glibc's malloc, also for SQLite's own allocations
// (the workspace enables its `override` feature): an import allocates and
// frees millions of small values, where glibc's malloc spent about a fifth
// of the CPU time, and under 32 concurrent page views glibc's malloc and
// free took about a quarter of the server's CPU (BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // A panic is a bug, but the person at the terminal should still read a
    // Chinese sentence rather than a Rust backtrace.
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("内部错误：程序遇到意外情况（{place}），请将此信息告知系统管理员。");
    }));
    let cli = match cli::parse() {
        Ok(cli) => cli,
        Err((text, code)) => {
            let text = if text.ends_with('\n') {
                text
            } else {
                text + "\n"
            };
            if code == 0 {
                print!("{text}");
            } else {
                eprint!("{text}");
            }
            return ExitCode::from(u8::try_from(code).unwrap_or(2));
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ZIZHU_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("错误：无法启动运行环境：{e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误：{e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<()> {
    match command {
        Command::Init(args) => {
            let store = open(&args.db).await?;
            let before = store.schema_version().await.unwrap_or(0);
            store.migrate().await.context("数据库结构升级失败")?;
            let after = store.schema_version().await?;
            if before == after {
                say!(
                    "数据库已是最新结构（版本 {after}）：{}",
                    zizhu_store::mask_url(&args.db.database)
                );
            } else {
                say!(
                    "数据库结构已从版本 {before} 升级到 {after}：{}",
                    zizhu_store::mask_url(&args.db.database)
                );
            }
            Ok(())
        }
        Command::Serve(args) => {
            let store = Store::connect_with(&args.db.database, args.db_connections).await?;
            store.migrate().await.context("数据库结构升级失败")?;
            say!("资助 zizhu 网页服务已启动：http://{}/", args.listen);
            say!("按 Ctrl-C 停止。");
            serve(store, &args.listen, args.data_dir, args.secure_cookies).await
        }
        Command::Gen(args) => demo::generate(args),
        Command::Demo(args) => demo::demo(args).await,
        Command::Import(args) => registry::import(args).await,
        Command::Export(args) => registry::export(args).await,
        Command::Batches(args) => registry::batches(args.command).await,
        Command::User(args) => registry::user(args.command).await,
        Command::Link(args) => link(args).await,
        Command::Compare(args) => compare::compare(args).await,
        Command::Entitle(args) => registry::entitle(args).await,
    }
}

/// `zizhu link`: two lists in, the pairs judged to be the same person out.
async fn link(args: cli::LinkArgs) -> Result<()> {
    // Without the engine, say so before reading anything.
    #[cfg(not(feature = "distributed"))]
    if let cli::LinkEngine::Ballista = args.engine {
        ballista(&[], &[], &zizhu_link::LinkConfig::default(), &args).await?;
    }
    if let Some(p) = args.threshold
        && !(0.0..=1.0).contains(&p)
    {
        anyhow::bail!("--threshold 应在 0 到 1 之间，实为 {p}");
    }
    let read = |path: &std::path::Path| -> Result<Vec<zizhu_link::Record>> {
        let file =
            std::fs::File::open(path).with_context(|| format!("无法打开 {}", path.display()))?;
        zizhu_link::read_csv(std::io::BufReader::new(file))
            .with_context(|| format!("无法读取名单 {}", path.display()))
    };
    let left = read(&args.left)?;
    let right = read(&args.right)?;
    let config = zizhu_link::LinkConfig {
        threshold: args.threshold,
        ..zizhu_link::LinkConfig::default()
    };
    let started = std::time::Instant::now();
    let result = match args.engine {
        cli::LinkEngine::Local => zizhu_link::link(&left, &right, &config),
        cli::LinkEngine::Ballista => ballista(&left, &right, &config, &args).await?,
    };
    // Write to a temporary file beside the target and rename, so a failure
    // never leaves a half-written result where the old one was.
    let tmp = args.out.with_extension("csv.part");
    let file =
        std::fs::File::create(&tmp).with_context(|| format!("无法写入 {}", tmp.display()))?;
    zizhu_link::write_links_csv(std::io::BufWriter::new(file), &left, &right, &result)
        .with_context(|| format!("无法写入 {}", tmp.display()))?;
    std::fs::rename(&tmp, &args.out).with_context(|| format!("无法写入 {}", args.out.display()))?;
    say!(
        "左名单 {} 条，右名单 {} 条；判定为同一人 {} 对（阈值 {:.3}），用时 {:.1} 秒；结果已写入 {}",
        left.len(),
        right.len(),
        result.links.len(),
        result.threshold,
        started.elapsed().as_secs_f32(),
        args.out.display()
    );
    Ok(())
}

/// `--engine ballista`: the same linkage as a DataFusion plan on a Ballista
/// cluster (`--scheduler`), or standalone in this process.
#[cfg(feature = "distributed")]
async fn ballista(
    left: &[zizhu_link::Record],
    right: &[zizhu_link::Record],
    config: &zizhu_link::LinkConfig,
    args: &cli::LinkArgs,
) -> Result<zizhu_link::LinkResult> {
    let options = zizhu_distributed::DistributedOptions {
        scheduler: args.scheduler.clone(),
        staging_dir: args.staging_dir.clone(),
    };
    // The engine runs on a runtime of its own with large thread stacks
    // (DataFusion plans recursively), beside this one.
    Ok(tokio::task::block_in_place(|| {
        zizhu_distributed::link_distributed_blocking(left, right, config, &options)
    })?)
}

/// `--engine ballista` in a build without the `distributed` feature.
#[cfg(not(feature = "distributed"))]
async fn ballista(
    _left: &[zizhu_link::Record],
    _right: &[zizhu_link::Record],
    _config: &zizhu_link::LinkConfig,
    args: &cli::LinkArgs,
) -> Result<zizhu_link::LinkResult> {
    anyhow::bail!(
        "此版本未包含分布式比对引擎（Ballista）；请用 --engine local，或以 distributed 功能重新编译{}",
        args.scheduler
            .as_ref()
            .map(|s| format!("（调度器 {s}）"))
            .unwrap_or_default()
    )
}

/// Serves the web application until Ctrl-C.
pub(crate) async fn serve(
    store: Store,
    listen: &std::net::SocketAddr,
    data_dir: std::path::PathBuf,
    secure_cookies: bool,
) -> Result<()> {
    let config = zizhu_web::WebConfig {
        data_dir,
        secure_cookies,
        ..zizhu_web::WebConfig::default()
    };
    zizhu_web::serve(zizhu_web::AppState::with_config(store, config), *listen)
        .await
        .with_context(|| format!("无法在 {listen} 上提供网页服务"))
}

/// Opens the database the user named, with a Chinese error that repeats the
/// address (without any password) when it cannot be reached.
pub(crate) async fn open(db: &DbArgs) -> Result<Store> {
    // The store's error already names the (masked) address.
    Ok(Store::connect(&db.database).await?)
}
