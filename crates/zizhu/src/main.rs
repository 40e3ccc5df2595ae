//! `zizhu`: the one binary. This file only wires the command line to the
//! library crates; no domain logic lives here.

mod cli;
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
            let store = open(&args.db).await?;
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
    }
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
