//! Imports a synthetic county written by `zizhu-gen` into a fresh SQLite
//! database, every list in dependency order, and prints each summary:
//!
//! ```text
//! cargo run --release -p zizhu-io --example import_county -- COUNTY_DIR [csv|xlsx] [DB_FILE]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use zizhu_io::{ImportOptions, ListKind, import_file};
use zizhu_store::Store;

/// The generator's files and the kind each is imported as, in the order
/// the registry needs them (codes first, then households, then people).
const FILES: &[(&str, ListKind)] = &[
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

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first().map(PathBuf::from) else {
        eprintln!("用法：import_county 县目录 [csv|xlsx] [数据库文件]");
        return ExitCode::from(2);
    };
    let ext = args.get(1).map_or("xlsx", String::as_str);
    let db = args.get(2).map(PathBuf::from).unwrap_or_else(|| {
        std::env::temp_dir().join(format!("zizhu-county-{}.db", std::process::id()))
    });
    let _ = std::fs::remove_file(&db);
    let store = match Store::connect(&format!("sqlite://{}", db.display())).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = store.migrate().await {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    let mut opts = ImportOptions::new("import_county 示例");
    opts.term = Some(zizhu_core::Term::new(2018, zizhu_core::Season::Autumn));
    opts.report_dir = Some(std::env::temp_dir());
    for (stem, kind) in FILES {
        let path = dir.join(format!("{stem}.{ext}"));
        match import_file(&store, *kind, &path, &opts).await {
            Ok(s) => println!("{s}\n"),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("数据库：{}", db.display());
    ExitCode::SUCCESS
}
