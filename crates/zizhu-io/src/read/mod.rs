//! Reading the departments' files: format detection and row streaming.
//!
//! Every format ends up as the same stream of [`RawRow`]s so that header
//! recognition and validation never care whether a list came as `.xlsx`, old
//! `.xls` or a CSV in GBK. Rows are handed to a callback one at a time and
//! never collected, so a million-row file is held in memory only as the
//! reader's own buffers (for `.xlsx`, the shared-string table).

mod csv_text;
mod workbook;

pub use csv_text::TextEncoding;

use crate::error::ImportError;
use std::io::Read;
use std::path::Path;

/// The largest column count a spreadsheet can have (Excel's `XFD`); a row
/// wider than this cannot have come from a real list and is refused before
/// it is processed further.
pub const MAX_COLUMNS: usize = 16_384;

/// One cell as read from a file, before any domain parsing.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// An empty cell.
    Empty,
    /// Text, as typed (CSV fields are always text).
    Text(String),
    /// A whole number stored as a number.
    Int(i64),
    /// A number with a fractional part, or too large for `i64`.
    Float(f64),
    /// A boolean cell.
    Bool(bool),
    /// A cell formatted as a date; the value is the Excel serial number in the
    /// 1900 date system (1904 workbooks are converted when read).
    Date(f64),
    /// An Excel error value such as `#N/A` or `#REF!`.
    Error(String),
    /// A formula whose result was not saved in the file (a workbook written
    /// by a program rather than by Excel); the text is the formula.
    UncomputedFormula(String),
    /// Text bytes that are neither UTF-8 nor GBK; the text is a best-effort
    /// rendering with replacement characters, shown in the rejection report.
    Undecodable(String),
}

impl Cell {
    /// True for an empty cell or one holding only whitespace.
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as a person would read it on screen, used for validation of
    /// text fields and for the rejection report.
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.trim().to_string(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => float_display(*f),
            Cell::Bool(true) => "是".to_string(),
            Cell::Bool(false) => "否".to_string(),
            Cell::Date(serial) => match excel_serial_days(*serial) {
                Some(days) => match zizhu_core::Date::from_excel_serial(days) {
                    Ok(d) => d.to_string(),
                    Err(_) => float_display(*serial),
                },
                None => float_display(*serial),
            },
            Cell::Error(e) => e.clone(),
            Cell::UncomputedFormula(f) => format!("={f}"),
            Cell::Undecodable(s) => s.clone(),
        }
    }
}

/// Renders a float without an exponent and without a trailing `.0`, the way
/// Excel shows a general-format number.
fn float_display(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e18 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// The whole-day part of an Excel serial, if the value is a plausible date
/// (Excel's range is 1 to 2,958,465 = 9999-12-31).
pub(crate) fn excel_serial_days(serial: f64) -> Option<i64> {
    if serial.is_finite() && (1.0..2_958_466.0).contains(&serial) {
        Some(serial.floor() as i64)
    } else {
        None
    }
}

/// One row of a sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    /// The row number as the spreadsheet shows it (1-based; for CSV, the
    /// record's ordinal, which is the row Excel shows for the file).
    pub row: u32,
    /// The cells from column A on; trailing empty cells may be missing.
    pub cells: Vec<Cell>,
}

impl RawRow {
    /// True when every cell is blank.
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(Cell::is_blank)
    }

    /// The cell in a zero-based column, or an empty cell past the end.
    pub fn get(&self, col: usize) -> &Cell {
        self.cells.get(col).unwrap_or(&Cell::Empty)
    }
}

/// The container format of an input file, told by its first bytes rather than
/// its name (counties rename `.xls` to `.xlsx` and back).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// Office Open XML workbook (`.xlsx`, `.xlsm`).
    Xlsx,
    /// The old binary workbook (`.xls`, BIFF8 in an OLE container).
    Xls,
    /// Delimited text with its detected encoding.
    Csv(TextEncoding),
}

impl FileFormat {
    /// A short Chinese description for messages and summaries.
    pub fn label(&self) -> String {
        match self {
            FileFormat::Xlsx => "Excel 工作簿（.xlsx）".to_string(),
            FileFormat::Xls => "Excel 97-2003 工作簿（.xls）".to_string(),
            FileFormat::Csv(enc) => format!("CSV 文本（{}）", enc.label()),
        }
    }
}

/// What a reader reports about the file before the first row.
#[derive(Debug, Clone)]
pub struct SheetStart {
    /// The sheet's name (for CSV, the file's stem).
    pub sheet: String,
}

/// What the row callback tells the reader to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Read on.
    Continue,
    /// Skip the rest of this sheet and go to the next one.
    NextSheet,
    /// Stop reading the file.
    Stop,
}

/// Receives the rows of a file, sheet by sheet.
pub trait RowSink {
    /// Called when a sheet starts.
    fn start_sheet(&mut self, start: &SheetStart) -> Result<Flow, ImportError>;
    /// Called for every row that has at least one cell, in order.
    fn row(&mut self, row: RawRow) -> Result<Flow, ImportError>;
    /// Called when a sheet ends, also after `NextSheet`.
    fn end_sheet(&mut self) -> Result<Flow, ImportError>;
    /// Receives a remark about the file as a whole (for example a mix of
    /// encodings) for the import summary.
    fn note(&mut self, note: String);
}

/// Which sheets of a workbook to read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SheetSelection {
    /// Every visible worksheet, in workbook order.
    #[default]
    All,
    /// Only the named sheet (an error if there is none by that name).
    Named(String),
}

/// Tells a file's format from its first bytes.
pub fn detect_format(path: &Path) -> Result<FileFormat, ImportError> {
    let file_name = path.display().to_string();
    let mut f = std::fs::File::open(path).map_err(|e| ImportError::io(path, e))?;
    let mut head = vec![0u8; 64 * 1024];
    let mut filled = 0;
    loop {
        let n = f
            .read(&mut head[filled..])
            .map_err(|e| ImportError::io(path, e))?;
        if n == 0 {
            break;
        }
        filled += n;
        if filled == head.len() {
            break;
        }
    }
    head.truncate(filled);
    if head.is_empty() {
        return Err(ImportError::EmptyFile { file: file_name });
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Ok(FileFormat::Xlsx);
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Ok(FileFormat::Xls);
    }
    if head.starts_with(b"%PDF") {
        return Err(ImportError::UnsupportedFormat {
            file: file_name,
            detail: "这是 PDF 文件".to_string(),
        });
    }
    let whole_file_read = filled < 64 * 1024;
    match csv_text::detect_encoding(&head, whole_file_read) {
        Some(enc) => Ok(FileFormat::Csv(enc)),
        None => Err(ImportError::UnsupportedFormat {
            file: file_name,
            detail: "既不是 Excel 工作簿，也不像文本表格（含有二进制数据）".to_string(),
        }),
    }
}

/// Streams every selected sheet of a file to `sink`.
pub fn read_file(
    path: &Path,
    format: FileFormat,
    sheets: &SheetSelection,
    sink: &mut dyn RowSink,
) -> Result<(), ImportError> {
    match format {
        FileFormat::Csv(enc) => csv_text::read_csv(path, enc, sheets, sink),
        FileFormat::Xlsx => workbook::read_xlsx(path, sheets, sink),
        FileFormat::Xls => workbook::read_xls(path, sheets, sink),
    }
}

/// The sheet names of a file, for a caller that wants to offer a choice
/// (a CSV has one sheet, named after the file).
pub fn sheet_names(path: &Path) -> Result<Vec<String>, ImportError> {
    match detect_format(path)? {
        FileFormat::Csv(_) => Ok(vec![csv_text::csv_sheet_name(path)]),
        FileFormat::Xlsx => workbook::xlsx_sheet_names(path),
        FileFormat::Xls => workbook::xls_sheet_names(path),
    }
}
