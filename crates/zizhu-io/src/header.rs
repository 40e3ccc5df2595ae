//! Finding the header row of a sheet and what each column means.
//!
//! Government sheets rarely start with the header: a title line ("宁远县2018年
//! 秋季建档立卡学生名单") and a line naming the unit and date come first, and
//! the header itself is often two rows deep with merged cells ("监护人" over
//! "姓名" and "联系电话"). The first rows of a sheet are scored against the
//! known column names and the best row (or pair of rows) wins.

use crate::error::ImportError;
use crate::field::{Field, HeaderMatch, match_header};
use crate::kind::ListKind;
use crate::mapping::{MappedTo, Mapping};
use crate::read::{Cell, RawRow};
use crate::text::column_letter;

/// How many rows at the top of a sheet are searched for the header.
pub const HEADER_SEARCH_ROWS: usize = 30;

/// One column of a recognised header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// Zero-based column index.
    pub index: usize,
    /// The header as written (two-row headers joined with `/`).
    pub text: String,
    /// What the column means, if anything.
    pub field: Option<Field>,
}

impl Column {
    /// `D（身份证号）`: the letter and header, for messages.
    pub fn describe(&self) -> String {
        if self.text.is_empty() {
            column_letter(self.index)
        } else {
            format!("{}（{}）", column_letter(self.index), self.text)
        }
    }
}

/// The recognised header of one sheet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The first header row (1-based).
    pub row: u32,
    /// The last header row: the same as `row`, or the next row for a
    /// two-row header.
    pub last_row: u32,
    /// Every column that has a header.
    pub columns: Vec<Column>,
    /// Text of the rows above the header (title, unit, date), which may
    /// name the term.
    pub title: Vec<String>,
}

impl Header {
    /// The column of a field.
    pub fn column_of(&self, field: Field) -> Option<&Column> {
        self.columns.iter().find(|c| c.field == Some(field))
    }

    /// The column index of each field, for fast lookup per row.
    pub fn index(&self) -> FieldIndex {
        let mut idx = FieldIndex {
            cols: vec![None; Field::ALL.len()],
        };
        for c in &self.columns {
            if let Some(f) = c.field {
                idx.cols[f as usize] = Some(c.index);
            }
        }
        idx
    }

    /// The number of columns the rejection report repeats: up to the last
    /// column with a header.
    pub fn width(&self) -> usize {
        self.columns.iter().map(|c| c.index + 1).max().unwrap_or(0)
    }
}

/// Field → column index.
#[derive(Clone, Debug)]
pub struct FieldIndex {
    cols: Vec<Option<usize>>,
}

impl FieldIndex {
    /// The column holding `field`, if the sheet has one.
    pub fn col(&self, field: Field) -> Option<usize> {
        self.cols[field as usize]
    }

    /// True when the sheet has the column.
    pub fn has(&self, field: Field) -> bool {
        self.col(field).is_some()
    }
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.trim().to_string(),
        Cell::Empty => String::new(),
        other => other.display(),
    }
}

/// Classifies one header text for `kind`, honouring the mapping first.
fn classify(kind: ListKind, mapping: Option<&Mapping>, text: &str, letter: &str) -> HeaderMatch {
    if let Some(m) = mapping
        && let Some(mapped) = m.lookup(text, letter)
    {
        return match mapped {
            MappedTo::Field(f) => HeaderMatch::Field(f),
            MappedTo::Ignore => HeaderMatch::Ignored,
        };
    }
    match_header(text, kind.accepted())
}

/// The candidate names of a column under a two-row header, best first.
fn compose(parent: &str, child: &str) -> Vec<String> {
    match (parent.is_empty(), child.is_empty()) {
        (true, true) => vec![],
        (false, true) => vec![parent.to_string()],
        (true, false) => vec![child.to_string()],
        (false, false) => {
            let mut v = vec![format!("{parent}{child}")];
            for suffix in ["信息", "情况", "基本信息"] {
                if let Some(p) = parent.strip_suffix(suffix) {
                    v.push(format!("{p}{child}"));
                }
            }
            v.push(child.to_string());
            v
        }
    }
}

/// A header candidate and its score.
struct Candidate {
    header: Header,
    /// Per column: true when the header matched nothing and is not ignored.
    flags: Vec<bool>,
    fields: usize,
    unknown: usize,
}

fn build(
    kind: ListKind,
    mapping: Option<&Mapping>,
    parent: &RawRow,
    child: Option<&RawRow>,
) -> Candidate {
    let width = parent.cells.len().max(child.map_or(0, |c| c.cells.len()));
    let parents: Vec<String> = (0..width).map(|i| cell_text(parent.get(i))).collect();
    let children: Vec<String> = (0..width)
        .map(|i| child.map_or(String::new(), |c| cell_text(c.get(i))))
        .collect();
    // A merged parent cell keeps its text only in its first column; carry
    // it right across the columns that have a child header under them.
    let mut filled = parents.clone();
    for i in 1..width {
        if filled[i].is_empty()
            && !children[i].is_empty()
            && !filled[i - 1].is_empty()
            && !children[i - 1].is_empty()
        {
            filled[i] = filled[i - 1].clone();
        }
    }
    let mut columns = Vec::new();
    let mut fields = 0;
    let mut unknown = 0;
    let mut seen = Vec::new();
    let mut flags = Vec::new();
    for i in 0..width {
        let letter = column_letter(i);
        let names = compose(&filled[i], &children[i]);
        if names.is_empty() {
            continue;
        }
        let text = match (filled[i].is_empty(), children[i].is_empty()) {
            (false, false) => format!("{}/{}", filled[i], children[i]),
            (false, true) => filled[i].clone(),
            _ => children[i].clone(),
        };
        let mut field = None;
        let mut ignored = false;
        for name in &names {
            match classify(kind, mapping, name, &letter) {
                HeaderMatch::Field(f) => {
                    field = Some(f);
                    break;
                }
                HeaderMatch::Ignored => {
                    ignored = true;
                    break;
                }
                HeaderMatch::Unknown => {}
            }
        }
        if let Some(f) = field {
            if !seen.contains(&f) {
                fields += 1;
                seen.push(f);
            }
        } else if !ignored {
            unknown += 1;
        }
        flags.push(field.is_none() && !ignored);
        columns.push(Column {
            index: i,
            text,
            field,
        });
    }
    let last_row = child.map_or(parent.row, |c| c.row);
    Candidate {
        header: Header {
            row: parent.row,
            last_row,
            columns,
            title: Vec::new(),
        },
        flags,
        fields,
        unknown,
    }
}

/// The outcome of looking for a header in the first rows of a sheet.
pub enum Detection {
    /// A header was found; data starts after `header.last_row`.
    Found(Header, Vec<(Column, bool)>),
    /// Nothing looked like a header; the closest row is given for the message.
    NotFound {
        /// The closest row's number and its cells.
        best: Option<(u32, Vec<String>)>,
    },
}

/// Looks for the header among `rows` (the first non-blank rows of a sheet).
///
/// The second element of `Found` lists every column with a flag saying
/// whether it is unknown, so that the caller can decide between an error and
/// a skipped sheet.
pub fn detect(kind: ListKind, mapping: Option<&Mapping>, rows: &[RawRow]) -> Detection {
    let mut best: Option<Candidate> = None;
    let mut closest: Option<(usize, u32, Vec<String>)> = None;
    let pinned = mapping.and_then(|m| m.header_row);
    for (i, row) in rows.iter().enumerate() {
        if let Some(p) = pinned
            && row.row != p
        {
            continue;
        }
        let single = build(kind, mapping, row, None);
        let texts: Vec<String> = row
            .cells
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.is_blank())
            .map(|(i, c)| format!("{}:{}", column_letter(i), cell_text(c)))
            .collect();
        if closest.as_ref().is_none_or(|c| single.fields > c.0) {
            closest = Some((single.fields, row.row, texts));
        }
        let mut cand = single;
        // Try this row as the upper half of a two-row header; it wins only
        // if it recognises more fields than the row alone.
        if let Some(next) = rows.get(i + 1)
            && next.row == row.row + 1
        {
            let double = build(kind, mapping, row, Some(next));
            let next_alone = build(kind, mapping, next, None);
            if double.fields > cand.fields && double.fields > next_alone.fields {
                cand = double;
            }
        }
        let better = match &best {
            None => true,
            Some(b) => {
                cand.fields > b.fields || (cand.fields == b.fields && cand.unknown < b.unknown)
            }
        };
        if better && cand.fields > 0 {
            let mut cand = cand;
            cand.header.title = rows[..i]
                .iter()
                .map(|r| {
                    r.cells
                        .iter()
                        .filter(|c| !c.is_blank())
                        .map(cell_text)
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            best = Some(cand);
        }
    }
    // A header must recognise at least two fields, or one of the required
    // choices when the list is that narrow; a single recognised word in a
    // title line is not a header.
    let needed = 2.min(kind.required().len());
    match best {
        Some(c) if c.fields >= needed => {
            let flags = c
                .header
                .columns
                .iter()
                .cloned()
                .zip(c.flags.iter().copied())
                .collect();
            Detection::Found(c.header, flags)
        }
        _ => Detection::NotFound {
            best: closest.map(|(_, r, t)| (r, t)),
        },
    }
}

/// Checks a found header: every required field present, no unknown column,
/// no field twice. `file` and `sheet` are for the messages.
pub fn check(
    kind: ListKind,
    file: &str,
    sheet: &str,
    header: &Header,
    flags: &[(Column, bool)],
) -> Result<(), ImportError> {
    let found: Vec<String> = header.columns.iter().map(Column::describe).collect();
    let mut missing = Vec::new();
    for choice in kind.required() {
        if !choice.iter().any(|f| header.column_of(*f).is_some()) {
            missing.push(
                choice
                    .iter()
                    .map(|f| f.label())
                    .collect::<Vec<_>>()
                    .join("或"),
            );
        }
    }
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns {
            file: file.to_string(),
            sheet: sheet.to_string(),
            row: header.row,
            missing,
            found,
        });
    }
    for f in Field::ALL {
        let cols: Vec<&Column> = header
            .columns
            .iter()
            .filter(|c| c.field == Some(*f))
            .collect();
        if cols.len() > 1 {
            return Err(ImportError::DuplicateColumn {
                file: file.to_string(),
                sheet: sheet.to_string(),
                row: header.row,
                field: f.label().to_string(),
                columns: cols.iter().map(|c| c.describe()).collect(),
            });
        }
    }
    let unknown: Vec<String> = flags
        .iter()
        .filter(|(_, u)| *u)
        .map(|(c, _)| c.describe())
        .collect();
    if !unknown.is_empty() {
        return Err(ImportError::UnknownColumns {
            file: file.to_string(),
            sheet: sheet.to_string(),
            row: header.row,
            unknown,
            expected: kind
                .accepted()
                .iter()
                .map(|f| f.label().to_string())
                .collect(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: u32, cells: &[&str]) -> RawRow {
        RawRow {
            row: n,
            cells: cells
                .iter()
                .map(|s| {
                    if s.is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(s.to_string())
                    }
                })
                .collect(),
        }
    }

    fn found(d: Detection) -> (Header, Vec<(Column, bool)>) {
        match d {
            Detection::Found(h, f) => (h, f),
            Detection::NotFound { best } => panic!("no header; best {best:?}"),
        }
    }

    #[test]
    fn title_rows_above_the_header_are_skipped() {
        let rows = [
            row(1, &["宁远县2018年秋季建档立卡学生名单"]),
            row(2, &["填报单位：城关一小", "", "", "填报日期：2018-09-10"]),
            row(3, &["序号", "姓名", "身份证号码", "学校名称", "年级"]),
            row(
                4,
                &["1", "张三", "431126201209010017", "城关一小", "一年级"],
            ),
        ];
        let (h, flags) = found(detect(ListKind::Roster, None, &rows));
        assert_eq!(h.row, 3);
        assert_eq!(h.last_row, 3);
        assert_eq!(h.column_of(Field::IdNumber).unwrap().index, 2);
        assert!(h.title[0].contains("2018年秋季"));
        check(ListKind::Roster, "f.xlsx", "S", &h, &flags).unwrap();
    }

    #[test]
    fn two_row_header_with_merged_parents() {
        let rows = [
            row(1, &["学生信息", "", "", "监护人", "", "家庭住址", "", ""]),
            row(
                2,
                &[
                    "姓名",
                    "身份证号",
                    "年级",
                    "姓名",
                    "联系电话",
                    "乡镇",
                    "村",
                    "组",
                ],
            ),
            row(
                3,
                &[
                    "张三",
                    "431126201209010017",
                    "一年级",
                    "张大",
                    "13800000000",
                ],
            ),
        ];
        let (h, flags) = found(detect(ListKind::Roster, None, &rows));
        assert_eq!((h.row, h.last_row), (1, 2));
        let by = |i: usize| h.columns.iter().find(|c| c.index == i).unwrap().field;
        assert_eq!(by(0), Some(Field::Name));
        assert_eq!(by(3), Some(Field::GuardianName));
        assert_eq!(by(4), Some(Field::GuardianPhone));
        assert_eq!(by(6), Some(Field::Village));
        // The roster also needs a school column.
        let err = check(ListKind::Roster, "f.xlsx", "S", &h, &flags)
            .unwrap_err()
            .to_string();
        assert!(err.contains("缺少必需的列：学校标识码或学校名称"), "{err}");
        assert!(err.contains("第 1 行"), "{err}");
    }

    #[test]
    fn vertically_merged_header_cells() {
        let rows = [
            row(1, &["姓名", "身份证号", "学校名称", "年级", "监护人", ""]),
            row(2, &["", "", "", "", "姓名", "电话"]),
        ];
        let (h, _) = found(detect(ListKind::Roster, None, &rows));
        assert_eq!(h.last_row, 2);
        assert_eq!(h.column_of(Field::GuardianPhone).unwrap().index, 5);
        assert_eq!(h.column_of(Field::Name).unwrap().index, 0);
    }

    #[test]
    fn unknown_and_duplicate_columns_are_errors() {
        let rows = [row(1, &["姓名", "身份证号", "学校名称", "年级", "爱好"])];
        let (h, flags) = found(detect(ListKind::Roster, None, &rows));
        let err = check(ListKind::Roster, "f.csv", "f", &h, &flags)
            .unwrap_err()
            .to_string();
        assert!(err.contains("E（爱好）"), "{err}");
        assert!(err.contains("可识别的列"), "{err}");
        let mapping = Mapping::new().ignore("爱好");
        let (h, flags) = found(detect(ListKind::Roster, Some(&mapping), &rows));
        check(ListKind::Roster, "f.csv", "f", &h, &flags).unwrap();

        let rows = [row(
            1,
            &["姓名", "身份证号", "公民身份号码", "学校", "年级"],
        )];
        let (h, flags) = found(detect(ListKind::Roster, None, &rows));
        let err = check(ListKind::Roster, "f.csv", "f", &h, &flags)
            .unwrap_err()
            .to_string();
        assert!(err.contains("「身份证号」出现了不止一次"), "{err}");
    }

    #[test]
    fn no_header_names_the_closest_row() {
        let rows = [row(1, &["甲", "乙"]), row(2, &["姓名", "丙"])];
        match detect(ListKind::Roster, None, &rows) {
            Detection::NotFound { best } => {
                let (r, cells) = best.unwrap();
                assert_eq!(r, 2);
                assert_eq!(cells, ["A:姓名", "B:丙"]);
            }
            Detection::Found(..) => panic!("a single known word is not a header"),
        }
    }

    #[test]
    fn mapping_renames_and_pins() {
        let rows = [
            row(1, &["学生", "证件", "单位", "年级"]),
            row(2, &["张三", "431126201209010017", "城关一小", "一年级"]),
        ];
        let mapping = Mapping::parse(
            "header_row = 1\n[columns]\n\"学生\" = \"姓名\"\n\"证件\" = \"身份证号\"\n\"单位\" = \"学校名称\"\n",
            "m.toml",
        )
        .unwrap();
        let (h, flags) = found(detect(ListKind::Roster, Some(&mapping), &rows));
        check(ListKind::Roster, "f.csv", "f", &h, &flags).unwrap();
        assert_eq!(h.column_of(Field::SchoolName).unwrap().index, 2);
    }
}
