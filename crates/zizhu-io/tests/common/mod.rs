//! Helpers shared by the integration tests: a fresh SQLite store per test,
//! snapshot counts of the database, and small file builders.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::{Path, PathBuf};
use zizhu_io::{ImportOptions, ImportSummary, ListKind, import_file};
use zizhu_store::{AuditFilter, Scope, Store};

/// A fresh, migrated SQLite store in its own temporary folder.
pub struct TestDb {
    pub store: Store,
    pub dir: tempfile::TempDir,
}

pub async fn fresh_store() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("zizhu.db").display());
    let store = Store::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    TestDb { store, dir }
}

/// What the database holds, to show that a failed import changed nothing.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct Counts {
    pub persons: i64,
    pub audit: usize,
    pub batches: usize,
}

pub async fn counts(store: &Store) -> Counts {
    Counts {
        persons: store
            .count_persons(&Scope::All)
            .await
            .expect("count persons"),
        audit: store
            .audit_log(&AuditFilter::default(), 100_000_000)
            .await
            .expect("audit")
            .len(),
        batches: store.list_batches(1_000_000).await.expect("batches").len(),
    }
}

pub fn opts() -> ImportOptions {
    ImportOptions::new("测试导入员")
}

pub async fn import(store: &Store, kind: ListKind, path: &Path) -> ImportSummary {
    match import_file(store, kind, path, &opts()).await {
        Ok(s) => {
            assert!(s.adds_up(), "{s}");
            s
        }
        Err(e) => panic!("import of {} failed: {e}", path.display()),
    }
}

/// Writes a CSV (UTF-8, no BOM) from rows of cells.
pub fn write_csv(dir: &Path, name: &str, rows: &[Vec<&str>]) -> PathBuf {
    let mut text = String::new();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .map(|c| {
                if c.contains([',', '"', '\n']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c.to_string()
                }
            })
            .collect();
        text.push_str(&line.join(","));
        text.push_str("\r\n");
    }
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write csv");
    p
}

/// Writes an xlsx whose cells are all strings, with optional title rows.
pub fn write_xlsx(dir: &Path, name: &str, sheet: &str, rows: &[Vec<&str>]) -> PathBuf {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).expect("sheet name");
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32, c as u16, *v).expect("write");
            }
        }
    }
    let p = dir.join(name);
    wb.save(&p).expect("save xlsx");
    p
}

/// Valid ID numbers of children born in 宁远县 in 2010–2012, by sequence.
pub fn child_id(n: u16) -> String {
    let birth = zizhu_core::Date::new(
        2010 + i32::from(n % 3),
        1 + u32::from(n % 12),
        1 + u32::from(n % 28),
    )
    .expect("date");
    zizhu_core::IdNumber::from_parts("431126", birth, n)
        .expect("id")
        .as_str()
        .to_string()
}

/// The sheet names and cells of an xlsx, as text, via calamine.
pub fn read_xlsx(path: &Path) -> Vec<(String, Vec<Vec<String>>)> {
    use calamine::{Reader, Xlsx, open_workbook};
    let mut wb: Xlsx<_> = open_workbook(path).expect("open xlsx");
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).expect("range");
        let rows = range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        out.push((name, rows));
    }
    out
}

/// Every formula in an xlsx, to show a workbook this crate wrote has none.
pub fn formulas(path: &Path) -> Vec<String> {
    use calamine::{Reader, Xlsx, open_workbook};
    let mut wb: Xlsx<_> = open_workbook(path).expect("open xlsx");
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let f = wb.worksheet_formula(&name).expect("formulas");
        for r in f.rows() {
            out.extend(r.iter().filter(|c| !c.is_empty()).cloned());
        }
    }
    out
}
