//! Delimited text: encoding detection, delimiter detection and streaming.
//!
//! Excel saves "CSV" in the machine's ANSI code page, which on a Chinese
//! Windows is GBK; newer Excel also offers "CSV UTF-8" with a byte-order mark;
//! scripts write UTF-8 without one. The file does not say which, so the first
//! 64 KiB decide. Fields are split on raw bytes before decoding, which is safe
//! for GBK and GB18030 because their trail bytes never equal a quote, comma,
//! tab or line break.

use super::{Cell, Flow, MAX_COLUMNS, RawRow, RowSink, SheetSelection, SheetStart};
use crate::error::ImportError;
use encoding_rs::{CoderResult, Decoder, GB18030, UTF_16BE, UTF_16LE};
use std::io::{BufReader, Read};
use std::path::Path;

/// The text encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 without a byte-order mark.
    Utf8,
    /// UTF-8 with a byte-order mark (Excel's "CSV UTF-8").
    Utf8Bom,
    /// GBK or its superset GB18030 (Excel's default Chinese CSV).
    Gb18030,
    /// UTF-16 little-endian with a byte-order mark (Excel's "Unicode text").
    Utf16Le,
    /// UTF-16 big-endian with a byte-order mark.
    Utf16Be,
}

impl TextEncoding {
    /// A short name for summaries and messages.
    pub fn label(&self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf8Bom => "UTF-8（带 BOM）",
            TextEncoding::Gb18030 => "GBK/GB18030",
            TextEncoding::Utf16Le => "UTF-16LE",
            TextEncoding::Utf16Be => "UTF-16BE",
        }
    }
}

/// Decides the encoding from the first bytes of a file, or `None` when the
/// bytes are not text at all. `complete` says the sample is the whole file,
/// so an incomplete character at its end is an error rather than a cut.
pub(crate) fn detect_encoding(head: &[u8], complete: bool) -> Option<TextEncoding> {
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Some(TextEncoding::Utf8Bom);
    }
    if head.starts_with(&[0xFF, 0xFE]) {
        return Some(TextEncoding::Utf16Le);
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return Some(TextEncoding::Utf16Be);
    }
    // Control characters other than tab, line breaks and form feed do not
    // occur in a text table; many of them mean a binary file.
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1A))
        .count();
    if controls > head.len() / 100 + 1 {
        return None;
    }
    match std::str::from_utf8(head) {
        Ok(_) => return Some(TextEncoding::Utf8),
        // A sample cut in the middle of a multi-byte character is still UTF-8.
        Err(e) if !complete && e.error_len().is_none() => return Some(TextEncoding::Utf8),
        Err(_) => {}
    }
    // Some lines are not UTF-8. A file pasted together from two sources
    // has both kinds; the majority of its non-ASCII lines decides.
    let (mut utf8, mut other) = (0, 0);
    let lines: Vec<&[u8]> = head.split(|&b| b == b'\n').collect();
    let last = lines.len().saturating_sub(1);
    for (i, line) in lines.iter().enumerate() {
        if line.is_ascii() {
            continue;
        }
        match std::str::from_utf8(line) {
            Ok(_) => utf8 += 1,
            Err(e) if i == last && !complete && e.error_len().is_none() => utf8 += 1,
            Err(_) => other += 1,
        }
    }
    if utf8 > other {
        Some(TextEncoding::Utf8)
    } else {
        Some(TextEncoding::Gb18030)
    }
}

/// The sheet name used for a CSV file: its file stem.
pub(crate) fn csv_sheet_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "CSV".to_string())
}

/// Picks the delimiter: the candidate that occurs most often on a single line
/// among the first lines, since the header line has the most columns and a
/// title line above it may have none.
fn detect_delimiter(sample: &str) -> u8 {
    let mut best = (b',', 0usize);
    for cand in [b',', b'\t', b';', b'|'] {
        let most = sample
            .lines()
            .take(30)
            .map(|l| l.bytes().filter(|&b| b == cand).count())
            .max()
            .unwrap_or(0);
        if most > best.1 {
            best = (cand, most);
        }
    }
    best.0
}

/// Decodes a UTF-16 stream to UTF-8 on the fly so that the CSV parser sees
/// bytes it can split.
struct Utf16Reader<R> {
    inner: R,
    decoder: Decoder,
    raw: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
    eof: bool,
}

impl<R: Read> Read for Utf16Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.out.len() {
            if self.eof {
                return Ok(0);
            }
            self.raw.resize(64 * 1024, 0);
            let n = self.inner.read(&mut self.raw)?;
            self.raw.truncate(n);
            let last = n == 0;
            self.eof = last;
            self.out.clear();
            self.pos = 0;
            let need = self
                .decoder
                .max_utf8_buffer_length(n)
                .unwrap_or(n * 3 + 16)
                .max(16);
            self.out.resize(need, 0);
            let (result, _read, written, _) =
                self.decoder.decode_to_utf8(&self.raw, &mut self.out, last);
            debug_assert!(matches!(result, CoderResult::InputEmpty));
            self.out.truncate(written);
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Counts fields whose encoding differed from the file's, so the summary can
/// say so once instead of once per cell.
#[derive(Default)]
struct MixStats {
    count: u64,
    first: Option<(u32, usize)>,
}

/// Decodes one field. In a UTF-8 file a field that is not UTF-8 is tried as
/// GB18030; in a GBK file a field that is clearly UTF-8 Chinese (valid UTF-8
/// made only of CJK characters, two or more) is read as UTF-8, because a file
/// pasted together from two sources carries both. Anything else that will not
/// decode becomes [`Cell::Undecodable`] and is rejected with its row.
fn decode_field(bytes: &[u8], enc: TextEncoding, row: u32, col: usize, mix: &mut MixStats) -> Cell {
    if bytes.is_ascii() {
        // Most fields (numbers, codes) are ASCII, which every supported
        // encoding reads the same way.
        return Cell::Text(String::from_utf8_lossy(bytes).into_owned());
    }
    let note_mix = |mix: &mut MixStats| {
        mix.count += 1;
        if mix.first.is_none() {
            mix.first = Some((row, col));
        }
    };
    match enc {
        TextEncoding::Utf8
        | TextEncoding::Utf8Bom
        | TextEncoding::Utf16Le
        | TextEncoding::Utf16Be => match std::str::from_utf8(bytes) {
            Ok(s) => Cell::Text(s.to_string()),
            Err(_) => match GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
                Some(s) => {
                    note_mix(mix);
                    Cell::Text(s.into_owned())
                }
                None => Cell::Undecodable(String::from_utf8_lossy(bytes).into_owned()),
            },
        },
        TextEncoding::Gb18030 => {
            let gbk = GB18030.decode_without_bom_handling_and_without_replacement(bytes);
            if let Ok(s) = std::str::from_utf8(bytes)
                && looks_like_utf8_chinese(s, gbk.is_none())
            {
                note_mix(mix);
                return Cell::Text(s.to_string());
            }
            match gbk {
                Some(s) => Cell::Text(s.into_owned()),
                None => {
                    Cell::Undecodable(GB18030.decode_without_bom_handling(bytes).0.into_owned())
                }
            }
        }
    }
}

/// True when every non-ASCII character is a CJK character or CJK punctuation
/// and there are at least two of them, or one when the bytes are not valid
/// GBK anyway: GBK bytes almost never form such a string by accident.
fn looks_like_utf8_chinese(s: &str, not_gbk: bool) -> bool {
    let mut cjk = 0;
    for c in s.chars() {
        if c.is_ascii() {
            continue;
        }
        let u = c as u32;
        let is_cjk = (0x4E00..=0x9FFF).contains(&u)
            || (0x3400..=0x4DBF).contains(&u)
            || (0x3000..=0x303F).contains(&u)
            || (0xFF00..=0xFFEF).contains(&u)
            || c == '·';
        if !is_cjk {
            return false;
        }
        cjk += 1;
    }
    cjk >= 2 || (cjk == 1 && not_gbk)
}

/// Streams a CSV file as one sheet.
pub(crate) fn read_csv(
    path: &Path,
    enc: TextEncoding,
    sheets: &SheetSelection,
    sink: &mut dyn RowSink,
) -> Result<(), ImportError> {
    let file_name = path.display().to_string();
    let sheet = csv_sheet_name(path);
    if let SheetSelection::Named(want) = sheets
        && want != &sheet
    {
        return Err(ImportError::SheetNotFound {
            file: file_name,
            sheet: want.clone(),
            available: vec![sheet],
        });
    }
    let mut file = std::fs::File::open(path).map_err(|e| ImportError::io(path, e))?;
    let mut head = vec![0u8; 16 * 1024];
    let n = read_up_to(&mut file, &mut head).map_err(|e| ImportError::io(path, e))?;
    head.truncate(n);
    let delimiter = match enc {
        TextEncoding::Utf16Le => detect_delimiter(&UTF_16LE.decode_with_bom_removal(&head).0),
        TextEncoding::Utf16Be => detect_delimiter(&UTF_16BE.decode_with_bom_removal(&head).0),
        TextEncoding::Gb18030 => detect_delimiter(&GB18030.decode_without_bom_handling(&head).0),
        _ => detect_delimiter(&String::from_utf8_lossy(&head)),
    };
    drop(file);

    let file = std::fs::File::open(path).map_err(|e| ImportError::io(path, e))?;
    let mut buffered = BufReader::with_capacity(256 * 1024, file);
    let reader: Box<dyn Read> = match enc {
        TextEncoding::Utf8Bom => {
            let mut bom = [0u8; 3];
            buffered
                .read_exact(&mut bom)
                .map_err(|e| ImportError::io(path, e))?;
            Box::new(buffered)
        }
        TextEncoding::Utf16Le | TextEncoding::Utf16Be => {
            let encoding = if enc == TextEncoding::Utf16Le {
                UTF_16LE
            } else {
                UTF_16BE
            };
            Box::new(Utf16Reader {
                inner: buffered,
                decoder: encoding.new_decoder_with_bom_removal(),
                raw: Vec::new(),
                out: Vec::new(),
                pos: 0,
                eof: false,
            })
        }
        _ => Box::new(buffered),
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(256 * 1024)
        .from_reader(reader);

    if sink.start_sheet(&SheetStart {
        sheet: sheet.clone(),
    })? == Flow::Stop
    {
        return Ok(());
    }
    let mut record = csv::ByteRecord::new();
    let mut mix = MixStats::default();
    let mut skipping = false;
    let mut record_no: u32 = 0;
    loop {
        let more = csv
            .read_byte_record(&mut record)
            .map_err(|e| ImportError::Corrupt {
                file: file_name.clone(),
                sheet: Some(sheet.clone()),
                row: Some(record_no + 1),
                detail: format!("CSV 格式错误：{e}"),
            })?;
        if !more {
            break;
        }
        if skipping {
            continue;
        }
        // The record's ordinal is the row Excel shows when it opens the
        // file; the parser's line count lags on CRLF files and counts a
        // quoted multi-line cell as several lines.
        record_no += 1;
        let row = record_no;
        if record.len() > MAX_COLUMNS {
            let value = String::from_utf8_lossy(&record[MAX_COLUMNS]).into_owned();
            return Err(ImportError::TooManyColumns {
                file: file_name,
                sheet,
                row,
                count: record.len(),
                value,
            });
        }
        let cells: Vec<Cell> = record
            .iter()
            .enumerate()
            .map(|(col, bytes)| decode_field(bytes, enc, row, col, &mut mix))
            .collect();
        // A CSV line with only delimiters is Excel's way of writing an empty
        // row; it is not a record.
        if cells.iter().all(Cell::is_blank) {
            continue;
        }
        match sink.row(RawRow { row, cells })? {
            Flow::Continue => {}
            Flow::NextSheet => skipping = true,
            Flow::Stop => return Ok(()),
        }
    }
    if mix.count > 0 {
        let (row, col) = mix.first.unwrap_or((0, 0));
        let (main, other) = match enc {
            TextEncoding::Gb18030 => ("GBK", "UTF-8"),
            _ => ("UTF-8", "GBK"),
        };
        sink.note(format!(
            "文件主体是 {main} 编码，但有 {} 个单元格是 {other} 编码（首个在第 {row} 行 {} 列），已按各自的编码读取；建议统一另存为 UTF-8",
            mix.count,
            crate::text::column_letter(col)
        ));
    }
    sink.end_sheet()?;
    Ok(())
}

/// Reads until the buffer is full or the file ends.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = r.read(&mut buf[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_told_apart() {
        let utf8 = "姓名,身份证号\n张三,431126201209010017\n".as_bytes();
        assert_eq!(detect_encoding(utf8, true), Some(TextEncoding::Utf8));
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(utf8);
        assert_eq!(detect_encoding(&bom, true), Some(TextEncoding::Utf8Bom));
        let (gbk, _, _) = encoding_rs::GBK.encode("姓名,身份证号\n张三,431126201209010017\n");
        assert_eq!(detect_encoding(&gbk, true), Some(TextEncoding::Gb18030));
        assert_eq!(detect_encoding(&[0, 1, 2, 3, 4, 5, 6, 7, 8], true), None);
        // A sample that stops inside a character is still UTF-8.
        let cut = &"张三".as_bytes()[..4];
        assert_eq!(detect_encoding(cut, false), Some(TextEncoding::Utf8));
    }

    #[test]
    fn delimiters() {
        assert_eq!(detect_delimiter("某某县名单\n姓名,身份证号,性别\n"), b',');
        assert_eq!(detect_delimiter("姓名\t身份证号\t性别\n"), b'\t');
        assert_eq!(detect_delimiter("姓名;身份证号;性别\n"), b';');
    }

    #[test]
    fn mixed_fields_decode_by_their_own_encoding() {
        let mut mix = MixStats::default();
        let (gbk, _, _) = encoding_rs::GBK.encode("张三");
        assert_eq!(
            decode_field(&gbk, TextEncoding::Utf8, 2, 0, &mut mix),
            Cell::Text("张三".into())
        );
        assert_eq!(
            decode_field("李四".as_bytes(), TextEncoding::Gb18030, 3, 0, &mut mix),
            Cell::Text("李四".into())
        );
        assert_eq!(mix.count, 2);
        assert_eq!(
            decode_field(&gbk, TextEncoding::Gb18030, 4, 0, &mut mix),
            Cell::Text("张三".into())
        );
        assert!(matches!(
            decode_field(&[0xFF, 0xFF, 0x41], TextEncoding::Utf8, 5, 0, &mut mix),
            Cell::Undecodable(_)
        ));
    }
}
