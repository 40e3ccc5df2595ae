//! Row-by-row writers for CSV (UTF-8 with BOM, plain UTF-8 or GBK) and
//! xlsx (rust_xlsxwriter in constant-memory mode, one row in memory at a
//! time, continuing on a new sheet when a sheet is full).

use crate::error::GenError;
use crate::inject::{OutCell, XlsxValue};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// How a CSV file is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsvEncoding {
    /// UTF-8 with a byte-order mark, which Excel needs to read UTF-8 CSV.
    Utf8Bom,
    /// GBK, Excel's default for CSV on a Chinese Windows.
    Gbk,
    /// UTF-8 without BOM, for machine-read files (the ground truth).
    Utf8,
}

impl CsvEncoding {
    pub fn label(&self) -> &'static str {
        match self {
            CsvEncoding::Utf8Bom => "UTF-8（带BOM）",
            CsvEncoding::Gbk => "GBK",
            CsvEncoding::Utf8 => "UTF-8",
        }
    }
}

/// The csv writer's output buffer, shared so each finished record can be
/// taken out, re-encoded and appended to the file.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A CSV file written one record at a time.
pub(crate) struct CsvSink {
    path: PathBuf,
    out: BufWriter<File>,
    encoding: CsvEncoding,
    buf: csv::Writer<Shared>,
    shared: Shared,
    /// GBK bytes per character already seen: encoding_rs searches tables
    /// linearly when encoding Chinese, while names and places repeat.
    gbk: HashMap<char, ([u8; 4], u8)>,
    encoded: Vec<u8>,
}

impl CsvSink {
    pub(crate) fn create(
        path: &Path,
        encoding: CsvEncoding,
        crlf: bool,
    ) -> Result<CsvSink, GenError> {
        let file = File::create(path).map_err(|e| GenError::io(path, e))?;
        let mut out = BufWriter::with_capacity(1 << 16, file);
        if encoding == CsvEncoding::Utf8Bom {
            out.write_all(b"\xEF\xBB\xBF")
                .map_err(|e| GenError::io(path, e))?;
        }
        let shared = Shared::default();
        let buf = csv::WriterBuilder::new()
            .flexible(true)
            .terminator(if crlf {
                csv::Terminator::CRLF
            } else {
                csv::Terminator::Any(b'\n')
            })
            .from_writer(shared.clone());
        Ok(CsvSink {
            path: path.to_path_buf(),
            out,
            encoding,
            buf,
            shared,
            gbk: HashMap::new(),
            encoded: Vec::new(),
        })
    }

    pub(crate) fn record<I, S>(&mut self, fields: I) -> Result<(), GenError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let path = &self.path;
        self.buf
            .write_record(fields)
            .map_err(|source| GenError::Csv {
                path: path.clone(),
                source,
            })?;
        self.buf.flush().map_err(|e| GenError::io(path, e))?;
        let mut shared = self.shared.0.borrow_mut();
        let bytes: &[u8] = &shared;
        let res = match self.encoding {
            CsvEncoding::Utf8Bom | CsvEncoding::Utf8 => self.out.write_all(bytes),
            CsvEncoding::Gbk => {
                // The csv writer produced UTF-8 from &str fields, so this
                // conversion cannot fail; every character the generator
                // writes exists in GBK (checked by a unit test of the pools).
                let text = String::from_utf8_lossy(bytes);
                self.encoded.clear();
                for c in text.chars() {
                    if c.is_ascii() {
                        self.encoded.push(c as u8);
                        continue;
                    }
                    let (b, n) = *self.gbk.entry(c).or_insert_with(|| {
                        let mut tmp = [0u8; 4];
                        let (enc, _, _) = encoding_rs::GBK.encode(c.encode_utf8(&mut tmp));
                        let mut b = [0u8; 4];
                        let n = enc.len().min(4);
                        b[..n].copy_from_slice(&enc[..n]);
                        (b, n as u8)
                    });
                    self.encoded.extend_from_slice(&b[..usize::from(n)]);
                }
                self.out.write_all(&self.encoded)
            }
        };
        shared.clear();
        res.map_err(|e| GenError::io(path, e))
    }

    pub(crate) fn finish(mut self) -> Result<(), GenError> {
        self.out.flush().map_err(|e| GenError::io(&self.path, e))
    }
}

/// An xlsx workbook written one row at a time.
pub(crate) struct XlsxSink {
    path: PathBuf,
    workbook: Workbook,
    sheet_base: String,
    title: Option<String>,
    headers: Vec<&'static str>,
    widths: Vec<u16>,
    rows_per_sheet: u32,
    sheets: u32,
    rows_in_sheet: u32,
    next_row: u32,
    date: Format,
    header: Format,
    title_format: Format,
}

impl XlsxSink {
    pub(crate) fn create(
        path: &Path,
        sheet_base: &str,
        title: Option<String>,
        headers: &[&'static str],
        widths: &[u16],
        rows_per_sheet: u32,
        created: (u16, u8, u8),
    ) -> Result<XlsxSink, GenError> {
        let mut workbook = Workbook::new();
        // A fixed creation date keeps the files byte-identical between runs.
        let when = ExcelDateTime::from_ymd(created.0, created.1, created.2)
            .map_err(|source| xlsx_err(path, source))?;
        let props = DocProperties::new()
            .set_title(sheet_base)
            .set_author("zizhu-gen")
            .set_creation_datetime(&when);
        workbook.set_properties(&props);
        // Deflate dominates the run time at the default level 6; level 1
        // is several times faster for files about a third larger.
        workbook.set_zip_compression_level(1);
        let mut sink = XlsxSink {
            path: path.to_path_buf(),
            workbook,
            sheet_base: sheet_base.to_string(),
            title,
            headers: headers.to_vec(),
            widths: widths.to_vec(),
            rows_per_sheet,
            sheets: 0,
            rows_in_sheet: 0,
            next_row: 0,
            date: Format::new().set_num_format("yyyy/m/d"),
            header: Format::new().set_bold().set_align(FormatAlign::Center),
            title_format: Format::new()
                .set_bold()
                .set_font_size(14)
                .set_align(FormatAlign::Center),
        };
        sink.new_sheet()?;
        Ok(sink)
    }

    fn sheet(&mut self) -> Result<&mut Worksheet, GenError> {
        let i = self.sheets.saturating_sub(1) as usize;
        let path = &self.path;
        self.workbook
            .worksheet_from_index(i)
            .map_err(|source| xlsx_err(path, source))
    }

    fn new_sheet(&mut self) -> Result<(), GenError> {
        self.sheets += 1;
        let name = if self.sheets == 1 {
            self.sheet_base.clone()
        } else {
            format!("{}（{}）", self.sheet_base, self.sheets)
        };
        let path = self.path.clone();
        let title = self.title.clone();
        let headers = self.headers.clone();
        let widths = self.widths.clone();
        let header = self.header.clone();
        let title_format = self.title_format.clone();
        let ws = self
            .workbook
            .add_worksheet_with_constant_memory()
            .map_err(|source| xlsx_err(&path, source))?;
        ws.set_name(&name)
            .map_err(|source| xlsx_err(&path, source))?;
        for (c, w) in widths.iter().enumerate() {
            ws.set_column_width(col(c), *w)
                .map_err(|source| xlsx_err(&path, source))?;
        }
        let mut row = 0;
        if let Some(t) = &title {
            let last = col(headers.len().saturating_sub(1));
            ws.merge_range(0, 0, 0, last, t, &title_format)
                .map_err(|source| xlsx_err(&path, source))?;
            row = 1;
        }
        for (c, h) in headers.iter().enumerate() {
            ws.write_string_with_format(row, col(c), *h, &header)
                .map_err(|source| xlsx_err(&path, source))?;
        }
        self.next_row = row + 1;
        self.rows_in_sheet = 0;
        Ok(())
    }

    pub(crate) fn row(&mut self, cells: &[OutCell]) -> Result<(), GenError> {
        if self.rows_in_sheet == self.rows_per_sheet {
            self.new_sheet()?;
        }
        let r = self.next_row;
        let date = self.date.clone();
        let path = self.path.clone();
        let ws = self.sheet()?;
        for (c, cell) in cells.iter().enumerate() {
            let res = match cell.xlsx {
                // Empty text cells are left blank, as Excel leaves them.
                XlsxValue::Text if cell.text.is_empty() => continue,
                XlsxValue::Text => ws.write_string(r, col(c), &cell.text),
                // Integers below 2^53 convert to f64 exactly.
                XlsxValue::Num(n) => ws.write_number(r, col(c), n as f64),
                XlsxValue::Serial(n) => ws.write_number_with_format(r, col(c), n as f64, &date),
            };
            res.map_err(|source| xlsx_err(&path, source))?;
        }
        self.next_row += 1;
        self.rows_in_sheet += 1;
        Ok(())
    }

    /// Saves the workbook; returns the number of sheets.
    pub(crate) fn finish(mut self) -> Result<u32, GenError> {
        let path = self.path.clone();
        self.workbook
            .save(&path)
            .map_err(|source| xlsx_err(&path, source))?;
        Ok(self.sheets)
    }
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

fn xlsx_err(path: &Path, source: rust_xlsxwriter::XlsxError) -> GenError {
    GenError::Xlsx {
        path: path.to_path_buf(),
        source,
    }
}
