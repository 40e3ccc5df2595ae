//! The rejection report (退回报告): the rejected rows as the school sent
//! them, plus 行号, 列, 值 and 原因, so the officer can correct the cells in
//! place and import the same workbook again.
//!
//! The four extra columns are at the right and their names are ones the
//! importer ignores, so a corrected report is itself a valid input. Values
//! are written as text, exactly as they were read.

use crate::header::Header;
use crate::read::Cell;
use crate::validate::Issue;
use crate::xlsx::{Formats, add_sheet, display_width};
use rust_xlsxwriter::{Workbook, XlsxError};
use std::path::{Path, PathBuf};

/// The names of the four columns the report adds.
pub const REPORT_COLUMNS: [&str; 4] = ["行号", "列", "值", "原因"];

/// A rejection report being written, one sheet per input sheet.
pub(crate) struct RejectionReport {
    path: PathBuf,
    workbook: Workbook,
    formats: Formats,
    /// Index of the input sheet the current report sheet belongs to.
    current: Option<usize>,
    /// The next row to write on the current report sheet.
    row: u32,
    width: usize,
    rows: u64,
}

impl RejectionReport {
    pub(crate) fn new(path: PathBuf) -> RejectionReport {
        RejectionReport {
            path,
            workbook: crate::xlsx::new_workbook(),
            formats: Formats::new(),
            current: None,
            row: 0,
            width: 0,
            rows: 0,
        }
    }

    /// How many rows have been written.
    pub(crate) fn rows(&self) -> u64 {
        self.rows
    }

    fn start_sheet(&mut self, index: usize, name: &str, header: &Header) -> Result<(), XlsxError> {
        // The columns an earlier report added are not repeated: a report
        // of a corrected report still has exactly one 行号, 列, 值, 原因.
        let width = header
            .columns
            .iter()
            .filter(|c| c.field.is_some() || !REPORT_COLUMNS.contains(&c.text.as_str()))
            .map(|c| c.index + 1)
            .max()
            .unwrap_or(0);
        let mut headers = vec![String::new(); width];
        for c in &header.columns {
            // A recognised column gets its canonical name, so that a
            // two-row header (监护人 over 姓名) comes back as one row the
            // importer reads without a mapping; other columns keep their
            // innermost name.
            headers[c.index] = match c.field {
                Some(f) => f.label().to_string(),
                None => c.text.rsplit('/').next().unwrap_or(&c.text).to_string(),
            };
        }
        let mut widths: Vec<usize> = headers
            .iter()
            .map(|h| display_width(h).max(10) + 2)
            .collect();
        headers.extend(REPORT_COLUMNS.iter().map(|s| s.to_string()));
        widths.extend([6, 16, 24, 60]);
        let ws = add_sheet(&mut self.workbook, name)?;
        let out = crate::xlsx::SheetOut::start(ws, &self.formats, None, &headers, &widths)?;
        self.row = out.row;
        self.width = width;
        self.current = Some(index);
        Ok(())
    }

    /// Appends one rejected row.
    pub(crate) fn add(
        &mut self,
        sheet_index: usize,
        sheet_name: &str,
        header: &Header,
        row_no: u32,
        cells: &[Cell],
        issues: &[Issue],
    ) -> Result<(), XlsxError> {
        if self.current != Some(sheet_index) {
            self.start_sheet(sheet_index, sheet_name, header)?;
        }
        let Some(ws) = self.workbook.worksheets_mut().last_mut() else {
            return Ok(());
        };
        let mut out = crate::xlsx::SheetOut { ws, row: self.row };
        for col in 0..self.width {
            let v = cells.get(col).map(Cell::display).unwrap_or_default();
            out.text(col, &v, &self.formats)?;
        }
        let w = self.width;
        out.number(w, i64::from(row_no), &self.formats)?;
        let join = |f: &dyn Fn(&Issue) -> String| {
            issues
                .iter()
                .map(f)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("；")
        };
        out.text(w + 1, &join(&|i| i.column.clone()), &self.formats)?;
        out.text(w + 2, &join(&|i| i.value.clone()), &self.formats)?;
        out.text(w + 3, &join(&|i| i.reason.clone()), &self.formats)?;
        self.row += 1;
        self.rows += 1;
        Ok(())
    }

    /// Writes the file; returns its path.
    pub(crate) fn save(mut self) -> Result<PathBuf, XlsxError> {
        self.workbook.save(&self.path)?;
        Ok(self.path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}
