//! Writing workbooks the way a county office hands them on: bold header row,
//! frozen under the title, sensible column widths, every personal number a
//! text cell, and no formula ever.
//!
//! All values go through [`SheetOut::text`] or [`SheetOut::number`]: a text
//! cell is written with `write_string`, which stores a string even when it
//! starts with `=`, `+`, `-` or `@`, so a name like `=cmd|' /C calc'!A0`
//! stays a harmless string in Excel and WPS.

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

/// Excel's limit on the characters in one cell.
const MAX_CELL_CHARS: usize = 32_767;

/// The display width of a string in Excel's column units: CJK characters are
/// about twice as wide as Latin ones.
pub(crate) fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) < 0x2E80 { 1 } else { 2 })
        .sum()
}

/// Formats shared by every sheet of a workbook.
pub(crate) struct Formats {
    pub(crate) title: Format,
    pub(crate) header: Format,
    pub(crate) text: Format,
    pub(crate) number: Format,
}

impl Formats {
    pub(crate) fn new() -> Formats {
        Formats {
            title: Format::new()
                .set_bold()
                .set_font_size(14)
                .set_align(FormatAlign::Left),
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xDDEBF7))
                .set_border(FormatBorder::Thin)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_text_wrap(),
            // "@" is Excel's text number format: a person who types into the
            // cell later keeps a text cell, so an ID number keeps its digits.
            text: Format::new()
                .set_num_format("@")
                .set_border(FormatBorder::Thin),
            number: Format::new()
                .set_num_format("#,##0")
                .set_border(FormatBorder::Thin),
        }
    }
}

/// A worksheet being written top to bottom.
pub(crate) struct SheetOut<'a> {
    pub(crate) ws: &'a mut Worksheet,
    pub(crate) row: u32,
}

impl<'a> SheetOut<'a> {
    /// Writes an optional title line, the header row, widths and the freeze.
    /// `widths` are in Excel's character units.
    pub(crate) fn start(
        ws: &'a mut Worksheet,
        fmt: &Formats,
        title: Option<&str>,
        headers: &[String],
        widths: &[usize],
    ) -> Result<SheetOut<'a>, XlsxError> {
        for (i, w) in widths.iter().enumerate() {
            let w = (*w).clamp(6, 60) as u16;
            ws.set_column_width(i as u16, w)?;
        }
        let mut row = 0;
        if let Some(t) = title {
            ws.set_row_height(0, 24)?;
            ws.write_string_with_format(0, 0, clip(t), &fmt.title)?;
            row = 1;
        }
        for (i, h) in headers.iter().enumerate() {
            ws.write_string_with_format(row, i as u16, clip(h), &fmt.header)?;
        }
        ws.set_freeze_panes(row + 1, 0)?;
        Ok(SheetOut { ws, row: row + 1 })
    }

    /// Writes a text cell in the current row.
    pub(crate) fn text(&mut self, col: usize, s: &str, fmt: &Formats) -> Result<(), XlsxError> {
        if !s.is_empty() {
            self.ws
                .write_string_with_format(self.row, col as u16, clip(s), &fmt.text)?;
        } else {
            self.ws.write_blank(self.row, col as u16, &fmt.text)?;
        }
        Ok(())
    }

    /// Writes a whole number in the current row.
    pub(crate) fn number(&mut self, col: usize, n: i64, fmt: &Formats) -> Result<(), XlsxError> {
        #[expect(clippy::cast_precision_loss, reason = "counts stay far below 2^53")]
        let v = n as f64;
        self.ws
            .write_number_with_format(self.row, col as u16, v, &fmt.number)?;
        Ok(())
    }

    /// Moves to the next row.
    pub(crate) fn next_row(&mut self) {
        self.row += 1;
    }
}

fn clip(s: &str) -> String {
    if s.chars().count() > MAX_CELL_CHARS {
        s.chars().take(MAX_CELL_CHARS).collect()
    } else {
        s.to_string()
    }
}

/// A new workbook whose sheets stream to temporary files, so a county-sized
/// export is never held in memory.
pub(crate) fn new_workbook() -> Workbook {
    Workbook::new()
}

/// Adds a worksheet in constant-memory mode with a sheet name Excel accepts
/// (at most 31 characters, none of `[]:*?/\`).
pub(crate) fn add_sheet<'a>(
    wb: &'a mut Workbook,
    name: &str,
) -> Result<&'a mut Worksheet, XlsxError> {
    let clean: String = name
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(31)
        .collect();
    let clean = clean.trim_matches('\'').to_string();
    let ws = wb.add_worksheet_with_constant_memory()?;
    ws.set_name(if clean.is_empty() { "Sheet" } else { &clean })?;
    Ok(ws)
}
