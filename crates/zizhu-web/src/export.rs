//! Workbooks for download: the student list exactly as filtered on the
//! page, and the 台账 of the user's level through zizhu-io.
//!
//! Both are masked. Full personal numbers leave the system only on a person
//! page, one person at a time, and each time is logged.
//!
//! The filtered list is written here because zizhu-io's exports take a
//! scope but not a page's filter (search, hardship, boarding, …). When
//! `zizhu_io::ExportOptions` gains a `StudentFilter`, this becomes a call
//! to `zizhu_io::export_students` like [`ledger_xlsx`].

use rust_xlsxwriter::{Format, Workbook, XlsxError};
use zizhu_core::Term;
use zizhu_store::{Scope, Store, StudentFilter};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::pages::students::{EXPORT_LIMIT, lines};
use crate::view::beijing_time;

const PAGE: u64 = 1000;

const COLUMNS: [(&str, f64); 12] = [
    ("序号", 6.0),
    ("姓名", 10.0),
    ("性别", 5.0),
    ("身份证号（脱敏）", 21.0),
    ("学籍号（脱敏）", 22.0),
    ("学校", 26.0),
    ("年级", 10.0),
    ("班级", 10.0),
    ("寄宿", 5.0),
    ("县外就读", 8.0),
    ("学籍状态", 8.0),
    ("困难类型", 18.0),
];

fn xlsx_err(e: XlsxError) -> PageError {
    PageError::Internal(format!("生成 Excel 文件失败：{e}"))
}

/// The students of `term` in `scope` matching `filter`, as an xlsx file.
/// Every value is written as a text cell (never a formula), so an ID-like
/// number keeps its digits and a name starting with `=` stays a name.
pub(crate) async fn students_xlsx(
    store: &Store,
    term: &Term,
    scope: &Scope,
    filter: &StudentFilter,
    user: &CurrentUser,
) -> Result<Vec<u8>, PageError> {
    let mut wb = Workbook::new();
    let title_fmt = Format::new().set_bold().set_font_size(14);
    let head_fmt = Format::new().set_bold().set_background_color(0xDDEBF7);
    let ws = wb.add_worksheet();
    ws.set_name("学生名单").map_err(xlsx_err)?;
    ws.write_string_with_format(
        0,
        0,
        format!("{}学生名单（{}）", user.scope_label, term.code()),
        &title_fmt,
    )
    .map_err(xlsx_err)?;
    ws.write_string(
        1,
        0,
        format!(
            "导出人：{}　导出时间：{}　个人信息已脱敏",
            user.user.record.display_name,
            beijing_time(&zizhu_store::now_utc())
        ),
    )
    .map_err(xlsx_err)?;
    for (i, (name, width)) in COLUMNS.iter().enumerate() {
        let col = u16::try_from(i).unwrap_or(u16::MAX);
        ws.write_string_with_format(2, col, *name, &head_fmt)
            .map_err(xlsx_err)?;
        ws.set_column_width(col, *width).map_err(xlsx_err)?;
    }
    ws.set_freeze_panes(3, 0).map_err(xlsx_err)?;
    let mut row: u32 = 3;
    let mut offset = 0;
    let mut n = 0_u64;
    while offset < EXPORT_LIMIT {
        let page = store
            .list_students(term, scope, filter, PAGE, offset)
            .await?;
        if page.is_empty() {
            break;
        }
        offset += PAGE;
        for l in lines(&page) {
            n += 1;
            let cells = [
                n.to_string(),
                l.name,
                l.sex,
                l.id_number,
                l.student_no,
                l.school,
                l.grade,
                l.class_name,
                l.boarding.to_owned(),
                l.out_of_county.to_owned(),
                l.status.to_owned(),
                l.hardship,
            ];
            for (c, v) in cells.iter().enumerate() {
                ws.write_string(row, u16::try_from(c).unwrap_or(u16::MAX), v)
                    .map_err(xlsx_err)?;
            }
            row += 1;
        }
    }
    wb.save_to_buffer().map_err(xlsx_err)
}

/// The 台账 of the user's level, masked, written by zizhu-io.
pub(crate) async fn ledger_xlsx(
    state: &AppState,
    term: &Term,
    user: &CurrentUser,
) -> Result<Vec<u8>, PageError> {
    let level = match user.scope() {
        Scope::All => zizhu_io::LedgerLevel::County,
        Scope::Township(t) => zizhu_io::LedgerLevel::Township(t.clone()),
        Scope::School(c) => zizhu_io::LedgerLevel::School(c.clone()),
        // A school's 台账 lists every class; a head teacher exports the
        // filtered list of their own classes instead.
        Scope::Classes { .. } => return Err(PageError::Forbidden),
    };
    let dir = state.config.data_dir.join("exports");
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| PageError::Internal(format!("无法创建导出目录 {}：{e}", dir.display())))?;
    let path = dir.join(format!("ledger-{}.xlsx", rand_suffix()));
    let opts = zizhu_io::ExportOptions::new(*term, user.scope().clone());
    let result = zizhu_io::export_ledger(&state.store, &path, &level, &opts).await;
    let bytes = match result {
        Ok(_) => tokio::fs::read(&path)
            .await
            .map_err(|e| PageError::Internal(format!("读取导出文件失败：{e}"))),
        Err(e) => Err(PageError::Internal(format!("导出台账失败：{e}"))),
    };
    // The file holds personal data (masked, still); it is not kept.
    let _ = tokio::fs::remove_file(&path).await;
    bytes
}

fn rand_suffix() -> String {
    use rand::Rng;
    format!("{:016x}", rand::rng().random::<u64>())
}
