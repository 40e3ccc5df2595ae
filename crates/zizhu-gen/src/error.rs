//! The generator's errors, each with a Chinese message naming what and where.

use std::path::PathBuf;

/// Why generating failed. Nothing is left half-written: files are staged in
/// a temporary folder inside the output folder and only moved into place
/// once every file is complete.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// A configuration value is out of range.
    #[error("生成配置无效（{field}）：{message}")]
    InvalidConfig {
        field: &'static str,
        message: String,
    },
    /// The output folder holds files this tool did not write.
    #[error(
        "输出目录 {dir} 不是空目录，其中的“{entry}”不是本工具生成的文件；请指定一个空目录，或本工具先前生成的目录"
    )]
    OutputNotEmpty { dir: PathBuf, entry: String },
    /// The output path exists but is not a folder.
    #[error("输出路径 {path} 已存在且不是目录")]
    NotADirectory { path: PathBuf },
    /// Reading or writing a file failed.
    #[error("读写 {path} 失败：{source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Writing a CSV file failed.
    #[error("写入 CSV 文件 {path} 失败：{source}")]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    /// Writing an xlsx workbook failed.
    #[error("写入 Excel 文件 {path} 失败：{source}")]
    Xlsx {
        path: PathBuf,
        #[source]
        source: rust_xlsxwriter::XlsxError,
    },
    /// A value the generator built itself was rejected by zizhu-core; this
    /// is a bug in the generator, reported rather than hidden.
    #[error("内部错误：生成的{what}“{value}”无效：{message}")]
    Internal {
        what: &'static str,
        value: String,
        message: String,
    },
}

impl GenError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> GenError {
        GenError::Io {
            path: path.into(),
            source,
        }
    }
}
