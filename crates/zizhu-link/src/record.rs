//! Raw records and their CSV form.

use crate::LinkResult;
use std::io::{Read, Write};

/// One row of a department's list, exactly as given: any field but
/// `record_id` may be empty, and none is trusted to be well formed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Record {
    /// The row's identifier in its own list; echoed in the output.
    pub record_id: String,
    /// Person's name (姓名).
    pub name: String,
    /// Sex (性别): 男/女, M/F, 1/2.
    pub sex: String,
    /// Birth date (出生日期) in any common format or as an Excel serial.
    pub birth_date: String,
    /// Resident ID number (身份证号), 18 or 15 digits, possibly damaged.
    pub id_number: String,
    /// Guardian's name (监护人姓名).
    pub guardian_name: String,
    /// Home address (家庭住址).
    pub address: String,
}

/// Errors of this crate; every message is a Chinese sentence that names
/// the row and column at fault.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The file has no header row.
    #[error(
        "CSV 文件为空：缺少表头行（应为 record_id,name,sex,birth_date,id_number,guardian_name,address）"
    )]
    Empty,
    /// A required column is absent from the header.
    #[error("CSV 表头缺少“{column}”列（第1行），现有列：{found}")]
    MissingColumn {
        /// The missing column.
        column: &'static str,
        /// The header as found.
        found: String,
    },
    /// A column appears twice in the header.
    #[error("CSV 表头第1行中“{column}”列出现了两次")]
    DuplicateColumn {
        /// The repeated column.
        column: &'static str,
    },
    /// A row has the wrong number of fields.
    #[error("第{row}行有{found}列，而表头有{expected}列")]
    FieldCount {
        /// 1-based line number in the file (the header is row 1).
        row: u64,
        /// Fields found.
        found: u64,
        /// Fields in the header.
        expected: u64,
    },
    /// A cell's content is unusable.
    #[error("第{row}行“{column}”列：{message}")]
    BadCell {
        /// 1-based line number in the file.
        row: u64,
        /// Column name.
        column: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing failed.
    #[error("第{row}行读写失败：{message}")]
    Io {
        /// 1-based line number where it happened (0 when writing).
        row: u64,
        /// The underlying error.
        message: String,
    },
}

/// The columns, in canonical order.
const COLUMNS: [&str; 7] = [
    "record_id",
    "name",
    "sex",
    "birth_date",
    "id_number",
    "guardian_name",
    "address",
];

/// Maps a header cell to a canonical column. Chinese headers are accepted
/// too, since department exports use them.
fn canonical(header: &str) -> Option<usize> {
    let h: String = header
        .trim_start_matches('\u{feff}')
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let idx = match h.as_str() {
        "record_id" | "id" | "编号" | "序号" | "记录编号" => 0,
        "name" | "姓名" | "学生姓名" => 1,
        "sex" | "gender" | "性别" => 2,
        "birth_date" | "birthdate" | "dob" | "出生日期" | "出生年月" | "出生年月日" => {
            3
        }
        "id_number" | "身份证号" | "身份证号码" | "身份证件号" | "公民身份号码" => {
            4
        }
        "guardian_name" | "guardian" | "监护人" | "监护人姓名" => 5,
        "address" | "地址" | "住址" | "家庭住址" | "家庭现地址" => 6,
        _ => return None,
    };
    Some(idx)
}

/// Reads a UTF-8 CSV list with the header
/// `record_id,name,sex,birth_date,id_number,guardian_name,address` in any
/// order (a byte-order mark is tolerated). A missing column, a row with the
/// wrong number of fields, invalid UTF-8 or an empty `record_id` is an
/// error naming the row and column.
pub fn read_csv<R: Read>(reader: R) -> Result<Vec<Record>, LinkError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut rows = rdr.byte_records();
    let header = match rows.next() {
        None => return Err(LinkError::Empty),
        Some(h) => h.map_err(|e| csv_error(e, 1))?,
    };
    let mut positions: [Option<usize>; 7] = [None; 7];
    for (i, cell) in header.iter().enumerate() {
        let text = String::from_utf8_lossy(cell);
        if let Some(c) = canonical(&text) {
            if positions[c].is_some() {
                return Err(LinkError::DuplicateColumn { column: COLUMNS[c] });
            }
            positions[c] = Some(i);
        }
    }
    let found = header
        .iter()
        .map(|c| {
            String::from_utf8_lossy(c)
                .trim_start_matches('\u{feff}')
                .to_string()
        })
        .collect::<Vec<_>>()
        .join(",");
    let mut cols = [0usize; 7];
    for (c, pos) in positions.iter().enumerate() {
        cols[c] = pos.ok_or_else(|| LinkError::MissingColumn {
            column: COLUMNS[c],
            found: found.clone(),
        })?;
    }
    let expected = header.len();
    let mut out = Vec::new();
    for (n, row) in rows.enumerate() {
        let fallback_line = n as u64 + 2;
        let row = row.map_err(|e| csv_error(e, fallback_line))?;
        let line = row.position().map_or(fallback_line, csv::Position::line);
        if row.len() == 1 && row.get(0).is_some_and(<[u8]>::is_empty) {
            // A blank line carries no record.
            continue;
        }
        if row.len() != expected {
            return Err(LinkError::FieldCount {
                row: line,
                found: row.len() as u64,
                expected: expected as u64,
            });
        }
        let cell = |c: usize| -> Result<String, LinkError> {
            let bytes = row.get(cols[c]).unwrap_or_default();
            std::str::from_utf8(bytes)
                .map(|s| s.trim().to_string())
                .map_err(|_| LinkError::BadCell {
                    row: line,
                    column: COLUMNS[c],
                    message: "不是有效的 UTF-8 文本（若为 GBK 编码，请先转换为 UTF-8）".to_string(),
                })
        };
        let record = Record {
            record_id: cell(0)?,
            name: cell(1)?,
            sex: cell(2)?,
            birth_date: cell(3)?,
            id_number: cell(4)?,
            guardian_name: cell(5)?,
            address: cell(6)?,
        };
        if record.record_id.is_empty() {
            return Err(LinkError::BadCell {
                row: line,
                column: COLUMNS[0],
                message: "记录编号为空".to_string(),
            });
        }
        out.push(record);
    }
    Ok(out)
}

fn csv_error(e: csv::Error, fallback_line: u64) -> LinkError {
    let row = e.position().map_or(fallback_line, csv::Position::line);
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => LinkError::FieldCount {
            row,
            found: *len,
            expected: *expected_len,
        },
        _ => LinkError::Io {
            row,
            message: e.to_string(),
        },
    }
}

/// Writes `left_id,right_id,match_probability` (six decimals), one line per
/// link, in the result's order.
pub fn write_links_csv<W: Write>(
    writer: W,
    left: &[Record],
    right: &[Record],
    result: &LinkResult,
) -> Result<(), LinkError> {
    let io = |e: csv::Error| LinkError::Io {
        row: 0,
        message: e.to_string(),
    };
    let mut w = csv::Writer::from_writer(writer);
    w.write_record(["left_id", "right_id", "match_probability"])
        .map_err(io)?;
    for link in &result.links {
        let (Some(l), Some(r)) = (left.get(link.left_index), right.get(link.right_index)) else {
            continue;
        };
        let p = format!("{:.6}", link.match_probability);
        w.write_record([l.record_id.as_str(), r.record_id.as_str(), p.as_str()])
            .map_err(io)?;
    }
    w.flush().map_err(|e| LinkError::Io {
        row: 0,
        message: e.to_string(),
    })
}
