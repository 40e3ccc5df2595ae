//! Mapping files: telling the importer what a county's own column names mean.
//!
//! A mapping file is TOML, written by the county's IT person once per source
//! and reused for every list from that source:
//!
//! ```toml
//! # 宁远县教育局学籍导出的列名映射
//! header_row = 3          # 表头所在行（可选，默认自动识别）
//! sheet = "在校生"         # 工作表（可选）
//! ignore = ["特长", "爱好"] # 这些列不导入
//!
//! [columns]               # 文件中的列名 = zizhu 的列名（标准列名或英文键）
//! "学生身份证" = "身份证号"
//! "家长手机" = "监护人联系电话"
//! "备用列" = "忽略"
//!
//! [letters]               # 按列字母指定，优先于列名
//! D = "身份证号"
//! ```

use crate::error::ImportError;
use crate::field::{Field, field_by_name};
use crate::text::normalize_header;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// What a mapped column becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MappedTo {
    /// This field.
    Field(Field),
    /// Nothing: the column is skipped.
    Ignore,
}

/// A parsed mapping file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mapping {
    /// The 1-based row holding the header, when automatic detection should
    /// not be used.
    pub header_row: Option<u32>,
    /// The sheet to read, when the command line does not name one.
    pub sheet: Option<String>,
    /// Header text (normalised) to field.
    by_header: Vec<(String, MappedTo)>,
    /// Column letter to field.
    by_letter: Vec<(String, MappedTo)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    header_row: Option<u32>,
    sheet: Option<String>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    columns: BTreeMap<String, String>,
    #[serde(default)]
    letters: BTreeMap<String, String>,
}

const IGNORE_WORDS: &[&str] = &["忽略", "ignore", "不导入", "-"];

impl Mapping {
    /// An empty mapping (automatic recognition only).
    pub fn new() -> Mapping {
        Mapping::default()
    }

    /// Adds `header → field`, for callers building a mapping in code.
    pub fn column(mut self, header: &str, field: Field) -> Mapping {
        self.by_header
            .push((normalize_header(header), MappedTo::Field(field)));
        self
    }

    /// Marks a header to be skipped.
    pub fn ignore(mut self, header: &str) -> Mapping {
        self.by_header
            .push((normalize_header(header), MappedTo::Ignore));
        self
    }

    /// Reads a mapping file.
    pub fn load(path: &Path) -> Result<Mapping, ImportError> {
        let bytes = std::fs::read(path).map_err(|e| ImportError::Mapping {
            file: path.display().to_string(),
            detail: format!("无法读取：{e}"),
        })?;
        // Notepad on a Chinese Windows saves GBK unless told otherwise.
        let text = match String::from_utf8(bytes) {
            Ok(s) => s.trim_start_matches('\u{FEFF}').to_string(),
            Err(e) => encoding_rs::GB18030
                .decode_without_bom_handling(e.as_bytes())
                .0
                .into_owned(),
        };
        Mapping::parse(&text, &path.display().to_string())
    }

    /// Parses mapping-file text; `name` is used in messages.
    pub fn parse(text: &str, name: &str) -> Result<Mapping, ImportError> {
        let err = |detail: String| ImportError::Mapping {
            file: name.to_string(),
            detail,
        };
        let file: MappingFile = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            let msg = e.message().to_string();
            match line {
                Some(l) => err(format!("第 {l} 行：{}", explain_toml(&msg))),
                None => err(explain_toml(&msg)),
            }
        })?;
        let resolve = |key: &str, value: &str| -> Result<MappedTo, ImportError> {
            if IGNORE_WORDS.contains(&value.trim()) {
                return Ok(MappedTo::Ignore);
            }
            field_by_name(value).map(MappedTo::Field).ok_or_else(|| {
                err(format!(
                    "“{key}” 对应的 “{value}” 不是 zizhu 的列名。可用的列名：{}",
                    Field::ALL
                        .iter()
                        .map(|f| f.label())
                        .collect::<Vec<_>>()
                        .join("、")
                ))
            })
        };
        let mut mapping = Mapping {
            header_row: file.header_row,
            sheet: file.sheet,
            ..Mapping::default()
        };
        if mapping.header_row == Some(0) {
            return Err(err("header_row 从 1 开始计数，不能为 0".to_string()));
        }
        for (header, value) in &file.columns {
            mapping
                .by_header
                .push((normalize_header(header), resolve(header, value)?));
        }
        for header in &file.ignore {
            mapping
                .by_header
                .push((normalize_header(header), MappedTo::Ignore));
        }
        for (letter, value) in &file.letters {
            let l = letter.trim().to_ascii_uppercase();
            if l.is_empty() || l.len() > 3 || !l.chars().all(|c| c.is_ascii_uppercase()) {
                return Err(err(format!(
                    "[letters] 中的 “{letter}” 不是列字母（应为 A、B、…、AA 这样的形式）"
                )));
            }
            mapping.by_letter.push((l, resolve(letter, value)?));
        }
        Ok(mapping)
    }

    /// What this mapping says about a header cell at a column, if anything.
    pub(crate) fn lookup(&self, header: &str, letter: &str) -> Option<MappedTo> {
        if let Some((_, m)) = self.by_letter.iter().find(|(l, _)| l == letter) {
            return Some(*m);
        }
        let norm = normalize_header(header);
        if norm.is_empty() {
            return None;
        }
        self.by_header
            .iter()
            .find(|(h, _)| *h == norm)
            .map(|(_, m)| *m)
    }

    /// Every field this mapping names, for checking it against a list kind.
    pub(crate) fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.by_header
            .iter()
            .chain(self.by_letter.iter())
            .filter_map(|(_, m)| match m {
                MappedTo::Field(f) => Some(*f),
                MappedTo::Ignore => None,
            })
    }
}

/// Turns the TOML parser's most common English messages into Chinese; the
/// original stays in brackets for anything else.
fn explain_toml(msg: &str) -> String {
    let m = msg.trim();
    if m.starts_with("unknown field") {
        format!(
            "有无法识别的设置项（{m}）；可用的设置项：header_row、sheet、ignore、[columns]、[letters]"
        )
    } else if m.contains("invalid type") {
        format!("设置项的值类型不对（{m}）")
    } else if m.contains("duplicate key") {
        format!("同一个列名写了两次（{m}）")
    } else {
        format!("不是有效的 TOML 格式（{m}）")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_mapping_file() {
        let m = Mapping::parse(
            r#"
header_row = 3
ignore = ["特长"]
[columns]
"学生身份证" = "身份证号"
"家长手机" = "guardian_phone"
"备用" = "忽略"
[letters]
d = "姓名"
"#,
            "m.toml",
        )
        .unwrap();
        assert_eq!(m.header_row, Some(3));
        assert_eq!(
            m.lookup("学生身份证", "A"),
            Some(MappedTo::Field(Field::IdNumber))
        );
        assert_eq!(
            m.lookup("家长手机", "B"),
            Some(MappedTo::Field(Field::GuardianPhone))
        );
        assert_eq!(m.lookup("备用", "C"), Some(MappedTo::Ignore));
        assert_eq!(m.lookup("特长", "E"), Some(MappedTo::Ignore));
        assert_eq!(m.lookup("随便", "D"), Some(MappedTo::Field(Field::Name)));
        assert_eq!(m.lookup("随便", "F"), None);
    }

    #[test]
    fn errors_are_chinese_and_located() {
        let e = Mapping::parse("[columns]\n\"甲\" = \"不存在的列\"\n", "m.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("不是 zizhu 的列名"), "{e}");
        let e = Mapping::parse("header_row = 3\nbogus = 1\n", "m.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("第 2 行"), "{e}");
        assert!(e.contains("无法识别的设置项"), "{e}");
        let e = Mapping::parse("[columns\n", "m.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("TOML"), "{e}");
    }
}
