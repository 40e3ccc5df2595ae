//! Times one import into a fresh SQLite file, for comparison with other
//! tools (pandas.read_excel + to_sql, …):
//!
//! ```text
//! cargo run --release -p zizhu-io --example import_bench -- FILE [KIND] [TERM]
//! ```
//!
//! KIND defaults to `roster` and TERM to `2018秋`. When the file sits in a
//! folder written by `zizhu-gen`, the county's regions and schools are
//! imported first (untimed) so that roster rows find their schools. Prints
//! the time to read and validate alone, then the full import, in rows per
//! second. `ZIZHU_BENCH_IMPORT_ONLY=1` skips the read-only pass.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use zizhu_io::{ImportOptions, ListKind, import_file, validate_file};
use zizhu_store::Store;

// The same allocator as the `zizhu` binary, so that the benchmark measures
// what the CLI does.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn sibling(file: &Path, stem: &str) -> Option<PathBuf> {
    let dir = file.parent()?;
    ["xlsx", "csv"]
        .iter()
        .map(|ext| dir.join(format!("{stem}.{ext}")))
        .find(|p| p.exists())
}

#[expect(
    clippy::float_arithmetic,
    reason = "rows per second is a display figure"
)]
fn per_second(rows: u64, secs: f64) -> f64 {
    rows as f64 / secs.max(1e-9)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(file) = args.first().map(PathBuf::from) else {
        eprintln!("用法：import_bench 文件 [名单类型，默认 roster] [学期，默认 2018秋]");
        return ExitCode::from(2);
    };
    let kind = match args.get(1).map(|k| ListKind::parse(k)).transpose() {
        Ok(k) => k.unwrap_or(ListKind::Roster),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let term = match zizhu_core::Term::parse(args.get(2).map_or("2018秋", String::as_str)) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let dir = tempfile::tempdir().expect("临时目录");
    let db = dir.path().join("bench.db");
    let store = Store::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("打开数据库");
    store.migrate().await.expect("建表");
    let mut opts = ImportOptions::new("import_bench");
    opts.term = Some(term);
    opts.report_dir = Some(dir.path().to_path_buf());

    for (stem, k) in [
        ("统计局-行政区划", ListKind::Regions),
        ("教育局-学校名册", ListKind::Schools),
    ] {
        if let Some(p) = sibling(&file, stem)
            && p != file
        {
            match import_file(&store, k, &p, &opts).await {
                Ok(s) => eprintln!("（预先导入 {}：{} 行）", p.display(), s.accepted),
                Err(e) => eprintln!("（预先导入失败：{e}）"),
            }
        }
    }

    // `ZIZHU_BENCH_IMPORT_ONLY=1` skips the read-only pass, so that the
    // process's wall time and peak memory are the import's alone.
    if std::env::var_os("ZIZHU_BENCH_IMPORT_ONLY").is_some() {
        return full_import(&store, kind, &file, &opts).await;
    }
    let started = Instant::now();
    let validated = {
        let (f, o) = (file.clone(), opts.clone());
        tokio::task::spawn_blocking(move || validate_file(kind, &f, &o))
            .await
            .expect("读取线程")
    };
    let read_secs = started.elapsed().as_secs_f64();
    match validated {
        Ok((rows, rejected)) => println!(
            "读取并校验（不写库）：{rows} 行（其中 {rejected} 行有误），{read_secs:.2} 秒，{:.0} 行/秒",
            per_second(rows, read_secs)
        ),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    }

    // `ZIZHU_BENCH_READ_ONLY=1` stops here, to profile reading alone.
    if std::env::var_os("ZIZHU_BENCH_READ_ONLY").is_some() {
        return ExitCode::SUCCESS;
    }
    full_import(&store, kind, &file, &opts).await
}

async fn full_import(store: &Store, kind: ListKind, file: &Path, opts: &ImportOptions) -> ExitCode {
    let started = Instant::now();
    match import_file(store, kind, file, opts).await {
        Ok(s) => {
            let secs = started.elapsed().as_secs_f64();
            println!("{s}");
            println!(
                "完整导入：{} 行，{secs:.2} 秒，{:.0} 行/秒（写入 {} 行，每行含人员、学籍、监护人、账户及审计）",
                s.read,
                per_second(s.read, secs),
                s.accepted
            );
            println!("其中提交事务：{:.2} 秒", s.committing.as_secs_f64());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
