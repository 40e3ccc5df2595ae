//! The errors of `zizhu-io`, each a Chinese sentence that names the file and,
//! where there is one, the sheet, row, column and value, so that the officer
//! who reads it can open the file and find the cell.

use std::path::Path;

/// Something that stops a whole file from being imported. Row-level problems
/// are not errors: they go to the rejection report and the rest of the file
/// is imported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The file could not be opened or read.
    #[error("无法读取文件 {file}：{detail}")]
    Io {
        /// The file.
        file: String,
        /// The operating system's message.
        detail: String,
    },

    /// The file has no bytes at all.
    #[error("文件 {file} 是空文件（0 字节），没有可导入的内容")]
    EmptyFile {
        /// The file.
        file: String,
    },

    /// A format this crate does not read.
    #[error("文件 {file} 无法导入：{detail}。请提供 .xlsx、.xls 或 .csv 文件")]
    UnsupportedFormat {
        /// The file.
        file: String,
        /// What the file looks like instead.
        detail: String,
    },

    /// A zip or OLE file that is not a workbook.
    #[error("文件 {file} 不是有效的 Excel 工作簿：{detail}")]
    NotSpreadsheet {
        /// The file.
        file: String,
        /// Why.
        detail: String,
    },

    /// A workbook or CSV that breaks off or cannot be parsed.
    #[error("文件 {file}{} 已损坏或不完整：{detail}。请在 Excel 中打开并另存后重新导入", location(sheet.as_deref(), *row, None))]
    Corrupt {
        /// The file.
        file: String,
        /// The sheet, when known.
        sheet: Option<String>,
        /// The row, when known.
        row: Option<u32>,
        /// What is wrong.
        detail: String,
    },

    /// The sheet asked for is not in the workbook.
    #[error("文件 {file} 中没有名为「{sheet}」的工作表；现有的工作表：{}", available.join("、"))]
    SheetNotFound {
        /// The file.
        file: String,
        /// The sheet asked for.
        sheet: String,
        /// The sheets there are.
        available: Vec<String>,
    },

    /// No row near the top of any sheet looks like the header of this kind
    /// of list.
    #[error("文件 {file} 中找不到{kind}的表头。应有的列：{}；{}", expected.join("、"), describe_best(best.as_deref()))]
    NoHeader {
        /// The file.
        file: String,
        /// The kind of list, in Chinese.
        kind: String,
        /// The columns this kind needs (required ones first).
        expected: Vec<String>,
        /// The row that came closest: sheet, row number and its cells
        /// (boxed: it is rare and large, and every `Result` carries the
        /// error's size).
        best: Option<Box<(String, u32, Vec<String>)>>,
    },

    /// The header lacks columns this kind of list cannot do without.
    #[error("文件 {file}{} 的表头缺少必需的列：{}。表头中找到的列：{}。如果这些列用了别的名称，请用映射文件（--mapping）指明", location(Some(sheet), Some(*row), None), missing.join("、"), found.join("、"))]
    MissingColumns {
        /// The file.
        file: String,
        /// The sheet.
        sheet: String,
        /// The header row.
        row: u32,
        /// The required columns not found.
        missing: Vec<String>,
        /// Every header cell as written, with its column letter.
        found: Vec<String>,
    },

    /// The header has columns that match nothing this kind of list knows.
    #[error("文件 {file}{} 的表头有无法识别的列：{}。可识别的列：{}。请改用标准列名，或在映射文件（--mapping）中指明对应关系或列入 ignore", location(Some(sheet), Some(*row), None), unknown.join("、"), expected.join("、"))]
    UnknownColumns {
        /// The file.
        file: String,
        /// The sheet.
        sheet: String,
        /// The header row.
        row: u32,
        /// Each unknown header with its column letter.
        unknown: Vec<String>,
        /// The names this kind of list accepts.
        expected: Vec<String>,
    },

    /// Two columns of the header mean the same field.
    #[error("文件 {file}{} 的表头中「{field}」出现了不止一次：{}，无法确定用哪一列", location(Some(sheet), Some(*row), None), columns.join("、"))]
    DuplicateColumn {
        /// The file.
        file: String,
        /// The sheet.
        sheet: String,
        /// The header row.
        row: u32,
        /// The field.
        field: String,
        /// The columns that map to it.
        columns: Vec<String>,
    },

    /// A header and nothing under it.
    #[error(
        "文件 {file}{} 只有表头，没有数据行",
        location(Some(sheet), None, None)
    )]
    NoData {
        /// The file.
        file: String,
        /// The sheet (the last one read, when several were).
        sheet: String,
    },

    /// A row with more columns than any spreadsheet can hold.
    #[error("文件 {file}{} 有 {count} 列，超过电子表格的上限 16384 列（XFD 列）；第 16385 列的值为“{}”。文件可能已损坏或分隔符有误", location(Some(sheet), Some(*row), None), crate::text::preview(value))]
    TooManyColumns {
        /// The file.
        file: String,
        /// The sheet.
        sheet: String,
        /// The row.
        row: u32,
        /// How many columns it has.
        count: usize,
        /// The first value past the limit.
        value: String,
    },

    /// A list kind name that is not known.
    #[error("无法识别的名单类型“{text}”；可用的类型：{}", crate::kind::ListKind::ALL.iter().map(|k| format!("{}（{}）", k.code(), k.label())).collect::<Vec<_>>().join("、"))]
    UnknownKind {
        /// What was given.
        text: String,
    },

    /// The mapping file cannot be used.
    #[error("映射文件 {file} 有误：{detail}")]
    Mapping {
        /// The mapping file.
        file: String,
        /// What is wrong.
        detail: String,
    },

    /// An option is missing or contradicts the file.
    #[error("文件 {file} 无法导入：{detail}")]
    Options {
        /// The file.
        file: String,
        /// What is missing.
        detail: String,
    },

    /// The rejection report could not be written.
    #[error("无法写出退回报告 {file}：{detail}")]
    Report {
        /// The report's path.
        file: String,
        /// Why.
        detail: String,
    },

    /// The database refused a write or a read; nothing of the file was kept.
    #[error("导入文件 {file} 时数据库出错，本文件的全部修改已撤销：{source}")]
    Store {
        /// The file.
        file: String,
        /// The store's error.
        #[source]
        source: zizhu_store::StoreError,
    },

    /// The background reader stopped unexpectedly.
    #[error("导入文件 {file} 时读取线程意外中止：{detail}")]
    Internal {
        /// The file.
        file: String,
        /// What happened.
        detail: String,
    },
}

impl ImportError {
    pub(crate) fn io(path: &Path, e: std::io::Error) -> ImportError {
        let detail = match e.kind() {
            std::io::ErrorKind::NotFound => "文件不存在".to_string(),
            std::io::ErrorKind::PermissionDenied => "没有读取权限".to_string(),
            std::io::ErrorKind::UnexpectedEof => "文件意外结束".to_string(),
            _ => e.to_string(),
        };
        ImportError::Io {
            file: path.display().to_string(),
            detail,
        }
    }
}

/// `，工作表「S」第 R 行 C 列`, with the parts that are known.
pub(crate) fn location(sheet: Option<&str>, row: Option<u32>, column: Option<&str>) -> String {
    let mut s = String::new();
    if let Some(sheet) = sheet {
        s.push_str(&format!("，工作表「{sheet}」"));
    }
    if let Some(row) = row {
        if s.is_empty() {
            s.push('，');
        }
        s.push_str(&format!("第 {row} 行"));
    }
    if let Some(col) = column {
        s.push_str(&format!(" {col} 列"));
    }
    s
}

fn describe_best(best: Option<&(String, u32, Vec<String>)>) -> String {
    match best {
        Some((sheet, row, cells)) if !cells.is_empty() => format!(
            "最接近表头的是工作表「{sheet}」第 {row} 行：{}。如果列名不同，请用映射文件（--mapping）指明",
            cells.join("、")
        ),
        _ => "文件开头没有找到任何像表头的行".to_string(),
    }
}

/// Something that stops an export.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The caller asked for unmasked personal data without the right to see it.
    #[error("无权导出未脱敏的个人信息：{detail}")]
    NotAllowed {
        /// Why.
        detail: String,
    },
    /// Reading the registry failed.
    #[error("导出时读取数据库失败：{0}")]
    Store(#[from] zizhu_store::StoreError),
    /// Writing the workbook failed.
    #[error("无法写出文件 {file}：{detail}")]
    Write {
        /// The file.
        file: String,
        /// Why.
        detail: String,
    },
}
