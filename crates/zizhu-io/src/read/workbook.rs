//! Excel workbooks through calamine: `.xlsx` streamed cell by cell, old
//! `.xls` (at most 65,536 rows by format) read sheet by sheet.

use super::{Cell, Flow, RawRow, RowSink, SheetSelection, SheetStart};
use crate::error::ImportError;
use calamine::{Data, DataRef, Reader, SheetType, SheetVisible, Xls, Xlsx, XlsxError};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

/// Days between the 1904 and 1900 date systems: a 1904 workbook's serials
/// are shifted by this so every date is handled in one system.
const EPOCH_1904_OFFSET: f64 = 1462.0;

/// Explains an xlsx error in Chinese; the technical detail is kept at the end
/// for whoever has to look into the file.
fn xlsx_error(path: &Path, sheet: Option<&str>, e: XlsxError) -> ImportError {
    let file = path.display().to_string();
    match e {
        XlsxError::Io(io) => ImportError::io(path, io),
        XlsxError::Zip(z) => ImportError::Corrupt {
            file,
            sheet: sheet.map(str::to_string),
            row: None,
            detail: format!("压缩包不完整或已损坏，可能是下载或拷贝中断（{z}）"),
        },
        XlsxError::FileNotFound(part) => ImportError::NotSpreadsheet {
            file,
            detail: format!("这是一个 zip 压缩包，但其中没有 Excel 工作簿的 {part}"),
        },
        XlsxError::Password => ImportError::NotSpreadsheet {
            file,
            detail: "工作簿设有打开密码，请在 Excel 中取消密码后再导入".to_string(),
        },
        other => ImportError::Corrupt {
            file,
            sheet: sheet.map(str::to_string),
            row: None,
            detail: format!("工作簿内容无法解析（{other}）"),
        },
    }
}

fn open_xlsx(path: &Path) -> Result<Xlsx<BufReader<File>>, ImportError> {
    let file = File::open(path).map_err(|e| ImportError::io(path, e))?;
    Xlsx::new(BufReader::with_capacity(256 * 1024, file)).map_err(|e| xlsx_error(path, None, e))
}

/// The worksheets to read: the named one, or every visible worksheet (hidden
/// sheets in county templates hold the drop-down lists, not data).
fn select_sheets(
    path: &Path,
    meta: &[calamine::Sheet],
    selection: &SheetSelection,
) -> Result<Vec<String>, ImportError> {
    match selection {
        SheetSelection::Named(want) => {
            if meta.iter().any(|s| &s.name == want) {
                Ok(vec![want.clone()])
            } else if let Some(s) = meta.iter().find(|s| s.name.trim() == want.trim()) {
                Ok(vec![s.name.clone()])
            } else {
                Err(ImportError::SheetNotFound {
                    file: path.display().to_string(),
                    sheet: want.clone(),
                    available: meta.iter().map(|s| s.name.clone()).collect(),
                })
            }
        }
        SheetSelection::All => Ok(meta
            .iter()
            .filter(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
            .map(|s| s.name.clone())
            .collect()),
    }
}

pub(crate) fn xlsx_sheet_names(path: &Path) -> Result<Vec<String>, ImportError> {
    Ok(open_xlsx(path)?.sheet_names())
}

pub(crate) fn xls_sheet_names(path: &Path) -> Result<Vec<String>, ImportError> {
    Ok(open_xls(path)?.sheet_names())
}

fn data_ref_cell(value: DataRef<'_>, formula: Option<String>, is_1904: bool) -> Cell {
    match value {
        DataRef::Empty => match formula {
            Some(f) if !f.is_empty() => Cell::UncomputedFormula(f),
            _ => Cell::Empty,
        },
        DataRef::Int(i) => Cell::Int(i),
        DataRef::Float(f) => Cell::Float(f),
        DataRef::String(s) => Cell::Text(s),
        DataRef::SharedString(s) => Cell::Text(s.to_string()),
        DataRef::Bool(b) => Cell::Bool(b),
        DataRef::DateTime(dt) => Cell::Date(shift_1904(dt.as_f64(), is_1904)),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s),
        DataRef::Error(e) => Cell::Error(e.to_string()),
    }
}

fn data_cell(value: &Data, is_1904: bool) -> Cell {
    match value {
        Data::Empty => Cell::Empty,
        Data::Int(i) => Cell::Int(*i),
        Data::Float(f) => Cell::Float(*f),
        Data::String(s) => Cell::Text(s.clone()),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => Cell::Date(shift_1904(dt.as_f64(), is_1904)),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

#[expect(
    clippy::float_arithmetic,
    reason = "moving a serial between Excel's two date systems is an exact whole-day shift"
)]
fn shift_1904(serial: f64, is_1904: bool) -> f64 {
    if is_1904 {
        serial + EPOCH_1904_OFFSET
    } else {
        serial
    }
}

/// Streams the selected sheets of an `.xlsx` file.
pub(crate) fn read_xlsx(
    path: &Path,
    selection: &SheetSelection,
    sink: &mut dyn RowSink,
) -> Result<(), ImportError> {
    let mut wb = open_xlsx(path)?;
    let is_1904 = wb.has_1904_epoch();
    let names = select_sheets(path, wb.sheets_metadata(), selection)?;
    for name in names {
        match sink.start_sheet(&SheetStart {
            sheet: name.clone(),
        })? {
            Flow::Stop => return Ok(()),
            Flow::NextSheet => {
                sink.end_sheet()?;
                continue;
            }
            Flow::Continue => {}
        }
        let mut reader = wb
            .worksheet_cells_reader(&name)
            .map_err(|e| xlsx_error(path, Some(&name), e))?;
        let mut current: Option<RawRow> = None;
        let mut flow = Flow::Continue;
        while let Some(cell) = reader
            .next_cell_with_formula()
            .map_err(|e| xlsx_error(path, Some(&name), e))?
        {
            let (r, c) = cell.pos;
            let value = data_ref_cell(cell.value, cell.formula, is_1904);
            if matches!(value, Cell::Empty) {
                continue;
            }
            let row_no = r + 1;
            if current.as_ref().is_some_and(|row| row.row != row_no) {
                let done = current.take().expect("checked above");
                if !done.is_blank() {
                    flow = sink.row(done)?;
                    if flow != Flow::Continue {
                        break;
                    }
                }
            }
            let row = current.get_or_insert_with(|| RawRow {
                row: row_no,
                cells: Vec::new(),
            });
            let c = c as usize;
            if row.cells.len() <= c {
                row.cells.resize(c + 1, Cell::Empty);
            }
            row.cells[c] = value;
        }
        if flow == Flow::Stop {
            return Ok(());
        }
        if flow == Flow::Continue
            && let Some(done) = current.take()
            && !done.is_blank()
            && sink.row(done)? == Flow::Stop
        {
            return Ok(());
        }
        if sink.end_sheet()? == Flow::Stop {
            return Ok(());
        }
    }
    Ok(())
}

fn open_xls(path: &Path) -> Result<Xls<BufReader<File>>, ImportError> {
    let file = File::open(path).map_err(|e| ImportError::io(path, e))?;
    Xls::new(BufReader::new(file)).map_err(|e| ImportError::Corrupt {
        file: path.display().to_string(),
        sheet: None,
        row: None,
        detail: format!(
            "旧版 Excel（.xls）文件无法解析，请在 Excel 中另存为 .xlsx 后再导入（{e}）"
        ),
    })
}

/// Reads the selected sheets of an old `.xls` file; the format caps a sheet
/// at 65,536 rows, so holding one sheet's range is bounded.
pub(crate) fn read_xls(
    path: &Path,
    selection: &SheetSelection,
    sink: &mut dyn RowSink,
) -> Result<(), ImportError> {
    let mut wb = open_xls(path)?;
    let is_1904 = wb.has_1904_epoch();
    let names = select_sheets(path, wb.sheets_metadata(), selection)?;
    for name in names {
        match sink.start_sheet(&SheetStart {
            sheet: name.clone(),
        })? {
            Flow::Stop => return Ok(()),
            Flow::NextSheet => {
                sink.end_sheet()?;
                continue;
            }
            Flow::Continue => {}
        }
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| ImportError::Corrupt {
                file: path.display().to_string(),
                sheet: Some(name.clone()),
                row: None,
                detail: format!("工作表无法解析（{e}）"),
            })?;
        let (row0, col0) = range.start().unwrap_or((0, 0));
        for (i, cells) in range.rows().enumerate() {
            let mut out = vec![Cell::Empty; col0 as usize];
            out.extend(cells.iter().map(|d| data_cell(d, is_1904)));
            let row = RawRow {
                row: row0 + i as u32 + 1,
                cells: out,
            };
            if row.is_blank() {
                continue;
            }
            match sink.row(row)? {
                Flow::Continue => {}
                Flow::NextSheet => break,
                Flow::Stop => return Ok(()),
            }
        }
        if sink.end_sheet()? == Flow::Stop {
            return Ok(());
        }
    }
    Ok(())
}
